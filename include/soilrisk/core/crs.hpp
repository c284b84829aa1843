// Coordinate reference systems and the run's working CRS.
//
// Every run measures in one metric working CRS: the user's choice, or the CGCS2000
// 3-degree Gauss–Krüger zone (EPSG:4534–4554, no zone prefix in the easting) of the
// data's centre when it lies within China's longitudes, else the WGS84 UTM zone of the
// centre. All axis orders are traditional GIS order (x = easting/longitude,
// y = northing/latitude), whatever the EPSG definition says.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

class OGRSpatialReference;         // GDAL/OGR (ogr_spatialref.h)
class OGRCoordinateTransformation; // GDAL/OGR
struct GEOSGeom_t;

namespace soilrisk {

/// A CRS (value type; cheap to copy). Empty when a layer has none.
class Crs {
  public:
    Crs();
    ~Crs();
    Crs(const Crs&);
    Crs& operator=(const Crs&);
    Crs(Crs&&) noexcept;
    Crs& operator=(Crs&&) noexcept;

    /// Parses "EPSG:4545", "4545", WKT or a PROJ string. Throws UsageError naming
    /// `what` when the text is not a CRS.
    static Crs parse(std::string_view text, std::string_view what = "--crs");
    static Crs from_epsg(int code);
    /// Takes a copy of an OGR spatial reference (nullptr gives an empty Crs).
    static Crs from_ogr(const OGRSpatialReference* srs);

    bool empty() const;
    bool is_geographic() const;
    bool is_projected() const;
    /// Name as the CRS states it, e.g. "CGCS2000 / 3-degree Gauss-Kruger CM 108E".
    std::string name() const;
    /// EPSG code when the CRS is (or is identified as) one.
    std::optional<int> epsg() const;
    /// "EPSG:4545" when known, else the name.
    std::string label() const;
    std::string wkt() const;
    /// The geographic CRS this CRS is based on (its own datum and ellipsoid).
    Crs geographic() const;
    /// Ellipsoid semi-major axis (m) and inverse flattening.
    double semi_major() const;
    double inverse_flattening() const;
    /// Projection parameters used by the CRS sanity checks (0 when absent).
    double false_easting() const;
    double central_meridian() const;
    /// Linear unit of a projected CRS in metres (1 for metre).
    double linear_unit_m() const;

    bool same_as(const Crs& other) const;

    /// The OGR object (axis mapping set to traditional GIS order). Never null unless
    /// empty(). For the library's own use; GDAL types do not cross public APIs.
    const OGRSpatialReference* ogr() const;

  private:
    std::shared_ptr<const OGRSpatialReference> srs_;
};

/// Chooses the working CRS for data centred at (lon, lat) as described above.
Crs choose_working_crs(double lon, double lat);

/// EPSG code of the CGCS2000 3-degree GK zone (no prefix) whose central meridian is
/// nearest to `lon` (EPSG:4534 = CM 75°E … 4554 = CM 135°E); nullopt outside 73.5–136.5°E.
std::optional<int> cgcs2000_gk3_epsg(double lon);

/// Coordinate transformation between two CRSs (traditional GIS axis order).
class Transform {
  public:
    Transform(const Crs& from, const Crs& to);
    ~Transform();
    Transform(Transform&&) noexcept;
    Transform& operator=(Transform&&) noexcept;

    /// Transforms points in place; returns false if any point failed.
    bool apply(std::size_t n, double* x, double* y) const;
    /// Transforms one point; throws DataError when it cannot be transformed.
    void apply(double& x, double& y) const;
    const Crs& from() const { return from_; }
    const Crs& to() const { return to_; }
    /// Whether the two CRSs are the same (the transform is the identity).
    bool identity() const { return identity_; }
    /// The OGR transformation (null when identity). Not thread-safe: one per thread.
    OGRCoordinateTransformation* ogr() const { return ct_.get(); }

  private:
    Crs from_, to_;
    bool identity_ = false;
    std::unique_ptr<OGRCoordinateTransformation, void (*)(OGRCoordinateTransformation*)> ct_;
};

/// A rectangle in some CRS.
struct Extent {
    double min_x = 0, min_y = 0, max_x = 0, max_y = 0;
    bool valid() const { return max_x >= min_x && max_y >= min_y; }
    double centre_x() const { return 0.5 * (min_x + max_x); }
    double centre_y() const { return 0.5 * (min_y + max_y); }
};

/// Rectangles that do not overlap (they may share edges) covering exactly the union of
/// `rects` (invalid ones left out): each rectangle minus those before it, cut into at most
/// four bands per overlap. Queries of the pieces meet each feature about once where the
/// rectangles overlapped many times.
std::vector<Extent> disjoint_extents(const std::vector<Extent>& rects);

/// Checks that coordinates in `native` (the layer extent) can be what `crs` says.
/// Returns "" when plausible, else one sentence naming the likely problem and fix
/// (lon/lat labelled as projected, GK easting with zone prefix under a prefix-less CRS
/// or the reverse, swapped lat/lon, projected numbers labelled as degrees).
std::string check_crs_plausible(const Extent& native, const Crs& crs);

} // namespace soilrisk
