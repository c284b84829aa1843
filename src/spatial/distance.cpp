#include "soilrisk/spatial/distance.hpp"

#include <algorithm>
#include <cmath>
#include <geos_c.h>
#include <vector>

namespace soilrisk::spatial {

namespace {

/// One ring: updates the squared min distance, squared max distance and the crossing
/// parity of a ray from (x, y) towards +x.
void scan_ring(GEOSContextHandle_t ctx, const GEOSGeometry* ring, double x, double y,
               std::vector<double>& buf, double& min2, double& max2, bool& inside, bool do_max) {
    const GEOSCoordSequence* seq = GEOSGeom_getCoordSeq_r(ctx, ring);
    unsigned n = 0;
    if (!seq || GEOSCoordSeq_getSize_r(ctx, seq, &n) != 1 || n < 2) return;
    buf.resize(2 * static_cast<std::size_t>(n));
    GEOSCoordSeq_copyToBuffer_r(ctx, seq, buf.data(), 0, 0);
    for (unsigned i = 0; i + 1 < n; ++i) {
        const double ax = buf[2 * i] - x, ay = buf[2 * i + 1] - y;
        const double bx = buf[2 * i + 2] - x, by = buf[2 * i + 3] - y;
        if (do_max) max2 = std::max(max2, ax * ax + ay * ay);
        // Distance from the origin to segment ab.
        const double dx = bx - ax, dy = by - ay;
        const double len2 = dx * dx + dy * dy;
        double t = len2 > 0 ? -(ax * dx + ay * dy) / len2 : 0;
        t = std::clamp(t, 0.0, 1.0);
        const double px = ax + t * dx, py = ay + t * dy;
        min2 = std::min(min2, px * px + py * py);
        // Crossing test (half-open rule on y).
        if ((ay > 0) != (by > 0)) {
            const double cx = ax + (0 - ay) * dx / dy;
            if (cx > 0) inside = !inside;
        }
    }
}

} // namespace

DistanceRange point_polygon_distance(double x, double y, const geos::Geom* g, bool* ok) {
    const auto ctx = geos::ctx();
    DistanceRange r;
    if (ok) *ok = false;
    if (!g) return r;
    const int type = GEOSGeomTypeId_r(ctx, g);
    if (type != GEOS_POLYGON && type != GEOS_MULTIPOLYGON) return r;
    thread_local std::vector<double> buf;
    double min2 = HUGE_VAL, max2 = 0;
    bool any_inside = false;
    const int nparts = type == GEOS_POLYGON ? 1 : GEOSGetNumGeometries_r(ctx, g);
    for (int p = 0; p < nparts; ++p) {
        const GEOSGeometry* poly = type == GEOS_POLYGON ? g : GEOSGetGeometryN_r(ctx, g, p);
        if (GEOSisEmpty_r(ctx, poly) != 0) continue;
        bool inside = false;
        scan_ring(ctx, GEOSGetExteriorRing_r(ctx, poly), x, y, buf, min2, max2, inside, true);
        const int holes = GEOSGetNumInteriorRings_r(ctx, poly);
        for (int h = 0; h < holes; ++h)
            scan_ring(ctx, GEOSGetInteriorRingN_r(ctx, poly, h), x, y, buf, min2, max2, inside,
                      false);
        any_inside = any_inside || inside;
    }
    if (min2 == HUGE_VAL) return r;
    r.min = any_inside ? 0.0 : std::sqrt(min2);
    r.max = std::sqrt(max2);
    if (ok) *ok = true;
    return r;
}

} // namespace soilrisk::spatial
