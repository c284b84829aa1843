#include "gpkg_rtree.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <sqlite3.h>

#include "soilrisk/core/error.hpp"

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

std::string quote(const std::string& ident) {
    std::string q = "\"";
    for (char c : ident) {
        if (c == '"') q += '"';
        q += c;
    }
    return q + "\"";
}

std::string literal(const std::string& text) {
    std::string q = "'";
    for (char c : text) {
        if (c == '\'') q += '\'';
        q += c;
    }
    return q + "'";
}

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
        Stmt s =
            prepare("SELECT length(data) FROM " + quote(rtree + "_node") + " WHERE nodeno = 1");
        if (sqlite3_step(s.get()) != SQLITE_ROW) fail("the new R-tree has no root node");
        return sqlite3_column_int(s.get(), 0);
    }
    void commit() { exec("COMMIT"); }
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
    const std::string t = quote(layer.table), c = quote(layer.column), i = quote(layer.id_column),
                      r = quote(rtree);
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

        w.exec("DELETE FROM " + quote(rtree + "_node"));
        Stmt node = w.prepare("INSERT INTO " + quote(rtree + "_node") + " VALUES (?, ?)");
        Stmt parent = w.prepare("INSERT INTO " + quote(rtree + "_parent") + " VALUES (?, ?)");
        Stmt rowid = w.prepare("INSERT INTO " + quote(rtree + "_rowid") + " VALUES (?, ?)");
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
    w.exec("CREATE TRIGGER " + quote(rtree + "_insert") + " AFTER INSERT ON " + t + " WHEN (new." +
           c + " NOT NULL AND NOT ST_IsEmpty(NEW." + c + ")) BEGIN INSERT OR REPLACE INTO " + r +
           " " + values + "; END");
    w.exec("CREATE TRIGGER " + quote(rtree + "_update1") + " AFTER UPDATE OF " + c + " ON " + t +
           " WHEN OLD." + i + " = NEW." + i + " AND (NEW." + c +
           " NOTNULL AND NOT ST_IsEmpty(NEW." + c + ")) BEGIN INSERT OR REPLACE INTO " + r + " " +
           values + "; END");
    w.exec("CREATE TRIGGER " + quote(rtree + "_update2") + " AFTER UPDATE OF " + c + " ON " + t +
           " WHEN OLD." + i + " = NEW." + i + " AND (NEW." + c + " ISNULL OR ST_IsEmpty(NEW." + c +
           ")) BEGIN DELETE FROM " + r + " WHERE id = OLD." + i + "; END");
    w.exec("CREATE TRIGGER " + quote(rtree + "_update3") + " AFTER UPDATE ON " + t + " WHEN OLD." +
           i + " != NEW." + i + " AND (NEW." + c + " NOTNULL AND NOT ST_IsEmpty(NEW." + c +
           ")) BEGIN DELETE FROM " + r + " WHERE id = OLD." + i + "; INSERT OR REPLACE INTO " + r +
           " " + values + "; END");
    w.exec("CREATE TRIGGER " + quote(rtree + "_update4") + " AFTER UPDATE ON " + t + " WHEN OLD." +
           i + " != NEW." + i + " AND (NEW." + c + " ISNULL OR ST_IsEmpty(NEW." + c +
           ")) BEGIN DELETE FROM " + r + " WHERE id IN (OLD." + i + ", NEW." + i + "); END");
    w.exec("CREATE TRIGGER " + quote(rtree + "_delete") + " AFTER DELETE ON " + t + " WHEN old." +
           c + " NOT NULL BEGIN DELETE FROM " + r + " WHERE id = OLD." + i + "; END");
    w.exec("INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, "
           "scope) VALUES (" +
           literal(layer.table) + ", " + literal(layer.column) +
           ", 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', "
           "'write-only')");
}

} // namespace

void write_gpkg_rtrees(const std::string& path, const std::vector<RtreeLayer>& layers,
                       const std::string& display) {
    if (layers.empty()) return;
    Writer w(path, display);
    w.exec("CREATE TABLE IF NOT EXISTS gpkg_extensions (table_name TEXT, column_name TEXT, "
           "extension_name TEXT NOT NULL, definition TEXT NOT NULL, scope TEXT NOT NULL, "
           "CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))");
    for (const RtreeLayer& l : layers)
        write_layer(w, l);
    w.commit();
}

} // namespace soilrisk::io::detail
