#include "io/simple_polygon.hpp"

#include <algorithm>
#include <cmath>
#include <geos_c.h>
#include <vector>

namespace soilrisk::io::detail {

namespace {

struct Pt {
    double x, y;
    bool operator==(const Pt& o) const { return x == o.x && y == o.y; }
};

/// Sign of the orientation of (a, b, c): +1 left turn, -1 right turn, 0 when the
/// floating-point value cannot prove the sign (collinear or too close to call).
int proven_orientation(const Pt& a, const Pt& b, const Pt& c) {
    const double left = (a.x - c.x) * (b.y - c.y);
    const double right = (a.y - c.y) * (b.x - c.x);
    const double det = left - right;
    const double sum = std::fabs(left) + std::fabs(right);
    // Shewchuk's ccwerrboundA = (3 + 16 eps) eps, eps = 2^-53; products far from
    // underflow so that the relative bound holds.
    constexpr double eps = 1.1102230246251565e-16;
    constexpr double bound = (3.0 + 16.0 * eps) * eps;
    if (!(sum > 1e-200)) return 0;
    if (det > bound * sum) return 1;
    if (-det > bound * sum) return -1;
    return 0;
}

} // namespace

bool proven_simple_polygon(GEOSContextHandle_t ctx, const geos::Geom* g) {
    if (!g || GEOSGeomTypeId_r(ctx, g) != GEOS_POLYGON) return false;
    if (GEOSGetNumInteriorRings_r(ctx, g) != 0) return false;
    const GEOSGeometry* ring = GEOSGetExteriorRing_r(ctx, g);
    const GEOSCoordSequence* seq = ring ? GEOSGeom_getCoordSeq_r(ctx, ring) : nullptr;
    unsigned int n = 0;
    if (!seq || GEOSCoordSeq_getSize_r(ctx, seq, &n) != 1 || n < 4) return false;
    // Scratch space kept per thread: no allocation for the common small ring.
    struct Edge {
        double x0, x1, y0, y1;
        std::size_t i;
    };
    thread_local std::vector<Pt> v;
    thread_local std::vector<Edge> edges;
    struct Trim { // a rare huge ring does not keep its memory
        ~Trim() {
            if (v.capacity() > (1u << 16)) std::vector<Pt>().swap(v);
            if (edges.capacity() > (1u << 16)) std::vector<Edge>().swap(edges);
        }
    } trim;
    v.resize(n);
    static_assert(sizeof(Pt) == 2 * sizeof(double));
    if (GEOSCoordSeq_copyToBuffer_r(ctx, seq, reinterpret_cast<double*>(v.data()), 0, 0) != 1)
        return false;

    // Vertices without consecutive repeats; the ring must close.
    std::size_t m = 0;
    for (unsigned int i = 0; i < n; ++i) {
        const Pt p = v[i];
        if (!std::isfinite(p.x) || !std::isfinite(p.y)) return false;
        if (m == 0 || !(p == v[m - 1])) v[m++] = p;
    }
    if (m < 4 || !(v[0] == v[m - 1])) return false;
    const std::size_t s = m - 1; // edges: (v[i], v[i+1])

    // Consecutive edges turn (never collinear): they meet only at their shared vertex.
    for (std::size_t i = 0; i < s; ++i) {
        const Pt& a = v[i == 0 ? s - 1 : i - 1];
        if (proven_orientation(a, v[i], v[i + 1]) == 0) return false;
    }
    if (s == 3) return true; // a triangle has no other pair of edges

    // Other pairs of edges must not meet: a sweep over the edges sorted by their
    // smallest x, testing only pairs whose boxes overlap.
    edges.resize(s);
    for (std::size_t i = 0; i < s; ++i)
        edges[i] = {std::min(v[i].x, v[i + 1].x), std::max(v[i].x, v[i + 1].x),
                    std::min(v[i].y, v[i + 1].y), std::max(v[i].y, v[i + 1].y), i};
    std::sort(edges.begin(), edges.end(), [](const Edge& a, const Edge& b) { return a.x0 < b.x0; });
    for (std::size_t oi = 0; oi < s; ++oi) {
        const Edge& ei = edges[oi];
        for (std::size_t oj = oi + 1; oj < s && edges[oj].x0 <= ei.x1; ++oj) {
            const Edge& ej = edges[oj];
            if (ej.y0 > ei.y1 || ei.y0 > ej.y1) continue;
            const std::size_t i = ei.i, j = ej.i;
            const std::size_t lo = std::min(i, j), hi = std::max(i, j);
            if (hi == lo + 1 || (lo == 0 && hi == s - 1)) continue; // consecutive
            const Pt &a = v[i], &b = v[i + 1], &c = v[j], &d = v[j + 1];
            const int o1 = proven_orientation(a, b, c), o2 = proven_orientation(a, b, d);
            if (o1 == 0 || o2 == 0) return false;
            if (o1 == o2) continue; // c and d on one side of ab
            const int o3 = proven_orientation(c, d, a), o4 = proven_orientation(c, d, b);
            if (o3 == 0 || o4 == 0) return false;
            if (o3 == o4) continue;
            return false; // the edges cross
        }
    }
    return true;
}

} // namespace soilrisk::io::detail
