#include "soilrisk/spatial/nearest.hpp"

#include <algorithm>
#include <geos_c.h>
#include <map>
#include <utility>

#include "soilrisk/core/error.hpp"
#include "soilrisk/spatial/index.hpp"
#include "soilrisk/spatial/overlay.hpp"

namespace soilrisk::spatial {

namespace {

bool is_polygonal(GEOSContextHandle_t ctx, const geos::Geom* g) {
    const int t = GEOSGeomTypeId_r(ctx, g);
    return t == GEOS_POLYGON || t == GEOS_MULTIPOLYGON;
}

bool is_puntal(GEOSContextHandle_t ctx, const geos::Geom* g) {
    const int t = GEOSGeomTypeId_r(ctx, g);
    return t == GEOS_POINT || t == GEOS_MULTIPOINT;
}

/// The points that stand for a source in the diagram.
std::vector<std::pair<double, double>> sites_of(GEOSContextHandle_t ctx, const geos::Geom* g,
                                                double spacing) {
    std::vector<std::pair<double, double>> out;
    if (!g || GEOSisEmpty_r(ctx, g) != 0) return out;
    geos::GeomPtr line;
    const geos::Geom* src = g;
    if (!is_puntal(ctx, g)) {
        geos::GeomPtr boundary =
            is_polygonal(ctx, g) ? geos::check(GEOSBoundary_r(ctx, g), "boundary") : nullptr;
        line = geos::check(GEOSDensify_r(ctx, boundary ? boundary.get() : g, spacing), "densify");
        src = line.get();
    }
    geos::GeomPtr pts = geos::check(GEOSGeom_extractUniquePoints_r(ctx, src), "points");
    const int n = GEOSGetNumGeometries_r(ctx, pts.get());
    for (int i = 0; i < n; ++i) {
        double x = 0, y = 0;
        const GEOSGeometry* p = GEOSGetGeometryN_r(ctx, pts.get(), i);
        GEOSGeomGetX_r(ctx, p, &x);
        GEOSGeomGetY_r(ctx, p, &y);
        out.emplace_back(x, y);
    }
    return out;
}

} // namespace

std::vector<geos::GeomPtr> nearest_regions(const std::vector<const geos::Geom*>& sources,
                                           const Extent& cover, double spacing) {
    const auto ctx = geos::ctx();
    if (!(spacing > 0)) throw UsageError("nearest regions: spacing must be positive");
    const std::size_t n = sources.size();
    std::vector<geos::GeomPtr> regions(n);
    auto empty = [&] { return geos::check(GEOSGeom_createEmptyPolygon_r(ctx), "empty polygon"); };

    // Sites, each owned by the first source that has it.
    std::map<std::pair<double, double>, std::size_t> owner;
    for (std::size_t s = 0; s < n; ++s)
        for (const auto& xy : sites_of(ctx, sources[s], spacing))
            owner.emplace(xy, s);
    std::vector<std::pair<double, double>> sites;
    std::vector<std::size_t> site_owner;
    Extent all = cover;
    for (const auto& [xy, s] : owner) {
        sites.push_back(xy);
        site_owner.push_back(s);
        all.min_x = std::min(all.min_x, xy.first);
        all.max_x = std::max(all.max_x, xy.first);
        all.min_y = std::min(all.min_y, xy.second);
        all.max_y = std::max(all.max_y, xy.second);
    }
    // A margin so that cells are clipped well outside the area of interest.
    const double margin = std::max(all.max_x - all.min_x, all.max_y - all.min_y) + 1.0;
    geos::GeomPtr frame =
        rectangle(all.min_x - margin, all.min_y - margin, all.max_x + margin, all.max_y + margin);

    std::vector<std::vector<const geos::Geom*>> cells(n);
    geos::GeomPtr diagram;
    std::size_t owners = 0;
    {
        std::vector<bool> seen(n, false);
        for (auto s : site_owner)
            if (!seen[s]) seen[s] = true, ++owners;
    }
    if (owners == 1) {
        regions[site_owner[0]] = geos::clone(frame.get());
    } else if (owners > 1) {
        std::vector<GEOSGeometry*> pts;
        pts.reserve(sites.size());
        for (const auto& [x, y] : sites)
            pts.push_back(geos::check(GEOSGeom_createPointFromXY_r(ctx, x, y), "point").release());
        geos::GeomPtr mp =
            geos::check(GEOSGeom_createCollection_r(ctx, GEOS_MULTIPOINT, pts.data(),
                                                    static_cast<unsigned>(pts.size())),
                        "multipoint");
        diagram = geos::check(GEOSVoronoiDiagram_r(ctx, mp.get(), frame.get(), 0.0, 0), "voronoi");
        // Each cell contains exactly one site: find it through an index of the sites.
        std::vector<Extent> boxes;
        boxes.reserve(sites.size());
        for (const auto& [x, y] : sites)
            boxes.push_back({x, y, x, y});
        const EnvelopeIndex index(boxes);
        const int ncells = GEOSGetNumGeometries_r(ctx, diagram.get());
        for (int c = 0; c < ncells; ++c) {
            const GEOSGeometry* cell = GEOSGetGeometryN_r(ctx, diagram.get(), c);
            geos::PreparedPtr prep(GEOSPrepare_r(ctx, cell));
            for (auto i : index.query(envelope(cell))) {
                geos::GeomPtr p = geos::check(
                    GEOSGeom_createPointFromXY_r(ctx, sites[i].first, sites[i].second), "point");
                if (GEOSPreparedContains_r(ctx, prep.get(), p.get()) == 1) {
                    cells[site_owner[i]].push_back(cell);
                    break;
                }
            }
        }
        for (std::size_t s = 0; s < n; ++s) {
            if (cells[s].empty()) continue;
            std::vector<GEOSGeometry*> parts;
            for (const auto* c : cells[s])
                parts.push_back(GEOSGeom_clone_r(ctx, c));
            geos::GeomPtr coll =
                geos::check(GEOSGeom_createCollection_r(ctx, GEOS_MULTIPOLYGON, parts.data(),
                                                        static_cast<unsigned>(parts.size())),
                            "cells");
            // Cells form a coverage: the fast coverage union applies; fall back if not.
            GEOSGeometry* u = GEOSCoverageUnion_r(ctx, coll.get());
            regions[s] = u ? geos::GeomPtr(u)
                           : geos::check(GEOSUnaryUnion_r(ctx, coll.get()), "union of cells");
        }
    }
    for (auto& r : regions)
        if (!r) r = empty();

    // The inside of polygon sources belongs to them (the first where they overlap).
    std::vector<std::size_t> polys;
    for (std::size_t s = 0; s < n; ++s)
        if (sources[s] && is_polygonal(ctx, sources[s]) && GEOSisEmpty_r(ctx, sources[s]) == 0)
            polys.push_back(s);
    if (!polys.empty()) {
        std::vector<const geos::Geom*> pg;
        for (auto s : polys)
            pg.push_back(sources[s]);
        geos::GeomPtr all_polys = union_all(pg);
        geos::GeomPtr earlier; // union of the polygon sources before the current one
        std::vector<geos::GeomPtr> own(n);
        for (auto s : polys) {
            own[s] = earlier ? difference(sources[s], earlier.get()) : geos::clone(sources[s]);
            earlier = earlier ? union_all({earlier.get(), sources[s]}) : geos::clone(sources[s]);
        }
        for (std::size_t s = 0; s < n; ++s) {
            geos::GeomPtr outside = difference(regions[s].get(), all_polys.get());
            regions[s] = own[s] ? union_all({outside.get(), own[s].get()}) : std::move(outside);
        }
    }
    return regions;
}

} // namespace soilrisk::spatial
