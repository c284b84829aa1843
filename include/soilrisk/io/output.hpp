// Outputs are written whole or not at all.
//
// An AtomicOutput hands out a temporary path in the same folder as the final one
// ("<dir>/.<name>.tmp-<pid>-<n><ext>"); commit() renames it over the final path.
// If the object is destroyed without commit() (error, exception, cancellation) the
// temporary file is removed and any previous output is left intact. An existing
// output is replaced only when `overwrite` is true (checked on construction and again on
// commit, so that an output created meanwhile is not clobbered).
//
// SQLite sidecars of the temporary file ("-journal", "-wal", "-shm") are removed with it.
// Up to 64 pending outputs per process are known to remove_pending_outputs(); beyond that
// (or for paths over 4 KiB) an output still works but a signal handler cannot clean it.
#pragma once

#include <string>

namespace soilrisk::io {

class AtomicOutput {
  public:
    /// Creates nothing yet: the writer creates temp_path(). Throws OutputExistsError when
    /// `path` exists and !overwrite; IoError naming the folder when it does not exist or is
    /// not writable, or when `path` is an existing folder; UsageError when `path` is empty.
    AtomicOutput(std::string path, bool overwrite);
    ~AtomicOutput();
    AtomicOutput(const AtomicOutput&) = delete;
    AtomicOutput& operator=(const AtomicOutput&) = delete;
    AtomicOutput(AtomicOutput&&) noexcept;

    /// Where to write (same folder and extension as the final path).
    const std::string& temp_path() const { return temp_; }
    const std::string& final_path() const { return final_; }
    /// Renames the temporary file onto the final path. Throws IoError when the temporary
    /// file is missing or cannot be renamed, OutputExistsError when the final path appeared
    /// meanwhile and !overwrite, std::logic_error when called twice.
    void commit();

  private:
    std::string final_, temp_;
    bool committed_ = false;
    bool overwrite_ = false;
    int slot_ = -1; ///< index in the signal-safe registry of pending outputs (-1: none)
};

/// Writes `text` to `path` whole or not at all (AtomicOutput). Throws
/// OutputExistsError/IoError naming the path.
void write_text_file(const std::string& text, const std::string& path, bool overwrite);

/// Escapes &, <, >, " and ' for XML and HTML text and attribute values.
std::string xml_escape(const std::string& s);

/// Waits until outputs replaced by commit() are removed. A replaced output over 16 MiB
/// is unlinked on a thread of its own (the kernel frees its pages while the program goes
/// on); the program's end waits for it anyway.
void wait_for_replaced_outputs();

/// Removes every temporary output still pending in this process (for signal handlers:
/// async-signal-safe, uses only unlink on a fixed-size registry). The AtomicOutput objects
/// stay valid; the handler is expected to end the process afterwards.
void remove_pending_outputs() noexcept;

} // namespace soilrisk::io
