#include "soilrisk/core/log.hpp"

#include <mutex>
#include <utility>

namespace soilrisk {

namespace {

std::mutex g_mutex;
LogSink g_sink;
std::vector<std::string> g_warnings;

void emit(LogLevel level, std::string_view message) {
    std::lock_guard lock(g_mutex);
    if (level == LogLevel::warning) g_warnings.emplace_back(message);
    if (g_sink) g_sink(level, message);
}

} // namespace

void set_log_sink(LogSink sink) {
    std::lock_guard lock(g_mutex);
    g_sink = std::move(sink);
}

void log_debug(std::string_view message) {
    emit(LogLevel::debug, message);
}
void log_info(std::string_view message) {
    emit(LogLevel::info, message);
}
void log_warning(std::string_view message) {
    emit(LogLevel::warning, message);
}

std::vector<std::string> take_warnings() {
    std::lock_guard lock(g_mutex);
    return std::exchange(g_warnings, {});
}

} // namespace soilrisk
