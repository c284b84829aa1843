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

/// A file written under a temporary name beside its final path and renamed into place
/// by commit(); removed if never committed (outputs are written whole or not at all).
class PendingFile {
  public:
    /// Throws OutputExistsError when `final_path` exists and !overwrite.
    PendingFile(std::filesystem::path final_path, bool overwrite);
    ~PendingFile();
    PendingFile(const PendingFile&) = delete;
    PendingFile& operator=(const PendingFile&) = delete;
    const std::string& temp() const { return temp_; }
    const std::filesystem::path& final_path() const { return final_; }
    void commit();

  private:
    std::filesystem::path final_;
    std::string temp_;
    bool committed_ = false;
};

/// Creation options for our GeoTIFFs: tiled 256×256, DEFLATE, multithreaded.
CPLStringList geotiff_options(GDALDataType type, int threads);

} // namespace soilrisk::hydro
