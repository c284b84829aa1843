// Writing result layers: GeoPackage (.gpkg only: other OGR formats cannot hold several
// layers, styles and metadata in one file, and multi-file formats cannot be written
// atomically) or PostGIS ("PG:…" connection strings).
//
// PostGIS: the layers become tables in one schema (GDAL's `active_schema=` key of the
// connection string, see postgis_output(); "public" without it), created if missing. The
// whole output is one transaction, committed by finish(): destroyed without finish(), the
// writer leaves the database as it was. An existing table is an OutputExistsError unless
// `overwrite`, which drops and recreates it inside the transaction (never CASCADE: a view
// on it is an error). Tables, columns and types are those of the GeoPackage (FID column
// "fid", geometry column "geom" with a GiST index). Provenance goes into the schema's
// table "soilrisk_about" (columns tables, key, value, written; rows of an earlier output
// of the same tables are replaced) and each table's comment. QGIS styles go where QGIS
// keeps them for PostgreSQL, public.layer_styles (created with QGIS's schema when
// missing; the table's earlier default style is reset); when the user may not write
// there, the results are written without styles and a warning is logged.
//
// A GpkgWriter collects layers and writes them into a temporary file next to the final
// path, committed (renamed) by finish(); destroyed without finish(), it leaves nothing
// behind and any previous output intact. Geometries are GEOS geometries in `crs`, written
// 2D. Field names are ASCII snake_case. Each layer can carry a QGIS style (layer_styles).
// GDAL's own error printing is silenced while writing; its message ends up in the thrown
// error. Not thread-safe: use one writer from one thread. After an error thrown while
// writing (DataError, IoError) the file is incomplete: every further call throws
// std::logic_error and the writer can only be destroyed (which removes the file).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "soilrisk/core/crs.hpp"
#include "soilrisk/io/table.hpp"
#include "soilrisk/io/vector.hpp"

class GDALDataset;

namespace soilrisk::io {

enum class OutputGeometry { point, line, polygon, multipolygon, multiline, none };

/// The QGIS style of one output layer: QML (a whole <qgis> document, for layer_styles)
/// and SLD 1.1 (styleSLD, and the sidecar file on request).
struct LayerStyleDocs {
    std::string qml, sld;
};

/// The styles of the layers an output carries. The map styles live in render, above the
/// writers (io, hydro, analysis), so the writers take this hook and the caller fills it:
/// render::output_styles(template, lang, sld) builds it from the shipped templates.
/// Default-constructed: no styles.
struct OutputStyles {
    /// The style of layer `layer` with geometry `kind` and fields `fields`; nullopt when
    /// none fits.
    std::function<std::optional<LayerStyleDocs>(const std::string& layer, GeometryKind kind,
                                                const std::vector<std::string>& fields)>
        styler;
    /// Also write each styled layer's SLD next to the GeoPackage (sld_sidecar_path).
    bool sld_sidecars = false;

    /// styler(...) when there is a styler, else nullopt.
    std::optional<LayerStyleDocs> style(const std::string& layer, GeometryKind kind,
                                        const std::vector<std::string>& fields) const {
        if (!styler) return std::nullopt;
        return styler(layer, kind, fields);
    }
};

/// Where the SLD sidecar of `layer` in GeoPackage `gpkg` goes: <dir>/<stem>_<layer>.sld.
std::string sld_sidecar_path(const std::string& gpkg, const std::string& layer);

/// Stores a style in the layer_styles table of an open GeoPackage `ds` (QGIS's schema; see
/// GpkgWriter::add_style), for writers that create their GeoPackage with GDAL directly
/// (hydro). `where` names the file in messages. Throws IoError.
void write_layer_style(GDALDataset& ds, const std::string& layer, const LayerStyleDocs& style,
                       const std::string& where);

/// Writes the SLD sidecars of `styles` (layer, docs) next to GeoPackage `gpkg`, each whole
/// or not at all; returns their paths. check_sld_sidecars() first throws
/// OutputExistsError when one exists and !overwrite (call it before committing the
/// GeoPackage so that nothing is half written).
void check_sld_sidecars(const std::string& gpkg,
                        const std::vector<std::pair<std::string, LayerStyleDocs>>& styles,
                        bool overwrite);
std::vector<std::string>
write_sld_sidecars(const std::string& gpkg,
                   const std::vector<std::pair<std::string, LayerStyleDocs>>& styles,
                   bool overwrite);

class GpkgWriter {
  public:
    /// Opens the output (temporary name; PostGIS: connects and begins the transaction).
    /// Throws UsageError unless `path` ends in .gpkg or is "PG:…", OutputExistsError,
    /// IoError (naming the folder when it does not exist; PostGIS: the connection failed,
    /// no PostGIS, the schema cannot be created).
    GpkgWriter(std::string path, bool overwrite);
    ~GpkgWriter();
    GpkgWriter(const GpkgWriter&) = delete;
    GpkgWriter& operator=(const GpkgWriter&) = delete;

    /// Adds a layer. `geometries[i]` belongs to `table.rows[i]` (may be null for no
    /// geometry; empty geometries are written as null). Fields come from the table's
    /// columns, typed by the widest kind of their non-null values: Integer64 when all are
    /// integers, Real when there are reals (integers converted), String when there is any
    /// text (numbers as text) or no value at all. Polygon geometries are promoted to
    /// multipolygons (lines likewise) for the multi types. Geometry column "geom", with an
    /// R-tree spatial index. For geometry type `none`, an attribute-only table (e.g. a
    /// summary) is written and `geometries` and `crs` are ignored.
    /// Throws DataError when a geometry does not fit the type (naming layer and row),
    /// IoError when GDAL fails, std::logic_error on a repeated or reserved layer name
    /// ("layer_styles", "soilrisk_about") or sizes that do not match.
    void add_layer(const std::string& name, OutputGeometry type, const Crs& crs, const Table& table,
                   const std::vector<const GEOSGeom_t*>& geometries);
    /// The same, taking the table's rows instead of copying them (large layers).
    void add_layer(const std::string& name, OutputGeometry type, const Crs& crs, Table&& table,
                   const std::vector<const GEOSGeom_t*>& geometries);

    /// Adds a feature view over layers already added (GeoPackage only): `select` is an SQL
    /// SELECT on them whose first column, named fid, holds unique feature ids, followed by
    /// the geometry column "geom" and attributes `fields`. It is registered as layer
    /// `like` is (geometry type, CRS, extent), so GIS programs list it as a layer; it is
    /// read-only and has no spatial index of its own. Styled as a layer with `fields`
    /// (set_styles). Created when the file is finished. Throws std::logic_error for a
    /// PostGIS output, a name already used or reserved, or an unknown `like`.
    void add_view(const std::string& name, const std::string& select, const std::string& like,
                  const std::vector<std::string>& fields);

    /// Stores a QGIS style (QML text: a whole <qgis> document) for `layer` in the
    /// layer_styles table, with QGIS's own schema (the one QGIS creates when it saves a
    /// style into a GeoPackage): f_table_catalog = f_table_schema = '', f_table_name =
    /// layer, f_geometry_column = its geometry column ("" for attribute tables), styleName
    /// = layer, useAsDefault = 1 (an earlier default of the same layer is reset to 0),
    /// update_time = now. QGIS applies the default style when the layer opens.
    /// Throws std::logic_error when `layer` was not added.
    void add_style(const std::string& layer, const std::string& qml, const std::string& sld = {});

    /// Styles every later layer with geometry: add_layer() asks `styles` for the layer's
    /// style and stores it (add_style). With styles.sld_sidecars, finish() also writes
    /// each styled layer's SLD next to the GeoPackage (sld_sidecar_path), after checking
    /// that none exists unless overwriting; sidecars() lists them.
    void set_styles(OutputStyles styles);
    /// The SLD sidecars finish() wrote.
    const std::vector<std::string>& sidecars() const;

    /// Writes provenance (key/value pairs, appended on repeated calls) twice over:
    /// - the attribute table "soilrisk_about" (columns key, value), which QGIS lists next
    ///   to the layers and opens as a table: what users see;
    /// - GDAL dataset metadata, which the GeoPackage driver stores in gpkg_metadata /
    ///   gpkg_metadata_reference (scope "geopackage"), shown by ogrinfo/gdalinfo.
    void add_metadata(const std::vector<std::pair<std::string, std::string>>& about);

    /// Closes and renames onto the final path (PostGIS: commits). Throws IoError (closing or
    /// renaming failed), OutputExistsError (the output appeared meanwhile without overwrite).
    /// Nothing can be added afterwards (std::logic_error).
    void finish();

    /// The final path (as given: a PG: string may hold a password; see redact_password).
    const std::string& path() const;

  private:
    void add_layer(const std::string& name, OutputGeometry type, const Crs& crs, const Table& table,
                   const std::vector<const GEOSGeom_t*>& geometries,
                   std::vector<std::vector<Value>>* take_rows);
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// The output for results in PostGIS schema `schema`: `connection` with GDAL's
/// active_schema key added ("PG:dbname=x" -> "PG:dbname=x active_schema=results").
/// `connection` is returned as is when `schema` is empty or already given there; a
/// different active_schema is a UsageError, and so is a schema for a file output.
std::string postgis_output(const std::string& connection, const std::string& schema);

/// The schema a PG: output writes to ("public" when the string names none).
std::string postgis_schema(const std::string& connection);

/// Checks a vector output before the work: a file must end in .gpkg (UsageError) and not
/// exist unless `overwrite` (OutputExistsError); a PostGIS output is connected to
/// (IoError when that fails) and none of `layers` may exist in its schema unless
/// `overwrite` (OutputExistsError naming the table).
void check_vector_output(const std::string& path, const std::vector<std::string>& layers,
                         bool overwrite);

} // namespace soilrisk::io
