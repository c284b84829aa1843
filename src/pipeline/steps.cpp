// The step types a project file can use. Each step reads its parameters, calls the
// library and writes its outputs through the context. New analyses add one entry here.
#include <filesystem>
#include <optional>

#include "soilrisk/analysis/area_summary.hpp"
#include "soilrisk/analysis/classify.hpp"
#include "soilrisk/core/error.hpp"
#include "soilrisk/pipeline/runner.hpp"

namespace soilrisk::pipeline {

namespace {

void run_area_summary(RunContext& ctx, const StepSpec& step) {
    const Params& p = step.params;
    const std::string key = p.string_or("farmland", "farmland");
    analysis::AreaSummaryOptions options;
    if (p.has("by")) options.by = p.strings("by");
    options.mode = parse_area_mode(p.string_or("area", "ellipsoidal"));
    options.lang = ctx.lang();
    const std::string out = p.string_or("out", step.name + ".csv");
    const io::Layer& farmland = ctx.layer(key);
    io::Table table = analysis::area_summary(farmland, options, ctx.options().progress);
    const std::string path = ctx.output_path(out);
    io::write_table(table, path, ctx.lang(), ctx.options().overwrite);
    ctx.record(
        step.name, path, "table", "farmland area by " + [&] {
            std::string s;
            for (const auto& b : options.by)
                s += (s.empty() ? "" : " × ") + b;
            return s;
        }());
    ctx.results()[step.name] = std::move(table);
}

/// classify: farmland category adjustment (see analysis/classify.hpp). Layers by key;
/// outputs <out>.gpkg plus <tables>.xlsx and, with csv = true, a folder of CSV files.
void run_classify(RunContext& ctx, const StepSpec& step) {
    const Params& p = step.params;
    analysis::ClassifyOptions o;
    o.method = analysis::parse_assign_method(p.string_or("method", "inside"));
    o.max_distance = p.length_or("max_distance", 500);
    const std::string combine = p.string_or("combine", "worst");
    if (combine != "worst" && combine != "mean")
        throw UsageError(p.where() + ": combine must be worst or mean");
    o.combine = combine == "mean" ? analysis::ClassifyOptions::Combine::mean
                                  : analysis::ClassifyOptions::Combine::worst;
    o.idw_power = p.number_or("idw_power", 2);
    o.idw_radius = p.length_or("idw_radius", 1000);
    o.idw_max_neighbours = static_cast<int>(p.integer_or("idw_neighbours", 12));
    o.idw_cell = p.length_or("idw_cell", 20);
    if (p.has("default_ph")) o.default_ph = p.number_or("default_ph", 7);
    o.default_landuse = p.string_or("default_landuse", "");
    o.nd = analysis::parse_nd_policy(p.string_or("nd", "half"));
    o.crop_distance = p.length_or("crop_distance", 0);
    o.default_crop = p.string_or("crop", "");
    if (p.has("by")) o.by = p.strings("by");
    o.sur_target = p.number_or("target", 91) / 100.0;
    const std::string basis = p.string_or("rate_basis", "current");
    if (basis != "current" && basis != "proposed")
        throw UsageError(p.where() + ": rate_basis must be current or proposed");
    o.sur_on_proposed = basis == "proposed";
    o.area_mode = parse_area_mode(p.string_or("area", "ellipsoidal"));
    o.lang = ctx.lang();

    // Standards tables: relative paths are relative to the project file.
    const auto table_path = [&](const char* key, const char* shipped) {
        const auto given = p.string(key);
        if (!given) return analysis::standards_dir() / shipped;
        const std::filesystem::path path(*given);
        return path.is_absolute() ? path : ctx.project().base_dir / path;
    };
    const auto soil = analysis::load_soil_standard(table_path("standard", "gb15618-2018.toml"));
    const auto rules = analysis::load_rules(table_path("rules", "classify-rules.toml"));
    const std::string crops_key = p.string_or("crops", "");
    std::optional<analysis::FoodStandard> food;
    if (!crops_key.empty())
        food = analysis::load_food_standard(table_path("food_standard", "gb2762.toml"),
                                            p.string_or("food_edition", ""));

    analysis::ClassifyInputs in;
    in.farmland = &ctx.layer(p.string_or("farmland", "farmland"));
    in.samples = &ctx.layer(p.string_or("samples", "soil_samples"));
    in.crops = crops_key.empty() ? nullptr : &ctx.layer(crops_key);
    in.soil = &soil;
    in.food = food ? &*food : nullptr;
    in.rules = &rules;
    analysis::ClassifyResult result = analysis::classify(in, o, ctx.options().progress);
    result.about.insert(result.about.begin(), {"command_line", ctx.options().command_line});
    result.about.insert(result.about.begin(), {"project_step", step.name});

    const std::string gpkg = ctx.output_path(p.string_or("out", step.name + ".gpkg"));
    const std::string xlsx = ctx.output_path(p.string_or("tables", step.name + ".xlsx"));
    const std::string csv_dir =
        p.bool_or("csv", true) ? ctx.output_path(p.string_or("csv_dir", step.name + "-csv")) : "";
    analysis::write_classify_outputs(result, gpkg, xlsx, csv_dir, ctx.lang(),
                                     ctx.options().overwrite);
    ctx.record(step.name, gpkg, "geopackage",
               std::string("soil samples, parcels with proposed categories (") +
                   analysis::to_string(o.method) + "), change matrix, safe-utilisation rate");
    ctx.record(step.name, xlsx, "table", "category change matrix, changed parcels, weak evidence");
    if (!csv_dir.empty()) ctx.record(step.name, csv_dir, "tables", "the same tables as CSV");
    ctx.results()[step.name] = result.change_matrix;
    ctx.results()[step.name + ".safe_utilisation"] = result.safe_utilisation;
}

} // namespace

const std::vector<StepType>& step_types() {
    static const std::vector<StepType> types = {
        {"area-summary",
         "Farmland area by category × county (m², 亩, ha) to CSV or XLSX",
         {"farmland", "by", "area", "out"},
         &run_area_summary},
        {"classify",
         "Farmland category adjustment from soil and crop samples (GB 15618-2018, GB 2762): "
         "proposals, change matrix, safe-utilisation rate",
         {"farmland",
          "samples",
          "crops",
          "method",
          "max_distance",
          "combine",
          "idw_power",
          "idw_radius",
          "idw_neighbours",
          "idw_cell",
          "default_ph",
          "default_landuse",
          "nd",
          "crop_distance",
          "crop",
          "by",
          "target",
          "rate_basis",
          "area",
          "standard",
          "rules",
          "food_standard",
          "food_edition",
          "out",
          "tables",
          "csv",
          "csv_dir"},
         &run_classify},
    };
    return types;
}

} // namespace soilrisk::pipeline
