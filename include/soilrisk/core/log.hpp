// Messages to the user: informational lines and warnings.
//
// The library never prints; it reports here. The CLI installs a sink that writes to
// stderr; the pipeline collects warnings into the run manifest and report.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace soilrisk {

enum class LogLevel { debug, info, warning };

using LogSink = std::function<void(LogLevel, std::string_view)>;

/// Installs the sink (thread-safe; nullptr restores the default, which drops messages).
void set_log_sink(LogSink sink);

void log_debug(std::string_view message);
void log_info(std::string_view message);
/// A warning is also remembered (see take_warnings) for manifests and reports.
void log_warning(std::string_view message);

/// Returns and clears the warnings logged since the last call.
std::vector<std::string> take_warnings();

} // namespace soilrisk
