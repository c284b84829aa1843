#include "cli/terminal.hpp"

#include <cstdio>
#include <mutex>
#include <unistd.h>

#include "soilrisk/core/log.hpp"

namespace soilrisk::cli {

namespace {

struct BarState {
    int last_tick = -1;
};

int draw_progress(double complete, const char*, void* arg) {
    // GDAL's terminal style: 0...10...20...30...40...50...60...70...80...90...100 - done.
    auto* state = static_cast<BarState*>(arg);
    const int tick = static_cast<int>(complete * 40.0 + 1e-9);
    if (tick < state->last_tick) state->last_tick = -1; // a new bar
    for (int t = state->last_tick + 1; t <= tick && t <= 40; ++t) {
        if (t % 4 == 0)
            std::fprintf(stderr, "%d", t / 4 * 10);
        else
            std::fputc('.', stderr);
        if (t == 40) std::fputs(" - done.\n", stderr);
    }
    state->last_tick = tick;
    std::fflush(stderr);
    return 1;
}

BarState g_bar;
std::mutex g_log_mutex;

} // namespace

void install_terminal_logging(const GlobalOptions& global) {
    const bool quiet = global.quiet;
    const bool verbose = global.verbose;
    set_log_sink([quiet, verbose](LogLevel level, std::string_view msg) {
        std::lock_guard lock(g_log_mutex);
        switch (level) {
        case LogLevel::debug:
            if (verbose)
                std::fprintf(stderr, "soilrisk: debug: %.*s\n", int(msg.size()), msg.data());
            break;
        case LogLevel::info:
            if (!quiet) std::fprintf(stderr, "soilrisk: %.*s\n", int(msg.size()), msg.data());
            break;
        case LogLevel::warning:
            std::fprintf(stderr, "soilrisk: warning: %.*s\n", int(msg.size()), msg.data());
            break;
        }
    });
}

Progress terminal_progress(const GlobalOptions& global) {
    if (global.quiet || !isatty(fileno(stderr))) return {};
    g_bar.last_tick = -1;
    return Progress{&draw_progress, &g_bar};
}

} // namespace soilrisk::cli
