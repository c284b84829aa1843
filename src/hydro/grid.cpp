#include "soilrisk/hydro/grid.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cpl_string.h>
#include <cstdio>
#include <exception>
#include <future>
#include <gdal_priv.h>
#include <gdal_utils.h>
#include <geodesic.h>
#include <memory>
#include <ogr_spatialref.h>

#include "gdal_util.hpp"
#include "memory.hpp"
#include "soilrisk/core/error.hpp"
#include "soilrisk/core/log.hpp"
#include "soilrisk/core/runtime.hpp"

namespace soilrisk::hydro {

namespace {

constexpr double kDegToRad = M_PI / 180.0;

// q(φ) of the authalic-latitude formula (see grid.hpp).
double authalic_q(double phi, double e2) {
    const double e = std::sqrt(e2);
    const double s = std::sin(phi);
    if (e < 1e-12) return 2.0 * s;
    return (1.0 - e2) * (s / (1.0 - e2 * s * s) + std::atanh(e * s) / e);
}

} // namespace

GridGeometry::GridGeometry(int width, int height, const std::array<double, 6>& gt, Crs crs,
                           const std::string& source)
    : width_(width), height_(height), gt_(gt), crs_(std::move(crs)) {
    if (width <= 0 || height <= 0) throw DataError(source + ": raster has no cells");
    if (gt[2] != 0.0 || gt[4] != 0.0)
        throw DataError(source + ": the raster is rotated or sheared (geotransform terms " +
                        std::to_string(gt[2]) + ", " + std::to_string(gt[4]) +
                        "); resample it north-up first, e.g. with gdalwarp");
    if (gt[1] == 0.0 || gt[5] == 0.0)
        throw DataError(source + ": the raster has a zero pixel size; check its georeference");
    geographic_ = crs_.is_geographic();
    cell_w_.resize(height);
    cell_h_.resize(height);
    cell_area_.resize(height);
    if (!geographic_) {
        unit_m_ = crs_.empty() ? 1.0 : crs_.linear_unit_m();
        const double w = std::abs(gt[1]) * unit_m_, h = std::abs(gt[5]) * unit_m_;
        std::fill(cell_w_.begin(), cell_w_.end(), w);
        std::fill(cell_h_.begin(), cell_h_.end(), h);
        std::fill(cell_area_.begin(), cell_area_.end(), w * h);
        return;
    }
    a_ = crs_.semi_major();
    const double invf = crs_.inverse_flattening();
    f_ = invf > 0 ? 1.0 / invf : 0.0;
    const double e2 = f_ * (2.0 - f_);
    const double b = a_ * (1.0 - f_);
    auto geod = std::make_shared<geod_geodesic>();
    geod_init(geod.get(), a_, f_);
    geod_ = geod;
    const double dlon = std::abs(gt[1]) * kDegToRad;
    for (int r = 0; r < height; ++r) {
        const double lat_a = gt[3] + r * gt[5], lat_b = gt[3] + (r + 1) * gt[5];
        const double lat_c = 0.5 * (lat_a + lat_b);
        if (std::abs(lat_a) > 90.0 + 1e-9 || std::abs(lat_b) > 90.0 + 1e-9)
            throw DataError(source + ": latitudes beyond ±90° in a geographic raster; check "
                                     "its CRS");
        const double phi = lat_c * kDegToRad;
        const double s = std::sin(phi);
        const double n = a_ / std::sqrt(1.0 - e2 * s * s);
        cell_w_[r] = n * std::cos(phi) * dlon;
        double s12 = 0;
        geod_inverse(geod_.get(), std::clamp(lat_a, -90.0, 90.0), 0.0,
                     std::clamp(lat_b, -90.0, 90.0), 0.0, &s12, nullptr, nullptr);
        cell_h_[r] = s12;
        const double qa = authalic_q(std::clamp(lat_a, -90.0, 90.0) * kDegToRad, e2);
        const double qb = authalic_q(std::clamp(lat_b, -90.0, 90.0) * kDegToRad, e2);
        cell_area_[r] = std::abs(0.5 * b * b / (1.0 - e2) * dlon * (qb - qa));
    }
}

std::optional<std::size_t> GridGeometry::cell_at(double x, double y) const {
    const double c = std::floor((x - gt_[0]) / gt_[1]);
    const double r = std::floor((y - gt_[3]) / gt_[5]);
    if (!(c >= 0 && r >= 0 && c < width_ && r < height_)) return std::nullopt;
    return index(static_cast<int>(c), static_cast<int>(r));
}

double GridGeometry::distance_m(double x1, double y1, double x2, double y2) const {
    if (!geographic_) return std::hypot(x2 - x1, y2 - y1) * unit_m_;
    double s12 = 0;
    geod_inverse(geod_.get(), y1, x1, y2, x2, &s12, nullptr, nullptr);
    return s12;
}

bool GridGeometry::same_grid(const GridGeometry& o) const {
    if (width_ != o.width_ || height_ != o.height_) return false;
    for (int i = 0; i < 6; ++i) {
        const double tol = 1e-9 * std::max(std::abs(gt_[1]), std::abs(gt_[5]));
        if (std::abs(gt_[i] - o.gt_[i]) > tol) return false;
    }
    return crs_.same_as(o.crs_);
}

std::size_t Dem::valid_count() const {
    std::size_t n = 0;
    for (float v : z)
        n += !std::isnan(v);
    return n;
}

namespace {

// A DEM dataset as read: the file itself, or a warped VRT over it (reprojection).
struct DemSource {
    DatasetPtr file;
    DatasetPtr warped; // closed first (declared last)
    GDALDataset* get() const { return warped ? warped.get() : file.get(); }
};

DemSource open_dem(const std::string& path, const DemWarp& warp, int threads) {
    DemSource s;
    s.file = open_raster(path, threads);
    if (warp.crs.empty()) return s;
    if (!(warp.cell_size >= 0) || !std::isfinite(warp.cell_size))
        throw UsageError("DEM cell size: " + std::to_string(warp.cell_size) +
                         " is not a positive size");
    static const char* const kResampling[] = {
        "near", "bilinear", "cubic", "cubicspline", "lanczos", "average", "min", "max", "med"};
    if (std::find_if(std::begin(kResampling), std::end(kResampling),
                     [&](const char* r) { return warp.resampling == r; }) == std::end(kResampling))
        throw UsageError("DEM resampling: '" + warp.resampling +
                         "' is not one of near, bilinear, cubic, cubicspline, lanczos, average, "
                         "min, max, med");
    const Crs source = Crs::from_ogr(s.file->GetSpatialRef());
    if (source.empty())
        throw DataError(path + ": has no CRS, so it cannot be reprojected to " + warp.crs.label() +
                        "; assign its CRS first (gdal_edit.py -a_srs EPSG:…)");
    std::array<double, 6> gt{};
    if (s.file->GetGeoTransform(gt.data()) != CE_None)
        throw DataError(path + ": has no georeference, so it cannot be reprojected");
    if (!dem_needs_warp(source, warp)) return s;
    CPLStringList args;
    args.AddString("-of");
    args.AddString("VRT");
    args.AddString("-t_srs");
    args.AddString(warp.crs.wkt().c_str());
    args.AddString("-r");
    args.AddString(warp.resampling.c_str());
    args.AddString("-ot");
    args.AddString("Float32");
    args.AddString("-dstnodata");
    args.AddString("nan");
    if (warp.cell_size > 0) {
        char cs[64];
        std::snprintf(cs, sizeof cs, "%.17g", warp.cell_size);
        args.AddString("-tr");
        args.AddString(cs);
        args.AddString(cs);
        // Cells aligned on multiples of the size, as gdalwarp -tap.
        args.AddString("-tap");
    }
    args.AddString("-wo");
    args.AddString(("NUM_THREADS=" + std::to_string(std::max(threads, 1))).c_str());
    std::unique_ptr<GDALWarpAppOptions, void (*)(GDALWarpAppOptions*)> opts(
        GDALWarpAppOptionsNew(args.List(), nullptr), GDALWarpAppOptionsFree);
    if (!opts) throw IoError(path + ": cannot set up the reprojection: " + CPLGetLastErrorMsg());
    GDALDatasetH src = GDALDataset::ToHandle(s.file.get());
    int usage_error = 0;
    CPLErrorReset();
    GDALDatasetH out = GDALWarp("", nullptr, 1, &src, opts.get(), &usage_error);
    if (!out)
        throw IoError(path + ": cannot reproject to " + warp.crs.label() + ": " +
                      CPLGetLastErrorMsg());
    s.warped.reset(GDALDataset::FromHandle(out));
    return s;
}

} // namespace

GridGeometry read_grid_geometry(const std::string& path, const DemWarp& warp) {
    gdal_init();
    const DemSource source = open_dem(path, warp, 1);
    GDALDataset* ds = source.get();
    std::array<double, 6> gt{0, 1, 0, 0, 0, -1};
    if (ds->GetGeoTransform(gt.data()) != CE_None) gt = {0, 1, 0, 0, 0, -1};
    return GridGeometry(ds->GetRasterXSize(), ds->GetRasterYSize(), gt,
                        Crs::from_ogr(ds->GetSpatialRef()), path);
}

bool dem_needs_warp(const Crs& source, const DemWarp& warp) {
    if (warp.crs.empty()) return false;
    return warp.cell_size > 0 || source.empty() || !source.same_as(warp.crs);
}

Dem load_dem(const std::string& path, int band_no, Progress progress) {
    return load_dem(path, DemWarp{}, progress, band_no);
}

Dem load_dem(const std::string& path, const DemWarp& warp, Progress progress, int band_no) {
    gdal_init();
    const DemSource source = open_dem(path, warp, thread_count());
    GDALDataset* ds = source.get();
    if (band_no < 1 || band_no > ds->GetRasterCount())
        throw DataError(path + ": has no band " + std::to_string(band_no) + " (it has " +
                        std::to_string(ds->GetRasterCount()) + ")");
    GDALRasterBand* band = ds->GetRasterBand(band_no);
    const GDALDataType type = band->GetRasterDataType();
    if (GDALDataTypeIsComplex(type) || type == GDT_Unknown)
        throw DataError(path + ": complex or unknown pixel type " +
                        std::string(GDALGetDataTypeName(type)) +
                        " is not an elevation; convert it to Float32 or Int16");
    std::array<double, 6> gt{0, 1, 0, 0, 0, -1};
    const bool has_gt = ds->GetGeoTransform(gt.data()) == CE_None;
    Crs crs = Crs::from_ogr(ds->GetSpatialRef());
    if (!has_gt) log_warning(path + ": no georeference; cells are taken as 1 m squares");
    if (crs.empty()) log_warning(path + ": no CRS; coordinates are taken as metres on a plane");

    Dem dem;
    dem.source = path;
    dem.warped = source.warped != nullptr;
    if (dem.warped)
        log_info(path + ": reprojected to " + warp.crs.label() + " (" + warp.resampling + ", " +
                 std::to_string(ds->GetRasterXSize()) + " × " +
                 std::to_string(ds->GetRasterYSize()) + " cells)");
    dem.geometry = GridGeometry(ds->GetRasterXSize(), ds->GetRasterYSize(), gt, crs, path);
    int has_nodata = 0;
    const double nd = band->GetNoDataValue(&has_nodata);
    if (has_nodata) dem.nodata = nd;
    const int w = dem.geometry.width(), h = dem.geometry.height();
    // The hydrology that follows a load (fill, D8, accumulation, streams) peaks at about
    // 14.1 bytes per cell (measured on 26 M cells); refuse up front rather than die of OOM.
    require_memory(static_cast<std::uint64_t>(dem.geometry.size()) * kPeakBytesPerCell +
                       (64ull << 20),
                   path + ": a " + std::to_string(w) + " × " + std::to_string(h) + " DEM (" +
                       std::to_string(dem.geometry.size()) + " cells)",
                   "clip it to the area of interest (gdal_translate -projwin) or resample it to "
                   "coarser cells (gdalwarp -tr)");
    assign_huge(dem.z, dem.geometry.size(), 0.0f);

    int bx = 0, by = 0;
    band->GetBlockSize(&bx, &by);
    // Read strips of whole block rows (several at once so GDAL can decode in parallel).
    const int strip = std::max(by, 1) * std::max(1, 256 / std::max(by, 1));
    const float ndf = static_cast<float>(nd);
    const bool nd_nan = has_nodata && std::isnan(nd);
    // Below the deepest point on Earth (about -10994 m): undeclared voids such as -32768
    // or -9999, never elevations.
    constexpr float kImpossible = -11000.0f;
    struct Tally {
        std::size_t valid = 0, infinite = 0, impossible = 0;
        float lowest = 0;
    };
    // Row ranges are read side by side, each through its own handle on the file (a GDAL
    // dataset is used by one thread at a time): decoding and checking run on every core.
    // A reprojected DEM is read through its one warper, which has threads of its own.
    const int strips = (h + strip - 1) / strip;
    const int parts = dem.warped ? 1 : std::clamp(std::min(thread_count(), strips / 2), 1, 8);
    std::vector<Tally> tally(parts);
    std::atomic<int> rows_read{0};
    auto read_part = [&](int p) {
        DatasetPtr own;
        GDALRasterBand* b = band;
        if (p > 0) {
            own = open_raster(path, 1);
            b = own->GetRasterBand(band_no);
        }
        Tally& t = tally[p];
        for (int s = strips * p / parts; s < strips * (p + 1) / parts; ++s) {
            const int r0 = s * strip, n = std::min(strip, h - r0);
            float* out = dem.z.data() + std::size_t(r0) * w;
            if (b->RasterIO(GF_Read, 0, r0, w, n, out, w, n, GDT_Float32, 0, 0) != CE_None)
                throw IoError(path + ": cannot read rows " + std::to_string(r0) + "–" +
                              std::to_string(r0 + n) + ": " + CPLGetLastErrorMsg());
            const std::size_t m = std::size_t(n) * w;
            if (has_nodata && !nd_nan) {
                for (std::size_t i = 0; i < m; ++i)
                    if (out[i] == ndf) out[i] = NAN;
            }
            for (std::size_t i = 0; i < m; ++i) {
                if (std::isinf(out[i])) {
                    out[i] = NAN;
                    ++t.infinite;
                } else if (out[i] < kImpossible) {
                    t.lowest = std::min(t.lowest, out[i]);
                    out[i] = NAN;
                    ++t.impossible;
                } else if (!std::isnan(out[i])) {
                    ++t.valid;
                }
            }
            const int done = rows_read += n;
            if (p == 0) progress(double(done) / h, "reading DEM");
        }
    };
    {
        std::vector<std::future<void>> others;
        for (int p = 1; p < parts; ++p)
            others.push_back(std::async(std::launch::async, read_part, p));
        std::exception_ptr failure;
        try {
            read_part(0);
        } catch (...) {
            failure = std::current_exception();
        }
        for (auto& f : others) {
            try {
                f.get();
            } catch (...) {
                if (!failure) failure = std::current_exception();
            }
        }
        if (failure) std::rethrow_exception(failure);
    }
    std::size_t valid = 0, infinite = 0, impossible = 0;
    float lowest = 0;
    for (const Tally& t : tally) {
        valid += t.valid;
        infinite += t.infinite;
        impossible += t.impossible;
        lowest = std::min(lowest, t.lowest);
    }
    char low[32];
    std::snprintf(low, sizeof low, "%g", static_cast<double>(lowest));
    if (valid == 0 && impossible > 0)
        throw DataError(path + ": has no valid elevation (every cell is nodata or below -11000 " +
                        "m, lowest " + low + "); declare the nodata value, e.g. gdal_edit.py " +
                        "-a_nodata " + low + " " + path);
    if (valid == 0)
        throw DataError(path + ": has no valid elevation (every cell is nodata" +
                        (has_nodata ? " (" + std::to_string(nd) + ")" : std::string()) +
                        " or NaN); check the file, its band and its nodata value (gdalinfo "
                        "-stats)");
    if (infinite > 0)
        log_warning(path + ": " + std::to_string(infinite) +
                    " cells have infinite elevations; they are treated as nodata (set a "
                    "nodata value or fix them to silence this)");
    if (impossible > 0)
        log_warning(path + ": " + std::to_string(impossible) +
                    " cells are below -11000 m (lowest " + low +
                    "), deeper than any place on Earth: undeclared voids, treated as nodata "
                    "(declare the nodata value, e.g. gdal_edit.py -a_nodata " +
                    low + " " + path + ")");
    return dem;
}

std::vector<float> sample_raster(const std::string& path, const GridGeometry& geometry,
                                 const std::vector<std::size_t>& cells, const DemWarp& warp) {
    gdal_init();
    const DemSource source = open_dem(path, warp, 1);
    GDALDataset* ds = source.get();
    GDALRasterBand* band = ds->GetRasterBand(1);
    if (ds->GetRasterXSize() != geometry.width() || ds->GetRasterYSize() != geometry.height())
        throw DataError(path + ": its size differs from the grid it should describe");
    int has_nodata = 0;
    const double nd = band->GetNoDataValue(&has_nodata);
    std::vector<float> out(cells.size(), NAN);
    for (std::size_t i = 0; i < cells.size(); ++i) {
        float v = NAN;
        if (band->RasterIO(GF_Read, geometry.col_of(cells[i]), geometry.row_of(cells[i]), 1, 1, &v,
                           1, 1, GDT_Float32, 0, 0) != CE_None)
            throw IoError(path + ": cannot read a cell: " + CPLGetLastErrorMsg());
        if (has_nodata && v == static_cast<float>(nd)) v = NAN;
        out[i] = v;
    }
    return out;
}

} // namespace soilrisk::hydro
