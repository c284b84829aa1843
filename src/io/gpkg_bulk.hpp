// GeoPackage rows and spatial indexes written in bulk (private to src/io).
//
// OGR creates the tables (columns, geometry column, CRS, gpkg_contents); the rows are
// then inserted straight through SQLite once GDAL has closed the file: GeoPackage
// geometry blobs (OGC 12-128r18, 2.1.3: "GP" header, flags, srs_id, envelope, WKB) made
// from GEOS in parallel, one prepared INSERT per table, the tables' triggers set aside
// meanwhile. This takes a fraction of OGR's per-feature cost.
//
// A GeoPackage's spatial index (extension gpkg_rtree_index) is an SQLite R*Tree virtual
// table. Filled row by row, as GDAL 3.6 does, it costs more than writing the features
// themselves. Here the tree is packed in memory (Sort-Tile-Recursive: S. T. Leutenegger,
// M. A. Lopez, J. Edgington, "STR: a simple and efficient algorithm for R-tree packing",
// ICDE 1997) and written straight into the virtual table's shadow tables (_node, _parent,
// _rowid) in SQLite's own node format (https://www.sqlite.org/rtree.html; the file format
// of ext/rtree/rtree.c), then the standard triggers and the gpkg_extensions row are
// added, as the GeoPackage standard (OGC 12-128r18, annex F.3) defines them.
#pragma once

#include <array>
#include <cstdint>
#include <geos_c.h>
#include <optional>
#include <string>
#include <vector>

#include "soilrisk/io/vector.hpp"

namespace soilrisk::io::detail {

struct RtreeEntry {
    std::int64_t id; ///< the feature's fid
    double min_x, max_x, min_y, max_y;
};

/// The R-tree of one table: `table`.`column`, with the features' bounding boxes.
struct RtreeLayer {
    std::string table;
    std::string column = "geom";
    std::string id_column = "fid";
    std::vector<RtreeEntry> entries;
};

/// The rows of a table OGR created without rows.
struct BulkRows {
    std::string table;
    std::vector<std::string> columns; ///< attribute columns, in order
    std::vector<char> kinds;          ///< per column: 'i' integer, 'r' real, 's' text
    std::vector<std::vector<Value>> rows;
    bool spatial = false;
    /// Spatial tables: per row, a blob from gpkg_geometry() (empty: null geometry); its
    /// srs_id is filled in when written.
    std::vector<std::string> geometry;
    std::optional<std::array<double, 4>> extent; ///< min x, min y, max x, max y
};

/// The GeoPackage geometry blob of `g` (2D, little endian, with its envelope), as
/// `target` (an OGRwkbGeometryType: a single part is promoted to its multi type, a
/// one-part multi demoted to its part); empty for an empty geometry. `envelope` gets
/// min x, max x, min y, max y. Throws DataError naming `layer` and `row` (from 0) when
/// `g` does not fit; the message is built only then.
std::string gpkg_geometry(GEOSContextHandle_t ctx, GEOSWKBWriter* writer, const GEOSGeom_t* g,
                          int target, const std::string& layer, std::size_t row,
                          double envelope[4]);

/// A feature view: `select` (first column the fid, then the geometry column of `like`
/// and attributes) registered in gpkg_contents and gpkg_geometry_columns as `like` is
/// (geometry type, CRS, extent), so that GIS programs list it as a read-only layer.
struct ViewDef {
    std::string name, select, like;
};

/// Inserts the rows (fid = row number from 1), builds the spatial indexes and then
/// creates the views in the GeoPackage at `path` (closed by GDAL), in one transaction.
/// Throws IoError naming `display` on failure.
void write_gpkg_bulk(const std::string& path, std::vector<BulkRows>& rows,
                     const std::vector<RtreeLayer>& rtrees, const std::string& display,
                     const std::vector<ViewDef>& views = {});

} // namespace soilrisk::io::detail
