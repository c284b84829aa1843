// The step types a project file can use. Each step reads its parameters, calls the
// library and writes its outputs through the context. New analyses add one entry here.
#include <algorithm>
#include <deque>
#include <filesystem>

#include "soilrisk/analysis/area_summary.hpp"
#include "soilrisk/core/error.hpp"
#include "soilrisk/core/units.hpp"
#include "soilrisk/pipeline/runner.hpp"
#include "soilrisk/render/map.hpp"
#include "soilrisk/render/style.hpp"

namespace fs = std::filesystem;

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

std::string lower(std::string s) {
    for (auto& c : s)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

/// A map (or a map series) of project layers and earlier steps' GeoPackages.
///   style | template   style file (relative to the project) or shipped template
///   layers             project layer keys offered to the style (default: every key the
///                      style names); each is offered under its key
///   inputs             GeoPackages from earlier steps (relative to the output folder, else
///                      to the project); their layers are offered under their own names
///   out                map file in the output folder (default maps/<step>.png)
///   each, title, subtitle, source_note, dpi, size, margin, min_extent  as `soilrisk map`
void run_map(RunContext& ctx, const StepSpec& step) {
    const Params& p = step.params;
    render::MapRequest req;
    const auto style_file = p.string("style");
    const auto tmpl = p.string("template");
    if (style_file && tmpl)
        throw UsageError(p.where() + ": give either 'style' or 'template', not both");
    if (style_file) {
        fs::path f(*style_file);
        if (f.is_relative()) f = ctx.project().base_dir / f;
        req.style = render::load_style(f);
    } else {
        req.style = render::load_template(tmpl.value_or("farmland"));
    }
    req.lang = ctx.lang();
    req.crs = ctx.working_crs();
    req.title = p.string_or("title", "");
    req.subtitle = p.string_or("subtitle", "");
    req.source_note = p.string_or("source_note", "");
    req.each = p.string_or("each", "");
    req.margin = p.number_or("margin", 0.08);
    req.min_extent_m = p.length_or("min_extent", 1000);
    req.render.dpi = p.number_or("dpi", 300);
    req.render.page = render::PageSize::parse(p.string_or("size", "A4-landscape"));

    auto style_wants = [&](const std::string& name) {
        for (const auto& ls : req.style.layers) {
            if (lower(ls.name) == lower(name)) return true;
            for (const auto& a : ls.aliases)
                if (lower(a) == lower(name)) return true;
        }
        return false;
    };
    std::vector<std::string> keys;
    if (p.has("layers")) {
        keys = p.strings("layers");
    } else {
        for (const auto& [key, input] : ctx.project().layers)
            if (style_wants(key)) keys.push_back(key);
    }
    for (const auto& key : keys)
        req.layers.push_back({key, &ctx.layer(key)});
    std::deque<io::Layer> own; // layers of earlier outputs, kept alive for the drawing
    for (const auto& name : p.strings("inputs")) {
        fs::path f = ctx.output_path(name);
        if (!fs::exists(f)) f = ctx.project().base_dir / name;
        if (!fs::exists(f))
            throw IoError(p.where() + ": input '" + name +
                          "' is neither in the output folder nor next to the project file");
        for (const auto& layer : io::list_layers(f.string())) {
            if (!style_wants(layer)) continue;
            io::VectorInput in;
            in.role = layer;
            in.path = f.string();
            in.layer = layer;
            in.allow_empty = true;
            own.push_back(io::read_vector(in, req.crs, ctx.options().progress));
            req.layers.push_back({layer, &own.back()});
        }
    }
    const std::string out = ctx.output_path(p.string_or("out", "maps/" + step.name + ".png"));
    std::error_code ec;
    fs::create_directories(fs::path(out).parent_path(), ec);
    const auto maps = render::draw_maps(req, out, ctx.options().overwrite);
    std::string last;
    for (const auto& m : maps) {
        if (m.path == last) continue; // a PDF series: one file, many pages
        last = m.path;
        std::string what = m.caption;
        if (!req.each.empty() && render::format_for(m.path) == render::Format::pdf)
            what = req.style.title(ctx.lang()) + " (" + std::to_string(maps.size()) +
                   " pages, one per " + req.each + ")";
        ctx.record(step.name, m.path, "map", what);
    }
}

} // namespace

const std::vector<StepType>& step_types() {
    static const std::vector<StepType> types = {
        {"area-summary",
         "Farmland area by category × county (m², 亩, ha) to CSV or XLSX",
         {"farmland", "by", "area", "out"},
         &run_area_summary},
        {"map",
         "Thematic map or map series (PNG/PDF/SVG) from a style or template",
         {"style", "template", "layers", "inputs", "out", "each", "title", "subtitle",
          "source_note", "dpi", "size", "margin", "min_extent"},
         &run_map},
    };
    return types;
}

} // namespace soilrisk::pipeline
