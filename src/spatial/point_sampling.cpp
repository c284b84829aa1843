#include "soilrisk/spatial/point_sampling.hpp"

#include <algorithm>
#include <boost/geometry.hpp>
#include <boost/geometry/index/rtree.hpp>
#include <cmath>
#include <geos_c.h>
#include <limits>
#include <numbers>

#include "soilrisk/core/error.hpp"

namespace soilrisk::spatial {

namespace bg = boost::geometry;
namespace bgi = boost::geometry::index;

// ---- Rng -------------------------------------------------------------------------------

namespace {
std::uint64_t mix64(std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
} // namespace

Rng::Rng(std::uint64_t seed, std::uint64_t stream)
    : state_(seed ^ mix64(stream + 0x9e3779b97f4a7c15ULL)) {}

std::uint64_t Rng::next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    return mix64(state_);
}

double Rng::uniform() {
    return static_cast<double>(next() >> 11) * 0x1.0p-53;
}

std::uint64_t Rng::below(std::uint64_t n) {
    if (n == 0) return 0;
    // Reject the top partial block so every residue is equally likely.
    const std::uint64_t limit =
        std::numeric_limits<std::uint64_t>::max() - std::numeric_limits<std::uint64_t>::max() % n;
    std::uint64_t v;
    do {
        v = next();
    } while (v >= limit);
    return v % n;
}

double radical_inverse(std::uint64_t k, unsigned base) {
    double inv = 1.0 / base, f = inv, r = 0.0;
    while (k > 0) {
        r += static_cast<double>(k % base) * f;
        k /= base;
        f *= inv;
    }
    return r;
}

// ---- PointIndex ------------------------------------------------------------------------

PointIndex::PointIndex(double cell_m) : cell_(cell_m > 0 ? cell_m : 1.0) {}

std::int64_t PointIndex::key(double x, double y) const {
    const auto cx = static_cast<std::int64_t>(std::floor(x / cell_));
    const auto cy = static_cast<std::int64_t>(std::floor(y / cell_));
    return (cx << 32) ^ (cy & 0xffffffffLL);
}

void PointIndex::add(double x, double y, int id) {
    const int i = static_cast<int>(xs_.size());
    xs_.push_back(x);
    ys_.push_back(y);
    ids_.push_back(id);
    cells_[key(x, y)].push_back(i);
}

std::optional<int> PointIndex::any_within(double x, double y, double d) const {
    if (d <= 0 || xs_.empty()) return std::nullopt;
    const double d2 = d * d;
    for (int dx = -1; dx <= 1; ++dx)
        for (int dy = -1; dy <= 1; ++dy) {
            const auto it = cells_.find(key(x + dx * cell_, y + dy * cell_));
            if (it == cells_.end()) continue;
            for (int i : it->second) {
                const double ex = xs_[i] - x, ey = ys_[i] - y;
                if (ex * ex + ey * ey < d2) return ids_[i];
            }
        }
    return std::nullopt;
}

// ---- PolygonFrame ----------------------------------------------------------------------

namespace {
using BPoint = bg::model::point<double, 2, bg::cs::cartesian>;
using BBox = bg::model::box<BPoint>;
using Entry = std::pair<BBox, int>;
} // namespace

struct PolygonFrame::Impl {
    std::vector<const geos::Geom*> polys;
    std::vector<geos::PreparedPtr> prepared;
    std::vector<BBox> boxes;
    std::vector<double> areas, cumulative; // cumulative weights
    double total_area = 0;
    bgi::rtree<Entry, bgi::rstar<16>> tree;
};

PolygonFrame::PolygonFrame(std::vector<const geos::Geom*> polygons, std::vector<double> weights)
    : impl_(std::make_unique<Impl>()) {
    auto ctx = geos::ctx();
    auto& m = *impl_;
    m.polys = std::move(polygons);
    std::vector<Entry> entries;
    double cum = 0;
    for (std::size_t i = 0; i < m.polys.size(); ++i) {
        const geos::Geom* g = m.polys[i];
        double a = 0;
        GEOSArea_r(ctx, g, &a);
        m.areas.push_back(a);
        m.total_area += a;
        double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
        if (!GEOSisEmpty_r(ctx, g)) {
            GEOSGeom_getXMin_r(ctx, g, &x0);
            GEOSGeom_getYMin_r(ctx, g, &y0);
            GEOSGeom_getXMax_r(ctx, g, &x1);
            GEOSGeom_getYMax_r(ctx, g, &y1);
        }
        m.boxes.emplace_back(BPoint(x0, y0), BPoint(x1, y1));
        entries.emplace_back(m.boxes.back(), static_cast<int>(i));
        m.prepared.emplace_back(GEOSPrepare_r(ctx, g));
        cum += weights.empty() ? a : std::max(0.0, weights[i]);
        m.cumulative.push_back(cum);
    }
    // The range constructor packs the tree (bulk loading).
    m.tree = bgi::rtree<Entry, bgi::rstar<16>>(entries.begin(), entries.end());
}

PolygonFrame::~PolygonFrame() = default;
PolygonFrame::PolygonFrame(PolygonFrame&&) noexcept = default;
PolygonFrame& PolygonFrame::operator=(PolygonFrame&&) noexcept = default;

std::size_t PolygonFrame::size() const {
    return impl_->polys.size();
}
const geos::Geom* PolygonFrame::polygon(std::size_t i) const {
    return impl_->polys[i];
}
double PolygonFrame::area(std::size_t i) const {
    return impl_->areas[i];
}
double PolygonFrame::total_area() const {
    return impl_->total_area;
}
double PolygonFrame::total_weight() const {
    return impl_->cumulative.empty() ? 0.0 : impl_->cumulative.back();
}

std::array<double, 4> PolygonFrame::bounds() const {
    if (impl_->polys.empty()) return {0, 0, 0, 0};
    const auto b = impl_->tree.bounds();
    return {b.min_corner().get<0>(), b.min_corner().get<1>(), b.max_corner().get<0>(),
            b.max_corner().get<1>()};
}

std::vector<int> PolygonFrame::query(double min_x, double min_y, double max_x, double max_y) const {
    std::vector<Entry> hits;
    impl_->tree.query(bgi::intersects(BBox(BPoint(min_x, min_y), BPoint(max_x, max_y))),
                      std::back_inserter(hits));
    std::vector<int> out;
    out.reserve(hits.size());
    for (const auto& h : hits)
        out.push_back(h.second);
    std::sort(out.begin(), out.end());
    return out;
}

int PolygonFrame::locate(double x, double y) const {
    std::vector<Entry> hits;
    impl_->tree.query(bgi::intersects(BPoint(x, y)), std::back_inserter(hits));
    if (hits.empty()) return -1;
    std::sort(hits.begin(), hits.end(),
              [](const Entry& a, const Entry& b) { return a.second < b.second; });
    auto ctx = geos::ctx();
    geos::GeomPtr pt(GEOSGeom_createPointFromXY_r(ctx, x, y));
    for (const auto& h : hits)
        if (GEOSPreparedIntersects_r(ctx, impl_->prepared[h.second].get(), pt.get()) == 1)
            return h.second;
    return -1;
}

std::optional<PolygonFrame::Draw> PolygonFrame::random_point_in(Rng& rng, std::size_t i,
                                                                int tries) const {
    const BBox& b = impl_->boxes[i];
    const double x0 = b.min_corner().get<0>(), y0 = b.min_corner().get<1>();
    const double w = b.max_corner().get<0>() - x0, h = b.max_corner().get<1>() - y0;
    auto ctx = geos::ctx();
    for (int t = 0; t < tries; ++t) {
        const double x = x0 + rng.uniform() * w;
        const double y = y0 + rng.uniform() * h;
        geos::GeomPtr pt(GEOSGeom_createPointFromXY_r(ctx, x, y));
        if (GEOSPreparedContains_r(ctx, impl_->prepared[i].get(), pt.get()) == 1)
            return Draw{x, y, static_cast<int>(i)};
    }
    return std::nullopt;
}

std::optional<PolygonFrame::Draw> PolygonFrame::random_point(Rng& rng, int tries) const {
    const double total = total_weight();
    if (!(total > 0)) return std::nullopt;
    const auto& cum = impl_->cumulative;
    for (int draw = 0; draw < 3; ++draw) {
        const double u = rng.uniform() * total;
        auto it = std::upper_bound(cum.begin(), cum.end(), u);
        if (it == cum.end()) --it;
        const auto i = static_cast<std::size_t>(it - cum.begin());
        if (auto d = random_point_in(rng, i, tries)) return d;
    }
    return std::nullopt;
}

double max_points_bound(double area_m2, double perimeter_m, std::size_t parts, double d) {
    if (!(area_m2 > 0)) return 0.0;
    if (!(d > 0)) return std::numeric_limits<double>::infinity();
    const double r = d / 2;
    const double disk = std::numbers::pi * r * r;
    return (area_m2 + perimeter_m * r + static_cast<double>(parts) * disk) / disk;
}

std::vector<GrtsAddress> grts_addresses(const std::vector<std::pair<double, double>>& pts,
                                        const std::array<double, 4>& bounds, int levels,
                                        std::uint64_t seed) {
    static const std::array<std::array<int, 4>, 24> perms = [] {
        std::array<std::array<int, 4>, 24> out{};
        std::array<int, 4> p{0, 1, 2, 3};
        int k = 0;
        do {
            out[k++] = p;
        } while (std::next_permutation(p.begin(), p.end()));
        return out;
    }();
    levels = std::clamp(levels, 1, 30);
    const double side = std::max({bounds[2] - bounds[0], bounds[3] - bounds[1], 1e-9});
    const std::uint64_t cells = 1ULL << levels;
    std::vector<GrtsAddress> out(pts.size());
    for (std::size_t i = 0; i < pts.size(); ++i) {
        auto cell = [&](double v, double lo) {
            const double f = std::floor((v - lo) / side * static_cast<double>(cells));
            return static_cast<std::uint64_t>(std::clamp(f, 0.0, static_cast<double>(cells - 1)));
        };
        const std::uint64_t ix = cell(pts[i].first, bounds[0]), iy = cell(pts[i].second, bounds[1]);
        GrtsAddress a;
        for (int l = 1; l <= levels; ++l) {
            const int shift = levels - l;
            const int q = static_cast<int>(((ix >> shift) & 1) | (((iy >> shift) & 1) << 1));
            // Parent cell of this split: the address of (ix, iy) at level l - 1.
            const std::uint64_t px = ix >> (shift + 1), py = iy >> (shift + 1);
            const std::uint64_t h =
                mix64(seed ^ mix64(static_cast<std::uint64_t>(l) ^ mix64(px ^ mix64(py + 1))));
            const int digit = perms[h % 24][q];
            a.address = (a.address << 2) | static_cast<std::uint64_t>(digit);
            a.reverse |= static_cast<std::uint64_t>(digit) << (2 * (l - 1));
        }
        out[i] = a;
    }
    return out;
}

std::pair<double, double> nearest_point(const geos::Geom* g, double x, double y) {
    auto ctx = geos::ctx();
    geos::GeomPtr pt(GEOSGeom_createPointFromXY_r(ctx, x, y));
    GEOSCoordSequence* seq = GEOSNearestPoints_r(ctx, g, pt.get());
    if (!seq) throw Error("GEOS nearest points failed: " + std::string(geos::last_error()));
    double nx = x, ny = y;
    GEOSCoordSeq_getXY_r(ctx, seq, 0, &nx, &ny);
    GEOSCoordSeq_destroy_r(ctx, seq);
    return {nx, ny};
}

} // namespace soilrisk::spatial
