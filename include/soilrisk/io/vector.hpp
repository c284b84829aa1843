// Reading vector layers through GDAL/OGR into memory, in the run's working CRS.
//
// Supported: anything OGR opens — Shapefile, GeoPackage, FileGDB (OpenFileGDB),
// GeoJSON, FlatGeobuf, CSV with x/y or lon/lat columns, PostGIS ("PG:…" connection
// strings), … Reading resolves, in this order:
//   1. the layer (by name; an error lists the layers when the choice is ambiguous);
//   2. the attribute encoding (shapefiles: .cpg, the DBF language-driver byte, the
//      user's encoding, then a UTF-8 validity check falling back to GB18030 with a
//      warning; other formats: UTF-8, with the same check);
//   3. the CRS (the file's own; `override_crs` replaces it, `assume_crs` fills it in when
//      missing; no CRS is an error), checked for plausibility against the extent;
//   4. geometry validity (`invalid` policy: fix with GEOS MakeValid, skip, or error).
// Field roles ("category", "id", "county", …) map to fields case-insensitively.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "soilrisk/core/crs.hpp"
#include "soilrisk/core/geos.hpp"
#include "soilrisk/core/progress.hpp"

namespace soilrisk::io {

enum class InvalidPolicy { fix, skip, error };
/// Parses "fix" / "skip" / "error"; throws UsageError otherwise.
InvalidPolicy parse_invalid_policy(std::string_view text);

/// What the user says about one input layer (the same keys serve the CLI and the
/// project file).
struct VectorInput {
    std::string role = "input"; ///< e.g. "farmland", "sources": used in messages
    std::string path;           ///< file, folder (FileGDB) or "PG:…" connection string
    std::string layer;          ///< layer name; may be empty when the source has one layer
    /// A query instead of a layer, in the source's own SQL (PostgreSQL/PostGIS for "PG:…",
    /// SQLite for GeoPackage, OGR SQL otherwise); excludes `layer`. Feature ids are the
    /// table's (e.g. the PostGIS primary key) when the query selects that column.
    std::string sql;
    std::string encoding;     ///< attribute encoding to use if the file does not say
    std::string assume_crs;   ///< CRS when the layer has none
    std::string override_crs; ///< CRS that replaces the layer's own (wrongly labelled data)
    std::string where;        ///< optional OGR SQL attribute filter
    InvalidPolicy invalid = InvalidPolicy::fix;
    bool allow_empty = false; ///< an empty layer (or filter result) is an error unless set
    /// Read only features whose geometry meets one of these rectangles, given in the CRS
    /// that read() reprojects to (e.g. the reach of the sources in `near`); empty: all.
    /// Features come in feature-id order either way.
    std::vector<Extent> spatial_filter;
    std::map<std::string, std::string> fields; ///< role -> field name
    /// CSV only: coordinate columns (auto-detected from x/y, lon/lat, 经度/纬度 …).
    std::string x_field, y_field;
};

/// An attribute value. Strings are UTF-8.
using Value = std::variant<std::monostate, std::int64_t, double, std::string>;

enum class FieldType { integer, real, string, other };

struct FieldDef {
    std::string name;
    FieldType type = FieldType::string;
};

enum class GeometryKind { point, line, polygon, mixed, none };
const char* to_string(GeometryKind k);

struct Feature {
    std::int64_t fid = -1;     ///< the source's feature id (as ogrinfo shows it)
    geos::GeomPtr geom;        ///< in the layer's CRS; never null for a kept feature
    std::vector<Value> values; ///< one per Layer::fields
};

/// What reading found and did, for logs, `info` and manifests.
struct ReadReport {
    std::string driver;
    std::string encoding;        ///< resolved encoding, e.g. "UTF-8", "CP936"
    std::string encoding_source; ///< which rule won: ".cpg", "DBF LDID 77", "--encoding", …
    std::int64_t features_read = 0;
    std::int64_t invalid = 0;       ///< invalid geometries found
    std::int64_t repaired = 0;      ///< … of which repaired (policy fix)
    std::int64_t skipped = 0;       ///< features dropped (policy skip, or unrepairable)
    std::int64_t empty_or_null = 0; ///< features without geometry (dropped)
    std::int64_t duplicate_ids = 0; ///< features whose "id" role value repeats
    std::vector<std::int64_t> repaired_fids;
    std::vector<std::string> warnings;
};

/// A layer in memory.
class Layer {
  public:
    std::string source; ///< path as given
    std::string name;   ///< layer name
    std::string role;   ///< the VectorInput role
    Crs crs;            ///< CRS of the geometries (the working CRS after read())
    Crs native_crs;     ///< CRS of the file (after assume/override)
    GeometryKind kind = GeometryKind::none;
    std::vector<FieldDef> fields;
    std::vector<Feature> features;
    std::map<std::string, std::string> roles; ///< role -> field name, from VectorInput
    ReadReport report;

    /// Index of a field by name, case-insensitive; -1 if absent.
    int field_index(std::string_view name) const;
    /// Index of the field serving `role`: the mapped field, else a field named like the
    /// role. Throws DataError (naming file, layer, role and listing the fields that
    /// exist) when `required` and not found; else returns -1.
    int role_index(std::string_view role, bool required = true) const;

    /// Value as text ("" for null); numbers formatted without trailing zeros.
    static std::string text(const Value& v);
    /// Value as a number; nullopt for null or text that is not a number.
    static std::optional<double> number(const Value& v);
    /// "file.shp, layer parcels, feature 17": for messages.
    std::string where(std::int64_t fid = -1) const;
};

/// An opened (not yet read) vector source: resolved layer, CRS and encoding, and the
/// extent, so that the working CRS can be chosen before reading.
class VectorReader {
  public:
    /// Opens read-only and resolves layer, CRS and encoding. Throws IoError/DataError.
    explicit VectorReader(VectorInput input);
    ~VectorReader();
    VectorReader(VectorReader&&) noexcept;
    VectorReader& operator=(VectorReader&&) noexcept;

    const VectorInput& input() const;
    const std::string& layer_name() const;
    const std::string& driver() const;
    /// CRS of the file's coordinates (after assume/override).
    const Crs& crs() const;
    /// Extent in the native CRS, and in lon/lat (WGS84-compatible degrees).
    Extent extent() const;
    Extent extent_lonlat() const;
    std::int64_t feature_count() const;
    std::vector<FieldDef> fields() const;

    /// Sets VectorInput::spatial_filter (rectangles in the CRS given to read()).
    void set_spatial_filter(std::vector<Extent> rectangles);

    /// Reads all features, reprojected to `target` (empty: keep native CRS). Geometries
    /// are converted and checked in parallel; the result does not depend on threads.
    Layer read(const Crs& target = Crs(), Progress progress = {});

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// True for connection strings and GDAL virtual paths ("PG:…", "MSSQL:…", "/vsizip/…"),
/// which are not files.
bool is_connection_string(const std::string& path);

/// True for a PostgreSQL/PostGIS connection string ("PG:…", case-insensitive).
bool is_postgis(const std::string& path);

/// `path` for messages, logs and manifests: the value of a password in a connection
/// string ("password=…", "postgresql://user:…@host") replaced by "***".
std::string redact_password(const std::string& path);

/// Names of the layers of a source (throws IoError if it cannot be opened).
std::vector<std::string> list_layers(const std::string& path);

/// Convenience: open and read in one call.
Layer read_vector(const VectorInput& input, const Crs& target = Crs(), Progress progress = {});

/// Working CRS for a set of opened readers: `user` when not empty, else chosen from the
/// centre of the union of their lon/lat extents (choose_working_crs).
Crs working_crs_for(const std::vector<const VectorReader*>& readers, const std::string& user);

} // namespace soilrisk::io
