// soilrisk near --farmland F --sources S [--rings 0,500,1000,2000] [--by county]
//               --out OUT.gpkg|PG:… [--schema S] [--table T.xlsx|T.csv]: farmland around
//               pollution sources.
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>

#include "cli/command.hpp"
#include "cli/options.hpp"
#include "cli/terminal.hpp"
#include "soilrisk/analysis/near.hpp"
#include "soilrisk/core/log.hpp"
#include "soilrisk/core/units.hpp"
#include "soilrisk/render/qgis_style.hpp"

namespace soilrisk::cli {

namespace {

class NearCommand : public Command {
  public:
    void setup(CLI::App& app) override {
        add_vector_input(app, farmland_, farmland_fields_, "farmland",
                         "Farmland parcels (polygons with a category field 1/2/3)", true);
        add_vector_input(app, sources_, sources_fields_, "sources",
                         "Pollution sources: points, lines or polygons (mines, tailings, sites)",
                         true);
        app.add_option("--rings", rings_,
                       "Ring edges from the source, metres or with units (leading 0 optional)")
            ->capture_default_str();
        app.add_option("--by", by_, "Also break the tables down by these farmland roles/fields")
            ->delimiter(',')
            ->type_name("ROLE[,ROLE]");
        app.add_option("-o,--out", out_,
                       "Output GeoPackage (pieces, rings, tables), or PostGIS: PG:\"dbname=…\"")
            ->required()
            ->type_name("OUT.gpkg|PG:…");
        add_schema_option(app, schema_);
        app.add_option("--table", table_, "Area table: .xlsx (formatted) or .csv (UTF-8 BOM)")
            ->type_name("T.xlsx|T.csv");
        app.add_option("--quad-segs", options_.quad_segs,
                       "Buffer segments per quarter circle (65: ring area within 0.01 %)")
            ->check(CLI::Range(1, 10000))
            ->capture_default_str();
        app.add_option("--grid-size", grid_,
                       "Snap-rounding grid for the overlays (e.g. 0.001m; 0 = floating)")
            ->capture_default_str();
        app.add_option("--area", area_, "Area: ellipsoidal (geodesic) or planar")
            ->check(CLI::IsMember({"ellipsoidal", "planar"}))
            ->capture_default_str();
        app.add_option("--crs", crs_,
                       "Working CRS (default: CGCS2000 3-degree GK zone of the data)");
        app.add_flag("--overwrite", overwrite_, "Replace outputs that exist");
        add_invalid_option(app, invalid_);
    }

    int run(const GlobalOptions& global) override {
        apply_field_roles(farmland_, farmland_fields_);
        apply_field_roles(sources_, sources_fields_);
        farmland_.invalid = sources_.invalid = io::parse_invalid_policy(invalid_);
        options_.rings = parse_length_list(rings_, "--rings");
        analysis::make_rings(options_.rings); // reject bad rings before any I/O
        options_.grid_size = parse_length(grid_, "--grid-size");
        options_.area = parse_area_mode(area_);
        options_.by = by_;
        options_.lang = io::parse_lang(global.lang);
        analysis::NearOutputs outputs;
        outputs.gpkg = vector_output(out_, schema_);
        outputs.table = table_;
        outputs.overwrite = overwrite_;
        outputs.styles = render::output_styles("near", options_.lang, global.sld);
        analysis::check_near_outputs(outputs);

        const Progress progress = terminal_progress(global);
        const auto t0 = std::chrono::steady_clock::now();
        auto lap = [&](const char* what) {
            char buf[128];
            std::snprintf(
                buf, sizeof buf, "%s: %.2f s", what,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
            log_debug(buf);
        };
        io::VectorReader farmland_reader(farmland_);
        io::VectorReader sources_reader(sources_);
        const Crs crs = io::working_crs_for({&farmland_reader, &sources_reader}, crs_);
        log_info("working CRS: " + crs.label() + " (" + crs.name() + ")");
        const io::Layer sources = sources_reader.read(crs);
        // Only parcels within reach of a source are read (their envelopes at least).
        farmland_reader.set_spatial_filter(
            analysis::near_reach(sources, options_.rings, options_.quad_segs));
        const io::Layer farmland = farmland_reader.read(crs, progress.part(0, 0.3));
        lap("read");
        log_info("read " + std::to_string(farmland.features.size()) + " parcels and " +
                 std::to_string(sources.features.size()) + " sources");

        const analysis::NearResult result =
            analysis::near_analysis(farmland, sources, options_, progress.part(0.3, 0.8));
        log_info("near: " + std::to_string(result.stats.pairs) +
                 " candidate (source, parcel) pairs, " + std::to_string(result.stats.whole) +
                 " pieces taken whole, " + std::to_string(result.stats.cut) + " cut by rings; " +
                 std::to_string(result.nearest.size()) + " pieces in the nearest-source view");
        lap("analysis");
        outputs.about = analysis::near_about(options_, farmland, sources, global.command_line);
        const auto written = analysis::write_near_outputs(result, farmland, options_, outputs);
        lap("written");
        progress(1.0, "done");
        analysis::log_near_ranking(analysis::near_ranking(result, options_), options_.lang);
        for (const auto& p : written)
            log_info("wrote " + p);
        return end_program(0);
    }

  private:
    io::VectorInput farmland_, sources_;
    std::vector<std::string> farmland_fields_, sources_fields_, by_;
    std::string rings_ = "0,500,1000,2000", out_, schema_, table_, grid_ = "0",
                area_ = "ellipsoidal", crs_, invalid_ = "fix";
    bool overwrite_ = false;
    analysis::NearOptions options_;
};

std::unique_ptr<Command> make() {
    return std::make_unique<NearCommand>();
}
RegisterCommand reg{"near",
                    "Farmland around pollution sources, ring by ring: pieces, rings and area "
                    "tables by source × ring × category",
                    &make};

} // namespace

} // namespace soilrisk::cli
