// Writing the results of `downstream`: GeoPackage layers and tables.
#include <geos_c.h>

#include <algorithm>
#include <filesystem>

#include "soilrisk/analysis/downstream.hpp"
#include "soilrisk/core/error.hpp"
#include "soilrisk/core/units.hpp"
#include "soilrisk/io/vector_writer.hpp"

namespace soilrisk::analysis {

namespace {

std::string lower_ext(const std::string& path) {
    std::string e = std::filesystem::path(path).extension().string();
    for (char& c : e)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return e;
}

geos::GeomPtr path_line(const hydro::GridGeometry& g, const hydro::TracePath& p) {
    const auto c = geos::ctx();
    const std::size_t n = std::max<std::size_t>(p.cells.size(), 2);
    GEOSCoordSequence* seq = GEOSCoordSeq_create_r(c, unsigned(n), 2);
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t cell = p.cells[std::min(i, p.cells.size() - 1)];
        GEOSCoordSeq_setXY_r(c, seq, unsigned(i), g.x(g.col_of(cell)), g.y(g.row_of(cell)));
    }
    return geos::check(GEOSGeom_createLineString_r(c, seq), "line");
}

} // namespace

std::vector<std::string> write_downstream_outputs(
    const DownstreamResult& res, const io::Layer& farmland, const FlowGrids& grids,
    const DownstreamOptions& options, const std::string& gpkg, const std::string& table,
    bool overwrite, const std::vector<std::pair<std::string, std::string>>& about,
    const std::vector<const io::Table*>& extra, const io::OutputStyles& styles) {
    if (!table.empty() && lower_ext(table) != ".csv" && lower_ext(table) != ".xlsx")
        throw UsageError("--table must end in .csv or .xlsx (got '" + table + "')");
    const auto& g = grids.geometry;
    const Crs& crs = farmland.crs;
    const io::Table summary = downstream_summary(res, options);
    const io::Table ranking = downstream_ranking(res);
    std::vector<std::string> written;
    io::GpkgWriter w(gpkg, overwrite);
    w.set_styles(styles);

    io::Table paths;
    paths.name = "flow_paths";
    paths.columns = {
        {"source_id", "污染源编号", "Source ID", -1},
        {"source_name", "污染源名称", "Source name", -1},
        {"length_m", "流路长度（米）", "Length (m)", 1},
        {"stop_reason", "终止原因", "Stop reason", -1},
        {"vertices", "节点数", "Vertices", 0},
        {"zone_area_m2", "影响区面积（平方米）", "Zone area (m²)", 2},
        {"zone_cells", "影响区栅格数", "Zone cells", 0},
        {"river_join_chainage_m", "汇入河流里程（米）", "Chainage of river join (m)", 1}};
    std::vector<geos::GeomPtr> own;
    std::vector<const GEOSGeom_t*> geoms;
    for (const auto& s : res.sources) {
        if (s.path.cells.empty()) continue;
        own.push_back(path_line(g, s.path));
        geoms.push_back(own.back().get());
        paths.add_row({s.id, s.name, s.path.length_m(), std::string(hydro::to_string(s.path.stop)),
                       std::int64_t(s.path.cells.size()), s.zone_area_m2,
                       std::int64_t(s.zone_cells),
                       s.river_join_m ? io::Value(*s.river_join_m) : io::Value()});
    }
    w.add_layer(paths.name, io::OutputGeometry::line, crs, paths, geoms);

    io::Table zones;
    zones.name = "corridors";
    zones.columns = {{"source_id", "污染源编号", "Source ID", -1},
                     {"source_name", "污染源名称", "Source name", -1},
                     {"area_m2", "面积（平方米）", "Area (m²)", 2},
                     {"area_mu", "面积（亩）", "Area (mu)", 2},
                     {"area_ha", "面积（公顷）", "Area (ha)", 4}};
    geoms.clear();
    for (const auto& s : res.sources) {
        if (!s.zone) continue;
        geoms.push_back(s.zone.get());
        zones.add_row(
            {s.id, s.name, s.zone_area_m2, m2_to_mu(s.zone_area_m2), m2_to_ha(s.zone_area_m2)});
    }
    w.add_layer(zones.name, io::OutputGeometry::multipolygon, crs, zones, geoms);

    io::Table pieces;
    pieces.name = "downstream_parcels";
    pieces.columns = {{"source_id", "污染源编号", "Source ID", -1},
                      {"parcel_id", "图斑编号", "Parcel ID", -1},
                      {"category", "类别", "Category", 0},
                      {"chainage_m", "首次接触里程（米）", "Chainage of first contact (m)", 1},
                      {"distance_m", "直线距离（米）", "Straight-line distance (m)", 1},
                      {"height_above_path_m", "高于流路（米）", "Height above path (m)", 2},
                      {"area_m2", "面积（平方米）", "Area (m²)", 2},
                      {"area_mu", "面积（亩）", "Area (mu)", 2},
                      {"area_ha", "面积（公顷）", "Area (ha)", 4}};
    geoms.clear();
    const int pid = farmland.role_index("id", false);
    for (const auto& p : res.pieces) {
        const auto& f = farmland.features[p.parcel];
        geoms.push_back(p.geom ? p.geom.get() : f.geom.get());
        io::Value id = pid >= 0 ? f.values[pid] : io::Value(f.fid);
        pieces.add_row({res.sources[p.source].id, id, std::int64_t(p.category), p.chainage_m,
                        p.distance_m, p.height_m, p.area_m2, m2_to_mu(p.area_m2),
                        m2_to_ha(p.area_m2)});
    }
    w.add_layer(pieces.name, io::OutputGeometry::multipolygon, crs, pieces, geoms);
    for (const io::Table* t : {&summary, &ranking})
        w.add_layer(t->name, io::OutputGeometry::none, crs, *t, {});
    for (const io::Table* t : extra)
        w.add_layer(t->name, io::OutputGeometry::none, crs, *t, {});
    w.add_metadata(about);
    w.finish();
    written.push_back(io::redact_password(gpkg));
    const std::vector<std::string> sidecars = w.sidecars();
    if (table.empty()) {
        written.insert(written.end(), sidecars.begin(), sidecars.end());
        return written;
    }
    if (lower_ext(table) == ".csv") {
        io::write_csv(summary, table, overwrite);
        const std::filesystem::path p(table);
        const std::string rank_path =
            (p.parent_path() / (p.stem().string() + "_ranking.csv")).string();
        io::write_csv(extra.empty() ? ranking : *extra.front(), rank_path, overwrite);
        written.push_back(table);
        written.push_back(rank_path);
    } else {
        std::vector<const io::Table*> all = {&summary, &ranking};
        all.insert(all.end(), extra.begin(), extra.end());
        io::write_xlsx(all, table, options.lang, overwrite, about);
        written.push_back(table);
    }
    written.insert(written.end(), sidecars.begin(), sidecars.end());
    return written;
}

} // namespace soilrisk::analysis
