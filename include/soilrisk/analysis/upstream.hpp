// Upstream sources of polluted-farmland clusters (`soilrisk upstream`).
//
// Targets (farmland parcels, e.g. category 3, or sample points with exceedances) are
// merged into clusters: targets whose distance is at most `cluster_distance_m` join
// (single linkage, union-find over R-tree candidates; 0 = every target on its own).
// Per cluster, the target cells are the cells whose centre lies inside a member
// (hydro::make_site), and its upstream catchment is every cell draining into them
// (hydro::upstream_catchments), polygonised on exact cell edges (mask_polygon).
// A source (point, or polygon/line by its start cell as in downstream.hpp) is upstream
// of a cluster when its start cell lies in the catchment; its flow-path distance is the
// true length (m) of the D8 path from its start cell to the first cell of the cluster.
// Links are listed per cluster nearest first; sources in no catchment are "not
// upstream". Inputs in the DEM's CRS; areas in m² (true cell areas for catchments,
// core/area.hpp for targets).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "soilrisk/analysis/downstream.hpp"
#include "soilrisk/io/vector_writer.hpp"

namespace soilrisk::analysis {

struct UpstreamOptions {
    double cluster_distance_m = 0;
    AreaMode area = AreaMode::ellipsoidal;
    io::Lang lang = io::Lang::zh;
};

struct UpstreamCluster {
    std::string id;                     ///< "C1", "C2", … in order of first member
    std::vector<std::uint32_t> targets; ///< indices into the targets layer
    double target_area_m2 = 0;
    geos::GeomPtr catchment; ///< catchment polygon (null: targets off the DEM)
    double catchment_area_m2 = 0;
    std::uint64_t catchment_cells = 0;
};

struct UpstreamLink {
    std::uint32_t cluster = 0, source = 0;
    double flow_distance_m = 0;     ///< along the D8 path to the cluster
    double straight_distance_m = 0; ///< planar (geodesic between cell centres if geographic)
};

struct UpstreamResult {
    std::vector<UpstreamCluster> clusters;
    std::vector<io::Value> source_ids;
    std::vector<std::string> source_names;
    std::vector<UpstreamLink> links;   ///< by cluster, nearest first (ties: source order)
    std::vector<bool> source_upstream; ///< per source: upstream of some cluster
};

/// Runs the analysis on the features of `targets` listed in `selected` (all when empty).
/// Throws DataError when layers are not in the grid's CRS.
UpstreamResult upstream_analysis(const FlowGrids& grids, const io::Layer& targets,
                                 const std::vector<std::uint32_t>& selected,
                                 const io::Layer& sources, const UpstreamOptions& options,
                                 Progress progress = {});

/// Table "upstream_sources": cluster_id, targets, target_area_mu, catchment_area_km2,
/// rank (within the cluster, nearest first), source_id, source_name, flow_distance_m,
/// straight_distance_m, status ("upstream"); then the sources in no catchment with
/// cluster_id empty and status "not upstream".
io::Table upstream_table(const UpstreamResult& result);

/// Writes OUT.gpkg with layers catchments (cluster_id, targets, area_m2, area_km2,
/// area_mu, sources), targets (cluster members: cluster_id, target_id), upstream_sources
/// (the source geometries with their best link: source_id, source_name, cluster_id,
/// flow_distance_m, status) and the table upstream_links; and `table` (.csv/.xlsx,
/// optional). Atomic; OutputExistsError without overwrite. `styles`: the layers' QGIS
/// styles (render::output_styles("upstream", …)); SLD sidecars, when requested, are
/// listed last among the paths written.
std::vector<std::string>
write_upstream_outputs(const UpstreamResult& result, const io::Layer& targets,
                       const io::Layer& sources, const UpstreamOptions& options,
                       const std::string& gpkg, const std::string& table, bool overwrite,
                       const std::vector<std::pair<std::string, std::string>>& about,
                       const io::OutputStyles& styles = {});

} // namespace soilrisk::analysis
