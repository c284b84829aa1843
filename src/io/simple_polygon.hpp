// A fast proof that a polygon of one ring is valid, so that GEOS's full validity check
// (IsValidOp, which nodes the whole ring) runs only for polygons that may not be.
#pragma once

#include <geos_c.h>

#include "soilrisk/core/geos.hpp"

namespace soilrisk::io::detail {

/// True only when `g` is a Polygon without holes whose ring is certainly simple: finite
/// coordinates, closed, at least three distinct vertices, consecutive edges meeting only
/// at their shared vertex (never collinear) and no other two edges meeting at all. Each
/// decision is an orientation sign proven by a floating-point error bound (Shewchuk,
/// "Adaptive precision floating-point arithmetic and fast robust geometric predicates",
/// Discrete Comput. Geom. 18 (1997), the ccwerrboundA filter), so a true answer is one
/// GEOS's exact predicates agree with. False means "not proven" (holes, several parts,
/// collinear or touching edges, a crossing, a sign too close to call): ask GEOS.
bool proven_simple_polygon(GEOSContextHandle_t ctx, const geos::Geom* g);

} // namespace soilrisk::io::detail
