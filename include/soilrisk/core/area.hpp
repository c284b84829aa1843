// Areas as China's land surveys measure them.
//
// Ellipsoidal area (default): the geodesic area of the polygon on the ellipsoid of the
// geometry CRS's own geographic CRS (CGCS2000 for Chinese data, Clarke 1866 for NAD27,
// …), computed from the vertices in longitude/latitude with Karney's algorithm
// (PROJ's geod_polygonarea; C. F. F. Karney, "Algorithms for geodesics", J. Geodesy
// 87 (2013) 43–55). Holes are subtracted and the parts of multipolygons (and the
// polygonal parts of collections) summed; ring orientation does not matter.
//
// Projected edges. A straight edge in a projected CRS is not a geodesic: its preimage on
// the ellipsoid has geodesic curvature κ = |∂ln k/∂n| (k the point scale of a conformal
// projection), and a piece of length s encloses a lens of about κ·s³/12 with the geodesic
// between its ends. Edges are therefore cut into pieces of at most kAreaDensifyStepM
// (10 m) before the inverse projection, so the area differs from that of the region the
// straight projected edges bound by at most κ·s²·P/12 for perimeter P: with κ ≤ 3.7e-9/m
// in a 3° Gauss–Krüger zone (E/R² at 1.5° from the CM) that is ≤ 3.1e-8 m² per metre of
// perimeter, i.e. ≤ 1.2e-10 relative for a 1 km square (6.8e-8 m²/m at a 6° UTM zone
// edge); opposite edges cancel most of it in practice. 10 m keeps each piece's lens
// (3e-7 m² in GK, 6e-6 m² even for κ = 1e-7/m, e.g. Web Mercator at 24°N) below the
// rounding of geod_polygonarea itself, about 1e-5 m² per edge (from A4·(B42 − B41) in
// Karney's area term), which is what limits the exact path on small parcels (≈3e-7
// relative for a 100 m² parcel). Tested: 10 m vs 1 m agree to ≤ 1e-10 on 10 km polygons.
//
// Fast path. For a Transverse Mercator CRS (Gauss–Krüger, UTM) and a polygon whose
// envelope is at most kAreaFastPathMaxExtentM (5 km), the area is ∫∫ dE dN / k², computed
// from the polygon's planar area A, centroid c and central second moment I_EE as
// A / k(c)² + ½ · ∂²(k⁻²)/∂E² · I_EE, with k(c) from Krüger's series in closed form
// (Karney 2011) and the second derivative from the spherical form sech²(E/(k0·R))/k0²
// (R = √(ρν)). The plain centroid rule A / k(c)² errs by about σ_E²/R² (measured: 8e-10
// for envelopes up to 1 km, 3e-8 at 5 km); with the second-moment term the measured
// agreement with an independent quadrature of 1/k² (PROJ's proj_factors) is ≤ 4e-11 up to
// 5 km, across a GK zone to its edge and a UTM zone to 3° from its CM. Against the exact
// path it agrees to 1e-9 relative plus the exact path's rounding (≈1e-5 m² per edge).
// CPU time per 20-vertex parcel (30–300 m): ≈0.9 µs fast, 17–190 µs exact (≈0.8 µs per
// densified vertex: Karney inverse plus the inverse projection).
//
// Planar area (on request): the area in the CRS's own plane, in m² (projected CRS only).
#pragma once

#include "soilrisk/core/crs.hpp"

struct GEOSGeom_t;

namespace soilrisk {

enum class AreaMode { ellipsoidal, planar };

/// Longest piece (m) of a densified projected edge (see the header comment).
inline constexpr double kAreaDensifyStepM = 10.0;
/// Largest envelope side (m) of a polygon measured by the Transverse Mercator fast path.
inline constexpr double kAreaFastPathMaxExtentM = 5000.0;
/// Largest distance of the fast path's centroid from the central meridian, as the angle
/// E / (k0·R) in radians (0.1 ≈ 640 km, beyond any 3° or 6° zone).
inline constexpr double kAreaFastPathMaxOffset = 0.1;

/// Knobs for tests and benchmarks; the defaults are the bounds documented above.
struct AreaTuning {
    double densify_step_m = kAreaDensifyStepM;
    /// 0 turns the fast path off (every polygon takes the exact path).
    double fast_path_max_extent_m = kAreaFastPathMaxExtentM;
};

/// Parses "ellipsoidal" / "planar"; throws UsageError otherwise.
AreaMode parse_area_mode(std::string_view text);

/// Computes areas of (multi)polygons given in one CRS. Thread-safe for concurrent
/// calls after construction.
class AreaCalculator {
  public:
    /// `crs` is the CRS of the geometries that will be measured (must not be empty).
    explicit AreaCalculator(const Crs& crs, AreaMode mode = AreaMode::ellipsoidal);
    AreaCalculator(const Crs& crs, AreaMode mode, const AreaTuning& tuning);
    ~AreaCalculator();
    AreaCalculator(AreaCalculator&&) noexcept;
    AreaCalculator& operator=(AreaCalculator&&) noexcept;

    /// Area in m² of a Polygon/MultiPolygon (other geometry types and empty
    /// geometries: 0). For a GeometryCollection, the sum over its polygonal parts.
    /// Throws DataError when the coordinates cannot be in the CRS (latitudes beyond ±90°,
    /// points PROJ cannot invert, edges longer than the Earth's circumference).
    /// Each calling thread gets its own coordinate transformation (OGR's are not
    /// thread-safe), created on its first call.
    double area_m2(const GEOSGeom_t* g) const;

    AreaMode mode() const;
    const Crs& crs() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace soilrisk
