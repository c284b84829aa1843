// soilrisk run PROJECT.toml [--out DIR] [--overwrite]: a whole workflow from a project file.
#include <CLI/CLI.hpp>

#include "cli/command.hpp"
#include "cli/terminal.hpp"
#include "soilrisk/core/log.hpp"
#include "soilrisk/pipeline/project.hpp"
#include "soilrisk/pipeline/runner.hpp"

namespace soilrisk::cli {

namespace {

class RunCommand : public Command {
  public:
    void setup(CLI::App& app) override {
        app.add_option("project", file_, "Project file (TOML)")
            ->required()
            ->type_name("PROJECT.toml");
        app.add_option("-o,--out", out_, "Output folder (default: the project's out setting)")
            ->type_name("DIR");
        app.add_flag("--overwrite", overwrite_, "Replace outputs that exist");
    }

    int run(const GlobalOptions& global) override {
        pipeline::Project project = pipeline::load_project(file_);
        pipeline::RunOptions options;
        options.out_dir = out_;
        options.overwrite = overwrite_;
        options.lang_given = global.lang_given;
        options.lang = io::parse_lang(global.lang);
        options.sld = global.sld;
        options.progress = terminal_progress(global);
        options.command_line = global.command_line;
        const std::string manifest = pipeline::run_project(project, options);
        log_info("done; manifest: " + manifest);
        return 0;
    }

  private:
    std::string file_, out_;
    bool overwrite_ = false;
};

std::unique_ptr<Command> make() {
    return std::make_unique<RunCommand>();
}
RegisterCommand reg{"run", "Run a project file: all its steps, into one output folder", &make};

} // namespace

} // namespace soilrisk::cli
