#include "soilrisk/core/area.hpp"

#include <array>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <geodesic.h>
#include <geos_c.h>
#include <mutex>
#include <numbers>
#include <ogr_spatialref.h>
#include <optional>
#include <vector>

#include "soilrisk/core/error.hpp"
#include "soilrisk/core/geos.hpp"

namespace soilrisk {

namespace {

constexpr double kDeg = std::numbers::pi / 180.0;
constexpr double kEarthCircumferenceM = 4.0075e7;

// Point scale of the ellipsoidal Transverse Mercator projection (Gauss–Krüger, UTM) in
// closed form: Krüger's series to order n^6, as PROJ's exact tmerc (Poder/Engsager)
// and GeographicLib use (Karney, "Transverse Mercator with an accuracy of a few
// nanometers", J. Geodesy 85 (2011) 475–485, eqs. 7–11 and 35). The scale is the product
// of the scales of the three conformal steps: ellipsoid -> conformal sphere (cos χ /
// (ν cos φ)), spherical TM (cosh η'), Krüger's series (|dζ/dζ'|), times k0·A.
class TmScale {
  public:
    TmScale(double a, double f, double k0, double lon0_deg)
        : a_(a), e2_(f * (2 - f)), e_(std::sqrt(e2_)), k0_(k0), lon0_(lon0_deg) {
        const double n = f / (2 - f), n2 = n * n, n3 = n2 * n, n4 = n3 * n, n5 = n4 * n,
                     n6 = n5 * n;
        rect_ = a / (1 + n) * (1 + n2 / 4 + n4 / 64 + n6 / 256);
        alpha_ = {
            n / 2 - 2 * n2 / 3 + 5 * n3 / 16 + 41 * n4 / 180 - 127 * n5 / 288 + 7891 * n6 / 37800,
            13 * n2 / 48 - 3 * n3 / 5 + 557 * n4 / 1440 + 281 * n5 / 630 - 1983433 * n6 / 1935360,
            61 * n3 / 240 - 103 * n4 / 140 + 15061 * n5 / 26880 + 167603 * n6 / 181440,
            49561 * n4 / 161280 - 179 * n5 / 168 + 6601661 * n6 / 7257600,
            34729 * n5 / 80640 - 3418889 * n6 / 1995840,
            212378941 * n6 / 319334400};
    }

    struct Result {
        double k;       // point scale
        double easting; // projected distance from the central meridian (m)
        double radius;  // Gaussian radius sqrt(ρν) at the point (m)
    };

    Result at(double lon_deg, double lat_deg) const {
        const double lam = std::remainder(lon_deg - lon0_, 360.0) * kDeg;
        const double phi = lat_deg * kDeg;
        const double tau = std::tan(phi);
        const double sig = std::sinh(e_ * std::atanh(e_ * tau / std::hypot(1.0, tau)));
        const double taup = tau * std::hypot(1.0, sig) - sig * std::hypot(1.0, tau);
        const double cl = std::cos(lam), sl = std::sin(lam);
        const double xip = std::atan2(taup, cl);
        const double sinh_etap = sl / std::hypot(taup, cl);
        const double etap = std::asinh(sinh_etap);
        // dζ/dζ' = 1 + Σ 2jα_j cos(2jζ'), and η = η' + Σ α_j cos(2jξ') sinh(2jη'). The
        // multiple angles come from Chebyshev recurrences (cos, sin, cosh and sinh of
        // 2(j+1)x = 2·cos|cosh(2x)·f(2jx) − f(2(j−1)x)): 4 calls instead of 24.
        const double c1 = std::cos(2 * xip), s1 = std::sin(2 * xip);
        const double ch1 = std::cosh(2 * etap), sh1 = std::sinh(2 * etap);
        double c = c1, s = s1, ch = ch1, sh = sh1;
        double c_prev = 1, s_prev = 0, ch_prev = 1, sh_prev = 0;
        double re = 1, im = 0, eta = etap;
        for (int j = 1; j <= 6; ++j) {
            const double alpha = alpha_[j - 1];
            re += 2 * j * alpha * c * ch;
            im -= 2 * j * alpha * s * sh;
            eta += alpha * c * sh;
            const double c_next = 2 * c1 * c - c_prev, s_next = 2 * c1 * s - s_prev;
            const double ch_next = 2 * ch1 * ch - ch_prev, sh_next = 2 * ch1 * sh - sh_prev;
            c_prev = c, s_prev = s, ch_prev = ch, sh_prev = sh;
            c = c_next, s = s_next, ch = ch_next, sh = sh_next;
        }
        const double sphi = std::sin(phi);
        const double w2 = 1 - e2_ * sphi * sphi;
        const double nu = a_ / std::sqrt(w2);
        // cos χ / (ν cos φ) with cos χ = 1/hypot(1, τ'), 1/cos φ = hypot(1, τ).
        const double k = k0_ * rect_ * std::hypot(re, im) * std::hypot(1.0, sinh_etap) *
                         std::hypot(1.0, tau) / (std::hypot(1.0, taup) * nu);
        return {k, k0_ * rect_ * eta, a_ * std::sqrt(1 - e2_) / w2};
    }

    double k0() const { return k0_; }

  private:
    double a_, e2_, e_, k0_, lon0_, rect_;
    std::array<double, 6> alpha_;
};

// Key of the per-thread transform cache: every calculator gets an id that is never
// reused, so a stale entry left by a destroyed calculator cannot be mistaken for a live one.
std::atomic<std::uint64_t> g_next_id{1};

// OGRSpatialReference objects are not safe to read from several threads at once (they
// cache PROJ objects lazily), so transforms are created under one lock; applying a
// transform afterwards needs none, since each thread owns its own.
std::mutex g_transform_creation;

struct CachedTransform {
    std::uint64_t owner = 0;
    std::unique_ptr<Transform> transform;
};

// Scratch space of the calling thread: rings of the polygon being measured.
struct Scratch {
    std::vector<std::vector<double>> xs, ys; // ring coordinates, closing point dropped
    std::vector<double> dx, dy;              // densified ring
};

Scratch& scratch() {
    thread_local Scratch s;
    return s;
}

// Copies the coordinates of `ring` into xs/ys without the closing point.
void load_ring(const GEOSGeometry* ring, std::vector<double>& xs, std::vector<double>& ys) {
    auto* ctx = geos::ctx();
    const GEOSCoordSequence* seq = GEOSGeom_getCoordSeq_r(ctx, ring);
    unsigned int n = 0;
    if (!seq || !GEOSCoordSeq_getSize_r(ctx, seq, &n)) throw Error("GEOS could not read a ring");
    xs.resize(n);
    ys.resize(n);
    if (n == 0) return;
    if (!GEOSCoordSeq_copyToArrays_r(ctx, seq, xs.data(), ys.data(), nullptr, nullptr))
        throw Error("GEOS could not read a ring");
    if (n > 1 && xs.front() == xs.back() && ys.front() == ys.back()) {
        xs.pop_back();
        ys.pop_back();
    }
}

} // namespace

AreaMode parse_area_mode(std::string_view text) {
    if (text == "ellipsoidal") return AreaMode::ellipsoidal;
    if (text == "planar") return AreaMode::planar;
    throw UsageError("--area: '" + std::string(text) +
                     "' is not an area mode; use 'ellipsoidal' (default) or 'planar'");
}

struct AreaCalculator::Impl {
    Crs crs;
    Crs geographic; // the CRS's own geographic CRS: lon/lat on its ellipsoid
    AreaMode mode;
    std::uint64_t id = g_next_id.fetch_add(1);
    double unit_m = 1.0; // metres per CRS linear unit
    AreaTuning tuning;
    geod_geodesic geod{};
    std::optional<TmScale> tm; // set when the CRS is Transverse Mercator: fast path

    const Transform& to_geographic() const;
    double polygon_area(const GEOSGeometry* poly) const;
    double exact_ring_area(std::vector<double>& xs, std::vector<double>& ys) const;
    std::optional<double> fast_polygon_area(std::size_t rings) const;
    double area(const GEOSGeometry* g) const;
};

const Transform& AreaCalculator::Impl::to_geographic() const {
    thread_local std::array<CachedTransform, 4> cache;
    thread_local std::size_t next = 0;
    for (auto& c : cache)
        if (c.owner == id) return *c.transform;
    auto& slot = cache[next];
    next = (next + 1) % cache.size();
    {
        std::lock_guard lock(g_transform_creation);
        slot.transform = std::make_unique<Transform>(crs, geographic);
    }
    slot.owner = id;
    return *slot.transform;
}

double AreaCalculator::Impl::exact_ring_area(std::vector<double>& xs,
                                             std::vector<double>& ys) const {
    const std::size_t n = xs.size();
    if (n < 3) return 0.0;
    std::vector<double>* lon = &xs;
    std::vector<double>* lat = &ys;
    if (crs.is_projected()) {
        // Densify in the plane so the inverse-projected chain follows the projected straight
        // edge; then each short piece is taken as a geodesic (see area.hpp for the bound).
        auto& s = scratch();
        s.dx.clear();
        s.dy.clear();
        const double max_step = tuning.densify_step_m / unit_m;
        for (std::size_t i = 0; i < n; ++i) {
            const double x0 = xs[i], y0 = ys[i];
            const double x1 = xs[(i + 1) % n], y1 = ys[(i + 1) % n];
            const double length = std::hypot(x1 - x0, y1 - y0);
            // Also keeps NaN and absurd coordinates from asking for billions of pieces.
            if (!(length * unit_m <= kEarthCircumferenceM))
                throw DataError("a polygon edge from (" + std::to_string(x0) + ", " +
                                std::to_string(y0) +
                                ") is not a finite length within the "
                                "Earth; are the coordinates in " +
                                crs.label() + "?");
            const auto pieces = static_cast<std::size_t>(std::ceil(length / max_step));
            s.dx.push_back(x0);
            s.dy.push_back(y0);
            for (std::size_t j = 1; j < pieces; ++j) {
                const double t = static_cast<double>(j) / static_cast<double>(pieces);
                s.dx.push_back(x0 + t * (x1 - x0));
                s.dy.push_back(y0 + t * (y1 - y0));
            }
        }
        if (!to_geographic().apply(s.dx.size(), s.dx.data(), s.dy.data()))
            throw DataError("polygon vertices cannot be converted from " + crs.label() +
                            " to longitude/latitude; are the coordinates in that CRS?");
        lon = &s.dx;
        lat = &s.dy;
    } else {
        for (std::size_t i = 0; i < n; ++i)
            if (!(std::abs(ys[i]) <= 90.0))
                throw DataError("latitude " + std::to_string(ys[i]) + " is out of range in " +
                                crs.label() + "; are the coordinates really degrees?");
    }
    double area = 0;
    geod_polygonarea(&geod, lat->data(), lon->data(), static_cast<int>(lat->size()), &area,
                     nullptr);
    // Signed with counter-clockwise positive, reduced to |A| <= half the ellipsoid, so the
    // magnitude is the enclosed area whichever way the ring runs.
    return std::abs(area);
}

std::optional<double> AreaCalculator::Impl::fast_polygon_area(std::size_t rings) const {
    auto& s = scratch();
    const auto& ex = s.xs[0];
    const auto& ey = s.ys[0];
    double min_x = ex[0], max_x = ex[0], min_y = ey[0], max_y = ey[0];
    for (std::size_t i = 1; i < ex.size(); ++i) {
        min_x = std::min(min_x, ex[i]);
        max_x = std::max(max_x, ex[i]);
        min_y = std::min(min_y, ey[i]);
        max_y = std::max(max_y, ey[i]);
    }
    if (std::max(max_x - min_x, max_y - min_y) * unit_m > tuning.fast_path_max_extent_m)
        return std::nullopt;

    // Area, first and second moments of the polygon in metres, about its first vertex so
    // that the products stay small (no cancellation from 6-7 digit coordinates).
    const double x0 = ex[0], y0 = ey[0];
    double area = 0, mx = 0, my = 0, mxx = 0;
    for (std::size_t r = 0; r < rings; ++r) {
        const auto& xs = s.xs[r];
        const auto& ys = s.ys[r];
        const std::size_t n = xs.size();
        double a = 0, sx = 0, sy = 0, sxx = 0;
        for (std::size_t i = 0; i < n; ++i) {
            const std::size_t j = i + 1 == n ? 0 : i + 1;
            const double xi = (xs[i] - x0) * unit_m, yi = (ys[i] - y0) * unit_m;
            const double xj = (xs[j] - x0) * unit_m, yj = (ys[j] - y0) * unit_m;
            const double c = xi * yj - xj * yi;
            a += c;
            sx += (xi + xj) * c;
            sy += (yi + yj) * c;
            sxx += (xi * xi + xi * xj + xj * xj) * c;
        }
        // Exterior counts positive and holes negative, whatever the ring orientation.
        const double sign = (r == 0 ? 1.0 : -1.0) * (a < 0 ? -1.0 : 1.0);
        area += sign * a / 2;
        mx += sign * sx / 6;
        my += sign * sy / 6;
        mxx += sign * sxx / 12;
    }
    if (!(area > 0)) return std::nullopt; // degenerate or invalid: leave it to the exact path
    const double cx = mx / area, cy = my / area;
    const double central_xx = mxx - area * cx * cx; // ∫(E − E_c)² dA

    double lon = x0 + cx / unit_m, lat = y0 + cy / unit_m;
    if (!to_geographic().apply(1, &lon, &lat)) return std::nullopt;
    const auto p = tm->at(lon, lat);
    const double k0 = tm->k0();
    const double u = p.easting / (k0 * p.radius);
    if (!(std::abs(u) <= kAreaFastPathMaxOffset)) return std::nullopt;

    // ∫ dA / k² over the polygon, with 1/k² expanded about the centroid: the linear term
    // integrates to zero about the centroid; the quadratic term in E uses the spherical
    // form 1/k² = sech²(E / (k0 R)) / k0² with R = sqrt(ρν), whose relative error
    // (O(e'² cos²φ · u²)) scales a term that is itself at most 1.5e-7 of the area.
    const double sech = 1 / std::cosh(u), th = std::tanh(u);
    const double d2 = (4 * sech * sech * th * th - 2 * sech * sech * sech * sech) /
                      (k0 * k0 * k0 * k0 * p.radius * p.radius);
    return area / (p.k * p.k) + 0.5 * d2 * central_xx;
}

double AreaCalculator::Impl::polygon_area(const GEOSGeometry* poly) const {
    auto* ctx = geos::ctx();
    if (GEOSisEmpty_r(ctx, poly)) return 0.0;
    const int holes = GEOSGetNumInteriorRings_r(ctx, poly);
    if (holes < 0) throw Error("GEOS could not read a polygon");
    auto& s = scratch();
    const std::size_t rings = static_cast<std::size_t>(holes) + 1;
    if (s.xs.size() < rings) {
        s.xs.resize(rings);
        s.ys.resize(rings);
    }
    for (std::size_t r = 0; r < rings; ++r) {
        const GEOSGeometry* ring = r == 0
                                       ? GEOSGetExteriorRing_r(ctx, poly)
                                       : GEOSGetInteriorRingN_r(ctx, poly, static_cast<int>(r - 1));
        if (!ring) throw Error("GEOS could not read a polygon ring");
        load_ring(ring, s.xs[r], s.ys[r]);
    }
    if (s.xs[0].size() < 3) return 0.0;

    if (tm) {
        if (auto a = fast_polygon_area(rings)) return *a;
    }
    double area = 0;
    for (std::size_t r = 0; r < rings; ++r) {
        const double a = exact_ring_area(s.xs[r], s.ys[r]);
        area += r == 0 ? a : -a;
    }
    return area;
}

double AreaCalculator::Impl::area(const GEOSGeometry* g) const {
    auto* ctx = geos::ctx();
    switch (GEOSGeomTypeId_r(ctx, g)) {
    case GEOS_POLYGON:
        return polygon_area(g);
    case GEOS_MULTIPOLYGON:
    case GEOS_GEOMETRYCOLLECTION: {
        double sum = 0;
        const int parts = GEOSGetNumGeometries_r(ctx, g);
        for (int i = 0; i < parts; ++i)
            sum += area(GEOSGetGeometryN_r(ctx, g, i));
        return sum;
    }
    default:
        return 0.0;
    }
}

AreaCalculator::AreaCalculator(const Crs& crs, AreaMode mode)
    : AreaCalculator(crs, mode, AreaTuning{}) {}

AreaCalculator::AreaCalculator(const Crs& crs, AreaMode mode, const AreaTuning& tuning)
    : impl_(std::make_unique<Impl>()) {
    if (crs.empty()) throw DataError("cannot measure areas of geometries without a CRS");
    if (!(tuning.densify_step_m > 0))
        throw UsageError("the densification step of area computation must be positive");
    impl_->crs = crs;
    impl_->mode = mode;
    impl_->tuning = tuning;
    if (mode == AreaMode::planar) {
        if (!crs.is_projected())
            throw UsageError("planar areas need a projected CRS, but " + crs.label() +
                             " is not one; use ellipsoidal areas or a projected working CRS");
        impl_->unit_m = crs.linear_unit_m();
        return;
    }
    if (!crs.is_geographic() && !crs.is_projected())
        throw DataError("cannot compute ellipsoidal areas in " + crs.label() +
                        ": it is neither geographic nor projected");
    impl_->geographic = crs.geographic();
    const double a = crs.semi_major();
    const double inv_f = crs.inverse_flattening();
    const double f = inv_f > 0 ? 1 / inv_f : 0.0; // 0 marks a sphere in OGR
    if (!(a > 0)) throw DataError("CRS " + crs.label() + " has no usable ellipsoid");
    geod_init(&impl_->geod, a, f);
    if (crs.is_projected()) {
        impl_->unit_m = crs.linear_unit_m();
        const char* method = crs.ogr()->GetAttrValue("PROJECTION");
        // The closed-form scale takes longitudes from Greenwich: other prime meridians
        // (rare with TM) take the exact path.
        if (method && std::string_view(method) == SRS_PT_TRANSVERSE_MERCATOR &&
            crs.ogr()->GetPrimeMeridian() == 0.0 && tuning.fast_path_max_extent_m > 0) {
            const double k0 = crs.ogr()->GetNormProjParm(SRS_PP_SCALE_FACTOR, 1.0);
            impl_->tm.emplace(a, f, k0, crs.central_meridian());
        }
    }
}

AreaCalculator::~AreaCalculator() = default;
AreaCalculator::AreaCalculator(AreaCalculator&&) noexcept = default;
AreaCalculator& AreaCalculator::operator=(AreaCalculator&&) noexcept = default;

double AreaCalculator::area_m2(const GEOSGeom_t* g) const {
    if (!g) return 0.0;
    if (impl_->mode == AreaMode::planar) {
        double area = 0;
        if (!GEOSArea_r(geos::ctx(), g, &area)) throw Error("GEOS could not compute an area");
        return area * impl_->unit_m * impl_->unit_m;
    }
    return impl_->area(g);
}

AreaMode AreaCalculator::mode() const {
    return impl_->mode;
}
const Crs& AreaCalculator::crs() const {
    return impl_->crs;
}

} // namespace soilrisk
