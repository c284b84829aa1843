// Writing the results of `sites`: GeoPackage layers with QGIS styles, and tables.
#include <filesystem>
#include <geos_c.h>

#include "soilrisk/analysis/sites.hpp"
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

const char* kCsvSuffixes[] = {"", "_sites", "_uses", "_receptors", "_progress", "_uncontrolled"};

std::vector<std::string> table_paths(const SitesOutputs& o) {
    if (o.table.empty()) return {};
    if (lower_ext(o.table) != ".csv") return {o.table};
    std::vector<std::string> out;
    for (const char* s : kCsvSuffixes)
        out.push_back(sibling(o.table, s));
    return out;
}

geos::GeomPtr segment(double x0, double y0, double x1, double y1) {
    const auto ctx = geos::ctx();
    GEOSCoordSequence* cs = GEOSCoordSeq_create_r(ctx, 2, 2);
    GEOSCoordSeq_setXY_r(ctx, cs, 0, x0, y0);
    GEOSCoordSeq_setXY_r(ctx, cs, 1, x1, y1);
    return geos::check(GEOSGeom_createLineString_r(ctx, cs), "line");
}

} // namespace

void check_sites_outputs(const SitesOutputs& o) {
    if (!io::is_postgis(o.gpkg) && lower_ext(o.gpkg) != ".gpkg")
        throw UsageError("--out: '" + o.gpkg +
                         "' must be a GeoPackage (.gpkg) or a PostGIS connection (PG:…)");
    if (!o.table.empty() && lower_ext(o.table) != ".csv" && lower_ext(o.table) != ".xlsx")
        throw UsageError("--table: '" + o.table + "' must end in .csv or .xlsx");
    io::check_vector_output(o.gpkg,
                            {"sites", "site_conflicts", "site_uses", "site_receptors",
                             "site_progress", "site_uncontrolled"},
                            o.overwrite);
    if (o.overwrite) return;
    for (const auto& p : table_paths(o))
        if (fs::exists(p)) throw OutputExistsError("'" + p + "' exists");
}

std::vector<std::string> write_sites_outputs(const SitesResult& r, const io::Layer& sites,
                                             const io::Layer* receptors,
                                             const SitesOptions& options, const SitesOutputs& o) {
    (void)receptors;
    std::vector<std::string> written, sidecars;
    const io::Table all = sites_table(r);
    const io::Table conflicts = conflicts_table(r);
    const io::Table uses = uses_table(r);
    const io::Table recs = receptors_table(r, options.compass_points);
    const io::Table progress = progress_table(r, options.target);
    const io::Table open = uncontrolled_table(r);
    {
        io::GpkgWriter w(o.gpkg, o.overwrite);
        w.set_styles(o.styles);
        std::vector<const geos::Geom*> g;
        for (std::uint32_t i : r.ranking)
            g.push_back(sites.features[r.sites[i].feature].geom.get());
        w.add_layer(all.name, io::OutputGeometry::multipolygon, sites.crs, all, g);
        g.clear();
        for (std::uint32_t i : r.ranking)
            if (r.sites[i].severity != Severity::none) g.push_back(r.sites[i].sensitive_geom.get());
        w.add_layer(conflicts.name, io::OutputGeometry::multipolygon, sites.crs, conflicts, g);
        g.clear();
        for (const auto& u : r.uses)
            g.push_back(u.geom.get());
        w.add_layer(uses.name, io::OutputGeometry::multipolygon, sites.crs, uses, g);
        std::vector<geos::GeomPtr> lines;
        g.clear();
        for (const auto& x : r.receptors) {
            lines.push_back(x.distance_m > 0 ? segment(x.x0, x.y0, x.x1, x.y1) : geos::GeomPtr());
            g.push_back(lines.back().get());
        }
        w.add_layer(recs.name, io::OutputGeometry::line, sites.crs, recs, g);
        for (const io::Table* t : {&progress, &open})
            w.add_layer(t->name, io::OutputGeometry::none, sites.crs, *t, {});
        w.add_metadata(o.about);
        w.finish();
        written.push_back(o.gpkg);
        sidecars = w.sidecars();
    }
    if (o.table.empty()) {
        written.insert(written.end(), sidecars.begin(), sidecars.end());
        return written;
    }
    const auto paths = table_paths(o);
    const std::vector<const io::Table*> tables = {&conflicts, &all, &uses, &recs, &progress, &open};
    if (lower_ext(o.table) == ".csv") {
        for (std::size_t i = 0; i < tables.size(); ++i)
            io::write_csv(*tables[i], paths[i], o.overwrite);
    } else {
        io::write_xlsx(tables, o.table, options.lang, o.overwrite, o.about);
    }
    written.insert(written.end(), paths.begin(), paths.end());
    written.insert(written.end(), sidecars.begin(), sidecars.end());
    return written;
}

std::vector<std::pair<std::string, std::string>>
sites_about(const SitesOptions& options, const LanduseCodeTable& table, const io::Layer& sites,
            const io::Layer& plan, const io::Layer* receptors, const std::string& command_line) {
    std::string d;
    for (double x : options.receptor_distances) {
        if (!d.empty()) d += ',';
        d += io::Layer::text(io::Value(x));
    }
    std::string codes;
    for (const auto& c : table.codes) {
        if (!codes.empty()) codes += ',';
        codes += c.code;
    }
    std::vector<std::pair<std::string, std::string>> a = {
        {"tool", "soilrisk " SOILRISK_VERSION " sites"},
        {"command_line", command_line},
        {"sites", sites.source + " (layer " + sites.name + ")"},
        {"plan", plan.source + " (layer " + plan.name + ")"},
        {"working_crs", sites.crs.label() + " (" + sites.crs.name() + ")"},
        {"landuse_table", table.file + ": " + table.name},
        {"landuse_classification", table.source},
        {"sensitive_codes", codes + " (prefix match; 一住两公)"},
        {"severity", "prohibited: on the priority list or remediation register (名录) and "
                     "planned for 一住两公 (土壤污染防治法 第五十八条); survey_required: no survey "
                     "and planned for 一住两公 (第五十九条); remediated plots: none"},
        {"area", options.area == AreaMode::planar
                     ? "planar, in the working CRS"
                     : "ellipsoidal (geodesic, Karney 2013, J. Geodesy 87:43-55)"},
        {"target",
         io::Layer::text(io::Value(100 * options.target)) + " % of plots under risk control"},
        {"units", "m2; 1 mu = 10000/15 m2; 1 ha = 10000 m2"},
    };
    if (receptors) {
        a.push_back({"receptors", receptors->source + " (layer " + receptors->name + ")"});
        a.push_back({"receptor_distances_m", d});
        a.push_back({"direction", "grid bearing from the plot centroid to the receptor's nearest "
                                  "point, " +
                                      std::to_string(options.compass_points) + " compass points"});
    }
    return a;
}

} // namespace soilrisk::analysis
