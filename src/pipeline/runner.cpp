#include "soilrisk/pipeline/runner.hpp"

#include <ctime>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "soilrisk/core/error.hpp"
#include "soilrisk/core/log.hpp"
#include "soilrisk/core/runtime.hpp"
#include "soilrisk/io/checksum.hpp"
#include "soilrisk/io/output.hpp"
#include "soilrisk/render/qgis_style.hpp"
#include "soilrisk/render/report.hpp"

namespace fs = std::filesystem;

namespace soilrisk::pipeline {

RunContext::RunContext(const Project& project, RunOptions options)
    : project_(project), options_(std::move(options)) {
    lang_ = options_.lang_given ? options_.lang : io::parse_lang(project_.lang);
}

RunContext::~RunContext() = default;

const Crs& RunContext::working_crs() {
    if (working_known_) return working_;
    std::vector<io::VectorReader> readers;
    if (project_.crs.empty()) {
        for (const auto& [key, input] : project_.layers)
            readers.emplace_back(input);
    }
    std::vector<const io::VectorReader*> ptrs;
    for (const auto& r : readers)
        ptrs.push_back(&r);
    working_ = io::working_crs_for(ptrs, project_.crs);
    working_known_ = true;
    log_info("working CRS: " + working_.label() + " (" + working_.name() + ")" +
             (project_.crs.empty() ? ", chosen from the centre of the data" : ""));
    return working_;
}

const io::VectorInput& RunContext::layer_input(const std::string& key) const {
    const auto it = project_.layers.find(key);
    if (it == project_.layers.end()) {
        std::string keys;
        for (const auto& [k, v] : project_.layers)
            keys += (keys.empty() ? "" : ", ") + k;
        throw UsageError(project_.file.filename().string() + ": no layer '" + key +
                         "' in [layers] (declared: " + (keys.empty() ? "none" : keys) + ")");
    }
    return it->second;
}

void RunContext::publish_layer(const std::string& key, io::Layer layer) {
    if (project_.layers.count(key) || layers_.count(key))
        throw UsageError(project_.file.filename().string() + ": layer key '" + key +
                         "' is used twice (a step's output layer has the name of another "
                         "layer; rename the step)");
    layers_.emplace(key, std::move(layer));
}

const io::Layer& RunContext::layer(const std::string& key) {
    const auto it = layers_.find(key);
    if (it != layers_.end()) return it->second;
    if (!project_.layers.count(key) && key.find('.') != std::string::npos) {
        std::string keys;
        for (const auto& [k, l] : layers_)
            if (!project_.layers.count(k)) keys += (keys.empty() ? "" : ", ") + k;
        throw UsageError(project_.file.filename().string() + ": no layer '" + key +
                         "': neither in [layers] nor an output of an earlier step (so far: " +
                         (keys.empty() ? "none" : keys) + "); put the step that makes it first");
    }
    const io::VectorInput& input = layer_input(key);
    const Crs& crs = working_crs();
    io::Layer l = io::read_vector(input, crs, options_.progress);
    log_info("read " + std::to_string(l.features.size()) + " features from " + l.where() +
             " (CRS " + l.native_crs.label() + ", encoding " + l.report.encoding + ")");
    return layers_.emplace(key, std::move(l)).first->second;
}

const std::string& RunContext::raster(const std::string& key) const {
    const auto it = project_.rasters.find(key);
    if (it == project_.rasters.end()) {
        std::string keys;
        for (const auto& [k, v] : project_.rasters)
            keys += (keys.empty() ? "" : ", ") + k;
        throw UsageError(project_.file.filename().string() + ": no raster '" + key +
                         "' in [rasters] (declared: " + (keys.empty() ? "none" : keys) + ")");
    }
    return it->second;
}

std::string RunContext::output_path(const std::string& name) const {
    // Connection strings (PostGIS outputs) are not files in the output folder.
    if (io::is_connection_string(name)) return name;
    const std::string dir = options_.out_dir.empty() ? project_.out_dir : options_.out_dir;
    return (fs::path(dir) / name).string();
}

io::OutputStyles RunContext::styles(const std::string& template_name) const {
    return render::output_styles(template_name, lang_, options_.sld || project_.sld);
}

void RunContext::record(const std::string& step, const std::string& path, const std::string& kind,
                        const std::string& description) {
    if (fs::path(path).extension() == ".sld") {
        outputs_.push_back({step, path, "style", "SLD style of a GeoPackage layer"});
        log_info("wrote " + path);
        return;
    }
    outputs_.push_back({step, path, kind, description});
    log_info("wrote " + io::redact_password(path));
}

const std::vector<StepType>& step_types(); // steps.cpp

namespace {

std::string today() {
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    localtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
    return buf;
}

/// report.html from what the run did: inputs as read, each step's parameters, maps (PNG
/// outputs, scaled for the page), tables left in results(), files; the ranking first.
void write_run_report(const Project& project, const RunContext& ctx, const std::string& out_dir,
                      const std::vector<double>& seconds, const std::vector<std::string>& warnings,
                      const std::string& working_crs) {
    render::Report r;
    r.lang = ctx.lang();
    r.title = project.name;
    r.project_file = fs::absolute(project.file).string();
    r.command_line = ctx.options().command_line;
    r.version = SOILRISK_VERSION;
    r.working_crs = working_crs;
    r.out_dir = fs::absolute(out_dir).string();
    r.date = today();
    r.warnings = warnings;
    for (const auto& [key, input] : project.layers) {
        render::ReportInput in;
        in.key = key;
        in.path = io::redact_password(input.path);
        in.layer = input.layer;
        const auto it = ctx.loaded_layers().find(key);
        if (it != ctx.loaded_layers().end()) {
            const io::Layer& l = it->second;
            in.layer = l.name;
            in.crs = l.native_crs.label();
            in.geometry = io::to_string(l.kind);
            in.features = static_cast<long long>(l.features.size());
            in.warnings = l.report.warnings;
        }
        r.inputs.push_back(std::move(in));
    }
    const auto ranking = ctx.results().find("ranking");
    if (ranking != ctx.results().end()) r.ranking = &ranking->second;
    for (std::size_t i = 0; i < project.steps.size(); ++i) {
        const StepSpec& spec = project.steps[i];
        render::ReportStep s;
        s.name = spec.name;
        s.type = spec.type;
        s.seconds = i < seconds.size() ? seconds[i] : 0;
        for (const auto& key : spec.params.keys())
            s.parameters.emplace_back(key, io::redact_password(spec.params.text(key)));
        for (const auto& o : ctx.outputs()) {
            if (o.step != spec.name) continue;
            s.files.push_back({io::is_connection_string(o.path)
                                   ? io::redact_password(o.path)
                                   : fs::relative(o.path, out_dir).string(),
                               o.kind, o.description});
            const std::string ext = fs::path(o.path).extension().string();
            if (o.kind == "map" && (ext == ".png" || ext == ".PNG")) {
                try {
                    s.maps.push_back({o.description, render::png_for_report(o.path)});
                } catch (const Error& e) {
                    log_warning("report: map not embedded: " + std::string(e.what()));
                }
            }
        }
        for (const auto& [key, table] : ctx.results())
            if (key == spec.name || key.rfind(spec.name + "/", 0) == 0)
                s.tables.emplace_back(key, &table);
        r.steps.push_back(std::move(s));
    }
    // Like the manifest, the report describes this run and always replaces the last one.
    render::write_report(r, (fs::path(out_dir) / "report.html").string(), true);
}

} // namespace

std::string run_project(const Project& project, const RunOptions& options) {
    // Validate every step before any runs: a typo in the last step must not cost the
    // time of the first ones.
    for (const auto& step : project.steps) {
        const StepType* type = nullptr;
        for (const auto& t : step_types())
            if (t.type == step.type) type = &t;
        if (!type) {
            std::string known;
            for (const auto& t : step_types())
                known += (known.empty() ? "" : ", ") + t.type;
            throw UsageError(step.params.where() + ": unknown step type '" + step.type +
                             "' (known: " + known + ")");
        }
        step.params.check_keys(type->keys);
    }
    for (const auto& [key, input] : project.layers) {
        if (input.path.find(':') == std::string::npos && !fs::exists(input.path))
            throw IoError(project.file.filename().string() + " [layers." + key + "]: '" +
                          input.path + "' does not exist (paths are relative to the project file)");
    }
    for (const auto& [key, path] : project.rasters) {
        if (!fs::exists(path))
            throw IoError(project.file.filename().string() + " [rasters." + key + "]: '" + path +
                          "' does not exist (paths are relative to the project file)");
    }

    RunContext ctx(project, options);
    const std::string out_dir = options.out_dir.empty() ? project.out_dir : options.out_dir;
    std::error_code ec;
    fs::create_directories(out_dir, ec);
    if (ec) throw IoError("cannot create the output folder '" + out_dir + "': " + ec.message());
    take_warnings();

    nlohmann::json manifest;
    manifest["soilrisk_version"] = SOILRISK_VERSION;
    manifest["project"] = fs::absolute(project.file).string();
    manifest["name"] = project.name;
    manifest["command_line"] = options.command_line;
    manifest["steps"] = nlohmann::json::array();

    const std::size_t n = project.steps.size();
    std::vector<double> step_seconds;
    for (std::size_t i = 0; i < n; ++i) {
        const StepSpec& step = project.steps[i];
        const StepType* type = nullptr;
        for (const auto& t : step_types())
            if (t.type == step.type) type = &t;
        log_info("step " + std::to_string(i + 1) + "/" + std::to_string(n) + ": " + step.name +
                 " (" + step.type + ")");
        const auto start = std::chrono::steady_clock::now();
        const std::size_t first_output = ctx.outputs().size();
        RunContext& c = ctx;
        type->run(c, step);
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        nlohmann::json js;
        js["name"] = step.name;
        js["type"] = step.type;
        js["seconds"] = seconds;
        nlohmann::json params = nlohmann::json::object();
        for (const auto& key : step.params.keys())
            params[key] = io::redact_password(step.params.text(key));
        js["parameters"] = params;
        js["outputs"] = nlohmann::json::array();
        for (std::size_t k = first_output; k < ctx.outputs().size(); ++k) {
            const auto& o = ctx.outputs()[k];
            js["outputs"].push_back({{"path", io::is_connection_string(o.path)
                                                  ? io::redact_password(o.path)
                                                  : fs::relative(o.path, out_dir).string()},
                                     {"kind", o.kind},
                                     {"description", o.description}});
        }
        manifest["steps"].push_back(js);
        step_seconds.push_back(seconds);
    }
    manifest["working_crs"] = project.layers.empty() && project.crs.empty()
                                  ? nlohmann::json()
                                  : nlohmann::json(ctx.working_crs().label());
    // Inputs with the SHA-256 of every file they are made of: what this run read.
    auto files_json = [](const std::string& path) {
        nlohmann::json files = nlohmann::json::array();
        for (const auto& f : io::dataset_files(path))
            files.push_back({{"path", f.path}, {"bytes", f.bytes}, {"sha256", f.sha256}});
        return files;
    };
    manifest["inputs"] = nlohmann::json::array();
    for (const auto& [key, input] : project.layers) {
        nlohmann::json in = {{"key", key},
                             {"kind", "vector"},
                             {"path", io::redact_password(input.path)},
                             {"layer", input.layer}};
        if (!input.sql.empty()) in["sql"] = input.sql;
        const auto it = ctx.loaded_layers().find(key);
        if (it != ctx.loaded_layers().end()) {
            in["layer"] = it->second.name;
            in["features"] = it->second.features.size();
        } else {
            in["used"] = false;
        }
        in["files"] = files_json(input.path);
        manifest["inputs"].push_back(std::move(in));
    }
    for (const auto& [key, path] : project.rasters)
        manifest["inputs"].push_back(
            {{"key", key}, {"kind", "raster"}, {"path", path}, {"files", files_json(path)}});
    manifest["options"] = {{"threads", thread_count()},
                           {"lang", ctx.lang() == io::Lang::zh ? "zh" : "en"},
                           {"overwrite", options.overwrite}};
    const std::vector<std::string> warnings = take_warnings();
    manifest["warnings"] = warnings;
    manifest["report"] = "report.html";
    write_run_report(project, ctx, out_dir, step_seconds, warnings,
                     manifest["working_crs"].is_null()
                         ? std::string()
                         : manifest["working_crs"].get<std::string>());

    const std::string path = (fs::path(out_dir) / "manifest.json").string();
    io::write_text_file(manifest.dump(2) + "\n", path, true);
    return path;
}

} // namespace soilrisk::pipeline
