// soilrisk: command-line entry point. Parses the global options, hands over to the
// subcommand, and maps errors to one clear line and an exit code:
// 0 ok, 1 data or I/O error, 2 usage error, 130 cancelled.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <malloc.h>
#include <new>
#include <unistd.h>

#include "cli/command.hpp"
#include "cli/terminal.hpp"
#include "soilrisk/core/error.hpp"
#include "soilrisk/core/log.hpp"
#include "soilrisk/core/runtime.hpp"
#include "soilrisk/io/output.hpp"
#include "soilrisk/io/vector.hpp"

namespace soilrisk::cli {

namespace {

/// SIGINT/SIGTERM: remove the temporary outputs of this run (previous outputs stay
/// intact), then exit with 128 + signal.
void on_signal(int sig) {
    io::remove_pending_outputs();
    static const char msg[] = "\nsoilrisk: interrupted; no partial output was left\n";
    [[maybe_unused]] auto n = ::write(2, msg, sizeof msg - 1);
    ::_exit(128 + sig);
}

void install_signal_handlers() {
    struct sigaction sa {};
    sa.sa_handler = &on_signal;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);
}

} // namespace

std::vector<CommandInfo>& command_registry() {
    static std::vector<CommandInfo> registry;
    return registry;
}

int end_program(int code) {
#if defined(__SANITIZE_ADDRESS__)
    return code;
#else
    std::cout.flush();
    std::cerr.flush();
    std::fflush(nullptr);
    io::wait_for_replaced_outputs();
    std::_Exit(code);
#endif
}

RegisterCommand::RegisterCommand(const char* name, const char* description, CommandFactory make) {
    command_registry().push_back({name, description, make});
}

} // namespace soilrisk::cli

int main(int argc, char** argv) {
    using namespace soilrisk;
    using namespace soilrisk::cli;
    // The heap grows 64 MiB at a time and is not trimmed: a run allocates millions of
    // small geometry objects, and growing the heap page by page costs system calls
    // (near on 80 k parcels: 3-6 % of the run). Untouched pages take no memory.
    mallopt(M_TOP_PAD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);

    CLI::App app{"soilrisk " SOILRISK_VERSION
                 ": spatial analysis of farmland and contaminated sites"};
    app.set_version_flag("--version", "soilrisk " SOILRISK_VERSION);
    app.require_subcommand(1);
    app.fallthrough(); // global options may follow the subcommand
    GlobalOptions global;
    app.add_flag("-q,--quiet", global.quiet, "No progress bar or informational messages");
    app.add_flag("-v,--verbose", global.verbose, "Also print debugging messages");
    CLI::Option* lang =
        app.add_option("--lang", global.lang, "Language of table headers, legends and reports")
            ->check(CLI::IsMember({"zh", "en"}))
            ->capture_default_str();
    app.add_flag("--sld", global.sld,
                 "Also write the QGIS style of each GeoPackage layer as SLD next to the "
                 "file (OUT_<layer>.sld)");
    app.add_option("--threads", global.threads, "Worker threads (0 = all cores)")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    std::string max_memory;
    app.add_option("--max-memory", max_memory,
                   "Memory a run may use, e.g. 8G (default: the free memory); larger work is "
                   "refused up front with an estimate");

    std::vector<std::pair<CLI::App*, std::unique_ptr<Command>>> commands;
    auto registry = command_registry();
    std::sort(registry.begin(), registry.end(), [](const CommandInfo& a, const CommandInfo& b) {
        return std::string(a.name) < b.name;
    });
    for (const auto& info : registry) {
        auto cmd = info.make();
        CLI::App* sub = app.add_subcommand(info.name, info.description);
        cmd->setup(*sub);
        commands.emplace_back(sub, std::move(cmd));
    }

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int rc = app.exit(e); // prints help, version or the usage error
        return rc == 0 ? 0 : 2;
    }

    global.lang_given = lang->count() > 0;
    // Recorded in outputs and manifests: never with a database password.
    for (int i = 0; i < argc; ++i)
        global.command_line += (i ? " " : "") + io::redact_password(argv[i]);
    install_terminal_logging(global);
    install_signal_handlers();
    try {
        set_thread_count(global.threads);
        if (!max_memory.empty()) set_memory_limit(parse_bytes(max_memory, "--max-memory"));
        for (auto& [sub, cmd] : commands)
            if (sub->parsed()) return cmd->run(global);
        return 2;
    } catch (const UsageError& e) {
        std::fprintf(stderr, "soilrisk: error: %s\n", e.what());
        return 2;
    } catch (const OutputExistsError& e) {
        std::fprintf(stderr, "soilrisk: error: %s (use --overwrite to replace it)\n", e.what());
        return 1;
    } catch (const Cancelled& e) {
        std::fprintf(stderr, "soilrisk: cancelled: %s\n", e.what());
        return 130;
    } catch (const Error& e) {
        std::fprintf(stderr, "soilrisk: error: %s\n", e.what());
        return 1;
    } catch (const std::bad_alloc&) {
        std::fprintf(stderr, "soilrisk: error: out of memory; try a smaller extent or fewer "
                             "threads (--threads)\n");
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "soilrisk: internal error: %s (please report this)\n", e.what());
        return 1;
    }
}
