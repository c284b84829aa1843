// Project files: a whole workflow in one TOML file, run by `soilrisk run`.
//
//   [project]            name, crs (working CRS, default: chosen from the data),
//                        out (output folder, relative to the file), lang (zh|en),
//                        sld (also write the GeoPackage layers' styles as SLD files)
//   [layers.KEY]         path, layer, fields = { role = "FIELD", … }, encoding,
//                        assume_crs, override_crs, where, invalid (fix|skip|error)
//   [rasters.KEY]        path (e.g. a DEM)
//   [[steps]]            type = "area-summary" | …, name (optional), step parameters
//
// Paths are relative to the project file. Unknown keys are errors.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "soilrisk/io/vector.hpp"
#include "soilrisk/pipeline/params.hpp"

namespace soilrisk::pipeline {

struct StepSpec {
    std::string type;
    std::string name; ///< unique within the project; defaults to the type (+ index)
    Params params;
};

struct Project {
    std::filesystem::path file;     ///< the project file
    std::filesystem::path base_dir; ///< its folder: paths are relative to it
    std::string name;
    std::string crs;     ///< working CRS as given ("" = automatic)
    std::string out_dir; ///< resolved output folder
    std::string lang = "zh";
    bool sld = false; ///< SLD sidecars next to every GeoPackage
    std::map<std::string, io::VectorInput> layers;
    std::map<std::string, std::string> rasters; ///< key -> resolved path
    std::vector<StepSpec> steps;
};

/// Parses a project file. Throws UsageError with file:line:column for TOML syntax errors,
/// unknown keys, wrong types and missing required keys; IoError if it cannot be read.
Project load_project(const std::filesystem::path& file);

/// Parses project text (for tests); `file` is used for messages and relative paths.
Project parse_project(const std::string& text, const std::filesystem::path& file);

} // namespace soilrisk::pipeline
