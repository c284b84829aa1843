// Process-wide runtime settings: the number of worker threads.
#pragma once

namespace soilrisk {

/// Limits parallel work to `n` threads (0 = all cores). Results never depend on it.
void set_thread_count(int n);
/// The number of worker threads in force (>= 1).
int thread_count();

} // namespace soilrisk
