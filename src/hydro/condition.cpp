#include "soilrisk/hydro/condition.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <future>
#include <gdal.h>

#include "soilrisk/core/error.hpp"
#include "soilrisk/core/log.hpp"
#include "soilrisk/hydro/network.hpp"
#include "soilrisk/hydro/raster_io.hpp"
#include "soilrisk/hydro/vector_out.hpp"

namespace soilrisk::hydro {

namespace {
// Caps GDAL's block cache for the run (restored afterwards): GDAL's default, 5 % of RAM,
// lets written tiles pile up as dirty blocks, hundreds of MB on a large DEM, where a few
// rows of tiles suffice for strip-wise writing.
class CacheCap {
  public:
    explicit CacheCap(GIntBig bytes) : old_(GDALGetCacheMax64()) {
        if (old_ > bytes) GDALSetCacheMax64(bytes);
    }
    ~CacheCap() { GDALSetCacheMax64(old_); }
    CacheCap(const CacheCap&) = delete;
    CacheCap& operator=(const CacheCap&) = delete;

  private:
    GIntBig old_;
};

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
}
} // namespace

ConditionReport condition_to_folder(const std::string& dem_path, const std::string& dir,
                                    const ConditionOptions& o, Progress progress) {
    namespace fs = std::filesystem;
    const fs::path d(dir);
    const std::string filled_p = (d / "filled.tif").string(), d8_p = (d / "d8.tif").string(),
                      acc_p = (d / "accumulation.tif").string(),
                      streams_p = (d / "streams.gpkg").string();
    if (!o.overwrite)
        for (const auto& p : {filled_p, d8_p, acc_p, streams_p})
            if (fs::exists(p)) throw OutputExistsError(p + ": output exists");
    ConditionReport rep;
    const CacheCap cache_cap(GIntBig(16) << 20);
    auto t = Clock::now();
    // The DEM is checked before the folder is made: a bad DEM leaves nothing behind.
    Dem dem = load_dem(dem_path, o.warp, progress.part(0.0, 0.1));
    rep.cells = dem.geometry.size();
    rep.seconds_read = since(t);
    std::error_code ec;
    fs::create_directories(d, ec);
    if (ec) throw IoError(dir + ": cannot create the folder (" + ec.message() + ")");

    RasterWriteOptions wo;
    wo.overwrite = o.overwrite;
    wo.threads = o.threads;
    wo.metadata = o.metadata;
    RasterWriteOptions wf = wo;
    wf.metadata["SOILRISK_SOURCE_DEM"] = fs::absolute(dem_path).string();
    wf.metadata["SOILRISK_NODATA_AS"] = to_string(o.nodata_as);
    if (dem.warped) {
        // How the DEM was reprojected, so that profiles can sample it the same way.
        wf.metadata["SOILRISK_DEM_WARP_CRS"] = o.warp.crs.wkt();
        wf.metadata["SOILRISK_DEM_WARP_CELL_SIZE"] = std::to_string(o.warp.cell_size);
        wf.metadata["SOILRISK_DEM_WARP_RESAMPLING"] = o.warp.resampling;
    }
    // The filled surface is written as soon as it is final, while the directions are
    // worked out (they only read it); `filled_done` is declared after `dem`, so an
    // exception waits for the writer before the surface goes.
    std::future<void> filled_done;
    auto write_filled = [&] {
        filled_done = std::async(std::launch::async, [&] {
            write_float_raster(filled_p, dem.geometry, dem.z, dem.nodata, wf);
        });
    };
    t = Clock::now();
    auto d8 =
        fill_and_direct(dem, o.nodata_as, progress.part(0.1, 0.6), &rep.flood, 0, write_filled);
    if (!filled_done.valid()) write_filled();
    rep.seconds_fill = since(t);
    // Write the filled surface and the directions side by side. On uniform (projected)
    // grids the accumulation needs no area array (10 bytes per cell with the filled
    // surface still alive), so it runs meanwhile; on geographic grids the filled surface
    // is freed first so that the accumulated areas fit in the same budget.
    const bool overlap = dem.geometry.uniform_cells();
    auto tw = Clock::now();
    Accumulation acc;
    {
        auto rasters_done = std::async(std::launch::async, [&] {
            try {
                write_d8_raster(d8_p, dem.geometry, d8, o.encoding, wo);
            } catch (...) {
                filled_done.wait();
                throw;
            }
            filled_done.get();
        });
        if (overlap) {
            t = Clock::now();
            try {
                acc = accumulate(dem.geometry, d8, false, progress.part(0.6, 0.75));
            } catch (...) {
                rasters_done.wait();
                throw;
            }
            rep.seconds_accumulate = since(t);
        }
        rasters_done.get();
    }
    rep.seconds_write = since(tw) - rep.seconds_accumulate;
    std::vector<float>().swap(dem.z);
    if (!overlap) {
        t = Clock::now();
        acc = accumulate(dem.geometry, d8, true, progress.part(0.6, 0.75));
        rep.seconds_accumulate = since(t);
    }
    const auto tw2 = Clock::now();
    auto writing_acc = std::async(std::launch::async,
                                  [&] { write_uint32_raster(acc_p, dem.geometry, acc.cells, wo); });
    try {
        const auto streams = extract_streams(dem.geometry, d8, acc, o.stream_area_m2);
        rep.streams = streams.size();
        VectorWriteOptions vo;
        vo.overwrite = o.overwrite;
        vo.metadata = o.metadata;
        vo.styles = o.styles;
        rep.sidecars = write_streams_gpkg(streams_p, dem.geometry, streams, vo);
    } catch (...) {
        writing_acc.wait();
        throw;
    }
    writing_acc.get();
    rep.seconds_write += since(tw2);
    progress(1.0, "done");
    return rep;
}

FlowSet load_flow_set(const std::string& dem, const std::string& conditioned, NodataAs nodata_as,
                      const DemWarp& warp, Progress progress) {
    FlowSet f;
    if (!conditioned.empty()) {
        Conditioned c = load_conditioned(conditioned);
        f.geometry = c.filled.geometry;
        f.filled = std::move(c.filled.z);
        f.d8 = std::move(c.d8);
        f.elevation_source = !dem.empty() ? dem : c.source_dem;
        // A DEM given with a conditioned folder maps onto it as the recorded one did.
        f.elevation_warp = !warp.crs.empty() ? warp : c.source_warp;
        if (!f.elevation_source.empty() && !std::filesystem::exists(f.elevation_source))
            f.elevation_source.clear();
    } else {
        Dem d = load_dem(dem, warp, progress.part(0, 0.2));
        f.elevation_warp = warp;
        f.d8 = fill_and_direct(d, nodata_as, progress.part(0.2, 0.7));
        f.geometry = d.geometry;
        f.filled = std::move(d.z);
        f.elevation_source = dem;
    }
    f.acc = accumulate(f.geometry, f.d8, false, progress.part(0.7, 0.9));
    return f;
}

TraceReport trace_to_gpkg(const FlowSet& f, const std::vector<Site>& sites, double max_length_m,
                          const std::string& out, const VectorWriteOptions& options) {
    const auto paths = trace_downstream(f.geometry, f.d8, f.acc.cells, sites, max_length_m);
    std::vector<std::vector<float>> elev(paths.size()), filled(paths.size());
    std::vector<std::size_t> all; // every path's cells: the elevation raster is opened once
    for (std::size_t p = 0; p < paths.size(); ++p) {
        for (std::size_t c : paths[p].cells)
            filled[p].push_back(f.filled[c]);
        all.insert(all.end(), paths[p].cells.begin(), paths[p].cells.end());
    }
    if (!f.elevation_source.empty()) {
        const auto z = sample_raster(f.elevation_source, f.geometry, all, f.elevation_warp);
        std::size_t at = 0;
        for (std::size_t p = 0; p < paths.size(); ++p) {
            elev[p].assign(z.begin() + std::ptrdiff_t(at),
                           z.begin() + std::ptrdiff_t(at + paths[p].cells.size()));
            at += paths[p].cells.size();
        }
    }
    TraceReport r;
    r.sidecars = write_traces_gpkg(out, f.geometry, paths, elev, filled, f.acc.cells, options);
    r.paths = paths.size();
    for (const auto& p : paths)
        r.merged += p.stop == StopReason::merged;
    return r;
}

CatchmentReport catchments_to_gpkg(const FlowSet& f, std::vector<Site> sites, double snap_m,
                                   const std::string& out, const VectorWriteOptions& options) {
    const GridGeometry& g = f.geometry;
    std::vector<double> snapped; // per site with cells, in order
    for (auto& s : sites) {
        double d = 0;
        if (s.is_point && snap_m > 0) {
            const Snap sn = snap_to_accumulation(g, f.acc.cells, s.x, s.y, snap_m);
            s.cells = {sn.cell};
            d = sn.distance_m;
            char buf[160];
            std::snprintf(buf, sizeof buf, " snapped %.1f m to (%.3f, %.3f)", sn.distance_m,
                          g.x(g.col_of(sn.cell)), g.y(g.row_of(sn.cell)));
            log_info("target " + s.id + buf);
        }
        if (!s.cells.empty()) snapped.push_back(d);
    }
    auto cs = upstream_catchments(g, f.d8, sites);
    for (std::size_t i = 0; i < cs.size(); ++i)
        cs[i].snap_distance_m = snapped[i];
    CatchmentReport r;
    r.sidecars = write_catchments_gpkg(out, g, cs, options);
    r.catchments = cs.size();
    return r;
}

} // namespace soilrisk::hydro
