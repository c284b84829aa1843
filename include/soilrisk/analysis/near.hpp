// Farmland around pollution sources, ring by ring (`soilrisk near`).
//
// Each source (mine shaft or enterprise as a point, a line, a tailings pond or site as a
// polygon) gets rings measured from its geometry: 0–r1, r1–r2, … metres (for a polygon,
// bands outside its edge, and the polygon itself as the ring "inside", 0–0 m). Rings are
// GEOS buffers with `quad_segs` segments per quarter circle: see spatial/buffer.hpp for
// the area they miss (65, the default, keeps a ring within 0.01 % of the true annulus).
//
// Two views of the same farmland:
//  - by source: every (source, ring, parcel) piece; rings of different sources overlap,
//    so a parcel near two mines counts for both (each mine's own surroundings);
//  - nearest source: each piece of farmland belongs to its nearest source only
//    (spatial/nearest.hpp), then to that source's ring, so that totals over sources are
//    not double counted.
//
// Pieces are GEOS OverlayNG intersections (spatial/overlay.hpp) of parcels with rings;
// a parcel that lies wholly inside one ring (decided from exact distance bounds for point
// sources, prepared-geometry predicates otherwise) is taken whole without an overlay.
// Candidates come from a packed R-tree on the parcels; the work is split across threads
// (TBB) and results are identical for any thread count, in the order
// (source, ring, parcel). Areas: core/area.hpp (ellipsoidal or planar), in m².
//
// Inputs are in one metric working CRS (io::read_vector with a target CRS).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "soilrisk/core/area.hpp"
#include "soilrisk/core/geos.hpp"
#include "soilrisk/core/progress.hpp"
#include "soilrisk/io/table.hpp"
#include "soilrisk/io/vector.hpp"
#include "soilrisk/io/vector_writer.hpp"
#include "soilrisk/spatial/buffer.hpp"

namespace soilrisk::analysis {

struct NearOptions {
    /// Ring edges in metres, increasing; a leading 0 is implied ("500,1000,2000" means
    /// 0–500, 500–1000, 1000–2000).
    std::vector<double> rings = {0, 500, 1000, 2000};
    int quad_segs = spatial::kDefaultQuadSegs;
    /// Snap-rounding grid for the overlays in metres (0: full floating precision).
    double grid_size = 0;
    AreaMode area = AreaMode::ellipsoidal;
    /// Farmland roles (or field names) to break the tables down by, e.g. {"county"}.
    std::vector<std::string> by;
    io::Lang lang = io::Lang::zh;
};

/// One ring. Ring 0 is always "inside" (only polygon sources have pieces in it).
struct NearRing {
    double from_m = 0, to_m = 0;
    bool inside = false;
};

struct NearSource {
    io::Value id;     ///< the "id" role (or *_id field), else the feature id
    std::string name; ///< the "name" role, or ""
    std::size_t feature = 0;
    bool polygonal = false;
    /// Per ring: the ring polygon (ring 0: the source polygon; null where not applicable).
    std::vector<geos::GeomPtr> rings;
    /// Per ring: the ring within the source's nearest region (for maps).
    std::vector<geos::GeomPtr> nearest_rings;
};

struct NearPiece {
    std::uint32_t source = 0, ring = 0;
    std::uint32_t parcel = 0;         ///< index into the farmland layer's features
    std::shared_ptr<geos::Geom> geom; ///< null: the whole parcel
    double area_m2 = 0;
    double distance_m = 0; ///< nearest distance from the source to the piece
    /// By-source pieces: 1 + the index of the same piece, whole, in the nearest-source
    /// view (its fid there); 0 when the piece is not in that view whole.
    std::uint32_t nearest_fid = 0;
    /// Nearest-source view: the piece was cut by the boundary between sources' regions
    /// (it has a geometry of its own, not that of a by-source piece).
    bool region_cut = false;
};

struct NearStats {
    std::size_t pairs = 0; ///< (source, parcel) candidates from the index
    std::size_t whole = 0; ///< pieces taken whole (no overlay)
    std::size_t cut = 0;   ///< pieces from an overlay
};

struct NearResult {
    std::vector<NearRing> rings;
    std::vector<NearSource> sources;
    std::vector<NearPiece> pieces;      ///< by source, ordered by (source, ring, parcel)
    std::vector<NearPiece> nearest;     ///< nearest source, same order
    std::vector<double> parcel_area_m2; ///< per farmland feature (0 where not reached)
    std::vector<int> parcel_category;   ///< per farmland feature (0 where not reached)
    NearStats stats;
};

/// Ring list from edges (see NearOptions::rings): inside ring first, then the bands.
/// Throws UsageError when there is no positive edge or edges do not increase.
std::vector<NearRing> make_rings(const std::vector<double>& edges);

/// Rectangles (one per source, in the sources' CRS) outside which no farmland can reach
/// any ring: for io::VectorReader::set_spatial_filter, so that only those parcels are read.
std::vector<Extent> near_reach(const io::Layer& sources, const std::vector<double>& rings,
                               int quad_segs);

/// Runs the analysis. `farmland`: polygons with a "category" role (1/2/3, see
/// categories.hpp); `sources`: points, lines or polygons; both in the same metric CRS.
/// Throws DataError (naming file, layer, feature and field) for a parcel within reach of
/// a source whose category is not 1/2/3, for CRSs that differ or are not projected, and
/// for non-polygon farmland; UsageError for bad options; Cancelled from `progress`.
NearResult near_analysis(const io::Layer& farmland, const io::Layer& sources,
                         const NearOptions& options, Progress progress = {});

enum class NearView { by_source, nearest };

/// Area table. Columns: source_id, source_name, ring_from_m, ring_to_m, category,
/// [category_name when `names`], one per `by` role, parcels, area_m2, area_mu, area_ha.
/// Per source and ring: one row per category 1–3 (× `by` values found), then the ring
/// total (category "all"); then the source total over its rings (category "all").
/// Then the overall rows, source_id "all", from the nearest-source view (never double
/// counted): per ring and category, ring totals and the grand total. Total rows are
/// exactly those with source_id or category equal to "all". `parcels` counts distinct
/// parcels.
io::Table near_summary(const NearResult& result, const io::Layer& farmland, NearView view,
                       const NearOptions& options, bool names = false);

/// Sources ranked by area of category 3 (严格管控类), then category 2, then input order,
/// in the by-source view over all rings. Columns: rank, source_id, source_name,
/// area_cat3_mu, area_cat2_mu, area_cat1_mu, area_total_mu, area_cat3_m2, area_cat2_m2,
/// area_cat1_m2, area_total_m2, parcels.
io::Table near_ranking(const NearResult& result, const NearOptions& options);

/// Logs the first `top` rows of a near_ranking() table (log_info), one line per source.
void log_near_ranking(const io::Table& ranking, io::Lang lang, std::size_t top = 10);

/// The pieces as a table for a GeoPackage layer, with their geometries (the parcel's
/// own geometry for whole pieces; pointers into `result` and `farmland`). Columns:
/// source_id, source_name, ring_from_m, ring_to_m, parcel_id, category, one per `by`
/// role, area_m2, area_mu, area_ha, parcel_area_m2, parcel_area_mu, parcel_area_ha,
/// share (piece / parcel, 0–1), distance_m; the by-source view then nearest_fid (the
/// piece's fid in the nearest-source view when it is there whole, else empty).
io::Table near_pieces_table(const NearResult& result, const io::Layer& farmland, NearView view,
                            const NearOptions& options, std::vector<const geos::Geom*>& geometries);

/// The pieces of the nearest-source view that the boundary between sources' regions cut
/// (the others are by-source pieces whole): the columns of the nearest view's
/// near_pieces_table() then nearest_fid, their fid in that view. Named
/// near_pieces_nearest_cut.
io::Table near_nearest_cut_table(const NearResult& result, const io::Layer& farmland,
                                 const NearOptions& options,
                                 std::vector<const geos::Geom*>& geometries);

/// The rings as a table with their geometries (null rings left out). Columns:
/// source_id, source_name, ring_from_m, ring_to_m, area_m2, area_mu, area_ha.
io::Table near_rings_table(const NearResult& result, NearView view, const AreaCalculator& area,
                           std::vector<const geos::Geom*>& geometries);

/// Where write_near_outputs() writes.
struct NearOutputs {
    /// GeoPackage (.gpkg): layers near_pieces, near_pieces_nearest, near_rings,
    /// near_rings_nearest and the attribute tables near_summary, near_summary_nearest,
    /// near_ranking, with provenance metadata. near_pieces_nearest is a view (read-only,
    /// no spatial index of its own) of the by-source pieces that are whole in the
    /// nearest-source view (near_pieces.nearest_fid) and of the layer
    /// near_pieces_nearest_cut, the pieces cut by the boundary between sources' regions:
    /// most pieces are stored once. Or a PostGIS connection ("PG:…", with
    /// active_schema=SCHEMA: see io::postgis_output) for the same layers as tables
    /// (near_pieces_nearest a table there).
    std::string gpkg;
    /// Optional table: .xlsx (sheets near_summary, near_summary_nearest, near_ranking,
    /// about; labels in options.lang) or .csv (near_summary in T.csv, the other two in
    /// T_nearest.csv and T_ranking.csv; stable machine column names).
    std::string table;
    bool overwrite = false;
    std::vector<std::pair<std::string, std::string>> about; ///< provenance key/values
    /// QGIS styles of the layers (render::output_styles("near", …)); SLD sidecars, when
    /// requested, are listed last among the paths written.
    io::OutputStyles styles;
};

/// Throws UsageError unless `outputs.gpkg` ends in .gpkg (or is PG:…) and `outputs.table`
/// is empty or ends in .csv/.xlsx; OutputExistsError when one exists (PostGIS: one of the
/// tables) and !overwrite; IoError when a PostGIS output cannot be connected to. No I/O
/// beyond checking for existence: call before the analysis.
void check_near_outputs(const NearOutputs& outputs);

/// Writes all outputs (each atomically). Returns the paths written (passwords redacted).
std::vector<std::string> write_near_outputs(const NearResult& result, const io::Layer& farmland,
                                            const NearOptions& options, const NearOutputs& outputs);

/// Provenance of a run: parameters, CRS, methods (for NearOutputs::about).
std::vector<std::pair<std::string, std::string>> near_about(const NearOptions& options,
                                                            const io::Layer& farmland,
                                                            const io::Layer& sources,
                                                            const std::string& command_line);

} // namespace soilrisk::analysis
