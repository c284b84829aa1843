// soilrisk classify --farmland F --samples S [--crops C] [--method …] --out OUT.gpkg
// [--table T.xlsx] [--csv DIR]: farmland category adjustment under GB 15618-2018.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <sstream>

#include "cli/command.hpp"
#include "cli/options.hpp"
#include "cli/terminal.hpp"
#include "soilrisk/analysis/classify.hpp"
#include "soilrisk/core/error.hpp"
#include "soilrisk/core/log.hpp"
#include "soilrisk/core/units.hpp"
#include "soilrisk/io/vector_writer.hpp"
#include "soilrisk/render/qgis_style.hpp"

namespace soilrisk::cli {

namespace {

class ClassifyCommand : public Command {
  public:
    void setup(CLI::App& app) override {
        add_vector_input(app, farmland_, farmland_fields_, "farmland",
                         "Farmland parcels (roles: id, category, dlbm, county, measures)", true);
        add_vector_input(app, samples_, samples_fields_, "samples",
                         "Soil samples (roles: sample_id, ph, landuse, cd, hg, as, pb, cr, cu, "
                         "ni, zn; mg/kg)",
                         true);
        add_vector_input(app, crops_, crops_fields_, "crops",
                         "Crop samples (roles: sample_id, crop, cd, pb, hg, as, cr; mg/kg)", false);
        add_invalid_option(app, invalid_);
        app.add_option("--method", method_, "Assignment of samples to parcels")
            ->check(CLI::IsMember({"inside", "nearest", "voronoi", "thiessen", "idw"}))
            ->capture_default_str();
        app.add_option("--max-distance", max_distance_,
                       "nearest: largest distance to a sample; voronoi/idw: weak evidence "
                       "beyond it (e.g. 500m, 1km)")
            ->capture_default_str();
        app.add_option("--combine", combine_, "Several samples in a parcel: worst or mean ratio")
            ->check(CLI::IsMember({"worst", "mean"}))
            ->capture_default_str();
        app.add_option("--idw-power", idw_power_, "IDW distance power")
            ->check(CLI::PositiveNumber)
            ->capture_default_str();
        app.add_option("--idw-radius", idw_radius_, "IDW search radius (0 = unlimited)")
            ->capture_default_str();
        app.add_option("--idw-neighbours", idw_neighbours_, "IDW: at most this many samples")
            ->check(CLI::PositiveNumber)
            ->capture_default_str();
        app.add_option("--idw-cell", idw_cell_, "IDW: grid cell inside parcels")
            ->capture_default_str();
        app.add_option("--default-ph", default_ph_,
                       "pH for samples without one (else such a sample is an error)")
            ->check(CLI::Range(0.0, 14.0));
        app.add_option("--default-landuse", default_landuse_,
                       "Land use of samples outside parcels without one: paddy, other, orchard");
        app.add_option("--nd", nd_,
                       "Below-detection values (ND, <DL, <0.01, 0.01L) count as: half (half the "
                       "detection limit), dl, zero or a value in mg/kg")
            ->capture_default_str();
        app.add_option("--crop", crop_, "Crop of all crop samples when there is no crop field")
            ->type_name("FOOD");
        app.add_option("--crop-distance", crop_distance_,
                       "Crop samples within this distance of a parcel count for it")
            ->capture_default_str();
        app.add_option("--standard", standard_,
                       "Soil standard table (default: data/standards/gb15618-2018.toml)")
            ->type_name("PATH");
        app.add_option("--food-standard", food_standard_,
                       "Food limits table (default: data/standards/gb2762.toml)")
            ->type_name("PATH");
        app.add_option("--food-edition", food_edition_,
                       "GB 2762 edition: 2017, 2022, 2025 (default: the table's default)");
        app.add_option("--rules", rules_,
                       "Soil × crop rule table (default: data/standards/classify-rules.toml, "
                       "Guizhou practice)")
            ->type_name("PATH");
        app.add_option("--by", by_, "Farmland roles grouping the tables (default: county)")
            ->delimiter(',');
        app.add_option("--target", target_, "Safe-utilisation target in percent")
            ->check(CLI::Range(0.0, 100.0))
            ->capture_default_str();
        app.add_option("--rate-basis", rate_basis_,
                       "Categories the safe-utilisation rate uses: current or proposed")
            ->check(CLI::IsMember({"current", "proposed"}))
            ->capture_default_str();
        app.add_option("--area", area_, "Area: ellipsoidal (official) or planar")
            ->check(CLI::IsMember({"ellipsoidal", "planar"}))
            ->capture_default_str();
        app.add_option("--crs", crs_, "Working CRS (default: CGCS2000 GK zone of the data)");
        app.add_option("-o,--out", out_,
                       "Output GeoPackage (samples, parcels, tables), or PostGIS: PG:\"dbname=…\"")
            ->required()
            ->type_name("OUT.gpkg|PG:…");
        add_schema_option(app, schema_);
        app.add_option("--table", table_, "Also write the tables as an XLSX workbook")
            ->type_name("T.xlsx");
        app.add_option("--csv", csv_dir_, "Also write every table as CSV into this folder")
            ->type_name("DIR");
        app.add_flag("--overwrite", overwrite_, "Replace outputs that exist");
    }

    int run(const GlobalOptions& global) override {
        out_ = vector_output(out_, schema_);
        // PostGIS: connects and checks the tables now, before the work.
        if (io::is_postgis(out_))
            io::check_vector_output(out_,
                                    {"parcels", "samples", "crops", "units", "change_matrix",
                                     "changed_parcels", "weak_evidence", "safe_utilisation"},
                                    overwrite_);
        apply_field_roles(farmland_, farmland_fields_);
        apply_field_roles(samples_, samples_fields_);
        apply_field_roles(crops_, crops_fields_);
        const io::InvalidPolicy invalid = io::parse_invalid_policy(invalid_);
        farmland_.invalid = samples_.invalid = crops_.invalid = invalid;

        analysis::ClassifyOptions o;
        o.method = analysis::parse_assign_method(method_);
        o.max_distance = parse_length(max_distance_, "--max-distance");
        o.combine = combine_ == "mean" ? analysis::ClassifyOptions::Combine::mean
                                       : analysis::ClassifyOptions::Combine::worst;
        o.idw_power = idw_power_;
        o.idw_radius = parse_length(idw_radius_, "--idw-radius");
        o.idw_max_neighbours = idw_neighbours_;
        o.idw_cell = parse_length(idw_cell_, "--idw-cell");
        if (!(o.idw_cell > 0)) throw UsageError("--idw-cell must be a positive length");
        o.default_ph = default_ph_;
        o.default_landuse = default_landuse_;
        o.nd = analysis::parse_nd_policy(nd_);
        o.crop_distance = parse_length(crop_distance_, "--crop-distance");
        o.default_crop = crop_;
        if (!by_.empty()) o.by = by_;
        o.sur_target = target_ / 100.0;
        o.sur_on_proposed = rate_basis_ == "proposed";
        o.area_mode = parse_area_mode(area_);
        o.lang = io::parse_lang(global.lang);
        if (!crop_.empty() && crops_.path.empty())
            throw UsageError("--crop needs --crops (the crop sample layer)");

        const auto dir = analysis::standards_dir();
        const analysis::SoilStandard soil = analysis::load_soil_standard(
            standard_.empty() ? dir / "gb15618-2018.toml" : std::filesystem::path(standard_));
        const analysis::RuleTable rules = analysis::load_rules(
            rules_.empty() ? dir / "classify-rules.toml" : std::filesystem::path(rules_));
        std::optional<analysis::FoodStandard> food;
        if (!crops_.path.empty())
            food = analysis::load_food_standard(food_standard_.empty()
                                                    ? dir / "gb2762.toml"
                                                    : std::filesystem::path(food_standard_),
                                                food_edition_);

        // Open everything, choose one working CRS, read.
        io::VectorReader rf(farmland_), rs(samples_);
        std::optional<io::VectorReader> rc;
        std::vector<const io::VectorReader*> readers = {&rf, &rs};
        if (!crops_.path.empty()) {
            rc.emplace(crops_);
            readers.push_back(&*rc);
        }
        const Crs working = io::working_crs_for(readers, crs_);
        const Progress progress = terminal_progress(global);
        const io::Layer farmland = rf.read(working, progress.part(0, 0.3));
        const io::Layer samples = rs.read(working, progress.part(0.3, 0.35));
        std::optional<io::Layer> crops;
        if (rc) crops = rc->read(working, progress.part(0.35, 0.4));

        analysis::ClassifyInputs in;
        in.farmland = &farmland;
        in.samples = &samples;
        in.crops = crops ? &*crops : nullptr;
        in.soil = &soil;
        in.food = food ? &*food : nullptr;
        in.rules = &rules;
        analysis::ClassifyResult result = analysis::classify(in, o, progress.part(0.4, 0.9));
        result.about.insert(result.about.begin(), {"command_line", global.command_line});
        for (const auto& s : analysis::write_classify_outputs(
                 result, out_, table_, csv_dir_, o.lang, overwrite_,
                 render::output_styles("classify", o.lang, global.sld)))
            log_info("wrote " + s);
        progress(1.0, "done");

        int changed = 0, up = 0, down = 0, weak = 0;
        for (const auto& p : result.parcel_results) {
            const std::string c = p.change();
            changed += c != "unchanged";
            up += c == "upgrade";
            down += c == "downgrade";
            weak += c == "unchanged" && p.weak;
        }
        std::ostringstream msg;
        msg << result.parcel_results.size() << " parcels, " << samples.features.size()
            << " soil samples (" << analysis::to_string(o.method) << "): " << changed
            << " changed (" << up << " upgrade, " << down << " downgrade), " << weak
            << " unchanged with weak evidence; wrote " << io::redact_password(out_);
        log_info(msg.str());
        return 0;
    }

  private:
    io::VectorInput farmland_, samples_, crops_;
    std::vector<std::string> farmland_fields_, samples_fields_, crops_fields_, by_;
    std::string invalid_ = "fix", method_ = "inside", max_distance_ = "500m", combine_ = "worst",
                idw_radius_ = "1000m", idw_cell_ = "20m", nd_ = "half", crop_distance_ = "0", crop_,
                standard_, food_standard_, food_edition_, rules_, rate_basis_ = "current",
                area_ = "ellipsoidal", crs_, out_, schema_, table_, csv_dir_, default_landuse_;
    double idw_power_ = 2, target_ = 91;
    int idw_neighbours_ = 12;
    std::optional<double> default_ph_;
    bool overwrite_ = false;
};

std::unique_ptr<Command> make() {
    return std::make_unique<ClassifyCommand>();
}
RegisterCommand reg{"classify",
                    "Farmland category adjustment from soil and crop results (GB 15618-2018, "
                    "GB 2762): proposals, change matrix, safe-utilisation rate",
                    &make};

} // namespace

} // namespace soilrisk::cli
