// GeoPackage spatial indexes built in bulk (private to src/io).
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

#include <cstdint>
#include <string>
#include <vector>

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

/// Adds the spatial index of each layer to the GeoPackage at `path` (closed by GDAL; no
/// index there yet), in one transaction. Throws IoError naming `display` on failure.
void write_gpkg_rtrees(const std::string& path, const std::vector<RtreeLayer>& layers,
                       const std::string& display);

} // namespace soilrisk::io::detail
