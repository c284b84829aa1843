// soilrisk sites --sites S --plan P [--receptors R] [--receptor-distances 500m,1km]
//                --out OUT.gpkg [--table T.xlsx|T.csv] [--target 35]: contaminated
// construction-land plots against the land-use plan (一住两公), receptors and progress.
#include <CLI/CLI.hpp>

#include <optional>

#include "cli/command.hpp"
#include "cli/options.hpp"
#include "cli/terminal.hpp"
#include "soilrisk/analysis/sites.hpp"
#include "soilrisk/core/error.hpp"
#include "soilrisk/core/log.hpp"
#include "soilrisk/core/units.hpp"
#include "soilrisk/render/qgis_style.hpp"

namespace soilrisk::cli {

namespace {

class SitesCommand : public Command {
  public:
    void setup(CLI::App& app) override {
        add_vector_input(app, sites_, sites_fields_, "sites",
                         "Construction-land plots (polygons: plot id, name, enterprise, register "
                         "priority/remediation/remediated/none, survey, risk_control, county)",
                         true);
        add_vector_input(app, plan_, plan_fields_, "plan",
                         "Land-use plan (polygons with a use_code field)", true);
        add_vector_input(app, receptors_, receptors_fields_, "receptors",
                         "Sensitive receptors (schools, hospitals, water intakes …; any geometry)",
                         false);
        app.add_option("--receptor-distances", distances_,
                       "Distances to count receptors within (metres or with units)")
            ->capture_default_str();
        app.add_option("--compass", options_.compass_points, "Compass points: 8 or 16")
            ->check(CLI::IsMember({8, 16}))
            ->capture_default_str();
        app.add_option("--target", target_pct_,
                       "Target share of list plots under risk control, in %")
            ->check(CLI::Range(0.0, 100.0))
            ->capture_default_str();
        app.add_option("--landuse-table", landuse_table_,
                       "Sensitive (一住两公) use-code table (TOML; default: 国土空间用地用海分类 "
                       "07/08)")
            ->type_name("TABLE.toml");
        app.add_option("-o,--out", out_,
                       "Output GeoPackage (sites, conflicts, uses, receptors), or PostGIS: "
                       "PG:\"dbname=…\"")
            ->required()
            ->type_name("OUT.gpkg|PG:…");
        add_schema_option(app, schema_);
        app.add_option("--table", table_, "Tables: .xlsx (formatted) or .csv (UTF-8 BOM)")
            ->type_name("T.xlsx|T.csv");
        app.add_option("--area", area_, "Area: ellipsoidal (geodesic) or planar")
            ->check(CLI::IsMember({"ellipsoidal", "planar"}))
            ->capture_default_str();
        app.add_option("--crs", crs_,
                       "Working CRS (default: CGCS2000 3-degree GK zone of the data)");
        app.add_flag("--overwrite", overwrite_, "Replace outputs that exist");
        add_invalid_option(app, invalid_);
    }

    int run(const GlobalOptions& global) override {
        apply_field_roles(sites_, sites_fields_);
        apply_field_roles(plan_, plan_fields_);
        apply_field_roles(receptors_, receptors_fields_);
        sites_.invalid = plan_.invalid = receptors_.invalid = io::parse_invalid_policy(invalid_);
        options_.receptor_distances = parse_length_list(distances_, "--receptor-distances");
        options_.target = target_pct_ / 100.0;
        options_.area = parse_area_mode(area_);
        options_.lang = io::parse_lang(global.lang);
        const analysis::LanduseCodeTable table = analysis::load_landuse_table(landuse_table_);
        analysis::SitesOutputs outputs;
        outputs.gpkg = vector_output(out_, schema_);
        outputs.table = table_;
        outputs.overwrite = overwrite_;
        outputs.styles = render::output_styles("sites", io::parse_lang(global.lang), global.sld);
        analysis::check_sites_outputs(outputs);

        const Progress progress = terminal_progress(global);
        io::VectorReader sites_reader(sites_);
        io::VectorReader plan_reader(plan_);
        std::optional<io::VectorReader> receptors_reader;
        std::vector<const io::VectorReader*> readers = {&sites_reader, &plan_reader};
        if (!receptors_.path.empty()) {
            receptors_reader.emplace(receptors_);
            readers.push_back(&*receptors_reader);
        }
        const Crs crs = io::working_crs_for(readers, crs_);
        log_info("working CRS: " + crs.label() + " (" + crs.name() + ")");
        const io::Layer sites = sites_reader.read(crs);
        const io::Layer plan = plan_reader.read(crs, progress.part(0, 0.4));
        std::optional<io::Layer> receptors;
        if (receptors_reader) receptors = receptors_reader->read(crs);
        const io::Layer* rec = receptors ? &*receptors : nullptr;
        log_info("read " + std::to_string(sites.features.size()) + " plots, " +
                 std::to_string(plan.features.size()) + " plan polygons" +
                 (rec ? ", " + std::to_string(rec->features.size()) + " receptors" : ""));

        const analysis::SitesResult result =
            analysis::sites_analysis(sites, plan, rec, table, options_);
        progress(0.8, "writing");
        outputs.about =
            analysis::sites_about(options_, table, sites, plan, rec, global.command_line);
        const auto written = analysis::write_sites_outputs(result, sites, rec, options_, outputs);
        progress(1.0, "done");
        analysis::log_sites_summary(result, options_.target);
        for (const auto& p : written)
            log_info("wrote " + p);
        return 0;
    }

  private:
    io::VectorInput sites_, plan_, receptors_;
    std::vector<std::string> sites_fields_, plan_fields_, receptors_fields_;
    std::string distances_ = "500m,1km", out_, schema_, table_, area_ = "ellipsoidal", crs_,
                invalid_ = "fix", landuse_table_;
    double target_pct_ = 35;
    bool overwrite_ = false;
    analysis::SitesOptions options_;
};

std::unique_ptr<Command> make() {
    return std::make_unique<SitesCommand>();
}
RegisterCommand reg{"sites",
                    "Contaminated construction-land plots against the land-use plan: 一住两公 "
                    "conflicts, nearby receptors, risk-control progress",
                    &make};

} // namespace

} // namespace soilrisk::cli
