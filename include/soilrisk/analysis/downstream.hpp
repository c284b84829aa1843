// Farmland downstream of pollution sources (`soilrisk downstream`).
//
// Inputs: the flow grids of a DEM (filled surface and D8 directions from the
// Priority-Flood conditioning of hydro/flow.hpp, accumulation) and farmland / sources
// in the DEM's CRS. Lengths in true metres (hydro/grid.hpp), elevations in the DEM's
// unit (metres), areas in m² (core/area.hpp, ellipsoidal by default).
//
// Rivers (optional, `--rivers`). A DEM often misses the real channel: 30 m cells blur a
// narrow valley, and bridges, embankments and dams block it. When a river network is
// supplied its lines are burned into the DEM before conditioning (hydro/burn.hpp: an
// 8-connected chain of cells per line, lowered by `burn depth`), then filled and directed
// as usual. The trench is the lowest route wherever it runs, so a D8 path that reaches a
// river cell stays on the river; the depth is uniform, so along the river the water runs
// the way the DEM's own cells fall. The default depth, 50 m, exceeds the vertical error
// of the 30 m global DEMs (SRTM, ASTER GDEM, Copernicus: RMSE about 5–15 m, worse in
// steep terrain) and the height of the embankments and bridge decks they keep, so a
// river stays below its banks past them. The neighbours of a river cell drain into it
// unless their own ground falls more steeply than the burned step (50 m per cell), so a
// deeper burn changes little. A barrier on the line higher than the depth (a DEM ridge
// across a misplaced river line) makes the trench above it a depression that fills to
// bank level, and the path may leave the river there.
// The burn only decides directions: heights (HAND below) come from the filled surface of
// the unburned DEM, conditioned a second time for that purpose, so land next to a river
// stands at its true height above it, not that plus the burn depth. Each flow path
// reports the chainage where it first meets a river cell (river_join_chainage_m).
//
// Algorithm, per source (in parallel over sources; results in source order):
//  1. trace: the D8 path from the source's start cell (hydro::trace_downstream: a
//     point's cell, a polygon's cell of highest accumulation) up to `reach_m` along the
//     path. Each source is traced on its own (no merging), so two sources draining into
//     one valley both cover the shared reach with their own chainage.
//  2. affected zone: in the window of the path's bounding box grown by `corridor_m`,
//     every cell follows D8 (memoised: each cell is resolved once, linear time) to the
//     first path cell it reaches (its join cell, vertex v). The cell is affected when
//       - it is a path cell (the path itself is always affected), or its flow enters the
//         path laterally: at a vertex v >= 1, from a cell draining no more cells than
//         the path's own previous vertex. Flow entering at the start vertex, or from a
//         larger channel (the main river upstream of the confluence where the path
//         meets it), comes from land upstream of the source: water from the source does
//         not reach it;
//       - its distance to the join cell is at most `corridor_m`, and
//       - its height above the join cell on the filled surface (HAND: height above
//         nearest drainage, here the traced path) is at most `max_height_m`.
//     Land across a ridge drains to another valley and never joins, however low it is;
//     hillsides higher than `max_height_m` above the path are left out. Flows that leave
//     the window before joining count as not joining (they pass farther than the
//     corridor from the path).
//  3. the affected cells are turned into a polygon (row runs of cell squares, coverage
//     union: exact cell edges) and overlaid with the farmland (packed R-tree candidates,
//     prepared containment for whole parcels, GEOS OverlayNG intersection otherwise).
//     Per piece: chainage of first contact = least join chainage of the affected cells
//     the piece touches, height above path = least HAND of those cells, straight-line
//     distance from the source geometry (planar, projected grids; from the start cell's
//     centre, geodesic, on geographic grids).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "soilrisk/core/area.hpp"
#include "soilrisk/core/geos.hpp"
#include "soilrisk/core/progress.hpp"
#include "soilrisk/hydro/flow.hpp"
#include "soilrisk/hydro/grid.hpp"
#include "soilrisk/hydro/network.hpp"
#include "soilrisk/io/table.hpp"
#include "soilrisk/io/vector.hpp"
#include "soilrisk/io/vector_writer.hpp"

namespace soilrisk::analysis {

/// Flow grids of one DEM: filled surface (NaN = nodata), D8 (internal codes),
/// accumulated cells; with rivers, the burned cells (D8 and accumulation are those of
/// the burned DEM, `filled` is the filled surface of the unburned one).
struct FlowGrids {
    hydro::GridGeometry geometry;
    std::vector<float> filled;
    std::vector<std::uint8_t> d8;
    std::vector<std::uint32_t> acc;
    std::vector<std::size_t> river_cells; ///< burned cells, sorted (empty: no rivers)
    double burn_depth_m = 0;              ///< 0: no rivers

    /// Whether `cell` is a burned river cell.
    bool on_river(std::size_t cell) const;
};

/// River lines to burn into a DEM before conditioning (see the header comment).
struct RiverBurn {
    const io::Layer* rivers = nullptr; ///< lines in the DEM's CRS; null: no burning
    double depth_m = 50;               ///< lowering of river cells, in the DEM's unit (m)
};

/// The cells the lines of `burn.rivers` burn into grid `g` (hydro::line_cells, all
/// features). Throws UsageError for a depth that is not positive, DataError naming the
/// file when the layer's CRS differs from the grid's, when it holds no features, features
/// that are not lines, or no line crossing the grid. Logs how many lines and cells.
std::vector<std::size_t> river_cells(const hydro::GridGeometry& g, const RiverBurn& burn);

/// Provenance entries of a burn for soilrisk_about tables: "rivers" (file and layer, or
/// "none"), and with rivers "burn_depth_m" and "rivers_method".
std::vector<std::pair<std::string, std::string>> river_about(const RiverBurn& burn);

/// Conditions a DEM in memory (fill, D8, accumulation; `dem.z` becomes the filled
/// surface). With rivers, D8 and accumulation come from the DEM burned along them and
/// the filled surface from the unburned DEM (two Priority-Flood passes; peak memory
/// about 10 bytes per cell, within load_dem's 15-byte budget).
FlowGrids flow_grids(hydro::Dem dem, hydro::NodataAs nodata_as = hydro::NodataAs::outlet,
                     Progress progress = {}, const RiverBurn& burn = {});

/// Flow grids of the DEM at `dem_path`, cached in `cache_dir` (created if needed) under a
/// key made of the DEM file's SHA-256 (io::file_sha256), the nodata mode, with
/// `warp.crs` set the reprojection (the DEM is reprojected as it is loaded:
/// hydro::DemWarp, only when its CRS differs or a cell size is given) and, with rivers,
/// the SHA-256 of the burned cells' indices and the burn depth: a second run reads
/// filled.tif and d8.tif back instead of conditioning again (accumulation is recomputed:
/// it is linear and fast). Keying on the burned cells rather than on the river files
/// catches every change that alters the grids — another file, another layer, a
/// --rivers-where filter, a PostGIS table — and reuses the entry when an edit leaves the
/// cells as they were. An empty `cache_dir` disables the cache. `cache_hit` (optional)
/// says which happened.
FlowGrids load_flow_grids(const std::string& dem_path, const std::string& cache_dir,
                          hydro::NodataAs nodata_as = hydro::NodataAs::outlet,
                          const hydro::DemWarp& warp = {}, Progress progress = {},
                          bool* cache_hit = nullptr, const RiverBurn& burn = {});

/// Polygon (MultiPolygon or Polygon; null when the mask is empty) covering the cells
/// set in a `cols` × `rows` mask window starting at (col0, row0) of `g`, in g's CRS:
/// exact cell edges (row runs joined by coverage union).
geos::GeomPtr mask_polygon(const hydro::GridGeometry& g, int col0, int row0, int cols, int rows,
                           const std::vector<std::uint8_t>& mask);

/// The start cell of a source: a point's cell; a polygon's cell of highest accumulation
/// (as hydro::trace_downstream); a line's first point. nullopt off the DEM / on nodata.
std::optional<std::size_t> source_start_cell(const FlowGrids& grids, const geos::Geom* geom);

struct DownstreamOptions {
    double reach_m = 10000;   ///< length of the traced path from the source (m)
    double corridor_m = 500;  ///< greatest distance of an affected cell from its join cell
    double max_height_m = 10; ///< greatest height above the join cell (HAND, m)
    /// Chainage band edges (m), increasing, leading 0 implied: 0–2, 2–5, 5–10 km.
    std::vector<double> bands = {0, 2000, 5000, 10000};
    AreaMode area = AreaMode::ellipsoidal;
    io::Lang lang = io::Lang::zh;
};

struct DownstreamSource {
    io::Value id;
    std::string name;
    std::size_t feature = 0;
    hydro::TracePath path; ///< empty cells: the source lies outside the DEM
    /// Chainage (m) of the path's first river cell (FlowGrids::river_cells); nullopt when
    /// the path meets no river (or no rivers were burned).
    std::optional<double> river_join_m;
    geos::GeomPtr zone; ///< affected zone polygon (null: none)
    double zone_area_m2 = 0;
    std::uint64_t zone_cells = 0;
};

struct DownstreamPiece {
    std::uint32_t source = 0, parcel = 0; ///< indices into sources / farmland features
    int category = 0;
    double chainage_m = 0; ///< chainage of first contact along the path
    double distance_m = 0; ///< straight-line distance from the source
    double height_m = 0;   ///< least height above the path (HAND) of the piece's cells
    double area_m2 = 0;
    std::shared_ptr<geos::Geom> geom; ///< null: the whole parcel
};

struct DownstreamResult {
    std::vector<DownstreamSource> sources;
    std::vector<DownstreamPiece> pieces; ///< ordered by (source, parcel)
    std::vector<double> bands;           ///< band edges with the leading 0
};

/// Runs the analysis. `farmland` (polygons with a "category" role) and `sources`
/// (points or polygons; lines use their first point) must be in the grid's CRS
/// (DataError otherwise). Throws UsageError for bad options, DataError for a reached
/// parcel without a category 1/2/3.
DownstreamResult downstream_analysis(const FlowGrids& grids, const io::Layer& farmland,
                                     const io::Layer& sources, const DownstreamOptions& options,
                                     Progress progress = {});

/// Rectangles (one per source with a path, in the grid's CRS) outside which no parcel
/// can be reached: each path's bounding box grown by the corridor and a cell. Traces
/// only (cheap): for io::VectorReader::set_spatial_filter before reading the farmland.
std::vector<Extent> downstream_reach(const FlowGrids& grids, const io::Layer& sources,
                                     const DownstreamOptions& options);

/// Area table: per source × chainage band × category (1–3) rows with parcels (distinct),
/// area_m2, area_mu, area_ha; bands by the piece's chainage of first contact. Columns:
/// source_id, source_name, band_from_m, band_to_m, category, parcels, area_m2, area_mu,
/// area_ha. Pieces beyond the last band edge fall in a last open band (to_m empty).
io::Table downstream_summary(const DownstreamResult& result, const DownstreamOptions& options);

/// Sources ranked by affected area of category 3, then 2, then total (then input order).
/// Columns as near_ranking(): rank, source_id, source_name, area_cat3_mu, area_cat2_mu,
/// area_cat1_mu, area_total_mu, area_cat3_m2, area_cat2_m2, area_cat1_m2, area_total_m2,
/// parcels.
io::Table downstream_ranking(const DownstreamResult& result);

/// Combines rankings with the columns of near_ranking() (e.g. near's surrounding and
/// downstream's) by source_id: areas and parcel counts are summed (a parcel both near a
/// source and downstream of it counts in both: "surrounding and downstream"), then ranked
/// as above. Adds columns near/downstream cat-3 areas when exactly two tables are given
/// (area_cat3_mu_<suffix[i]>). Source order of first appearance breaks ties.
io::Table combined_ranking(const std::vector<const io::Table*>& rankings,
                           const std::vector<std::string>& suffixes);

/// Logs a ranking table (log_info), one line per source, first `top` rows.
void log_ranking(const io::Table& ranking, const std::string& title, std::size_t top = 10);

/// Writes OUT.gpkg with layers flow_paths (LineString, length, stop reason,
/// river_join_chainage_m: null when the path meets no river), corridors (affected zones:
/// MultiPolygon), downstream_parcels (source_id, parcel_id, category, chainage_m, distance_m,
/// height_above_path_m, area_m2, area_mu, area_ha) and the attribute tables downstream_summary,
/// downstream_ranking; and `table` (.xlsx or .csv; may be empty). Atomic; OutputExistsError without
/// overwrite. `extra` tables (e.g. a combined ranking) are added to both. `styles`: the layers'
/// QGIS styles (render::output_styles("downstream", …)); SLD sidecars, when requested, are listed
/// last among the paths written.
std::vector<std::string> write_downstream_outputs(
    const DownstreamResult& result, const io::Layer& farmland, const FlowGrids& grids,
    const DownstreamOptions& options, const std::string& gpkg, const std::string& table,
    bool overwrite, const std::vector<std::pair<std::string, std::string>>& about,
    const std::vector<const io::Table*>& extra = {}, const io::OutputStyles& styles = {});

} // namespace soilrisk::analysis
