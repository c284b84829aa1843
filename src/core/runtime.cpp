#include "soilrisk/core/runtime.hpp"

#include "soilrisk/core/error.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <tbb/global_control.h>
#include <tbb/info.h>

namespace soilrisk {

namespace {
std::mutex g_mutex;
std::unique_ptr<tbb::global_control> g_control;
int g_threads = 0;
std::uint64_t g_memory_limit = 0;

/// A number from a one-value file (cgroup), nullopt for "max" or unreadable.
bool read_number(const char* path, std::uint64_t& out) {
    std::ifstream in(path);
    std::string text;
    if (!(in >> text) || text == "max") return false;
    char* end = nullptr;
    const unsigned long long v = std::strtoull(text.c_str(), &end, 10);
    if (end == text.c_str()) return false;
    out = v;
    return true;
}

std::uint64_t mem_available() {
    std::ifstream in("/proc/meminfo");
    std::string key;
    std::uint64_t kb = 0;
    std::string unit;
    while (in >> key >> kb >> unit)
        if (key == "MemAvailable:") return kb * 1024;
    return 0;
}
} // namespace

void set_thread_count(int n) {
    std::lock_guard lock(g_mutex);
    g_control.reset();
    if (n > 0)
        g_control = std::make_unique<tbb::global_control>(
            tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(n));
    g_threads = n;
}

int thread_count() {
    std::lock_guard lock(g_mutex);
    if (g_threads > 0) return g_threads;
    return static_cast<int>(tbb::info::default_concurrency());
}

void set_memory_limit(std::uint64_t bytes) {
    std::lock_guard lock(g_mutex);
    g_memory_limit = bytes;
}

std::uint64_t memory_budget() {
    {
        std::lock_guard lock(g_mutex);
        if (g_memory_limit > 0) return g_memory_limit;
    }
    if (const char* env = std::getenv("SOILRISK_MAX_MEMORY"); env && *env)
        return parse_bytes(env, "SOILRISK_MAX_MEMORY");
    std::uint64_t budget = mem_available();
    std::uint64_t max = 0, current = 0;
    if (read_number("/sys/fs/cgroup/memory.max", max) &&
        read_number("/sys/fs/cgroup/memory.current", current)) {
        const std::uint64_t room = max > current ? max - current : 0;
        if (budget == 0 || room < budget) budget = room;
    }
    return budget;
}

std::string format_bytes(std::uint64_t bytes) {
    char buf[32];
    const double b = static_cast<double>(bytes);
    if (b >= 1024.0 * 1024 * 1024)
        std::snprintf(buf, sizeof buf, "%.1f GB", b / (1024.0 * 1024 * 1024));
    else
        std::snprintf(buf, sizeof buf, "%.0f MB", std::ceil(b / (1024.0 * 1024)));
    return buf;
}

void require_memory(std::uint64_t bytes, const std::string& what, const std::string& suggestion) {
    const std::uint64_t budget = memory_budget();
    if (budget == 0 || bytes <= budget) return;
    throw ResourceError(what + " needs about " + format_bytes(bytes) +
                        " of memory, more than the " + format_bytes(budget) +
                        " available (free memory, or --max-memory); " + suggestion);
}

std::uint64_t parse_bytes(const std::string& text, const std::string& where) {
    std::istringstream in(text);
    double v = 0;
    std::string unit;
    if (!(in >> v) || v < 0 || !std::isfinite(v))
        throw UsageError(where + ": '" + text + "' is not a size (e.g. 8G, 512M)");
    in >> unit;
    std::string u;
    for (char c : unit)
        u += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (!u.empty() && u.back() == 'B' && u.size() > 1) u.pop_back();
    if (!u.empty() && u.back() == 'I') u.pop_back(); // GiB
    double mult = 1;
    if (u.empty() || u == "B")
        mult = 1;
    else if (u == "K")
        mult = 1024.0;
    else if (u == "M")
        mult = 1024.0 * 1024;
    else if (u == "G")
        mult = 1024.0 * 1024 * 1024;
    else if (u == "T")
        mult = 1024.0 * 1024 * 1024 * 1024;
    else
        throw UsageError(where + ": '" + text + "' is not a size (e.g. 8G, 512M)");
    return static_cast<std::uint64_t>(v * mult);
}

} // namespace soilrisk
