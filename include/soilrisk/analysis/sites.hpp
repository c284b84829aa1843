// Contaminated construction-land plots against the land-use plan (`soilrisk sites`):
// use-change conflicts (一住两公), sensitive receptors nearby and the progress of risk
// control on the priority-supervision list and the remediation register.
//
// Law and lists (see DOMAIN.md §7):
//  - 土壤污染防治法 第五十九条: before a plot's use changes to 住宅 or 公共管理与公共服务用地
//    (一住两公) a soil-pollution survey (土壤污染状况调查) must be done;
//  - 第五十八条: plots on the 建设用地土壤污染风险管控和修复名录 may not be used as 住宅 or
//    公共管理与公共服务用地 until remediated (and taken off the register);
//  - the 优先监管地块清单 (priority-supervision list) of closed or relocated enterprises'
//    plots: at least `target` (default 35 %) of its plots under risk control.
//
// Which planned uses are sensitive comes from a code table (LanduseCodeTable), by default
// data/standards/landuse-sensitive.toml: 07 居住用地 and 08 公共管理与公共服务用地 of
// 自然资源部《国土空间调查、规划、用途管制用地用海分类指南》(自然资发〔2023〕234号),
// matched by code prefix (0701, 080401 … belong to 07 and 08).
//
// Conflicts. Each site (plot polygon) is intersected with the plan polygons (GEOS
// OverlayNG, spatial/overlay.hpp); pieces are summed per planned use code with their
// ellipsoidal area (core/area.hpp) and share of the site's area. Severity, per site:
//  - prohibited: the site is on the priority list or the remediation register (名录),
//    not remediated, and overlaps sensitive use — it may not be used so until remediated;
//  - survey_required: otherwise, no survey is recorded and the site overlaps sensitive
//    use — a survey is required before the change;
//  - none: no sensitive use, or the site is remediated (register "remediated"), or surveyed
//    and on neither list.
// Sites are ranked by severity, then sensitive area, then input order.
//
// Receptors (schools, hospitals, water intakes, … as points or polygons) within the
// largest distance of a site: the shortest distance between the geometries (0 when they
// meet) and the direction from the site's centroid to the receptor's nearest point,
// as a grid bearing (clockwise from grid north; differs from true north by the meridian
// convergence, under 1.6° in a 3° Gauss–Krüger zone) and a compass point (8 or 16).
// Per site the receptors within each distance are counted (cumulative: "within 1 km"
// includes those within 500 m).
//
// Inputs are in one projected working CRS (io::read_vector with a target CRS).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "soilrisk/core/area.hpp"
#include "soilrisk/core/geos.hpp"
#include "soilrisk/io/table.hpp"
#include "soilrisk/io/vector.hpp"
#include "soilrisk/io/vector_writer.hpp"

namespace soilrisk::analysis {

// --- Code table ----------------------------------------------------------------------

/// One sensitive code: `group` is "residential" or "public_service".
struct SensitiveCode {
    std::string code, name, group;
};

struct LanduseCodeTable {
    std::string name, source, file;
    std::vector<SensitiveCode> codes;

    /// The longest listed code that is a prefix of `code` (after normalize_use_code), or
    /// null when the use is not sensitive.
    const SensitiveCode* match(std::string_view code) const;
};

/// Trims spaces and drops dots ("07.01" -> "0701"); an all-digit code with an odd number
/// of digits gets a leading 0 (numeric fields lose it: 7 -> "07", 701 -> "0701").
std::string normalize_use_code(std::string_view code);

/// Parses a code table (TOML: [table] name, source; [[sensitive]] code, name, group).
/// Throws DataError naming `file` and line for bad syntax, unknown keys, a missing code,
/// a group other than residential/public_service, or no entries.
LanduseCodeTable parse_landuse_table(const std::string& text, const std::string& file);

/// Loads a code table from `path`; empty: the shipped default
/// (standards_dir()/landuse-sensitive.toml). Throws IoError when unreadable.
LanduseCodeTable load_landuse_table(const std::filesystem::path& path = {});

// --- Site attributes -----------------------------------------------------------------

enum class Register { priority, remediation, remediated, none };
enum class Severity { none = 0, survey_required = 1, prohibited = 2 };

/// Parses a register value: priority/优先监管 (priority list), remediation/名录/
/// risk_control_register (the 名录), remediated/已修复, none/""/无. Case-insensitive.
/// nullopt for anything else.
std::optional<Register> parse_register(std::string_view text);
/// yes/y/true/1/是/已… or a date (starting with a digit other than a lone "0") -> true;
/// no/n/false/0/否/未…/"" -> false; nullopt otherwise.
std::optional<bool> parse_yes_no(std::string_view text);

const char* to_string(Register r);
const char* to_string(Severity s);
/// Chinese label: "禁止（修复前不得用于一住两公）", "须先调查", "无".
const char* label_zh(Severity s);

// --- Analysis ------------------------------------------------------------------------

struct SitesOptions {
    /// Receptor distances in metres, increasing (e.g. 500, 1000); empty: no receptors.
    std::vector<double> receptor_distances = {500, 1000};
    int compass_points = 8; ///< 8 or 16
    double target = 0.35;   ///< risk-control share target (0–1)
    AreaMode area = AreaMode::ellipsoidal;
    io::Lang lang = io::Lang::zh;
};

struct SiteUse {
    std::uint32_t site = 0;
    std::string code, name; ///< plan code as found, and its name (plan field, else table)
    const SensitiveCode* sensitive = nullptr;
    std::shared_ptr<geos::Geom> geom;
    double area_m2 = 0;
    double share = 0; ///< of the site's area, 0–1
};

struct SiteReceptor {
    std::uint32_t site = 0;
    std::uint32_t receptor = 0; ///< feature index in the receptors layer
    std::string name, kind;
    double distance_m = 0;
    double bearing_deg = 0; ///< grid bearing, 0–360
    std::string direction;  ///< compass point, e.g. "NE" / "NNE"
    double within_m = 0;    ///< smallest receptor distance it lies within
    /// Nearest points: on the site (x0, y0) and on the receptor (x1, y1).
    double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
};

struct Site {
    std::size_t feature = 0;
    std::string id, name, enterprise, county;
    Register register_status = Register::none;
    bool survey = false, risk_control = false;
    double area_m2 = 0, sensitive_m2 = 0;
    std::string sensitive_uses; ///< codes, comma-separated
    Severity severity = Severity::none;
    std::string reason;                        ///< one line, Chinese
    std::vector<std::int64_t> receptor_counts; ///< per receptor distance
    double nearest_receptor_m = -1;            ///< -1: none within reach
    std::string nearest_receptor;
    std::uint32_t rank = 0;                     ///< 1 = most severe
    std::shared_ptr<geos::Geom> sensitive_geom; ///< the site's part on sensitive use, or null
};

struct SitesResult {
    std::vector<double> distances;
    std::vector<Site> sites;             ///< in input order
    std::vector<SiteUse> uses;           ///< by site, then code
    std::vector<SiteReceptor> receptors; ///< by site, then distance
    std::vector<std::uint32_t> ranking;  ///< site indexes, most severe first
};

/// Runs the analysis. `sites`: polygons with roles id (or plot_id), name, enterprise,
/// register, survey, risk_control, county (all but register optional); `plan`: polygons
/// with role use_code (required) and use_name; `receptors` (may be null): points, lines or
/// polygons with roles name and kind. All in one projected CRS. Throws DataError naming
/// file, layer, feature and field for a register/survey/risk-control value that cannot be
/// read, non-polygon sites or plan, CRSs that differ or are not projected; UsageError for
/// bad options.
SitesResult sites_analysis(const io::Layer& sites, const io::Layer& plan,
                           const io::Layer* receptors, const LanduseCodeTable& table,
                           const SitesOptions& options);

/// Compass point of a bearing (degrees clockwise from north) with 8 or 16 points:
/// "N", "NE", … or "N", "NNE", …; `zh` gives 北, 东北, … / 北, 北东北, ….
std::string compass(double bearing_deg, int points, bool zh = false);

// --- Tables --------------------------------------------------------------------------

/// All sites, ranked. Columns: rank, site_id, site_name, enterprise, county, register,
/// survey, risk_control, area_m2, area_mu, area_ha, sensitive_uses, sensitive_area_m2,
/// sensitive_area_mu, sensitive_share, severity, severity_zh, reason, one
/// receptors_<d>m per distance, nearest_receptor, nearest_receptor_m.
io::Table sites_table(const SitesResult& r);
/// The same, only sites with a conflict (severity not none): the ranked conflict table.
io::Table conflicts_table(const SitesResult& r);
/// Planned uses per site. Columns: site_id, site_name, use_code, use_name, sensitive
/// (1/0), sensitive_group, area_m2, area_mu, area_ha, share.
io::Table uses_table(const SitesResult& r);
/// Receptors per site. Columns: site_id, site_name, receptor, kind, distance_m, within_m,
/// bearing_deg, direction, direction_zh.
io::Table receptors_table(const SitesResult& r, int compass_points);

/// Progress of risk control. For the priority list and the remediation register: one row
/// per county (sorted) and a city row (county "all"). Columns: list (priority /
/// remediation), county, plots, controlled, rate (0–1), target, gap (plots still needed to
/// reach the target, ceil(target·plots) − controlled, at least 0), meets (1/0).
io::Table progress_table(const SitesResult& r, double target);
/// Plots of the two lists still without risk control, largest first within each list.
/// Columns: list, site_id, site_name, enterprise, county, area_m2, area_mu, severity.
io::Table uncontrolled_table(const SitesResult& r);

// --- Outputs -------------------------------------------------------------------------

struct SitesOutputs {
    /// GeoPackage: layers sites, site_conflicts (the sensitive part of each conflicting
    /// site), site_uses, site_receptors (receptor geometries) with QGIS styles, and the
    /// attribute tables conflict_table, progress, uncontrolled.
    std::string gpkg;
    /// Optional .xlsx (sheets conflicts, sites, uses, receptors, progress, uncontrolled,
    /// about) or .csv (T.csv conflicts; T_sites, T_uses, T_receptors, T_progress,
    /// T_uncontrolled .csv beside it).
    std::string table;
    bool overwrite = false;
    std::vector<std::pair<std::string, std::string>> about;
    /// QGIS styles of the layers (render::output_styles("sites", …)); SLD sidecars, when
    /// requested, are listed last among the paths written.
    io::OutputStyles styles;
};

/// Throws UsageError for bad extensions, OutputExistsError when an output exists and
/// !overwrite. Call before the analysis.
void check_sites_outputs(const SitesOutputs& outputs);

/// Writes the outputs (each atomically). Returns the paths written.
std::vector<std::string> write_sites_outputs(const SitesResult& result, const io::Layer& sites,
                                             const io::Layer* receptors,
                                             const SitesOptions& options,
                                             const SitesOutputs& outputs);

/// Provenance for SitesOutputs::about.
std::vector<std::pair<std::string, std::string>>
sites_about(const SitesOptions& options, const LanduseCodeTable& table, const io::Layer& sites,
            const io::Layer& plan, const io::Layer* receptors, const std::string& command_line);

/// Logs the conflict table head and the city progress rows (log_info).
void log_sites_summary(const SitesResult& result, double target, std::size_t top = 10);

} // namespace soilrisk::analysis
