// Farmland downstream of pollution sources: traces, affected zones, parcel overlay.
#include "soilrisk/analysis/downstream.hpp"

#include <geos_c.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

#include "soilrisk/analysis/categories.hpp"
#include "soilrisk/core/error.hpp"
#include "soilrisk/core/log.hpp"
#include "soilrisk/core/units.hpp"
#include "soilrisk/hydro/burn.hpp"
#include "soilrisk/hydro/raster_io.hpp"
#include "soilrisk/io/checksum.hpp"
#include "soilrisk/spatial/index.hpp"
#include "soilrisk/spatial/overlay.hpp"

namespace soilrisk::analysis {

namespace fs = std::filesystem;

// --- flow grids -------------------------------------------------------------------

bool FlowGrids::on_river(std::size_t cell) const {
    return std::binary_search(river_cells.begin(), river_cells.end(), cell);
}

std::vector<std::size_t> river_cells(const hydro::GridGeometry& g, const RiverBurn& burn) {
    const io::Layer& rivers = *burn.rivers;
    const std::string what = rivers.where();
    if (!(burn.depth_m > 0) || !std::isfinite(burn.depth_m))
        throw UsageError("the burn depth (--burn-depth, burn_depth) must be a positive height "
                         "(got " +
                         io::Layer::text(io::Value(burn.depth_m)) + ")");
    if (!g.crs().empty() && !rivers.crs.same_as(g.crs()))
        throw DataError(what + ": CRS " + rivers.crs.label() + " differs from the DEM's " +
                        g.crs().label() + "; read the rivers in the DEM's CRS");
    if (rivers.features.empty())
        throw DataError(what + ": no river lines to burn (empty layer or filter); check the "
                               "file, --rivers-layer and --rivers-where, or leave out --rivers");
    if (rivers.kind != io::GeometryKind::line)
        throw DataError(what +
                        ": rivers must be lines (LineString/MultiLineString), this layer "
                        "holds " +
                        io::to_string(rivers.kind) +
                        " geometries; give the rivers as centre lines (river-surface polygons "
                        "such as 河流水面 need their centre lines drawn first)");
    std::vector<std::size_t> cells;
    std::size_t on_grid = 0;
    for (const auto& f : rivers.features) {
        std::vector<std::size_t> c;
        try {
            c = hydro::line_cells(g, f.geom.get());
        } catch (const DataError& e) {
            throw DataError(rivers.where(f.fid) + ": " + e.what());
        }
        if (c.empty()) continue;
        ++on_grid;
        cells.insert(cells.end(), c.begin(), c.end());
    }
    std::sort(cells.begin(), cells.end());
    cells.erase(std::unique(cells.begin(), cells.end()), cells.end());
    if (cells.empty()) {
        const auto& gt = g.geotransform();
        const double xa = gt[0], xb = gt[0] + g.width() * gt[1], ya = gt[3],
                     yb = gt[3] + g.height() * gt[5];
        char ext[160];
        std::snprintf(ext, sizeof ext, "x %.10g to %.10g, y %.10g to %.10g", std::min(xa, xb),
                      std::max(xa, xb), std::min(ya, yb), std::max(ya, yb));
        throw DataError(what + ": none of its " + std::to_string(rivers.features.size()) +
                        " river lines crosses the DEM (" + ext +
                        (g.crs().empty() ? std::string() : " in " + g.crs().label()) +
                        "); give the rivers of the DEM's area");
    }
    char buf[200];
    std::snprintf(buf, sizeof buf,
                  "rivers: %zu of %zu lines cross the DEM, %zu cells burned %g m deep", on_grid,
                  rivers.features.size(), cells.size(), burn.depth_m);
    log_info(what + ": " + buf);
    return cells;
}

std::vector<std::pair<std::string, std::string>> river_about(const RiverBurn& burn) {
    if (!burn.rivers) return {{"rivers", "none"}};
    return {
        {"rivers", io::redact_password(burn.rivers->source) + " (layer " + burn.rivers->name + ")"},
        {"burn_depth_m", io::Layer::text(io::Value(burn.depth_m))},
        {"rivers_method", "river lines burned into the DEM (8-connected cells lowered by "
                          "burn_depth_m) for D8 and accumulation; heights on the unburned "
                          "filled DEM"}};
}

namespace {

/// Conditions `dem`; with `cells`, D8 and accumulation from the DEM burned `depth` m
/// along them, the filled surface from the unburned DEM.
FlowGrids condition(hydro::Dem dem, hydro::NodataAs nodata_as, Progress progress,
                    std::vector<std::size_t> cells, double depth) {
    FlowGrids f;
    f.geometry = dem.geometry;
    if (cells.empty()) {
        f.d8 = hydro::fill_and_direct(dem, nodata_as, progress.part(0, 0.8));
    } else {
        // Burned copy first: it is filled in place and only its directions are kept, so
        // at most two elevation grids and two direction grids live at once.
        {
            hydro::Dem burned;
            burned.geometry = dem.geometry;
            burned.nodata = dem.nodata;
            burned.source = dem.source;
            burned.z = dem.z;
            hydro::burn_cells(burned.z, cells, depth);
            f.d8 = hydro::fill_and_direct(burned, nodata_as, progress.part(0, 0.4));
        }
        (void)hydro::fill_and_direct(dem, nodata_as, progress.part(0.4, 0.8));
        f.river_cells = std::move(cells);
        f.burn_depth_m = depth;
    }
    f.filled = std::move(dem.z);
    f.acc = hydro::accumulate(f.geometry, f.d8, false, progress.part(0.8, 1)).cells;
    return f;
}

} // namespace

FlowGrids flow_grids(hydro::Dem dem, hydro::NodataAs nodata_as, Progress progress,
                     const RiverBurn& burn) {
    std::vector<std::size_t> cells;
    if (burn.rivers) cells = river_cells(dem.geometry, burn);
    return condition(std::move(dem), nodata_as, progress, std::move(cells), burn.depth_m);
}

FlowGrids load_flow_grids(const std::string& dem_path, const std::string& cache_dir,
                          hydro::NodataAs nodata_as, const hydro::DemWarp& warp, Progress progress,
                          bool* cache_hit, const RiverBurn& burn) {
    if (cache_hit) *cache_hit = false;
    // River cells first (from the DEM's header): they are part of the cache key.
    std::vector<std::size_t> cells;
    std::optional<hydro::GridGeometry> header;
    if (burn.rivers) {
        header = hydro::read_grid_geometry(dem_path, warp);
        cells = river_cells(*header, burn);
    }
    fs::path dir;
    if (!cache_dir.empty()) {
        std::string key =
            io::file_sha256(dem_path).substr(0, 16) + "-" + hydro::to_string(nodata_as) + "-pf1";
        if (!warp.crs.empty()) {
            const std::string w =
                warp.crs.wkt() + "|" + std::to_string(warp.cell_size) + "|" + warp.resampling;
            key += "-w" + io::bytes_sha256(w.data(), w.size()).substr(0, 16);
        }
        if (!cells.empty()) {
            std::vector<std::uint64_t> words(cells.begin(), cells.end());
            words.push_back(static_cast<std::uint64_t>(std::llround(burn.depth_m * 1000)));
            key +=
                "-r" +
                io::bytes_sha256(words.data(), words.size() * sizeof(std::uint64_t)).substr(0, 16);
        }
        dir = fs::path(cache_dir) / key;
        if (fs::exists(dir / "filled.tif") && fs::exists(dir / "d8.tif")) {
            hydro::Conditioned c = hydro::load_conditioned(dir.string());
            if (!header || c.filled.geometry.same_grid(*header)) {
                FlowGrids f;
                f.geometry = c.filled.geometry;
                f.filled = std::move(c.filled.z);
                f.d8 = std::move(c.d8);
                f.acc = hydro::accumulate(f.geometry, f.d8, false, progress.part(0.5, 1)).cells;
                if (!cells.empty()) {
                    f.river_cells = std::move(cells);
                    f.burn_depth_m = burn.depth_m;
                }
                if (cache_hit) *cache_hit = true;
                log_info("conditioned DEM from the cache: " + dir.string());
                return f;
            }
        }
    }
    hydro::Dem dem = hydro::load_dem(dem_path, warp, progress.part(0, 0.2));
    const std::optional<double> nodata = dem.nodata;
    FlowGrids f = condition(std::move(dem), nodata_as, progress.part(0.2, 0.9), std::move(cells),
                            burn.depth_m);
    if (!dir.empty()) {
        std::error_code ec;
        fs::create_directories(dir, ec);
        if (ec) throw IoError(dir.string() + ": cannot create the cache folder: " + ec.message());
        hydro::RasterWriteOptions o;
        o.overwrite = true;
        o.threads = 2;
        o.metadata = {{"SOILRISK_SOURCE_DEM", dem_path},
                      {"SOILRISK_NODATA_AS", hydro::to_string(nodata_as)}};
        if (!f.river_cells.empty()) {
            o.metadata["SOILRISK_RIVERS"] =
                io::redact_password(burn.rivers->source) + " (layer " + burn.rivers->name + ")";
            o.metadata["SOILRISK_RIVER_CELLS"] = std::to_string(f.river_cells.size());
            o.metadata["SOILRISK_BURN_DEPTH"] = io::Layer::text(io::Value(f.burn_depth_m));
            o.metadata["SOILRISK_FILLED"] = "unburned DEM (d8.tif: DEM burned along the rivers)";
        }
        hydro::write_d8_raster((dir / "d8.tif").string(), f.geometry, f.d8, hydro::D8Encoding::esri,
                               o);
        // filled.tif last: its presence marks a complete cache entry.
        hydro::write_float_raster((dir / "filled.tif").string(), f.geometry, f.filled, nodata, o);
    }
    return f;
}

// --- mask polygons ----------------------------------------------------------------

geos::GeomPtr mask_polygon(const hydro::GridGeometry& g, int col0, int row0, int cols, int rows,
                           const std::vector<std::uint8_t>& mask) {
    const auto c = geos::ctx();
    const auto& gt = g.geotransform();
    std::vector<GEOSGeometry*> parts;
    for (int r = 0; r < rows; ++r) {
        const double y0 = gt[3] + (row0 + r) * gt[5], y1 = gt[3] + (row0 + r + 1) * gt[5];
        int i = 0;
        while (i < cols) {
            if (!mask[std::size_t(r) * cols + i]) {
                ++i;
                continue;
            }
            int j = i;
            while (j < cols && mask[std::size_t(r) * cols + j])
                ++j;
            // A vertex at every cell corner along the run, so that runs of adjacent rows
            // share their vertices exactly (a valid coverage for GEOSCoverageUnion).
            const int n = j - i;
            GEOSCoordSequence* seq = GEOSCoordSeq_create_r(c, 2 * n + 3, 2);
            unsigned k = 0;
            auto put = [&](double x, double y) { GEOSCoordSeq_setXY_r(c, seq, k++, x, y); };
            for (int q = 0; q <= n; ++q)
                put(gt[0] + (col0 + i + q) * gt[1], y0);
            for (int q = n; q >= 0; --q)
                put(gt[0] + (col0 + i + q) * gt[1], y1);
            put(gt[0] + (col0 + i) * gt[1], y0);
            GEOSGeometry* ring = GEOSGeom_createLinearRing_r(c, seq);
            parts.push_back(GEOSGeom_createPolygon_r(c, ring, nullptr, 0));
            i = j;
        }
    }
    if (parts.empty()) return nullptr;
    geos::GeomPtr coll = geos::check(
        GEOSGeom_createCollection_r(c, GEOS_MULTIPOLYGON, parts.data(), unsigned(parts.size())),
        "collection");
    // Coverage union (fast, edge matching). GEOS 3.11 refuses some valid coverages as
    // "overlapping" (seen on zones with holes: the runs checked pairwise do not overlap);
    // then the general (OverlayNG) union does it.
    GEOSGeometry* cu = GEOSCoverageUnion_r(c, coll.get());
    geos::GeomPtr u =
        cu ? geos::GeomPtr(cu) : geos::check(GEOSUnaryUnion_r(c, coll.get()), "union");
    // Drop the collinear corner vertices again.
    return geos::check(GEOSTopologyPreserveSimplify_r(c, u.get(), 0.0), "simplify");
}

// --- the analysis -------------------------------------------------------------------

namespace {

geos::GeomPtr start_geometry(const geos::Geom* geom) {
    const auto c = geos::ctx();
    const int type = GEOSGeomTypeId_r(c, geom);
    if (type == GEOS_LINESTRING)
        return geos::check(GEOSGeomGetStartPoint_r(c, geom), "start point");
    if (type == GEOS_MULTILINESTRING || type == GEOS_GEOMETRYCOLLECTION)
        return start_geometry(GEOSGetGeometryN_r(c, geom, 0));
    return geos::clone(geom);
}

} // namespace

std::optional<std::size_t> source_start_cell(const FlowGrids& grids, const geos::Geom* geom) {
    const geos::GeomPtr start = start_geometry(geom);
    const hydro::Site site = hydro::make_site(grids.geometry, grids.filled, "", start.get());
    if (site.cells.empty()) return std::nullopt;
    std::size_t best = site.cells.front();
    for (auto c : site.cells)
        if (grids.acc[c] > grids.acc[best]) best = c;
    return best;
}

namespace {

struct Window {
    int col0 = 0, row0 = 0, cols = 0, rows = 0;
    std::vector<std::uint8_t> mask;
    std::vector<float> chainage, hand;
};

Window affected_zone(const FlowGrids& fg, const hydro::TracePath& path,
                     const DownstreamOptions& o) {
    const auto& g = fg.geometry;
    Window w;
    int cmin = g.width(), cmax = -1, rmin = g.height(), rmax = -1;
    for (auto cell : path.cells) {
        cmin = std::min(cmin, g.col_of(cell));
        cmax = std::max(cmax, g.col_of(cell));
        rmin = std::min(rmin, g.row_of(cell));
        rmax = std::max(rmax, g.row_of(cell));
    }
    double step = 1e300;
    for (int r = rmin; r <= rmax; ++r)
        step = std::min({step, g.cell_width_m(r), g.cell_height_m(r)});
    const int grow = static_cast<int>(std::ceil(o.corridor_m / step)) + 1;
    w.col0 = std::max(0, cmin - grow);
    w.row0 = std::max(0, rmin - grow);
    w.cols = std::min(g.width() - 1, cmax + grow) - w.col0 + 1;
    w.rows = std::min(g.height() - 1, rmax + grow) - w.row0 + 1;
    const std::size_t n = std::size_t(w.cols) * w.rows;
    auto local = [&](std::size_t cell) -> std::int64_t {
        const int col = g.col_of(cell) - w.col0, row = g.row_of(cell) - w.row0;
        if (col < 0 || row < 0 || col >= w.cols || row >= w.rows) return -1;
        return std::int64_t(row) * w.cols + col;
    };
    auto global = [&](std::size_t i) {
        return g.index(w.col0 + int(i % w.cols), w.row0 + int(i / w.cols));
    };
    std::vector<std::int32_t> join(n, -2), vertex(n, -1);
    for (std::size_t v = 0; v < path.cells.size(); ++v) {
        const auto l = local(path.cells[v]);
        if (l >= 0 && join[l] == -2) join[l] = vertex[l] = static_cast<std::int32_t>(v);
    }
    // Each cell walks down until a path cell (join there, unless the flow enters the
    // path from a larger channel: see the header) or a resolved cell (same answer), or
    // leaves the window / the DEM (no join); the walk's cells all get the answer.
    std::vector<std::size_t> stack;
    for (std::size_t i = 0; i < n; ++i) {
        if (join[i] != -2) continue;
        std::size_t cur = i;
        std::int32_t res = -1;
        while (true) {
            stack.push_back(cur);
            const auto next = hydro::downstream(g, fg.d8, global(cur));
            if (next < 0) break;
            const auto l = local(std::size_t(next));
            if (l < 0) break;
            if (vertex[l] >= 0) {
                const std::int32_t v = vertex[l];
                if (v >= 1 && fg.acc[global(cur)] <= fg.acc[path.cells[v - 1]]) res = v;
                break;
            }
            if (join[l] != -2) {
                res = join[l];
                break;
            }
            cur = std::size_t(l);
        }
        for (auto s : stack)
            join[s] = res;
        stack.clear();
    }
    w.mask.assign(n, 0);
    w.chainage.assign(n, 0);
    w.hand.assign(n, 0);
    std::vector<std::uint8_t> on_path(n, 0);
    for (auto cell : path.cells)
        if (const auto l = local(cell); l >= 0) on_path[std::size_t(l)] = 1;
    for (std::size_t i = 0; i < n; ++i) {
        const std::int32_t v = join[i];
        if (v < 0) continue;
        const std::size_t cell = global(i), jc = path.cells[v];
        const float z = fg.filled[cell], zj = fg.filled[jc];
        if (!std::isfinite(z)) continue;
        if (!on_path[i]) {
            const double d = g.distance_m(g.x(g.col_of(cell)), g.y(g.row_of(cell)),
                                          g.x(g.col_of(jc)), g.y(g.row_of(jc)));
            if (d > o.corridor_m) continue;
            if (double(z) - double(zj) > o.max_height_m) continue;
        }
        w.mask[i] = 1;
        w.chainage[i] = static_cast<float>(path.chainage_m[v]);
        w.hand[i] = on_path[i] ? 0.f : std::max(0.f, z - zj);
    }
    return w;
}

geos::GeomPtr cell_square(const hydro::GridGeometry& g, int col, int row, double shrink) {
    const auto& gt = g.geotransform();
    const double x0 = gt[0] + col * gt[1], x1 = x0 + gt[1];
    const double y0 = gt[3] + row * gt[5], y1 = y0 + gt[5];
    const double ex = std::abs(gt[1]) * shrink, ey = std::abs(gt[5]) * shrink;
    return geos::check(GEOSGeom_createRectangle_r(geos::ctx(), std::min(x0, x1) + ex,
                                                  std::min(y0, y1) + ey, std::max(x0, x1) - ex,
                                                  std::max(y0, y1) - ey),
                       "rectangle");
}

std::vector<double> band_edges(const std::vector<double>& bands) {
    std::vector<double> e = bands;
    if (e.empty() || e.front() != 0) e.insert(e.begin(), 0.0);
    if (e.size() < 2) throw UsageError("chainage bands: give at least one positive edge");
    for (std::size_t i = 1; i < e.size(); ++i)
        if (!(e[i] > e[i - 1]))
            throw UsageError("chainage bands must increase (got " + std::to_string(e[i - 1]) +
                             " then " + std::to_string(e[i]) + ")");
    return e;
}

} // namespace

DownstreamResult downstream_analysis(const FlowGrids& grids, const io::Layer& farmland,
                                     const io::Layer& sources, const DownstreamOptions& o,
                                     Progress progress) {
    if (!(o.reach_m > 0)) throw UsageError("--reach must be positive");
    if (!(o.corridor_m >= 0)) throw UsageError("--corridor must not be negative");
    if (!(o.max_height_m >= 0)) throw UsageError("--max-height must not be negative");
    const auto& g = grids.geometry;
    if (!g.crs().empty()) {
        if (!farmland.crs.same_as(g.crs()))
            throw DataError(farmland.where() + ": CRS " + farmland.crs.label() +
                            " differs from the DEM's " + g.crs().label() +
                            "; read the layers in the DEM's CRS");
        if (!sources.crs.same_as(g.crs()))
            throw DataError(sources.where() + ": CRS " + sources.crs.label() +
                            " differs from the DEM's " + g.crs().label() +
                            "; read the layers in the DEM's CRS");
    }
    DownstreamResult res;
    res.bands = band_edges(o.bands);
    const int sid = sources.role_index("id", false), sname = sources.role_index("name", false);
    const int cat_field = farmland.role_index("category", true);
    res.sources.resize(sources.features.size());
    for (std::size_t s = 0; s < sources.features.size(); ++s) {
        const auto& f = sources.features[s];
        auto& ds = res.sources[s];
        ds.feature = s;
        ds.id = sid >= 0 ? f.values[sid] : io::Value(f.fid);
        if (std::holds_alternative<std::monostate>(ds.id)) ds.id = f.fid;
        ds.name = sname >= 0 ? io::Layer::text(f.values[sname]) : "";
    }
    std::vector<const geos::Geom*> parcel_geoms;
    for (const auto& f : farmland.features)
        parcel_geoms.push_back(f.geom.get());
    const spatial::EnvelopeIndex index = spatial::EnvelopeIndex::of(parcel_geoms);
    const AreaCalculator area(farmland.crs.empty() ? g.crs() : farmland.crs, o.area);
    progress(0.0, "downstream");

    std::vector<std::vector<DownstreamPiece>> per_source(res.sources.size());
    tbb::parallel_for(std::size_t(0), res.sources.size(), [&](std::size_t s) {
        const auto c = geos::ctx();
        auto& ds = res.sources[s];
        const geos::Geom* src_geom = sources.features[s].geom.get();
        const geos::GeomPtr start = start_geometry(src_geom);
        const hydro::Site site =
            hydro::make_site(g, grids.filled, io::Layer::text(ds.id), start.get());
        if (site.cells.empty()) return;
        auto paths = hydro::trace_downstream(g, grids.d8, grids.acc, {site}, o.reach_m);
        if (paths.empty()) return;
        ds.path = std::move(paths.front());
        if (!grids.river_cells.empty())
            for (std::size_t v = 0; v < ds.path.cells.size(); ++v)
                if (grids.on_river(ds.path.cells[v])) {
                    ds.river_join_m = ds.path.chainage_m[v];
                    break;
                }
        const Window w = affected_zone(grids, ds.path, o);
        for (std::size_t i = 0; i < w.mask.size(); ++i)
            if (w.mask[i]) {
                ++ds.zone_cells;
                ds.zone_area_m2 += g.cell_area_m2(w.row0 + int(i / w.cols));
            }
        ds.zone = mask_polygon(g, w.col0, w.row0, w.cols, w.rows, w.mask);
        if (!ds.zone) return;
        geos::PreparedPtr zone_prep(GEOSPrepare_r(c, ds.zone.get()));
        const double sx = g.x(g.col_of(ds.path.start_cell)), sy = g.y(g.row_of(ds.path.start_cell));
        auto& out = per_source[s];
        // Window cells under an envelope (clipped; empty range when outside).
        const auto& gt = g.geotransform();
        auto cells_of = [&](const Extent& e) {
            int ca = int(std::floor((e.min_x - gt[0]) / gt[1])),
                cb = int(std::floor((e.max_x - gt[0]) / gt[1]));
            int ra = int(std::floor((e.max_y - gt[3]) / gt[5])),
                rb = int(std::floor((e.min_y - gt[3]) / gt[5]));
            if (ca > cb) std::swap(ca, cb);
            if (ra > rb) std::swap(ra, rb);
            return std::array<int, 4>{std::max(ca, w.col0), std::min(cb, w.col0 + w.cols - 1),
                                      std::max(ra, w.row0), std::min(rb, w.row0 + w.rows - 1)};
        };
        for (const auto p : index.query(spatial::envelope(ds.zone.get()))) {
            const geos::Geom* parcel = parcel_geoms[p];
            // Cheap raster pre-check: an affected cell under the parcel's envelope.
            {
                const auto [pa, pb, qa, qb] = cells_of(spatial::envelope(parcel));
                bool any = false;
                for (int r = qa; r <= qb && !any; ++r)
                    for (int col = pa; col <= pb && !any; ++col)
                        any = w.mask[std::size_t(r - w.row0) * w.cols + (col - w.col0)] != 0;
                if (!any) continue;
            }
            if (GEOSPreparedIntersects_r(c, zone_prep.get(), parcel) != 1) continue;
            DownstreamPiece piece;
            piece.source = static_cast<std::uint32_t>(s);
            piece.parcel = p;
            if (GEOSPreparedContains_r(c, zone_prep.get(), parcel) != 1) {
                geos::GeomPtr cut =
                    spatial::polygonal(spatial::intersection(ds.zone.get(), parcel));
                if (!cut) continue;
                if (GEOSisEmpty_r(c, cut.get()) == 1) continue;
                piece.geom = std::shared_ptr<geos::Geom>(cut.release(), geos::GeomDeleter());
            }
            const geos::Geom* pg = piece.geom ? piece.geom.get() : parcel;
            piece.area_m2 = area.area_m2(pg);
            if (!(piece.area_m2 > 0)) continue;
            const auto cat = parse_category(farmland.features[p].values[cat_field]);
            if (!cat || *cat < 1 || *cat > 3)
                throw DataError(category_problem(farmland, farmland.features[p], cat_field));
            piece.category = *cat;
            // First contact: the affected cells whose interior meets the piece.
            const auto [ca, cb, ra, rb] = cells_of(spatial::envelope(pg));
            geos::PreparedPtr piece_prep(GEOSPrepare_r(c, pg));
            double ch = 1e300, hand = 1e300;
            for (int r = ra; r <= rb; ++r)
                for (int col = ca; col <= cb; ++col) {
                    const std::size_t i = std::size_t(r - w.row0) * w.cols + (col - w.col0);
                    if (!w.mask[i]) continue;
                    if (w.chainage[i] >= ch && w.hand[i] >= hand) continue;
                    const auto sq = cell_square(g, col, r, 1e-6);
                    if (GEOSPreparedIntersects_r(c, piece_prep.get(), sq.get()) != 1) continue;
                    ch = std::min(ch, double(w.chainage[i]));
                    hand = std::min(hand, double(w.hand[i]));
                }
            if (ch > 1e299) continue; // touches the zone only along an edge
            piece.chainage_m = ch;
            piece.height_m = hand;
            if (g.geographic()) {
                geos::GeomPtr cen = geos::check(GEOSGetCentroid_r(c, pg), "centroid");
                double cx = 0, cy = 0;
                GEOSGeomGetX_r(c, cen.get(), &cx);
                GEOSGeomGetY_r(c, cen.get(), &cy);
                piece.distance_m = g.distance_m(sx, sy, cx, cy);
            } else {
                GEOSDistance_r(c, src_geom, pg, &piece.distance_m);
            }
            out.push_back(std::move(piece));
        }
    });
    for (auto& v : per_source)
        for (auto& p : v)
            res.pieces.push_back(std::move(p));
    std::size_t joined = 0;
    for (const auto& ds : res.sources) {
        const std::string where = sources.where(sources.features[ds.feature].fid);
        if (ds.path.cells.empty()) {
            log_warning(where + ": source outside the DEM (or on nodata): no downstream path");
            continue;
        }
        if (grids.river_cells.empty()) continue;
        char buf[160];
        if (ds.river_join_m) {
            ++joined;
            std::snprintf(buf, sizeof buf,
                          ": flow path joins a river at chainage %.1f m and follows it to %.1f m",
                          *ds.river_join_m, ds.path.length_m());
        } else {
            std::snprintf(buf, sizeof buf, ": flow path meets no river within its %.1f m",
                          ds.path.length_m());
        }
        log_info(where + buf);
    }
    if (!grids.river_cells.empty())
        log_info("rivers: " + std::to_string(joined) + " of " + std::to_string(res.sources.size()) +
                 " flow paths join a river");
    progress(1.0, "downstream");
    return res;
}

std::vector<Extent> downstream_reach(const FlowGrids& grids, const io::Layer& sources,
                                     const DownstreamOptions& o) {
    const auto& g = grids.geometry;
    const auto& gt = g.geotransform();
    std::vector<Extent> out;
    for (const auto& f : sources.features) {
        const geos::GeomPtr start = start_geometry(f.geom.get());
        const hydro::Site site = hydro::make_site(g, grids.filled, "", start.get());
        if (site.cells.empty()) continue;
        const auto paths = hydro::trace_downstream(g, grids.d8, grids.acc, {site}, o.reach_m);
        if (paths.empty()) continue;
        Extent e;
        e.min_x = e.min_y = 1e300;
        e.max_x = e.max_y = -1e300;
        for (auto cell : paths.front().cells) {
            const double x = g.x(g.col_of(cell)), y = g.y(g.row_of(cell));
            e.min_x = std::min(e.min_x, x);
            e.max_x = std::max(e.max_x, x);
            e.min_y = std::min(e.min_y, y);
            e.max_y = std::max(e.max_y, y);
        }
        // Corridor in CRS units: metres on projected grids; on geographic grids the
        // degrees of the corridor at the path's latitude (with a margin).
        double gx = o.corridor_m, gy = o.corridor_m;
        if (g.geographic()) {
            const int row = g.row_of(paths.front().cells.front());
            gx = 1.5 * o.corridor_m / g.cell_width_m(row) * std::abs(gt[1]);
            gy = 1.5 * o.corridor_m / g.cell_height_m(row) * std::abs(gt[5]);
        }
        e.min_x -= gx + 2 * std::abs(gt[1]);
        e.max_x += gx + 2 * std::abs(gt[1]);
        e.min_y -= gy + 2 * std::abs(gt[5]);
        e.max_y += gy + 2 * std::abs(gt[5]);
        out.push_back(e);
    }
    return out;
}

// --- tables -----------------------------------------------------------------------

namespace {

std::vector<io::Column> ranking_columns() {
    return {
        {"rank", "排序", "Rank", 0},
        {"source_id", "污染源编号", "Source ID", -1},
        {"source_name", "污染源名称", "Source name", -1},
        {"area_cat3_mu", "严格管控类（亩）", "Strict control (mu)", 2},
        {"area_cat2_mu", "安全利用类（亩）", "Safe utilisation (mu)", 2},
        {"area_cat1_mu", "优先保护类（亩）", "Priority protection (mu)", 2},
        {"area_total_mu", "合计（亩）", "Total (mu)", 2},
        {"area_cat3_m2", "严格管控类（平方米）", "Strict control (m²)", 2},
        {"area_cat2_m2", "安全利用类（平方米）", "Safe utilisation (m²)", 2},
        {"area_cat1_m2", "优先保护类（平方米）", "Priority protection (m²)", 2},
        {"area_total_m2", "合计（平方米）", "Total (m²)", 2},
        {"parcels", "图斑数", "Parcels", 0},
    };
}

struct RankRow {
    io::Value id;
    std::string name;
    double cat[4] = {0, 0, 0, 0};
    double total = 0;
    std::int64_t parcels = 0;
    std::vector<double> extra;
};

void rank_rows(std::vector<RankRow>& rows) {
    std::stable_sort(rows.begin(), rows.end(), [](const RankRow& a, const RankRow& b) {
        if (a.cat[3] != b.cat[3]) return a.cat[3] > b.cat[3];
        if (a.cat[2] != b.cat[2]) return a.cat[2] > b.cat[2];
        return a.total > b.total;
    });
}

void add_rank_rows(io::Table& t, const std::vector<RankRow>& rows) {
    std::int64_t rank = 0;
    for (const auto& r : rows) {
        std::vector<io::Value> row = {++rank,
                                      r.id,
                                      r.name,
                                      m2_to_mu(r.cat[3]),
                                      m2_to_mu(r.cat[2]),
                                      m2_to_mu(r.cat[1]),
                                      m2_to_mu(r.total),
                                      r.cat[3],
                                      r.cat[2],
                                      r.cat[1],
                                      r.total,
                                      r.parcels};
        for (double x : r.extra)
            row.push_back(x);
        t.add_row(std::move(row));
    }
}

} // namespace

io::Table downstream_summary(const DownstreamResult& res, const DownstreamOptions& options) {
    (void)options;
    io::Table t;
    t.name = "downstream_summary";
    t.title_zh = "污染源下游受影响耕地面积（按流路里程段、类别）";
    t.title_en = "Farmland downstream of each source by chainage band and category";
    t.columns = {
        {"source_id", "污染源编号", "Source ID", -1},
        {"source_name", "污染源名称", "Source name", -1},
        {"band_from_m", "里程起（米）", "Chainage from (m)", 0},
        {"band_to_m", "里程止（米）", "Chainage to (m)", 0},
        {"category", "类别", "Category", 0},
        {"parcels", "图斑数", "Parcels", 0},
        {"area_m2", "面积（平方米）", "Area (m²)", 2},
        {"area_mu", "面积（亩）", "Area (mu)", 2},
        {"area_ha", "面积（公顷）", "Area (ha)", 4},
    };
    const auto& e = res.bands;
    const std::size_t nb = e.size(); // bands 0..nb-2 plus the open band nb-1
    auto band_of = [&](double ch) {
        for (std::size_t b = 0; b + 1 < e.size(); ++b)
            if (ch < e[b + 1]) return b;
        return nb - 1;
    };
    struct Acc {
        double m2 = 0;
        std::vector<std::uint32_t> parcels;
    };
    for (std::size_t s = 0; s < res.sources.size(); ++s) {
        std::vector<Acc> acc(nb * 4);
        bool open_used = false;
        for (const auto& p : res.pieces) {
            if (p.source != s) continue;
            const std::size_t b = band_of(p.chainage_m);
            if (b == nb - 1) open_used = true;
            acc[b * 4 + p.category].m2 += p.area_m2;
            acc[b * 4 + p.category].parcels.push_back(p.parcel);
        }
        for (std::size_t b = 0; b < nb; ++b) {
            if (b == nb - 1 && !open_used) break;
            for (int cat = 1; cat <= 3; ++cat) {
                auto& a = acc[b * 4 + cat];
                std::sort(a.parcels.begin(), a.parcels.end());
                const auto n = std::unique(a.parcels.begin(), a.parcels.end()) - a.parcels.begin();
                t.add_row({res.sources[s].id, res.sources[s].name, e[b],
                           b + 1 < nb ? io::Value(e[b + 1]) : io::Value(), std::int64_t(cat),
                           std::int64_t(n), a.m2, m2_to_mu(a.m2), m2_to_ha(a.m2)});
            }
        }
    }
    return t;
}

io::Table downstream_ranking(const DownstreamResult& res) {
    io::Table t;
    t.name = "downstream_ranking";
    t.title_zh = "污染源优先级排序（按下游严格管控类、安全利用类耕地面积）";
    t.title_en = "Source priority (by farmland of category 3, then 2, downstream of each source)";
    t.columns = ranking_columns();
    std::vector<RankRow> rows(res.sources.size());
    std::vector<std::vector<std::uint32_t>> parcels(res.sources.size());
    for (std::size_t s = 0; s < rows.size(); ++s) {
        rows[s].id = res.sources[s].id;
        rows[s].name = res.sources[s].name;
    }
    for (const auto& p : res.pieces) {
        rows[p.source].cat[p.category] += p.area_m2;
        rows[p.source].total += p.area_m2;
        parcels[p.source].push_back(p.parcel);
    }
    for (std::size_t s = 0; s < rows.size(); ++s) {
        auto& v = parcels[s];
        std::sort(v.begin(), v.end());
        rows[s].parcels = std::unique(v.begin(), v.end()) - v.begin();
    }
    rank_rows(rows);
    add_rank_rows(t, rows);
    return t;
}

io::Table combined_ranking(const std::vector<const io::Table*>& rankings,
                           const std::vector<std::string>& suffixes) {
    io::Table t;
    t.name = "ranking";
    t.title_zh = "历史矿区排查优先级（周边及下游严格管控类、安全利用类耕地面积）";
    t.title_en = "Mining-area priority (farmland of category 3, then 2, around and downstream)";
    t.columns = ranking_columns();
    const bool split = rankings.size() == 2 && suffixes.size() == 2;
    if (split)
        for (const auto& s : suffixes)
            t.columns.push_back(
                {"area_cat3_mu_" + s, "严格管控类（亩）" + s, "Strict control (mu) " + s, 2});
    std::vector<RankRow> rows;
    std::map<std::string, std::size_t> at;
    for (std::size_t k = 0; k < rankings.size(); ++k) {
        const io::Table& r = *rankings[k];
        auto col = [&](const char* name) {
            for (std::size_t i = 0; i < r.columns.size(); ++i)
                if (r.columns[i].name == name) return int(i);
            throw DataError("ranking table '" + r.name + "' has no column " + name);
        };
        const int id = col("source_id"), nm = col("source_name"), c3 = col("area_cat3_m2"),
                  c2 = col("area_cat2_m2"), c1 = col("area_cat1_m2"), tot = col("area_total_m2"),
                  np = col("parcels");
        for (const auto& row : r.rows) {
            const std::string key = io::Layer::text(row[id]);
            auto it = at.find(key);
            if (it == at.end()) {
                it = at.emplace(key, rows.size()).first;
                RankRow rr;
                rr.id = row[id];
                rr.name = io::Layer::text(row[nm]);
                rr.extra.assign(split ? 2 : 0, 0.0);
                rows.push_back(std::move(rr));
            }
            RankRow& rr = rows[it->second];
            auto num = [&](int i) { return io::Layer::number(row[i]).value_or(0); };
            rr.cat[3] += num(c3);
            rr.cat[2] += num(c2);
            rr.cat[1] += num(c1);
            rr.total += num(tot);
            rr.parcels += static_cast<std::int64_t>(num(np));
            if (split) rr.extra[k] += m2_to_mu(num(c3));
        }
    }
    rank_rows(rows);
    add_rank_rows(t, rows);
    return t;
}

void log_ranking(const io::Table& ranking, const std::string& title, std::size_t top) {
    log_info(title);
    char buf[320];
    for (std::size_t i = 0; i < ranking.rows.size() && i < top; ++i) {
        const auto& r = ranking.rows[i];
        std::snprintf(
            buf, sizeof buf,
            "  %2zu. %-8s %-16s cat3 %10.2f mu  cat2 %10.2f mu  total %10.2f mu  (%lld parcels)",
            i + 1, io::Layer::text(r[1]).c_str(), io::Layer::text(r[2]).c_str(),
            io::Layer::number(r[3]).value_or(0), io::Layer::number(r[4]).value_or(0),
            io::Layer::number(r[6]).value_or(0),
            static_cast<long long>(io::Layer::number(r[11]).value_or(0)));
        log_info(buf);
    }
}

} // namespace soilrisk::analysis
