// Dense (加密) soil sampling: where sampling is short, and a field-ready plan.
//
// 1. Deficit per unit. Units are the polygons of a units layer (county, township,
//    village), or square cells of `cell_m` metres, or — when neither is given — the
//    values of the farmland's `county` field. Each parcel is split between the units it
//    overlaps (units layer, cells); areas are ellipsoidal (CGCS2000, see core/area.hpp)
//    unless planar is asked for. Per unit: farmland area by category (1/2/3), target
//    farmland area, existing soil samples (all in the unit, and those on target
//    farmland), samples per 100 亩 of target farmland, the number required and the
//    deficit = max(0, required − samples on target farmland), where
//      required = ceil(target_mu / 100 × density_per_100mu)     (density form), or
//      required = ceil(target_m2 / spacing_m²)                   (spacing form).
//    Units are ranked by deficit × strict-control (category 3) area in 亩, then deficit,
//    then target area, then unit code.
//
//    Default requirement: 1 sample per 100 亩 (6.67 ha; the same as a ≈258 m square
//    grid). This is a LOCAL CHOICE, not a national figure: the density of the 详查 rules
//    (环办土壤函〔2017〕1021号) and of 加密 sampling of strict-control farmland could not
//    be found (see DOMAIN.md §3); HJ/T 166-2004's 2.5–40 km regional grids are far too
//    coarse for parcel-level infill. Set `density_per_100mu` or `spacing_m` from the
//    bureau's rules.
//
// 2. Designs. New points are placed only inside the target farmland of the deficient
//    units (the frame), kept `inset_m` inside parcel edges where the parcel allows it (a
//    handheld GPS errs by 3–5 m), at least `min_distance_m` from each other and from
//    every existing sample. Existing samples on the frame are legacy sites: they count
//    towards the design (see each design) and appear in the plan with kind "legacy".
//    - grid: squares of `spacing` with a random start (origin offset uniform in
//      [0, spacing)²); each cell whose frame part holds no legacy site gets one point:
//      the cell centre when it lies in the frame, else the nearest frame point in the
//      cell (the cell's frame area is recorded); cells without frame get none.
//    - stratified: strata are county × category; points uniformly at random (by area)
//      per stratum. Sizes are given per stratum (new points), or `n` + legacy sites are
//      allocated in proportion to stratum area (largest remainder) and each stratum's
//      legacy sites are subtracted.
//    - balanced, GRTS (default): generalized random tessellation stratified sampling
//      (D. L. Stevens, A. R. Olsen, "Spatially balanced sampling of natural resources",
//      JASA 99 (2004) 262–278), as spsurvey does it for polygon frames: the frame is
//      turned into a fine point frame (max(4096, 64·(n + oversample + legacy)) equal-
//      probability points), points get hierarchically randomised quadrant addresses
//      (spatial::grts_addresses), n + oversample are drawn systematically with a random
//      start along the address order, and the drawn points are put in reverse
//      hierarchical order: the first n are the sample, the rest the ordered oversample
//      (replacements for inaccessible points, used in order; every run of consecutive
//      points is spread out). A drawn point that breaks the minimum distance is replaced
//      by the next clear frame point along the address order (a spatial neighbour).
//    - balanced, BAS (`balanced_method = bas`): Balanced Acceptance Sampling (B. L.
//      Robertson, J. A. Brown, T. McDonald, P. Jaksons, "BAS: Balanced acceptance
//      sampling of natural resources", Biometrics 69 (2013) 776–784): the Halton sequence
//      (bases 2, 3) with a random start over the frame's bounding box, accepting points in
//      the frame in sequence order; the points after the first n are the oversample. BAS
//      balances with respect to the bounding box, so on a sparse frame (scattered
//      parcels over a county) GRTS, which follows the frame, balances better.
//    In both, legacy sites count: n new points are placed (n defaults to the total
//    deficit, which already subtracts them) and no new point comes closer than the
//    minimum distance to a legacy site, so new points fill the gaps between them. (A
//    simplification of the inclusion-probability adjustment of S. D. Foster et al.,
//    "Spatially balanced designs that incorporate legacy sites", Methods Ecol. Evol. 8
//    (2017) 1433–1442.)
//    The same seed gives the same plan bit for bit (portable RNG, serial placement); the
//    thread count never matters. Points that cannot be placed are counted with a reason.
//    Requested sizes a stratum cannot hold (more than the bound of
//    spatial::max_points_bound at the minimum distance, or any point in an empty
//    stratum) are a UsageError before any point is placed.
//
// 3. Quality. Points per stratum; achieved density per unit (in the deficit table);
//    nearest-neighbour distances (min, median) of new + legacy points; the spatial
//    balance of new + legacy points on the frame: Voronoi polygons of the points (clipped
//    to the frame's bounding box), v_i = n · area(V_i ∩ frame) / area(frame) (equal
//    inclusion probabilities), statistic var = mean((v_i − 1)²) (D. L. Stevens, A. R.
//    Olsen, "Spatially balanced sampling of natural resources", JASA 99 (2004) 262–278;
//    0 = perfect balance; simple random samples give about 0.28 on a plain square — the
//    variance of normalised Poisson–Voronoi cell areas — and more on scattered frames)
//    and Pielou's evenness 1 + Σ p_i ln p_i / ln n, p_i = v_i / n, as spsurvey's
//    sp_balance reports it (0 = perfect). Both
//    are compared with simple random samples of the same size from the same frame,
//    averaged over `srs_replicates` seeds.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "soilrisk/core/area.hpp"
#include "soilrisk/core/crs.hpp"
#include "soilrisk/core/geos.hpp"
#include "soilrisk/core/progress.hpp"
#include "soilrisk/io/table.hpp"
#include "soilrisk/io/vector.hpp"
#include "soilrisk/io/vector_writer.hpp"

namespace soilrisk::analysis {

enum class SamplingDesign { none, grid, stratified, balanced };
enum class BalancedMethod { grts, bas };
/// Parses "grts" / "bas"; throws UsageError otherwise.
BalancedMethod parse_balanced_method(std::string_view text);
/// Parses "none" / "grid" / "stratified" / "balanced"; throws UsageError otherwise.
SamplingDesign parse_sampling_design(std::string_view text);
const char* to_string(SamplingDesign d);

/// Parses "N-per-100mu" / "N" (samples per 100 亩), e.g. "1.5-per-100mu". Throws
/// UsageError naming `what` when not a positive number.
double parse_density(std::string_view text, std::string_view what);

/// Parses per-stratum sizes "450225-3=10,450226-3=4" (stratum key = county code or
/// county name, '-', category code). Throws UsageError naming `what`.
std::map<std::string, long long> parse_stratum_sizes(std::string_view text, std::string_view what);

/// Default requirement (a local choice; see the header comment).
inline constexpr double kDefaultDensityPer100Mu = 1.0;
/// Default minimum distance between points (m): a local choice, about the width of a few
/// paddy fields; closer samples mostly describe the same field.
inline constexpr double kDefaultMinDistanceM = 100.0;
/// Default inset of points from parcel edges (m): a few times a handheld GPS's error.
inline constexpr double kDefaultInsetM = 5.0;

struct SamplingOptions {
    /// Requirement: `spacing_m` > 0 wins over `density_per_100mu`.
    double density_per_100mu = kDefaultDensityPer100Mu;
    double spacing_m = 0;
    /// Square units of this size (m) when no units layer is given (0: county field).
    double cell_m = 0;
    /// Target farmland filter (io::AttributeFilter syntax); "" = all farmland.
    std::string target;
    SamplingDesign design = SamplingDesign::balanced;
    BalancedMethod balanced_method = BalancedMethod::grts;
    /// New points (balanced; stratified proportional). -1: the total deficit.
    long long n = -1;
    /// Stratified: new points per stratum key ("450225-3"); empty = proportional.
    std::map<std::string, long long> sizes;
    /// Balanced: ordered replacement points after the n main points.
    long long oversample = 0;
    double min_distance_m = kDefaultMinDistanceM;
    double inset_m = kDefaultInsetM;
    std::uint64_t seed = 1;
    /// Sample every unit with target farmland, not only the deficient ones.
    bool all_units = false;
    /// Point id pattern: {county_code} {county} {category} {stratum} {design} {unit}
    /// {nnn} (3-digit number within county code × category) {n} (the same, unpadded)
    /// {order} (position in the plan).
    std::string id_pattern = "{county_code}-{category}-{nnn}";
    /// Simple random samples averaged for the balance comparison.
    int srs_replicates = 5;
    /// Balanced: most Halton candidates tried before giving up.
    long long max_candidates = 50'000'000;
    AreaMode area_mode = AreaMode::ellipsoidal;
    io::Lang lang = io::Lang::zh;
};

/// Inputs, all in one projected working CRS. Farmland roles: category (required), county,
/// county_code, id (parcel id), village (optional). Samples: any points (role id for
/// their ids). Units roles: code (else id, else field adcode), name.
struct SamplingInputs {
    const io::Layer* farmland = nullptr;
    const io::Layer* samples = nullptr; ///< optional
    const io::Layer* units = nullptr;   ///< optional
    /// Optional zones (e.g. downstream farmland, mine surroundings): target farmland must
    /// intersect one of them, grown by `within_distance_m`.
    const io::Layer* within = nullptr;
    double within_distance_m = 0;
};

struct PlanPoint {
    std::string id;
    std::string kind; ///< "main", "oversample", "legacy"
    std::string stratum, county, county_code, unit, parcel_id, village;
    int category = 0;
    long long order = 0;      ///< 1.. in the plan (legacy: 0)
    double x = 0, y = 0;      ///< working CRS, m
    double lon = 0, lat = 0;  ///< CGCS2000 degrees, rounded to 6 decimals
    double cell_area_m2 = -1; ///< grid design: frame area of the point's cell
};

struct SamplingResult {
    io::Table deficit;                     ///< ranked units with achieved density
    std::vector<geos::GeomPtr> unit_geoms; ///< per deficit row (null for field units)
    std::vector<PlanPoint> points;         ///< legacy first, then the plan in order
    io::Table plan;                        ///< one row per point (GeoPackage layer "plan")
    io::Table field_sheet;                 ///< new points, blank columns for the field team
    io::Table strata;                      ///< points per stratum
    io::Table quality;                     ///< metric / value
    io::Table unplaced;                    ///< stratum / count / reason
    std::vector<std::string> summary;      ///< lines for the terminal
    std::vector<std::pair<std::string, std::string>> about; ///< provenance
    long long placed = 0, not_placed = 0, legacy = 0;
    double balance_var = -1, srs_balance_var = -1; ///< -1 when not computed
};

/// Runs steps 1–3. Throws UsageError for impossible requests (sizes, unknown strata,
/// non-projected CRS), DataError for unusable data (missing roles, bad categories).
SamplingResult plan_sampling(const SamplingInputs& inputs, const SamplingOptions& options,
                             Progress progress = {});

/// GPX 1.1 waypoints (lat/lon in WGS84 degrees; CGCS2000 coordinates are used as they are,
/// the two frames differ by centimetres) named by point id, for handheld GPS. New points
/// only (legacy sites are not waypoints). Atomic; throws OutputExistsError/IoError.
void write_gpx(const std::vector<PlanPoint>& points, const std::string& path, bool overwrite);

/// KML 2.2 placemarks named by point id, one folder per stratum, replacements in their own
/// folder. New points only. Atomic.
void write_kml(const std::vector<PlanPoint>& points, const std::string& path, bool overwrite,
               const std::string& title);

/// One file written by write_sampling_outputs.
struct SamplingOutput {
    std::string path, kind, description;
};

/// Writes every output of a plan into folder `dir` (which must exist), named after `name`:
///   NAME.gpkg            layers plan (points, working CRS), units (deficit table with unit
///                        polygons, or attributes only), strata, quality, unplaced, and
///                        provenance (soilrisk_about)
///   NAME.gpx, NAME.kml   new points (main, then oversample), named by point id
///   NAME.xlsx            sheets field_sheet, deficit, strata, quality, unplaced, about
///                        (headers in `lang`)
///   NAME_field_sheet.csv, NAME_deficit.csv, NAME_quality.csv   (UTF-8 with BOM)
/// When the design is none, only the deficit outputs (gpkg units, xlsx, deficit CSV).
/// Each file is atomic. Throws OutputExistsError/IoError. `styles`: the QGIS styles of
/// the GeoPackage layers (render::output_styles("plan-sampling", …)), with SLD sidecars
/// NAME_<layer>.sld on request.
std::vector<SamplingOutput>
write_sampling_outputs(const SamplingResult& result, SamplingDesign design, const Crs& crs,
                       const std::string& dir, const std::string& name, io::Lang lang,
                       bool overwrite,
                       const std::vector<std::pair<std::string, std::string>>& extra_about = {},
                       const io::OutputStyles& styles = {});

} // namespace soilrisk::analysis
