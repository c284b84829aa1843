// Spatial helpers: packed R-tree, buffers and their area error, overlay, distances,
// nearest-source regions.
#include <catch2/catch.hpp>

#include <cmath>
#include <geos_c.h>
#include <numbers>

#include "soilrisk/core/geos.hpp"
#include "soilrisk/spatial/buffer.hpp"
#include "soilrisk/spatial/distance.hpp"
#include "soilrisk/spatial/index.hpp"
#include "soilrisk/spatial/nearest.hpp"
#include "soilrisk/spatial/overlay.hpp"

using namespace soilrisk;
using namespace soilrisk::spatial;

namespace {
int num_points(const geos::Geom* polygon) {
    return GEOSGetNumCoordinates_r(geos::ctx(), polygon);
}
} // namespace

TEST_CASE("quad_segs default is the smallest keeping rings within 0.01 %", "[spatial][buffer]") {
    // ε(q) = 1 - sin(x)/x with x = π/(2q): 64 gives 1.0039e-4, 65 gives 9.733e-5.
    CHECK(quad_segs_for(1e-4) == 65);
    CHECK(kDefaultQuadSegs == quad_segs_for(1e-4));
    CHECK(buffer_area_deficit(64) > 1e-4);
    CHECK(buffer_area_deficit(65) <= 1e-4);
    CHECK(buffer_area_deficit(65) == Approx(9.7332e-5).epsilon(1e-3));
    CHECK(buffer_area_deficit(8) == Approx(6.41e-3).epsilon(1e-2)); // GEOS default: 0.64 %
}

TEST_CASE("a point buffer is the regular 4q-gon on the circle", "[spatial][buffer]") {
    auto pt = geos::from_wkt("POINT (500000 2700000)");
    const double r = 1000;
    for (int q : {8, 65}) {
        auto b = buffer(pt.get(), r, q);
        const int n = 4 * q;
        CHECK(num_points(b.get()) == n + 1);
        const double polygon = 0.5 * n * r * r * std::sin(2 * std::numbers::pi / n);
        CHECK(planar_area(b.get()) == Approx(polygon).epsilon(1e-9));
        const double deficit = 1 - planar_area(b.get()) / (std::numbers::pi * r * r);
        CHECK(deficit == Approx(buffer_area_deficit(q)).epsilon(1e-6));
    }
    // The 1000 m ring (500–1000 m annulus) at the default is within 0.01 % of the truth.
    auto outer = buffer(pt.get(), 1000, kDefaultQuadSegs);
    auto inner = buffer(pt.get(), 500, kDefaultQuadSegs);
    auto ring = difference(outer.get(), inner.get());
    const double truth = std::numbers::pi * (1000.0 * 1000 - 500.0 * 500);
    CHECK(std::abs(planar_area(ring.get()) - truth) / truth <= 1e-4);
    // Distance 0 of a polygon is the polygon.
    auto sq = geos::from_wkt("POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0))");
    CHECK(planar_area(buffer(sq.get(), 0, 65).get()) == Approx(100));
}

TEST_CASE("packed R-tree returns exactly the intersecting envelopes, in order",
          "[spatial][index]") {
    std::vector<Extent> boxes;
    for (int i = 0; i < 100; ++i)
        for (int j = 0; j < 100; ++j)
            boxes.push_back({i * 10.0, j * 10.0, i * 10.0 + 10, j * 10.0 + 10});
    boxes.push_back(Extent{1, 1, 0, 0}); // invalid: left out
    EnvelopeIndex index(boxes);
    CHECK(index.size() == 10000);
    const auto hits = index.query({15, 15, 30, 30}); // meets 3×3 cells (touching counts)
    REQUIRE(hits.size() == 9);
    CHECK(std::is_sorted(hits.begin(), hits.end()));
    CHECK(hits.front() == 1 * 100 + 1);
    CHECK(hits.back() == 3 * 100 + 3);
    CHECK(index.query({-50, -50, -40, -40}).empty());
}

TEST_CASE("distance range from a point to a polygon", "[spatial][distance]") {
    auto sq = geos::from_wkt(
        "POLYGON ((10 0, 20 0, 20 10, 10 10, 10 0), (12 2, 18 2, 18 8, 12 8, 12 2))");
    bool ok = false;
    auto d = point_polygon_distance(0, 0, sq.get(), &ok);
    CHECK(ok);
    CHECK(d.min == Approx(10));
    CHECK(d.max == Approx(std::hypot(20, 10)));
    CHECK(point_polygon_distance(11, 5, sq.get()).min == 0);         // in the ring
    CHECK(point_polygon_distance(15, 5, sq.get()).min == Approx(3)); // in the hole
    auto line = geos::from_wkt("LINESTRING (0 0, 1 1)");
    point_polygon_distance(0, 0, line.get(), &ok);
    CHECK_FALSE(ok);
}

TEST_CASE("overlay keeps only polygons of positive area", "[spatial][overlay]") {
    auto a = geos::from_wkt("POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0))");
    auto b = geos::from_wkt("POLYGON ((10 0, 20 0, 20 10, 10 10, 10 0))"); // touches a
    CHECK(polygonal(intersection(a.get(), b.get())) == nullptr);
    auto c = geos::from_wkt("POLYGON ((5 5, 15 5, 15 15, 5 15, 5 5))");
    auto i = polygonal(intersection(a.get(), c.get()));
    REQUIRE(i);
    CHECK(planar_area(i.get()) == Approx(25));
    auto mixed = geos::from_wkt(
        "GEOMETRYCOLLECTION (POLYGON ((0 0, 1 0, 1 1, 0 0)), LINESTRING (5 5, 6 6), POINT (9 9))");
    auto p = polygonal(std::move(mixed));
    REQUIRE(p);
    CHECK(GEOSGeomTypeId_r(geos::ctx(), p.get()) == GEOS_POLYGON);
    // Snap-rounding to a 1 m grid.
    auto d = geos::from_wkt("POLYGON ((0.2 0.2, 10.4 0.2, 10.4 10.4, 0.2 10.4, 0.2 0.2))");
    auto s = polygonal(intersection(d.get(), a.get(), 1.0));
    REQUIRE(s);
    CHECK(planar_area(s.get()) == Approx(100));
}

TEST_CASE("intersection near a small polygon equals the whole intersection", "[spatial][overlay]") {
    // Parcels of 100 m astride the 1000 m circle of an annulus (1000-2000 m around a
    // point), one inside the hole, one outside, one covering the hole's edge twice.
    const auto centre = geos::from_wkt("POINT (500000 2700000)");
    const auto inner = buffer(centre.get(), 1000, 64), outer = buffer(centre.get(), 2000, 64);
    const auto annulus = difference(outer.get(), inner.get());
    int compared = 0;
    for (int k = 0; k < 36; ++k) {
        const double a = k * std::numbers::pi / 18, r = 950 + 5 * k;
        const double x = 500000 + r * std::cos(a), y = 2700000 + r * std::sin(a);
        auto parcel = rectangle(x - 50, y - 40, x + 50, y + 60);
        const auto whole = polygonal(intersection(parcel.get(), annulus.get()));
        const auto near = polygonal(intersection_near(parcel.get(), annulus.get()));
        REQUIRE(bool(whole) == bool(near));
        if (!whole) continue;
        CHECK(planar_area(near.get()) == Approx(planar_area(whole.get())).epsilon(1e-12));
        auto sym = GEOSSymDifference_r(geos::ctx(), near.get(), whole.get());
        CHECK(planar_area(geos::GeomPtr(sym).get()) < 1e-6);
        ++compared;
    }
    CHECK(compared == 36);
    // Far away: empty; a big `a` beside a small `b`: the plain intersection.
    auto far = rectangle(0, 0, 10, 10);
    CHECK(polygonal(intersection_near(far.get(), annulus.get())) == nullptr);
    auto big = rectangle(400000, 2600000, 600000, 2800000);
    const auto all = polygonal(intersection_near(big.get(), annulus.get()));
    REQUIRE(all);
    CHECK(planar_area(all.get()) == Approx(planar_area(annulus.get())).epsilon(1e-12));
}

TEST_CASE("nearest regions: half-planes between points, polygon insides", "[spatial][nearest]") {
    auto p0 = geos::from_wkt("POINT (0 0)");
    auto p1 = geos::from_wkt("POINT (1000 0)");
    auto p2 = geos::from_wkt("POINT (1000 0)"); // same place: gets nothing
    const Extent cover{-2000, -2000, 3000, 2000};
    auto regions = nearest_regions({p0.get(), p1.get(), p2.get()}, cover, 1.0);
    REQUIRE(regions.size() == 3);
    auto box = rectangle(-2000, -2000, 3000, 2000);
    auto r0 = intersection(regions[0].get(), box.get());
    auto r1 = intersection(regions[1].get(), box.get());
    CHECK(planar_area(r0.get()) == Approx(2500.0 * 4000));
    CHECK(planar_area(r1.get()) == Approx(2500.0 * 4000));
    CHECK(GEOSisEmpty_r(geos::ctx(), regions[2].get()) == 1);
    CHECK(spatial::envelope(r0.get()).max_x == Approx(500));

    // A polygon source and a point: the polygon keeps its inside; outside, the boundary
    // between them is the parabola of points equidistant from the point and the edge.
    auto poly = geos::from_wkt("POLYGON ((0 0, 100 0, 100 100, 0 100, 0 0))");
    auto pt = geos::from_wkt("POINT (50 50)"); // inside the polygon
    auto pt2 = geos::from_wkt("POINT (50 300)");
    auto rs = nearest_regions({poly.get(), pt.get(), pt2.get()}, {-500, -500, 600, 800}, 1.0);
    auto inside = intersection(rs[0].get(), poly.get());
    CHECK(planar_area(inside.get()) == Approx(10000));
    CHECK(planar_area(rs[1].get()) == Approx(0).margin(1e-9));
    // On x = 50, the split between the polygon's top edge (y = 100) and the point
    // (50, 300) is at y = 200.
    auto probe = geos::from_wkt("LINESTRING (50 100, 50 300)");
    auto part = intersection(rs[0].get(), probe.get());
    double len = 0;
    GEOSLength_r(geos::ctx(), part.get(), &len);
    CHECK(len == Approx(100).margin(0.01));
}
