#include "soilrisk/hydro/raster_io.hpp"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <gdal_priv.h>

#include "gdal_util.hpp"
#include "soilrisk/core/error.hpp"
#include "soilrisk/io/output.hpp"

namespace soilrisk::hydro {

namespace {

constexpr int kStripRows = 256;

// Creates the GeoTIFF under a temporary name, lets `fill` convert strips of rows into
// `buf`, and renames it into place when complete.
void write_raster(
    const std::string& path, const GridGeometry& g, GDALDataType type, std::optional<double> nodata,
    const RasterWriteOptions& options,
    const std::function<void(std::size_t first, std::size_t count, void* buf)>& fill) {
    gdal_init();
    io::AtomicOutput out(path, options.overwrite);
    GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("GTiff");
    if (!drv) throw IoError("GDAL has no GTiff driver");
    CPLStringList co = geotiff_options(type, options.threads);
    DatasetPtr ds(drv->Create(out.temp_path().c_str(), g.width(), g.height(), 1, type, co.List()));
    if (!ds)
        throw IoError(path + ": cannot create (" + std::string(CPLGetLastErrorMsg()) +
                      "); check that the folder is writable");
    auto gt = g.geotransform();
    ds->SetGeoTransform(gt.data());
    if (!g.crs().empty()) ds->SetSpatialRef(g.crs().ogr());
    for (const auto& [k, v] : options.metadata)
        ds->SetMetadataItem(k.c_str(), v.c_str());
    GDALRasterBand* band = ds->GetRasterBand(1);
    if (nodata) band->SetNoDataValue(*nodata);
    const int w = g.width(), h = g.height();
    const int bytes = GDALGetDataTypeSizeBytes(type);
    std::vector<unsigned char> buf(std::size_t(w) * kStripRows * bytes);
    for (int r0 = 0; r0 < h; r0 += kStripRows) {
        const int n = std::min(kStripRows, h - r0);
        fill(std::size_t(r0) * w, std::size_t(n) * w, buf.data());
        if (band->RasterIO(GF_Write, 0, r0, w, n, buf.data(), w, n, type, 0, 0) != CE_None)
            throw IoError(path + ": cannot write (" + std::string(CPLGetLastErrorMsg()) + ")");
    }
    CPLErrorReset();
    ds.reset(); // flushes and closes
    if (CPLGetLastErrorType() == CE_Failure)
        throw IoError(path + ": cannot finish writing (" + std::string(CPLGetLastErrorMsg()) +
                      "); is the disk full?");
    out.commit();
}

} // namespace

void write_float_raster(const std::string& path, const GridGeometry& g,
                        const std::vector<float>& values, std::optional<double> nodata,
                        const RasterWriteOptions& options) {
    const double nd = nodata.value_or(-3.4028234663852886e38);
    const float ndf = static_cast<float>(nd);
    write_raster(path, g, GDT_Float32, nd, options, [&](std::size_t first, std::size_t n, void* b) {
        float* out = static_cast<float*>(b);
        for (std::size_t i = 0; i < n; ++i) {
            const float v = values[first + i];
            out[i] = std::isnan(v) ? ndf : v;
        }
    });
}

void write_d8_raster(const std::string& path, const GridGeometry& g,
                     const std::vector<std::uint8_t>& d8, D8Encoding encoding,
                     const RasterWriteOptions& options) {
    RasterWriteOptions o = options;
    o.metadata["SOILRISK_D8_ENCODING"] = to_string(encoding);
    std::uint8_t table[256];
    for (int v = 0; v < 256; ++v)
        table[v] = encode_d8(static_cast<std::uint8_t>(v), encoding);
    write_raster(path, g, GDT_Byte, 255.0, o, [&](std::size_t first, std::size_t n, void* b) {
        auto* out = static_cast<std::uint8_t*>(b);
        for (std::size_t i = 0; i < n; ++i)
            out[i] = table[d8[first + i]];
    });
}

void write_uint32_raster(const std::string& path, const GridGeometry& g,
                         const std::vector<std::uint32_t>& values,
                         const RasterWriteOptions& options) {
    write_raster(path, g, GDT_UInt32, 0.0, options, [&](std::size_t first, std::size_t n, void* b) {
        std::copy_n(values.data() + first, n, static_cast<std::uint32_t*>(b));
    });
}

std::vector<std::uint8_t> read_d8_raster(const std::string& path, const GridGeometry& expected,
                                         D8Encoding fallback) {
    auto ds = open_raster(path, 1);
    std::array<double, 6> gt{0, 1, 0, 0, 0, -1};
    ds->GetGeoTransform(gt.data());
    GridGeometry g(ds->GetRasterXSize(), ds->GetRasterYSize(), gt,
                   Crs::from_ogr(ds->GetSpatialRef()), path);
    if (!g.same_grid(expected))
        throw DataError(path + ": its grid differs from the filled DEM's; condition the DEM "
                               "again");
    D8Encoding enc = fallback;
    if (const char* e = ds->GetMetadataItem("SOILRISK_D8_ENCODING")) enc = parse_d8_encoding(e);
    std::vector<std::uint8_t> raw(g.size());
    if (ds->GetRasterBand(1)->RasterIO(GF_Read, 0, 0, g.width(), g.height(), raw.data(), g.width(),
                                       g.height(), GDT_Byte, 0, 0) != CE_None)
        throw IoError(path + ": cannot read (" + std::string(CPLGetLastErrorMsg()) + ")");
    std::uint8_t table[256];
    bool ok[256];
    for (int v = 0; v < 256; ++v) {
        ok[v] = true;
        try {
            table[v] = decode_d8(static_cast<std::uint8_t>(v), enc);
        } catch (const DataError&) {
            ok[v] = false;
        }
    }
    for (auto& v : raw) {
        if (!ok[v])
            throw DataError(path + ": value " + std::to_string(v) + " is not a " + to_string(enc) +
                            " D8 code");
        v = table[v];
    }
    return raw;
}

Conditioned load_conditioned(const std::string& dir) {
    namespace fs = std::filesystem;
    const std::string filled = (fs::path(dir) / "filled.tif").string();
    const std::string d8 = (fs::path(dir) / "d8.tif").string();
    for (const auto& p : {filled, d8})
        if (!fs::exists(p))
            throw IoError(p + ": missing; run 'soilrisk hydro condition --out " + dir + "' first");
    Conditioned c;
    c.filled = load_dem(filled);
    {
        auto ds = open_raster(filled, 1);
        if (const char* s = ds->GetMetadataItem("SOILRISK_SOURCE_DEM")) c.source_dem = s;
        if (const char* s = ds->GetMetadataItem("SOILRISK_DEM_WARP_CRS")) {
            c.source_warp.crs = Crs::parse(s, filled + ": SOILRISK_DEM_WARP_CRS");
            if (const char* v = ds->GetMetadataItem("SOILRISK_DEM_WARP_CELL_SIZE"))
                c.source_warp.cell_size = std::atof(v);
            if (const char* v = ds->GetMetadataItem("SOILRISK_DEM_WARP_RESAMPLING"))
                c.source_warp.resampling = v;
        }
    }
    c.d8 = read_d8_raster(d8, c.filled.geometry);
    for (std::size_t i = 0; i < c.d8.size(); ++i)
        if ((c.d8[i] == kNoData) != std::isnan(c.filled.z[i]))
            throw DataError(d8 + ": its nodata cells differ from filled.tif's; condition the "
                                 "DEM again");
    return c;
}

} // namespace soilrisk::hydro
