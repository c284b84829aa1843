// Streams, traces and catchments on hand-made DEMs, and traces on the Catalonia DEM
// checked against an independent geodesic length computation.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <geodesic.h>
#include <string>
#include <vector>

#include "soilrisk/core/geos.hpp"
#include "soilrisk/hydro/flow.hpp"
#include "soilrisk/hydro/network.hpp"

using namespace soilrisk;
using namespace soilrisk::hydro;

namespace {

Dem make_dem(int w, int h, std::vector<float> z, double cell = 10.0) {
    Dem d;
    d.geometry = GridGeometry(w, h, {0, cell, 0, cell * h, 0, -cell}, Crs());
    d.z = std::move(z);
    d.source = "test";
    return d;
}

// A V-shaped valley: two tributaries (west and east flanks drain to the centre
// column, which falls to the south edge).
Dem valley() {
    const int w = 5, h = 6;
    std::vector<float> z(w * h);
    for (int r = 0; r < h; ++r)
        for (int c = 0; c < w; ++c)
            z[r * w + c] = float(100 - 10 * r + 5 * std::abs(c - 2));
    return make_dem(w, h, z);
}

Site point_site(const GridGeometry& g, const std::vector<float>& z, const char* id, double x,
                double y) {
    std::string wkt = "POINT (";
    wkt += std::to_string(x);
    wkt += ' ';
    wkt += std::to_string(y);
    wkt += ')';
    auto p = geos::from_wkt(wkt);
    return make_site(g, z, id, p.get());
}

} // namespace

TEST_CASE("hydro: streams get Strahler orders and connect at confluences", "[hydro]") {
    // A Y: two channels (columns 1 and 3) join at (2, 4) and leave south at (2, 5).
    const int w = 5, h = 6;
    std::vector<float> z(w * h, 50.0f);
    const int chan[][2] = {{1, 0}, {1, 1}, {1, 2}, {1, 3}, {3, 0},
                           {3, 1}, {3, 2}, {3, 3}, {2, 4}, {2, 5}};
    float level = 40;
    for (auto& rc : chan)
        z[rc[1] * w + rc[0]] = 0; // placeholder
    for (int r = 0; r < 4; ++r) {
        z[r * w + 1] = level - r;
        z[r * w + 3] = level - r;
    }
    z[4 * w + 2] = 30;
    z[5 * w + 2] = 20;
    Dem dem = make_dem(w, h, z);
    const auto d8 = fill_and_direct(dem);
    const auto acc = accumulate(dem.geometry, d8);
    // Threshold: 4 cells of 100 m².
    const auto streams = extract_streams(dem.geometry, d8, acc, 400.0);
    REQUIRE(!streams.empty());
    int max_order = 0, order2 = 0;
    for (const auto& s : streams) {
        max_order = std::max(max_order, s.strahler);
        if (s.strahler == 2) {
            ++order2;
            CHECK(s.cells.front() == std::size_t(4 * w + 2)); // starts at the confluence
            CHECK(s.downstream_id == -1);
        } else {
            CHECK(s.cells.back() == std::size_t(4 * w + 2)); // ends at the confluence
            CHECK(s.downstream_id > 0);
        }
    }
    CHECK(max_order == 2);
    CHECK(order2 == 1);
    // Projected grid: the counts give the same network without the area array.
    const auto by_count =
        extract_streams(dem.geometry, d8, accumulate(dem.geometry, d8, false), 400.0);
    REQUIRE(by_count.size() == streams.size());
    for (std::size_t i = 0; i < streams.size(); ++i) {
        CHECK(by_count[i].cells == streams[i].cells);
        CHECK(by_count[i].upstream_area_m2 == Approx(streams[i].upstream_area_m2));
    }
    CHECK_THROWS(extract_streams(dem.geometry, d8, acc, 0.0));
}

TEST_CASE("hydro: traces stop at the edge, at max length, and merge", "[hydro]") {
    Dem dem = valley();
    const auto d8 = fill_and_direct(dem);
    const auto acc = accumulate(dem.geometry, d8, false);
    const GridGeometry& g = dem.geometry;
    std::vector<Site> sites = {point_site(g, dem.z, "west", 5, 55),    // (0, 0)
                               point_site(g, dem.z, "centre", 25, 45), // (2, 1)
                               point_site(g, dem.z, "east", 45, 55)};  // (4, 0)
    auto paths = trace_downstream(g, d8, acc.cells, sites, 0.0);
    REQUIRE(paths.size() == 3);
    // West flank: SE diagonal to the centre column, then south to the edge.
    CHECK(paths[0].stop == StopReason::dem_edge);
    CHECK(paths[0].cells.back() == g.index(2, 5));
    CHECK(paths[0].length_m() == Approx(2 * std::sqrt(200.0) + 30.0));
    // The centre path meets the west path one step down.
    CHECK(paths[1].stop == StopReason::merged);
    CHECK(paths[1].merged_into == "west");
    CHECK(paths[1].cells.size() == 2);
    CHECK(paths[1].cells.back() == g.index(2, 2));
    // A source on an earlier path is merged at once.
    auto same = trace_downstream(g, d8, acc.cells, {sites[0], sites[0]}, 0.0);
    CHECK(same[1].cells.size() == 1);
    CHECK(same[1].merged_into == "west");
    // East flank joins the west path at the centre column.
    CHECK(paths[2].stop == StopReason::merged);
    CHECK(paths[2].merged_into == "west");
    CHECK(paths[2].cells.back() == g.index(2, 2));
    // Max length: stops at the last vertex within it.
    auto cut = trace_downstream(g, d8, acc.cells, {sites[0]}, 35.0);
    CHECK(cut[0].stop == StopReason::max_length);
    CHECK(cut[0].length_m() == Approx(2 * std::sqrt(200.0)));
}

TEST_CASE("hydro: a polygon starts at its cell of highest accumulation", "[hydro]") {
    Dem dem = valley();
    const auto d8 = fill_and_direct(dem);
    const auto acc = accumulate(dem.geometry, d8, false);
    auto poly = geos::from_wkt("POLYGON ((0 20, 50 20, 50 40, 0 40, 0 20))"); // rows 2-3
    const Site s = make_site(dem.geometry, dem.z, "field", poly.get());
    CHECK(!s.is_point);
    CHECK(s.cells.size() == 10);
    auto paths = trace_downstream(dem.geometry, d8, acc.cells, {s}, 0.0);
    CHECK(paths[0].start_cell == dem.geometry.index(2, 3));
}

TEST_CASE("hydro: catchments and snapping", "[hydro]") {
    Dem dem = valley();
    const auto d8 = fill_and_direct(dem);
    const auto acc = accumulate(dem.geometry, d8);
    const GridGeometry& g = dem.geometry;
    // The outlet cell drains everything.
    std::vector<Site> sites = {point_site(g, dem.z, "outlet", 25, 5)};
    auto cs = upstream_catchments(g, d8, sites);
    REQUIRE(cs.size() == 1);
    CHECK(cs[0].cells == 30);
    CHECK(cs[0].area_m2 == Approx(3000.0));
    // A point on the flank snaps to the centre column within 15 m.
    const Snap sn = snap_to_accumulation(g, acc.cells, 15, 5, 15.0);
    CHECK(sn.cell == g.index(2, 5));
    CHECK(sn.distance_m == Approx(10.0));
    const Snap none = snap_to_accumulation(g, acc.cells, 15, 5, 0.0);
    CHECK(none.cell == g.index(1, 5));
    CHECK_THROWS(snap_to_accumulation(g, acc.cells, -100, -100, 0.0));
}

TEST_CASE("hydro: Catalonia traces reach the sea or the edge with geodesic chainage",
          "[hydro][real]") {
    const std::string path =
        std::string(SOILRISK_SHARED_DATA_DIR) + "/dem/srtm3_N41-42E001_catalonia_pyrenees.tif";
    if (!std::filesystem::exists(path)) {
        WARN("skipped: " << path << " is absent");
        return;
    }
    Dem dem = load_dem(path);
    const auto d8 = fill_and_direct(dem);
    const auto acc = accumulate(dem.geometry, d8, false);
    const GridGeometry& g = dem.geometry;
    std::vector<Site> sites;
    const double pts[][2] = {{1.5, 42.5}, {1.9, 41.8}, {1.2, 42.0}, {1.7, 42.2}, {1.95, 41.3}};
    for (std::size_t i = 0; i < 5; ++i)
        sites.push_back(point_site(g, dem.z, "p", pts[i][0], pts[i][1]));
    const auto paths = trace_downstream(g, d8, acc.cells, sites, 0.0);
    REQUIRE(paths.size() == 5);
    geod_geodesic geod;
    geod_init(&geod, 6378137.0, 1 / 298.257223563);
    int reached = 0;
    for (const auto& p : paths) {
        INFO(p.source_id);
        CHECK((p.stop == StopReason::nodata || p.stop == StopReason::dem_edge ||
               p.stop == StopReason::merged));
        reached += p.stop != StopReason::merged;
        double len = 0;
        for (std::size_t v = 1; v < p.cells.size(); ++v) {
            double s12 = 0;
            geod_inverse(&geod, g.y(g.row_of(p.cells[v - 1])), g.x(g.col_of(p.cells[v - 1])),
                         g.y(g.row_of(p.cells[v])), g.x(g.col_of(p.cells[v])), &s12, nullptr,
                         nullptr);
            len += s12;
            REQUIRE(p.chainage_m[v] == Approx(len).epsilon(1e-6));
        }
        if (p.cells.size() > 1) CHECK(p.length_m() > 1000.0);
    }
    CHECK(reached >= 3);
}
