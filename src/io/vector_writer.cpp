// Result layers in a GeoPackage through OGR, written under a temporary name.
#include "soilrisk/io/vector_writer.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <cpl_error.h>
#include <gdal_priv.h>
#include <geos_c.h>
#include <mutex>
#include <ogr_geometry.h>
#include <ogrsf_frmts.h>
#include <stdexcept>

#include "soilrisk/core/error.hpp"
#include "soilrisk/core/geos.hpp"
#include "soilrisk/io/output.hpp"

namespace soilrisk::io {

namespace {

constexpr const char* k_styles_table = "layer_styles";
constexpr const char* k_about_table = "soilrisk_about";

void register_drivers() {
    static std::once_flag once;
    std::call_once(once, [] { GDALAllRegister(); });
}

/// GDAL reports through CPLError; the library reports through exceptions, so GDAL's own
/// printing is silenced while the writer works and its last message goes into ours.
class QuietGdal {
  public:
    QuietGdal() {
        CPLPushErrorHandler(CPLQuietErrorHandler);
        CPLErrorReset();
    }
    ~QuietGdal() { CPLPopErrorHandler(); }
    QuietGdal(const QuietGdal&) = delete;
    QuietGdal& operator=(const QuietGdal&) = delete;
};

std::string gdal_message() {
    const char* msg = CPLGetLastErrorMsg();
    return msg && *msg ? std::string(": ") + msg : std::string();
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

OGRwkbGeometryType ogr_type(OutputGeometry type) {
    switch (type) {
    case OutputGeometry::point:
        return wkbPoint;
    case OutputGeometry::line:
        return wkbLineString;
    case OutputGeometry::polygon:
        return wkbPolygon;
    case OutputGeometry::multipolygon:
        return wkbMultiPolygon;
    case OutputGeometry::multiline:
        return wkbMultiLineString;
    case OutputGeometry::none:
        return wkbNone;
    }
    return wkbUnknown;
}

/// Widest type over a column's non-null values: integer < real < string (all null: string).
OGRFieldType field_type(const Table& table, std::size_t column) {
    bool any_int = false, any_real = false;
    for (const auto& row : table.rows) {
        const Value& v = row[column];
        if (std::holds_alternative<std::string>(v)) return OFTString;
        any_int = any_int || std::holds_alternative<std::int64_t>(v);
        any_real = any_real || std::holds_alternative<double>(v);
    }
    if (any_real) return OFTReal;
    if (any_int) return OFTInteger64;
    return OFTString;
}

/// Number as text for a string column holding mixed values.
std::string value_text(const Value& v) {
    if (const auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
    if (const auto* d = std::get_if<double>(&v)) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.17g", *d);
        return buf;
    }
    if (const auto* s = std::get_if<std::string>(&v)) return *s;
    return "";
}

void set_field(OGRFeature& f, int i, OGRFieldType type, const Value& v) {
    if (std::holds_alternative<std::monostate>(v)) {
        f.SetFieldNull(i);
    } else if (type == OFTInteger64) {
        f.SetField(i, static_cast<GIntBig>(std::get<std::int64_t>(v)));
    } else if (type == OFTReal) {
        f.SetField(i, std::holds_alternative<double>(v)
                          ? std::get<double>(v)
                          : static_cast<double>(std::get<std::int64_t>(v)));
    } else {
        f.SetField(i, value_text(v).c_str());
    }
}

struct WkbWriterDeleter {
    void operator()(GEOSWKBWriter* w) const noexcept { GEOSWKBWriter_destroy_r(geos::ctx(), w); }
};

/// GEOS -> OGR through WKB (2D), promoted to the layer's type (polygon -> multipolygon).
OGRGeometryUniquePtr to_ogr(GEOSWKBWriter* writer, const GEOSGeom_t* g, OGRwkbGeometryType type,
                            const std::string& where) {
    if (GEOSisEmpty_r(geos::ctx(), g) == 1) return nullptr;
    std::size_t size = 0;
    unsigned char* wkb = GEOSWKBWriter_write_r(geos::ctx(), writer, g, &size);
    if (!wkb)
        throw DataError(where + ": geometry cannot be encoded: " + std::string(geos::last_error()));
    OGRGeometry* raw = nullptr;
    const OGRErr err = OGRGeometryFactory::createFromWkb(wkb, nullptr, &raw, size);
    GEOSFree_r(geos::ctx(), wkb);
    if (err != OGRERR_NONE || !raw) throw DataError(where + ": geometry cannot be converted");
    OGRGeometryUniquePtr geom(raw);
    const OGRwkbGeometryType have = wkbFlatten(geom->getGeometryType());
    // Only lossless conversions: a part into a multi, a one-part multi into its part.
    // (OGR's forceTo would fold the parts of a multipolygon into one invalid polygon.)
    const bool promote = OGR_GT_GetCollection(have) == type;
    const bool demote =
        OGR_GT_GetCollection(type) == have && geom->toGeometryCollection()->getNumGeometries() == 1;
    if (have != type && !promote && !demote)
        throw DataError(where + ": a " + OGRGeometryTypeToName(have) + " does not fit a " +
                        OGRGeometryTypeToName(type) + " layer");
    if (have != type) geom.reset(OGRGeometryFactory::forceTo(geom.release(), type));
    return geom;
}


/// The layer_styles table with QGIS's schema (QgsOgrProviderMetadata::saveStyle).
OGRLayer& styles_table(GDALDataset& ds, const std::string& where) {
    if (OGRLayer* l = ds.GetLayerByName(k_styles_table)) return *l;
    const char* options[] = {"FID=id", nullptr};
    OGRLayer* l = ds.CreateLayer(k_styles_table, nullptr, wkbNone, const_cast<char**>(options));
    if (!l) throw IoError("cannot create layer_styles in '" + where + "'" + gdal_message());
    auto field = [&](const char* name, OGRFieldType type, int width = 0,
                     OGRFieldSubType sub = OFSTNone, const char* def = nullptr) {
        OGRFieldDefn d(name, type);
        if (width > 0) d.SetWidth(width);
        d.SetSubType(sub);
        if (def) d.SetDefault(def);
        if (l->CreateField(&d) != OGRERR_NONE)
            throw IoError("cannot create field '" + std::string(name) + "' in layer_styles of '" +
                          where + "'" + gdal_message());
    };
    field("f_table_catalog", OFTString, 256);
    field("f_table_schema", OFTString, 256);
    field("f_table_name", OFTString, 256);
    field("f_geometry_column", OFTString, 256);
    field("styleName", OFTString, 30);
    field("styleQML", OFTString);
    field("styleSLD", OFTString);
    field("useAsDefault", OFTInteger, 0, OFSTBoolean);
    field("description", OFTString);
    field("owner", OFTString, 30);
    field("ui", OFTString, 30);
    field("update_time", OFTDateTime, 0, OFSTNone, "CURRENT_TIMESTAMP");
    return *l;
}

} // namespace

void write_layer_style(GDALDataset& ds, const std::string& layer_name, const LayerStyleDocs& style,
                       const std::string& where) {
    OGRLayer* target = ds.GetLayerByName(layer_name.c_str());
    if (!target)
        throw std::logic_error("GeoPackage '" + where + "' has no layer '" + layer_name + "'");
    const std::string geom_column = target->GetGeometryColumn();
    OGRLayer& styles = styles_table(ds, where);

    // One default per layer, as QGIS keeps it: the newest style wins.
    std::string quoted = layer_name;
    for (std::size_t i = quoted.find('\''); i != std::string::npos; i = quoted.find('\'', i + 2))
        quoted.insert(i, 1, '\'');
    const std::string filter = "useAsDefault = 1 AND f_table_name = '" + quoted + "'";
    styles.SetAttributeFilter(filter.c_str());
    styles.ResetReading();
    std::vector<OGRFeatureUniquePtr> old_defaults;
    while (OGRFeature* f = styles.GetNextFeature())
        old_defaults.emplace_back(f);
    styles.SetAttributeFilter(nullptr);
    for (auto& f : old_defaults) {
        f->SetField("useAsDefault", 0);
        if (styles.SetFeature(f.get()) != OGRERR_NONE)
            throw IoError("cannot update layer_styles in '" + where + "'" + gdal_message());
    }

    OGRFeatureUniquePtr f(OGRFeature::CreateFeature(styles.GetLayerDefn()));
    // QGIS looks styles up with f_table_schema = '' (not NULL) and the geometry column.
    f->SetField("f_table_catalog", "");
    f->SetField("f_table_schema", "");
    f->SetField("f_table_name", layer_name.c_str());
    f->SetField("f_geometry_column", geom_column.c_str());
    f->SetField("styleName", layer_name.c_str());
    f->SetField("styleQML", style.qml.c_str());
    f->SetField("styleSLD", style.sld.c_str());
    f->SetField("useAsDefault", 1);
    f->SetField("description", "soilrisk " SOILRISK_VERSION);
    f->SetField("owner", "");
    if (styles.CreateFeature(f.get()) != OGRERR_NONE)
        throw IoError("cannot write a style to layer_styles of '" + where + "'" + gdal_message());
}

std::string sld_sidecar_path(const std::string& gpkg, const std::string& layer) {
    const std::filesystem::path p(gpkg);
    return (p.parent_path() / (p.stem().string() + "_" + layer + ".sld")).string();
}

void check_sld_sidecars(const std::string& gpkg,
                        const std::vector<std::pair<std::string, LayerStyleDocs>>& styles,
                        bool overwrite) {
    if (overwrite) return;
    for (const auto& [layer, docs] : styles) {
        const std::string p = sld_sidecar_path(gpkg, layer);
        if (std::filesystem::exists(p)) throw OutputExistsError("'" + p + "' exists");
    }
}

std::vector<std::string>
write_sld_sidecars(const std::string& gpkg,
                   const std::vector<std::pair<std::string, LayerStyleDocs>>& styles,
                   bool overwrite) {
    std::vector<std::string> written;
    for (const auto& [layer, docs] : styles) {
        if (docs.sld.empty()) continue;
        written.push_back(sld_sidecar_path(gpkg, layer));
        write_text_file(docs.sld, written.back(), overwrite);
    }
    return written;
}

namespace {

} // namespace

struct GpkgWriter::Impl {
    AtomicOutput out;
    GDALDatasetUniquePtr ds; // declared after `out`: closed before the temporary is removed
    bool finished = false;
    bool failed = false; ///< a write failed midway: the file is incomplete, only discard it
    bool overwrite = false;
    OutputStyles styles;
    std::vector<std::pair<std::string, LayerStyleDocs>> styled; ///< for the SLD sidecars
    std::vector<std::string> sidecars;

    Impl(std::string path, bool overwrite_)
        : out(std::move(path), overwrite_), overwrite(overwrite_) {}

    OGRLayer& layer(const std::string& name) {
        OGRLayer* l = ds->GetLayerByName(name.c_str());
        if (!l)
            throw std::logic_error("GeoPackage '" + out.final_path() + "' has no layer '" + name +
                                   "'");
        return *l;
    }

    void require_open(const char* what) const {
        if (finished)
            throw std::logic_error(std::string("GpkgWriter::") + what + " after finish() for " +
                                   out.final_path());
        if (failed)
            throw std::logic_error(std::string("GpkgWriter::") + what +
                                   " after a failed write to " + out.final_path());
    }

    /// Runs a write; if it throws, the writer is marked failed (a layer may be half
    /// written, a transaction open) and only destruction remains.
    template <class F> void write(F&& body) {
        try {
            QuietGdal quiet;
            body();
        } catch (...) {
            failed = true;
            throw;
        }
    }

    void create_field(OGRLayer& l, const char* name, OGRFieldType type, int width = 0) {
        OGRFieldDefn def(name, type);
        if (width > 0) def.SetWidth(width);
        if (l.CreateField(&def) != OGRERR_NONE)
            throw IoError("cannot create field '" + std::string(name) + "' in layer '" +
                          l.GetName() + "' of '" + out.final_path() + "'" + gdal_message());
    }

    void insert(OGRLayer& l, OGRFeature& f) {
        if (l.CreateFeature(&f) != OGRERR_NONE)
            throw IoError("cannot write a feature to layer '" + std::string(l.GetName()) +
                          "' of '" + out.final_path() + "'" + gdal_message());
    }

    OGRLayer& create_layer(const std::string& name, const OGRSpatialReference* srs,
                           OGRwkbGeometryType type, std::vector<const char*> options) {
        options.push_back(nullptr);
        std::unique_ptr<OGRSpatialReference, void (*)(OGRSpatialReference*)> copy(
            srs ? srs->Clone() : nullptr, [](OGRSpatialReference* s) {
                if (s) s->Release();
            });
        OGRLayer* l =
            ds->CreateLayer(name.c_str(), copy.get(), type, const_cast<char**>(options.data()));
        if (!l)
            throw IoError("cannot create layer '" + name + "' in '" + out.final_path() + "'" +
                          gdal_message());
        return *l;
    }

    void write_layer(const std::string& name, OutputGeometry type, const Crs& crs,
                     const Table& table, const std::vector<const GEOSGeom_t*>& geometries) {
        const bool spatial = type != OutputGeometry::none;
        const OGRwkbGeometryType gtype = ogr_type(type);
        std::vector<const char*> options;
        if (spatial) options = {"GEOMETRY_NAME=geom", "SPATIAL_INDEX=YES"};
        OGRLayer& layer = create_layer(name, spatial ? crs.ogr() : nullptr, gtype, options);

        std::vector<OGRFieldType> types;
        for (std::size_t c = 0; c < table.columns.size(); ++c) {
            types.push_back(field_type(table, c));
            create_field(layer, table.columns[c].name.c_str(), types.back());
        }

        std::unique_ptr<GEOSWKBWriter, WkbWriterDeleter> wkb(GEOSWKBWriter_create_r(geos::ctx()));
        GEOSWKBWriter_setOutputDimension_r(geos::ctx(), wkb.get(), 2);

        if (ds->StartTransaction() != OGRERR_NONE)
            throw IoError("cannot write to '" + out.final_path() + "'" + gdal_message());
        OGRFeatureDefn* defn = layer.GetLayerDefn();
        for (std::size_t r = 0; r < table.rows.size(); ++r) {
            OGRFeatureUniquePtr f(OGRFeature::CreateFeature(defn));
            for (std::size_t c = 0; c < types.size(); ++c)
                set_field(*f, static_cast<int>(c), types[c], table.rows[r][c]);
            if (spatial && geometries[r]) {
                const std::string where = "layer '" + name + "' of '" + out.final_path() +
                                          "', row " + std::to_string(r + 1);
                if (OGRGeometryUniquePtr g = to_ogr(wkb.get(), geometries[r], gtype, where))
                    f->SetGeometryDirectly(g.release());
            }
            insert(layer, *f);
        }
        if (ds->CommitTransaction() != OGRERR_NONE)
            throw IoError("cannot write layer '" + name + "' to '" + out.final_path() + "'" +
                          gdal_message());
    }

    void write_metadata(const std::vector<std::pair<std::string, std::string>>& about) {
        OGRLayer* table = ds->GetLayerByName(k_about_table);
        if (!table) {
            table = &create_layer(k_about_table, nullptr, wkbNone, {});
            create_field(*table, "key", OFTString);
            create_field(*table, "value", OFTString);
        }
        for (const auto& [key, value] : about) {
            OGRFeatureUniquePtr f(OGRFeature::CreateFeature(table->GetLayerDefn()));
            f->SetField("key", key.c_str());
            f->SetField("value", value.c_str());
            insert(*table, *f);
            // GDAL metadata items are "key=value" lists: a '=' in the key would split it.
            std::string md_key = key;
            std::replace(md_key.begin(), md_key.end(), '=', '_');
            ds->SetMetadataItem(md_key.c_str(), value.c_str());
        }
    }
};

GpkgWriter::GpkgWriter(std::string path, bool overwrite) {
    register_drivers();
    const auto dot = path.rfind('.');
    if (dot == std::string::npos || lower(path.substr(dot)) != ".gpkg")
        throw UsageError("output '" + path + "': vector results are written as GeoPackage; " +
                         "use a .gpkg file name");
    impl_ = std::make_unique<Impl>(std::move(path), overwrite);
    QuietGdal quiet;
    GDALDriver* driver = GetGDALDriverManager()->GetDriverByName("GPKG");
    if (!driver) throw IoError("the GDAL GeoPackage driver is not available");
    impl_->ds.reset(driver->Create(impl_->out.temp_path().c_str(), 0, 0, 0, GDT_Unknown, nullptr));
    if (!impl_->ds)
        throw IoError("cannot create GeoPackage '" + impl_->out.final_path() + "'" +
                      gdal_message());
}

GpkgWriter::~GpkgWriter() = default;

const std::string& GpkgWriter::path() const {
    return impl_->out.final_path();
}

void GpkgWriter::add_layer(const std::string& name, OutputGeometry type, const Crs& crs,
                           const Table& table, const std::vector<const GEOSGeom_t*>& geometries) {
    impl_->require_open("add_layer");
    if (name.empty()) throw std::logic_error("GpkgWriter::add_layer: empty layer name");
    if (name == k_styles_table || name == k_about_table)
        throw std::logic_error("GpkgWriter::add_layer: layer name '" + name + "' is reserved");
    if (impl_->ds->GetLayerByName(name.c_str()))
        throw std::logic_error("GpkgWriter::add_layer: layer '" + name + "' written twice to " +
                               impl_->out.final_path());
    const bool spatial = type != OutputGeometry::none;
    if (spatial && geometries.size() != table.rows.size())
        throw std::logic_error("GpkgWriter::add_layer('" + name +
                               "'): " + std::to_string(geometries.size()) + " geometries for " +
                               std::to_string(table.rows.size()) + " rows");
    for (const auto& row : table.rows)
        if (row.size() != table.columns.size())
            throw std::logic_error("GpkgWriter::add_layer('" + name + "'): a row of " +
                                   std::to_string(row.size()) + " values for " +
                                   std::to_string(table.columns.size()) + " columns");

    impl_->write([&] { impl_->write_layer(name, type, crs, table, geometries); });
    if (!spatial || !impl_->styles.styler) return;
    std::vector<std::string> fields;
    for (const auto& c : table.columns)
        fields.push_back(c.name);
    const GeometryKind kind = type == OutputGeometry::point ? GeometryKind::point
                              : type == OutputGeometry::line || type == OutputGeometry::multiline
                                  ? GeometryKind::line
                                  : GeometryKind::polygon;
    if (auto docs = impl_->styles.style(name, kind, fields)) add_style(name, docs->qml, docs->sld);
}

void GpkgWriter::set_styles(OutputStyles styles) {
    impl_->styles = std::move(styles);
}

const std::vector<std::string>& GpkgWriter::sidecars() const {
    return impl_->sidecars;
}

void GpkgWriter::add_style(const std::string& layer_name, const std::string& qml,
                           const std::string& sld) {
    impl_->require_open("add_style");
    impl_->layer(layer_name);
    impl_->write([&] { write_layer_style(*impl_->ds, layer_name, {qml, sld}, impl_->out.final_path()); });
    if (impl_->styles.sld_sidecars && !sld.empty()) {
        auto& st = impl_->styled;
        std::erase_if(st, [&](const auto& e) { return e.first == layer_name; });
        st.emplace_back(layer_name, LayerStyleDocs{qml, sld});
    }
}

void GpkgWriter::add_metadata(const std::vector<std::pair<std::string, std::string>>& about) {
    impl_->require_open("add_metadata");
    impl_->write([&] { impl_->write_metadata(about); });
}

void GpkgWriter::finish() {
    impl_->require_open("finish");
    impl_->finished = true;
    {
        QuietGdal quiet;
        // GDALClose reports failures (e.g. the disk filling up while flushing) only through
        // CPLError.
        impl_->ds.reset();
        if (CPLGetLastErrorType() == CE_Failure || CPLGetLastErrorType() == CE_Fatal)
            throw IoError("cannot finish GeoPackage '" + impl_->out.final_path() + "'" +
                          gdal_message());
    }
    const bool sidecars = impl_->styles.sld_sidecars && !impl_->styled.empty();
    if (sidecars) check_sld_sidecars(impl_->out.final_path(), impl_->styled, impl_->overwrite);
    impl_->out.commit();
    if (sidecars)
        impl_->sidecars =
            write_sld_sidecars(impl_->out.final_path(), impl_->styled, impl_->overwrite);
}

} // namespace soilrisk::io
