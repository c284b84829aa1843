// Outputs are written whole or not at all.
//
// An AtomicOutput hands out a temporary path in the same folder as the final one
// ("<dir>/.<name>.tmp-<pid>-<n><ext>"); commit() renames it over the final path.
// If the object is destroyed without commit() (error, exception, cancellation) the
// temporary file is removed and any previous output is left intact. An existing
// output is replaced only when `overwrite` is true.
#pragma once

#include <string>

namespace soilrisk::io {

class AtomicOutput {
  public:
    /// Throws OutputExistsError when `path` exists and !overwrite; IoError when its folder
    /// does not exist or is not writable.
    AtomicOutput(std::string path, bool overwrite);
    ~AtomicOutput();
    AtomicOutput(const AtomicOutput&) = delete;
    AtomicOutput& operator=(const AtomicOutput&) = delete;
    AtomicOutput(AtomicOutput&&) noexcept;

    /// Where to write (same folder and extension as the final path).
    const std::string& temp_path() const { return temp_; }
    const std::string& final_path() const { return final_; }
    /// Renames the temporary file onto the final path. Throws IoError on failure.
    void commit();

  private:
    std::string final_, temp_;
    bool committed_ = false;
};

/// Removes every temporary output still pending in this process (for signal handlers:
/// async-signal-safe, uses only unlink on a fixed-size registry).
void remove_pending_outputs() noexcept;

} // namespace soilrisk::io
