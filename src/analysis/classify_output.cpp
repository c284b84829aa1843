// Writing the classification: GeoPackage layers and tables, XLSX workbook, CSV files.
#include <filesystem>

#include "soilrisk/analysis/classify.hpp"
#include "soilrisk/core/error.hpp"
#include "soilrisk/io/vector_writer.hpp"

namespace fs = std::filesystem;

namespace soilrisk::analysis {

std::vector<std::string> write_classify_outputs(const ClassifyResult& r, const std::string& gpkg,
                                                const std::string& xlsx, const std::string& csv_dir,
                                                io::Lang lang, bool overwrite,
                                                const io::OutputStyles& styles) {
    std::vector<std::string> sidecars;
    std::vector<const io::Table*> tables = {&r.change_matrix, &r.changed, &r.weak_evidence};
    if (!r.safe_utilisation.columns.empty()) tables.push_back(&r.safe_utilisation);
    if (!gpkg.empty()) {
        io::GpkgWriter w(gpkg, overwrite);
        w.set_styles(styles);
        w.add_layer("parcels", io::OutputGeometry::multipolygon, r.crs, r.parcels, r.parcel_geoms);
        w.add_layer("samples", io::OutputGeometry::point, r.crs, r.samples, r.sample_geoms);
        if (!r.crops.columns.empty())
            w.add_layer("crops", io::OutputGeometry::point, r.crs, r.crops, r.crop_geoms);
        if (!r.units.columns.empty()) {
            std::vector<const GEOSGeom_t*> g;
            for (const auto& u : r.unit_geoms)
                g.push_back(u.get());
            w.add_layer("units", io::OutputGeometry::multipolygon, r.crs, r.units, g);
        }
        for (const io::Table* t : tables)
            w.add_layer(t->name, io::OutputGeometry::none, r.crs, *t, {});
        w.add_metadata(r.about);
        w.finish();
        sidecars = w.sidecars();
    }
    if (!xlsx.empty()) {
        std::vector<const io::Table*> sheets = tables;
        sheets.push_back(&r.parcels);
        sheets.push_back(&r.samples);
        if (!r.crops.columns.empty()) sheets.push_back(&r.crops);
        io::write_xlsx(sheets, xlsx, lang, overwrite, r.about);
    }
    if (!csv_dir.empty()) {
        std::error_code ec;
        fs::create_directories(csv_dir, ec);
        if (ec) throw IoError(csv_dir + ": cannot create the CSV folder (" + ec.message() + ")");
        std::vector<const io::Table*> all = tables;
        all.push_back(&r.parcels);
        all.push_back(&r.samples);
        if (!r.crops.columns.empty()) all.push_back(&r.crops);
        for (const io::Table* t : all)
            io::write_csv(*t, (fs::path(csv_dir) / (t->name + ".csv")).string(), overwrite);
    }
    return sidecars;
}

} // namespace soilrisk::analysis
