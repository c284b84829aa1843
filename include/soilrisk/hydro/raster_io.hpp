// Writing hydro grids as GeoTIFF and reading a conditioned folder back.
//
// Every GeoTIFF is tiled (256×256), DEFLATE-compressed (level 1, horizontal predictor
// for integer grids), compressed on `threads` threads (GDAL NUM_THREADS), BigTIFF when
// needed, and carries the grid's geotransform and CRS. Each file is written under a
// temporary name in its folder and renamed when complete; an existing file is replaced
// only with `overwrite` (else OutputExistsError). I/O failures throw IoError naming the
// file.
//
// A conditioned folder (`soilrisk hydro condition --out DIR`) holds
//   filled.tif        Float32, filled elevations, nodata = the DEM's nodata value
//                     (or -3.4028235e38 when it has none);
//   d8.tif            Byte, D8 directions in the encoding named by its metadata item
//                     SOILRISK_D8_ENCODING (esri | grass | taudem), 0 = outlet,
//                     255 = nodata;
//   accumulation.tif  UInt32, cells draining through each cell including itself,
//                     0 = nodata;
//   streams.gpkg      stream lines (see streams.hpp).
// filled.tif also records the source DEM path (SOILRISK_SOURCE_DEM) and nodata mode
// (SOILRISK_NODATA_AS).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "soilrisk/hydro/flow.hpp"
#include "soilrisk/hydro/grid.hpp"

namespace soilrisk::hydro {

struct RasterWriteOptions {
    bool overwrite = false;
    int threads = 1;                             ///< compression threads
    std::map<std::string, std::string> metadata; ///< dataset metadata items
};

/// Float32 raster; NaN cells are written as `nodata` (default -3.4028235e38).
void write_float_raster(const std::string& path, const GridGeometry& g,
                        const std::vector<float>& values, std::optional<double> nodata,
                        const RasterWriteOptions& options);

/// Byte raster of D8 directions (internal codes in, `encoding` on disk).
void write_d8_raster(const std::string& path, const GridGeometry& g,
                     const std::vector<std::uint8_t>& d8, D8Encoding encoding,
                     const RasterWriteOptions& options);

/// UInt32 raster (accumulated cells; 0 = nodata).
void write_uint32_raster(const std::string& path, const GridGeometry& g,
                         const std::vector<std::uint32_t>& values,
                         const RasterWriteOptions& options);

/// Reads d8.tif (decoding with its SOILRISK_D8_ENCODING, else `fallback`).
std::vector<std::uint8_t> read_d8_raster(const std::string& path, const GridGeometry& expected,
                                         D8Encoding fallback = D8Encoding::esri);

/// A conditioned folder read back: filled surface and directions.
struct Conditioned {
    Dem filled;                   ///< filled elevations (NaN = nodata)
    std::vector<std::uint8_t> d8; ///< internal codes
    std::string source_dem;       ///< as recorded at conditioning ("" if unknown)
    DemWarp source_warp;          ///< how source_dem was reprojected (none: empty crs)
};

/// Reads DIR/filled.tif and DIR/d8.tif; throws IoError when missing, DataError when
/// their grids differ.
Conditioned load_conditioned(const std::string& dir);

} // namespace soilrisk::hydro
