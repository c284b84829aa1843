// Overlay of polygons with GEOS OverlayNG (GEOS >= 3.9: GEOSIntersection_r and friends
// run OverlayNG; the legacy overlay is never used), optionally snap-rounded to a grid.
//
// Reference: M. Davis, "OverlayNG", GEOS/JTS (2020), overlayng/OverlayNG.h.
#pragma once

#include <vector>

#include "soilrisk/core/geos.hpp"

namespace soilrisk::spatial {

/// a ∩ b. `grid_size` > 0 snap-rounds the result (and the noding) to that grid, in CRS
/// units; 0 keeps full floating precision. Throws Error naming the operation on failure.
geos::GeomPtr intersection(const geos::Geom* a, const geos::Geom* b, double grid_size = 0);
/// a ∩ b for a small `a` and a large `b` (a ring around a source, a region): `b` is first
/// cut to a rectangle around `a`'s envelope (GEOS rectangle clipping, which keeps `b`'s
/// own vertices and edges inside the rectangle), so that OverlayNG nodes only the part of
/// `b` near `a`. The rectangle clears `a` by 5 % of its size (and 4 grid cells), so no new
/// edge comes near `a`: the same point set as intersection(a, b), at a fraction of the
/// cost when `b` has many more vertices than `a`. Falls back to intersection(a, b) when
/// the clipped part is not polygonal or the overlay of it fails.
geos::GeomPtr intersection_near(const geos::Geom* a, const geos::Geom* b, double grid_size = 0);
/// a \ b, as intersection().
geos::GeomPtr difference(const geos::Geom* a, const geos::Geom* b, double grid_size = 0);
/// Union of the geometries (polygons: one (Multi)Polygon). Empty input: empty collection.
geos::GeomPtr union_all(const std::vector<const geos::Geom*>& geoms);

/// The polygonal part of `g`: Polygon and MultiPolygon unchanged, the polygons of a
/// collection (OverlayNG may return touching lines and points beside polygons) as a
/// MultiPolygon. Null when `g` has no polygon of positive area.
geos::GeomPtr polygonal(geos::GeomPtr g);

/// Planar area in CRS units² (0 for non-polygonal geometry).
double planar_area(const geos::Geom* g);

/// An axis-aligned rectangle polygon.
geos::GeomPtr rectangle(double min_x, double min_y, double max_x, double max_y);

} // namespace soilrisk::spatial
