// Lengths, working-CRS choice and the CRS plausibility checks.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <vector>

#include "soilrisk/core/crs.hpp"
#include "soilrisk/core/error.hpp"
#include "soilrisk/core/units.hpp"

using namespace soilrisk;

TEST_CASE("lengths with units", "[core][units]") {
    CHECK(parse_length("500", "x") == 500.0);
    CHECK(parse_length("500m", "x") == 500.0);
    CHECK(parse_length(" 2.5 km ", "x") == 2500.0);
    CHECK_THROWS_AS(parse_length("10 miles", "--reach"), UsageError);
    CHECK_THROWS_WITH(parse_length("-5", "--reach"), Catch::Contains("--reach"));
    CHECK(parse_length_list("0,500,1km", "--rings") == std::vector<double>{0, 500, 1000});
    CHECK_THROWS_WITH(parse_length_list("0,500,500", "--rings"), Catch::Contains("increasing"));
}

TEST_CASE("the working CRS is the CGCS2000 3-degree GK zone of the centre", "[core][crs]") {
    CHECK(choose_working_crs(109.4, 24.3).epsg() == 4545);  // Liuzhou urban core, CM 108
    CHECK(choose_working_crs(109.6, 25.7).epsg() == 4546);  // east of 109.5: CM 111
    CHECK(choose_working_crs(116.4, 39.9).epsg() == 4548);  // Beijing: CM 117
    CHECK(choose_working_crs(1.5, 41.5).epsg() == 32631);   // Catalonia: UTM 31N
    CHECK(choose_working_crs(-97.3, 32.7).epsg() == 32614); // Fort Worth: UTM 14N
    CHECK(cgcs2000_gk3_epsg(75.0) == 4534);
    CHECK(cgcs2000_gk3_epsg(135.0) == 4554);
    CHECK_FALSE(cgcs2000_gk3_epsg(60.0).has_value());
}

TEST_CASE("CRS parsing and transforms use lon/lat order", "[core][crs]") {
    const Crs gk = Crs::parse("4545");
    CHECK(gk.is_projected());
    CHECK(gk.central_meridian() == 108.0);
    CHECK(gk.false_easting() == 500000.0);
    CHECK(gk.geographic().epsg() == 4490);
    CHECK(Crs::from_epsg(4524).false_easting() == 36500000.0);
    CHECK_THROWS_AS(Crs::parse("EPSG:999999", "--crs"), UsageError);
    Transform t(Crs::from_epsg(4490), gk);
    double x = 108.0, y = 24.0;
    t.apply(x, y);
    CHECK(x == Approx(500000.0).margin(1e-6));
    // Meridian arc to 24°N on GRS80: 111132.953·24 − 16038.509·sin 48° + 16.833·sin 96° …
    CHECK(y == Approx(2655288.65).margin(0.05));
}

TEST_CASE("implausible coordinates name the likely fix", "[core][crs]") {
    const Extent degrees{109.1, 25.0, 109.3, 25.2};
    const Extent gk{400000, 2800000, 410000, 2810000};
    const Extent gk36{36400000, 2800000, 36410000, 2810000};
    CHECK(check_crs_plausible(gk, Crs::from_epsg(4545)).empty());
    CHECK(check_crs_plausible(degrees, Crs::from_epsg(4490)).empty());
    CHECK(check_crs_plausible(gk36, Crs::from_epsg(4524)).empty());
    CHECK_THAT(check_crs_plausible(degrees, Crs::from_epsg(4545)), Catch::Contains("EPSG:4490"));
    CHECK_THAT(check_crs_plausible(gk36, Crs::from_epsg(4545)), Catch::Contains("EPSG:4524"));
    CHECK_THAT(check_crs_plausible(gk, Crs::from_epsg(4524)), Catch::Contains("EPSG:4545"));
    CHECK_THAT(check_crs_plausible(gk, Crs::from_epsg(4490)), Catch::Contains("not degrees"));
    CHECK_THAT(check_crs_plausible(Extent{25.0, 109.1, 25.2, 109.3}, Crs::from_epsg(4326)),
               Catch::Contains("swapped"));
}

TEST_CASE("disjoint_extents covers the union once", "[core][crs]") {
    std::mt19937 rng(7);
    std::uniform_real_distribution<double> pos(0, 100), size(1, 40);
    for (int t = 0; t < 50; ++t) {
        std::vector<soilrisk::Extent> rects;
        const int n = 1 + t % 12;
        for (int i = 0; i < n; ++i) {
            const double x = pos(rng), y = pos(rng);
            rects.push_back({x, y, x + size(rng), y + size(rng)});
        }
        rects.push_back({5, 5, 4, 6}); // invalid: left out
        const auto pieces = soilrisk::disjoint_extents(rects);
        // No two pieces overlap.
        for (std::size_t i = 0; i < pieces.size(); ++i)
            for (std::size_t j = i + 1; j < pieces.size(); ++j) {
                const auto &a = pieces[i], &b = pieces[j];
                CHECK_FALSE((a.min_x < b.max_x && b.min_x < a.max_x && a.min_y < b.max_y &&
                             b.min_y < a.max_y));
            }
        // A point is in the union exactly when it is in a piece.
        std::uniform_real_distribution<double> probe(-5, 145);
        for (int k = 0; k < 2000; ++k) {
            const double x = probe(rng), y = probe(rng);
            auto in = [&](const soilrisk::Extent& e) {
                return e.valid() && e.min_x <= x && x <= e.max_x && e.min_y <= y && y <= e.max_y;
            };
            const bool in_union = std::any_of(rects.begin(), rects.end(), in);
            const bool in_piece = std::any_of(pieces.begin(), pieces.end(), in);
            CHECK(in_union == in_piece);
        }
    }
}
