// Upstream sources of polluted-farmland clusters: clusters, catchments, links.
#include "soilrisk/analysis/upstream.hpp"

#include <geos_c.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <filesystem>
#include <numeric>

#include "soilrisk/core/error.hpp"
#include "soilrisk/core/units.hpp"
#include "soilrisk/io/vector_writer.hpp"
#include "soilrisk/spatial/index.hpp"

namespace soilrisk::analysis {

namespace {

struct UnionFind {
    std::vector<std::uint32_t> parent;
    explicit UnionFind(std::size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), 0u); }
    std::uint32_t find(std::uint32_t a) {
        while (parent[a] != a)
            a = parent[a] = parent[parent[a]];
        return a;
    }
    void unite(std::uint32_t a, std::uint32_t b) {
        a = find(a);
        b = find(b);
        if (a != b) parent[std::max(a, b)] = std::min(a, b);
    }
};

} // namespace

UpstreamResult upstream_analysis(const FlowGrids& grids, const io::Layer& targets,
                                 const std::vector<std::uint32_t>& selected_in,
                                 const io::Layer& sources, const UpstreamOptions& o,
                                 Progress progress) {
    const auto& g = grids.geometry;
    if (!g.crs().empty())
        for (const io::Layer* l : {&targets, &sources})
            if (!l->crs.same_as(g.crs()))
                throw DataError(l->where() + ": CRS " + l->crs.label() +
                                " differs from the DEM's " + g.crs().label() +
                                "; read the layers in the DEM's CRS");
    if (!(o.cluster_distance_m >= 0)) throw UsageError("--cluster-distance must not be negative");
    std::vector<std::uint32_t> selected = selected_in;
    if (selected.empty() && selected_in.empty()) {
        selected.resize(targets.features.size());
        std::iota(selected.begin(), selected.end(), 0u);
    }
    const auto c = geos::ctx();
    progress(0.0, "upstream");
    // Clusters (single linkage within cluster_distance_m).
    std::vector<const geos::Geom*> geoms;
    for (auto t : selected)
        geoms.push_back(targets.features[t].geom.get());
    UnionFind uf(selected.size());
    if (o.cluster_distance_m > 0) {
        std::vector<Extent> boxes;
        for (auto* gm : geoms) {
            Extent e = spatial::envelope(gm);
            e.min_x -= o.cluster_distance_m;
            e.min_y -= o.cluster_distance_m;
            e.max_x += o.cluster_distance_m;
            e.max_y += o.cluster_distance_m;
            boxes.push_back(e);
        }
        const spatial::EnvelopeIndex index = spatial::EnvelopeIndex::of(geoms);
        for (std::uint32_t i = 0; i < geoms.size(); ++i)
            for (auto j : index.query(boxes[i])) {
                if (j <= i || uf.find(i) == uf.find(j)) continue;
                double d = 0;
                GEOSDistance_r(c, geoms[i], geoms[j], &d);
                if (d <= o.cluster_distance_m) uf.unite(i, j);
            }
    }
    UpstreamResult res;
    std::vector<int> cluster_of_root(selected.size(), -1);
    const AreaCalculator area(targets.crs.empty() ? g.crs() : targets.crs, o.area);
    for (std::uint32_t i = 0; i < selected.size(); ++i) {
        const auto r = uf.find(i);
        if (cluster_of_root[r] < 0) {
            cluster_of_root[r] = static_cast<int>(res.clusters.size());
            res.clusters.emplace_back();
            std::string id(1, 'C');
            id += std::to_string(res.clusters.size());
            res.clusters.back().id = std::move(id);
        }
        auto& cl = res.clusters[cluster_of_root[r]];
        cl.targets.push_back(selected[i]);
        cl.target_area_m2 += area.area_m2(geoms[i]);
    }
    // Sources.
    const int sid = sources.role_index("id", false), sname = sources.role_index("name", false);
    std::vector<std::optional<std::size_t>> start(sources.features.size());
    for (std::size_t s = 0; s < sources.features.size(); ++s) {
        const auto& f = sources.features[s];
        io::Value id = sid >= 0 ? f.values[sid] : io::Value(f.fid);
        if (std::holds_alternative<std::monostate>(id)) id = f.fid;
        res.source_ids.push_back(id);
        res.source_names.push_back(sname >= 0 ? io::Layer::text(f.values[sname]) : "");
        start[s] = source_start_cell(grids, f.geom.get());
    }
    res.source_upstream.assign(sources.features.size(), false);
    // Catchments and links per cluster (in parallel).
    std::vector<std::vector<UpstreamLink>> links(res.clusters.size());
    tbb::parallel_for(std::size_t(0), res.clusters.size(), [&](std::size_t k) {
        auto& cl = res.clusters[k];
        hydro::Site site;
        site.id = cl.id;
        site.is_point = false;
        for (auto t : cl.targets) {
            const auto s = hydro::make_site(g, grids.filled, cl.id, targets.features[t].geom.get());
            site.cells.insert(site.cells.end(), s.cells.begin(), s.cells.end());
        }
        std::sort(site.cells.begin(), site.cells.end());
        site.cells.erase(std::unique(site.cells.begin(), site.cells.end()), site.cells.end());
        if (site.cells.empty()) return;
        const auto cms = hydro::upstream_catchments(g, grids.d8, {site});
        if (cms.empty()) return;
        const hydro::Catchment& cm = cms.front();
        cl.catchment = mask_polygon(g, cm.col0, cm.row0, cm.cols, cm.rows, cm.mask);
        cl.catchment_area_m2 = cm.area_m2;
        cl.catchment_cells = cm.cells;
        auto in_mask = [&](std::size_t cell) {
            const int col = g.col_of(cell) - cm.col0, row = g.row_of(cell) - cm.row0;
            return col >= 0 && row >= 0 && col < cm.cols && row < cm.rows &&
                   cm.mask[std::size_t(row) * cm.cols + col] != 0;
        };
        for (std::size_t s = 0; s < start.size(); ++s) {
            if (!start[s] || !in_mask(*start[s])) continue;
            UpstreamLink l;
            l.cluster = static_cast<std::uint32_t>(k);
            l.source = static_cast<std::uint32_t>(s);
            std::size_t cur = *start[s];
            while (!std::binary_search(site.cells.begin(), site.cells.end(), cur)) {
                const auto next = hydro::downstream(g, grids.d8, cur);
                if (next < 0) break;
                l.flow_distance_m += g.distance_m(g.x(g.col_of(cur)), g.y(g.row_of(cur)),
                                                  g.x(g.col_of(std::size_t(next))),
                                                  g.y(g.row_of(std::size_t(next))));
                cur = std::size_t(next);
            }
            const auto cc = geos::ctx();
            if (!g.geographic()) {
                double dmin = 1e300;
                for (auto t : cl.targets) {
                    double d = 0;
                    GEOSDistance_r(cc, sources.features[s].geom.get(),
                                   targets.features[t].geom.get(), &d);
                    dmin = std::min(dmin, d);
                }
                l.straight_distance_m = dmin;
            } else {
                l.straight_distance_m =
                    g.distance_m(g.x(g.col_of(*start[s])), g.y(g.row_of(*start[s])),
                                 g.x(g.col_of(cur)), g.y(g.row_of(cur)));
            }
            links[k].push_back(l);
        }
        std::stable_sort(links[k].begin(), links[k].end(),
                         [](const UpstreamLink& a, const UpstreamLink& b) {
                             return a.flow_distance_m < b.flow_distance_m;
                         });
    });
    for (auto& v : links)
        for (auto& l : v) {
            res.source_upstream[l.source] = true;
            res.links.push_back(l);
        }
    progress(1.0, "upstream");
    return res;
}

io::Table upstream_table(const UpstreamResult& res) {
    io::Table t;
    t.name = "upstream_sources";
    t.title_zh = "污染耕地集中区上游污染源（按流路距离由近及远）";
    t.title_en = "Sources upstream of polluted-farmland clusters (nearest first)";
    t.columns = {{"cluster_id", "集中区编号", "Cluster ID", -1},
                 {"targets", "图斑数", "Targets", 0},
                 {"target_area_mu", "集中区面积（亩）", "Cluster area (mu)", 2},
                 {"catchment_area_km2", "上游汇水面积（平方公里）", "Catchment area (km²)", 4},
                 {"rank", "排序", "Rank", 0},
                 {"source_id", "污染源编号", "Source ID", -1},
                 {"source_name", "污染源名称", "Source name", -1},
                 {"flow_distance_m", "流路距离（米）", "Flow distance (m)", 1},
                 {"straight_distance_m", "直线距离（米）", "Straight-line distance (m)", 1},
                 {"status", "状态", "Status", -1}};
    std::int64_t rank = 0;
    std::uint32_t last = UINT32_MAX;
    for (const auto& l : res.links) {
        if (l.cluster != last) rank = 0;
        last = l.cluster;
        const auto& cl = res.clusters[l.cluster];
        t.add_row({cl.id, std::int64_t(cl.targets.size()), m2_to_mu(cl.target_area_m2),
                   cl.catchment_area_m2 / 1e6, ++rank, res.source_ids[l.source],
                   res.source_names[l.source], l.flow_distance_m, l.straight_distance_m,
                   std::string("upstream")});
    }
    for (std::size_t s = 0; s < res.source_ids.size(); ++s)
        if (!res.source_upstream[s])
            t.add_row({io::Value(), io::Value(), io::Value(), io::Value(), io::Value(),
                       res.source_ids[s], res.source_names[s], io::Value(), io::Value(),
                       std::string("not upstream")});
    return t;
}

std::vector<std::string>
write_upstream_outputs(const UpstreamResult& res, const io::Layer& targets,
                       const io::Layer& sources, const UpstreamOptions& options,
                       const std::string& gpkg, const std::string& table, bool overwrite,
                       const std::vector<std::pair<std::string, std::string>>& about,
                       const io::OutputStyles& styles) {
    const Crs& crs = targets.crs;
    const io::Table links = upstream_table(res);
    io::GpkgWriter w(gpkg, overwrite);
    w.set_styles(styles);
    io::Table cat;
    cat.name = "catchments";
    cat.columns = {{"cluster_id", "", "", -1}, {"targets", "", "", 0}, {"area_m2", "", "", 2},
                   {"area_km2", "", "", 4},    {"area_mu", "", "", 2}, {"sources", "", "", 0}};
    std::vector<const GEOSGeom_t*> geoms;
    for (std::size_t k = 0; k < res.clusters.size(); ++k) {
        const auto& cl = res.clusters[k];
        if (!cl.catchment) continue;
        std::int64_t n = 0;
        for (const auto& l : res.links)
            n += l.cluster == k;
        geoms.push_back(cl.catchment.get());
        cat.add_row({cl.id, std::int64_t(cl.targets.size()), cl.catchment_area_m2,
                     cl.catchment_area_m2 / 1e6, m2_to_mu(cl.catchment_area_m2), n});
    }
    w.add_layer(cat.name, io::OutputGeometry::multipolygon, crs, cat, geoms);

    io::Table tg;
    tg.name = "targets";
    tg.columns = {{"cluster_id", "", "", -1}, {"target_id", "", "", -1}};
    geoms.clear();
    const int tid = targets.role_index("id", false);
    const bool polygons = targets.kind == io::GeometryKind::polygon;
    for (const auto& cl : res.clusters)
        for (auto t : cl.targets) {
            const auto& f = targets.features[t];
            geoms.push_back(f.geom.get());
            tg.add_row({cl.id, tid >= 0 ? f.values[tid] : io::Value(f.fid)});
        }
    w.add_layer(tg.name, polygons ? io::OutputGeometry::multipolygon : io::OutputGeometry::point,
                crs, tg, geoms);

    io::Table src;
    src.name = "upstream_sources";
    src.columns = {{"source_id", "", "", -1},
                   {"name", "", "", -1},
                   {"cluster_id", "", "", -1},
                   {"flow_distance_m", "", "", 1},
                   {"status", "", "", -1}};
    geoms.clear();
    std::vector<geos::GeomPtr> own;
    for (std::size_t s = 0; s < res.source_ids.size(); ++s) {
        const UpstreamLink* best = nullptr;
        for (const auto& l : res.links)
            if (l.source == s && (!best || l.flow_distance_m < best->flow_distance_m)) best = &l;
        const geos::Geom* gm = sources.features[s].geom.get();
        if (GEOSGeomTypeId_r(geos::ctx(), gm) != GEOS_POINT) {
            own.push_back(geos::check(GEOSPointOnSurface_r(geos::ctx(), gm), "point on surface"));
            gm = own.back().get();
        }
        geoms.push_back(gm);
        src.add_row({res.source_ids[s], res.source_names[s],
                     best ? io::Value(res.clusters[best->cluster].id) : io::Value(),
                     best ? io::Value(best->flow_distance_m) : io::Value(),
                     std::string(best ? "upstream" : "not upstream")});
    }
    w.add_layer(src.name, io::OutputGeometry::point, crs, src, geoms);
    io::Table lk = links;
    lk.name = "upstream_links";
    w.add_layer(lk.name, io::OutputGeometry::none, crs, lk, {});
    w.add_metadata(about);
    w.finish();
    std::vector<std::string> written = {io::redact_password(gpkg)};
    if (!table.empty()) {
        io::write_table(links, table, options.lang, overwrite);
        written.push_back(table);
    }
    written.insert(written.end(), w.sidecars().begin(), w.sidecars().end());
    return written;
}

} // namespace soilrisk::analysis
