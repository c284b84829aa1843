// Buffers (GEOS, round caps and joins) and what their polygon approximation costs.
//
// GEOS approximates a circular arc by chords whose ends lie on the true arc: a point
// buffered with `quad_segs` = q is the regular polygon with n = 4q vertices on the circle
// of the buffer distance. Its area is (n/2) r² sin(2π/n), so the relative area deficit
// of a disc (and of any annulus between two such polygons, which share n) is
//     ε(q) = 1 − sin(x)/x,  x = 2π/n = π/(2q),  ε ≈ x²/6.
// Buffers of lines and polygons are exact along their straight parts and have the same
// arcs at the ends and convex corners, so their relative deficit is at most ε(q).
// The polygon lies between the circles of radius r·cos(π/n) (inscribed) and r.
//
// All distances in metres, in the (metric) CRS of the geometry.
#pragma once

#include "soilrisk/core/geos.hpp"

namespace soilrisk::spatial {

/// ε(q) above: relative area deficit of a disc or annulus buffered with `quad_segs`.
double buffer_area_deficit(int quad_segs);

/// Smallest quad_segs with buffer_area_deficit(q) <= `relative_error` (e.g. 1e-4 -> 65).
/// Throws UsageError when `relative_error` is not in (0, 1).
int quad_segs_for(double relative_error);

/// cos(π/(4q)): the buffer polygon of distance r contains every point within
/// r·inscribed_factor(q) of the geometry.
double inscribed_factor(int quad_segs);

/// Default quad_segs of soilrisk: the smallest keeping a ring's area within 0.01 % of the
/// true annulus (quad_segs_for(1e-4) == 65; GEOS's own default of 8 gives 0.64 %).
inline constexpr int kDefaultQuadSegs = 65;

/// Buffer of `g` by `distance` metres (>= 0) with round caps and joins. Distance 0 of a
/// polygon gives a copy of the polygon; of a point or line, an empty polygon.
/// Throws Error when GEOS fails, UsageError when quad_segs < 1.
geos::GeomPtr buffer(const geos::Geom* g, double distance, int quad_segs);

} // namespace soilrisk::spatial
