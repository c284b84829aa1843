// Writing result layers: GeoPackage (and any OGR vector format by extension).
//
// A GpkgWriter collects layers and writes them into a temporary file next to the final
// path, committed (renamed) by finish(). Geometries are GEOS geometries in `crs`.
// Field names are ASCII snake_case. Each layer can carry a QGIS style (layer_styles).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "soilrisk/core/crs.hpp"
#include "soilrisk/io/table.hpp"
#include "soilrisk/io/vector.hpp"

namespace soilrisk::io {

enum class OutputGeometry { point, line, polygon, multipolygon, multiline, none };

class GpkgWriter {
  public:
    /// Opens the output (temporary name). Throws OutputExistsError/IoError.
    GpkgWriter(std::string path, bool overwrite);
    ~GpkgWriter();
    GpkgWriter(const GpkgWriter&) = delete;
    GpkgWriter& operator=(const GpkgWriter&) = delete;

    /// Adds a layer. `geometries[i]` belongs to `table.rows[i]` (may be null for no
    /// geometry). Fields come from the table's columns: integer, real or string by the
    /// first non-null value in each column. For geometry type `none`, an attribute-only
    /// table (e.g. a summary) is written.
    void add_layer(const std::string& name, OutputGeometry type, const Crs& crs, const Table& table,
                   const std::vector<const GEOSGeom_t*>& geometries);

    /// Stores a QGIS style (QML text) for `layer` in the layer_styles table so that QGIS
    /// applies it when the layer opens.
    void add_style(const std::string& layer, const std::string& qml, const std::string& sld = {});

    /// Writes metadata (provenance key/values) into the GeoPackage.
    void add_metadata(const std::vector<std::pair<std::string, std::string>>& about);

    /// Closes and renames onto the final path.
    void finish();

    const std::string& path() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace soilrisk::io
