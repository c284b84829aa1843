#include "soilrisk/core/progress.hpp"

#include <algorithm>

#include "soilrisk/core/error.hpp"

namespace soilrisk {

void Progress::operator()(double complete, const char* message) const {
    if (!func) return;
    const double c = from + (to - from) * std::clamp(complete, 0.0, 1.0);
    if (!func(c, message ? message : "", arg)) throw Cancelled("stopped at the user's request");
}

} // namespace soilrisk
