// Atomic outputs: a temporary file next to the final one, renamed on commit.
//
// Pending temporary paths also live in a fixed-size, lock-free registry so that a
// SIGINT/SIGTERM handler can unlink them with nothing but unlink(2) (no allocation, no
// locks): see remove_pending_outputs().
#include "soilrisk/io/output.hpp"
#include <fstream>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "soilrisk/core/error.hpp"

namespace soilrisk::io {

namespace {

namespace fs = std::filesystem;

// SQLite (GeoPackage) may leave these next to a file that was being written.
constexpr std::array<const char*, 3> k_sidecars = {"-journal", "-wal", "-shm"};

// --- signal-safe registry -----------------------------------------------------------

constexpr int k_slots = 64;
constexpr std::size_t k_path_max = 4096;

enum SlotState : int { slot_free = 0, slot_writing = 1, slot_ready = 2 };

struct Slot {
    std::atomic<int> state{slot_free};
    char path[k_path_max];
};

Slot g_slots[k_slots];

static_assert(std::atomic<int>::is_always_lock_free, "signal handlers need lock-free atomics");

/// Registers `path`; returns the slot or -1 when the registry is full or the path too
/// long (the output still works, it is only not removed by a signal handler).
int register_pending(const std::string& path) {
    if (path.size() + 16 >= k_path_max) return -1;
    for (int i = 0; i < k_slots; ++i) {
        int expected = slot_free;
        if (g_slots[i].state.compare_exchange_strong(expected, slot_writing)) {
            std::memcpy(g_slots[i].path, path.c_str(), path.size() + 1);
            g_slots[i].state.store(slot_ready, std::memory_order_release);
            return i;
        }
    }
    return -1;
}

void unregister_pending(int slot) {
    if (slot >= 0) g_slots[slot].state.store(slot_free, std::memory_order_release);
}

/// unlink() of `path` and its SQLite sidecars; async-signal-safe (no allocation).
void unlink_with_sidecars(const char* path) noexcept {
    ::unlink(path);
    char buf[k_path_max];
    const std::size_t n = std::strlen(path);
    for (const char* suffix : k_sidecars) {
        const std::size_t m = std::strlen(suffix);
        if (n + m + 1 > sizeof buf) continue;
        std::memcpy(buf, path, n);
        std::memcpy(buf + n, suffix, m + 1);
        ::unlink(buf);
    }
}

std::atomic<unsigned> g_counter{0};

/// Files being removed on threads of their own, joined when the program ends.
class BackgroundRemovals {
  public:
    ~BackgroundRemovals() { wait(); }
    void wait() {
        std::lock_guard lock(mutex_);
        for (auto& t : threads_)
            t.join();
        threads_.clear();
    }
    /// Unlinks `path` (registered in `slot`) on another thread.
    void add(std::string path, int slot) {
        std::lock_guard lock(mutex_);
        threads_.emplace_back([path = std::move(path), slot] {
            ::unlink(path.c_str());
            unregister_pending(slot);
        });
    }

  private:
    std::mutex mutex_;
    std::vector<std::thread> threads_;
};

BackgroundRemovals& background_removals() {
    static BackgroundRemovals removals;
    return removals;
}

/// Outputs replaced that are larger than this are removed on another thread.
constexpr off_t k_remove_aside_bytes = 16 << 20;

std::string errno_text(int err) {
    return std::strerror(err);
}

} // namespace

AtomicOutput::AtomicOutput(std::string path, bool overwrite)
    : final_(std::move(path)), overwrite_(overwrite) {
    if (final_.empty()) throw UsageError("output path is empty");
    const fs::path p(final_);
    const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
    const std::string name = p.filename().string();
    if (name.empty() || name == "." || name == "..")
        throw UsageError("output '" + final_ + "' names a folder, not a file");

    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        throw IoError("output folder '" + dir.string() + "' does not exist (for output '" + final_ +
                      "'); create it first");
    if (::access(dir.c_str(), W_OK | X_OK) != 0)
        throw IoError("output folder '" + dir.string() + "' is not writable (for output '" +
                      final_ + "')");
    if (::lstat(final_.c_str(), &st) == 0) {
        if (S_ISDIR(st.st_mode))
            throw IoError("output '" + final_ + "' is an existing folder; choose a file name");
        if (!overwrite)
            throw OutputExistsError("output '" + final_ +
                                    "' exists; use --overwrite to replace it");
    }

    const std::string ext = p.extension().string();
    const std::string stem = p.stem().string();
    const unsigned n = g_counter.fetch_add(1);
    temp_ =
        (dir / ("." + stem + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(n) + ext))
            .string();
    slot_ = register_pending(temp_);
}

AtomicOutput::~AtomicOutput() {
    if (!committed_ && !temp_.empty()) unlink_with_sidecars(temp_.c_str());
    unregister_pending(slot_);
}

AtomicOutput::AtomicOutput(AtomicOutput&& other) noexcept
    : final_(std::move(other.final_)), temp_(std::move(other.temp_)), committed_(other.committed_),
      overwrite_(other.overwrite_), slot_(other.slot_) {
    other.temp_.clear();
    other.committed_ = true;
    other.slot_ = -1;
}

void AtomicOutput::commit() {
    if (committed_) throw std::logic_error("AtomicOutput::commit() called twice for " + final_);
    struct stat st {};
    if (::stat(temp_.c_str(), &st) != 0)
        throw IoError("output '" + final_ + "' was not written (temporary file '" + temp_ +
                      "' is missing)");
    // Another process (or an earlier step) may have created the output meanwhile.
    if (!overwrite_ && ::lstat(final_.c_str(), &st) == 0)
        throw OutputExistsError("output '" + final_ + "' exists; use --overwrite to replace it");
    // A large output being replaced keeps a second name for a moment, so that the rename
    // does not wait for the kernel to free its pages (about 0.1 s per 100 MB): the old
    // file is unlinked on another thread while the program goes on.
    std::string aside;
    int aside_slot = -1;
    if (overwrite_ && ::lstat(final_.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        st.st_size > k_remove_aside_bytes) {
        aside = temp_ + ".old";
        aside_slot = register_pending(aside);
        if (aside_slot < 0 || ::link(final_.c_str(), aside.c_str()) != 0) {
            unregister_pending(aside_slot);
            aside.clear();
        }
    }
    if (std::rename(temp_.c_str(), final_.c_str()) != 0) {
        const int err = errno;
        if (!aside.empty()) {
            ::unlink(aside.c_str());
            unregister_pending(aside_slot);
        }
        throw IoError("cannot move '" + temp_ + "' to output '" + final_ + "': " + errno_text(err));
    }
    if (!aside.empty()) background_removals().add(aside, aside_slot);
    committed_ = true;
    unregister_pending(slot_);
    slot_ = -1;
}

void wait_for_replaced_outputs() {
    background_removals().wait();
}

void remove_pending_outputs() noexcept {
    for (Slot& s : g_slots) {
        if (s.state.load(std::memory_order_acquire) == slot_ready) unlink_with_sidecars(s.path);
    }
}

void write_text_file(const std::string& text, const std::string& path, bool overwrite) {
    AtomicOutput out(path, overwrite);
    {
        std::ofstream f(out.temp_path(), std::ios::binary);
        if (!f) throw IoError(path + ": cannot write (check the folder's permissions)");
        f << text;
        f.flush();
        if (!f) throw IoError(path + ": write failed (disk full?)");
    }
    out.commit();
}

std::string xml_escape(const std::string& s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        case '\'':
            out += "&#39;";
            break;
        default:
            out += c;
        }
    }
    return out;
}

} // namespace soilrisk::io
