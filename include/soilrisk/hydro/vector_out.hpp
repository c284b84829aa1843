// GeoPackage outputs of the hydro layer. Coordinates are in the grid's CRS (the DEM's),
// which each layer records. Files are written under a temporary name and renamed when
// complete; an existing file is replaced only with `overwrite` (else
// OutputExistsError). Provenance (command, version, parameters, algorithm) goes into
// the GeoPackage's metadata (gdalinfo/ogrinfo show it; QGIS: Layer Properties ›
// Metadata). Each layer carries the QGIS style VectorWriteOptions::styles gives it.
//
// streams.gpkg, layer "streams" (LineString, vertices at cell centres):
//   stream_id, downstream_id (null at outlets), strahler, upstream_area_m2,
//   upstream_area_km2, upstream_cells, length_m.
// paths.gpkg, layer "paths" (LineString ZM: Z = elevation in m — the original DEM's
//   where known, else the filled surface —, M = chainage in m):
//   source_id, start_chainage_m (0), end_chainage_m, length_m, stop_reason
//   (max_length | dem_edge | nodata | outlet | merged), merged_into, vertices;
// and layer "profile" (Point Z, one per vertex, for profile charts in QGIS):
//   source_id, vertex, chainage_m, elevation_m, filled_m, accumulation_cells.
// catchments.gpkg, layer "catchments" (MultiPolygon, cell edges, from GDALPolygonize
//   on the catchment mask, 4-connected): target_id, cells, area_m2, area_km2, area_mu,
//   outlet_x, outlet_y, snap_distance_m.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "soilrisk/hydro/grid.hpp"
#include "soilrisk/hydro/network.hpp"
#include "soilrisk/io/vector_writer.hpp"

namespace soilrisk::hydro {

struct VectorWriteOptions {
    bool overwrite = false;
    std::map<std::string, std::string> metadata; ///< provenance items
    /// QGIS styles of the layers (render::output_styles("hydro", …)), stored in
    /// layer_styles; with styles.sld_sidecars also <stem>_<layer>.sld next to the file.
    io::OutputStyles styles;
};

// Each writer returns the SLD sidecars it wrote (none unless requested).

std::vector<std::string> write_streams_gpkg(const std::string& path, const GridGeometry& g,
                                            const std::vector<StreamSegment>& streams,
                                            const VectorWriteOptions& options);

/// `elevation` and `filled` hold, per path, one value per vertex (elevation may be
/// empty: filled is used).
std::vector<std::string> write_traces_gpkg(const std::string& path, const GridGeometry& g,
                                           const std::vector<TracePath>& paths,
                                           const std::vector<std::vector<float>>& elevation,
                                           const std::vector<std::vector<float>>& filled,
                                           const std::vector<std::uint32_t>& acc_cells,
                                           const VectorWriteOptions& options);

std::vector<std::string> write_catchments_gpkg(const std::string& path, const GridGeometry& g,
                                               const std::vector<Catchment>& catchments,
                                               const VectorWriteOptions& options);

} // namespace soilrisk::hydro
