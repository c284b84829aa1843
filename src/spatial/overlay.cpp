#include "soilrisk/spatial/overlay.hpp"

#include <geos_c.h>

#include <algorithm>

#include "soilrisk/core/error.hpp"
#include "soilrisk/spatial/index.hpp"

namespace soilrisk::spatial {

geos::GeomPtr intersection(const geos::Geom* a, const geos::Geom* b, double grid_size) {
    const auto ctx = geos::ctx();
    if (grid_size > 0)
        return geos::check(GEOSIntersectionPrec_r(ctx, a, b, grid_size), "intersection");
    return geos::check(GEOSIntersection_r(ctx, a, b), "intersection");
}

geos::GeomPtr intersection_near(const geos::Geom* a, const geos::Geom* b, double grid_size) {
    const auto ctx = geos::ctx();
    const Extent ea = envelope(a), eb = envelope(b);
    const double size = std::max(ea.max_x - ea.min_x, ea.max_y - ea.min_y);
    const double margin = 0.05 * size + 4 * grid_size;
    if (!ea.valid() || !eb.valid() || !(size > 0) || !(margin > 0))
        return intersection(a, b, grid_size);
    const Extent window{ea.min_x - margin, ea.min_y - margin, ea.max_x + margin, ea.max_y + margin};
    if (eb.min_x >= window.min_x && eb.min_y >= window.min_y && eb.max_x <= window.max_x &&
        eb.max_y <= window.max_y)
        return intersection(a, b, grid_size); // b is small already
    if (eb.min_x > ea.max_x || eb.max_x < ea.min_x || eb.min_y > ea.max_y || eb.max_y < ea.min_y)
        return geos::check(GEOSGeom_createEmptyPolygon_r(ctx), "empty polygon");
    geos::GeomPtr part(
        GEOSClipByRect_r(ctx, b, window.min_x, window.min_y, window.max_x, window.max_y));
    if (part) {
        if (GEOSisEmpty_r(ctx, part.get()) == 1)
            return geos::check(GEOSGeom_createEmptyPolygon_r(ctx), "empty polygon");
        const int type = GEOSGeomTypeId_r(ctx, part.get());
        if (type == GEOS_POLYGON || type == GEOS_MULTIPOLYGON) {
            geos::GeomPtr out(grid_size > 0 ? GEOSIntersectionPrec_r(ctx, a, part.get(), grid_size)
                                            : GEOSIntersection_r(ctx, a, part.get()));
            if (out) return out;
        }
    }
    return intersection(a, b, grid_size);
}

geos::GeomPtr difference(const geos::Geom* a, const geos::Geom* b, double grid_size) {
    const auto ctx = geos::ctx();
    if (grid_size > 0) return geos::check(GEOSDifferencePrec_r(ctx, a, b, grid_size), "difference");
    return geos::check(GEOSDifference_r(ctx, a, b), "difference");
}

geos::GeomPtr union_all(const std::vector<const geos::Geom*>& geoms) {
    const auto ctx = geos::ctx();
    std::vector<GEOSGeometry*> parts;
    parts.reserve(geoms.size());
    for (const auto* g : geoms)
        parts.push_back(GEOSGeom_clone_r(ctx, g));
    geos::GeomPtr coll =
        geos::check(GEOSGeom_createCollection_r(ctx, GEOS_GEOMETRYCOLLECTION, parts.data(),
                                                static_cast<unsigned>(parts.size())),
                    "collection");
    return geos::check(GEOSUnaryUnion_r(ctx, coll.get()), "union");
}

geos::GeomPtr polygonal(geos::GeomPtr g) {
    const auto ctx = geos::ctx();
    if (!g || GEOSisEmpty_r(ctx, g.get()) != 0) return nullptr;
    const int type = GEOSGeomTypeId_r(ctx, g.get());
    if (type == GEOS_POLYGON || type == GEOS_MULTIPOLYGON)
        return planar_area(g.get()) > 0 ? std::move(g) : nullptr;
    if (type != GEOS_GEOMETRYCOLLECTION) return nullptr;
    std::vector<GEOSGeometry*> polys;
    const int n = GEOSGetNumGeometries_r(ctx, g.get());
    for (int i = 0; i < n; ++i) {
        const GEOSGeometry* part = GEOSGetGeometryN_r(ctx, g.get(), i);
        const int t = GEOSGeomTypeId_r(ctx, part);
        if (t == GEOS_POLYGON) {
            polys.push_back(GEOSGeom_clone_r(ctx, part));
        } else if (t == GEOS_MULTIPOLYGON) {
            for (int k = 0; k < GEOSGetNumGeometries_r(ctx, part); ++k)
                polys.push_back(GEOSGeom_clone_r(ctx, GEOSGetGeometryN_r(ctx, part, k)));
        }
    }
    if (polys.empty()) return nullptr;
    geos::GeomPtr out =
        polys.size() == 1
            ? geos::GeomPtr(polys[0])
            : geos::check(GEOSGeom_createCollection_r(ctx, GEOS_MULTIPOLYGON, polys.data(),
                                                      static_cast<unsigned>(polys.size())),
                          "multipolygon");
    return planar_area(out.get()) > 0 ? std::move(out) : nullptr;
}

double planar_area(const geos::Geom* g) {
    double a = 0;
    if (!g || GEOSArea_r(geos::ctx(), g, &a) != 1) return 0;
    return a;
}

geos::GeomPtr rectangle(double min_x, double min_y, double max_x, double max_y) {
    return geos::check(GEOSGeom_createRectangle_r(geos::ctx(), min_x, min_y, max_x, max_y),
                       "rectangle");
}

} // namespace soilrisk::spatial
