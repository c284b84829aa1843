// DEM grids in memory: geometry (georeference, CRS, true cell sizes) and loading.
//
// A grid is a north-up raster of `width` × `height` cells stored row-major (row 0 is the
// northern edge when the pixel height is negative, as in nearly every GeoTIFF). Cell
// (col, row) has index row * width + col. Rotated or sheared geotransforms are rejected
// (DataError): resample with gdalwarp first.
//
// True cell sizes. Lengths and areas are always in metres and square metres:
//   - projected CRS: the pixel size times the CRS's linear unit (constant; the map
//     projection's scale factor is not applied, i.e. sizes are grid sizes);
//   - geographic CRS (degrees): per row, on the CRS's own ellipsoid —
//       width  = N(φ) · cos φ · Δλ          (arc of the parallel through the row centre;
//                                            N = prime-vertical radius of curvature),
//       height = geodesic length of the meridian arc across the row (≈ M(φ) · Δφ,
//                                            M = meridian radius of curvature),
//       area   = exact ellipsoidal area of the cell (the zone between the row's edge
//                latitudes, times Δλ / 2π), from the authalic-latitude formula
//                A = b²·Δλ/2 · [q(φ)] with q(φ) = sinφ/(1−e²sin²φ) + artanh(e·sinφ)/e.
//   Distances between arbitrary points (trace chainage, snapping) are geodesics on the
//   ellipsoid (C. F. F. Karney, "Algorithms for geodesics", J. Geodesy 87 (2013) 43–55,
//   through PROJ's geodesic.h) for geographic grids and planar distances for projected
//   grids.
// Grids without any CRS are treated as projected in metres (with a warning at load).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "soilrisk/core/crs.hpp"
#include "soilrisk/core/progress.hpp"

struct geod_geodesic; // PROJ's geodesic.h

namespace soilrisk::hydro {

/// Georeference and true cell sizes of a grid. Value type.
class GridGeometry {
  public:
    GridGeometry() = default;
    /// `gt` is a GDAL geotransform (origin x, pixel width, 0, origin y, 0, pixel height).
    /// Throws DataError when the geotransform is rotated or a pixel size is zero, naming
    /// `source` (the file) in the message.
    GridGeometry(int width, int height, const std::array<double, 6>& gt, Crs crs,
                 const std::string& source = "grid");

    int width() const { return width_; }
    int height() const { return height_; }
    std::size_t size() const { return std::size_t(width_) * std::size_t(height_); }
    const std::array<double, 6>& geotransform() const { return gt_; }
    const Crs& crs() const { return crs_; }
    bool geographic() const { return geographic_; }
    /// Whether all cells have the same true area (projected grids).
    bool uniform_cells() const { return !geographic_; }

    /// Centre of a cell in the grid's CRS.
    double x(int col) const { return gt_[0] + (col + 0.5) * gt_[1]; }
    double y(int row) const { return gt_[3] + (row + 0.5) * gt_[5]; }
    int row_of(std::size_t index) const { return static_cast<int>(index / std::size_t(width_)); }
    int col_of(std::size_t index) const { return static_cast<int>(index % std::size_t(width_)); }
    std::size_t index(int col, int row) const { return std::size_t(row) * width_ + col; }

    /// The cell containing (x, y) in the grid's CRS; nullopt outside the grid.
    std::optional<std::size_t> cell_at(double x, double y) const;

    /// True cell width / height (m) and area (m²) of the cells of `row`.
    double cell_width_m(int row) const { return cell_w_[row]; }
    double cell_height_m(int row) const { return cell_h_[row]; }
    double cell_area_m2(int row) const { return cell_area_[row]; }

    /// Distance in metres between two points given in the grid's CRS (geodesic on
    /// geographic grids, planar × linear unit on projected ones).
    double distance_m(double x1, double y1, double x2, double y2) const;

    /// Whether two geometries describe the same grid (size, geotransform to 1e-9 of a
    /// pixel, CRS).
    bool same_grid(const GridGeometry& other) const;

  private:
    int width_ = 0, height_ = 0;
    std::array<double, 6> gt_{0, 1, 0, 0, 0, -1};
    Crs crs_;
    bool geographic_ = false;
    double unit_m_ = 1.0;                       // projected: metres per CRS unit
    double a_ = 0, f_ = 0;                      // geographic: ellipsoid
    std::shared_ptr<const geod_geodesic> geod_; // geographic: its geodesic solver, set once
    std::vector<double> cell_w_, cell_h_, cell_area_;
};

/// A DEM in memory: elevations as float32, NaN where the source has nodata (its nodata
/// value or NaN). 4 bytes per cell.
struct Dem {
    GridGeometry geometry;
    std::vector<float> z;
    std::optional<double> nodata; ///< the source's nodata value, if it declares one
    std::string source;           ///< path as given
    bool warped = false;          ///< reprojected as it was loaded (DemWarp)

    std::size_t valid_count() const;
};

/// Memory the hydrology of one DEM cell needs at its peak (elevation, directions,
/// accumulation, work space): load_dem() refuses DEMs that would not fit (ResourceError).
inline constexpr std::uint64_t kPeakBytesPerCell = 15;

/// Loads band `band` of any GDAL raster (GeoTIFF, VRT, …; Byte/Int16/UInt16/Int32/
/// Float32/Float64; complex types are rejected) with block-row I/O. Elevations are in
/// the raster's own unit (metres expected). Throws IoError when the file cannot be
/// opened or read, DataError for a rotated geotransform, a complex type, a missing band
/// or a raster without any valid cell, ResourceError when the DEM's hydrology would not
/// fit in memory_budget(). Infinite values and values below -11000 m (deeper than any
/// place on Earth: undeclared voids such as -32768) count as nodata, with a warning.
Dem load_dem(const std::string& path, int band = 1, Progress progress = {});

/// Reprojection of a DEM as it is loaded (gdalwarp's algorithm, through a warped VRT
/// read block-wise: no temporary file). Elevations become Float32; cells outside the
/// source's footprint or touching its nodata are nodata.
struct DemWarp {
    Crs crs;              ///< target CRS; empty: no reprojection
    double cell_size = 0; ///< target cell size in the target CRS's unit (square cells,
                          ///< aligned on multiples of it); 0: gdalwarp's choice (about
                          ///< the source's resolution)
    std::string resampling = "bilinear"; ///< gdalwarp -r: near, bilinear, cubic, …
};

/// Whether loading a DEM whose CRS is `source` with `warp` reprojects it (a target CRS
/// different from the source's, or a cell size given).
bool dem_needs_warp(const Crs& source, const DemWarp& warp);

/// load_dem() with reprojection: when `warp.crs` is set and differs from the DEM's CRS
/// (or a cell size is given) the DEM is reprojected to it. The grid's CRS is then
/// warp.crs. Throws DataError for a DEM without CRS or georeference that should be
/// reprojected, UsageError for a bad resampling name or cell size.
Dem load_dem(const std::string& path, const DemWarp& warp, Progress progress = {}, int band = 1);

/// Size, geotransform and CRS of a raster, as load_dem() would set them (reprojected by
/// `warp`), without reading its cells (and without load_dem's warnings). Throws IoError
/// when it cannot be opened, DataError for a rotated geotransform or a DEM without CRS
/// that should be reprojected.
GridGeometry read_grid_geometry(const std::string& path, const DemWarp& warp = {});

/// Reads band 1 of `path` as float at the given cells (NaN for nodata); for elevation
/// profiles along a few paths without loading the whole raster.
std::vector<float> sample_raster(const std::string& path, const GridGeometry& geometry,
                                 const std::vector<std::size_t>& cells, const DemWarp& warp = {});

} // namespace soilrisk::hydro
