#include "soilrisk/analysis/near.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <geos_c.h>
#include <map>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include "analysis/polygon_check.hpp"
#include "soilrisk/analysis/categories.hpp"
#include "soilrisk/core/error.hpp"
#include "soilrisk/core/log.hpp"
#include "soilrisk/core/units.hpp"
#include "soilrisk/spatial/distance.hpp"
#include "soilrisk/spatial/index.hpp"
#include "soilrisk/spatial/nearest.hpp"
#include "soilrisk/spatial/overlay.hpp"

namespace soilrisk::analysis {

namespace {

using geos::Geom;

/// Field serving `role`, else the first of `fallbacks` that exists, else -1.
int field_for(const io::Layer& l, const char* role, std::initializer_list<const char*> fallbacks) {
    int i = l.role_index(role, false);
    if (i >= 0) return i;
    for (const char* f : fallbacks)
        if ((i = l.field_index(f)) >= 0) return i;
    return -1;
}

std::shared_ptr<Geom> share(geos::GeomPtr g) {
    return std::shared_ptr<Geom>(g.release(), geos::GeomDeleter{});
}

/// Prepared geometries made on first use in each thread: GEOS prepared geometries build
/// their indexes lazily and must not be shared between threads.
class PerThreadPrepared {
  public:
    explicit PerThreadPrepared(std::vector<const Geom*> geoms) : geoms_(std::move(geoms)) {}
    const GEOSPreparedGeometry* get(std::size_t i) {
        auto& local = ets_.local();
        if (local.size() != geoms_.size()) local.resize(geoms_.size());
        if (!local[i] && geoms_[i]) local[i].reset(GEOSPrepare_r(geos::ctx(), geoms_[i]));
        return local[i].get();
    }

  private:
    std::vector<const Geom*> geoms_;
    tbb::enumerable_thread_specific<std::vector<geos::PreparedPtr>> ets_;
};

/// What the workers need about one source.
struct SourceWork {
    const Geom* geom = nullptr;
    bool point = false; ///< a single point: distances computed directly
    double x = 0, y = 0;
    bool polygonal = false;
    std::vector<geos::GeomPtr> outer; ///< per ring: the whole buffer (0: the polygon)
    geos::GeomPtr region;             ///< nearest-source region
    Extent reach;
};

struct ChunkOut {
    std::vector<NearPiece> pieces, nearest;
    std::size_t whole = 0, cut = 0;
};

io::Value by_value(const io::Layer& l, std::size_t parcel, int field) {
    return l.features[parcel].values[field];
}

/// Sort order of by-values: numbers numerically before text.
bool value_less(const io::Value& a, const io::Value& b) {
    const auto na = io::Layer::number(a), nb = io::Layer::number(b);
    if (na && nb) return *na < *nb;
    if (na.has_value() != nb.has_value()) return na.has_value();
    return io::Layer::text(a) < io::Layer::text(b);
}

struct ValuesLess {
    bool operator()(const std::vector<io::Value>& a, const std::vector<io::Value>& b) const {
        for (std::size_t i = 0; i < a.size(); ++i) {
            if (value_less(a[i], b[i])) return true;
            if (value_less(b[i], a[i])) return false;
        }
        return false;
    }
};

struct Acc {
    double m2 = 0;
    std::vector<std::uint32_t> parcels;
    void add(const NearPiece& p) {
        m2 += p.area_m2;
        parcels.push_back(p.parcel);
    }
    std::int64_t count() const {
        auto v = parcels;
        std::sort(v.begin(), v.end());
        return static_cast<std::int64_t>(std::unique(v.begin(), v.end()) - v.begin());
    }
};

const std::string kAll = "all";

} // namespace

std::vector<NearRing> make_rings(const std::vector<double>& edges) {
    std::vector<double> e;
    for (double d : edges) {
        if (!std::isfinite(d) || d < 0)
            throw UsageError("--rings: distances must be finite and not negative");
        if (!e.empty() && !(d > e.back()))
            throw UsageError("--rings: distances must increase, e.g. 0,500,1000,2000");
        if (d > 0 || !e.empty()) e.push_back(d);
    }
    if (e.empty())
        throw UsageError("--rings: give at least one distance above 0, e.g. 0,500,1000,2000");
    std::vector<NearRing> rings;
    rings.push_back({0, 0, true});
    double from = 0;
    for (double d : e) {
        rings.push_back({from, d, false});
        from = d;
    }
    return rings;
}

std::vector<Extent> near_reach(const io::Layer& sources, const std::vector<double>& rings,
                               int quad_segs) {
    (void)quad_segs; // buffers lie within the true distance whatever the segments
    const double reach = make_rings(rings).back().to_m + 1.0;
    std::vector<Extent> out;
    for (const auto& f : sources.features) {
        Extent e = spatial::envelope(f.geom.get());
        if (!e.valid()) continue;
        out.push_back({e.min_x - reach, e.min_y - reach, e.max_x + reach, e.max_y + reach});
    }
    return out;
}

NearResult near_analysis(const io::Layer& farmland, const io::Layer& sources,
                         const NearOptions& options, Progress progress) {
    const auto ctx = geos::ctx();
    if (farmland.kind != io::GeometryKind::polygon)
        throw DataError(farmland.where() + ": farmland must be polygons, the layer has " +
                        io::to_string(farmland.kind) + " geometries" +
                        detail::first_non_polygon(farmland) + "; check --farmland-layer");
    if (farmland.crs.empty() || !farmland.crs.is_projected())
        throw DataError(farmland.where() + ": rings need a metric (projected) CRS, got " +
                        (farmland.crs.empty() ? std::string("none") : farmland.crs.label()) +
                        "; read the layers in a working CRS (e.g. --crs EPSG:4545)");
    if (!sources.crs.same_as(farmland.crs))
        throw DataError(sources.where() + ": CRS " + sources.crs.label() +
                        " differs from the farmland's " + farmland.crs.label() +
                        "; read both layers in one working CRS");
    if (options.quad_segs < 1)
        throw UsageError("--quad-segs must be at least 1, got " +
                         std::to_string(options.quad_segs));
    if (!(options.grid_size >= 0) || !std::isfinite(options.grid_size))
        throw UsageError("--grid-size must be 0 or a positive length");

    NearResult res;
    res.rings = make_rings(options.rings);
    const std::size_t k = res.rings.size() - 1;
    std::vector<double> radius(k + 1);
    for (std::size_t i = 0; i <= k; ++i)
        radius[i] = res.rings[i].to_m;
    const double reach = radius[k];
    const double inscribed = spatial::inscribed_factor(options.quad_segs);

    const int cat_field = farmland.role_index("category", true);
    std::vector<int> by_fields;
    for (const auto& b : options.by)
        by_fields.push_back(farmland.role_index(b, true));

    // Sources: rings and nearest regions.
    const int sid = field_for(sources, "id", {"source_id", "mine_id", "site_id", "code"});
    const int sname = field_for(sources, "name", {"source_name", "mine_name", "site_name"});
    std::vector<SourceWork> work;
    for (std::size_t f = 0; f < sources.features.size(); ++f) {
        const io::Feature& feat = sources.features[f];
        if (!feat.geom || GEOSisEmpty_r(ctx, feat.geom.get()) != 0) continue;
        NearSource ns;
        ns.feature = f;
        ns.id = sid >= 0 ? feat.values[sid] : io::Value(feat.fid);
        if (std::holds_alternative<std::monostate>(ns.id)) ns.id = feat.fid;
        ns.name = sname >= 0 ? io::Layer::text(feat.values[sname]) : std::string();
        SourceWork w;
        w.geom = feat.geom.get();
        const int type = GEOSGeomTypeId_r(ctx, w.geom);
        w.point = type == GEOS_POINT;
        if (w.point) {
            GEOSGeomGetX_r(ctx, w.geom, &w.x);
            GEOSGeomGetY_r(ctx, w.geom, &w.y);
        }
        w.polygonal = type == GEOS_POLYGON || type == GEOS_MULTIPOLYGON;
        if (type == GEOS_GEOMETRYCOLLECTION)
            throw DataError(sources.where(feat.fid) +
                            ": mixed geometry collections cannot be buffered; split the "
                            "feature into points, lines or polygons");
        ns.polygonal = w.polygonal;
        w.outer.resize(k + 1);
        ns.rings.resize(k + 1);
        if (w.polygonal) {
            w.outer[0] = geos::clone(w.geom);
            ns.rings[0] = geos::clone(w.geom);
        }
        for (std::size_t i = 1; i <= k; ++i) {
            w.outer[i] = spatial::buffer(w.geom, radius[i], options.quad_segs);
            ns.rings[i] = w.outer[i - 1] ? spatial::polygonal(spatial::difference(
                                               w.outer[i].get(), w.outer[i - 1].get()))
                                         : geos::clone(w.outer[i].get());
        }
        w.reach = spatial::envelope(w.outer[k].get());
        res.sources.push_back(std::move(ns));
        work.push_back(std::move(w));
    }
    if (res.sources.empty())
        throw DataError(sources.where() + ": no source has a geometry; check --sources-layer");
    const std::size_t ns = res.sources.size();

    // Nearest-source regions (lines and polygons: boundary points every `spacing` m).
    {
        Extent cover{1e300, 1e300, -1e300, -1e300};
        std::vector<const Geom*> gs;
        for (const auto& w : work) {
            gs.push_back(w.geom);
            cover.min_x = std::min(cover.min_x, w.reach.min_x);
            cover.min_y = std::min(cover.min_y, w.reach.min_y);
            cover.max_x = std::max(cover.max_x, w.reach.max_x);
            cover.max_y = std::max(cover.max_y, w.reach.max_y);
        }
        const double width = std::max(radius[1], 1.0);
        const double spacing = std::clamp(width / 200.0, 0.5, 5.0);
        auto regions = spatial::nearest_regions(gs, cover, spacing);
        for (std::size_t s = 0; s < ns; ++s) {
            work[s].region = std::move(regions[s]);
            res.sources[s].nearest_rings.resize(k + 1);
            for (std::size_t i = 0; i <= k; ++i)
                if (res.sources[s].rings[i])
                    res.sources[s].nearest_rings[i] = spatial::polygonal(
                        spatial::intersection(res.sources[s].rings[i].get(), work[s].region.get()));
        }
    }
    progress(0.05, "rings");

    // Candidates from the packed R-tree on the parcels.
    const std::size_t np = farmland.features.size();
    std::vector<Extent> boxes(np);
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, np, 4096), [&](const auto& r) {
        for (std::size_t i = r.begin(); i != r.end(); ++i)
            boxes[i] = spatial::envelope(farmland.features[i].geom.get());
    });
    const spatial::EnvelopeIndex index(boxes);
    std::vector<std::pair<std::uint32_t, std::uint32_t>> pairs; // (source, parcel)
    std::vector<char> reached(np, 0);
    for (std::size_t s = 0; s < ns; ++s)
        for (auto p : index.query(work[s].reach)) {
            pairs.emplace_back(static_cast<std::uint32_t>(s), p);
            reached[p] = 1;
        }
    res.stats.pairs = pairs.size();
    res.parcel_area_m2.assign(np, 0.0);
    res.parcel_category.assign(np, 0);
    for (std::size_t p = 0; p < np; ++p) {
        if (!reached[p]) continue;
        const auto& f = farmland.features[p];
        const auto c = parse_category(f.values[cat_field]);
        if (!c) throw DataError(category_problem(farmland, f, cat_field));
        res.parcel_category[p] = *c;
    }
    const AreaCalculator calc(farmland.crs, options.area);
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, np, 1024), [&](const auto& r) {
        for (std::size_t p = r.begin(); p != r.end(); ++p)
            if (reached[p]) res.parcel_area_m2[p] = calc.area_m2(farmland.features[p].geom.get());
    });
    progress(0.15, "index");

    // Per source, prepared: [geometry, buffers 1..k, region].
    const std::size_t slots = k + 2;
    std::vector<const Geom*> to_prepare(ns * slots, nullptr);
    for (std::size_t s = 0; s < ns; ++s) {
        to_prepare[s * slots] = work[s].geom;
        for (std::size_t i = 1; i <= k; ++i)
            to_prepare[s * slots + i] = work[s].outer[i].get();
        to_prepare[s * slots + k + 1] = work[s].region.get();
    }
    PerThreadPrepared prepared(std::move(to_prepare));
    const double grid = options.grid_size;
    const bool single = ns == 1;

    auto piece_distance = [&](const SourceWork& w, std::size_t s, const Geom* g) {
        if (w.point) return spatial::point_polygon_distance(w.x, w.y, g).min;
        double d = 0;
        GEOSPreparedDistance_r(geos::ctx(), prepared.get(s * slots), g, &d);
        return d;
    };

    // `pg` contains the parcel: first its envelope, a rectangle of 4 edges, is tried (a
    // rectangle inside means the parcel inside), then the parcel itself.
    auto contains_parcel = [&](const GEOSPreparedGeometry* pg, std::uint32_t p) {
        const auto c = geos::ctx();
        const Extent& b = boxes[p];
        if (b.max_x > b.min_x && b.max_y > b.min_y) {
            geos::GeomPtr box(GEOSGeom_createRectangle_r(c, b.min_x, b.min_y, b.max_x, b.max_y));
            if (box && GEOSPreparedContains_r(c, pg, box.get()) == 1) return true;
        }
        const int r = GEOSPreparedContains_r(c, pg, farmland.features[p].geom.get());
        if (r == 2) throw Error("GEOS contains failed: " + std::string(geos::last_error()));
        return r == 1;
    };

    auto process = [&](std::uint32_t s, std::uint32_t p, ChunkOut& out) {
        const auto c = geos::ctx();
        const SourceWork& w = work[s];
        const Geom* parcel = farmland.features[p].geom.get();
        double dmin = 0, dmax = HUGE_VAL;
        bool direct = false;
        if (w.point) {
            const auto dr = spatial::point_polygon_distance(w.x, w.y, parcel, &direct);
            dmin = dr.min;
            dmax = dr.max;
        }
        if (!direct) {
            if (GEOSPreparedDistance_r(c, prepared.get(s * slots), parcel, &dmin) != 1)
                throw Error("GEOS distance failed: " + std::string(geos::last_error()));
        }
        if (dmin >= reach) return;
        std::size_t lo = 1;
        if (w.polygonal && dmin == 0) {
            lo = 0;
        } else {
            while (lo < k && !(dmin < radius[lo]))
                ++lo;
        }
        std::size_t hi = k + 1; // first ring whose outer buffer surely holds the parcel
        for (std::size_t j = std::max<std::size_t>(lo, direct ? 1 : 0); j <= k; ++j) {
            if (direct) {
                if (dmax <= radius[j] * inscribed * (1 - 1e-12)) {
                    hi = j;
                    break;
                }
            } else {
                const GEOSPreparedGeometry* pg =
                    j == 0 ? prepared.get(s * slots) : prepared.get(s * slots + j);
                if (contains_parcel(pg, p)) {
                    hi = j;
                    break;
                }
            }
        }
        const std::size_t first_piece = out.pieces.size();
        if (lo == hi) {
            NearPiece piece;
            piece.source = s;
            piece.ring = static_cast<std::uint32_t>(lo);
            piece.parcel = p;
            piece.area_m2 = res.parcel_area_m2[p];
            piece.distance_m = dmin;
            out.pieces.push_back(std::move(piece));
            ++out.whole;
        } else {
            for (std::size_t i = lo; i <= std::min(hi, k); ++i) {
                const Geom* ring = res.sources[s].rings[i].get();
                if (!ring) continue;
                geos::GeomPtr g =
                    spatial::polygonal(spatial::intersection_near(parcel, ring, grid));
                if (!g) continue;
                const double a = calc.area_m2(g.get());
                if (!(a > 0)) continue;
                NearPiece piece;
                piece.source = s;
                piece.ring = static_cast<std::uint32_t>(i);
                piece.parcel = p;
                piece.area_m2 = a;
                piece.distance_m = piece_distance(w, s, g.get());
                piece.geom = share(std::move(g));
                out.pieces.push_back(std::move(piece));
                ++out.cut;
            }
        }
        if (out.pieces.size() == first_piece) return;
        // Nearest-source view: the pieces within this source's region.
        const GEOSPreparedGeometry* region = prepared.get(s * slots + k + 1);
        if (single || contains_parcel(region, p)) {
            for (std::size_t i = first_piece; i < out.pieces.size(); ++i)
                out.nearest.push_back(out.pieces[i]);
            return;
        }
        if (GEOSPreparedIntersects_r(c, region, parcel) != 1) return;
        for (std::size_t i = first_piece; i < out.pieces.size(); ++i) {
            const NearPiece& piece = out.pieces[i];
            const Geom* base = piece.geom ? piece.geom.get() : parcel;
            geos::GeomPtr g =
                spatial::polygonal(spatial::intersection_near(base, w.region.get(), grid));
            if (!g) continue;
            const double a = calc.area_m2(g.get());
            if (!(a > 0)) continue;
            NearPiece q = piece;
            q.region_cut = true;
            q.area_m2 = a;
            q.distance_m = piece_distance(w, s, g.get());
            q.geom = share(std::move(g));
            out.nearest.push_back(std::move(q));
        }
    };

    // Fixed chunks, results per chunk: the same output for any number of threads.
    constexpr std::size_t chunk = 64;
    const std::size_t nchunks = (pairs.size() + chunk - 1) / chunk;
    std::vector<ChunkOut> outs(nchunks);
    const std::size_t batches = 20;
    for (std::size_t b = 0; b < batches; ++b) {
        const std::size_t c0 = nchunks * b / batches, c1 = nchunks * (b + 1) / batches;
        tbb::parallel_for(tbb::blocked_range<std::size_t>(c0, c1, 1), [&](const auto& r) {
            for (std::size_t ci = r.begin(); ci != r.end(); ++ci) {
                const std::size_t e = std::min(pairs.size(), (ci + 1) * chunk);
                for (std::size_t i = ci * chunk; i < e; ++i)
                    process(pairs[i].first, pairs[i].second, outs[ci]);
            }
        });
        progress(0.15 + 0.8 * double(b + 1) / batches, "overlay");
    }
    for (auto& o : outs) {
        res.stats.whole += o.whole;
        res.stats.cut += o.cut;
        for (auto& p : o.pieces)
            res.pieces.push_back(std::move(p));
        for (auto& p : o.nearest)
            res.nearest.push_back(std::move(p));
        o = ChunkOut{};
    }
    auto order = [](const NearPiece& a, const NearPiece& b) {
        if (a.source != b.source) return a.source < b.source;
        if (a.ring != b.ring) return a.ring < b.ring;
        return a.parcel < b.parcel;
    };
    std::stable_sort(res.pieces.begin(), res.pieces.end(), order);
    std::stable_sort(res.nearest.begin(), res.nearest.end(), order);
    // Link each by-source piece to its whole copy in the nearest view: one piece per
    // (source, ring, parcel) in either view, both in that order.
    for (std::size_t i = 0, j = 0; j < res.nearest.size(); ++j) {
        const NearPiece& q = res.nearest[j];
        while (i < res.pieces.size() && order(res.pieces[i], q))
            ++i;
        if (!q.region_cut && i < res.pieces.size() && !order(q, res.pieces[i]))
            res.pieces[i].nearest_fid = static_cast<std::uint32_t>(j + 1);
    }
    progress(1.0, "near");
    return res;
}

// ---- tables -------------------------------------------------------------------------

namespace {

struct Columns {
    bool names;
    const NearOptions& options;
    std::vector<io::Column> list() const {
        std::vector<io::Column> c = {
            {"source_id", "污染源编号", "Source ID", -1},
            {"source_name", "污染源名称", "Source name", -1},
            {"ring_from_m", "环带起（米）", "Ring from (m)", -1},
            {"ring_to_m", "环带止（米）", "Ring to (m)", -1},
            {"category", "类别代码", "Category", -1},
        };
        if (names) c.push_back({"category_name", "类别", "Category name", -1});
        for (const auto& b : options.by)
            c.push_back(b == "county" ? io::Column{"county", "县（区）", "County", -1}
                                      : io::Column{b, b, b, -1});
        c.push_back({"parcels", "图斑数", "Parcels", 0});
        c.push_back({"area_m2", "面积（平方米）", "Area (m²)", 2});
        c.push_back({"area_mu", "面积（亩）", "Area (mu)", 2});
        c.push_back({"area_ha", "面积（公顷）", "Area (ha)", 4});
        return c;
    }
};

std::string total_label(io::Lang lang) {
    return lang == io::Lang::zh ? "合计" : "Total";
}

} // namespace

io::Table near_summary(const NearResult& res, const io::Layer& farmland, NearView view,
                       const NearOptions& options, bool names) {
    io::Table t;
    t.name = view == NearView::by_source ? "near_summary" : "near_summary_nearest";
    t.title_zh = view == NearView::by_source ? "污染源周边耕地面积（按污染源，环带可重叠）"
                                             : "污染源周边耕地面积（归属最近污染源，不重复计算）";
    t.title_en = view == NearView::by_source
                     ? "Farmland around sources (each source's own rings; rings may overlap)"
                     : "Farmland around sources (assigned to the nearest source; no double "
                       "counting)";
    t.columns = Columns{names, options}.list();
    std::vector<int> by_fields;
    for (const auto& b : options.by)
        by_fields.push_back(farmland.role_index(b, true));
    const std::size_t nby = by_fields.size();
    const auto& pieces = view == NearView::by_source ? res.pieces : res.nearest;
    const std::size_t k = res.rings.size() - 1;
    bool any_polygon = false;
    for (const auto& s : res.sources)
        any_polygon = any_polygon || s.polygonal;

    auto emit = [&](const io::Value& sid, const std::string& sname, double from, double to, int cat,
                    const std::vector<io::Value>& by, const Acc& acc) {
        std::vector<io::Value> row;
        row.push_back(sid);
        row.push_back(sname);
        row.push_back(from);
        row.push_back(to);
        row.push_back(cat ? io::Value(std::int64_t(cat)) : io::Value(kAll));
        if (names)
            row.push_back(cat ? category_name(cat, options.lang) : total_label(options.lang));
        for (std::size_t i = 0; i < nby; ++i)
            row.push_back(i < by.size() ? by[i] : io::Value(kAll));
        row.push_back(acc.count());
        row.push_back(acc.m2);
        row.push_back(m2_to_mu(acc.m2));
        row.push_back(m2_to_ha(acc.m2));
        t.add_row(std::move(row));
    };

    // One block: rows per ring × category (× by), ring totals, block total.
    auto block = [&](const io::Value& sid, const std::string& sname, bool polygonal,
                     const std::vector<const NearPiece*>& sel) {
        Acc all;
        const std::size_t first_ring = polygonal ? 0 : 1;
        for (std::size_t r = first_ring; r <= k; ++r) {
            std::map<std::vector<io::Value>, Acc, ValuesLess> cats[4];
            Acc ring_total;
            for (const NearPiece* p : sel) {
                if (p->ring != r) continue;
                std::vector<io::Value> key;
                for (int f : by_fields)
                    key.push_back(by_value(farmland, p->parcel, f));
                cats[res.parcel_category[p->parcel]][key].add(*p);
                ring_total.add(*p);
                all.add(*p);
            }
            const NearRing& ring = res.rings[r];
            for (int c = 1; c <= 3; ++c) {
                if (cats[c].empty() && nby == 0) {
                    emit(sid, sname, ring.from_m, ring.to_m, c, {}, Acc{});
                    continue;
                }
                for (const auto& [key, acc] : cats[c])
                    emit(sid, sname, ring.from_m, ring.to_m, c, key, acc);
            }
            emit(sid, sname, ring.from_m, ring.to_m, 0, {}, ring_total);
        }
        emit(sid, sname, res.rings[first_ring].from_m, res.rings[k].to_m, 0, {}, all);
    };

    std::vector<std::vector<const NearPiece*>> per_source(res.sources.size());
    for (const auto& p : pieces)
        per_source[p.source].push_back(&p);
    for (std::size_t s = 0; s < res.sources.size(); ++s)
        block(res.sources[s].id, res.sources[s].name, res.sources[s].polygonal, per_source[s]);
    std::vector<const NearPiece*> overall;
    for (const auto& p : res.nearest)
        overall.push_back(&p);
    block(io::Value(kAll),
          options.lang == io::Lang::zh ? "全部（按最近污染源，不重复计算）"
                                       : "All (nearest source, no double counting)",
          any_polygon, overall);
    return t;
}

io::Table near_ranking(const NearResult& res, const NearOptions& options) {
    io::Table t;
    t.name = "near_ranking";
    t.title_zh = "污染源优先级排序（按周边严格管控类、安全利用类耕地面积）";
    t.title_en = "Source priority (by farmland of category 3, then 2, around each source)";
    t.columns = {
        {"rank", "排序", "Rank", 0},
        {"source_id", "污染源编号", "Source ID", -1},
        {"source_name", "污染源名称", "Source name", -1},
        {"area_cat3_mu", "严格管控类（亩）", "Strict control (mu)", 2},
        {"area_cat2_mu", "安全利用类（亩）", "Safe utilisation (mu)", 2},
        {"area_cat1_mu", "优先保护类（亩）", "Priority protection (mu)", 2},
        {"area_total_mu", "合计（亩）", "Total (mu)", 2},
        {"area_cat3_m2", "严格管控类（平方米）", "Strict control (m²)", 2},
        {"area_cat2_m2", "安全利用类（平方米）", "Safe utilisation (m²)", 2},
        {"area_cat1_m2", "优先保护类（平方米）", "Priority protection (m²)", 2},
        {"area_total_m2", "合计（平方米）", "Total (m²)", 2},
        {"parcels", "图斑数", "Parcels", 0},
    };
    (void)options;
    struct Row {
        std::size_t source;
        double cat[4] = {0, 0, 0, 0};
        Acc all;
    };
    std::vector<Row> rows(res.sources.size());
    for (std::size_t s = 0; s < rows.size(); ++s)
        rows[s].source = s;
    for (const auto& p : res.pieces) {
        rows[p.source].cat[res.parcel_category[p.parcel]] += p.area_m2;
        rows[p.source].all.add(p);
    }
    std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
        if (a.cat[3] != b.cat[3]) return a.cat[3] > b.cat[3];
        return a.cat[2] > b.cat[2];
    });
    std::int64_t rank = 0;
    for (const auto& r : rows) {
        const NearSource& s = res.sources[r.source];
        t.add_row({++rank, s.id, s.name, m2_to_mu(r.cat[3]), m2_to_mu(r.cat[2]), m2_to_mu(r.cat[1]),
                   m2_to_mu(r.all.m2), r.cat[3], r.cat[2], r.cat[1], r.all.m2, r.all.count()});
    }
    return t;
}

void log_near_ranking(const io::Table& ranking, io::Lang lang, std::size_t top) {
    const bool zh = lang == io::Lang::zh;
    log_info(zh ? "污染源优先级（周边严格管控类、安全利用类耕地面积，亩）："
                : "source priority (farmland around each source, mu: strict control, safe "
                  "utilisation, total):");
    char buf[256];
    for (std::size_t i = 0; i < ranking.rows.size() && i < top; ++i) {
        const auto& r = ranking.rows[i];
        const double c3 = io::Layer::number(r[3]).value_or(0);
        const double c2 = io::Layer::number(r[4]).value_or(0);
        const double all = io::Layer::number(r[6]).value_or(0);
        std::snprintf(buf, sizeof buf,
                      zh ? "  %2zu. %s %s: 严格管控类 %.2f, 安全利用类 %.2f, 合计 %.2f"
                         : "  %2zu. %s %s: %.2f, %.2f, total %.2f",
                      i + 1, io::Layer::text(r[1]).c_str(), io::Layer::text(r[2]).c_str(), c3, c2,
                      all);
        log_info(buf);
    }
}

namespace {

/// Pieces `which` (indexes into `pieces`) as a table; `link`: a last column nearest_fid
/// from `fid_of(index)` (0: empty).
template <class FidOf>
io::Table pieces_table(const NearResult& res, const io::Layer& farmland, const NearOptions& options,
                       const std::vector<NearPiece>& pieces, const std::vector<std::size_t>* which,
                       bool link, FidOf fid_of, std::vector<const geos::Geom*>& geometries) {
    io::Table t;
    t.columns = {{"source_id", "污染源编号", "Source ID", -1},
                 {"source_name", "污染源名称", "Source name", -1},
                 {"ring_from_m", "环带起（米）", "Ring from (m)", -1},
                 {"ring_to_m", "环带止（米）", "Ring to (m)", -1},
                 {"parcel_id", "图斑编号", "Parcel ID", -1},
                 {"category", "类别代码", "Category", -1}};
    std::vector<int> by_fields;
    for (const auto& b : options.by) {
        by_fields.push_back(farmland.role_index(b, true));
        t.columns.push_back({b, b, b, -1});
    }
    for (const char* c : {"area_m2", "area_mu", "area_ha", "parcel_area_m2", "parcel_area_mu",
                          "parcel_area_ha", "share", "distance_m"})
        t.columns.push_back({c, c, c, -1});
    if (link) t.columns.push_back({"nearest_fid", "nearest_fid", "nearest_fid", -1});
    const int pid = field_for(farmland, "id", {"parcel_id", "dkbm", "tbbh"});
    const std::size_t n = which ? which->size() : pieces.size();
    // Rows built side by side (each from its own piece), in the pieces' order.
    geometries.assign(n, nullptr);
    t.rows.resize(n);
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n, 2048), [&](const auto& rg) {
        for (std::size_t k = rg.begin(); k != rg.end(); ++k) {
            const std::size_t i = which ? (*which)[k] : k;
            const NearPiece& p = pieces[i];
            const NearSource& s = res.sources[p.source];
            const NearRing& r = res.rings[p.ring];
            const io::Feature& f = farmland.features[p.parcel];
            const double whole = res.parcel_area_m2[p.parcel];
            std::vector<io::Value>& row = t.rows[k];
            row.reserve(t.columns.size());
            row = {s.id,
                   s.name,
                   r.from_m,
                   r.to_m,
                   pid >= 0 ? f.values[pid] : io::Value(f.fid),
                   std::int64_t(res.parcel_category[p.parcel])};
            for (int b : by_fields)
                row.push_back(f.values[b]);
            for (double v : {p.area_m2, m2_to_mu(p.area_m2), m2_to_ha(p.area_m2), whole,
                             m2_to_mu(whole), m2_to_ha(whole),
                             whole > 0 ? std::min(1.0, p.area_m2 / whole) : 0.0, p.distance_m})
                row.push_back(v);
            if (link) {
                const std::int64_t fid = fid_of(i);
                row.push_back(fid > 0 ? io::Value(fid) : io::Value());
            }
            geometries[k] = p.geom ? p.geom.get() : f.geom.get();
        }
    });
    return t;
}

} // namespace

io::Table near_pieces_table(const NearResult& res, const io::Layer& farmland, NearView view,
                            const NearOptions& options,
                            std::vector<const geos::Geom*>& geometries) {
    const bool by_source = view == NearView::by_source;
    io::Table t = pieces_table(
        res, farmland, options, by_source ? res.pieces : res.nearest, nullptr, by_source,
        [&](std::size_t i) { return std::int64_t(res.pieces[i].nearest_fid); }, geometries);
    t.name = by_source ? "near_pieces" : "near_pieces_nearest";
    return t;
}

io::Table near_nearest_cut_table(const NearResult& res, const io::Layer& farmland,
                                 const NearOptions& options,
                                 std::vector<const geos::Geom*>& geometries) {
    std::vector<std::size_t> cut;
    for (std::size_t i = 0; i < res.nearest.size(); ++i)
        if (res.nearest[i].region_cut) cut.push_back(i);
    io::Table t = pieces_table(
        res, farmland, options, res.nearest, &cut, true,
        [](std::size_t i) { return std::int64_t(i + 1); }, geometries);
    t.name = "near_pieces_nearest_cut";
    return t;
}

io::Table near_rings_table(const NearResult& res, NearView view, const AreaCalculator& area,
                           std::vector<const geos::Geom*>& geometries) {
    io::Table t;
    t.name = view == NearView::by_source ? "near_rings" : "near_rings_nearest";
    t.columns = {{"source_id", "污染源编号", "Source ID", -1},
                 {"source_name", "污染源名称", "Source name", -1},
                 {"ring_from_m", "环带起（米）", "Ring from (m)", -1},
                 {"ring_to_m", "环带止（米）", "Ring to (m)", -1},
                 {"area_m2", "面积（平方米）", "Area (m²)", -1},
                 {"area_mu", "面积（亩）", "Area (mu)", -1},
                 {"area_ha", "面积（公顷）", "Area (ha)", -1}};
    geometries.clear();
    for (const auto& s : res.sources) {
        const auto& rings = view == NearView::by_source ? s.rings : s.nearest_rings;
        for (std::size_t i = 0; i < rings.size(); ++i) {
            if (!rings[i]) continue;
            const double a = area.area_m2(rings[i].get());
            t.add_row({s.id, s.name, res.rings[i].from_m, res.rings[i].to_m, a, m2_to_mu(a),
                       m2_to_ha(a)});
            geometries.push_back(rings[i].get());
        }
    }
    return t;
}

} // namespace soilrisk::analysis
