#include "cli/options.hpp"

#include <CLI/CLI.hpp>

#include "soilrisk/core/error.hpp"
#include "soilrisk/core/units.hpp"
#include "soilrisk/io/vector_writer.hpp"

namespace soilrisk::cli {

void add_vector_input(CLI::App& app, io::VectorInput& input, std::vector<std::string>& fields_out,
                      const std::string& role, const std::string& help, bool required) {
    input.role = role;
    const bool generic = role == "input";
    const std::string p = generic ? "--" : "--" + role + "-";
    CLI::Option* path = generic ? app.add_option("path", input.path, help)
                                : app.add_option("--" + role, input.path, help);
    path->type_name("PATH");
    if (required) path->required();
    app.add_option(p + "layer", input.layer, "Layer name (when the source has several)")
        ->type_name("NAME");
    app.add_option(p + "sql", input.sql,
                   "A query instead of a layer, in the source's SQL (PostgreSQL for PG:…)")
        ->type_name("SELECT…");
    app.add_option(p + "encoding", input.encoding,
                   "Attribute encoding when the file does not say (e.g. GBK, UTF-8)");
    app.add_option(p + "assume-crs", input.assume_crs,
                   "CRS of data that has none (e.g. EPSG:4545)");
    app.add_option(p + "override-crs", input.override_crs,
                   "CRS that replaces a wrongly labelled one (e.g. EPSG:4524)");
    app.add_option(p + "where", input.where, "Attribute filter (OGR SQL, e.g. \"category=3\")");
    app.add_option(p + "field", fields_out,
                   "Map a role to a field: ROLE=FIELD (e.g. category=LB); repeatable")
        ->type_name("ROLE=FIELD");
    app.add_option(p + "x", input.x_field, "CSV: column with x / longitude");
    app.add_option(p + "y", input.y_field, "CSV: column with y / latitude");
}

void apply_field_roles(io::VectorInput& input, const std::vector<std::string>& fields) {
    for (const auto& item : fields) {
        const auto eq = item.find('=');
        if (eq == std::string::npos || eq == 0 || eq + 1 == item.size())
            throw UsageError("--" + (input.role == "input" ? std::string() : input.role + "-") +
                             "field: '" + item + "' must be ROLE=FIELD, e.g. category=LB");
        input.fields[item.substr(0, eq)] = item.substr(eq + 1);
    }
}

void add_schema_option(CLI::App& app, std::string& schema) {
    app.add_option("--schema", schema,
                   "PostGIS output (--out PG:…): schema for the result tables, created if "
                   "missing (default: soilrisk)")
        ->type_name("NAME");
}

std::string vector_output(const std::string& out, const std::string& schema) {
    if (!io::is_postgis(out)) return io::postgis_output(out, schema); // rejects --schema
    std::string lowered = out;
    for (char& c : lowered)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const bool in_string = lowered.find("active_schema") != std::string::npos;
    return io::postgis_output(out, schema.empty() && !in_string ? "soilrisk" : schema);
}

void add_invalid_option(CLI::App& app, std::string& policy_text) {
    app.add_option("--invalid", policy_text,
                   "Invalid geometries: fix (GEOS MakeValid, logged), skip, or error")
        ->check(CLI::IsMember({"fix", "skip", "error"}))
        ->capture_default_str();
}

void WarpOptions::add(CLI::App* app) {
    app->add_option("--crs", crs,
                    "Reproject the DEM to this CRS first (EPSG code, WKT or PROJ string, "
                    "e.g. EPSG:4545); it becomes the working CRS");
    app->add_option("--cell-size", cell_size,
                    "Cell size of the reprojected DEM (e.g. 30m; default: about the DEM's "
                    "own; needs --crs)");
    app->add_option("--resampling", resampling, "Resampling of the reprojected DEM (gdalwarp -r)")
        ->check(CLI::IsMember({"near", "bilinear", "cubic", "cubicspline", "lanczos", "average",
                               "min", "max", "med"}))
        ->capture_default_str();
}

hydro::DemWarp WarpOptions::parse() const {
    hydro::DemWarp w;
    if (crs.empty()) {
        if (!cell_size.empty())
            throw UsageError("--cell-size: give --crs too (the CRS of the reprojected DEM)");
        return w;
    }
    w.crs = Crs::parse(crs, "--crs");
    if (!cell_size.empty()) {
        if (w.crs.is_geographic())
            throw UsageError("--cell-size: " + w.crs.label() +
                             " is geographic (degrees); give a projected --crs, or leave "
                             "--cell-size out");
        w.cell_size = parse_length(cell_size, "--cell-size") / w.crs.linear_unit_m();
    }
    w.resampling = resampling;
    return w;
}

std::string WarpOptions::describe() const {
    if (crs.empty()) return "";
    return "crs=" + crs + " cell_size=" + (cell_size.empty() ? "auto" : cell_size) +
           " resampling=" + resampling;
}

void RiverOptions::add(CLI::App& app, const std::string& what) {
    add_vector_input(app, input, fields, "rivers",
                     "River network (lines), burned into the DEM: " + what, false);
    app.add_option("--burn-depth", burn_depth,
                   "How deep --rivers are burned into the DEM (DEM units, metres); heights "
                   "above the path use the unburned DEM")
        ->capture_default_str()
        ->needs(app.get_option("--rivers"));
}

void RiverOptions::read(const std::string& dem, const hydro::DemWarp& warp,
                        io::InvalidPolicy invalid, std::optional<io::Layer>& layer,
                        analysis::RiverBurn& burn) {
    if (input.path.empty()) return;
    apply_field_roles(input, fields);
    input.invalid = invalid;
    burn.depth_m = parse_length(burn_depth, "--burn-depth");
    input.allow_empty = true; // analysis::river_cells says what to do
    layer = io::read_vector(input, hydro::read_grid_geometry(dem, warp).crs());
    burn.rivers = &*layer;
}

} // namespace soilrisk::cli
