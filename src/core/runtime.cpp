#include "soilrisk/core/runtime.hpp"

#include <memory>
#include <mutex>
#include <tbb/global_control.h>
#include <tbb/info.h>

namespace soilrisk {

namespace {
std::mutex g_mutex;
std::unique_ptr<tbb::global_control> g_control;
int g_threads = 0;
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

} // namespace soilrisk
