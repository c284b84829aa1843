// soilrisk downstream --dem DEM --sources MINES --farmland F [--reach 10km]
//                    [--corridor 500m] [--max-height 10m] [--rivers R [--burn-depth 50m]]
//                    --out OUT.gpkg [--table T.xlsx]:
// farmland downstream of pollution sources.
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "cli/command.hpp"
#include "cli/options.hpp"
#include "cli/terminal.hpp"
#include "soilrisk/analysis/downstream.hpp"
#include "soilrisk/core/error.hpp"
#include "soilrisk/core/log.hpp"
#include "soilrisk/core/units.hpp"
#include "soilrisk/hydro/burn.hpp"
#include "soilrisk/io/vector_writer.hpp"
#include "soilrisk/render/qgis_style.hpp"

namespace soilrisk::cli {

/// Cache folder of conditioned DEMs next to an output file ("": none for PostGIS outputs).
std::string flow_cache_dir(const std::string& out) {
    if (io::is_connection_string(out)) return "";
    const auto parent = std::filesystem::path(out).parent_path();
    return ((parent.empty() ? std::filesystem::path(".") : parent) / ".soilrisk-cache").string();
}

namespace {

class DownstreamCommand : public Command {
  public:
    void setup(CLI::App& app) override {
        app.add_option("--dem", dem_,
                       "DEM (any GDAL raster; its CRS is the working CRS unless --crs)")
            ->required();
        warp_.add(&app);
        add_vector_input(app, farmland_, farmland_fields_, "farmland",
                         "Farmland parcels (polygons with a category field 1/2/3)", true);
        add_vector_input(app, sources_, sources_fields_, "sources",
                         "Pollution sources: points or polygons (mines, tailings)", true);
        rivers_.add(app, "a flow path that meets a river follows it downstream (direction "
                         "from the DEM)");
        app.add_option("--reach", reach_, "Length of the flow path from each source")
            ->capture_default_str();
        app.add_option("--corridor", corridor_,
                       "Greatest distance of affected land from the path (each side)")
            ->capture_default_str();
        app.add_option("--max-height", max_height_,
                       "Greatest height of affected land above the path (HAND)")
            ->capture_default_str();
        app.add_option("--bands", bands_, "Chainage band edges for the table")
            ->capture_default_str();
        app.add_option("--nodata-as", nodata_as_, "DEM nodata cells: outlet or wall")
            ->check(CLI::IsMember({"outlet", "wall"}))
            ->capture_default_str();
        app.add_option("--area", area_, "Area: ellipsoidal (geodesic) or planar")
            ->check(CLI::IsMember({"ellipsoidal", "planar"}))
            ->capture_default_str();
        app.add_option("-o,--out", out_, "Output GeoPackage, or PostGIS: PG:\"dbname=…\"")
            ->required()
            ->type_name("OUT.gpkg|PG:…");
        add_schema_option(app, schema_);
        app.add_option("--table", table_, "Area table: .xlsx or .csv")->type_name("T.xlsx|T.csv");
        app.add_flag("--no-cache", no_cache_,
                     "Do not cache the conditioned DEM next to the output");
        app.add_flag("--overwrite", overwrite_, "Replace outputs that exist");
        add_invalid_option(app, invalid_);
    }

    int run(const GlobalOptions& global) override {
        apply_field_roles(farmland_, farmland_fields_);
        apply_field_roles(sources_, sources_fields_);
        farmland_.invalid = sources_.invalid = io::parse_invalid_policy(invalid_);
        analysis::DownstreamOptions o;
        o.reach_m = parse_length(reach_, "--reach");
        o.corridor_m = parse_length(corridor_, "--corridor");
        o.max_height_m = parse_length(max_height_, "--max-height");
        o.bands = parse_length_list(bands_, "--bands");
        o.area = parse_area_mode(area_);
        o.lang = io::parse_lang(global.lang);
        out_ = vector_output(out_, schema_);
        // PostGIS: connects and checks the tables now, before the work.
        if (io::is_postgis(out_))
            io::check_vector_output(out_,
                                    {"flow_paths", "corridors", "downstream_parcels",
                                     "downstream_summary", "downstream_ranking", "ranking"},
                                    overwrite_);
        if (!overwrite_)
            for (const auto& p : {out_, table_})
                if (!p.empty() && std::filesystem::exists(p))
                    throw OutputExistsError(p + ": exists; give --overwrite to replace it");

        const Progress progress = terminal_progress(global);
        const auto t0 = std::chrono::steady_clock::now();
        auto lap = [&](const char* what) {
            char buf[128];
            std::snprintf(
                buf, sizeof buf, "%s: %.2f s", what,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
            log_info(buf);
        };
        const hydro::DemWarp warp = warp_.parse();
        std::optional<io::Layer> rivers;
        analysis::RiverBurn burn;
        rivers_.read(dem_, warp, farmland_.invalid, rivers, burn);
        bool hit = false;
        const analysis::FlowGrids grids = analysis::load_flow_grids(
            dem_, no_cache_ ? "" : flow_cache_dir(out_), hydro::parse_nodata_as(nodata_as_), warp,
            progress.part(0, 0.5), &hit, burn);
        lap(hit ? "flow grids (cached)" : "flow grids (conditioned)");
        const Crs& crs = grids.geometry.crs();
        log_info(std::string(warp_.crs.empty() ? "working CRS (the DEM's): " : "working CRS: ") +
                 crs.label());
        const io::Layer sources = io::read_vector(sources_, crs);
        // Only parcels within reach of a path are read (their envelopes at least).
        farmland_.allow_empty = true; // no parcel within reach is a valid answer
        io::VectorReader farmland_reader(farmland_);
        farmland_reader.set_spatial_filter(analysis::downstream_reach(grids, sources, o));
        const io::Layer farmland = farmland_reader.read(crs, progress.part(0.5, 0.6));
        lap("read");
        log_info("read " + std::to_string(farmland.features.size()) + " parcels and " +
                 std::to_string(sources.features.size()) + " sources");
        const auto result =
            analysis::downstream_analysis(grids, farmland, sources, o, progress.part(0.6, 0.9));
        lap("analysis");
        std::vector<std::pair<std::string, std::string>> about = {
            {"tool", "soilrisk " SOILRISK_VERSION " downstream"},
            {"command_line", global.command_line},
            {"dem", dem_ + (warp_.crs.empty() ? "" : " (" + warp_.describe() + ")")},
            {"farmland", farmland.source + " (layer " + farmland.name + ")"},
            {"sources", sources.source + " (layer " + sources.name + ")"},
            {"working_crs", crs.label()},
            {"reach_m", io::Layer::text(io::Value(o.reach_m))},
            {"corridor_m", io::Layer::text(io::Value(o.corridor_m))},
            {"max_height_m", io::Layer::text(io::Value(o.max_height_m))},
            {"method", "Priority-Flood fill + D8; per source D8 trace; affected cells join the "
                       "path laterally within the corridor with HAND <= max height"}};
        for (auto& entry : analysis::river_about(burn))
            about.push_back(std::move(entry));
        const auto written = analysis::write_downstream_outputs(
            result, farmland, grids, o, out_, table_, overwrite_, about, {},
            render::output_styles("downstream", o.lang, global.sld));
        lap("written");
        progress(1.0, "done");
        analysis::log_ranking(analysis::downstream_ranking(result),
                              o.lang == io::Lang::zh
                                  ? "污染源优先级（下游耕地面积，亩）："
                                  : "source priority (farmland downstream, mu):");
        for (const auto& p : written)
            log_info("wrote " + p);
        return 0;
    }

  private:
    io::VectorInput farmland_, sources_;
    std::vector<std::string> farmland_fields_, sources_fields_;
    RiverOptions rivers_;
    std::string dem_, reach_ = "10km", corridor_ = "500m", max_height_ = "10m",
                      bands_ = "2km,5km,10km", nodata_as_ = "outlet", area_ = "ellipsoidal", out_,
                      schema_, table_, invalid_ = "fix";
    bool overwrite_ = false, no_cache_ = false;
    WarpOptions warp_;
};

std::unique_ptr<Command> make() {
    return std::make_unique<DownstreamCommand>();
}
RegisterCommand reg{"downstream",
                    "Farmland downstream of pollution sources: flow paths, affected corridors, "
                    "parcels by source × chainage band × category, mine ranking",
                    &make};

} // namespace

} // namespace soilrisk::cli
