// Nearest-source regions: the part of the plane closer to one source than to any other,
// so that farmland near several sources can be counted once.
//
// Point sources: the exact Voronoi cells of the points (GEOS Voronoi diagram, from the
// Delaunay triangulation). Lines and polygons: their boundaries are represented by points
// every `spacing` metres and the cells of one source merged; a point at distance d from a
// straight edge is then misjudged by at most spacing²/(8d), so only farmland whose
// distances to two sources differ by less than that can be assigned to the wrong one.
// The inside of a polygon source always belongs to it (distance 0); where source
// polygons overlap, to the first of them. Sources at the same place: the first one gets
// the region, the others an empty one. Ties on a shared edge have zero area.
#pragma once

#include <vector>

#include "soilrisk/core/crs.hpp"
#include "soilrisk/core/geos.hpp"

namespace soilrisk::spatial {

/// One region per source (in order), together covering at least `cover` (CRS units).
/// `spacing` > 0 is used for lines and polygons only. Empty sources get empty regions.
/// Throws Error when GEOS fails.
std::vector<geos::GeomPtr> nearest_regions(const std::vector<const geos::Geom*>& sources,
                                           const Extent& cover, double spacing);

} // namespace soilrisk::spatial
