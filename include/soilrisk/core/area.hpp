// Areas as China's land surveys measure them.
//
// Ellipsoidal area (default): the geodesic area of the polygon on the ellipsoid of the
// geometry CRS's own geographic CRS (CGCS2000 for Chinese data, Clarke 1866 for NAD27,
// …), computed from the vertices in longitude/latitude with Karney's algorithm
// (PROJ's geod_polygonarea, C. F. F. Karney, "Algorithms for geodesics", J. Geodesy
// 87 (2013) 43–55). Edges of projected geometry are densified before the inverse
// projection so that a straight projected edge and the geodesic between its ends
// enclose a negligible area (see densify tolerance below). Holes are subtracted and
// the parts of multipolygons summed.
//
// Planar area (on request): the area in the CRS's own plane, in m².
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
    double area_m2(const GEOSGeom_t* g) const;

    AreaMode mode() const;
    const Crs& crs() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace soilrisk
