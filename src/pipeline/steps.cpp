// The step types a project file can use. Each step reads its parameters, calls the
// library and writes its outputs through the context. New analyses add one entry here.
#include <filesystem>

#include "soilrisk/analysis/area_summary.hpp"
#include "soilrisk/analysis/near.hpp"
#include "soilrisk/core/error.hpp"
#include "soilrisk/core/log.hpp"
#include "soilrisk/core/units.hpp"
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

void run_near(RunContext& ctx, const StepSpec& step) {
    const Params& p = step.params;
    analysis::NearOptions options;
    options.rings = p.lengths_or("rings", options.rings);
    analysis::make_rings(options.rings);
    if (p.has("by")) options.by = p.strings("by");
    options.area = parse_area_mode(p.string_or("area", "ellipsoidal"));
    options.quad_segs = static_cast<int>(p.integer_or("quad_segs", options.quad_segs));
    options.grid_size = p.length_or("grid_size", 0);
    options.lang = ctx.lang();
    analysis::NearOutputs outputs;
    outputs.gpkg = ctx.output_path(p.string_or("out", step.name + ".gpkg"));
    const std::string table = p.string_or("table", step.name + ".xlsx");
    outputs.table = table.empty() ? std::string() : ctx.output_path(table);
    outputs.overwrite = ctx.options().overwrite;
    analysis::check_near_outputs(outputs);

    const io::Layer& farmland = ctx.layer(p.string_or("farmland", "farmland"));
    const io::Layer& sources = ctx.layer(p.string_or("sources", "sources"));
    const analysis::NearResult result =
        analysis::near_analysis(farmland, sources, options, ctx.options().progress);
    outputs.about = analysis::near_about(options, farmland, sources, ctx.options().command_line);
    const auto written = analysis::write_near_outputs(result, farmland, options, outputs);
    io::Table ranking = analysis::near_ranking(result, options);
    analysis::log_near_ranking(ranking, options.lang);
    ctx.record(step.name, written[0], "gpkg",
               "farmland pieces and rings around sources (by source and nearest source)");
    for (std::size_t i = 1; i < written.size(); ++i)
        ctx.record(step.name, written[i], "table", "farmland area by source × ring × category");
    ctx.results()[step.name] =
        analysis::near_summary(result, farmland, analysis::NearView::by_source, options);
    ctx.results()[step.name + ".ranking"] = std::move(ranking);
}

} // namespace

const std::vector<StepType>& step_types() {
    static const std::vector<StepType> types = {
        {"area-summary",
         "Farmland area by category × county (m², 亩, ha) to CSV or XLSX",
         {"farmland", "by", "area", "out"},
         &run_area_summary},
        {"near",
         "Farmland around pollution sources by source × ring × category (GeoPackage, table)",
         {"farmland", "sources", "rings", "by", "area", "quad_segs", "grid_size", "out", "table"},
         &run_near},
    };
    return types;
}

} // namespace soilrisk::pipeline
