// The step types a project file can use. Each step reads its parameters, calls the
// library and writes its outputs through the context. New analyses add one entry here.
#include <algorithm>
#include <deque>
#include <filesystem>
#include <optional>

#include "soilrisk/analysis/area_summary.hpp"
#include "soilrisk/analysis/classify.hpp"
#include "soilrisk/analysis/downstream.hpp"
#include "soilrisk/analysis/near.hpp"
#include "soilrisk/analysis/sampling.hpp"
#include "soilrisk/analysis/sites.hpp"
#include "soilrisk/analysis/upstream.hpp"
#include "soilrisk/core/error.hpp"
#include "soilrisk/core/geos.hpp"
#include "soilrisk/core/log.hpp"
#include "soilrisk/core/runtime.hpp"
#include "soilrisk/core/text.hpp"
#include "soilrisk/core/units.hpp"
#include "soilrisk/hydro/condition.hpp"
#include "soilrisk/io/attribute_filter.hpp"
#include "soilrisk/io/vector_writer.hpp"
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

/// A step's vector output: `out` (default STEP.gpkg in the output folder), or for
/// `out = "PG:…"` the connection with the step's `schema` (default "soilrisk").
std::string vector_out(RunContext& ctx, const StepSpec& step) {
    const Params& p = step.params;
    const std::string out = ctx.output_path(p.string_or("out", step.name + ".gpkg"));
    if (!io::is_postgis(out)) {
        if (p.has("schema"))
            throw UsageError(p.where() + ": schema is for PostGIS outputs (out = \"PG:…\")");
        return out;
    }
    std::string lowered = out;
    std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    const bool in_string = lowered.find("active_schema") != std::string::npos;
    return io::postgis_output(out, p.string_or("schema", in_string ? "" : "soilrisk"));
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
    outputs.gpkg = vector_out(ctx, step);
    const std::string table = p.string_or("table", step.name + ".xlsx");
    outputs.table = table.empty() ? std::string() : ctx.output_path(table);
    outputs.overwrite = ctx.options().overwrite;
    outputs.styles = ctx.styles("near");
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

void run_plan_sampling(RunContext& ctx, const StepSpec& step) {
    const Params& p = step.params;
    analysis::SamplingOptions o;
    o.design = analysis::parse_sampling_design(p.string_or("design", "balanced"));
    o.target = p.string_or("target", "");
    o.balanced_method = analysis::parse_balanced_method(p.string_or("balanced_method", "grts"));
    if (p.has("density")) {
        const auto text = p.string("density");
        o.density_per_100mu = text ? analysis::parse_density(*text, p.where() + ": density")
                                   : p.number_or("density", analysis::kDefaultDensityPer100Mu);
        if (!(o.density_per_100mu > 0)) throw UsageError(p.where() + ": density must be positive");
    }
    o.spacing_m = p.length_or("spacing", 0);
    if (p.has("density") && p.has("spacing"))
        throw UsageError(p.where() + ": give density or spacing, not both");
    o.cell_m = p.length_or("cell", 0);
    o.n = p.integer_or("n", -1);
    if (p.has("sizes")) {
        const auto text = p.string("sizes");
        if (text) {
            o.sizes = analysis::parse_stratum_sizes(*text, p.where() + ": sizes");
        } else {
            for (const auto& [k, v] : p.table("sizes"))
                for (const auto& [kk, vv] :
                     analysis::parse_stratum_sizes(k + "=" + v, p.where() + ": sizes"))
                    o.sizes[kk] = vv;
        }
    }
    o.oversample = p.integer_or("oversample", 0);
    o.min_distance_m = p.length_or("min_distance", analysis::kDefaultMinDistanceM);
    o.inset_m = p.length_or("inset", analysis::kDefaultInsetM);
    o.seed = static_cast<std::uint64_t>(p.integer_or("seed", 1));
    o.all_units = p.bool_or("all_units", false);
    o.id_pattern = p.string_or("id_pattern", o.id_pattern);
    o.srs_replicates = static_cast<int>(p.integer_or("srs_replicates", 5));
    o.area_mode = parse_area_mode(p.string_or("area", "ellipsoidal"));
    o.lang = ctx.lang();
    const std::string name = p.string_or("name", step.name);

    analysis::SamplingInputs in;
    in.farmland = &ctx.layer(p.string_or("farmland", "farmland"));
    if (p.has("samples")) in.samples = &ctx.layer(p.require_string("samples"));
    if (p.has("units")) in.units = &ctx.layer(p.require_string("units"));
    if (p.has("within")) in.within = &ctx.layer(p.require_string("within"));
    in.within_distance_m = p.length_or("within_distance", 0);
    const auto result = analysis::plan_sampling(in, o, ctx.options().progress);
    for (const auto& line : result.summary)
        log_info(step.name + ": " + line);
    const auto outputs = analysis::write_sampling_outputs(
        result, o.design, ctx.working_crs(), ctx.output_path(""), name, ctx.lang(),
        ctx.options().overwrite, {{"command_line", ctx.options().command_line}},
        ctx.styles("plan-sampling"));
    for (const auto& f : outputs)
        ctx.record(step.name, f.path, f.kind, f.description);
    ctx.results()[step.name + ".deficit"] = result.deficit;
    ctx.results()[step.name + ".quality"] = result.quality;
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

    const std::string gpkg = vector_out(ctx, step);
    const std::string xlsx = ctx.output_path(p.string_or("tables", step.name + ".xlsx"));
    const std::string csv_dir =
        p.bool_or("csv", true) ? ctx.output_path(p.string_or("csv_dir", step.name + "-csv")) : "";
    const auto sidecars = analysis::write_classify_outputs(
        result, gpkg, xlsx, csv_dir, ctx.lang(), ctx.options().overwrite, ctx.styles("classify"));
    ctx.record(step.name, gpkg, "geopackage",
               std::string("soil samples, parcels with proposed categories (") +
                   analysis::to_string(o.method) + "), change matrix, safe-utilisation rate");
    ctx.record(step.name, xlsx, "table", "category change matrix, changed parcels, weak evidence");
    if (!csv_dir.empty()) ctx.record(step.name, csv_dir, "tables", "the same tables as CSV");
    for (const auto& s : sidecars)
        ctx.record(step.name, s, "style", "");
    ctx.results()[step.name] = result.change_matrix;
    ctx.results()[step.name + ".safe_utilisation"] = result.safe_utilisation;
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
            if (ascii_lower(ls.name) == ascii_lower(name)) return true;
            for (const auto& a : ls.aliases)
                if (ascii_lower(a) == ascii_lower(name)) return true;
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

/// sites: construction-land plots against the land-use plan (see analysis/sites.hpp).
void run_sites(RunContext& ctx, const StepSpec& step) {
    const Params& p = step.params;
    analysis::SitesOptions options;
    options.receptor_distances = p.lengths_or("receptor_distances", options.receptor_distances);
    options.compass_points = static_cast<int>(p.integer_or("compass", 8));
    options.target = p.number_or("target", 35) / 100.0;
    if (!(options.target >= 0 && options.target <= 1))
        throw UsageError(p.where() + ": target is a percentage between 0 and 100");
    options.area = parse_area_mode(p.string_or("area", "ellipsoidal"));
    options.lang = ctx.lang();
    const analysis::LanduseCodeTable table = analysis::load_landuse_table(
        p.has("landuse_table")
            ? (ctx.project().base_dir / p.require_string("landuse_table")).string()
            : std::string());
    analysis::SitesOutputs outputs;
    outputs.gpkg = vector_out(ctx, step);
    const std::string t = p.string_or("table", step.name + ".xlsx");
    outputs.table = t.empty() ? std::string() : ctx.output_path(t);
    outputs.overwrite = ctx.options().overwrite;
    outputs.styles = ctx.styles("sites");
    analysis::check_sites_outputs(outputs);

    const io::Layer& sites = ctx.layer(p.string_or("sites", "sites"));
    const io::Layer& plan = ctx.layer(p.string_or("plan", "landuse_plan"));
    const io::Layer* receptors = nullptr;
    if (p.has("receptors")) receptors = &ctx.layer(p.require_string("receptors"));
    const analysis::SitesResult result =
        analysis::sites_analysis(sites, plan, receptors, table, options);
    outputs.about =
        analysis::sites_about(options, table, sites, plan, receptors, ctx.options().command_line);
    const auto written = analysis::write_sites_outputs(result, sites, receptors, options, outputs);
    analysis::log_sites_summary(result, options.target);
    ctx.record(step.name, written[0], "gpkg",
               "construction-land plots: 一住两公 conflicts, planned uses, receptors");
    for (std::size_t i = 1; i < written.size(); ++i)
        ctx.record(step.name, written[i], "table",
                   "use-change conflicts, receptors and risk-control progress");
    ctx.results()[step.name] = analysis::conflicts_table(result);
    ctx.results()[step.name + ".progress"] = analysis::progress_table(result, options.target);
}

/// The reprojection of a step's DEM: to the working CRS when the DEM's CRS differs (or
/// when `dem_cell_size` is given), resampled by `dem_resampling` (bilinear).
hydro::DemWarp dem_warp(RunContext& ctx, const Params& p) {
    hydro::DemWarp w;
    // Without a declared CRS or any layer to choose one from, the DEM's CRS is the
    // working CRS (and a step needing layers fails on them later).
    if (ctx.project().crs.empty() && ctx.project().layers.empty()) return w;
    w.crs = ctx.working_crs();
    w.resampling = p.string_or("dem_resampling", w.resampling);
    if (const auto cs = p.length("dem_cell_size")) {
        if (w.crs.is_geographic())
            throw UsageError(p.where() + ": dem_cell_size: the working CRS " + w.crs.label() +
                             " is geographic (degrees); set a projected crs in [project]");
        if (!(*cs > 0)) throw UsageError(p.where() + ": dem_cell_size must be a positive length");
        w.cell_size = *cs / w.crs.linear_unit_m();
    }
    return w;
}

/// A step's river burning: `rivers` = a layer key (lines), `burn_depth` (default 50 m).
analysis::RiverBurn river_burn(RunContext& ctx, const Params& p) {
    analysis::RiverBurn burn;
    if (p.has("burn_depth") && !p.has("rivers"))
        throw UsageError(p.where() + ": burn_depth needs rivers = \"<layer key>\"");
    burn.depth_m = p.length_or("burn_depth", burn.depth_m);
    const std::string rivers_key = p.string_or("rivers", "");
    if (!rivers_key.empty()) burn.rivers = &ctx.layer(rivers_key);
    return burn;
}

/// The sites (points or polygons) of a layer in the working CRS, ids from its id role.
std::vector<hydro::Site> layer_sites(const io::Layer& layer, const hydro::FlowSet& flow) {
    std::vector<hydro::Site> sites;
    const int id = layer.role_index("id", false);
    for (const auto& f : layer.features) {
        if (!f.geom) continue;
        const io::Value v = id >= 0 ? f.values[id] : io::Value();
        const std::string text =
            std::holds_alternative<std::monostate>(v) ? std::to_string(f.fid) : io::Layer::text(v);
        sites.push_back(hydro::make_site(flow.geometry, flow.filled, text, f.geom.get()));
    }
    return sites;
}

/// hydro: the hydrology engine as a step. Conditions the project's DEM (reprojected to
/// the working CRS when needed) into the folder `out` (default: the step's name):
/// filled.tif, d8.tif, accumulation.tif, streams.gpkg; with `trace` = a layer key,
/// traces.gpkg (downstream paths of its features, up to `max_length`); with
/// `catchments` = a layer key, catchments.gpkg (upstream catchments, points snapped
/// within `snap`).
void run_hydro(RunContext& ctx, const StepSpec& step) {
    const Params& p = step.params;
    const std::string dem = ctx.raster(p.string_or("dem", "dem"));
    const std::string dir = ctx.output_path(p.string_or("out", step.name));
    hydro::ConditionOptions o;
    o.nodata_as = hydro::parse_nodata_as(p.string_or("nodata_as", "outlet"));
    o.encoding = hydro::parse_d8_encoding(p.string_or("d8_encoding", "esri"));
    const std::string area = p.text("stream_area");
    if (!area.empty()) o.stream_area_m2 = parse_area_m2(area, p.where() + ": stream_area");
    o.warp = dem_warp(ctx, p);
    o.overwrite = ctx.options().overwrite;
    o.threads = thread_count();
    o.styles = ctx.styles("hydro");
    o.metadata = {{"SOILRISK_VERSION", SOILRISK_VERSION}, {"SOILRISK_STEP", step.name}};
    const double max_length = p.length_or("max_length", 0);
    const double snap = p.length_or("snap", 0);
    const std::string trace_key = p.string_or("trace", ""),
                      catch_key = p.string_or("catchments", "");
    const std::string traces = (fs::path(dir) / "traces.gpkg").string(),
                      catchments = (fs::path(dir) / "catchments.gpkg").string();
    if (!ctx.options().overwrite)
        for (const auto& [key, path] : {std::pair{trace_key, traces}, {catch_key, catchments}})
            if (!key.empty() && fs::exists(path))
                throw OutputExistsError(path + ": exists; give --overwrite to replace it");
    const auto progress = ctx.options().progress;
    const hydro::ConditionReport r = hydro::condition_to_folder(dem, dir, o, progress.part(0, 0.8));
    log_info(step.name + ": " + std::to_string(r.cells) + " cells, " +
             std::to_string(r.flood.raised_cells) + " raised by filling, " +
             std::to_string(r.streams) + " stream segments");
    for (const char* f : {"filled.tif", "d8.tif", "accumulation.tif"})
        ctx.record(step.name, (fs::path(dir) / f).string(), "raster",
                   std::string(f) == "filled.tif" ? "depression-filled DEM"
                   : std::string(f) == "d8.tif"
                       ? std::string("D8 flow directions (") + hydro::to_string(o.encoding) +
                             " coding)"
                       : "flow accumulation (cells, including the cell itself)");
    ctx.record(step.name, (fs::path(dir) / "streams.gpkg").string(), "gpkg",
               "streams with Strahler order and upstream area");
    if (trace_key.empty() && catch_key.empty()) return;
    const hydro::FlowSet flow =
        hydro::load_flow_set("", dir, o.nodata_as, {}, progress.part(0.8, 0.9));
    hydro::VectorWriteOptions vo;
    vo.overwrite = ctx.options().overwrite;
    vo.metadata = o.metadata;
    vo.styles = o.styles;
    if (!trace_key.empty()) {
        const auto t = hydro::trace_to_gpkg(flow, layer_sites(ctx.layer(trace_key), flow),
                                            max_length, traces, vo);
        log_info(step.name + ": " + std::to_string(t.paths) + " downstream paths of '" + trace_key +
                 "' (" + std::to_string(t.merged) + " merged into earlier ones)");
        ctx.record(step.name, traces, "gpkg", "downstream flow paths and their profiles");
    }
    if (!catch_key.empty()) {
        const auto c = hydro::catchments_to_gpkg(flow, layer_sites(ctx.layer(catch_key), flow),
                                                 snap, catchments, vo);
        log_info(step.name + ": " + std::to_string(c.catchments) + " upstream catchments of '" +
                 catch_key + "'");
        ctx.record(step.name, catchments, "gpkg", "upstream catchments");
    }
    progress(1.0, "done");
}

/// downstream: farmland downstream of sources over the project's DEM (see
/// analysis/downstream.hpp). The conditioned DEM is cached in <out>/.soilrisk-cache.
/// With `near` = the name of an earlier near step, the mine ranking combines both
/// (surrounding + downstream) and becomes the report's ranking. With `rivers` = a layer
/// key (lines), the rivers are burned into the DEM `burn_depth` deep (default 50 m).
void run_downstream(RunContext& ctx, const StepSpec& step) {
    const Params& p = step.params;
    analysis::DownstreamOptions o;
    o.reach_m = p.length_or("reach", o.reach_m);
    o.corridor_m = p.length_or("corridor", o.corridor_m);
    o.max_height_m = p.length_or("max_height", o.max_height_m);
    o.bands = p.lengths_or("bands", o.bands);
    o.area = parse_area_mode(p.string_or("area", "ellipsoidal"));
    o.lang = ctx.lang();
    const std::string gpkg = vector_out(ctx, step);
    const std::string table_name = p.string_or("table", step.name + ".xlsx");
    const std::string table = table_name.empty() ? std::string() : ctx.output_path(table_name);
    const std::string near = p.string_or("near", "");
    if (!near.empty() && !ctx.results().count(near + ".ranking"))
        throw UsageError(p.where() + ": near = '" + near +
                         "' is not an earlier near step (run it before this step)");
    const analysis::RiverBurn burn = river_burn(ctx, p);
    const bool cache = p.bool_or("cache", true);
    const std::string dem = ctx.raster(p.string_or("dem", "dem"));
    const analysis::FlowGrids grids =
        analysis::load_flow_grids(dem, cache ? ctx.output_path(".soilrisk-cache") : "",
                                  hydro::parse_nodata_as(p.string_or("nodata_as", "outlet")),
                                  dem_warp(ctx, p), ctx.options().progress, nullptr, burn);
    const io::Layer& farmland = ctx.layer(p.string_or("farmland", "farmland"));
    const io::Layer& sources = ctx.layer(p.string_or("sources", "sources"));
    const auto result =
        analysis::downstream_analysis(grids, farmland, sources, o, ctx.options().progress);
    io::Table ranking = analysis::downstream_ranking(result);
    std::vector<const io::Table*> extra;
    io::Table combined;
    if (!near.empty()) {
        combined = analysis::combined_ranking({&ctx.results()[near + ".ranking"], &ranking},
                                              {"near", "downstream"});
        extra.push_back(&combined);
    }
    std::vector<std::pair<std::string, std::string>> about = {
        {"project_step", step.name},
        {"command_line", ctx.options().command_line},
        {"dem", ctx.raster(p.string_or("dem", "dem"))},
        {"reach_m", io::Layer::text(io::Value(o.reach_m))},
        {"corridor_m", io::Layer::text(io::Value(o.corridor_m))},
        {"max_height_m", io::Layer::text(io::Value(o.max_height_m))}};
    for (auto& entry : analysis::river_about(burn))
        about.push_back(std::move(entry));
    const auto written = analysis::write_downstream_outputs(result, farmland, grids, o, gpkg, table,
                                                            ctx.options().overwrite, about, extra,
                                                            ctx.styles("downstream"));
    ctx.record(step.name, written[0], "gpkg",
               "flow paths, affected corridors and farmland downstream of sources");
    for (std::size_t i = 1; i < written.size(); ++i)
        ctx.record(step.name, written[i], "table",
                   "farmland downstream by source × chainage band × category; ranking");
    const bool zh = ctx.lang() == io::Lang::zh;
    analysis::log_ranking(ranking, zh ? "污染源优先级（下游耕地面积，亩）："
                                      : "source priority (farmland downstream, mu):");
    if (!near.empty()) {
        analysis::log_ranking(combined, zh ? "历史矿区排查优先级（周边及下游耕地面积，亩）："
                                           : "mining-area priority (farmland around and "
                                             "downstream, mu):");
        ctx.results()["ranking"] = combined;
    } else if (!ctx.results().count("ranking")) {
        ctx.results()["ranking"] = ranking;
    }
    ctx.results()[step.name] = analysis::downstream_summary(result, o);
    ctx.results()[step.name + ".ranking"] = std::move(ranking);
    // The affected corridors, for later steps (e.g. plan-sampling within = "<step>.corridors").
    io::Layer corridors;
    corridors.source = written[0];
    corridors.name = "corridors";
    corridors.role = "corridors";
    corridors.crs = sources.crs;
    corridors.native_crs = sources.crs;
    corridors.kind = io::GeometryKind::polygon;
    corridors.fields = {{"source_id", io::FieldType::string}, {"name", io::FieldType::string}};
    corridors.roles = {{"id", "source_id"}, {"name", "name"}};
    for (const auto& s : result.sources) {
        if (!s.zone) continue;
        io::Feature f;
        f.fid = static_cast<std::int64_t>(corridors.features.size()) + 1;
        f.geom = geos::clone(s.zone.get());
        f.values = {io::Value(io::Layer::text(s.id)), io::Value(s.name)};
        corridors.features.push_back(std::move(f));
    }
    ctx.publish_layer(step.name + ".corridors", std::move(corridors));
}

/// upstream: catchments of target clusters (targets filtered by `where`) and the sources
/// in them.
void run_upstream(RunContext& ctx, const StepSpec& step) {
    const Params& p = step.params;
    analysis::UpstreamOptions o;
    o.cluster_distance_m = p.length_or("cluster_distance", 0);
    o.area = parse_area_mode(p.string_or("area", "ellipsoidal"));
    o.lang = ctx.lang();
    const std::string gpkg = vector_out(ctx, step);
    const std::string table_name = p.string_or("table", step.name + ".xlsx");
    const std::string table = table_name.empty() ? std::string() : ctx.output_path(table_name);
    const bool cache = p.bool_or("cache", true);
    const std::string dem = ctx.raster(p.string_or("dem", "dem"));
    const analysis::RiverBurn burn = river_burn(ctx, p);
    const analysis::FlowGrids grids =
        analysis::load_flow_grids(dem, cache ? ctx.output_path(".soilrisk-cache") : "",
                                  hydro::parse_nodata_as(p.string_or("nodata_as", "outlet")),
                                  dem_warp(ctx, p), ctx.options().progress, nullptr, burn);
    const io::Layer& targets = ctx.layer(p.string_or("targets", "farmland"));
    const io::Layer& sources = ctx.layer(p.string_or("sources", "sources"));
    std::vector<std::uint32_t> selected;
    const std::string where = p.string_or("where", "");
    if (!where.empty()) {
        io::AttributeFilter filter = io::AttributeFilter::parse(where, p.where() + ": where");
        filter.bind(targets);
        for (std::uint32_t i = 0; i < targets.features.size(); ++i)
            if (filter.matches(targets.features[i].values)) selected.push_back(i);
        if (selected.empty())
            throw DataError(p.where() + ": no target matches where = \"" + where + "\"");
    }
    const auto result =
        analysis::upstream_analysis(grids, targets, selected, sources, o, ctx.options().progress);
    std::vector<std::pair<std::string, std::string>> about = {
        {"project_step", step.name},
        {"command_line", ctx.options().command_line},
        {"where", where},
        {"cluster_distance_m", io::Layer::text(io::Value(o.cluster_distance_m))}};
    for (auto& entry : analysis::river_about(burn))
        about.push_back(std::move(entry));
    const auto written =
        analysis::write_upstream_outputs(result, targets, sources, o, gpkg, table,
                                         ctx.options().overwrite, about, ctx.styles("upstream"));
    ctx.record(step.name, written[0], "gpkg", "upstream catchments of target clusters and sources");
    for (std::size_t i = 1; i < written.size(); ++i)
        ctx.record(step.name, written[i], "table", "sources upstream of each cluster");
    log_info(step.name + ": " + std::to_string(result.clusters.size()) + " clusters, " +
             std::to_string(result.links.size()) + " upstream (cluster, source) links");
    ctx.results()[step.name] = analysis::upstream_table(result);
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
         {"farmland", "sources", "rings", "by", "area", "quad_segs", "grid_size", "out", "schema",
          "table"},
         &run_near},
        {"plan-sampling",
         "Dense-sampling deficit per unit and a field-ready sampling plan (GeoPackage, GPX, "
         "KML, field sheet)",
         {"farmland",
          "samples",
          "units",
          "within",
          "within_distance",
          "target",
          "balanced_method",
          "cell",
          "density",
          "spacing",
          "design",
          "n",
          "sizes",
          "oversample",
          "min_distance",
          "inset",
          "seed",
          "all_units",
          "id_pattern",
          "srs_replicates",
          "area",
          "name"},
         &run_plan_sampling},
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
          "schema",
          "tables",
          "csv",
          "csv_dir"},
         &run_classify},
        {"sites",
         "Contaminated construction-land plots against the land-use plan: 一住两公 conflicts, "
         "receptors, risk-control progress (GeoPackage, table)",
         {"sites", "plan", "receptors", "receptor_distances", "compass", "target", "landuse_table",
          "area", "out", "schema", "table"},
         &run_sites},
        {"downstream",
         "Farmland downstream of sources (flow paths, corridors, parcels by chainage band × "
         "category) and the mine ranking",
         {"dem", "farmland", "sources", "rivers", "burn_depth", "reach", "corridor", "max_height",
          "bands", "area", "near", "nodata_as", "cache", "out", "schema", "table", "dem_cell_size",
          "dem_resampling"},
         &run_downstream},
        {"upstream",
         "Upstream catchments of polluted-farmland clusters and the sources inside them",
         {"dem", "targets", "where", "sources", "rivers", "burn_depth", "cluster_distance", "area",
          "nodata_as", "cache", "out", "schema", "table", "dem_cell_size", "dem_resampling"},
         &run_upstream},
        {"hydro",
         "Hydrology of the DEM: filled DEM, D8 directions, accumulation, streams; downstream "
         "paths and upstream catchments of layers",
         {"dem", "out", "nodata_as", "d8_encoding", "stream_area", "dem_cell_size",
          "dem_resampling", "trace", "max_length", "catchments", "snap"},
         &run_hydro},
        {"map",
         "Thematic map or map series (PNG/PDF/SVG) from a style or template",
         {"style", "template", "layers", "inputs", "out", "each", "title", "subtitle",
          "source_note", "dpi", "size", "margin", "min_extent"},
         &run_map},
    };
    return types;
}

} // namespace soilrisk::pipeline
