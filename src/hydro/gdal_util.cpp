#include "gdal_util.hpp"

#include <cpl_conv.h>
#include <mutex>

#include "io/gdal_util.hpp"
#include "soilrisk/core/error.hpp"

namespace soilrisk::hydro {

void gdal_init() {
    io::gdal_init(); // drivers, and GDAL messages to the debug log
}

DatasetPtr open_raster(const std::string& path, int threads) {
    gdal_init();
    const std::string nt = "NUM_THREADS=" + std::to_string(std::max(threads, 1));
    const char* open_options[] = {nt.c_str(), nullptr};
    DatasetPtr ds(GDALDataset::Open(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY, nullptr,
                                    threads > 1 ? open_options : nullptr, nullptr));
    if (!ds) {
        CPLErrorReset();
        // Retry without open options (drivers that do not know NUM_THREADS).
        ds.reset(GDALDataset::Open(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY));
    }
    if (!ds)
        throw IoError(path + ": cannot open as a raster (" + std::string(CPLGetLastErrorMsg()) +
                      "); check the path and that GDAL can read the format");
    return ds;
}

CPLStringList geotiff_options(GDALDataType type, int threads) {
    CPLStringList o;
    o.SetNameValue("TILED", "YES");
    o.SetNameValue("BLOCKXSIZE", "256");
    o.SetNameValue("BLOCKYSIZE", "256");
    o.SetNameValue("COMPRESS", "DEFLATE");
    // Level 1: libdeflate at level 1 compresses DEMs nearly as well as level 6 at a
    // fraction of the time; predictor 2 (horizontal differencing) helps counts such as
    // accumulation (-18 % on 25 M cells) but not direction codes (+20 %, and slower).
    o.SetNameValue("ZLEVEL", "1");
    if (type != GDT_Float32 && type != GDT_Float64 && type != GDT_Byte)
        o.SetNameValue("PREDICTOR", "2");
    o.SetNameValue("BIGTIFF", "IF_SAFER");
    o.SetNameValue("NUM_THREADS", std::to_string(std::max(threads, 1)).c_str());
    return o;
}

} // namespace soilrisk::hydro
