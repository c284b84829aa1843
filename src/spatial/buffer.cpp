#include "soilrisk/spatial/buffer.hpp"

#include <cmath>
#include <geos_c.h>
#include <numbers>
#include <string>

#include "soilrisk/core/error.hpp"

namespace soilrisk::spatial {

double buffer_area_deficit(int quad_segs) {
    const double x = std::numbers::pi / (2.0 * quad_segs);
    // 1 - sin(x)/x loses digits for small x: use the series (x < 0.1: 3 terms give 1e-13).
    if (x < 0.1) {
        const double x2 = x * x;
        return x2 / 6.0 - x2 * x2 / 120.0 + x2 * x2 * x2 / 5040.0;
    }
    return 1.0 - std::sin(x) / x;
}

int quad_segs_for(double relative_error) {
    if (!(relative_error > 0 && relative_error < 1))
        throw UsageError("buffer area error must be between 0 and 1, got " +
                         std::to_string(relative_error));
    int q = 1;
    while (buffer_area_deficit(q) > relative_error)
        ++q;
    return q;
}

double inscribed_factor(int quad_segs) {
    return std::cos(std::numbers::pi / (4.0 * quad_segs));
}

geos::GeomPtr buffer(const geos::Geom* g, double distance, int quad_segs) {
    if (quad_segs < 1)
        throw UsageError("--quad-segs must be at least 1, got " + std::to_string(quad_segs));
    const auto ctx = geos::ctx();
    GEOSBufferParams* params = GEOSBufferParams_create_r(ctx);
    if (!params) throw Error("GEOS buffer parameters cannot be created");
    GEOSBufferParams_setEndCapStyle_r(ctx, params, GEOSBUF_CAP_ROUND);
    GEOSBufferParams_setJoinStyle_r(ctx, params, GEOSBUF_JOIN_ROUND);
    GEOSBufferParams_setQuadrantSegments_r(ctx, params, quad_segs);
    GEOSGeometry* out = GEOSBufferWithParams_r(ctx, g, params, distance);
    GEOSBufferParams_destroy_r(ctx, params);
    return geos::check(out, "buffer");
}

} // namespace soilrisk::spatial
