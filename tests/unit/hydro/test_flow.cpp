// Priority-Flood filling, D8 directions and accumulation on tiny hand-made DEMs whose
// results were worked out by hand (cells 10 m square, projected, no CRS).
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "soilrisk/core/error.hpp"
#include "soilrisk/hydro/flow.hpp"

using namespace soilrisk;
using namespace soilrisk::hydro;

namespace {

constexpr float N_ = NAN;

Dem make_dem(int w, int h, std::vector<float> z) {
    Dem d;
    d.geometry = GridGeometry(w, h, {0, 10, 0, 10.0 * h, 0, -10}, Crs());
    d.z = std::move(z);
    d.source = "test";
    return d;
}

std::vector<int> esri(const std::vector<std::uint8_t>& d8) {
    std::vector<int> out;
    for (auto d : d8)
        out.push_back(encode_d8(d, D8Encoding::esri));
    return out;
}

std::vector<int> cells(const Accumulation& a) {
    return {a.cells.begin(), a.cells.end()};
}

} // namespace

TEST_CASE("hydro: a pit is filled to its spill level and drains through the spill cell",
          "[hydro]") {
    Dem dem = make_dem(4, 4,
                       {10, 10, 10, 10, //
                        10, 1, 2, 10,   //
                        10, 2, 5, 10,   //
                        10, 10, 10, 3});
    FloodStats st;
    const auto d8 = fill_and_direct(dem, NodataAs::outlet, {}, &st);
    CHECK(dem.z == std::vector<float>{10, 10, 10, 10, 10, 5, 5, 10, 10, 5, 5, 10, 10, 10, 10, 3});
    CHECK(esri(d8) == std::vector<int>{2, 4, 4, 8,  //
                                       1, 2, 4, 16, //
                                       1, 1, 2, 4,  //
                                       128, 64, 1, 0});
    CHECK(st.raised_cells == 3);
    CHECK(st.max_raise_m == Approx(4.0));
    CHECK(st.outlets == 1);
    const auto acc = accumulate(dem.geometry, d8);
    CHECK(cells(acc) == std::vector<int>{1, 1, 1, 1, 1, 4, 4, 1, 1, 4, 13, 1, 1, 1, 1, 16});
    CHECK(acc.area_m2[15] == Approx(1600.0));
}

TEST_CASE("hydro: a plateau drains both ways, split in the middle", "[hydro]") {
    Dem dem = make_dem(7, 3, {9, 9, 9, 9, 9, 9, 9, //
                              1, 5, 5, 5, 5, 5, 1, //
                              9, 9, 9, 9, 9, 9, 9});
    const auto d8 = fill_and_direct(dem);
    CHECK(esri(d8) == std::vector<int>{4,  8,  4,  4,  4,  2,   4, //
                                       0,  16, 16, 16, 1,  1,   0, //
                                       64, 32, 64, 64, 64, 128, 64});
    const auto acc = accumulate(dem.geometry, d8);
    CHECK(acc.cells[7] == 12);
    CHECK(acc.cells[13] == 9);
    CHECK(acc.cells[8] == 7);
    CHECK(acc.cells[10] == 3);
    CHECK(acc.cells[12] == 4);
}

TEST_CASE("hydro: a flat depression drains breadth-first to its spill cell", "[hydro]") {
    // A 3x3 flat pond at 2 inside a rim at 8 with a spill at 4 on the east edge.
    Dem dem = make_dem(5, 5, {8, 8, 8, 8, 8, //
                              8, 2, 2, 2, 8, //
                              8, 2, 2, 2, 4, //
                              8, 2, 2, 2, 8, //
                              8, 8, 8, 8, 8});
    const auto d8 = fill_and_direct(dem);
    // Pond filled to the spill level 4.
    for (int r = 1; r <= 3; ++r)
        for (int c = 1; c <= 3; ++c)
            CHECK(dem.z[r * 5 + c] == 4.0f);
    // The cells next to the spill drain to it, the rest towards them.
    CHECK(encode_d8(d8[2 * 5 + 3], D8Encoding::esri) == 1);   // E into the spill
    CHECK(encode_d8(d8[1 * 5 + 3], D8Encoding::esri) == 2);   // SE
    CHECK(encode_d8(d8[3 * 5 + 3], D8Encoding::esri) == 128); // NE
    CHECK(encode_d8(d8[2 * 5 + 1], D8Encoding::esri) == 2);   // SE (BFS order)
    CHECK(encode_d8(d8[2 * 5 + 4], D8Encoding::esri) == 0);   // the spill is an outlet
    const auto acc = accumulate(dem.geometry, d8);
    CHECK(acc.cells[2 * 5 + 4] >= 10);
    std::size_t sum = 0;
    for (std::size_t i = 0; i < d8.size(); ++i)
        if (d8[i] == kOutlet) sum += acc.cells[i];
    CHECK(sum == 25);
}

TEST_CASE("hydro: a nodata hole is an outlet or a wall", "[hydro]") {
    const std::vector<float> z = {9, 9, 9,  9, 9, //
                                  9, 5, 4,  5, 9, //
                                  9, 4, N_, 3, 9, //
                                  9, 5, 4,  5, 9, //
                                  9, 9, 9,  9, 9};
    SECTION("outlet") {
        Dem dem = make_dem(5, 5, z);
        const auto d8 = fill_and_direct(dem, NodataAs::outlet);
        CHECK(dem.z[6] == 5.0f); // nothing filled
        CHECK(std::isnan(dem.z[12]));
        const auto e = esri(d8);
        CHECK(e[6] == 1);    // (1,1) E: tie E/S goes to E
        CHECK(e[7] == 2);    // (2,1) SE to the 3
        CHECK(e[11] == 0);   // (1,2) no lower neighbour: drains into the hole
        CHECK(e[13] == 0);   // (3,2) the 3
        CHECK(e[12] == 255); // nodata
        CHECK(e[8] == 4);
        CHECK(e[18] == 64);
        CHECK(e[16] == 1);
        CHECK(e[17] == 128);
        const auto acc = accumulate(dem.geometry, d8);
        CHECK(acc.cells[12] == 0);
        std::size_t sum = 0;
        for (std::size_t i = 0; i < d8.size(); ++i)
            if (d8[i] == kOutlet) sum += acc.cells[i];
        CHECK(sum == 24);
    }
    SECTION("wall") {
        Dem dem = make_dem(5, 5, z);
        const auto d8 = fill_and_direct(dem, NodataAs::wall);
        for (int i : {6, 7, 8, 11, 13, 16, 17, 18})
            CHECK(dem.z[i] == 9.0f);
        const auto acc = accumulate(dem.geometry, d8);
        std::size_t sum = 0;
        for (std::size_t i = 0; i < d8.size(); ++i)
            if (d8[i] == kOutlet) sum += acc.cells[i];
        CHECK(sum == 24);
    }
}

TEST_CASE("hydro: an island inside nodata drains to its lowest cell in wall mode", "[hydro]") {
    const std::vector<float> z = {N_, N_, N_, N_, N_, //
                                  N_, 5,  4,  5,  N_, //
                                  N_, 4,  2,  3,  N_, //
                                  N_, 5,  4,  5,  N_, //
                                  N_, N_, N_, N_, N_};
    Dem wall = make_dem(5, 5, z);
    FloodStats st;
    const auto d8 = fill_and_direct(wall, NodataAs::wall, {}, &st);
    CHECK(st.islands == 1);
    CHECK(st.outlets == 1);
    CHECK(d8[12] == kOutlet);
    CHECK(wall.z[12] == 2.0f);
    CHECK(accumulate(wall.geometry, d8).cells[12] == 9);

    Dem out = make_dem(5, 5, z);
    const auto d8o = fill_and_direct(out, NodataAs::outlet);
    CHECK(out.z[12] == 3.0f); // the pit fills to its lowest rim cell (a seed)
    CHECK(encode_d8(d8o[12], D8Encoding::esri) == 1);
    CHECK(d8o[13] == kOutlet);
    CHECK(accumulate(out.geometry, d8o).cells[13] == 9); // all drain via the filled pit
}

TEST_CASE("hydro: D8 encodings round-trip and follow their definitions", "[hydro]") {
    // Internal order E, SE, S, SW, W, NW, N, NE.
    const int esri_codes[8] = {1, 2, 4, 8, 16, 32, 64, 128};
    const int grass_codes[8] = {8, 7, 6, 5, 4, 3, 2, 1};
    const int taudem_codes[8] = {1, 8, 7, 6, 5, 4, 3, 2};
    for (std::uint8_t d = 0; d < 8; ++d) {
        CHECK(encode_d8(d, D8Encoding::esri) == esri_codes[d]);
        CHECK(encode_d8(d, D8Encoding::grass) == grass_codes[d]);
        CHECK(encode_d8(d, D8Encoding::taudem) == taudem_codes[d]);
        for (auto e : {D8Encoding::esri, D8Encoding::grass, D8Encoding::taudem})
            CHECK(decode_d8(encode_d8(d, e), e) == d);
    }
    for (auto e : {D8Encoding::esri, D8Encoding::grass, D8Encoding::taudem}) {
        CHECK(encode_d8(kOutlet, e) == 0);
        CHECK(encode_d8(kNoData, e) == 255);
    }
    CHECK_THROWS_AS(decode_d8(3, D8Encoding::esri), DataError);
    CHECK_THROWS_AS(parse_d8_encoding("arcgis"), UsageError);
}

TEST_CASE("hydro: accumulation rejects cyclic directions", "[hydro]") {
    GridGeometry g(2, 1, {0, 1, 0, 1, 0, -1}, Crs());
    std::vector<std::uint8_t> d8 = {0, 4}; // E, W: a two-cell loop
    CHECK_THROWS_AS(accumulate(g, d8), DataError);
}

TEST_CASE("hydro: rotated geotransforms are rejected", "[hydro]") {
    CHECK_THROWS_AS(GridGeometry(2, 2, {0, 1, 0.1, 0, 0, -1}, Crs()), DataError);
}
