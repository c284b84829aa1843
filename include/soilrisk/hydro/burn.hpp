// Stream burning: river lines rasterised onto a DEM grid, and the grid's header read
// without its cells (to rasterise lines before a DEM is loaded, e.g. for a cache key).
//
// Rasterising. Each segment of a line, in fractional cell coordinates (u, v) =
// ((x − x0) / pixel width, (y − y0) / pixel height), is sampled at n + 1 evenly spaced
// points, n = ceil(2 · max(|Δu|, |Δv|)): consecutive samples are at most half a cell
// apart along each axis, so their cells differ by at most one column and one row and
// the cells of a line form an 8-connected chain (a D8 path can walk along it, diagonal
// steps included). The cell of a sample is the one containing it (a sample on a cell
// edge goes to the cell on its right / below). Parts of a line off the grid are
// skipped; a line leaving and re-entering the grid gives two chains. Works the same on
// projected and geographic grids (coordinates in the grid's CRS).
//
// Burning lowers the elevations of those cells by a fixed depth (nodata cells stay
// nodata). A uniform depth keeps the DEM's own relief along the river, so the
// conditioned D8 directions follow the river in the direction its DEM cells fall.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "soilrisk/core/geos.hpp"
#include "soilrisk/hydro/grid.hpp"

namespace soilrisk::hydro {

/// The cells of `g` along a linear geometry (LineString, LinearRing, MultiLineString or a
/// collection of them; empty geometries give none), in the grid's CRS: sorted, without
/// duplicates. Throws DataError for points and polygons.
std::vector<std::size_t> line_cells(const GridGeometry& g, const geos::Geom* line);

/// Lowers `z` at `cells` by `depth` (NaN cells stay NaN).
void burn_cells(std::vector<float>& z, const std::vector<std::size_t>& cells, double depth);

} // namespace soilrisk::hydro
