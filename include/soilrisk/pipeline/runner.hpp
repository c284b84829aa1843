// Running a project: load inputs once in the working CRS, execute the steps in order,
// write a manifest of what was produced.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "soilrisk/core/crs.hpp"
#include "soilrisk/core/progress.hpp"
#include "soilrisk/io/table.hpp"
#include "soilrisk/io/vector.hpp"
#include "soilrisk/io/vector_writer.hpp"
#include "soilrisk/pipeline/project.hpp"

namespace soilrisk::pipeline {

struct RunOptions {
    std::string out_dir;    ///< overrides the project's out
    bool overwrite = false; ///< replace existing outputs
    io::Lang lang = io::Lang::zh;
    bool lang_given = false; ///< --lang given on the command line (else the project's)
    bool sld = false;        ///< SLD sidecars next to every GeoPackage (or the project's sld)
    Progress progress;
    std::string command_line;
};

/// One file a step produced.
struct OutputRecord {
    std::string step, path, kind, description;
};

/// What steps see: inputs in the working CRS, output paths, the manifest.
class RunContext {
  public:
    RunContext(const Project& project, RunOptions options);
    ~RunContext();

    const Project& project() const { return project_; }
    const RunOptions& options() const { return options_; }
    io::Lang lang() const { return lang_; }
    /// The QGIS styles of the GeoPackage layers a step writes, from map template
    /// `template_name`, in the run's language, with SLD sidecars when asked for.
    io::OutputStyles styles(const std::string& template_name) const;
    /// The working CRS (decided once, from the project's crs or all vector layers).
    const Crs& working_crs();
    /// A vector layer by key, read once and cached, in the working CRS.
    const io::Layer& layer(const std::string& key);
    /// Makes a layer a step produced (in the working CRS) available to later steps as
    /// `key` (e.g. "downstream_mines.corridors"). UsageError if the key is taken.
    void publish_layer(const std::string& key, io::Layer layer);
    /// The declared input for a layer key (throws UsageError listing the keys).
    const io::VectorInput& layer_input(const std::string& key) const;
    /// A raster path by key (throws UsageError listing the keys).
    const std::string& raster(const std::string& key) const;
    /// Absolute path of an output inside the output folder.
    std::string output_path(const std::string& name) const;
    /// Records an output in the manifest.
    void record(const std::string& step, const std::string& path, const std::string& kind,
                const std::string& description);
    const std::vector<OutputRecord>& outputs() const { return outputs_; }
    /// Free-form results a step leaves for later steps and the report (e.g. rankings).
    std::map<std::string, io::Table>& results() { return results_; }
    const std::map<std::string, io::Table>& results() const { return results_; }
    /// The vector layers read so far, by key (for the report).
    const std::map<std::string, io::Layer>& loaded_layers() const { return layers_; }

  private:
    const Project& project_;
    RunOptions options_;
    io::Lang lang_;
    Crs working_;
    bool working_known_ = false;
    std::map<std::string, io::Layer> layers_;
    std::vector<OutputRecord> outputs_;
    std::map<std::string, io::Table> results_;
};

/// A step type: runs with the context and its parameters.
struct StepType {
    std::string type;
    std::string description;
    /// Every parameter key the step accepts ("type" and "name" are implicit); unknown
    /// keys are rejected for all steps before any step runs.
    std::vector<std::string> keys;
    std::function<void(RunContext&, const StepSpec&)> run;
};

/// All step types, in a stable order.
const std::vector<StepType>& step_types();

/// Runs the project; writes <out>/manifest.json and <out>/report.html (maps of kind "map"
/// recorded as .png are embedded, the step's results() tables shown, results()["ranking"]
/// first). Returns the manifest path.
std::string run_project(const Project& project, const RunOptions& options);

} // namespace soilrisk::pipeline
