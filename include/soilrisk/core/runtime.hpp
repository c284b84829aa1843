// Process-wide runtime settings: the number of worker threads and the memory budget.
#pragma once

#include <cstdint>
#include <string>

namespace soilrisk {

/// Limits parallel work to `n` threads (0 = all cores). Results never depend on it.
void set_thread_count(int n);
/// The number of worker threads in force (>= 1).
int thread_count();

/// Caps the memory a run may plan to use (bytes; 0 = what the system has, see
/// memory_budget()). From `--max-memory` or SOILRISK_MAX_MEMORY.
void set_memory_limit(std::uint64_t bytes);
/// The memory a run may use: the limit set, else the smaller of MemAvailable
/// (/proc/meminfo) and the cgroup's memory.max minus its current use; 0 if unknown.
std::uint64_t memory_budget();
/// Throws ResourceError when `bytes` (an estimate of the work's peak) exceeds
/// memory_budget(): "<what> needs about X, more than the Y available; <suggestion>".
void require_memory(std::uint64_t bytes, const std::string& what, const std::string& suggestion);
/// "1.4 GB", "350 MB": for messages.
std::string format_bytes(std::uint64_t bytes);
/// Parses "8G", "512M", "2.5GB", "1000000" (bytes; K/M/G/T, powers of 1024). Throws
/// UsageError naming `where` for anything else.
std::uint64_t parse_bytes(const std::string& text, const std::string& where);

} // namespace soilrisk
