// The step types a project file can use. Each step reads its parameters, calls the
// library and writes its outputs through the context. New analyses add one entry here.
#include <filesystem>

#include "soilrisk/analysis/area_summary.hpp"
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

} // namespace

const std::vector<StepType>& step_types() {
    static const std::vector<StepType> types = {
        {"area-summary",
         "Farmland area by category × county (m², 亩, ha) to CSV or XLSX",
         {"farmland", "by", "area", "out"},
         &run_area_summary},
    };
    return types;
}

} // namespace soilrisk::pipeline
