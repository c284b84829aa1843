// The whole conditioning run: DEM in, conditioned folder out (see raster_io.hpp for
// the folder's contents): load, Priority-Flood fill with D8 directions (flow.hpp),
// writing filled.tif and d8.tif side by side, accumulation (projected grids: while
// those are written; geographic grids: after, once the filled surface is freed), then
// accumulation.tif written while the streams are extracted and written.
//
// Memory: about 10 bytes per DEM cell at peak (projected: filled 4, directions 1,
// accumulated cells 4, in-degree 1; geographic: directions 1, cells 4, accumulated area
// 4, in-degree 1 — areas are cells × cell area on projected grids), plus GDAL's
// block cache, which the run caps at 16 MB (GDAL_CACHEMAX is restored afterwards; not
// safe against other threads changing it concurrently).
// Failure modes: IoError (unreadable DEM, unwritable folder), OutputExistsError (an
// output exists and !overwrite: checked before any work), DataError (rotated DEM, …),
// Cancelled (progress callback).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "soilrisk/core/progress.hpp"
#include "soilrisk/hydro/flow.hpp"
#include "soilrisk/io/vector_writer.hpp"

namespace soilrisk::hydro {

struct ConditionOptions {
    NodataAs nodata_as = NodataAs::outlet;
    D8Encoding encoding = D8Encoding::esri;
    double stream_area_m2 = 1e6; ///< stream threshold (upstream area, m²)
    bool overwrite = false;
    int threads = 1;                             ///< GeoTIFF compression threads
    std::map<std::string, std::string> metadata; ///< provenance for every output
    io::OutputStyles styles;                     ///< QGIS styles of streams.gpkg
};

struct ConditionReport {
    FloodStats flood;
    std::size_t cells = 0;
    std::size_t streams = 0;
    double seconds_read = 0, seconds_fill = 0, seconds_accumulate = 0, seconds_write = 0;
    std::vector<std::string> sidecars; ///< SLD sidecars of streams.gpkg (on request)
};

ConditionReport condition_to_folder(const std::string& dem_path, const std::string& dir,
                                    const ConditionOptions& options, Progress progress = {});

} // namespace soilrisk::hydro
