// Distances from a point to a polygon, computed directly on the coordinates (no GEOS
// overlay): the nearest and the farthest distance, which bound the rings a polygon can
// reach around a point source.
#pragma once

#include "soilrisk/core/geos.hpp"

namespace soilrisk::spatial {

struct DistanceRange {
    double min = 0; ///< 0 when the point lies inside the polygon (or on its edge)
    double max = 0; ///< farthest vertex: exact, distance to a point is convex
};

/// Distance range from (x, y) to a Polygon or MultiPolygon (holes count for `min`).
/// Other geometry types: both 0 and `ok` false.
DistanceRange point_polygon_distance(double x, double y, const geos::Geom* polygon,
                                     bool* ok = nullptr);

} // namespace soilrisk::spatial
