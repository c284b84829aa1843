// GDAL handles behind RAII for the hydro layer (private to src/hydro).
#pragma once

#include <filesystem>
#include <gdal_priv.h>
#include <memory>
#include <optional>
#include <string>

namespace soilrisk::hydro {

struct DatasetCloser {
    void operator()(GDALDataset* ds) const noexcept {
        if (ds) GDALClose(ds);
    }
};
using DatasetPtr = std::unique_ptr<GDALDataset, DatasetCloser>;

/// GDALAllRegister once.
void gdal_init();

/// Opens a raster read-only (throws IoError naming the file).
DatasetPtr open_raster(const std::string& path, int threads);

/// Creation options for our GeoTIFFs: tiled 256×256, DEFLATE, multithreaded.
CPLStringList geotiff_options(GDALDataType type, int threads);

} // namespace soilrisk::hydro
