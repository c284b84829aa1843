// soilrisk plan-sampling: where dense (加密) soil sampling is short, and a field-ready plan
// (GeoPackage, GPX, KML, field sheet) from a grid, stratified or balanced design.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>

#include "cli/command.hpp"
#include "cli/options.hpp"
#include "cli/terminal.hpp"
#include "soilrisk/analysis/sampling.hpp"
#include "soilrisk/core/error.hpp"
#include "soilrisk/core/log.hpp"
#include "soilrisk/core/units.hpp"
#include "soilrisk/render/qgis_style.hpp"

namespace soilrisk::cli {

namespace {

class PlanSamplingCommand : public Command {
  public:
    void setup(CLI::App& app) override {
        add_vector_input(app, farmland_, farmland_fields_, "farmland",
                         "Farmland parcels (roles: category, county, county_code, id, village)",
                         true);
        add_vector_input(app, samples_, samples_fields_, "samples",
                         "Existing soil samples (points; role id)", false);
        add_vector_input(app, units_, units_fields_, "units",
                         "Units to rank (polygons: counties, townships, villages; roles code, "
                         "name). Default: the farmland's county field",
                         false);
        add_vector_input(app, within_, within_fields_, "within",
                         "Zones the target farmland must meet (e.g. downstream areas, mines "
                         "with --within-distance)",
                         false);
        app.add_option("--within-distance", within_distance_,
                       "Grow the --within zones by this length (e.g. 2km)");
        add_invalid_option(app, invalid_);
        app.add_option("--crs", crs_, "Working CRS (default: the CGCS2000 3-degree GK zone)");
        app.add_option("--target", target_,
                       "Target farmland filter, e.g. \"category in (2,3)\" or \"category = 3\" "
                       "(fields or roles; =, !=, <, >, in, is null, and, or, not)");
        app.add_option("--cell", cell_, "Square units of this size instead of --units (e.g. 1km)");
        app.add_option("--density", density_,
                       "Required density, N-per-100mu (default 1-per-100mu: a local choice, the "
                       "national figure is unknown)");
        app.add_option("--spacing", spacing_,
                       "Required spacing instead of --density (one sample per spacing² of "
                       "target farmland); also the grid design's cell");
        app.add_option("--design", design_, "grid, stratified, balanced (BAS) or none")
            ->check(CLI::IsMember({"grid", "stratified", "balanced", "none"}))
            ->capture_default_str();
        app.add_option("--balanced-method", balanced_method_,
                       "Balanced design: grts (Stevens & Olsen 2004) or bas (Halton, Robertson "
                       "et al. 2013)")
            ->check(CLI::IsMember({"grts", "bas"}))
            ->capture_default_str();
        app.add_option("--n", n_, "New points (balanced, stratified; default: the total deficit)");
        app.add_option("--sizes", sizes_,
                       "Stratified: new points per stratum, e.g. 450225-3=10,450226-3=4");
        app.add_option("--oversample", oversample_,
                       "Balanced: ordered replacement points after the main ones")
            ->check(CLI::NonNegativeNumber);
        app.add_option("--min-distance", min_distance_,
                       "Minimum distance to each other and to existing samples (default 100m)");
        app.add_option("--inset", inset_, "Keep points this far inside parcel edges (default 5m)");
        app.add_option("--seed", seed_, "Random seed (same seed, same plan)")
            ->capture_default_str();
        app.add_flag("--all-units", all_units_,
                     "Sample every unit with target farmland, not only deficient ones");
        app.add_option("--id-pattern", id_pattern_,
                       "Point ids: {county_code} {county} {category} {stratum} {design} {unit} "
                       "{nnn} {n} {order}")
            ->capture_default_str();
        app.add_option("--srs-replicates", srs_replicates_,
                       "Simple random samples averaged for the balance comparison")
            ->check(CLI::Range(1, 1000))
            ->capture_default_str();
        app.add_option("--area", area_, "Area: ellipsoidal or planar")
            ->check(CLI::IsMember({"ellipsoidal", "planar"}))
            ->capture_default_str();
        app.add_option("-o,--out", out_, "Output folder (created if missing)")
            ->required()
            ->type_name("DIR");
        app.add_option("--name", name_, "Base name of the output files")->capture_default_str();
        app.add_flag("--overwrite", overwrite_, "Replace outputs that exist");
    }

    int run(const GlobalOptions& global) override {
        // Parse every option before any input is opened.
        analysis::SamplingOptions o;
        o.design = analysis::parse_sampling_design(design_);
        o.target = target_;
        o.balanced_method = analysis::parse_balanced_method(balanced_method_);
        if (!density_.empty()) o.density_per_100mu = analysis::parse_density(density_, "--density");
        if (!spacing_.empty()) o.spacing_m = parse_length(spacing_, "--spacing");
        if (!density_.empty() && !spacing_.empty())
            throw UsageError("give --density or --spacing, not both");
        if (!spacing_.empty() && !(o.spacing_m > 0)) throw UsageError("--spacing must be positive");
        if (!cell_.empty()) o.cell_m = parse_length(cell_, "--cell");
        if (!min_distance_.empty())
            o.min_distance_m = parse_length(min_distance_, "--min-distance");
        if (!inset_.empty()) o.inset_m = parse_length(inset_, "--inset");
        o.n = n_;
        if (n_ < -1) throw UsageError("--n must not be negative");
        if (!sizes_.empty()) o.sizes = analysis::parse_stratum_sizes(sizes_, "--sizes");
        o.oversample = oversample_;
        o.seed = seed_;
        o.all_units = all_units_;
        o.id_pattern = id_pattern_;
        o.srs_replicates = srs_replicates_;
        o.area_mode = parse_area_mode(area_);
        o.lang = io::parse_lang(global.lang);
        const double within_distance =
            within_distance_.empty() ? 0.0 : parse_length(within_distance_, "--within-distance");
        const auto invalid = io::parse_invalid_policy(invalid_);

        apply_field_roles(farmland_, farmland_fields_);
        farmland_.invalid = invalid;
        std::vector<io::VectorReader> readers;
        readers.emplace_back(farmland_);
        auto add = [&](io::VectorInput& in, const std::vector<std::string>& fields) -> int {
            if (in.path.empty()) return -1;
            apply_field_roles(in, fields);
            in.invalid = invalid;
            in.allow_empty = true;
            readers.emplace_back(in);
            return static_cast<int>(readers.size()) - 1;
        };
        const int si = add(samples_, samples_fields_);
        const int ui = add(units_, units_fields_);
        const int wi = add(within_, within_fields_);
        std::vector<const io::VectorReader*> rp;
        for (const auto& r : readers)
            rp.push_back(&r);
        const Crs crs = io::working_crs_for(rp, crs_);
        const Progress progress = terminal_progress(global);
        std::vector<io::Layer> layers;
        for (auto& r : readers)
            layers.push_back(r.read(crs));
        analysis::SamplingInputs in;
        in.farmland = &layers[0];
        in.samples = si >= 0 ? &layers[si] : nullptr;
        in.units = ui >= 0 ? &layers[ui] : nullptr;
        in.within = wi >= 0 ? &layers[wi] : nullptr;
        in.within_distance_m = within_distance;
        const auto result = analysis::plan_sampling(in, o, progress);

        std::filesystem::create_directories(out_);
        const auto outputs = analysis::write_sampling_outputs(
            result, o.design, crs, out_, name_, o.lang, overwrite_,
            {{"command_line", global.command_line}, {"version", SOILRISK_VERSION}},
            render::output_styles("plan-sampling", o.lang, global.sld));
        if (!global.quiet) {
            for (const auto& line : result.summary)
                std::printf("%s\n", line.c_str());
            for (const auto& f : outputs)
                std::printf("wrote %s (%s)\n", f.path.c_str(), f.description.c_str());
        }
        return 0;
    }

  private:
    io::VectorInput farmland_, samples_, units_, within_;
    std::vector<std::string> farmland_fields_, samples_fields_, units_fields_, within_fields_;
    std::string invalid_ = "fix", crs_, target_, cell_, density_, spacing_;
    std::string design_ = "balanced", balanced_method_ = "grts", sizes_, min_distance_, inset_,
                within_distance_;
    long long n_ = -1, oversample_ = 0;
    std::uint64_t seed_ = 1;
    bool all_units_ = false, overwrite_ = false;
    std::string id_pattern_ = "{county_code}-{category}-{nnn}";
    int srs_replicates_ = 5;
    std::string area_ = "ellipsoidal", out_, name_ = "plan";
};

std::unique_ptr<Command> make() {
    return std::make_unique<PlanSamplingCommand>();
}
RegisterCommand reg{"plan-sampling",
                    "Where dense soil sampling is short, and a field-ready sampling plan", &make};

} // namespace

} // namespace soilrisk::cli
