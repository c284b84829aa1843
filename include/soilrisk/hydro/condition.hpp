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
#include "soilrisk/hydro/grid.hpp"
#include "soilrisk/hydro/network.hpp"
#include "soilrisk/hydro/vector_out.hpp"
#include "soilrisk/io/vector_writer.hpp"

namespace soilrisk::hydro {

struct ConditionOptions {
    NodataAs nodata_as = NodataAs::outlet;
    D8Encoding encoding = D8Encoding::esri;
    DemWarp warp;                ///< reprojection of the DEM as it is loaded (none by default)
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

/// Flow grids for traces and catchments: the filled surface, D8 directions and
/// accumulated cells of a DEM, and where the unfilled elevations can be read.
struct FlowSet {
    GridGeometry geometry;
    std::vector<float> filled;
    std::vector<std::uint8_t> d8;
    Accumulation acc;
    std::string elevation_source; ///< raster of the original elevations ("" if none)
    DemWarp elevation_warp;       ///< how elevation_source maps onto the grid
};

/// From a conditioned folder (`conditioned`, written by condition_to_folder; `dem` then
/// only supplies the original elevations, else the DEM recorded there is used) or by
/// conditioning `dem` (reprojected by `warp`) in memory. Throws as load_conditioned /
/// load_dem.
FlowSet load_flow_set(const std::string& dem, const std::string& conditioned, NodataAs nodata_as,
                      const DemWarp& warp, Progress progress = {});

struct TraceReport {
    std::size_t paths = 0, merged = 0;
    std::vector<std::string> sidecars;
};

/// Downstream paths of `sites` (max_length_m <= 0: unlimited) written to the GeoPackage
/// `out` (layers paths and profile, with original and filled elevations).
TraceReport trace_to_gpkg(const FlowSet& flow, const std::vector<Site>& sites, double max_length_m,
                          const std::string& out, const VectorWriteOptions& options);

struct CatchmentReport {
    std::size_t catchments = 0;
    std::vector<std::string> sidecars;
};

/// Upstream catchments of `sites` written to the GeoPackage `out` (layer catchments).
/// With snap_m > 0 each point target moves to the cell of highest accumulation within
/// snap_m (logged, and recorded as snap_distance_m).
CatchmentReport catchments_to_gpkg(const FlowSet& flow, std::vector<Site> sites, double snap_m,
                                   const std::string& out, const VectorWriteOptions& options);

} // namespace soilrisk::hydro
