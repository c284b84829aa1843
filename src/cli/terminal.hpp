// Terminal output of the CLI: log lines on stderr and a GDAL-style progress bar
// ("0...10...20...") drawn only when stderr is a terminal and --quiet is not set.
#pragma once

#include "cli/command.hpp"
#include "soilrisk/core/progress.hpp"

namespace soilrisk::cli {

/// Routes library log messages to stderr according to --quiet / --verbose.
void install_terminal_logging(const GlobalOptions& global);

/// A progress callback for the terminal (silent when not a terminal or --quiet).
Progress terminal_progress(const GlobalOptions& global);

} // namespace soilrisk::cli
