// soilrisk hydro condition | trace | catchment: the hydrology engine on the command line.
// Option parsing and output only; the work is in soilrisk/hydro.
#include <CLI/CLI.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "cli/command.hpp"
#include "cli/options.hpp"
#include "cli/terminal.hpp"
#include "soilrisk/core/error.hpp"
#include "soilrisk/core/log.hpp"
#include "soilrisk/core/runtime.hpp"
#include "soilrisk/core/units.hpp"
#include "soilrisk/hydro/condition.hpp"
#include "soilrisk/hydro/network.hpp"
#include "soilrisk/hydro/raster_io.hpp"
#include "soilrisk/hydro/vector_out.hpp"
#include "soilrisk/render/qgis_style.hpp"

namespace soilrisk::cli {

namespace {

using namespace soilrisk::hydro;

std::map<std::string, std::string> provenance(const std::string& what, const std::string& params) {
    return {{"SOILRISK_VERSION", SOILRISK_VERSION},
            {"SOILRISK_STEP", "hydro " + what},
            {"SOILRISK_PARAMETERS", params},
            {"SOILRISK_ALGORITHM",
             "Priority-Flood (Barnes, Lehman, Mulla 2014) with FIFO flats and rising-slope "
             "trace (Zhou, Sun, Fu 2016); D8 steepest descent on true cell sizes; flats "
             "directed by flood order; accumulation in topological order"}};
}

void add_flow_options(CLI::App* app, std::string& dem, std::string& conditioned,
                      std::string& nodata_as) {
    app->add_option("--dem", dem, "DEM (any GDAL raster)");
    app->add_option("--conditioned", conditioned,
                    "Folder written by 'soilrisk hydro condition' (instead of "
                    "recomputing; --dem then only supplies profile elevations)");
    app->add_option("--nodata-as", nodata_as, "Nodata cells are outlets or walls (with --dem)")
        ->check(CLI::IsMember({"outlet", "wall"}))
        ->capture_default_str();
}

void require_flow_input(const std::string& dem, const std::string& conditioned) {
    if (dem.empty() && conditioned.empty()) throw UsageError("give --dem DEM or --conditioned DIR");
}

class HydroCommand : public Command {
  public:
    void setup(CLI::App& app) override {
        app.require_subcommand(1);
        cond_ = app.add_subcommand("condition", "Fill depressions, D8 directions, accumulation "
                                                "and streams: writes DIR/filled.tif, d8.tif, "
                                                "accumulation.tif, streams.gpkg");
        cond_->add_option("--dem", dem_, "DEM (any GDAL raster)")->required();
        cond_->add_option("--out", out_, "Output folder")->required();
        warp_.add(cond_);
        cond_->add_option("--nodata-as", nodata_as_, "Nodata cells are outlets or walls")
            ->check(CLI::IsMember({"outlet", "wall"}))
            ->capture_default_str();
        cond_->add_option("--d8-encoding", encoding_, "Coding of d8.tif (see the manual)")
            ->check(CLI::IsMember({"esri", "grass", "taudem"}))
            ->capture_default_str();
        cond_
            ->add_option("--stream-area", stream_area_,
                         "Upstream area where streams begin (m2, km2, ha, mu)")
            ->capture_default_str();
        cond_->add_flag("--overwrite", overwrite_, "Replace existing outputs");

        trace_ = app.add_subcommand("trace", "Downstream paths from points or polygons");
        add_flow_options(trace_, dem_, conditioned_, nodata_as_);
        warp_.add(trace_);
        trace_->add_option("--from", from_, "Sources (points or polygons, any OGR source)")
            ->required();
        trace_->add_option("--from-layer", from_layer_, "Layer of the sources");
        trace_->add_option("--id-field", id_field_,
                           "Field with the source ids (default: id, "
                           "else the feature id)");
        trace_->add_option("--max-length", max_length_,
                           "Longest path (e.g. 10km; default: "
                           "no limit)");
        trace_->add_option("--out", out_, "Output GeoPackage (layers paths, profile)")->required();
        trace_->add_flag("--overwrite", overwrite_, "Replace an existing output");

        catch_ = app.add_subcommand("catchment", "Upstream catchments of points or polygons");
        add_flow_options(catch_, dem_, conditioned_, nodata_as_);
        warp_.add(catch_);
        catch_->add_option("--at", from_, "Targets (points or polygons, any OGR source)")
            ->required();
        catch_->add_option("--at-layer", from_layer_, "Layer of the targets");
        catch_->add_option("--id-field", id_field_, "Field with the target ids");
        catch_->add_option("--snap", snap_,
                           "Move points to the highest accumulation within "
                           "this distance (e.g. 200m)");
        catch_->add_option("--out", out_, "Output GeoPackage (layer catchments)")->required();
        catch_->add_flag("--overwrite", overwrite_, "Replace an existing output");
    }

    int run(const GlobalOptions& global) override {
        const Progress progress = terminal_progress(global);
        styles_ = render::output_styles("hydro", io::parse_lang(global.lang), global.sld);
        if (cond_->parsed()) return run_condition(progress);
        if (trace_->parsed()) return run_trace(progress);
        if (catch_->parsed()) return run_catchment(progress);
        throw UsageError("hydro: give a subcommand: condition, trace or catchment");
    }

  private:
    int run_condition(const Progress& progress) {
        ConditionOptions o;
        o.nodata_as = parse_nodata_as(nodata_as_);
        o.encoding = parse_d8_encoding(encoding_);
        o.warp = warp_.parse();
        o.stream_area_m2 = parse_area_m2(stream_area_, "--stream-area");
        o.overwrite = overwrite_;
        o.threads = thread_count();
        o.styles = styles_;
        o.metadata = provenance(
            "condition", "dem=" + dem_ + " nodata_as=" + nodata_as_ + " d8_encoding=" + encoding_ +
                             " stream_area_m2=" + std::to_string(o.stream_area_m2) +
                             (warp_.crs.empty() ? "" : " " + warp_.describe()));
        const auto t = std::chrono::steady_clock::now();
        const ConditionReport r = condition_to_folder(dem_, out_, o, progress);
        const double total =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
        char buf[512];
        std::snprintf(buf, sizeof buf,
                      "%zu cells (%zu valid): %zu raised by filling (max %.2f m), %zu directed "
                      "in flats/depressions, %zu outlets, %zu stream segments; read %.2f s, "
                      "fill+D8 %.2f s, accumulation %.2f s, writing %.2f s, total "
                      "%.2f s",
                      r.cells, r.flood.valid_cells, r.flood.raised_cells, r.flood.max_raise_m,
                      r.flood.flat_cells, r.flood.outlets, r.streams, r.seconds_read,
                      r.seconds_fill, r.seconds_accumulate, r.seconds_write, total);
        log_info(buf);
        for (const auto& s : r.sidecars)
            log_info("SLD style written to " + s);
        return 0;
    }

    int run_trace(const Progress& progress) {
        require_flow_input(dem_, conditioned_);
        const double max_len =
            max_length_.empty() ? 0.0 : parse_length(max_length_, "--max-length");
        // Fail early, before the expensive part.
        if (!overwrite_ && std::filesystem::exists(out_))
            throw OutputExistsError(out_ + ": output exists");
        const FlowSet f =
            load_flow_set(dem_, conditioned_, parse_nodata_as(nodata_as_), warp_.parse(), progress);
        const auto sites = read_sites(from_, from_layer_, id_field_, f.geometry, f.filled);
        VectorWriteOptions vo;
        vo.overwrite = overwrite_;
        vo.metadata =
            provenance("trace", "from=" + from_ + " max_length_m=" + std::to_string(max_len));
        vo.styles = styles_;
        const TraceReport r = trace_to_gpkg(f, sites, max_len, out_, vo);
        for (const auto& s : r.sidecars)
            log_info("SLD style written to " + s);
        log_info(std::to_string(r.paths) + " paths written to " + out_ + " (" +
                 std::to_string(r.merged) + " merged into earlier paths)");
        progress(1.0, "done");
        return 0;
    }

    int run_catchment(const Progress& progress) {
        require_flow_input(dem_, conditioned_);
        const double snap = snap_.empty() ? 0.0 : parse_length(snap_, "--snap");
        if (!overwrite_ && std::filesystem::exists(out_))
            throw OutputExistsError(out_ + ": output exists");
        const FlowSet f =
            load_flow_set(dem_, conditioned_, parse_nodata_as(nodata_as_), warp_.parse(), progress);
        auto sites = read_sites(from_, from_layer_, id_field_, f.geometry, f.filled);
        VectorWriteOptions vo;
        vo.overwrite = overwrite_;
        vo.metadata = provenance("catchment", "at=" + from_ + " snap_m=" + std::to_string(snap));
        vo.styles = styles_;
        const CatchmentReport r = catchments_to_gpkg(f, std::move(sites), snap, out_, vo);
        for (const auto& s : r.sidecars)
            log_info("SLD style written to " + s);
        log_info(std::to_string(r.catchments) + " catchments written to " + out_);
        progress(1.0, "done");
        return 0;
    }

    CLI::App *cond_ = nullptr, *trace_ = nullptr, *catch_ = nullptr;
    std::string dem_, out_, conditioned_, nodata_as_ = "outlet", encoding_ = "esri",
                                          stream_area_ = "1km2";
    std::string from_, from_layer_, id_field_, max_length_, snap_;
    bool overwrite_ = false;
    WarpOptions warp_;
    io::OutputStyles styles_;
};

std::unique_ptr<Command> make() {
    return std::make_unique<HydroCommand>();
}

static RegisterCommand reg{"hydro", "Hydrology: condition a DEM, trace downstream, catchments",
                           &make};

} // namespace

} // namespace soilrisk::cli
