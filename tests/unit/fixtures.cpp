#include "fixtures.hpp"

#include <atomic>
#include <fstream>
#include <gdal_priv.h>
#include <ogrsf_frmts.h>
#include <sstream>
#include <stdexcept>
#include <unistd.h>

#include "soilrisk/core/crs.hpp"
#include "soilrisk/core/geos.hpp"

namespace soilrisk::test {

namespace fs = std::filesystem;

TempDir::TempDir() {
    static std::atomic<int> counter{0};
    path_ = fs::current_path() /
            ("tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(path_);
    fs::create_directories(path_);
}

TempDir::~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
}

namespace {

void fill_layer(GDALDataset* ds, const FixtureLayer& spec, char** layer_options) {
    OGRSpatialReference* srs = nullptr;
    if (spec.epsg) {
        srs = new OGRSpatialReference();
        srs->importFromEPSG(spec.epsg);
        srs->SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    }
    OGRwkbGeometryType type = wkbUnknown;
    if (!spec.features.empty()) {
        OGRGeometry* g = nullptr;
        OGRGeometryFactory::createFromWkt(spec.features[0].wkt.c_str(), nullptr, &g);
        if (g) {
            type = wkbFlatten(g->getGeometryType());
            if (type == wkbPolygon) type = wkbMultiPolygon; // shapefiles mix both
            delete g;
        }
    }
    OGRLayer* layer = ds->CreateLayer(spec.name.c_str(), srs, type, layer_options);
    if (srs) srs->Release();
    if (!layer) throw std::runtime_error("fixture: cannot create layer " + spec.name);
    for (const auto& f : spec.fields) {
        OGRFieldDefn fd(f.name.c_str(), f.type == FixtureField::integer ? OFTInteger64
                                        : f.type == FixtureField::real  ? OFTReal
                                                                        : OFTString);
        layer->CreateField(&fd);
    }
    for (const auto& feat : spec.features) {
        OGRFeature f(layer->GetLayerDefn());
        OGRGeometry* g = nullptr;
        if (!feat.wkt.empty()) {
            if (OGRGeometryFactory::createFromWkt(feat.wkt.c_str(), nullptr, &g) != OGRERR_NONE)
                throw std::runtime_error("fixture: bad WKT " + feat.wkt);
            if (type == wkbMultiPolygon && wkbFlatten(g->getGeometryType()) == wkbPolygon)
                g = OGRGeometryFactory::forceToMultiPolygon(g);
            f.SetGeometryDirectly(g);
        }
        for (std::size_t i = 0; i < feat.attrs.size(); ++i) {
            const auto& a = feat.attrs[i];
            if (std::holds_alternative<long long>(a))
                f.SetField(static_cast<int>(i), static_cast<GIntBig>(std::get<long long>(a)));
            else if (std::holds_alternative<double>(a))
                f.SetField(static_cast<int>(i), std::get<double>(a));
            else if (std::holds_alternative<std::string>(a))
                f.SetField(static_cast<int>(i), std::get<std::string>(a).c_str());
        }
        if (layer->CreateFeature(&f) != OGRERR_NONE)
            throw std::runtime_error("fixture: cannot write a feature of " + spec.name);
    }
}

} // namespace

void write_layers(const std::string& path, const std::string& driver_name,
                  const std::vector<FixtureLayer>& layers) {
    GDALAllRegister();
    GDALDriver* driver = GetGDALDriverManager()->GetDriverByName(driver_name.c_str());
    if (!driver) throw std::runtime_error("fixture: no driver " + driver_name);
    GDALDataset* ds = driver->Create(path.c_str(), 0, 0, 0, GDT_Unknown, nullptr);
    if (!ds) throw std::runtime_error("fixture: cannot create " + path);
    for (const auto& l : layers)
        fill_layer(ds, l, nullptr);
    GDALClose(ds);
}

void write_shapefile(const std::string& path, const FixtureLayer& layer,
                     const std::string& encoding, const std::string& cpg, int ldid) {
    GDALAllRegister();
    GDALDriver* driver = GetGDALDriverManager()->GetDriverByName("ESRI Shapefile");
    GDALDataset* ds = driver->Create(path.c_str(), 0, 0, 0, GDT_Unknown, nullptr);
    if (!ds) throw std::runtime_error("fixture: cannot create " + path);
    const std::string enc = "ENCODING=" + encoding;
    char* options[] = {const_cast<char*>(enc.c_str()), nullptr};
    fill_layer(ds, layer, options);
    GDALClose(ds);
    fs::path cpg_path = fs::path(path).replace_extension(".cpg");
    fs::remove(cpg_path);
    if (!cpg.empty()) spit(cpg_path.string(), cpg);
    const std::string dbf = fs::path(path).replace_extension(".dbf").string();
    std::string bytes = slurp(dbf);
    bytes[29] = static_cast<char>(ldid);
    spit(dbf, bytes);
}

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void spit(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << bytes;
}

io::Layer
memory_layer(const std::string& name, io::GeometryKind kind, const std::vector<std::string>& fields,
             const std::vector<std::pair<std::string, std::vector<io::Value>>>& features) {
    io::Layer l;
    l.source = name + ".gpkg";
    l.name = name;
    l.role = name;
    l.crs = Crs::from_epsg(4545);
    l.native_crs = l.crs;
    l.kind = kind;
    for (const auto& f : fields)
        l.fields.push_back({f, io::FieldType::string});
    std::int64_t fid = 1;
    for (const auto& [wkt, values] : features) {
        if (values.size() != fields.size())
            throw std::logic_error("memory_layer " + name + ": feature " + std::to_string(fid) +
                                   " has " + std::to_string(values.size()) + " values for " +
                                   std::to_string(fields.size()) + " fields");
        io::Feature f;
        f.fid = fid++;
        f.geom = geos::from_wkt(wkt);
        f.values = values;
        l.features.push_back(std::move(f));
    }
    return l;
}

} // namespace soilrisk::test
