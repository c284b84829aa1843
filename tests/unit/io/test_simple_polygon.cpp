// The fast validity proof for one-ring polygons: never says "valid" when GEOS says
// invalid, and does prove the ordinary simple parcels it exists for.
#include <catch2/catch.hpp>

#include <cmath>
#include <geos_c.h>
#include <memory>
#include <ogr_geometry.h>
#include <random>
#include <vector>

#include "io/gdal_util.hpp"
#include "io/simple_polygon.hpp"
#include "soilrisk/core/geos.hpp"

using namespace soilrisk;

namespace {

geos::GeomPtr ring_polygon(const std::vector<std::pair<double, double>>& pts) {
    std::string wkt = "POLYGON((";
    char buf[96];
    for (std::size_t i = 0; i <= pts.size(); ++i) {
        const auto& [x, y] = pts[i % pts.size()];
        std::snprintf(buf, sizeof buf, "%s%.17g %.17g", i ? "," : "", x, y);
        wkt += buf;
    }
    return geos::from_wkt(wkt + "))");
}

bool geos_valid(const geos::Geom* g) {
    return GEOSisValid_r(geos::ctx(), g) == 1;
}

bool proven(const geos::Geom* g) {
    return io::detail::proven_simple_polygon(geos::ctx(), g);
}

} // namespace

TEST_CASE("simple polygon proof: plain cases", "[io][valid]") {
    auto check = [](const char* wkt, bool want_proven, bool want_valid) {
        INFO(wkt);
        const auto g = geos::from_wkt(wkt);
        CHECK(proven(g.get()) == want_proven);
        CHECK(geos_valid(g.get()) == want_valid);
    };
    check("POLYGON((0 0,10 0,10 10,0 10,0 0))", true, true);
    check("POLYGON((0 0,10 0,0 10,0 0))", true, true);                    // triangle
    check("POLYGON((0 0,10 0,10 0,10 10,0 10,0 0))", true, true);         // repeated vertex
    check("POLYGON((0 0,10 10,10 0,0 10,0 0))", false, false);            // bow tie
    check("POLYGON((0 0,10 0,10 10,5 0,0 10,0 0))", false, false);        // touches an edge
    check("POLYGON((0 0,4 0,4 4,2 0,0 4,0 0))", false, false);            // touches a vertex
    check("POLYGON((0 0,10 0,10 10,10 5,10 20,0 10,0 0))", false, false); // spike back
    check("POLYGON((0 0,5 0,10 0,10 10,0 10,0 0))", false, true);         // collinear: ask GEOS
    check("POLYGON((0 0,10 0,20 0,0 0))", false, false);                  // no area
    check("POLYGON((0 0,10 0,10 10,0 10,0 0),(2 2,3 2,3 3,2 2))", false, true); // a hole
    check("MULTIPOLYGON(((0 0,1 0,1 1,0 0)),((5 5,6 5,6 6,5 5)))", false, true);
    check("POLYGON EMPTY", false, true);
}

TEST_CASE("simple polygon proof: agrees with GEOS on random rings", "[io][valid]") {
    std::mt19937 rng(20261202);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    int proven_count = 0, simple_count = 0, invalid_count = 0;
    for (int t = 0; t < 3000; ++t) {
        // Star-shaped rings (simple) around a Gauss-Krüger-sized origin, and the same
        // vertices shuffled (mostly self-crossing).
        const int n = 3 + static_cast<int>(unit(rng) * 60);
        const double cx = 36.5e6 + unit(rng) * 1e5, cy = 2.7e6 + unit(rng) * 1e5;
        std::vector<std::pair<double, double>> pts;
        for (int i = 0; i < n; ++i) {
            const double a = 2 * M_PI * (i + 0.9 * unit(rng)) / n, r = 20 + 40 * unit(rng);
            pts.emplace_back(cx + r * std::cos(a), cy + r * std::sin(a));
        }
        if (t % 3 == 2) std::shuffle(pts.begin(), pts.end(), rng);
        const auto g = ring_polygon(pts);
        const bool valid = geos_valid(g.get());
        const bool p = proven(g.get());
        INFO("ring " << t << " of " << n << " vertices");
        if (p) CHECK(valid); // never a false proof
        if (t % 3 != 2) {
            ++simple_count;
            CHECK(valid);
            if (p) ++proven_count;
        } else if (!valid) {
            ++invalid_count;
            CHECK_FALSE(p);
        }
    }
    // Every star-shaped ring is simple; all but rings with (nearly) collinear turns are
    // proven without GEOS.
    CHECK(simple_count == 2000);
    CHECK(proven_count >= 1990);
    CHECK(invalid_count > 800);
}

TEST_CASE("polygons reach GEOS exactly as OGR's own conversion gives them", "[io][valid]") {
    // Closed 2D rings go straight from OGR's coordinates to GEOS; the rest through
    // OGRGeometry::exportToGEOS. Either way the same geometry, vertex for vertex.
    for (const char* wkt :
         {"POLYGON((500000.125 2700000.5,500100 2700000,500100 2700100,500000 2700100,"
          "500000.125 2700000.5))",
          "POLYGON((0 0,10 0,10 10,0 10,0 0),(2 2,2 3,3 3,3 2,2 2),(5 5,5 6,6 6,5 5))",
          "MULTIPOLYGON(((0 0,1 0,1 1,0 0)),((5 5,6 5,6 6,5 6,5 5),(5.2 5.2,5.2 5.4,5.4 5.4,"
          "5.2 5.2)))",
          "MULTIPOLYGON(((0 0,1 0,1 1,0 0)))", "POLYGON((0 0,10 10,10 0,0 10,0 0))",
          "POLYGON((0 0,10 0,10 10,0 0),(1 1,2 1,2 2))", // an open hole: OGR's path
          "POLYGON EMPTY", "MULTIPOLYGON EMPTY", "POLYGON((0 0,1 0,0 0))"}) {
        INFO(wkt);
        OGRGeometry* raw = nullptr;
        REQUIRE(OGRGeometryFactory::createFromWkt(wkt, nullptr, &raw) == OGRERR_NONE);
        std::unique_ptr<OGRGeometry> g(raw);
        geos::GeomPtr via_ogr(g->exportToGEOS(geos::ctx()));
        io::IngestedGeometry in;
        try {
            in = io::ingest_geometry(*g, io::GeometryKind::polygon, io::InvalidPolicy::fix, "t");
        } catch (const std::exception&) {
            CHECK_FALSE(via_ogr); // only what OGR cannot convert either
            continue;
        }
        REQUIRE(via_ogr);
        if (in.status == io::IngestedGeometry::keep) {
            REQUIRE(in.geom);
            CHECK(GEOSGeomTypeId_r(geos::ctx(), in.geom.get()) ==
                  GEOSGeomTypeId_r(geos::ctx(), via_ogr.get()));
            CHECK(GEOSEqualsExact_r(geos::ctx(), in.geom.get(), via_ogr.get(), 0.0) == 1);
        } else {
            CHECK(GEOSisValid_r(geos::ctx(), via_ogr.get()) == 0); // repaired or dropped
        }
    }
}
