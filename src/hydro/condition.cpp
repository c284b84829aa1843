#include "soilrisk/hydro/condition.hpp"

#include <chrono>
#include <filesystem>
#include <future>

#include "soilrisk/core/error.hpp"
#include "soilrisk/hydro/network.hpp"
#include "soilrisk/hydro/raster_io.hpp"
#include "soilrisk/hydro/vector_out.hpp"

namespace soilrisk::hydro {

namespace {
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
    std::error_code ec;
    fs::create_directories(d, ec);
    if (ec) throw IoError(dir + ": cannot create the folder (" + ec.message() + ")");

    ConditionReport rep;
    auto t = Clock::now();
    Dem dem = load_dem(dem_path, 1, progress.part(0.0, 0.1));
    rep.cells = dem.geometry.size();
    rep.seconds_read = since(t);

    t = Clock::now();
    auto d8 = fill_and_direct(dem, o.nodata_as, progress.part(0.1, 0.6), &rep.flood);
    rep.seconds_fill = since(t);

    RasterWriteOptions wo;
    wo.overwrite = o.overwrite;
    wo.threads = o.threads;
    wo.metadata = o.metadata;
    RasterWriteOptions wf = wo;
    wf.metadata["SOILRISK_SOURCE_DEM"] = fs::absolute(dem_path).string();
    wf.metadata["SOILRISK_NODATA_AS"] = to_string(o.nodata_as);
    // Write the filled surface and the directions while accumulating.
    const auto tw = Clock::now();
    auto writing = std::async(std::launch::async, [&] {
        write_float_raster(filled_p, dem.geometry, dem.z, dem.nodata, wf);
        write_d8_raster(d8_p, dem.geometry, d8, o.encoding, wo);
        return since(tw);
    });
    t = Clock::now();
    Accumulation acc;
    try {
        acc = accumulate(dem.geometry, d8, true, progress.part(0.6, 0.75));
    } catch (...) {
        writing.wait();
        throw;
    }
    rep.seconds_accumulate = since(t);
    auto writing_acc = std::async(std::launch::async,
                                  [&] { write_uint32_raster(acc_p, dem.geometry, acc.cells, wo); });
    std::vector<StreamSegment> streams;
    try {
        streams = extract_streams(dem.geometry, d8, acc, o.stream_area_m2);
        rep.streams = streams.size();
        VectorWriteOptions vo;
        vo.overwrite = o.overwrite;
        vo.metadata = o.metadata;
        write_streams_gpkg(streams_p, dem.geometry, streams, vo);
    } catch (...) {
        writing.wait();
        writing_acc.wait();
        throw;
    }
    writing.get();
    writing_acc.get();
    rep.seconds_write = since(tw) - rep.seconds_accumulate;
    progress(1.0, "done");
    return rep;
}

} // namespace soilrisk::hydro
