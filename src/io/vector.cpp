#include "soilrisk/io/vector.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <gdal_priv.h>
#include <geos_c.h>
#include <ogrsf_frmts.h>
#include <optional>
#include <set>
#include <tbb/parallel_for.h>
#include <unistd.h>
#include <unordered_map>
#include <unordered_set>

#include "io/encoding.hpp"
#include "io/gdal_util.hpp"
#include "soilrisk/core/error.hpp"
#include "soilrisk/core/log.hpp"
#include "soilrisk/core/runtime.hpp"
#include "soilrisk/core/text.hpp"
#include "soilrisk/io/checksum.hpp"

namespace fs = std::filesystem;

namespace soilrisk::io {

namespace {

bool iequals(std::string_view a, std::string_view b) {
    return ascii_lower(a) == ascii_lower(b);
}

bool ends_with_i(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && iequals(s.substr(s.size() - suffix.size()), suffix);
}

/// "--farmland-layer" for role "farmland", "--layer" for the generic role "input".
std::string opt(const std::string& role, std::string_view name) {
    if (role.empty() || role == "input") return "--" + std::string(name);
    return "--" + role + "-" + std::string(name);
}

std::string join(const std::vector<std::string>& items, std::string_view sep = ", ") {
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i) out += sep;
        out += items[i];
    }
    return out;
}

/// A path of a sibling file with another extension, matched case-insensitively.
std::optional<fs::path> sibling(const fs::path& shp, std::string_view ext) {
    fs::path candidate = shp;
    candidate.replace_extension(ext);
    if (fs::exists(candidate)) return candidate;
    std::error_code ec;
    for (const auto& entry :
         fs::directory_iterator(shp.parent_path().empty() ? "." : shp.parent_path(), ec)) {
        if (iequals(entry.path().stem().string(), shp.stem().string()) &&
            iequals(entry.path().extension().string(), std::string(ext)))
            return entry.path();
    }
    return std::nullopt;
}

const char* const kXNames = "x,lon,lng,long,longitude,经度,东经,easting,X,LON,LONGITUDE";
const char* const kYNames = "y,lat,latitude,纬度,北纬,northing,Y,LAT,LATITUDE";

} // namespace

bool is_connection_string(const std::string& path) {
    // "PG:dbname=…", "MSSQL:…", "WFS:…", "/vsizip/…": not plain files.
    const auto colon = path.find(':');
    return (colon != std::string::npos && colon >= 2 && colon <= 10 &&
            std::all_of(path.begin(), path.begin() + static_cast<long>(colon),
                        [](char c) { return std::isalpha(static_cast<unsigned char>(c)); })) ||
           path.rfind("/vsi", 0) == 0;
}

bool is_postgis(const std::string& path) {
    return path.size() >= 3 && iequals(std::string_view(path).substr(0, 3), "PG:");
}

std::string redact_password(const std::string& path) {
    std::string out = path;
    // URI form: postgresql://user:secret@host/db
    for (const char* scheme : {"postgresql://", "postgres://"}) {
        const auto at_scheme = ascii_lower(out).find(scheme);
        if (at_scheme == std::string::npos) continue;
        const auto start = at_scheme + std::strlen(scheme);
        const auto at = out.find('@', start);
        const auto colon = out.find(':', start);
        if (at != std::string::npos && colon != std::string::npos && colon < at)
            out.replace(colon + 1, at - colon - 1, "***");
    }
    // key=value form: password=secret, password = 'with spaces'
    std::size_t pos = 0;
    while ((pos = ascii_lower(out).find("password", pos)) != std::string::npos) {
        std::size_t i = pos + 8;
        while (i < out.size() && out[i] == ' ')
            ++i;
        if (i >= out.size() || out[i] != '=') {
            pos = i;
            continue;
        }
        ++i;
        while (i < out.size() && out[i] == ' ')
            ++i;
        std::size_t end = i;
        if (end < out.size() && out[end] == '\'') {
            ++end;
            while (end < out.size() && out[end] != '\'') {
                if (out[end] == '\\') ++end;
                ++end;
            }
            end = std::min(out.size(), end + 1);
        } else {
            while (end < out.size() && !std::isspace(static_cast<unsigned char>(out[end])))
                ++end;
        }
        out.replace(i, end - i, "***");
        pos = i + 3;
    }
    return out;
}

InvalidPolicy parse_invalid_policy(std::string_view text) {
    if (text == "fix") return InvalidPolicy::fix;
    if (text == "skip") return InvalidPolicy::skip;
    if (text == "error") return InvalidPolicy::error;
    throw UsageError("--invalid: '" + std::string(text) + "' is not one of fix, skip, error");
}

const char* to_string(GeometryKind k) {
    switch (k) {
    case GeometryKind::point:
        return "point";
    case GeometryKind::line:
        return "line";
    case GeometryKind::polygon:
        return "polygon";
    case GeometryKind::mixed:
        return "mixed";
    case GeometryKind::none:
        return "none";
    }
    return "none";
}

// --- Layer ---------------------------------------------------------------------------

int Layer::field_index(std::string_view field) const {
    for (std::size_t i = 0; i < fields.size(); ++i)
        if (iequals(fields[i].name, field)) return static_cast<int>(i);
    return -1;
}

int Layer::role_index(std::string_view role_name, bool required) const {
    const auto mapped = roles.find(std::string(role_name));
    const std::string wanted = mapped != roles.end() ? mapped->second : std::string(role_name);
    const int idx = field_index(wanted);
    if (idx >= 0 || !required) {
        if (idx < 0 && mapped != roles.end() && !mapped->second.empty()) {
            // A field the user named explicitly must exist even when optional.
        } else {
            return idx;
        }
    }
    std::vector<std::string> names;
    for (const auto& f : fields)
        names.push_back(f.name);
    std::string msg = source + ", layer " + name + ": no field '" + wanted + "'";
    if (mapped == roles.end()) msg += " for the " + std::string(role_name) + " role";
    msg += "; fields are: " + (names.empty() ? std::string("(none)") : join(names));
    msg += ". Map the role with " + opt(role, "field") + " " + std::string(role_name) + "=NAME";
    throw DataError(msg);
}

std::string Layer::text(const Value& v) {
    if (std::holds_alternative<std::string>(v)) return std::get<std::string>(v);
    if (std::holds_alternative<std::int64_t>(v)) return std::to_string(std::get<std::int64_t>(v));
    if (std::holds_alternative<double>(v)) {
        const double d = std::get<double>(v);
        if (d == std::floor(d) && std::abs(d) < 1e15)
            return std::to_string(static_cast<long long>(d));
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.15g", d);
        return buf;
    }
    return "";
}

std::optional<double> Layer::number(const Value& v) {
    if (std::holds_alternative<double>(v)) return std::get<double>(v);
    if (std::holds_alternative<std::int64_t>(v))
        return static_cast<double>(std::get<std::int64_t>(v));
    if (std::holds_alternative<std::string>(v)) {
        const std::string& s = std::get<std::string>(v);
        char* end = nullptr;
        const double d = std::strtod(s.c_str(), &end);
        if (end != s.c_str()) {
            while (*end && std::isspace(static_cast<unsigned char>(*end)))
                ++end;
            if (*end == '\0' && std::isfinite(d)) return d;
        }
    }
    return std::nullopt;
}

std::string Layer::where(std::int64_t fid) const {
    std::string s = source;
    if (!name.empty()) s += ", layer " + name;
    if (fid >= 0) s += ", feature " + std::to_string(fid);
    return s;
}

// --- VectorReader ------------------------------------------------------------------

struct VectorReader::Impl {
    VectorInput input;
    GdalDatasetPtr ds;
    OGRLayer* layer = nullptr;
    std::string layer_name;
    std::string driver;
    Crs crs;
    std::string encoding;        // canonical iconv name ("UTF-8" default)
    std::string encoding_source; // which rule decided
    std::vector<std::string> warnings;
    bool raw_strings = false;     // shapefile opened with ENCODING="" (we decode)
    std::vector<FieldDef> fields; // decoded names
    bool sql_result = false;      // `layer` is a result set of input.sql (released on close)
    int fid_field = -1;           // OGR field that holds the feature ids (SQL results)
    std::vector<int> ogr_index;   // OGR field index of each entry of `fields`
    bool check_utf8 = false;      // strings to be checked for UTF-8 as they are read
    bool utf8_declared = false;   // ... where the source or the user said UTF-8

    Impl() = default;
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;
    ~Impl() {
        if (sql_result && layer && ds) ds->ReleaseResultSet(layer);
    }

    std::string what() const { return input.role + " '" + redact_password(input.path) + "'"; }

    void open();
    void pick_layer();
    void resolve_encoding();
    void confirm_utf8();
    void fall_back_to_gbk(bool declared);
    void resolve_crs();
    void check_plausible();
};

void VectorReader::Impl::open() {
    const std::string& path = input.path;
    if (path.empty())
        throw UsageError(input.role + ": no path given (" + opt(input.role, "") + ")");
    const bool conn = is_connection_string(path);
    if (!conn && !fs::exists(path))
        throw IoError(what() + " does not exist; check the path (relative paths in a project "
                               "file are relative to the file)");
    if (!conn && fs::is_regular_file(path) && ::access(path.c_str(), R_OK) != 0)
        throw IoError(what() + " cannot be read (permission denied)");

    std::vector<std::string> options;
    const bool shapefile = ends_with_i(path, ".shp") || ends_with_i(path, ".dbf");
    if (shapefile) {
        options.push_back("ENCODING="); // raw bytes; we resolve and decode ourselves
        raw_strings = true;
    }
    const bool csv =
        ends_with_i(path, ".csv") || ends_with_i(path, ".txt") || ends_with_i(path, ".tsv");
    if (csv) {
        options.push_back(std::string("X_POSSIBLE_NAMES=") +
                          (input.x_field.empty() ? kXNames : input.x_field.c_str()));
        options.push_back(std::string("Y_POSSIBLE_NAMES=") +
                          (input.y_field.empty() ? kYNames : input.y_field.c_str()));
        options.push_back("KEEP_GEOM_COLUMNS=YES");
        options.push_back("AUTODETECT_TYPE=YES");
        options.push_back("EMPTY_STRING_AS_NULL=YES");
    }
    std::vector<const char*> copts;
    for (const auto& o : options)
        copts.push_back(o.c_str());
    copts.push_back(nullptr);

    CplErrorCapture capture;
    ds.reset(GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr,
                               copts.data(), nullptr));
    if (!ds) {
        std::string detail = capture.message();
        if (is_postgis(path)) throw IoError(postgis_connect_error(what(), detail));
        throw IoError(what() + " cannot be opened as a vector layer" +
                      (detail.empty() ? std::string("") : " (" + detail + ")") +
                      "; supported are Shapefile, GeoPackage, FileGDB, GeoJSON, FlatGeobuf, CSV, "
                      "PostGIS (PG:…) and the other OGR formats");
    }
    driver = ds->GetDriver() ? ds->GetDriver()->GetDescription() : "";
    if (driver == "ESRI Shapefile" && !shapefile) {
        // A folder of shapefiles: still raw strings? GDAL recoded them; accept as is.
    }
}

void VectorReader::Impl::pick_layer() {
    const int n = ds->GetLayerCount();
    std::vector<std::string> names;
    for (int i = 0; i < n; ++i)
        names.emplace_back(ds->GetLayer(i)->GetName());
    if (!input.sql.empty()) {
        if (!input.layer.empty())
            throw UsageError(what() + ": give either " + opt(input.role, "layer") + " or " +
                             opt(input.role, "sql") + ", not both");
        CplErrorCapture capture;
        layer = ds->ExecuteSQL(input.sql.c_str(), nullptr, nullptr);
        if (!layer) {
            // PostgreSQL: "ERROR:  relation … does not exist\nLINE 1: DECLARE … ^": the
            // first line says it.
            std::string detail = capture.message();
            if (const auto line = detail.find("\nLINE "); line != std::string::npos)
                detail.resize(line);
            detail = one_line(detail);
            throw DataError(
                what() + ": the query \"" + input.sql + "\" failed" +
                (detail.empty() ? std::string() : " (" + detail + ")") +
                "; tables are: " + (names.empty() ? std::string("(none)") : join(names)));
        }
        sql_result = true;
        layer_name = "SQL \"" + input.sql + "\"";
        // A query's rows are numbered from 0; when it selects the table's id column ("fid"
        // as ogr2ogr and GeoPackage name it, or "ogc_fid"), that column gives the feature
        // ids, so that results match those from the table itself.
        const char* fid_column = layer->GetFIDColumn();
        if (!fid_column || !*fid_column) {
            OGRFeatureDefn* defn = layer->GetLayerDefn();
            for (const char* name : {"fid", "ogc_fid"}) {
                const int i = defn->GetFieldIndex(name);
                if (i >= 0 && (defn->GetFieldDefn(i)->GetType() == OFTInteger ||
                               defn->GetFieldDefn(i)->GetType() == OFTInteger64)) {
                    fid_field = i;
                    break;
                }
            }
        }
        return;
    }
    if (!input.layer.empty()) {
        layer = ds->GetLayerByName(input.layer.c_str());
        if (!layer && input.layer.find('.') == std::string::npos) {
            // PostGIS names tables outside the connection's current schema "schema.table"
            // (e.g. public tables for a user whose own schema exists): one table of that
            // name in any schema is the one meant.
            std::vector<std::string> matches;
            for (const auto& name : names)
                if (name.size() > input.layer.size() &&
                    name[name.size() - input.layer.size() - 1] == '.' &&
                    name.compare(name.size() - input.layer.size(), std::string::npos,
                                 input.layer) == 0)
                    matches.push_back(name);
            if (matches.size() == 1) layer = ds->GetLayerByName(matches[0].c_str());
        }
        if (!layer)
            throw DataError(what() + " has no layer '" + input.layer + "'; layers are: " +
                            (names.empty() ? std::string("(none)") : join(names)));
    } else if (n == 1) {
        layer = ds->GetLayer(0);
    } else if (n == 0) {
        throw DataError(what() + " has no layers");
    } else {
        // A layer named like the role (e.g. "farmland") is the obvious choice.
        for (int i = 0; i < n; ++i)
            if (iequals(names[i], input.role)) layer = ds->GetLayer(i);
        if (!layer)
            throw UsageError(what() + " has " + std::to_string(n) + " layers (" + join(names) +
                             "); choose one with " + opt(input.role, "layer"));
    }
    layer_name = layer->GetName();
}

void VectorReader::Impl::resolve_encoding() {
    encoding = "UTF-8";
    encoding_source = "format (UTF-8)";
    std::optional<std::string> declared;
    if (raw_strings) {
        const fs::path shp(input.path);
        if (auto cpg = sibling(shp, ".cpg")) {
            std::ifstream in(*cpg);
            std::string text((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
            while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
                text.pop_back();
            declared = detail::canonical_encoding(text);
            if (declared) {
                encoding_source = ".cpg (\"" + text + "\")";
            } else {
                warnings.push_back(input.path + ": the .cpg file says \"" + text +
                                   "\", which names no usable encoding; ignoring it");
            }
        }
        if (!declared) {
            if (auto dbf = sibling(shp, ".dbf")) {
                std::ifstream in(*dbf, std::ios::binary);
                char header[32] = {};
                in.read(header, 32);
                if (in.gcount() == 32) {
                    const auto ldid = static_cast<unsigned char>(header[29]);
                    declared = detail::ldid_encoding(ldid);
                    if (declared)
                        encoding_source = "DBF language driver id " + std::to_string(ldid);
                }
            }
        }
    }
    if (!declared && !input.encoding.empty()) {
        declared = detail::canonical_encoding(input.encoding);
        if (!declared)
            throw UsageError(opt(input.role, "encoding") + ": '" + input.encoding +
                             "' is not a known encoding; use e.g. GBK, GB18030 or UTF-8");
        encoding_source = opt(input.role, "encoding");
    }
    const bool format_is_utf8 = !raw_strings && driver != "CSV";
    if (declared && (*declared != "UTF-8" || format_is_utf8)) {
        encoding = *declared;
        if (encoding == "UTF-8" || format_is_utf8) {
            // Verify below that the bytes really are UTF-8.
        } else {
            return;
        }
    } else if (declared) {
        encoding = "UTF-8";
    }
    // Check the strings for valid UTF-8; invalid text is almost always GBK from a
    // Chinese-locale Windows program.
    std::vector<int> string_fields;
    OGRFeatureDefn* defn = layer->GetLayerDefn();
    bool invalid_name = false;
    for (int i = 0; i < defn->GetFieldCount(); ++i) {
        if (defn->GetFieldDefn(i)->GetType() == OFTString) string_fields.push_back(i);
        if (!detail::is_valid_utf8(defn->GetFieldDefn(i)->GetNameRef())) invalid_name = true;
    }
    if (!invalid_name) {
        // The strings themselves are checked as they are read (read() falls back to GBK
        // if any is not UTF-8): a pass over the whole layer here would read all of it,
        // also when only a part is wanted.
        check_utf8 = !string_fields.empty();
        utf8_declared = declared.has_value();
        if (declared) encoding = "UTF-8";
        if (!check_utf8) confirm_utf8();
        return;
    }
    fall_back_to_gbk(declared.has_value());
}

// The text is UTF-8: a file that said nothing is recorded as checked.
void VectorReader::Impl::confirm_utf8() {
    if (!utf8_declared && raw_strings) encoding_source = "UTF-8 check (text is valid UTF-8)";
}

// Text that should be UTF-8 is not: almost always GBK from a Chinese-locale Windows
// program.
void VectorReader::Impl::fall_back_to_gbk(bool declared) {
    encoding = "GB18030";
    if (declared) {
        warnings.push_back(what() + ": text is not valid UTF-8 although " + encoding_source +
                           " says UTF-8; read as GBK (GB18030). Give " +
                           opt(input.role, "encoding") + " if that is wrong");
    } else {
        warnings.push_back(what() +
                           ": the file does not say its encoding (no .cpg) and its text "
                           "is not UTF-8; read as GBK (GB18030). Give " +
                           opt(input.role, "encoding") + " if that is wrong");
    }
    encoding_source = "UTF-8 check failed: GBK fallback";
}

void VectorReader::Impl::resolve_crs() {
    const OGRSpatialReference* srs = layer->GetSpatialRef();
    // GeoPackage layers without CRS carry srs_id 0/-1 ("Undefined geographic/Cartesian SRS").
    if (srs && srs->GetName() && std::string_view(srs->GetName()).rfind("Undefined", 0) == 0)
        srs = nullptr;
    if (!input.override_crs.empty()) {
        crs = Crs::parse(input.override_crs, opt(input.role, "override-crs"));
        if (srs)
            log_info(what() + ": CRS " + Crs::from_ogr(srs).label() + " replaced by " +
                     crs.label());
    } else if (srs) {
        crs = Crs::from_ogr(srs);
    } else if (!input.assume_crs.empty()) {
        crs = Crs::parse(input.assume_crs, opt(input.role, "assume-crs"));
    } else if (driver == "CSV" || kind_of(layer->GetGeomType()) == GeometryKind::none) {
        // CSV points with lon/lat columns: degrees from a GPS or a web map.
        OGREnvelope env;
        const bool has_extent = layer->GetExtent(&env, TRUE) == OGRERR_NONE;
        if (has_extent && env.MinX >= 3.0 && env.MaxX <= 54.0 && env.MinY >= 73.0 &&
            env.MaxY <= 136.0)
            throw DataError(what() + ": the coordinate columns look swapped (x " +
                            std::to_string(env.MinX) + ".." + std::to_string(env.MaxX) +
                            " are latitudes, y " + std::to_string(env.MinY) + ".." +
                            std::to_string(env.MaxY) +
                            " longitudes in China); name them the right way round with " +
                            opt(input.role, "x") + " and " + opt(input.role, "y"));
        if (has_extent && env.MinX >= -180 && env.MaxX <= 180 && env.MinY >= -90 &&
            env.MaxY <= 90) {
            crs = Crs::from_epsg(4326);
            warnings.push_back(what() +
                               ": no CRS given; the coordinates are degrees, read as "
                               "WGS84 longitude/latitude (EPSG:4326). Give " +
                               opt(input.role, "assume-crs") + " if they are something else");
        }
    }
    const std::string why = raw_strings       ? " (no .prj file?)"
                            : driver == "CSV" ? " (a CSV file carries none, and these "
                                                "coordinates are not longitude/latitude)"
                                              : "";
    if (crs.empty() && kind_of(layer->GetGeomType()) != GeometryKind::none)
        throw DataError(what() + ", layer " + layer_name + ": has no CRS" + why +
                        "; give the CRS the data was made in with " +
                        opt(input.role, "assume-crs") +
                        " (e.g. EPSG:4545 for CGCS2000 GK CM 108E, "
                        "EPSG:4490 for CGCS2000 degrees)");
}

void VectorReader::Impl::check_plausible() {
    if (crs.empty()) return;
    OGREnvelope env;
    if (layer->GetExtent(&env, TRUE) != OGRERR_NONE) return;
    const Extent e{env.MinX, env.MinY, env.MaxX, env.MaxY};
    // Raw coordinates are in the file's own CRS; an override applies to them too.
    std::string problem = check_crs_plausible(e, crs);
    if (problem.empty()) return;
    // Name the option of this input role (--farmland-override-crs, …).
    const std::string generic = "--override-crs", specific = opt(input.role, "override-crs");
    for (auto at = problem.find(generic); at != std::string::npos;
         at = problem.find(generic, at + specific.size()))
        problem.replace(at, generic.size(), specific);
    throw DataError(what() + ", layer " + layer_name + ": " + problem);
}

VectorReader::VectorReader(VectorInput input) : impl_(std::make_unique<Impl>()) {
    gdal_init();
    impl_->input = std::move(input);
    impl_->open();
    impl_->pick_layer();
    if (!impl_->input.where.empty()) {
        CplErrorCapture capture;
        bool ok = impl_->layer->SetAttributeFilter(impl_->input.where.c_str()) == OGRERR_NONE;
        if (ok) {
            // Some drivers (GeoPackage, PostGIS) check the filter only when reading.
            impl_->layer->ResetReading();
            std::unique_ptr<OGRFeature> first(impl_->layer->GetNextFeature());
            impl_->layer->ResetReading();
            ok = capture.failure().empty();
        }
        if (!ok)
            throw UsageError(impl_->what() + ": the filter '" + impl_->input.where +
                             "' is not valid OGR SQL (" + capture.message() + ")");
    }
    impl_->resolve_encoding();
    const bool decode_names = impl_->raw_strings || impl_->encoding != "UTF-8";
    detail::Decoder names(decode_names ? impl_->encoding : std::string("UTF-8"));
    OGRFeatureDefn* defn = impl_->layer->GetLayerDefn();
    for (int i = 0; i < defn->GetFieldCount(); ++i) {
        if (i == impl_->fid_field) continue;
        impl_->ogr_index.push_back(i);
        OGRFieldDefn* fd = defn->GetFieldDefn(i);
        FieldDef f;
        f.name = names.decode(fd->GetNameRef());
        switch (fd->GetType()) {
        case OFTInteger:
        case OFTInteger64:
            f.type = FieldType::integer;
            break;
        case OFTReal:
            f.type = FieldType::real;
            break;
        case OFTString:
            f.type = FieldType::string;
            break;
        default:
            f.type = FieldType::other;
            break;
        }
        impl_->fields.push_back(std::move(f));
    }
    impl_->resolve_crs();
    impl_->check_plausible();
    for (const auto& w : impl_->warnings)
        log_warning(w);
}

VectorReader::~VectorReader() = default;
VectorReader::VectorReader(VectorReader&&) noexcept = default;
VectorReader& VectorReader::operator=(VectorReader&&) noexcept = default;

const VectorInput& VectorReader::input() const {
    return impl_->input;
}
const std::string& VectorReader::layer_name() const {
    return impl_->layer_name;
}
const std::string& VectorReader::driver() const {
    return impl_->driver;
}
const Crs& VectorReader::crs() const {
    return impl_->crs;
}
std::vector<FieldDef> VectorReader::fields() const {
    return impl_->fields;
}

std::int64_t VectorReader::feature_count() const {
    return impl_->layer->GetFeatureCount(TRUE);
}

Extent VectorReader::extent() const {
    OGREnvelope env;
    if (impl_->layer->GetExtent(&env, TRUE) != OGRERR_NONE) return Extent{1, 1, 0, 0};
    return Extent{env.MinX, env.MinY, env.MaxX, env.MaxY};
}

Extent VectorReader::extent_lonlat() const {
    const Extent e = extent();
    if (!e.valid() || impl_->crs.empty()) return Extent{1, 1, 0, 0};
    Transform t(impl_->crs, Crs::from_epsg(4326));
    // Densify the border: extents are not rectangles after projection.
    std::vector<double> xs, ys;
    const int n = 20;
    for (int i = 0; i <= n; ++i) {
        const double fx = e.min_x + (e.max_x - e.min_x) * i / n;
        const double fy = e.min_y + (e.max_y - e.min_y) * i / n;
        for (auto [x, y] : {std::pair{fx, e.min_y}, std::pair{fx, e.max_y}, std::pair{e.min_x, fy},
                            std::pair{e.max_x, fy}}) {
            xs.push_back(x);
            ys.push_back(y);
        }
    }
    t.apply(xs.size(), xs.data(), ys.data());
    Extent out{1e300, 1e300, -1e300, -1e300};
    for (std::size_t i = 0; i < xs.size(); ++i) {
        if (!std::isfinite(xs[i]) || !std::isfinite(ys[i]) || std::abs(xs[i]) == HUGE_VAL) continue;
        out.min_x = std::min(out.min_x, xs[i]);
        out.max_x = std::max(out.max_x, xs[i]);
        out.min_y = std::min(out.min_y, ys[i]);
        out.max_y = std::max(out.max_y, ys[i]);
    }
    return out;
}

void VectorReader::set_spatial_filter(std::vector<Extent> rectangles) {
    impl_->input.spatial_filter = std::move(rectangles);
}

Layer VectorReader::read(const Crs& target, Progress progress) {
    Impl& im = *impl_;
    Layer out;
    out.source = redact_password(im.input.path);
    out.name = im.layer_name;
    out.role = im.input.role;
    out.native_crs = im.crs;
    out.crs = target.empty() ? im.crs : target;
    out.fields = im.fields;
    out.roles = im.input.fields;
    out.report.driver = im.driver;
    out.report.encoding = im.encoding;
    out.report.encoding_source = im.encoding_source;
    out.report.warnings = im.warnings;
    out.kind = kind_of(im.layer->GetGeomType());

    // Field roles the user named must exist: fail before reading everything.
    for (const auto& [role, field] : out.roles)
        if (!field.empty()) out.role_index(role, true);
    // Geometries in memory (GEOS) take about three times their size on disk.
    if (im.input.spatial_filter.empty()) {
        std::uint64_t bytes = 0;
        for (const auto& f : dataset_files(im.input.path, false))
            bytes += f.bytes;
        require_memory(3 * bytes, out.where(),
                       "read a part of it (a spatial or attribute filter, one county at a "
                       "time) or simplify it");
    }

    std::optional<Transform> transform;
    if (!im.crs.empty() && !out.crs.same_as(im.crs)) transform.emplace(im.crs, out.crs);
    // Text to be checked for UTF-8 is kept as it is read, then decoded as GBK if any of
    // it is not UTF-8.
    std::unique_ptr<detail::Decoder> decoder;
    if (!im.check_utf8 && (im.raw_strings || im.encoding != "UTF-8"))
        decoder = std::make_unique<detail::Decoder>(im.encoding);
    bool not_utf8 = false;

    const std::int64_t total = std::max<std::int64_t>(1, im.layer->GetFeatureCount(FALSE));
    OGRFeatureDefn* defn = im.layer->GetLayerDefn();
    const int nfields = static_cast<int>(im.ogr_index.size());
    std::set<GeometryKind> kinds;

    // Features are fetched serially (OGR and the coordinate transformation are
    // single-threaded), converted to GEOS and checked in parallel, and kept in read order.
    struct Pending {
        Feature feat;
        std::unique_ptr<OGRGeometry> ogr;
        GeometryKind kind = GeometryKind::none;
        enum { keep, empty, invalid_skip, repaired, unrepairable } status = keep;
        std::string why;
    };
    // Batches are converted on the other cores while the next batch is fetched; their
    // features are taken in read order. `converting` outlives the task (declared first).
    std::vector<Pending> batch, converting;
    std::future<void> conversion;
    std::int64_t n = 0;
    auto convert = [&](std::vector<Pending>& items) {
        tbb::parallel_for(tbb::blocked_range<std::size_t>(0, items.size(), 64), [&](const auto& r) {
            for (std::size_t b = r.begin(); b != r.end(); ++b) {
                Pending& pf = items[b];
                if (pf.status == Pending::empty) continue;
                IngestedGeometry ig =
                    ingest_geometry(*pf.ogr, pf.kind, im.input.invalid, out.where(pf.feat.fid));
                pf.ogr.reset();
                pf.why = std::move(ig.why);
                switch (ig.status) {
                case IngestedGeometry::keep:
                    break;
                case IngestedGeometry::invalid_skip:
                    pf.status = Pending::invalid_skip;
                    continue;
                case IngestedGeometry::repaired:
                    pf.status = Pending::repaired;
                    break;
                case IngestedGeometry::unrepairable:
                    pf.status = Pending::unrepairable;
                    continue;
                }
                pf.feat.geom = std::move(ig.geom);
            }
        });
    };
    auto take = [&](std::vector<Pending>& items) {
        for (Pending& pf : items) {
            switch (pf.status) {
            case Pending::empty:
                ++out.report.empty_or_null;
                continue;
            case Pending::invalid_skip:
                ++out.report.invalid;
                ++out.report.skipped;
                continue;
            case Pending::unrepairable:
                ++out.report.invalid;
                ++out.report.skipped;
                log_warning(out.where(pf.feat.fid) + ": invalid geometry (" + pf.why +
                            ") could not be repaired; feature skipped");
                continue;
            case Pending::repaired:
                ++out.report.invalid;
                ++out.report.repaired;
                out.report.repaired_fids.push_back(pf.feat.fid);
                log_debug(out.where(pf.feat.fid) + ": repaired invalid geometry (" + pf.why + ")");
                break;
            case Pending::keep:
                break;
            }
            kinds.insert(pf.kind);
            out.features.push_back(std::move(pf.feat));
        }
        items.clear();
    };
    auto flush = [&](bool last) {
        if (conversion.valid()) {
            conversion.get();
            take(converting);
        }
        if (last) {
            convert(batch);
            take(batch);
            return;
        }
        std::swap(batch, converting);
        conversion = std::async(std::launch::async, [&] { convert(converting); });
    };
    auto fetch = [&](OGRFeature* f) {
        ++n;
        if ((n & 1023) == 0) progress(std::min(1.0, double(n) / double(total)), "reading");
        ++out.report.features_read;
        Pending pf;
        Feature& feat = pf.feat;
        feat.fid = im.fid_field >= 0 && f->IsFieldSetAndNotNull(im.fid_field)
                       ? static_cast<std::int64_t>(f->GetFieldAsInteger64(im.fid_field))
                       : f->GetFID();
        pf.ogr.reset(f->StealGeometry());
        OGRGeometry* g = pf.ogr.get();
        if (!g || g->IsEmpty()) {
            pf.status = Pending::empty;
            batch.push_back(std::move(pf));
            return;
        }
        if (!prepare_geometry(pf.ogr, transform ? transform->ogr() : nullptr))
            throw DataError(out.where(feat.fid) + ": coordinates cannot be transformed from " +
                            im.crs.label() + " to " + out.crs.label() + "; check the layer's CRS");
        g = pf.ogr.get();
        pf.kind = kind_of(g->getGeometryType());
        feat.values.resize(nfields);
        for (int k = 0; k < nfields; ++k) {
            const int i = im.ogr_index[static_cast<std::size_t>(k)];
            if (!f->IsFieldSetAndNotNull(i)) continue;
            switch (defn->GetFieldDefn(i)->GetType()) {
            case OFTInteger:
            case OFTInteger64:
                feat.values[k] = static_cast<std::int64_t>(f->GetFieldAsInteger64(i));
                break;
            case OFTReal:
                feat.values[k] = f->GetFieldAsDouble(i);
                break;
            default: {
                const char* raw = f->GetFieldAsString(i);
                if (decoder) {
                    feat.values[k] = decoder->decode(raw);
                } else {
                    if (im.check_utf8 && !not_utf8 && !detail::is_valid_utf8(raw)) not_utf8 = true;
                    feat.values[k] = std::string(raw);
                }
            }
            }
        }
        batch.push_back(std::move(pf));
        if (batch.size() >= 8192) flush(false);
    };

    // A truncated or damaged file makes OGR report a failure and then return features
    // without geometry or attributes, or stop early: never a silent partial read.
    CplErrorCapture read_errors;
    std::int64_t last_fid = -1;
    auto check_read = [&](std::int64_t fid) {
        if (read_errors.failure().empty()) return;
        throw DataError(out.where() +
                        (fid >= 0        ? ", feature " + std::to_string(fid)
                         : last_fid >= 0 ? ", after feature " + std::to_string(last_fid)
                                         : std::string()) +
                        ": the file cannot be read (" + read_errors.failure() +
                        "); it looks truncated or damaged, export the layer again (for a "
                        "shapefile: the .shp, .shx and .dbf together)");
    };
    // The rows of a query without an id column are numbered anew by every pass: one
    // unfiltered pass then (the filter only saves reading).
    const bool filtered = !im.input.spatial_filter.empty() && !(im.sql_result && im.fid_field < 0);
    if (!filtered) {
        im.layer->ResetReading();
        for (auto& f : *im.layer) {
            check_read(f->GetFID());
            fetch(f.get());
            last_fid = f->GetFID();
        }
        check_read(-1);
    } else {
        // Several rectangles: one pass each, features met twice kept once, then back in
        // feature-id order (the order of an unfiltered read).
        std::optional<Transform> back;
        if (transform && !transform->identity()) back.emplace(out.crs, im.crs);
        std::unordered_set<GIntBig> seen;
        // The rectangles in the layer's own CRS, then cut so that they do not overlap:
        // a feature in several of them is fetched (and parsed) about once.
        std::vector<Extent> native;
        for (const Extent& e : im.input.spatial_filter) {
            Extent r = e;
            if (back) {
                std::vector<double> xs, ys;
                for (int i = 0; i <= 8; ++i) {
                    const double fx = e.min_x + (e.max_x - e.min_x) * i / 8;
                    const double fy = e.min_y + (e.max_y - e.min_y) * i / 8;
                    xs.insert(xs.end(), {fx, fx, e.min_x, e.max_x});
                    ys.insert(ys.end(), {e.min_y, e.max_y, fy, fy});
                }
                back->apply(xs.size(), xs.data(), ys.data());
                r = {*std::min_element(xs.begin(), xs.end()),
                     *std::min_element(ys.begin(), ys.end()),
                     *std::max_element(xs.begin(), xs.end()),
                     *std::max_element(ys.begin(), ys.end())};
            }
            native.push_back(r);
        }
        for (const Extent& r : disjoint_extents(native)) {
            im.layer->SetSpatialFilterRect(r.min_x, r.min_y, r.max_x, r.max_y);
            im.layer->ResetReading();
            for (auto& f : *im.layer) {
                check_read(f->GetFID());
                const GIntBig id = im.fid_field >= 0 && f->IsFieldSetAndNotNull(im.fid_field)
                                       ? f->GetFieldAsInteger64(im.fid_field)
                                       : f->GetFID();
                if (seen.insert(id).second) fetch(f.get());
                last_fid = f->GetFID();
            }
            check_read(-1);
        }
        im.layer->SetSpatialFilter(nullptr);
    }
    flush(true);
    if (filtered)
        std::stable_sort(out.features.begin(), out.features.end(),
                         [](const Feature& a, const Feature& b) { return a.fid < b.fid; });
    progress(1.0, "read");
    if (out.features.empty() && !im.input.allow_empty)
        throw DataError(out.where() + ": has no features" +
                        (im.input.where.empty() ? std::string(" with geometry")
                                                : " matching '" + im.input.where + "'") +
                        "; check that this is the right layer (" + opt(im.input.role, "layer") +
                        ")");
    if (out.kind == GeometryKind::mixed || out.kind == GeometryKind::none) {
        if (kinds.size() == 1)
            out.kind = *kinds.begin();
        else if (kinds.size() > 1)
            out.kind = GeometryKind::mixed;
    }
    if (im.check_utf8) {
        if (not_utf8) {
            im.fall_back_to_gbk(im.utf8_declared);
            log_warning(im.warnings.back());
            out.report.warnings.push_back(im.warnings.back());
            decoder = std::make_unique<detail::Decoder>(im.encoding);
            for (auto& feat : out.features)
                for (auto& v : feat.values)
                    if (auto* text = std::get_if<std::string>(&v)) *text = decoder->decode(*text);
        } else {
            im.confirm_utf8();
        }
        im.check_utf8 = false; // decided: a second read uses the same encoding
        out.report.encoding = im.encoding;
        out.report.encoding_source = im.encoding_source;
    }
    if (decoder && decoder->invalid_sequences() > 0) {
        const std::string w = out.where() + ": " + std::to_string(decoder->invalid_sequences()) +
                              " byte sequences are not valid " + im.encoding +
                              " and were replaced by U+FFFD; give the right " +
                              opt(im.input.role, "encoding");
        out.report.warnings.push_back(w);
        log_warning(w);
    }
    // Duplicate ids.
    const int id = out.role_index("id", false);
    if (id >= 0) {
        std::unordered_map<std::string, int> seen;
        for (const auto& feat : out.features)
            if (++seen[Layer::text(feat.values[id])] == 2) ++out.report.duplicate_ids;
    }
    if (out.report.repaired > 0) {
        std::string ids;
        for (std::size_t i = 0; i < out.report.repaired_fids.size() && i < 10; ++i)
            ids += (i ? ", " : "") + std::to_string(out.report.repaired_fids[i]);
        if (out.report.repaired_fids.size() > 10) ids += ", …";
        const std::string w = out.where() + ": repaired " + std::to_string(out.report.repaired) +
                              " invalid geometries (features " + ids + ")";
        out.report.warnings.push_back(w);
        log_warning(w);
    }
    if (out.report.skipped > 0) {
        const std::string w = out.where() + ": skipped " + std::to_string(out.report.skipped) +
                              " features with invalid geometry";
        out.report.warnings.push_back(w);
        log_warning(w);
    }
    if (out.report.empty_or_null > 0) {
        const std::string w = out.where() + ": " + std::to_string(out.report.empty_or_null) +
                              " features have no geometry and were left out";
        out.report.warnings.push_back(w);
        log_warning(w);
    }
    if (out.report.duplicate_ids > 0) {
        const std::string w = out.where() + ": " + std::to_string(out.report.duplicate_ids) +
                              " id values occur more than once";
        out.report.warnings.push_back(w);
        log_warning(w);
    }
    return out;
}

std::vector<std::string> list_layers(const std::string& path) {
    gdal_init();
    if (!is_connection_string(path) && !fs::exists(path))
        throw IoError("'" + path + "' does not exist; check the path");
    CplErrorCapture capture;
    GdalDatasetPtr ds(GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY));
    if (!ds)
        throw IoError("'" + redact_password(path) + "' cannot be opened as a vector layer" +
                      (capture.message().empty()
                           ? std::string()
                           : " (" + redact_password(capture.message()) + ")") +
                      "; check that it is a complete Shapefile, GeoPackage, FileGDB, GeoJSON, "
                      "CSV or other file GDAL reads (an empty or damaged file is not)");
    std::vector<std::string> out;
    for (int i = 0; i < ds->GetLayerCount(); ++i)
        out.emplace_back(ds->GetLayer(i)->GetName());
    return out;
}

Layer read_vector(const VectorInput& input, const Crs& target, Progress progress) {
    VectorReader reader(input);
    return reader.read(target, progress);
}

Crs working_crs_for(const std::vector<const VectorReader*>& readers, const std::string& user) {
    if (!user.empty()) {
        Crs c = Crs::parse(user, "--crs");
        if (!c.is_projected())
            throw UsageError("--crs: " + c.label() +
                             " is not a projected (metric) CRS; distances "
                             "and buffers are never computed in degrees. Use e.g. EPSG:4545");
        return c;
    }
    Extent all{1e300, 1e300, -1e300, -1e300};
    for (const VectorReader* r : readers) {
        const Extent e = r->extent_lonlat();
        if (!e.valid()) continue;
        all.min_x = std::min(all.min_x, e.min_x);
        all.min_y = std::min(all.min_y, e.min_y);
        all.max_x = std::max(all.max_x, e.max_x);
        all.max_y = std::max(all.max_y, e.max_y);
    }
    if (!all.valid()) throw DataError("cannot choose a working CRS: the inputs have no extent");
    return choose_working_crs(all.centre_x(), all.centre_y());
}

} // namespace soilrisk::io
