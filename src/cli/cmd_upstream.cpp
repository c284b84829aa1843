// soilrisk upstream --dem DEM --targets T [--where "category=3"] --sources S
//                  [--cluster-distance 200m] --out OUT.gpkg [--table T.xlsx]:
// upstream catchments of polluted-farmland clusters and the sources inside them.
#include <CLI/CLI.hpp>

#include <cmath>
#include <filesystem>

#include "cli/command.hpp"
#include "cli/options.hpp"
#include "cli/terminal.hpp"
#include "soilrisk/analysis/upstream.hpp"
#include "soilrisk/core/error.hpp"
#include "soilrisk/core/log.hpp"
#include "soilrisk/core/units.hpp"
#include "soilrisk/io/vector_writer.hpp"
#include "soilrisk/render/qgis_style.hpp"

namespace soilrisk::cli {

std::string flow_cache_dir(const std::string& out);

namespace {

class UpstreamCommand : public Command {
  public:
    void setup(CLI::App& app) override {
        app.add_option("--dem", dem_,
                       "DEM (any GDAL raster; its CRS is the working CRS unless --crs)")
            ->required();
        warp_.add(&app);
        add_vector_input(app, targets_, targets_fields_, "targets",
                         "Targets: farmland parcels or sample points", true);
        app.add_option("--where", targets_.where,
                       "Attribute filter on the targets (e.g. \"category=3\")");
        add_vector_input(app, sources_, sources_fields_, "sources",
                         "Pollution sources: mines, enterprises, sites", true);
        rivers_.add(app, "flow that meets a river follows it (as in downstream --rivers), so "
                         "catchments include what the river network gathers");
        app.add_option("--cluster-distance", cluster_,
                       "Targets closer than this merge into one cluster (0: none)")
            ->capture_default_str();
        app.add_option("--nodata-as", nodata_as_, "DEM nodata cells: outlet or wall")
            ->check(CLI::IsMember({"outlet", "wall"}))
            ->capture_default_str();
        app.add_option("-o,--out", out_, "Output GeoPackage, or PostGIS: PG:\"dbname=…\"")
            ->required()
            ->type_name("OUT.gpkg|PG:…");
        add_schema_option(app, schema_);
        app.add_option("--table", table_, "Table of links: .xlsx or .csv");
        app.add_flag("--no-cache", no_cache_, "Do not cache the conditioned DEM");
        app.add_flag("--overwrite", overwrite_, "Replace outputs that exist");
        add_invalid_option(app, invalid_);
    }

    int run(const GlobalOptions& global) override {
        apply_field_roles(targets_, targets_fields_);
        apply_field_roles(sources_, sources_fields_);
        targets_.invalid = sources_.invalid = io::parse_invalid_policy(invalid_);
        analysis::UpstreamOptions o;
        o.cluster_distance_m = parse_length(cluster_, "--cluster-distance");
        o.lang = io::parse_lang(global.lang);
        out_ = vector_output(out_, schema_);
        // PostGIS: connects and checks the tables now, before the work.
        if (io::is_postgis(out_))
            io::check_vector_output(
                out_, {"catchments", "targets", "upstream_sources", "upstream_links"}, overwrite_);
        if (!overwrite_)
            for (const auto& p : {out_, table_})
                if (!p.empty() && std::filesystem::exists(p))
                    throw OutputExistsError(p + ": exists; give --overwrite to replace it");
        const Progress progress = terminal_progress(global);
        const hydro::DemWarp warp = warp_.parse();
        std::optional<io::Layer> rivers;
        analysis::RiverBurn burn;
        rivers_.read(dem_, warp, targets_.invalid, rivers, burn);
        const analysis::FlowGrids grids = analysis::load_flow_grids(
            dem_, no_cache_ ? "" : flow_cache_dir(out_), hydro::parse_nodata_as(nodata_as_), warp,
            progress.part(0, 0.6), nullptr, burn);
        const Crs& crs = grids.geometry.crs();
        const io::Layer targets = io::read_vector(targets_, crs);
        const io::Layer sources = io::read_vector(sources_, crs);
        const auto result =
            analysis::upstream_analysis(grids, targets, {}, sources, o, progress.part(0.6, 0.9));
        std::vector<std::pair<std::string, std::string>> about = {
            {"tool", "soilrisk " SOILRISK_VERSION " upstream"},
            {"command_line", global.command_line},
            {"dem", dem_ + (warp_.crs.empty() ? "" : " (" + warp_.describe() + ")")},
            {"targets", targets.source + " (layer " + targets.name + ")" +
                            (targets_.where.empty() ? "" : " where " + targets_.where)},
            {"sources", sources.source + " (layer " + sources.name + ")"},
            {"cluster_distance_m", io::Layer::text(io::Value(o.cluster_distance_m))}};
        for (auto& entry : analysis::river_about(burn))
            about.push_back(std::move(entry));
        const auto written = analysis::write_upstream_outputs(
            result, targets, sources, o, out_, table_, overwrite_, about,
            render::output_styles("upstream", o.lang, global.sld));
        progress(1.0, "done");
        log_info(std::to_string(result.clusters.size()) + " target clusters, " +
                 std::to_string(result.links.size()) + " upstream (cluster, source) links");
        for (const auto& l : result.links)
            log_info("  " + result.clusters[l.cluster].id + " <- " +
                     io::Layer::text(result.source_ids[l.source]) + " " +
                     result.source_names[l.source] + ": " +
                     io::Layer::text(io::Value(std::round(l.flow_distance_m))) + " m");
        for (const auto& p : written)
            log_info("wrote " + p);
        return 0;
    }

  private:
    io::VectorInput targets_, sources_;
    std::vector<std::string> targets_fields_, sources_fields_;
    std::string dem_, cluster_ = "0", nodata_as_ = "outlet", out_, schema_, table_,
                      invalid_ = "fix";
    bool overwrite_ = false, no_cache_ = false;
    WarpOptions warp_;
    RiverOptions rivers_;
};

std::unique_ptr<Command> make() {
    return std::make_unique<UpstreamCommand>();
}
RegisterCommand reg{
    "upstream", "Upstream catchments of polluted-farmland clusters and the sources in them", &make};

} // namespace

} // namespace soilrisk::cli
