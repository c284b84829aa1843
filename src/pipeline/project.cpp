#include "soilrisk/pipeline/project.hpp"

#include <fstream>
#include <set>
#include <sstream>
#include <toml++/toml.h>

#include "soilrisk/core/error.hpp"

namespace fs = std::filesystem;

namespace soilrisk::pipeline {

namespace {

std::string at(const fs::path& file, const toml::source_region& r) {
    return file.filename().string() + ":" + std::to_string(r.begin.line) + ":" +
           std::to_string(r.begin.column);
}

Params::Entry to_entry(const toml::node& node, const std::string& where) {
    Params::Entry e{};
    if (auto s = node.as_string()) {
        e.kind = Params::Entry::Kind::string;
        e.text = s->get();
    } else if (auto i = node.as_integer()) {
        e.kind = Params::Entry::Kind::number;
        e.number = static_cast<double>(i->get());
        e.text = std::to_string(i->get());
    } else if (auto d = node.as_floating_point()) {
        e.kind = Params::Entry::Kind::number;
        e.number = d->get();
        std::ostringstream os;
        os << d->get();
        e.text = os.str();
    } else if (auto b = node.as_boolean()) {
        e.kind = Params::Entry::Kind::boolean;
        e.boolean = b->get();
        e.text = b->get() ? "true" : "false";
    } else if (auto arr = node.as_array()) {
        bool numbers = !arr->empty();
        for (const auto& item : *arr)
            numbers = numbers && item.is_number();
        e.kind = numbers ? Params::Entry::Kind::number_list : Params::Entry::Kind::string_list;
        for (const auto& item : *arr) {
            if (auto s = item.as_string()) {
                e.strings.push_back(s->get());
            } else if (item.is_number()) {
                const double v = item.is_integer() ? static_cast<double>(item.as_integer()->get())
                                                   : item.as_floating_point()->get();
                e.numbers.push_back(v);
                std::ostringstream os;
                os << v;
                e.strings.push_back(os.str());
            } else {
                throw UsageError(where + ": lists may hold strings or numbers only");
            }
        }
    } else if (auto t = node.as_table()) {
        e.kind = Params::Entry::Kind::table;
        for (const auto& [k, v] : *t) {
            if (auto s = v.as_string())
                e.table[std::string(k.str())] = s->get();
            else
                throw UsageError(where + ": '" + std::string(k.str()) + "' must be a string");
        }
    } else {
        throw UsageError(where + ": unsupported value type (dates are not parameters)");
    }
    return e;
}

Params to_params(const toml::table& table, const std::string& where, const fs::path& file,
                 const std::set<std::string>& skip = {}) {
    Params p(where);
    for (const auto& [k, v] : table) {
        const std::string key(k.str());
        if (skip.count(key)) continue;
        p.set(key, to_entry(v, at(file, v.source()) + " (" + where + ")"));
    }
    return p;
}

std::string resolve(const fs::path& base, const std::string& path) {
    if (path.empty()) return path;
    // Connection strings and GDAL virtual paths stay as they are.
    const auto colon = path.find(':');
    if ((colon != std::string::npos && colon >= 2 && colon <= 10) || path.rfind("/vsi", 0) == 0)
        return path;
    const fs::path p(path);
    return p.is_absolute() ? p.string() : (base / p).lexically_normal().string();
}

io::VectorInput to_layer(const std::string& key, const Params& p, const fs::path& base) {
    p.check_keys({"path", "layer", "sql", "fields", "encoding", "assume_crs", "override_crs",
                  "where", "invalid", "x", "y"});
    io::VectorInput in;
    in.role = key;
    in.path = resolve(base, p.require_string("path"));
    in.layer = p.string_or("layer", "");
    in.sql = p.string_or("sql", "");
    in.fields = p.table("fields");
    in.encoding = p.string_or("encoding", "");
    in.assume_crs = p.string_or("assume_crs", "");
    in.override_crs = p.string_or("override_crs", "");
    in.where = p.string_or("where", "");
    in.invalid = io::parse_invalid_policy(p.string_or("invalid", "fix"));
    in.x_field = p.string_or("x", "");
    in.y_field = p.string_or("y", "");
    return in;
}

} // namespace

Project parse_project(const std::string& text, const fs::path& file) {
    toml::table root;
    try {
        root = toml::parse(text, file.string());
    } catch (const toml::parse_error& e) {
        throw UsageError(at(file, e.source()) + ": " + std::string(e.description()));
    }
    Project project;
    project.file = file;
    project.base_dir = file.parent_path().empty() ? fs::path(".") : file.parent_path();
    const std::string fname = file.filename().string();

    for (const auto& [k, v] : root) {
        const std::string key(k.str());
        if (key != "project" && key != "layers" && key != "rasters" && key != "steps")
            throw UsageError(at(file, v.source()) + ": unknown section '" + key +
                             "' (known: project, layers, rasters, steps)");
    }
    if (auto* t = root["project"].as_table()) {
        Params p = to_params(*t, fname + " [project]", file);
        p.check_keys({"name", "crs", "out", "lang", "sld", "description"});
        project.sld = p.bool_or("sld", false);
        project.name = p.string_or("name", file.stem().string());
        project.crs = p.string_or("crs", "");
        project.out_dir = resolve(project.base_dir, p.string_or("out", "out"));
        project.lang = p.string_or("lang", "zh");
        p.string("description");
        if (project.lang != "zh" && project.lang != "en")
            throw UsageError(fname + " [project]: lang must be \"zh\" or \"en\"");
    } else {
        project.name = file.stem().string();
        project.out_dir = (project.base_dir / "out").string();
    }
    if (auto node = root["layers"]; node) {
        auto* t = node.as_table();
        if (!t)
            throw UsageError(at(file, node.node()->source()) +
                             ": [layers] must be a table of layers");
        for (const auto& [k, v] : *t) {
            const std::string key(k.str());
            auto* lt = v.as_table();
            if (!lt)
                throw UsageError(at(file, v.source()) + ": layers." + key +
                                 " must be a table with at least path = \"…\"");
            project.layers[key] = to_layer(
                key, to_params(*lt, fname + " [layers." + key + "]", file), project.base_dir);
        }
    }
    if (auto node = root["rasters"]; node) {
        auto* t = node.as_table();
        if (!t) throw UsageError(at(file, node.node()->source()) + ": [rasters] must be a table");
        for (const auto& [k, v] : *t) {
            const std::string key(k.str());
            auto* rt = v.as_table();
            if (!rt)
                throw UsageError(at(file, v.source()) + ": rasters." + key + " must be a table");
            Params p = to_params(*rt, fname + " [rasters." + key + "]", file);
            p.check_keys({"path"});
            project.rasters[key] = resolve(project.base_dir, p.require_string("path"));
        }
    }
    if (auto node = root["steps"]; node) {
        auto* arr = node.as_array();
        if (!arr)
            throw UsageError(at(file, node.node()->source()) +
                             ": steps must be written as [[steps]] tables");
        std::set<std::string> names;
        int index = 0;
        for (const auto& item : *arr) {
            ++index;
            auto* st = item.as_table();
            if (!st)
                throw UsageError(at(file, item.source()) +
                                 ": each [[steps]] entry must be a table");
            StepSpec spec;
            const std::string step = "step " + std::to_string(index);
            for (const char* key : {"type", "name"}) {
                const toml::node* n = st->get(key);
                if (n && !n->is_string())
                    throw UsageError(at(file, n->source()) + ": " + step + ": '" + key +
                                     "' must be a string, e.g. " + key + " = \"near\"");
            }
            auto type = (*st)["type"].value<std::string>();
            if (!type)
                throw UsageError(at(file, item.source()) + ": " + step + " has no type = \"…\"");
            spec.type = *type;
            if (auto name = (*st)["name"].value<std::string>()) {
                if (names.count(*name))
                    throw UsageError(at(file, st->get("name")->source()) + ": " + step +
                                     ": name '" + *name +
                                     "' is already used by another step; give each step its "
                                     "own name");
                spec.name = *name;
            } else {
                spec.name = spec.type;
                if (names.count(spec.name)) spec.name += "_" + std::to_string(index);
            }
            names.insert(spec.name);
            spec.params =
                to_params(*st, fname + ", step " + std::to_string(index) + " (" + spec.type + ")",
                          file, {"type", "name"});
            project.steps.push_back(std::move(spec));
        }
    }
    return project;
}

Project load_project(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw IoError("project file '" + file.string() + "' cannot be read; check the path");
    std::stringstream buf;
    buf << in.rdbuf();
    return parse_project(buf.str(), file);
}

} // namespace soilrisk::pipeline
