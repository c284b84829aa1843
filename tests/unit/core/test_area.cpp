// Tests of soilrisk::AreaCalculator against values obtained independently of PROJ's
// geod_polygonarea: GeographicLib's published examples and the closed-form area of a
// latitude/longitude cell on the ellipsoid (authalic formula).
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <numbers>
#include <proj.h>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "soilrisk/core/area.hpp"
#include "soilrisk/core/crs.hpp"
#include "soilrisk/core/error.hpp"
#include "soilrisk/core/geos.hpp"
#include "soilrisk/core/units.hpp"

using namespace soilrisk;

namespace {

constexpr double kDeg = std::numbers::pi / 180.0;

struct Ellipsoid {
    double a, inv_f;
};
constexpr Ellipsoid kCgcs2000{6378137.0, 298.257222101};
constexpr Ellipsoid kWgs84{6378137.0, 298.257223563};
constexpr Ellipsoid kClarke1866{6378206.4, 294.978698213898};

// Area of the surface between the equator and latitude φ per radian of longitude:
// (b²/2)·[sinφ/(1 − e²sin²φ) + atanh(e sinφ)/e]. Derived from the area element
// ρ·ν·cosφ dφ dλ, independent of any geodesic computation.
double zone_area_per_radian(const Ellipsoid& el, double lat_deg) {
    const double f = 1 / el.inv_f;
    const double e2 = f * (2 - f), e = std::sqrt(e2);
    const double b2 = el.a * el.a * (1 - e2);
    const double s = std::sin(lat_deg * kDeg);
    return b2 / 2 * (s / (1 - e2 * s * s) + std::atanh(e * s) / e);
}

double cell_area(const Ellipsoid& el, double lon0, double lat0, double lon1, double lat1) {
    return (lon1 - lon0) * kDeg * (zone_area_per_radian(el, lat1) - zone_area_per_radian(el, lat0));
}

// Closed ring around a lon/lat cell with `pieces` vertices per side, counter-clockwise, so
// that geodesic edges follow the parallels closely (the lens between a parallel and the
// geodesic of a piece falls as 1/pieces²).
std::vector<std::pair<double, double>> cell_ring(double lon0, double lat0, double lon1, double lat1,
                                                 int pieces) {
    std::vector<std::pair<double, double>> ring;
    auto side = [&](double xa, double ya, double xb, double yb) {
        for (int i = 0; i < pieces; ++i) {
            const double t = static_cast<double>(i) / pieces;
            ring.emplace_back(xa + t * (xb - xa), ya + t * (yb - ya));
        }
    };
    side(lon0, lat0, lon1, lat0);
    side(lon1, lat0, lon1, lat1);
    side(lon1, lat1, lon0, lat1);
    side(lon0, lat1, lon0, lat0);
    ring.push_back(ring.front());
    return ring;
}

std::string ring_wkt(const std::vector<std::pair<double, double>>& ring, bool reversed = false) {
    std::string s = "(";
    char buf[64];
    for (std::size_t i = 0; i < ring.size(); ++i) {
        const auto& [x, y] = reversed ? ring[ring.size() - 1 - i] : ring[i];
        std::snprintf(buf, sizeof buf, "%s%.17g %.17g", i ? "," : "", x, y);
        s += buf;
    }
    return s + ")";
}

geos::GeomPtr polygon(const std::vector<std::vector<std::pair<double, double>>>& rings) {
    std::string wkt = "POLYGON(";
    for (std::size_t i = 0; i < rings.size(); ++i) {
        if (i) wkt += ",";
        wkt += ring_wkt(rings[i]);
    }
    return geos::from_wkt(wkt + ")");
}

// Projects a lon/lat ring into `crs`.
std::vector<std::pair<double, double>> project(std::vector<std::pair<double, double>> ring,
                                               const Crs& from, const Crs& to) {
    const Transform t(from, to);
    for (auto& [x, y] : ring)
        t.apply(x, y);
    return ring;
}

// A random star-shaped parcel of about `radius` metres around (cx, cy), optionally with a
// hole, in projected coordinates.
std::vector<std::vector<std::pair<double, double>>>
random_parcel(std::mt19937_64& rng, double cx, double cy, double radius, bool hole) {
    std::uniform_int_distribution<int> count(4, 40);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    const int n = count(rng);
    std::vector<double> angles(n);
    for (auto& a : angles)
        a = unit(rng) * 2 * std::numbers::pi;
    std::sort(angles.begin(), angles.end());
    std::vector<std::pair<double, double>> outer;
    for (double a : angles) {
        const double r = radius * (0.55 + 0.45 * unit(rng));
        outer.emplace_back(cx + r * std::cos(a), cy + r * std::sin(a));
    }
    outer.push_back(outer.front());
    std::vector<std::vector<std::pair<double, double>>> rings{outer};
    if (hole) {
        const double r = 0.3 * radius;
        rings.push_back({{cx - r, cy - r}, {cx - r, cy + r}, {cx + r, cy}, {cx - r, cy - r}});
    }
    return rings;
}

} // namespace

TEST_CASE("parse_area_mode accepts the two modes and rejects others", "[area]") {
    CHECK(parse_area_mode("ellipsoidal") == AreaMode::ellipsoidal);
    CHECK(parse_area_mode("planar") == AreaMode::planar);
    CHECK_THROWS_AS(parse_area_mode("geodesic"), UsageError);
    CHECK_THROWS_AS(parse_area_mode(""), UsageError);
}

TEST_CASE("area units: 1 mu is 10000/15 m2 and 15 mu are 1 ha", "[area][units]") {
    static_assert(kSquareMetresPerMu == 10000.0 / 15.0);
    static_assert(mu_to_m2(15.0) == ha_to_m2(1.0));
    static_assert(m2_to_ha(10000.0) == 1.0);
    CHECK(mu_to_m2(1.0) == Approx(666.6666666666667).epsilon(1e-15));
    CHECK(m2_to_mu(2000.0 / 3.0) == Approx(1.0).epsilon(1e-15));
    CHECK(m2_to_mu(ha_to_m2(1.0)) == Approx(15.0).epsilon(1e-15));
    CHECK(m2_to_mu(1e6) == Approx(1500.0).epsilon(1e-15)); // 1 km² = 1500 亩
}

TEST_CASE("area matches GeographicLib's published examples", "[area]") {
    const AreaCalculator wgs84(Crs::from_epsg(4326));

    SECTION("Antarctica, the example of geod_polygonarea (pyproj docs: 13376856682207.4 m2)") {
        const double lats[] = {-72.9, -71.9, -74.9, -74.3, -77.5, -77.4, -71.7, -65.9, -65.7,
                               -66.6, -66.9, -69.8, -70.0, -71.0, -77.3, -77.9, -74.7};
        const double lons[] = {-74, -102, -102, -131, -163, 163, 172, 140, 113,
                               88,  59,   25,   -4,   -14,  -33, -46, -61};
        std::vector<std::pair<double, double>> ring;
        for (std::size_t i = 0; i < std::size(lats); ++i)
            ring.emplace_back(lons[i], lats[i]);
        ring.push_back(ring.front());
        CHECK(wgs84.area_m2(polygon({ring}).get()) == Approx(13376856682207.4).epsilon(1e-9));
    }

    SECTION("MGRS square 18SWK, the example of the Planimeter man page (10007388597.1913 m2)") {
        // Planimeter reads the corners as UTM 18N and joins them by geodesics.
        std::vector<std::pair<double, double>> ring{
            {500000, 4400000}, {600000, 4400000}, {600000, 4500000}, {500000, 4500000}};
        ring = project(ring, Crs::from_epsg(32618), Crs::from_epsg(4326));
        ring.push_back(ring.front());
        CHECK(wgs84.area_m2(polygon({ring}).get()) == Approx(10007388597.1913).epsilon(1e-9));
    }
}

TEST_CASE("area of lon/lat cells matches the closed-form ellipsoid area", "[area]") {
    const AreaCalculator cgcs2000(Crs::from_epsg(4490));

    SECTION("1 x 1 degree cell at 24-25N on CGCS2000 (DOMAIN.md: 1.1226e10 m2)") {
        const double expected = cell_area(kCgcs2000, 108, 24, 109, 25);
        CHECK(expected == Approx(1.1226e10).epsilon(1e-4));
        const auto g = polygon({cell_ring(108, 24, 109, 25, 1000)});
        CHECK(cgcs2000.area_m2(g.get()) == Approx(expected).epsilon(1e-9));
    }

    SECTION("0.001 x 0.001 degree cell at 24N on CGCS2000") {
        const double expected = cell_area(kCgcs2000, 108.5, 24, 108.501, 24.001);
        const auto g = polygon({cell_ring(108.5, 24, 108.501, 24.001, 1)});
        CHECK(cgcs2000.area_m2(g.get()) == Approx(expected).epsilon(1e-9));
    }

    SECTION("reversed orientation gives the same area") {
        const auto ring = cell_ring(108, 24, 109, 25, 1000);
        const auto g = geos::from_wkt("POLYGON(" + ring_wkt(ring, true) + ")");
        CHECK(cgcs2000.area_m2(g.get()) ==
              Approx(cell_area(kCgcs2000, 108, 24, 109, 25)).epsilon(1e-9));
    }

    SECTION("a hole is subtracted, whatever its orientation") {
        const double expected =
            cell_area(kCgcs2000, 108, 24, 109, 25) - cell_area(kCgcs2000, 108.2, 24.2, 108.7, 24.6);
        for (bool reversed : {false, true}) {
            const auto g =
                geos::from_wkt("POLYGON(" + ring_wkt(cell_ring(108, 24, 109, 25, 1000)) + "," +
                               ring_wkt(cell_ring(108.2, 24.2, 108.7, 24.6, 1000), reversed) + ")");
            CHECK(cgcs2000.area_m2(g.get()) == Approx(expected).epsilon(1e-9));
        }
    }

    SECTION("multipolygon parts and polygonal parts of collections are summed") {
        const double expected =
            cell_area(kCgcs2000, 108, 24, 109, 25) + cell_area(kCgcs2000, 110, 30, 110.01, 30.02);
        // (std::string a = "(" + ring_wkt(...) trips a false -Wrestrict in GCC 12.)
        std::string a = "(", b = "(";
        a += ring_wkt(cell_ring(108, 24, 109, 25, 1000)) + ")";
        b += ring_wkt(cell_ring(110, 30, 110.01, 30.02, 10)) + ")";
        const auto multi = geos::from_wkt("MULTIPOLYGON(" + a + "," + b + ")");
        CHECK(cgcs2000.area_m2(multi.get()) == Approx(expected).epsilon(1e-9));
        const auto coll =
            geos::from_wkt("GEOMETRYCOLLECTION(POLYGON" + a +
                           ", LINESTRING(0 0, 1 1), POINT(3 3), MULTIPOLYGON(" + b + "))");
        CHECK(cgcs2000.area_m2(coll.get()) == Approx(expected).epsilon(1e-9));
    }

    SECTION("non-polygonal and empty geometries have no area") {
        CHECK(cgcs2000.area_m2(geos::from_wkt("POINT(108 24)").get()) == 0.0);
        CHECK(cgcs2000.area_m2(geos::from_wkt("LINESTRING(108 24, 109 25)").get()) == 0.0);
        CHECK(cgcs2000.area_m2(geos::from_wkt("POLYGON EMPTY").get()) == 0.0);
        CHECK(cgcs2000.area_m2(geos::from_wkt("MULTIPOLYGON EMPTY").get()) == 0.0);
    }
}

TEST_CASE("area uses the ellipsoid of the data's own geographic CRS", "[area]") {
    // The same lon/lat numbers on NAD27 (Clarke 1866) and WGS84 are different cells.
    const auto g = polygon({cell_ring(-100, 40, -99, 41, 1000)});
    const double clarke = AreaCalculator(Crs::from_epsg(4267)).area_m2(g.get());
    const double wgs84 = AreaCalculator(Crs::from_epsg(4326)).area_m2(g.get());
    CHECK(clarke == Approx(cell_area(kClarke1866, -100, 40, -99, 41)).epsilon(1e-9));
    CHECK(wgs84 == Approx(cell_area(kWgs84, -100, 40, -99, 41)).epsilon(1e-9));
    CHECK(std::abs(clarke / wgs84 - 1) > 5e-6);
}

TEST_CASE("area of a cell given in Gauss-Kruger coordinates matches its lon/lat area", "[area]") {
    const Crs lonlat = Crs::from_epsg(4490);
    const Crs gk = Crs::from_epsg(4545); // CGCS2000 / 3-degree GK CM 108E
    const AreaCalculator calc(gk);

    SECTION("1 x 1 degree cell (exact path)") {
        const auto ring = project(cell_ring(108, 24, 109, 25, 10000), lonlat, gk);
        CHECK(calc.area_m2(polygon({ring}).get()) ==
              Approx(cell_area(kCgcs2000, 108, 24, 109, 25)).epsilon(1e-9));
    }

    SECTION("0.001 x 0.001 degree cells (fast path), on the meridian and at the zone edge") {
        for (double lon : {108.0, 109.2, 109.499}) {
            const auto ring = project(cell_ring(lon, 24, lon + 0.001, 24.001, 100), lonlat, gk);
            CHECK(calc.area_m2(polygon({ring}).get()) ==
                  Approx(cell_area(kCgcs2000, lon, 24, lon + 0.001, 24.001)).epsilon(1e-9));
        }
    }
}

TEST_CASE("densifying projected edges at the chosen step is converged", "[area]") {
    // Long edges about 1.5° east of CM 108E at 24°N, where straight GK lines depart most
    // from geodesics. Polygons of 10 km keep the geodesic's own rounding (about 1e-5 m² per
    // edge) far below the tolerance even with 10 times more pieces.
    const Crs gk = Crs::from_epsg(4545);
    const AreaCalculator standard(gk, AreaMode::ellipsoidal, {kAreaDensifyStepM, 0});
    const AreaCalculator fine(gk, AreaMode::ellipsoidal, {kAreaDensifyStepM / 10, 0});
    const AreaCalculator none(gk, AreaMode::ellipsoidal, {1e7, 0});
    const double e = 500000 + 150000, n = 2650000;
    // West side made of 8 m steps (never densified, tiny lenses) so that the lenses of the
    // densified straight east side are not cancelled by an opposite edge.
    std::vector<std::pair<double, double>> stepped{{e, n}, {e + 10000, n}, {e + 10000, n + 10000}};
    for (double y = n + 10000; y > n; y -= 8)
        stepped.emplace_back(e, y);
    stepped.emplace_back(e, n);
    const std::vector<std::vector<std::pair<double, double>>> shapes{
        {{e, n}, {e + 10000, n}, {e, n + 10000}, {e, n}}, // right triangle
        stepped,
        {{e, n}, {e + 20000, n + 20000}, {e + 16000, n + 22000}, {e, n}}, // long wedge
    };
    for (const auto& shape : shapes) {
        const auto g = polygon({shape});
        const double a = standard.area_m2(g.get()), b = fine.area_m2(g.get());
        const double c = none.area_m2(g.get());
        INFO("relative difference " << (a - b) / b << ", undensified " << (c - b) / b);
        CHECK(a == Approx(b).epsilon(1e-10));
        CHECK(std::abs(c / b - 1) > 1e-8); // the test can see what densifying removes
    }
}

namespace {

// Number of geodesic edges the exact path measures for `rings` (projected, metres).
double densified_pieces(const std::vector<std::vector<std::pair<double, double>>>& rings) {
    double pieces = 0;
    for (const auto& r : rings)
        for (std::size_t i = 0; i + 1 < r.size(); ++i)
            pieces +=
                std::ceil(std::hypot(r[i + 1].first - r[i].first, r[i + 1].second - r[i].second) /
                          kAreaDensifyStepM);
    return pieces;
}

// ∫∫ dE dN / (areal scale) over the polygon: the ellipsoidal area of a region given in a
// conformal projection, by a degree-2 triangle rule over a fan from (cx, cy) (the parcels
// are star-shaped about it), with the areal scale from PROJ's proj_factors.
double area_by_quadrature(const std::vector<std::vector<std::pair<double, double>>>& rings,
                          double cx, double cy, const Crs& crs, const char* proj_def) {
    PJ_CONTEXT* ctx = proj_context_create();
    PJ* projection = proj_create(ctx, proj_def);
    REQUIRE(projection != nullptr);
    const Transform to_lonlat(crs, crs.geographic());
    double total = 0;
    for (std::size_t r = 0; r < rings.size(); ++r) {
        double ring_area = 0;
        for (std::size_t i = 0; i + 1 < rings[r].size(); ++i) {
            const auto [bx, by] = rings[r][i];
            const auto [qx, qy] = rings[r][i + 1];
            const double area = 0.5 * ((bx - cx) * (qy - cy) - (qx - cx) * (by - cy));
            double mean = 0;
            for (const auto& w : {std::array{4.0, 1.0, 1.0}, std::array{1.0, 4.0, 1.0},
                                  std::array{1.0, 1.0, 4.0}}) {
                double x = (w[0] * cx + w[1] * bx + w[2] * qx) / 6;
                double y = (w[0] * cy + w[1] * by + w[2] * qy) / 6;
                to_lonlat.apply(x, y);
                const PJ_FACTORS f = proj_factors(projection, proj_coord(x * kDeg, y * kDeg, 0, 0));
                mean += 1 / f.areal_scale / 3;
            }
            ring_area += area * mean;
        }
        total += r == 0 ? std::abs(ring_area) : -std::abs(ring_area);
    }
    proj_destroy(projection);
    proj_context_destroy(ctx);
    return total;
}

} // namespace

TEST_CASE("the Transverse Mercator fast path agrees with the exact path", "[area]") {
    std::mt19937_64 rng(20240601);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    const Crs lonlat = Crs::from_epsg(4490);

    struct Zone {
        int epsg;
        const char* proj; // the projection alone, for proj_factors
        double cm;
        double half_width; // degrees of longitude from the CM that the test covers
    };
    // A 3° GK zone up to its edge (1.5°), and a 6° UTM zone up to its edge (3°).
    const Zone zones[] = {
        {4545, "+proj=tmerc +lon_0=108 +k=1 +x_0=500000 +ellps=GRS80", 108, 1.5},
        {32649, "+proj=utm +zone=49 +ellps=WGS84", 111, 3.0},
    };
    for (const Zone& zone : zones) {
        const Crs crs = Crs::from_epsg(zone.epsg);
        const AreaCalculator fast(crs);
        const AreaCalculator exact(crs, AreaMode::ellipsoidal, {kAreaDensifyStepM, 0});
        const Transform to_plane(lonlat, crs);
        double worst_exact = 0, worst_quadrature = 0;
        for (int i = 0; i < 100; ++i) {
            // Every tenth parcel sits right at the zone edge; sizes span 5 m to 5 km.
            double lon = zone.cm + zone.half_width * (2 * unit(rng) - 1);
            if (i % 10 == 0) lon = zone.cm + (i % 20 == 0 ? 1 : -1) * zone.half_width;
            double x = lon, y = 20 + 8 * unit(rng);
            to_plane.apply(x, y);
            const double radius = 5 * std::pow(500.0, unit(rng)); // 5 m .. 2.5 km
            const auto rings = random_parcel(rng, x, y, radius, i % 3 == 0);
            const auto g = polygon(rings);
            const double a = fast.area_m2(g.get()), b = exact.area_m2(g.get());
            const double q = area_by_quadrature(rings, x, y, crs, zone.proj);
            INFO("EPSG:" << zone.epsg << " parcel " << i << " radius " << radius);
            // The exact path carries the rounding of geod_inverse's area term, about 1e-5 m²
            // per edge (A4·(B42 − B41) in Karney's algorithm), random in sign.
            CHECK(std::abs(a - b) <= 1e-9 * b + 5e-5 * std::sqrt(densified_pieces(rings)));
            CHECK(a == Approx(q).epsilon(1e-9));
            worst_exact = std::max(worst_exact, std::abs(a / b - 1));
            worst_quadrature = std::max(worst_quadrature, std::abs(a / q - 1));
        }
        WARN("EPSG:" << zone.epsg
                     << " worst relative difference of the fast path: " << worst_quadrature
                     << " from quadrature, " << worst_exact << " from the exact path");
    }
}

TEST_CASE("area_m2 can be called from several threads at once", "[area]") {
    const Crs gk = Crs::from_epsg(4545);
    const AreaCalculator calc(gk);
    std::mt19937_64 rng(7);
    std::vector<geos::GeomPtr> parcels;
    for (int i = 0; i < 40; ++i) // both paths: 10 m .. 20 km
        parcels.push_back(polygon(
            random_parcel(rng, 450000 + 2000 * i, 2700000, 10 * std::pow(1.2, i), i % 2 == 0)));
    std::vector<double> serial;
    for (const auto& p : parcels)
        serial.push_back(calc.area_m2(p.get()));

    std::vector<std::vector<double>> results(4);
    std::vector<std::thread> threads;
    for (auto& out : results)
        threads.emplace_back([&calc, &parcels, &out] {
            for (int round = 0; round < 5; ++round) {
                out.clear();
                for (const auto& p : parcels)
                    out.push_back(calc.area_m2(p.get()));
            }
        });
    for (auto& t : threads)
        t.join();
    for (const auto& out : results)
        CHECK(out == serial);
}

TEST_CASE("planar area is the area in the CRS's plane in m2", "[area]") {
    const auto square = geos::from_wkt(
        "POLYGON((500000 2650000,500100 2650000,500100 2650100,500000 2650100,500000 2650000),"
        "(500010 2650010,500010 2650020,500020 2650020,500020 2650010,500010 2650010))");
    const AreaCalculator gk(Crs::from_epsg(4545), AreaMode::planar);
    CHECK(gk.mode() == AreaMode::planar);
    CHECK(gk.area_m2(square.get()) == Approx(9900.0).epsilon(1e-12));

    // A CRS in US survey feet: 1 ftUS = 1200/3937 m.
    const AreaCalculator feet(Crs::from_epsg(2263), AreaMode::planar);
    const double ft = 1200.0 / 3937.0;
    CHECK(feet.area_m2(square.get()) == Approx(9900.0 * ft * ft).epsilon(1e-12));

    CHECK_THROWS_AS(AreaCalculator(Crs::from_epsg(4490), AreaMode::planar), UsageError);
    CHECK_THROWS_AS(AreaCalculator(Crs{}), DataError);
}

TEST_CASE("coordinates that cannot be in the CRS give a DataError", "[area]") {
    // Gauss-Kruger metres labelled as CGCS2000 degrees, and absurd projected numbers.
    const auto metres =
        geos::from_wkt("POLYGON((500000 2650000,500100 2650000,500100 2650100,500000 2650000))");
    CHECK_THROWS_AS(AreaCalculator(Crs::from_epsg(4490)).area_m2(metres.get()), DataError);
    const auto huge = geos::from_wkt("POLYGON((0 0,1e12 0,1e12 1e12,0 0))");
    CHECK_THROWS_AS(AreaCalculator(Crs::from_epsg(4545)).area_m2(huge.get()), DataError);
}

TEST_CASE("ellipsoidal area of a parcel differs from planar area by the GK scale", "[area]") {
    // DOMAIN.md §5.3: at the zone edge (1.5° from CM, 24.3°N) the areal distortion is
    // 0.057 %; planar area is larger than the ellipsoidal area by that much.
    const Crs gk = Crs::from_epsg(4545);
    double x = 109.5, y = 24.3;
    Transform(Crs::from_epsg(4490), gk).apply(x, y);
    const auto g = polygon({{{x, y}, {x + 100, y}, {x + 100, y + 100}, {x, y + 100}, {x, y}}});
    const double planar = AreaCalculator(gk, AreaMode::planar).area_m2(g.get());
    const double ellipsoidal = AreaCalculator(gk).area_m2(g.get());
    CHECK(planar / ellipsoidal - 1 == Approx(0.00057).epsilon(0.02));
}
