// What the flow grids answer: stream networks, downstream traces and upstream
// catchments. Inputs are the grid geometry, the D8 directions (internal codes, see
// flow.hpp) and the accumulation; coordinates are in the grid's CRS; lengths in true
// metres (geodesics on geographic grids, see grid.hpp); areas in m² (sums of true cell
// areas).
//
// Streams: cells whose upstream area (including themselves) is at least the threshold.
// They are cut into segments at heads, confluences and outlets; each segment is a line
// through cell centres from its first cell to the cell it flows into (the confluence
// cell, shared with the downstream segment, so lines connect), with its Strahler order
// (A. N. Strahler, "Quantitative analysis of watershed geomorphology", Trans. AGU 38
// (1957) 913–920: heads are 1; where two or more tributaries of the highest order k meet
// the order becomes k + 1, else it stays k), its upstream area at its last own cell,
// and the id of the downstream segment.
//
// Traces follow D8 directions from a source's start cell: a point starts in the cell
// that contains it; a polygon starts at its cell of highest accumulation (the cell
// where the water of the polygon leaves it; ties: first cell in row-major order). Cells
// of a polygon are those whose centre lies inside it, or the cell containing an interior
// point when it covers no centre. The path is the polyline through cell centres with
// the chainage (true metres from the start cell) at each vertex. It stops at
//   - max_length: the next vertex would be beyond the maximum length (the path ends at
//     the last vertex within it);
//   - nodata / dem_edge: at an outlet cell next to nodata / on the DEM edge, where the
//     water leaves the DEM (nodata wins when both hold);
//   - outlet: at any other outlet (wall mode: lowest cell of an enclosed region);
//   - merged: at the first cell already on the path of an earlier source (in input
//     order). The junction cell is the path's last vertex and merged_into names the
//     earlier source, so a shared reach is written once. Results do not depend on the
//     number of threads.
//
// Catchments: every cell that drains into a target's cells, the targets included, as a
// mask window; optional snapping moves a point target to the cell of highest
// accumulation whose centre lies within the snap radius (ties: the nearest, then first).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "soilrisk/core/geos.hpp"
#include "soilrisk/hydro/flow.hpp"
#include "soilrisk/hydro/grid.hpp"

namespace soilrisk::hydro {

// --- streams --------------------------------------------------------------------

struct StreamSegment {
    int id = 0;
    int downstream_id = -1; ///< segment this one flows into (-1: none)
    int strahler = 1;
    double upstream_area_m2 = 0; ///< at the segment's last own cell
    std::uint32_t upstream_cells = 0;
    double length_m = 0;
    std::vector<std::size_t> cells; ///< vertices (the last may be the confluence cell)
};

/// Throws UsageError when min_area_m2 <= 0, DataError when acc has no areas on a
/// geographic grid (on projected grids the counts suffice).
std::vector<StreamSegment> extract_streams(const GridGeometry& g,
                                           const std::vector<std::uint8_t>& d8,
                                           const Accumulation& acc, double min_area_m2);

// --- sources and targets ----------------------------------------------------------

/// A point or polygon given in the grid's CRS, with the user's id.
struct Site {
    std::string id;
    bool is_point = true;
    double x = 0, y = 0;            ///< the point (points only)
    std::vector<std::size_t> cells; ///< its valid cells (empty: outside the DEM/nodata)
};

/// The site of a point or polygon (GEOS geometry in the grid's CRS; Point/MultiPoint use
/// their first point, Polygon/MultiPolygon their cells). Throws DataError for other
/// geometry types. Nodata cells are left out.
Site make_site(const GridGeometry& g, const std::vector<float>& z, const std::string& id,
               const geos::Geom* geom);

/// Reads points or polygons from a vector file (any OGR source; `layer` may be empty
/// when the source has one layer), reprojects them to the grid's CRS and makes their
/// sites. Ids come from `id_field` (case-insensitive; default: a field named "id",
/// else the feature id). Throws IoError (cannot open), UsageError (layer missing or
/// ambiguous), DataError (no CRS while the grid has one, unsupported geometry).
/// Interim: moves onto io::VectorReader once that lands.
std::vector<Site> read_sites(const std::string& path, const std::string& layer,
                             const std::string& id_field, const GridGeometry& g,
                             const std::vector<float>& z);

// --- traces ---------------------------------------------------------------------

enum class StopReason { max_length, dem_edge, nodata, outlet, merged };
const char* to_string(StopReason r);

struct TracePath {
    std::string source_id;
    std::size_t start_cell = 0;
    std::vector<std::size_t> cells; ///< vertices from the start cell downstream
    std::vector<double> chainage_m; ///< per vertex, 0 at the start cell
    StopReason stop = StopReason::outlet;
    std::string merged_into; ///< for StopReason::merged
    double length_m() const { return chainage_m.empty() ? 0.0 : chainage_m.back(); }
};

/// One path per site with cells (sites outside the DEM are skipped with a warning).
/// max_length_m <= 0: unlimited.
std::vector<TracePath> trace_downstream(const GridGeometry& g, const std::vector<std::uint8_t>& d8,
                                        const std::vector<std::uint32_t>& acc_cells,
                                        const std::vector<Site>& sites, double max_length_m);

// --- catchments -----------------------------------------------------------------

struct Snap {
    std::size_t cell = 0;
    double distance_m = 0; ///< from the given point to the chosen cell's centre
};

/// The cell of highest accumulation within radius_m of (x, y) (radius 0: the cell
/// containing the point). Throws DataError when no valid cell is within reach.
Snap snap_to_accumulation(const GridGeometry& g, const std::vector<std::uint32_t>& acc_cells,
                          double x, double y, double radius_m);

struct Catchment {
    std::string target_id;
    int col0 = 0, row0 = 0, cols = 0, rows = 0; ///< mask window in the grid
    std::vector<std::uint8_t> mask;             ///< cols × rows, 1 = contributes
    std::uint64_t cells = 0;
    double area_m2 = 0;
    std::size_t outlet_cell = 0; ///< the target's (first/snapped) cell
    double snap_distance_m = 0;
};

/// Upstream catchments of the sites (one per site with cells), in parallel.
std::vector<Catchment> upstream_catchments(const GridGeometry& g,
                                           const std::vector<std::uint8_t>& d8,
                                           const std::vector<Site>& sites);

} // namespace soilrisk::hydro
