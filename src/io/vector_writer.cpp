// Result layers in a GeoPackage through OGR, written under a temporary name.
#include "soilrisk/io/vector_writer.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cpl_error.h>
#include <filesystem>
#include <gdal_priv.h>
#include <geos_c.h>
#include <map>
#include <mutex>
#include <ogr_geometry.h>
#include <ogrsf_frmts.h>
#include <optional>
#include <stdexcept>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include "gpkg_bulk.hpp"
#include "io/gdal_util.hpp"
#include "soilrisk/core/error.hpp"
#include "soilrisk/core/geos.hpp"
#include "soilrisk/core/log.hpp"
#include "soilrisk/core/text.hpp"
#include "soilrisk/io/output.hpp"
#include "sql_quote.hpp"

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

/// GDAL's last message on one line, without passwords (PostgreSQL's span lines).
std::string one_line_message() {
    const char* msg = CPLGetLastErrorMsg();
    return msg && *msg ? ": " + one_line(redact_password(msg)) : std::string();
}

using detail::quote_ident;
using detail::quote_literal;

/// Value of `key` in a libpq key=value connection string (value unquoted), and the
/// string without that pair.
std::pair<std::string, std::string> take_conn_key(const std::string& conn, const std::string& key) {
    std::size_t pos = 0;
    while (pos < conn.size()) {
        while (pos < conn.size() && std::isspace(static_cast<unsigned char>(conn[pos])))
            ++pos;
        const std::size_t start = pos;
        while (pos < conn.size() && conn[pos] != '=' &&
               !std::isspace(static_cast<unsigned char>(conn[pos])))
            ++pos;
        std::size_t key_start = start;
        std::string k = conn.substr(start, pos - start);
        if (ascii_lower(k).rfind("pg:", 0) == 0) { // "PG:key=value …": the first pair
            k = k.substr(3);
            key_start += 3;
        }
        while (pos < conn.size() && conn[pos] == ' ')
            ++pos;
        if (pos >= conn.size() || conn[pos] != '=') continue;
        ++pos;
        while (pos < conn.size() && conn[pos] == ' ')
            ++pos;
        std::string value;
        if (pos < conn.size() && conn[pos] == '\'') {
            ++pos;
            while (pos < conn.size() && conn[pos] != '\'') {
                if (conn[pos] == '\\' && pos + 1 < conn.size()) ++pos;
                value += conn[pos++];
            }
            ++pos;
        } else {
            while (pos < conn.size() && !std::isspace(static_cast<unsigned char>(conn[pos])))
                value += conn[pos++];
        }
        if (ascii_lower(k) == key) {
            std::string rest = conn.substr(0, key_start) + conn.substr(std::min(pos, conn.size()));
            while (!rest.empty() && rest.back() == ' ')
                rest.pop_back();
            return {value, rest};
        }
    }
    return {"", conn};
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

/// Widest type over a column's non-null values: integer < real < string (all null: real
/// for a column with decimals > 0, i.e. a real one, else string).
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
    return table.columns[column].decimals > 0 ? OFTReal : OFTString;
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

namespace {

/// The layer_styles row of `layer_name` (geometry column `geom_column`).
void write_style_row(GDALDataset& ds, const std::string& layer_name, const std::string& geom_column,
                     const LayerStyleDocs& style, const std::string& where) {
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

} // namespace

void write_layer_style(GDALDataset& ds, const std::string& layer_name, const LayerStyleDocs& style,
                       const std::string& where) {
    OGRLayer* target = ds.GetLayerByName(layer_name.c_str());
    if (!target)
        throw std::logic_error("GeoPackage '" + where + "' has no layer '" + layer_name + "'");
    write_style_row(ds, layer_name, target->GetGeometryColumn(), style, where);
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

namespace {} // namespace

struct GpkgWriter::Impl {
    std::string path;    ///< as given
    std::string display; ///< for messages (password redacted)
    bool overwrite = false;
    std::optional<AtomicOutput> out; ///< GeoPackage: the temporary file
    bool pg = false;                 ///< PostGIS: everything in one transaction
    std::string schema;              ///< PostGIS: the schema written to
    bool in_transaction = false;
    GDALDatasetUniquePtr ds; // declared after `out`: closed before the temporary is removed
    std::map<std::string, OGRLayer*> layers; ///< layers written, by name as given
    std::vector<std::pair<std::string, std::string>> pg_about;
    bool styles_failed = false; ///< PostGIS: styles could not be written (warned once)
    bool finished = false;
    bool failed = false; ///< a write failed midway: the file is incomplete, only discard it
    OutputStyles styles;
    std::vector<std::pair<std::string, LayerStyleDocs>> styled; ///< for the SLD sidecars
    std::vector<std::string> sidecars;
    std::vector<detail::BulkRows> bulk;     ///< GeoPackage: rows, inserted at the end
    std::vector<detail::RtreeLayer> rtrees; ///< GeoPackage: spatial indexes, packed at the end
    std::vector<detail::ViewDef> views;     ///< GeoPackage: views, created at the end

    Impl(std::string p, bool ow)
        : path(std::move(p)), display(redact_password(path)), overwrite(ow) {}
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;
    ~Impl() {
        // PostGIS: whatever was written is dropped with the transaction.
        if (pg && ds && in_transaction) {
            QuietGdal quiet;
            ds->RollbackTransaction();
        }
    }

    OGRLayer& layer(const std::string& name) {
        const auto it = layers.find(name);
        if (it == layers.end())
            throw std::logic_error("output '" + display + "' has no layer '" + name + "'");
        return *it->second;
    }

    /// "schema"."name" for SQL.
    std::string qualified(const std::string& name) const {
        return quote_ident(schema) + "." + quote_ident(name);
    }

    /// Runs an SQL statement on the PostGIS connection; throws IoError with GDAL's
    /// message on failure.
    void pg_exec(const std::string& sql, const std::string& what) {
        CPLErrorReset();
        OGRLayer* result = ds->ExecuteSQL(sql.c_str(), nullptr, nullptr);
        if (result) ds->ReleaseResultSet(result);
        if (CPLGetLastErrorType() == CE_Failure || CPLGetLastErrorType() == CE_Fatal)
            throw IoError("cannot " + what + " in '" + display + "'" + one_line_message());
    }

    /// First column of the first row of a query ("" when there is no row).
    std::string pg_value(const std::string& sql) {
        CPLErrorReset();
        OGRLayer* result = ds->ExecuteSQL(sql.c_str(), nullptr, nullptr);
        std::string value;
        if (result) {
            if (OGRFeatureUniquePtr f{result->GetNextFeature()})
                if (f->GetFieldCount() > 0 && f->IsFieldSetAndNotNull(0))
                    value = f->GetFieldAsString(0);
            ds->ReleaseResultSet(result);
        }
        if (CPLGetLastErrorType() == CE_Failure || CPLGetLastErrorType() == CE_Fatal)
            throw IoError("cannot query '" + display + "'" + one_line_message());
        return value;
    }

    /// Table kind of schema.name: "" (none), "r" (table), "v" (view), … (pg_class.relkind).
    std::string pg_relkind(const std::string& name) {
        return pg_value("SELECT c.relkind FROM pg_catalog.pg_class c JOIN "
                        "pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = " +
                        quote_literal(schema) + " AND c.relname = " + quote_literal(name));
    }

    /// Before a layer is created in PostGIS: an existing table is an error without
    /// overwrite, else dropped (inside the transaction: restored if the run fails).
    void pg_make_room(const std::string& name) {
        const std::string kind = pg_relkind(name);
        if (kind.empty()) return;
        const std::string where = schema + "." + name;
        if (!overwrite) throw OutputExistsError("table " + where + " exists in '" + display + "'");
        if (kind != "r" && kind != "p")
            throw IoError(where + " in '" + display +
                          "' is not a table (a view?); drop or rename it, or write to "
                          "another schema");
        // The driver drops with CASCADE, which would take the user's views along.
        const std::string views = pg_value(
            "SELECT string_agg(DISTINCT vn.nspname || '.' || v.relname, ', ') FROM "
            "pg_catalog.pg_depend d JOIN pg_catalog.pg_rewrite r ON r.oid = d.objid JOIN "
            "pg_catalog.pg_class v ON v.oid = r.ev_class JOIN pg_catalog.pg_namespace vn ON "
            "vn.oid = v.relnamespace WHERE d.classid = 'pg_catalog.pg_rewrite'::regclass AND "
            "d.refobjid = " +
            quote_literal(qualified(name)) + "::regclass AND v.oid <> d.refobjid");
        if (!views.empty())
            throw IoError("cannot replace table " + where + " in '" + display +
                          "': views depend on it (" + views +
                          "); drop them first, or write to another schema");
        // Through the driver, which keeps a list of the tables it has seen.
        OGRLayer* old = ds->GetLayerByName(where.c_str());
        int index = -1;
        for (int i = 0; old && i < ds->GetLayerCount(); ++i)
            if (ds->GetLayer(i) == old) index = i;
        if (index < 0 || ds->DeleteLayer(index) != OGRERR_NONE)
            throw IoError("cannot replace table " + where + " in '" + display + "'" +
                          one_line_message());
    }

    /// The QGIS style of a layer in public.layer_styles, with QGIS's own schema (the one
    /// QGIS creates when it saves a style to PostgreSQL); QGIS applies the default style
    /// of a table when it opens it. Inside a savepoint: when the user may not write there
    /// (PostgreSQL 15 lets only the owner create tables in public), the results are
    /// written without styles and a warning says why.
    void pg_write_style(OGRLayer& target, const std::string& name, const std::string& qml,
                        const std::string& sld) {
        if (styles_failed) return;
        const std::string geom_column = target.GetGeometryColumn();
        const OGRwkbGeometryType g = wkbFlatten(target.GetGeomType());
        const char* type = g == wkbPoint || g == wkbMultiPoint             ? "Point"
                           : g == wkbLineString || g == wkbMultiLineString ? "Line"
                           : g == wkbPolygon || g == wkbMultiPolygon       ? "Polygon"
                                                                           : nullptr;
        const std::string where =
            "f_table_catalog = current_database() AND f_table_schema = " + quote_literal(schema) +
            " AND f_table_name = " + quote_literal(name) +
            " AND f_geometry_column = " + quote_literal(geom_column);
        pg_exec("SAVEPOINT soilrisk_style", "write styles");
        try {
            pg_exec("CREATE TABLE IF NOT EXISTS public.layer_styles (id SERIAL PRIMARY KEY, "
                    "f_table_catalog varchar, f_table_schema varchar, f_table_name varchar, "
                    "f_geometry_column varchar, styleName text, styleQML xml, styleSLD xml, "
                    "useAsDefault boolean, description text, owner varchar(63) DEFAULT "
                    "CURRENT_USER, ui xml, update_time timestamp DEFAULT CURRENT_TIMESTAMP, "
                    "type varchar)",
                    "create public.layer_styles");
            const bool has_type =
                !pg_value("SELECT 1 FROM information_schema.columns WHERE table_schema = "
                          "'public' AND table_name = 'layer_styles' AND column_name = 'type'")
                     .empty();
            pg_exec("UPDATE public.layer_styles SET useAsDefault = false WHERE " + where,
                    "update public.layer_styles");
            pg_exec("INSERT INTO public.layer_styles (f_table_catalog, f_table_schema, "
                    "f_table_name, f_geometry_column, styleName, styleQML, styleSLD, "
                    "useAsDefault, description" +
                        std::string(has_type ? ", type" : "") + ") VALUES (current_database(), " +
                        quote_literal(schema) + ", " + quote_literal(name) + ", " +
                        quote_literal(geom_column) + ", " + quote_literal(name) +
                        ", XMLPARSE(DOCUMENT " + quote_literal(qml) + "), " +
                        (sld.empty() ? std::string("NULL")
                                     : "XMLPARSE(DOCUMENT " + quote_literal(sld) + ")") +
                        ", true, " + quote_literal("soilrisk " SOILRISK_VERSION) +
                        (has_type ? ", " + (type ? quote_literal(type) : std::string("NULL"))
                                  : std::string()) +
                        ")",
                    "write the style of " + schema + "." + name + " to public.layer_styles");
            pg_exec("RELEASE SAVEPOINT soilrisk_style", "write styles");
        } catch (const IoError& e) {
            pg_exec("ROLLBACK TO SAVEPOINT soilrisk_style", "write styles");
            styles_failed = true;
            log_warning(std::string(e.what()) + "; the results are written without QGIS styles");
        }
    }

    void pg_write_about() {
        if (pg_about.empty() && layers.empty()) return;
        std::string tables;
        for (const auto& [name, l] : layers)
            tables += (tables.empty() ? "" : ",") + name;
        const std::string about = qualified(k_about_table);
        pg_exec("CREATE TABLE IF NOT EXISTS " + about +
                    " (fid serial PRIMARY KEY, tables text, key text, value text, "
                    "written timestamptz DEFAULT now())",
                "create table " + schema + "." + k_about_table);
        pg_exec("DELETE FROM " + about + " WHERE tables = " + quote_literal(tables),
                "update " + schema + "." + k_about_table);
        for (const auto& [key, value] : pg_about)
            pg_exec("INSERT INTO " + about + " (tables, key, value) VALUES (" +
                        quote_literal(tables) + ", " + quote_literal(key) + ", " +
                        quote_literal(value) + ")",
                    "update " + schema + "." + k_about_table);
        // QGIS shows a table's comment as the layer's abstract.
        std::string tool;
        for (const auto& [key, value] : pg_about)
            if (key == "tool") tool = value;
        const std::string comment =
            (tool.empty() ? std::string("soilrisk " SOILRISK_VERSION) : tool) + "; provenance in " +
            schema + "." + k_about_table;
        for (const auto& [name, l] : layers)
            pg_exec("COMMENT ON TABLE " + qualified(name) + " IS " + quote_literal(comment),
                    "comment on " + schema + "." + name);
    }

    void require_open(const char* what) const {
        if (finished)
            throw std::logic_error(std::string("GpkgWriter::") + what + " after finish() for " +
                                   display);
        if (failed)
            throw std::logic_error(std::string("GpkgWriter::") + what +
                                   " after a failed write to " + display);
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
                          l.GetName() + "' of '" + display + "'" + gdal_message());
    }

    void insert(OGRLayer& l, OGRFeature& f) {
        if (l.CreateFeature(&f) != OGRERR_NONE)
            throw IoError("cannot write a feature to layer '" + std::string(l.GetName()) +
                          "' of '" + display + "'" + gdal_message());
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
            throw IoError("cannot create layer '" + name + "' in '" + display + "'" +
                          gdal_message());
        return *l;
    }

    // `take_rows`: the rows of `table`, when the caller gives them up (no copy kept).
    void write_layer(const std::string& name, OutputGeometry type, const Crs& crs,
                     const Table& table, const std::vector<const GEOSGeom_t*>& geometries,
                     std::vector<std::vector<Value>>* take_rows) {
        const bool spatial = type != OutputGeometry::none;
        const OGRwkbGeometryType gtype = ogr_type(type);
        std::vector<std::string> opts;
        if (pg) {
            pg_make_room(name);
            // Names exactly as in a GeoPackage (they are ASCII snake_case already).
            opts = {"SCHEMA=" + schema, "FID=fid", "LAUNDER=NO", "DIM=2"};
            if (spatial) {
                opts.emplace_back("GEOMETRY_NAME=geom");
                opts.emplace_back("SPATIAL_INDEX=GIST");
            }
        } else if (spatial) {
            // The spatial index is packed in bulk when the file is finished (gpkg_rtree).
            opts = {"GEOMETRY_NAME=geom", "SPATIAL_INDEX=NO"};
        }
        std::vector<const char*> options;
        for (const auto& o : opts)
            options.push_back(o.c_str());
        OGRLayer& layer = create_layer(name, spatial ? crs.ogr() : nullptr, gtype, options);
        layers[name] = &layer;

        std::vector<OGRFieldType> types;
        for (std::size_t c = 0; c < table.columns.size(); ++c) {
            types.push_back(field_type(table, c));
            create_field(layer, table.columns[c].name.c_str(), types.back());
        }

        if (!pg) {
            add_bulk(name, spatial, gtype, table, geometries, types, take_rows);
            return;
        }
        // PostGIS (inside the writer's own transaction): features are made in parallel, a
        // chunk at a time, and inserted in row order; the first failing row's error is
        // thrown.
        OGRFeatureDefn* defn = layer.GetLayerDefn();
        constexpr std::size_t kChunk = 4096;
        struct Prepared {
            OGRFeatureUniquePtr feature;
            std::exception_ptr error;
        };
        std::vector<Prepared> prepared;
        for (std::size_t r0 = 0; r0 < table.rows.size(); r0 += kChunk) {
            const std::size_t n = std::min(kChunk, table.rows.size() - r0);
            prepared.clear();
            prepared.resize(n);
            tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n, 256), [&](const auto& range) {
                std::unique_ptr<GEOSWKBWriter, WkbWriterDeleter> wkb(
                    GEOSWKBWriter_create_r(geos::ctx()));
                GEOSWKBWriter_setOutputDimension_r(geos::ctx(), wkb.get(), 2);
                for (std::size_t k = range.begin(); k != range.end(); ++k) {
                    const std::size_t r = r0 + k;
                    Prepared& p = prepared[k];
                    try {
                        p.feature.reset(OGRFeature::CreateFeature(defn));
                        for (std::size_t c = 0; c < types.size(); ++c)
                            set_field(*p.feature, static_cast<int>(c), types[c], table.rows[r][c]);
                        if (spatial && geometries[r])
                            if (OGRGeometryUniquePtr g =
                                    to_ogr(wkb.get(), geometries[r], gtype, row_where(name, r)))
                                p.feature->SetGeometryDirectly(g.release());
                    } catch (...) {
                        p.error = std::current_exception();
                    }
                }
            });
            for (Prepared& p : prepared) {
                if (p.error) std::rethrow_exception(p.error);
                insert(layer, *p.feature);
            }
        }
        // Creates the table now even when it has no rows (the driver defers it).
        if (layer.SyncToDisk() != OGRERR_NONE)
            throw IoError("cannot write layer '" + name + "' to '" + display + "'" +
                          one_line_message());
    }

    std::string row_where(const std::string& name, std::size_t r) const {
        return "layer '" + name + "' of '" + display + "', row " + std::to_string(r + 1);
    }

    /// GeoPackage: the rows are kept (geometries as GeoPackage blobs, made in parallel)
    /// and inserted in bulk when the file is finished (gpkg_bulk).
    void add_bulk(const std::string& name, bool spatial, OGRwkbGeometryType gtype,
                  const Table& table, const std::vector<const GEOSGeom_t*>& geometries,
                  const std::vector<OGRFieldType>& types,
                  std::vector<std::vector<Value>>* take_rows) {
        detail::BulkRows b;
        b.table = name;
        b.spatial = spatial;
        for (std::size_t c = 0; c < types.size(); ++c) {
            b.columns.push_back(table.columns[c].name);
            b.kinds.push_back(types[c] == OFTInteger64 ? 'i' : types[c] == OFTReal ? 'r' : 's');
        }
        const std::size_t n_rows = table.rows.size();
        if (take_rows)
            b.rows = std::move(*take_rows);
        else
            b.rows = table.rows;
        if (spatial) {
            const std::size_t n = n_rows;
            b.geometry.resize(n);
            std::vector<std::array<double, 4>> env(n);
            std::vector<std::exception_ptr> errors(n);
            const std::string where = "layer '" + name + "' of '" + display + "'";
            tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n, 256), [&](const auto& range) {
                const auto ctx = geos::ctx();
                std::unique_ptr<GEOSWKBWriter, WkbWriterDeleter> wkb(GEOSWKBWriter_create_r(ctx));
                GEOSWKBWriter_setOutputDimension_r(ctx, wkb.get(), 2);
                GEOSWKBWriter_setByteOrder_r(ctx, wkb.get(), GEOS_WKB_NDR);
                for (std::size_t r = range.begin(); r != range.end(); ++r) {
                    if (!geometries[r]) continue;
                    try {
                        b.geometry[r] = detail::gpkg_geometry(ctx, wkb.get(), geometries[r],
                                                              int(gtype), where, r, env[r].data());
                    } catch (...) {
                        errors[r] = std::current_exception();
                    }
                }
            });
            detail::RtreeLayer rt{name, "geom", "fid", {}};
            rt.entries.reserve(n);
            for (std::size_t r = 0; r < n; ++r) {
                if (errors[r]) std::rethrow_exception(errors[r]);
                if (b.geometry[r].empty()) continue;
                const auto& e = env[r]; // min x, max x, min y, max y
                rt.entries.push_back({std::int64_t(r + 1), e[0], e[1], e[2], e[3]});
                if (!b.extent) b.extent = std::array<double, 4>{e[0], e[2], e[1], e[3]};
                auto& x = *b.extent;
                x = {std::min(x[0], e[0]), std::min(x[1], e[2]), std::max(x[2], e[1]),
                     std::max(x[3], e[3])};
            }
            rtrees.push_back(std::move(rt));
        }
        bulk.push_back(std::move(b));
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
    if (is_postgis(path)) {
        impl_ = std::make_unique<Impl>(std::move(path), overwrite);
        Impl& im = *impl_;
        im.pg = true;
        auto [schema, conn] = take_conn_key(im.path, "active_schema");
        im.schema = schema.empty() ? "public" : schema;
        QuietGdal quiet;
        im.ds.reset(GDALDataset::Open(conn.c_str(), GDAL_OF_VECTOR | GDAL_OF_UPDATE));
        if (!im.ds) {
            const char* msg = CPLGetLastErrorMsg();
            throw IoError(postgis_connect_error("output '" + im.display + "'", msg ? msg : ""));
        }
        if (im.pg_value("SELECT extversion FROM pg_catalog.pg_extension WHERE extname = "
                        "'postgis'")
                .empty())
            throw IoError("output '" + im.display +
                          "': the database has no PostGIS; run CREATE EXTENSION postgis; in it "
                          "(as its owner) first");
        if (im.ds->StartTransaction() != OGRERR_NONE)
            throw IoError("cannot start a transaction in '" + im.display + "'" +
                          one_line_message());
        im.in_transaction = true;
        im.pg_exec("CREATE SCHEMA IF NOT EXISTS " + quote_ident(im.schema),
                   "create schema " + im.schema +
                       " (may this user create schemas? else create "
                       "it first, or choose an existing one)");
        return;
    }
    const auto dot = path.rfind('.');
    if (dot == std::string::npos || ascii_lower(path.substr(dot)) != ".gpkg")
        throw UsageError("output '" + path + "': vector results are written as GeoPackage; " +
                         "use a .gpkg file name (or a PG: connection for PostGIS)");
    impl_ = std::make_unique<Impl>(path, overwrite);
    impl_->out.emplace(std::move(path), overwrite);
    QuietGdal quiet;
    GDALDriver* driver = GetGDALDriverManager()->GetDriverByName("GPKG");
    if (!driver) throw IoError("the GDAL GeoPackage driver is not available");
    {
        // 16 KiB pages instead of SQLite's 4 KiB: several features of 20-60 vertices per
        // page, about a tenth faster to fill (a user's own OGR_SQLITE_PRAGMA wins).
        CPLConfigOptionSetter pages("OGR_SQLITE_PRAGMA", "page_size=16384", true);
        impl_->ds.reset(
            driver->Create(impl_->out->temp_path().c_str(), 0, 0, 0, GDT_Unknown, nullptr));
    }
    if (!impl_->ds)
        throw IoError("cannot create GeoPackage '" + impl_->display + "'" + gdal_message());
}

GpkgWriter::~GpkgWriter() = default;

const std::string& GpkgWriter::path() const {
    return impl_->path;
}

void GpkgWriter::add_layer(const std::string& name, OutputGeometry type, const Crs& crs,
                           const Table& table, const std::vector<const GEOSGeom_t*>& geometries) {
    add_layer(name, type, crs, table, geometries, nullptr);
}

void GpkgWriter::add_layer(const std::string& name, OutputGeometry type, const Crs& crs,
                           Table&& table, const std::vector<const GEOSGeom_t*>& geometries) {
    add_layer(name, type, crs, table, geometries, &table.rows);
}

void GpkgWriter::add_layer(const std::string& name, OutputGeometry type, const Crs& crs,
                           const Table& table, const std::vector<const GEOSGeom_t*>& geometries,
                           std::vector<std::vector<Value>>* take_rows) {
    impl_->require_open("add_layer");
    if (name.empty()) throw std::logic_error("GpkgWriter::add_layer: empty layer name");
    if (name == k_styles_table || name == k_about_table)
        throw std::logic_error("GpkgWriter::add_layer: layer name '" + name + "' is reserved");
    if (impl_->layers.count(name) || (!impl_->pg && impl_->ds->GetLayerByName(name.c_str())))
        throw std::logic_error("GpkgWriter::add_layer: layer '" + name + "' written twice to " +
                               impl_->display);
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

    impl_->write([&] { impl_->write_layer(name, type, crs, table, geometries, take_rows); });
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

void GpkgWriter::add_view(const std::string& name, const std::string& select,
                          const std::string& like, const std::vector<std::string>& fields) {
    impl_->require_open("add_view");
    if (impl_->pg)
        throw std::logic_error("GpkgWriter::add_view: views are written to GeoPackages only");
    if (name.empty() || name == k_styles_table || name == k_about_table ||
        impl_->layers.count(name) ||
        std::any_of(impl_->views.begin(), impl_->views.end(),
                    [&](const detail::ViewDef& v) { return v.name == name; }))
        throw std::logic_error("GpkgWriter::add_view: the name '" + name + "' is taken");
    OGRLayer& base = impl_->layer(like);
    impl_->views.push_back({name, select, like});
    if (!impl_->styles.styler) return;
    if (auto docs = impl_->styles.style(name, kind_of(base.GetGeomType()), fields)) {
        impl_->write([&] {
            write_style_row(*impl_->ds, name, "geom", {docs->qml, docs->sld},
                            impl_->out->final_path());
        });
        if (impl_->styles.sld_sidecars && !docs->sld.empty())
            impl_->styled.emplace_back(name, LayerStyleDocs{docs->qml, docs->sld});
    }
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
    OGRLayer& target = impl_->layer(layer_name);
    if (impl_->pg) {
        impl_->write([&] { impl_->pg_write_style(target, layer_name, qml, sld); });
        return;
    }
    impl_->write([&] {
        write_layer_style(*impl_->ds, layer_name, {qml, sld}, impl_->out->final_path());
    });
    if (impl_->styles.sld_sidecars && !sld.empty()) {
        auto& st = impl_->styled;
        std::erase_if(st, [&](const auto& e) { return e.first == layer_name; });
        st.emplace_back(layer_name, LayerStyleDocs{qml, sld});
    }
}

void GpkgWriter::add_metadata(const std::vector<std::pair<std::string, std::string>>& about) {
    impl_->require_open("add_metadata");
    if (impl_->pg) {
        // Written by finish(), which knows all the tables.
        impl_->pg_about.insert(impl_->pg_about.end(), about.begin(), about.end());
        return;
    }
    impl_->write([&] { impl_->write_metadata(about); });
}

void GpkgWriter::finish() {
    impl_->require_open("finish");
    if (impl_->pg) {
        impl_->write([&] {
            impl_->pg_write_about();
            if (impl_->ds->CommitTransaction() != OGRERR_NONE)
                throw IoError("cannot commit the results to '" + impl_->display + "'" +
                              one_line_message());
            impl_->in_transaction = false;
        });
        impl_->finished = true;
        impl_->ds.reset();
        return;
    }
    impl_->finished = true;
    {
        QuietGdal quiet;
        // GDALClose reports failures (e.g. the disk filling up while flushing) only through
        // CPLError.
        impl_->ds.reset();
        if (CPLGetLastErrorType() == CE_Failure || CPLGetLastErrorType() == CE_Fatal)
            throw IoError("cannot finish GeoPackage '" + impl_->display + "'" + gdal_message());
    }
    detail::write_gpkg_bulk(impl_->out->temp_path(), impl_->bulk, impl_->rtrees, impl_->display,
                            impl_->views);
    std::vector<detail::BulkRows>().swap(impl_->bulk);
    const bool sidecars = impl_->styles.sld_sidecars && !impl_->styled.empty();
    if (sidecars) check_sld_sidecars(impl_->out->final_path(), impl_->styled, impl_->overwrite);
    impl_->out->commit();
    if (sidecars)
        impl_->sidecars =
            write_sld_sidecars(impl_->out->final_path(), impl_->styled, impl_->overwrite);
}

std::string postgis_output(const std::string& connection, const std::string& schema) {
    if (!is_postgis(connection)) {
        if (!schema.empty())
            throw UsageError("--schema '" + schema + "': only for PostGIS outputs (--out PG:…)");
        return connection;
    }
    const auto [given, rest] = take_conn_key(connection, "active_schema");
    if (schema.empty() || schema == given) return connection;
    if (connection.find("://") != std::string::npos)
        throw UsageError("PostGIS output '" + redact_password(connection) +
                         "': give the connection as PG:\"dbname=… host=… user=…\" (the "
                         "key=value form) so that the schema can be set");
    if (!given.empty())
        throw UsageError("--schema '" + schema + "' contradicts active_schema=" + given +
                         " in the connection string; give one of them");
    std::string quoted = schema;
    if (schema.find_first_of(" '\\") != std::string::npos) {
        quoted = "'";
        for (char c : schema) {
            if (c == '\'' || c == '\\') quoted += '\\';
            quoted += c;
        }
        quoted += "'";
    }
    return connection + " active_schema=" + quoted;
}

std::string postgis_schema(const std::string& connection) {
    const std::string schema = take_conn_key(connection, "active_schema").first;
    return schema.empty() ? "public" : schema;
}

void check_vector_output(const std::string& path, const std::vector<std::string>& layers,
                         bool overwrite) {
    if (!is_postgis(path)) {
        const auto dot = path.rfind('.');
        if (dot == std::string::npos || ascii_lower(path.substr(dot)) != ".gpkg")
            throw UsageError("--out: '" + path +
                             "' must be a GeoPackage (.gpkg) or a PostGIS connection (PG:…)");
        if (!overwrite && std::filesystem::exists(path))
            throw OutputExistsError("'" + path + "' exists");
        return;
    }
    // Connects now, so that a wrong connection string or an existing table stops the run
    // before the work.
    register_drivers();
    const std::string display = redact_password(path);
    const auto [schema_given, conn] = take_conn_key(path, "active_schema");
    const std::string schema = schema_given.empty() ? "public" : schema_given;
    QuietGdal quiet;
    GDALDatasetUniquePtr ds(GDALDataset::Open(conn.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY));
    if (!ds) {
        const char* msg = CPLGetLastErrorMsg();
        throw IoError(postgis_connect_error("output '" + display + "'", msg ? msg : ""));
    }
    if (overwrite) return;
    for (const auto& name : layers) {
        const std::string sql =
            "SELECT c.relkind FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON "
            "n.oid = c.relnamespace WHERE n.nspname = " +
            quote_literal(schema) + " AND c.relname = " + quote_literal(name);
        OGRLayer* result = ds->ExecuteSQL(sql.c_str(), nullptr, nullptr);
        bool exists = false;
        if (result) {
            exists = OGRFeatureUniquePtr(result->GetNextFeature()) != nullptr;
            ds->ReleaseResultSet(result);
        }
        if (exists)
            throw OutputExistsError("table " + schema + "." + name + " exists in '" + display +
                                    "'");
    }
}

} // namespace soilrisk::io
