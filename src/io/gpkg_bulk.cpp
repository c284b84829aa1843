#include "gpkg_bulk.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <geos_c.h>
#include <limits>
#include <memory>
#include <ogr_core.h>
#include <sqlite3.h>

#include "soilrisk/core/error.hpp"
#include "sql_quote.hpp"

namespace soilrisk::io::detail {

namespace {

constexpr std::size_t kCellBytes = 8 + 4 * 4; // id + (min, max) x 2 dimensions as float32

struct DbClose {
    void operator()(sqlite3* db) const noexcept { sqlite3_close(db); }
};
struct StmtFinalize {
    void operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }
};
using Db = std::unique_ptr<sqlite3, DbClose>;
using Stmt = std::unique_ptr<sqlite3_stmt, StmtFinalize>;

// A box as the R*Tree stores it: float32, rounded outwards so that it still contains
// the feature (as rtree.c's rtreeValueDown / rtreeValueUp do).
float down(double v) {
    float f = static_cast<float>(v);
    if (double(f) > v) f = std::nextafter(f, -std::numeric_limits<float>::infinity());
    return f;
}
float up(double v) {
    float f = static_cast<float>(v);
    if (double(f) < v) f = std::nextafter(f, std::numeric_limits<float>::infinity());
    return f;
}

struct Item {
    float box[4];     // min_x, max_x, min_y, max_y
    std::int64_t ref; // leaf: the feature id; above: the child's index in the level below
};

using Node = std::vector<Item>;

Item cover(const Node& node, std::int64_t ref) {
    Item it{{node[0].box[0], node[0].box[1], node[0].box[2], node[0].box[3]}, ref};
    for (const Item& c : node) {
        it.box[0] = std::min(it.box[0], c.box[0]);
        it.box[1] = std::max(it.box[1], c.box[1]);
        it.box[2] = std::min(it.box[2], c.box[2]);
        it.box[3] = std::max(it.box[3], c.box[3]);
    }
    return it;
}

// One level of Sort-Tile-Recursive packing: vertical slices by centre x, each sorted by
// centre y and cut into nodes of `m` items. Ties go by ref: the same tree every run.
std::vector<Node> pack(std::vector<Item> items, std::size_t m) {
    const std::size_t n = items.size();
    const std::size_t nodes = (n + m - 1) / m;
    const auto slices = static_cast<std::size_t>(std::ceil(std::sqrt(double(nodes))));
    const std::size_t per_slice = slices * m;
    auto cx = [](const Item& a) { return double(a.box[0]) + double(a.box[1]); };
    auto cy = [](const Item& a) { return double(a.box[2]) + double(a.box[3]); };
    std::sort(items.begin(), items.end(), [&](const Item& a, const Item& b) {
        return cx(a) < cx(b) || (cx(a) == cx(b) && a.ref < b.ref);
    });
    std::vector<Node> out;
    out.reserve(nodes);
    for (std::size_t s = 0; s < n; s += per_slice) {
        const auto first = items.begin() + std::ptrdiff_t(s);
        const auto last = items.begin() + std::ptrdiff_t(std::min(n, s + per_slice));
        std::sort(first, last, [&](const Item& a, const Item& b) {
            return cy(a) < cy(b) || (cy(a) == cy(b) && a.ref < b.ref);
        });
        for (auto it = first; it < last; it += std::ptrdiff_t(std::min<std::size_t>(m, last - it)))
            out.emplace_back(it, it + std::ptrdiff_t(std::min<std::size_t>(m, last - it)));
    }
    return out;
}

void put_be(unsigned char* p, std::uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) {
        p[i] = static_cast<unsigned char>(v & 0xff);
        v >>= 8;
    }
}

class Writer {
  public:
    Writer(const std::string& path, const std::string& display) : display_(display) {
        sqlite3* db = nullptr;
        const int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr);
        db_.reset(db);
        if (rc != SQLITE_OK) fail("cannot open it to add the spatial index");
        // The file is a temporary one, renamed into place only when complete.
        exec("PRAGMA journal_mode = OFF");
        exec("PRAGMA synchronous = OFF");
        exec("BEGIN");
    }
    void exec(const std::string& sql) {
        char* err = nullptr;
        if (sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
            const std::string msg = err ? err : "unknown error";
            sqlite3_free(err);
            throw IoError("cannot write the spatial index of '" + display_ + "' (" + msg + ")");
        }
    }
    Stmt prepare(const std::string& sql) {
        sqlite3_stmt* s = nullptr;
        if (sqlite3_prepare_v2(db_.get(), sql.c_str(), -1, &s, nullptr) != SQLITE_OK)
            fail("cannot write the spatial index");
        return Stmt(s);
    }
    void step(sqlite3_stmt* s) {
        if (sqlite3_step(s) != SQLITE_DONE) fail("cannot write the spatial index");
        sqlite3_reset(s);
    }
    int node_size(const std::string& rtree) {
        Stmt s = prepare("SELECT length(data) FROM " + quote_ident(rtree + "_node") +
                         " WHERE nodeno = 1");
        if (sqlite3_step(s.get()) != SQLITE_ROW) fail("the new R-tree has no root node");
        return sqlite3_column_int(s.get(), 0);
    }
    void commit() { exec("COMMIT"); }
    /// The most parameters one statement may have in this SQLite build.
    int variable_limit() { return sqlite3_limit(db_.get(), SQLITE_LIMIT_VARIABLE_NUMBER, -1); }
    [[noreturn]] void fail(const char* what) {
        throw IoError(std::string(what) + " in '" + display_ + "' (" + sqlite3_errmsg(db_.get()) +
                      ")");
    }

  private:
    std::string display_;
    Db db_;
};

void write_layer(Writer& w, const RtreeLayer& layer) {
    const std::string rtree = "rtree_" + layer.table + "_" + layer.column;
    const std::string t = quote_ident(layer.table), c = quote_ident(layer.column),
                      i = quote_ident(layer.id_column), r = quote_ident(rtree);
    w.exec("CREATE VIRTUAL TABLE " + r + " USING rtree(id, minx, maxx, miny, maxy)");
    if (!layer.entries.empty()) {
        const int node_size = w.node_size(rtree);
        const std::size_t m = (std::size_t(node_size) - 4) / kCellBytes;
        if (m < 2) w.fail("unexpected R-tree node size");

        // Levels, leaves first.
        std::vector<Item> items;
        items.reserve(layer.entries.size());
        for (const RtreeEntry& e : layer.entries)
            items.push_back({{down(e.min_x), up(e.max_x), down(e.min_y), up(e.max_y)}, e.id});
        std::vector<std::vector<Node>> levels{pack(std::move(items), m)};
        while (levels.back().size() > 1) {
            std::vector<Item> above;
            above.reserve(levels.back().size());
            for (std::size_t k = 0; k < levels.back().size(); ++k)
                above.push_back(cover(levels.back()[k], std::int64_t(k)));
            levels.push_back(pack(std::move(above), m));
        }
        // Node numbers from the root (1) down, level by level.
        std::vector<std::vector<std::int64_t>> number(levels.size());
        std::int64_t next = 1;
        for (std::size_t l = levels.size(); l-- > 0;)
            for (std::size_t k = 0; k < levels[l].size(); ++k)
                number[l].push_back(next++);

        w.exec("DELETE FROM " + quote_ident(rtree + "_node"));
        Stmt node = w.prepare("INSERT INTO " + quote_ident(rtree + "_node") + " VALUES (?, ?)");
        Stmt parent = w.prepare("INSERT INTO " + quote_ident(rtree + "_parent") + " VALUES (?, ?)");
        Stmt rowid = w.prepare("INSERT INTO " + quote_ident(rtree + "_rowid") + " VALUES (?, ?)");
        std::vector<unsigned char> blob(static_cast<std::size_t>(node_size));
        const int depth = static_cast<int>(levels.size()) - 1;
        for (std::size_t l = levels.size(); l-- > 0;)
            for (std::size_t k = 0; k < levels[l].size(); ++k) {
                const Node& nd = levels[l][k];
                const std::int64_t no = number[l][k];
                std::fill(blob.begin(), blob.end(), 0);
                if (no == 1) put_be(blob.data(), std::uint64_t(depth), 2);
                put_be(blob.data() + 2, nd.size(), 2);
                for (std::size_t j = 0; j < nd.size(); ++j) {
                    unsigned char* p = blob.data() + 4 + j * kCellBytes;
                    const std::int64_t ref =
                        l == 0 ? nd[j].ref : number[l - 1][std::size_t(nd[j].ref)];
                    put_be(p, std::uint64_t(ref), 8);
                    for (int q = 0; q < 4; ++q) {
                        std::uint32_t bits;
                        std::memcpy(&bits, &nd[j].box[q], 4);
                        put_be(p + 8 + 4 * q, bits, 4);
                    }
                    if (l == 0) {
                        sqlite3_bind_int64(rowid.get(), 1, ref);
                        sqlite3_bind_int64(rowid.get(), 2, no);
                        w.step(rowid.get());
                    } else {
                        sqlite3_bind_int64(parent.get(), 1, ref);
                        sqlite3_bind_int64(parent.get(), 2, no);
                        w.step(parent.get());
                    }
                }
                sqlite3_bind_int64(node.get(), 1, no);
                sqlite3_bind_blob(node.get(), 2, blob.data(), node_size, SQLITE_STATIC);
                w.step(node.get());
            }
    }
    // The triggers that keep the index in step with later edits (GeoPackage 1.2, F.3).
    const std::string values = "VALUES (NEW." + i + ",ST_MinX(NEW." + c + "), ST_MaxX(NEW." + c +
                               "),ST_MinY(NEW." + c + "), ST_MaxY(NEW." + c + "))";
    w.exec("CREATE TRIGGER " + quote_ident(rtree + "_insert") + " AFTER INSERT ON " + t +
           " WHEN (new." + c + " NOT NULL AND NOT ST_IsEmpty(NEW." + c +
           ")) BEGIN INSERT OR REPLACE INTO " + r + " " + values + "; END");
    w.exec("CREATE TRIGGER " + quote_ident(rtree + "_update1") + " AFTER UPDATE OF " + c + " ON " +
           t + " WHEN OLD." + i + " = NEW." + i + " AND (NEW." + c +
           " NOTNULL AND NOT ST_IsEmpty(NEW." + c + ")) BEGIN INSERT OR REPLACE INTO " + r + " " +
           values + "; END");
    w.exec("CREATE TRIGGER " + quote_ident(rtree + "_update2") + " AFTER UPDATE OF " + c + " ON " +
           t + " WHEN OLD." + i + " = NEW." + i + " AND (NEW." + c + " ISNULL OR ST_IsEmpty(NEW." +
           c + ")) BEGIN DELETE FROM " + r + " WHERE id = OLD." + i + "; END");
    w.exec("CREATE TRIGGER " + quote_ident(rtree + "_update3") + " AFTER UPDATE ON " + t +
           " WHEN OLD." + i + " != NEW." + i + " AND (NEW." + c +
           " NOTNULL AND NOT ST_IsEmpty(NEW." + c + ")) BEGIN DELETE FROM " + r +
           " WHERE id = OLD." + i + "; INSERT OR REPLACE INTO " + r + " " + values + "; END");
    w.exec("CREATE TRIGGER " + quote_ident(rtree + "_update4") + " AFTER UPDATE ON " + t +
           " WHEN OLD." + i + " != NEW." + i + " AND (NEW." + c + " ISNULL OR ST_IsEmpty(NEW." + c +
           ")) BEGIN DELETE FROM " + r + " WHERE id IN (OLD." + i + ", NEW." + i + "); END");
    w.exec("CREATE TRIGGER " + quote_ident(rtree + "_delete") + " AFTER DELETE ON " + t +
           " WHEN old." + c + " NOT NULL BEGIN DELETE FROM " + r + " WHERE id = OLD." + i +
           "; END");
    w.exec("INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, "
           "scope) VALUES (" +
           quote_literal(layer.table) + ", " + quote_literal(layer.column) +
           ", 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', "
           "'write-only')");
}

void insert_rows(Writer& w, BulkRows& b) {
    const std::string t = quote_ident(b.table);
    int srs_id = 0;
    if (b.spatial) {
        Stmt s = w.prepare("SELECT srs_id FROM gpkg_geometry_columns WHERE lower(table_name) = "
                           "lower(" +
                           quote_literal(b.table) + ")");
        if (sqlite3_step(s.get()) != SQLITE_ROW) w.fail("the table has no geometry column");
        srs_id = sqlite3_column_int(s.get(), 0);
    }
    // The table's triggers (GDAL's feature count) are set aside while the rows go in.
    std::vector<std::pair<std::string, std::string>> triggers;
    {
        Stmt s = w.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND "
                           "tbl_name = " +
                           quote_literal(b.table));
        while (sqlite3_step(s.get()) == SQLITE_ROW)
            triggers.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(s.get(), 0)),
                                  reinterpret_cast<const char*>(sqlite3_column_text(s.get(), 1)));
    }
    for (const auto& tr : triggers)
        w.exec("DROP TRIGGER " + quote_ident(tr.first));
    // Many rows per statement: SQLite's per-statement work (and the AUTOINCREMENT
    // bookkeeping of GDAL's fid column) is paid once per batch instead of once per row.
    std::string head = "INSERT INTO " + t;
    head += b.spatial ? " (\"fid\", \"geom\"" : " (\"fid\"";
    std::string params = b.spatial ? "(?, ?" : "(?";
    for (const auto& c : b.columns) {
        head += ", " + quote_ident(c);
        params += ", ?";
    }
    params += ")";
    const int first = b.spatial ? 3 : 2;
    const int per_row = first - 1 + int(b.columns.size());
    const std::size_t batch =
        std::clamp<std::size_t>(std::size_t(w.variable_limit() / per_row), 1, 64);
    auto statement = [&](std::size_t rows) {
        std::string sql = head + ") VALUES ";
        for (std::size_t i = 0; i < rows; ++i)
            sql += (i ? ", " : "") + params;
        return w.prepare(sql);
    };
    Stmt full = statement(batch), rest;
    for (std::size_t r0 = 0; r0 < b.rows.size(); r0 += batch) {
        const std::size_t count = std::min(batch, b.rows.size() - r0);
        if (count != batch) rest = statement(count);
        sqlite3_stmt* s = count == batch ? full.get() : rest.get();
        for (std::size_t i = 0; i < count; ++i) {
            const std::size_t r = r0 + i;
            const int base = int(i) * per_row;
            sqlite3_bind_int64(s, base + 1, std::int64_t(r + 1));
            if (b.spatial) {
                std::string& g = b.geometry[r];
                if (g.empty()) {
                    sqlite3_bind_null(s, base + 2);
                } else {
                    const std::int32_t id = srs_id;
                    std::memcpy(g.data() + 4, &id, 4);
                    sqlite3_bind_blob(s, base + 2, g.data(), int(g.size()), SQLITE_STATIC);
                }
            }
            for (std::size_t c = 0; c < b.columns.size(); ++c) {
                const Value& v = b.rows[r][c];
                const int k = base + first + int(c);
                if (std::holds_alternative<std::monostate>(v)) {
                    sqlite3_bind_null(s, k);
                } else if (b.kinds[c] == 'i') {
                    sqlite3_bind_int64(s, k, std::get<std::int64_t>(v));
                } else if (b.kinds[c] == 'r') {
                    const double d = std::holds_alternative<double>(v)
                                         ? std::get<double>(v)
                                         : static_cast<double>(std::get<std::int64_t>(v));
                    sqlite3_bind_double(s, k, d);
                } else if (const auto* text = std::get_if<std::string>(&v)) {
                    sqlite3_bind_text(s, k, text->data(), int(text->size()), SQLITE_STATIC);
                } else {
                    char buf[64];
                    if (const auto* n = std::get_if<std::int64_t>(&v))
                        std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(*n));
                    else
                        std::snprintf(buf, sizeof buf, "%.17g", std::get<double>(v));
                    sqlite3_bind_text(s, k, buf, -1, SQLITE_TRANSIENT);
                }
            }
        }
        w.step(s);
        sqlite3_clear_bindings(s);
    }
    for (const auto& tr : triggers)
        w.exec(tr.second);
    w.exec("UPDATE gpkg_ogr_contents SET feature_count = " + std::to_string(b.rows.size()) +
           " WHERE lower(table_name) = lower(" + quote_literal(b.table) + ")");
    if (b.extent) {
        char buf[160];
        std::snprintf(buf, sizeof buf, "min_x = %.17g, min_y = %.17g, max_x = %.17g, max_y = %.17g",
                      (*b.extent)[0], (*b.extent)[1], (*b.extent)[2], (*b.extent)[3]);
        w.exec(std::string("UPDATE gpkg_contents SET ") + buf +
               " WHERE lower(table_name) = lower(" + quote_literal(b.table) + ")");
    }
}

// WKB written straight from GEOS's coordinates (2D, little endian; byte for byte what
// GEOS's WKBWriter writes with output dimension 2, without its stream per value).
struct Extent2 {
    double min_x = std::numeric_limits<double>::infinity(), max_x = -min_x, min_y = min_x,
           max_y = -min_x;
};

void append_u32(std::string& out, std::uint32_t v) {
    out.append(reinterpret_cast<const char*>(&v), 4);
}

// Appends the coordinates of `seq` (count first when `counted`) and widens `box`.
void append_points(GEOSContextHandle_t ctx, const GEOSCoordSequence* seq, std::string& out,
                   Extent2& box, bool counted) {
    unsigned int n = 0;
    if (!seq || GEOSCoordSeq_getSize_r(ctx, seq, &n) != 1) n = 0;
    if (counted) append_u32(out, n);
    if (n == 0) return;
    thread_local std::vector<double> xy;
    xy.resize(2 * std::size_t(n));
    GEOSCoordSeq_copyToBuffer_r(ctx, seq, xy.data(), 0, 0);
    for (unsigned int i = 0; i < n; ++i) {
        const double x = xy[2 * i], y = xy[2 * i + 1];
        box.min_x = std::min(box.min_x, x);
        box.max_x = std::max(box.max_x, x);
        box.min_y = std::min(box.min_y, y);
        box.max_y = std::max(box.max_y, y);
    }
    out.append(reinterpret_cast<const char*>(xy.data()), xy.size() * sizeof(double));
}

// Appends the WKB of `g`; false (nothing appended) for types left to GEOS's writer.
bool append_wkb(GEOSContextHandle_t ctx, const GEOSGeom_t* g, std::string& out, Extent2& box) {
    const int id = GEOSGeomTypeId_r(ctx, g);
    static constexpr std::uint32_t kWkbType[] = {1, 2, 2, 3, 4, 5, 6};
    if (id < 0 || id > 6) return false;
    out += char(1); // little endian
    append_u32(out, kWkbType[id]);
    switch (id) {
    case GEOS_POINT:
        if (GEOSisEmpty_r(ctx, g) == 1) {
            const double nan = std::numeric_limits<double>::quiet_NaN();
            out.append(reinterpret_cast<const char*>(&nan), 8);
            out.append(reinterpret_cast<const char*>(&nan), 8);
        } else {
            append_points(ctx, GEOSGeom_getCoordSeq_r(ctx, g), out, box, false);
        }
        return true;
    case GEOS_LINESTRING:
    case GEOS_LINEARRING:
        append_points(ctx, GEOSGeom_getCoordSeq_r(ctx, g), out, box, true);
        return true;
    case GEOS_POLYGON: {
        if (GEOSisEmpty_r(ctx, g) == 1) {
            append_u32(out, 0);
            return true;
        }
        const int holes = GEOSGetNumInteriorRings_r(ctx, g);
        append_u32(out, static_cast<std::uint32_t>(1 + holes));
        append_points(ctx, GEOSGeom_getCoordSeq_r(ctx, GEOSGetExteriorRing_r(ctx, g)), out, box,
                      true);
        for (int h = 0; h < holes; ++h)
            append_points(ctx, GEOSGeom_getCoordSeq_r(ctx, GEOSGetInteriorRingN_r(ctx, g, h)), out,
                          box, true);
        return true;
    }
    default: {
        const int parts = GEOSGetNumGeometries_r(ctx, g);
        append_u32(out, static_cast<std::uint32_t>(parts));
        for (int i = 0; i < parts; ++i)
            append_wkb(ctx, GEOSGetGeometryN_r(ctx, g, i), out, box);
        return true;
    }
    }
}

} // namespace

std::string gpkg_geometry(GEOSContextHandle_t ctx, GEOSWKBWriter* writer, const GEOSGeom_t* g,
                          int target, const std::string& layer, std::size_t row,
                          double envelope[4]) {
    const auto where = [&] { return layer + ", row " + std::to_string(row + 1); };
    if (GEOSisEmpty_r(ctx, g) == 1) return {};
    // GEOS type ids: point 0, linestring 1, linearring 2, polygon 3, multi* 4-6,
    // collection 7; WKB codes: point 1, linestring 2, polygon 3, multi* 4-6, collection 7.
    static constexpr int kWkb[] = {1, 2, 2, 3, 4, 5, 6, 7};
    const int id = GEOSGeomTypeId_r(ctx, g);
    const int have = id >= 0 && id < 8 ? kWkb[id] : 0;
    const GEOSGeom_t* part = g;
    bool wrap = false;
    if (have != target) {
        if (have >= 1 && have <= 3 && target == have + 3) {
            wrap = true; // a part into its multi
        } else if (have >= 4 && have <= 6 && target == have - 3 &&
                   GEOSGetNumGeometries_r(ctx, g) == 1) {
            part = GEOSGetGeometryN_r(ctx, g, 0); // a one-part multi into its part
        } else {
            throw DataError(
                where() + ": a " + OGRGeometryTypeToName(static_cast<OGRwkbGeometryType>(have)) +
                " does not fit a " +
                OGRGeometryTypeToName(static_cast<OGRwkbGeometryType>(target)) + " layer");
        }
    }
    std::string blob(40, '\0');
    if (wrap) {
        const std::uint32_t type = static_cast<std::uint32_t>(target), one = 1;
        blob += char(1); // little endian
        blob.append(reinterpret_cast<const char*>(&type), 4);
        blob.append(reinterpret_cast<const char*>(&one), 4);
    }
    Extent2 box;
    if (!append_wkb(ctx, part, blob, box)) {
        // Collections: GEOS's own writer.
        std::size_t size = 0;
        unsigned char* wkb = GEOSWKBWriter_write_r(ctx, writer, part, &size);
        if (!wkb) throw DataError(where() + ": geometry cannot be encoded");
        blob.append(reinterpret_cast<const char*>(wkb), size);
        GEOSFree_r(ctx, wkb);
        GEOSGeom_getXMin_r(ctx, g, &box.min_x);
        GEOSGeom_getXMax_r(ctx, g, &box.max_x);
        GEOSGeom_getYMin_r(ctx, g, &box.min_y);
        GEOSGeom_getYMax_r(ctx, g, &box.max_y);
    }
    envelope[0] = box.min_x;
    envelope[1] = box.max_x;
    envelope[2] = box.min_y;
    envelope[3] = box.max_y;
    unsigned char* p = reinterpret_cast<unsigned char*>(blob.data());
    p[0] = 'G';
    p[1] = 'P';
    p[2] = 0;    // version 1
    p[3] = 0x03; // little endian, envelope [min x, max x, min y, max y]
    // p[4..7]: srs_id, filled in when written
    std::memcpy(p + 8, envelope, 32); // x86-64 and arm64 are little endian
    return blob;
}

void write_gpkg_bulk(const std::string& path, std::vector<BulkRows>& rows,
                     const std::vector<RtreeLayer>& rtrees, const std::string& display,
                     const std::vector<ViewDef>& views) {
    if (rows.empty() && rtrees.empty() && views.empty()) return;
    Writer w(path, display);
    for (BulkRows& b : rows)
        insert_rows(w, b);
    if (!rtrees.empty())
        w.exec("CREATE TABLE IF NOT EXISTS gpkg_extensions (table_name TEXT, column_name TEXT, "
               "extension_name TEXT NOT NULL, definition TEXT NOT NULL, scope TEXT NOT NULL, "
               "CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))");
    for (const RtreeLayer& l : rtrees)
        write_layer(w, l);
    for (const ViewDef& v : views) {
        const std::string name = quote_literal(v.name), like = quote_literal(v.like);
        w.exec("CREATE VIEW " + quote_ident(v.name) + " AS " + v.select);
        w.exec("INSERT INTO gpkg_contents (table_name, data_type, identifier, description, "
               "last_change, min_x, min_y, max_x, max_y, srs_id) SELECT " +
               name + ", data_type, " + name +
               ", '', last_change, min_x, min_y, max_x, max_y, srs_id FROM gpkg_contents "
               "WHERE lower(table_name) = lower(" +
               like + ")");
        w.exec("INSERT INTO gpkg_geometry_columns (table_name, column_name, "
               "geometry_type_name, srs_id, z, m) SELECT " +
               name +
               ", column_name, geometry_type_name, srs_id, z, m FROM gpkg_geometry_columns "
               "WHERE lower(table_name) = lower(" +
               like + ")");
    }
    w.commit();
}

} // namespace soilrisk::io::detail
