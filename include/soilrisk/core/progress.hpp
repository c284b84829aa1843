// Progress reporting: a GDAL-style callback that long-running library calls invoke.
#pragma once

namespace soilrisk {

/// Same shape as GDALProgressFunc: `complete` in [0,1]; return 0 to cancel.
using ProgressFunc = int (*)(double complete, const char* message, void* arg);

/// A callback with its argument and the sub-range of the whole job it reports into.
/// Default-constructed: silent, never cancels.
struct Progress {
    ProgressFunc func = nullptr;
    void* arg = nullptr;
    double from = 0.0;
    double to = 1.0;

    /// Reports `complete` (0..1 of this part); throws Cancelled when the callback
    /// returns 0.
    void operator()(double complete, const char* message = "") const;

    /// The part [a,b] of this progress (a, b in 0..1), for sub-steps.
    Progress part(double a, double b) const {
        return {func, arg, from + (to - from) * a, from + (to - from) * b};
    }
};

} // namespace soilrisk
