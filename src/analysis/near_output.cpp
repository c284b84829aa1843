// Writing the results of `near`: GeoPackage layers and tables.
#include <filesystem>

#include "io/sql_quote.hpp"
#include "soilrisk/analysis/near.hpp"
#include "soilrisk/core/error.hpp"
#include "soilrisk/io/vector_writer.hpp"

namespace soilrisk::analysis {

namespace fs = std::filesystem;

namespace {

std::string lower_ext(const std::string& path) {
    std::string e = fs::path(path).extension().string();
    for (char& c : e)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return e;
}

std::string sibling(const std::string& path, const std::string& suffix) {
    const fs::path p(path);
    return (p.parent_path() / (p.stem().string() + suffix + p.extension().string())).string();
}

std::vector<std::string> table_paths(const NearOutputs& o) {
    if (o.table.empty()) return {};
    if (lower_ext(o.table) == ".csv")
        return {o.table, sibling(o.table, "_nearest"), sibling(o.table, "_ranking")};
    return {o.table};
}

} // namespace

void check_near_outputs(const NearOutputs& o) {
    if (!io::is_postgis(o.gpkg) && lower_ext(o.gpkg) != ".gpkg")
        throw UsageError("--out: '" + o.gpkg +
                         "' must be a GeoPackage (.gpkg) or a PostGIS connection (PG:…)");
    if (!o.table.empty() && lower_ext(o.table) != ".csv" && lower_ext(o.table) != ".xlsx")
        throw UsageError("--table: '" + o.table + "' must end in .csv or .xlsx");
    io::check_vector_output(o.gpkg,
                            {"near_pieces", "near_pieces_nearest", "near_pieces_nearest_cut",
                             "near_rings", "near_rings_nearest", "near_summary",
                             "near_summary_nearest", "near_ranking"},
                            o.overwrite);
    if (o.overwrite) return;
    for (const auto& p : table_paths(o))
        if (fs::exists(p)) throw OutputExistsError("'" + p + "' exists");
}

std::vector<std::string> write_near_outputs(const NearResult& result, const io::Layer& farmland,
                                            const NearOptions& options, const NearOutputs& o) {
    std::vector<std::string> written, sidecars;
    const io::Table by_source = near_summary(result, farmland, NearView::by_source, options);
    const io::Table nearest = near_summary(result, farmland, NearView::nearest, options);
    const io::Table ranking = near_ranking(result, options);
    {
        io::GpkgWriter w(o.gpkg, o.overwrite);
        w.set_styles(o.styles);
        std::vector<const geos::Geom*> geoms;
        const AreaCalculator area(farmland.crs, options.area);
        io::Table pieces = near_pieces_table(result, farmland, NearView::by_source, options, geoms);
        std::vector<std::string> fields; // of the nearest view: those of pieces but the link
        for (const auto& c : pieces.columns)
            if (c.name != "nearest_fid") fields.push_back(c.name);
        w.add_layer(pieces.name, io::OutputGeometry::multipolygon, farmland.crs, std::move(pieces),
                    geoms);
        if (io::is_postgis(o.gpkg)) {
            io::Table t = near_pieces_table(result, farmland, NearView::nearest, options, geoms);
            const std::string name = t.name;
            w.add_layer(name, io::OutputGeometry::multipolygon, farmland.crs, std::move(t), geoms);
        } else {
            // The nearest-source view is mostly by-source pieces whole: a view of those
            // (near_pieces.nearest_fid) and of the pieces the regions' boundaries cut.
            io::Table cut = near_nearest_cut_table(result, farmland, options, geoms);
            const std::string name = cut.name;
            w.add_layer(name, io::OutputGeometry::multipolygon, farmland.crs, std::move(cut),
                        geoms);
            std::string columns;
            for (const auto& f : fields)
                columns += ", " + io::detail::quote_ident(f);
            const std::string part = "SELECT nearest_fid AS fid, geom" + columns + " FROM ";
            w.add_view("near_pieces_nearest",
                       part + "near_pieces WHERE nearest_fid IS NOT NULL UNION ALL " + part +
                           io::detail::quote_ident(name),
                       "near_pieces", fields);
        }
        for (NearView v : {NearView::by_source, NearView::nearest}) {
            io::Table t = near_rings_table(result, v, area, geoms);
            w.add_layer(t.name, io::OutputGeometry::multipolygon, farmland.crs, t, geoms);
        }
        for (const io::Table* t : {&by_source, &nearest, &ranking})
            w.add_layer(t->name, io::OutputGeometry::none, farmland.crs, *t, {});
        w.add_metadata(o.about);
        w.finish();
        written.push_back(io::is_postgis(o.gpkg) ? io::redact_password(o.gpkg) : o.gpkg);
        sidecars = w.sidecars();
    }
    if (o.table.empty()) {
        written.insert(written.end(), sidecars.begin(), sidecars.end());
        return written;
    }
    const auto paths = table_paths(o);
    if (lower_ext(o.table) == ".csv") {
        io::write_csv(by_source, paths[0], o.overwrite);
        io::write_csv(nearest, paths[1], o.overwrite);
        io::write_csv(ranking, paths[2], o.overwrite);
    } else {
        const io::Table a = near_summary(result, farmland, NearView::by_source, options, true);
        const io::Table b = near_summary(result, farmland, NearView::nearest, options, true);
        io::write_xlsx({&a, &b, &ranking}, o.table, options.lang, o.overwrite, o.about);
    }
    written.insert(written.end(), paths.begin(), paths.end());
    written.insert(written.end(), sidecars.begin(), sidecars.end());
    return written;
}

std::vector<std::pair<std::string, std::string>> near_about(const NearOptions& options,
                                                            const io::Layer& farmland,
                                                            const io::Layer& sources,
                                                            const std::string& command_line) {
    std::string rings;
    for (double r : options.rings) {
        if (!rings.empty()) rings += ',';
        rings += io::Layer::text(io::Value(r));
    }
    std::string by;
    for (const auto& b : options.by) {
        if (!by.empty()) by += ',';
        by += b;
    }
    return {
        {"tool", "soilrisk " SOILRISK_VERSION " near"},
        {"command_line", command_line},
        {"farmland", farmland.source + " (layer " + farmland.name + ")"},
        {"sources", sources.source + " (layer " + sources.name + ")"},
        {"working_crs", farmland.crs.label() + " (" + farmland.crs.name() + ")"},
        {"rings_m", rings},
        {"by", by},
        {"quad_segs", std::to_string(options.quad_segs) + " (ring area within " +
                          std::to_string(100 * spatial::buffer_area_deficit(options.quad_segs)) +
                          " % of the true annulus)"},
        {"grid_size_m",
         options.grid_size > 0 ? io::Layer::text(io::Value(options.grid_size)) : "0 (floating)"},
        {"area", options.area == AreaMode::planar
                     ? "planar, in the working CRS"
                     : "ellipsoidal (geodesic, Karney 2013, J. Geodesy 87:43-55)"},
        {"overlay", "GEOS OverlayNG intersections; parcels wholly inside a ring taken whole"},
        {"nearest_view", "each piece assigned to its nearest source (Voronoi regions; lines "
                         "and polygon edges as points at most 5 m apart); in a GeoPackage "
                         "near_pieces_nearest is a view of near_pieces (nearest_fid) and "
                         "near_pieces_nearest_cut"},
        {"units", "m2; 1 mu = 10000/15 m2; 1 ha = 10000 m2"},
    };
}

} // namespace soilrisk::analysis
