// Farmland category adjustment (耕地土壤环境质量类别动态调整) from soil and crop results.
//
// 1. Soil samples are judged under GB 15618-2018 (standards.hpp): for each element the
//    single-factor ratios P = C / S (screening) and C / G (intervention), with S for the
//    sample's pH band (upper edges inclusive) and land use. Class 1 when every C <= S,
//    class 3 when some C > G, else class 2 (a value equal to S is class 1, equal to G
//    class 2; MEE Q&A on GB 15618, DOMAIN.md §1.3). The limiting element is the one with
//    the largest intervention ratio in class 3, else the largest screening ratio. Cu, Ni
//    and Zn have no intervention value and never make class 3.
// 2. A sample's land use comes from the DLBM of the farmland parcel it lies in; the
//    sample's own land-use column is used outside parcels, and a disagreement is flagged.
// 3. Crop samples are graded against GB 2762 (edition chosen per run) by the rule
//    table's multiples of the limit; a unit's crop counts n1, n2, n3 feed the rule table.
// 4. Samples are assigned to parcels by one method (recorded in every output):
//    inside (samples in the parcel), nearest (nearest sample within a distance),
//    voronoi (Thiessen polygons of the samples clipped to the parcels; the cell covering
//    the largest share of a parcel decides), idw (inverse-distance weighting of each
//    element and of pH, evaluated area-weighted over a grid inside the parcel, then
//    judged with the parcel's land use).
// 5. Per parcel: current category, soil class, proposed category after the rule table,
//    the reason, and whether it is an upgrade (to a less restricted category, code
//    down) or a downgrade (code up). Tables: change matrix (from × to in parcels, m²,
//    亩, ha by county or --by), changed parcels, unchanged parcels with weak evidence,
//    safe-utilisation rate (受污染耕地安全利用率) by county and city against a target.
//
// All distances are metres in the layers' (common, metric) working CRS; concentrations
// mg/kg; areas from AreaCalculator (ellipsoidal by default).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "soilrisk/analysis/standards.hpp"
#include "soilrisk/core/area.hpp"
#include "soilrisk/core/geos.hpp"
#include "soilrisk/core/progress.hpp"
#include "soilrisk/io/table.hpp"
#include "soilrisk/io/vector.hpp"
#include "soilrisk/io/vector_writer.hpp"

namespace soilrisk::analysis {

// --- Measurements --------------------------------------------------------------------

/// One lab value as read from a sheet.
struct Measurement {
    enum class Kind { missing, value, below_dl };
    Kind kind = Kind::missing;
    /// The value (kind value), or the detection limit (kind below_dl; NaN when the cell
    /// only says "ND").
    double value = 0;
    bool decimal_comma = false; ///< the cell was text with a decimal comma ("0,35")
};

/// Parses a cell: numbers, text numbers (full-width digits "０．３５" too) with a
/// decimal point or a decimal comma ("0,35", flagged in
/// decimal_comma so that the caller can warn); below detection as "ND", "N.D.", "未检出",
/// "<DL", "<0.01", "＜0.01", "0.01L" (the L suffix of Chinese lab reports); empty, null
/// or NaN as missing. Throws DataError "<where>: ..." for other text (including "—",
/// units, hexadecimal, "inf"), for "1,200" (ambiguous: decimal comma or thousands
/// separator), for infinite numbers and for negative values.
/// With `allow_negative` (pH), negative numbers are values; the caller checks the range.
Measurement parse_measurement(const io::Value& v, const std::string& where,
                              bool allow_negative = false);

/// What a below-detection value counts as.
struct NdPolicy {
    enum class Mode { half_dl, dl, zero, fixed } mode = Mode::half_dl;
    double fixed = 0; ///< mg/kg, for Mode::fixed
    /// The substitute for a below-detection value; an "ND" without a limit counts as 0
    /// under half_dl and dl (the output marks the element as below detection).
    double substitute(const Measurement& m) const;
    std::string describe() const;
};
/// Parses "half" (half the detection limit), "dl", "zero" or a number (mg/kg).
NdPolicy parse_nd_policy(const std::string& text);

// --- Soil evaluation -----------------------------------------------------------------

struct Concentration {
    std::string element; ///< lower-case symbol
    double value = 0;    ///< mg/kg (after the below-detection substitute)
    bool below_dl = false;
};

struct ElementResult {
    std::string element;
    double value = 0;
    bool below_dl = false;
    double screening = 0;                     ///< S, mg/kg
    std::optional<double> intervention;       ///< G, mg/kg (none for Cu, Ni, Zn)
    double screening_ratio = 0;               ///< C / S
    std::optional<double> intervention_ratio; ///< C / G
    int element_class = 1;                    ///< 1, 2 or 3 for this element alone
};

struct SoilResult {
    int ph_band = 0;
    std::string landuse;
    std::vector<ElementResult> elements; ///< in the order given
    int soil_class = 1;                  ///< worst element class
    std::string limiting_element;        ///< "" when no element was measured
    double limiting_ratio = 0;           ///< its intervention ratio (class 3) or screening ratio
};

/// Judges one set of concentrations at `ph` and `landuse` (see the header comment).
/// Elements not in the standard are ignored. Precondition: finite pH in 0..14.
SoilResult evaluate_soil(const SoilStandard& standard, const std::vector<Concentration>& conc,
                         double ph, const std::string& landuse);

/// Class from aggregated per-element ratios (screening, optional intervention).
SoilResult classify_ratios(std::vector<ElementResult> elements);

// --- IDW -----------------------------------------------------------------------------

/// Inverse-distance weighting of several variables at once (e.g. pH and each element):
/// z(x) = Σ wᵢ zᵢ / Σ wᵢ with wᵢ = dᵢ^-power over the `max_neighbours` nearest points
/// that have a value for the variable, within `radius` (metres; 0 = unlimited). A point
/// at distance 0 gives its own value (the mean of coincident points). A variable has no
/// estimate (nullopt) when no point with a value is within the radius.
/// Shepard (1968), "A two-dimensional interpolation function for irregularly-spaced
/// data", Proc. 23rd ACM National Conference.
class Idw {
  public:
    struct Point {
        double x, y;
        std::vector<double> z; ///< one per variable; NaN = no value
    };
    /// All points have the same number of variables. Throws UsageError for power <= 0 or
    /// max_neighbours < 1.
    Idw(std::vector<Point> points, double power, double radius, int max_neighbours);
    ~Idw();
    Idw(Idw&&) noexcept;
    /// Estimates of every variable at (x, y); `used` receives the indexes of the points
    /// that contributed (appended, may repeat).
    std::vector<std::optional<double>> at(double x, double y,
                                          std::vector<int>* used = nullptr) const;
    std::size_t size() const;
    std::size_t variables() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// Area-weighted mean of the IDW surfaces over `polygon`: a grid of `cell` metres over
/// its envelope (the cell grows by 1.5× steps until there are at most `max_cells`
/// cells); each cell is weighted by its area inside the polygon and evaluated at its
/// centre when wholly inside, else at the centroid of its part inside. Per variable:
/// the mean over the parts that have an estimate, and their share of the area.
struct IdwMean {
    std::vector<std::optional<double>> values;
    std::vector<double> covered_share;
    std::vector<int> used; ///< indexes of the points that contributed, sorted, unique
};
IdwMean idw_polygon_mean(const Idw& idw, const GEOSGeom_t* polygon, double cell,
                         int max_cells = 400);

// --- Classification ------------------------------------------------------------------

enum class AssignMethod { inside, nearest, voronoi, idw };
/// Parses "inside" / "nearest" / "voronoi" (also "thiessen") / "idw".
AssignMethod parse_assign_method(const std::string& text);
const char* to_string(AssignMethod m);

struct ClassifyOptions {
    AssignMethod method = AssignMethod::inside;
    /// nearest: the largest distance to a sample; voronoi/idw: samples farther than this
    /// from a parcel make its evidence weak. Metres.
    double max_distance = 500;
    enum class Combine { worst, mean } combine = Combine::worst; ///< several samples per parcel
    double idw_power = 2;
    double idw_radius = 1000; ///< metres, 0 = unlimited
    int idw_max_neighbours = 12;
    double idw_cell = 10;             ///< grid cell inside parcels, metres
    std::optional<double> default_ph; ///< for samples without pH (else an error)
    std::string default_landuse;      ///< for samples outside parcels without land use
    NdPolicy nd;
    double crop_distance = 0; ///< crop samples within this distance of a parcel count
    std::string default_crop; ///< food key when the crop layer has no crop field
    std::vector<std::string> by = {"county"}; ///< farmland roles grouping the tables
    double sur_target = 0.91;                 ///< safe-utilisation target (share)
    bool sur_on_proposed = false;             ///< rate on proposed instead of current categories
    AreaMode area_mode = AreaMode::ellipsoidal;
    io::Lang lang = io::Lang::zh;
};

struct ClassifyInputs {
    const io::Layer* farmland = nullptr; ///< polygons; roles: id, category, dlbm, county, measures
    const io::Layer* samples = nullptr;  ///< points; roles: sample_id, ph, landuse, <element>
    const io::Layer* crops = nullptr;    ///< optional points; roles: sample_id, crop, <element>
    const SoilStandard* soil = nullptr;
    const FoodStandard* food = nullptr; ///< required when crops are given
    const RuleTable* rules = nullptr;
};

/// The outcome for one parcel (also a row of the parcels table).
struct ParcelResult {
    std::int64_t fid = -1;
    std::string parcel_id;
    int current = 0;    ///< 1..3, 0 when the farmland has no valid category
    int soil_class = 0; ///< 0 when no sample represents the parcel
    int proposed = 0;
    std::string landuse;
    std::string rule_id; ///< rule that changed the soil class ("" none)
    std::string limiting_element;
    double limiting_ratio = 0;
    std::vector<std::string> samples; ///< sample ids used
    std::optional<double> distance;   ///< metres to the nearest sample used
    double share = 0;                 ///< voronoi: share of the deciding cell; idw: coverage
    int crop_n[3] = {0, 0, 0};
    bool weak = false;
    std::optional<bool> measures;
    std::string reason;
    double area_m2 = 0;
    std::string change() const; ///< "upgrade", "downgrade", "unchanged", "new"
};

struct ClassifyResult {
    io::Table samples; ///< one row per soil sample
    std::vector<const GEOSGeom_t*> sample_geoms;
    io::Table crops; ///< one row per crop sample (empty without crops)
    std::vector<const GEOSGeom_t*> crop_geoms;
    io::Table parcels; ///< one row per farmland parcel
    std::vector<const GEOSGeom_t*> parcel_geoms;
    io::Table units; ///< voronoi: parcel ∩ Thiessen cell pieces
    std::vector<geos::GeomPtr> unit_geoms;
    io::Table change_matrix, changed, weak_evidence, safe_utilisation;
    std::vector<ParcelResult> parcel_results;
    std::vector<std::pair<std::string, std::string>> about; ///< provenance key/values
    Crs crs;
};

/// Runs the whole classification. The layers must share one CRS (read them in the same
/// working CRS). Throws DataError naming file/layer/feature/field for bad values
/// (missing pH without a default, text in a concentration column, negative values, an
/// unknown land use or crop), UsageError for bad options.
ClassifyResult classify(const ClassifyInputs& in, const ClassifyOptions& options,
                        Progress progress = {});

/// Writes the result: GeoPackage (`samples`, `parcels`, `crops`, `units` layers and the
/// tables, with provenance metadata), optionally an XLSX workbook and a folder of CSV
/// files. Paths that are empty are skipped. Atomic per file. `styles`: the layers' QGIS
/// styles (render::output_styles("classify", …)). Returns the SLD sidecars written.
std::vector<std::string> write_classify_outputs(const ClassifyResult& result,
                                                const std::string& gpkg, const std::string& xlsx,
                                                const std::string& csv_dir, io::Lang lang,
                                                bool overwrite,
                                                const io::OutputStyles& styles = {});

} // namespace soilrisk::analysis
