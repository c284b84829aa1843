// Dense-sampling deficit and sampling plans (see the header for the method and sources).
#include "soilrisk/analysis/sampling.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <geos_c.h>
#include <limits>
#include <numeric>
#include <set>
#include <tbb/parallel_for.h>

#include "soilrisk/analysis/categories.hpp"
#include "soilrisk/core/crs.hpp"
#include "soilrisk/core/error.hpp"
#include "soilrisk/core/log.hpp"
#include "soilrisk/core/units.hpp"
#include "soilrisk/io/attribute_filter.hpp"
#include "soilrisk/io/output.hpp"
#include "soilrisk/io/vector_writer.hpp"
#include "soilrisk/spatial/point_sampling.hpp"

namespace soilrisk::analysis {

namespace {

using geos::GeomPtr;
using spatial::PointIndex;
using spatial::PolygonFrame;
using spatial::Rng;

std::string fmt(const char* f, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, f, v);
    return buf;
}

/// FNV-1a: a portable hash of a stratum key, to give each stratum its own RNG stream.
std::uint64_t fnv1a(const std::string& s) {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (unsigned char c : s) {
        h ^= c;
        h *= 0x100000001b3ULL;
    }
    return h;
}

struct Parcel {
    int category = 0;
    std::string county, county_code, parcel_id, village;
    bool target = false;
    std::string stratum() const {
        return (county_code.empty() ? (county.empty() ? std::string("all") : county)
                                    : county_code) +
               "-" + std::to_string(category);
    }
};

struct Unit {
    std::string code, name;
    GeomPtr geom;
    double area_cat[4] = {0, 0, 0, 0}; // index 0: other
    double farmland_m2 = 0, target_m2 = 0;
    long long samples = 0, samples_target = 0, required = 0, deficit = 0, planned = 0;
    double score = 0;
    bool sampled = false;
};

struct Piece {
    int parcel = -1, unit = -1;
    GeomPtr own;                   // when the piece is a part of the parcel
    const geos::Geom* g = nullptr; // own.get() or the parcel's geometry
    double area_m2 = 0;
};

struct FrameItem {
    int piece = -1;
    GeomPtr inset; // the placement geometry (inset piece, or a copy of the piece)
    std::string stratum;
};

struct Sample {
    double x = 0, y = 0;
    std::string id;
    int unit = -1;
    int target_parcel = -1; // target parcel it lies on
    bool legacy = false;
};

/// x, y of a point-like geometry (a point, else its centroid).
std::optional<std::pair<double, double>> point_xy(const geos::Geom* g) {
    auto ctx = geos::ctx();
    if (!g || GEOSisEmpty_r(ctx, g)) return std::nullopt;
    double x = 0, y = 0;
    if (GEOSGeomTypeId_r(ctx, g) == GEOS_POINT) {
        GEOSGeomGetX_r(ctx, g, &x);
        GEOSGeomGetY_r(ctx, g, &y);
        return std::make_pair(x, y);
    }
    GeomPtr c(GEOSGetCentroid_r(ctx, g));
    if (!c || GEOSisEmpty_r(ctx, c.get())) return std::nullopt;
    GEOSGeomGetX_r(ctx, c.get(), &x);
    GEOSGeomGetY_r(ctx, c.get(), &y);
    return std::make_pair(x, y);
}

/// The polygonal part of a geometry (or null when it has none).
GeomPtr polygonal(GeomPtr g) {
    auto ctx = geos::ctx();
    if (!g || GEOSisEmpty_r(ctx, g.get())) return nullptr;
    const int t = GEOSGeomTypeId_r(ctx, g.get());
    if (t == GEOS_POLYGON || t == GEOS_MULTIPOLYGON) return g;
    if (t != GEOS_GEOMETRYCOLLECTION) return nullptr;
    std::vector<GEOSGeometry*> parts;
    for (int i = 0; i < GEOSGetNumGeometries_r(ctx, g.get()); ++i) {
        const geos::Geom* p = GEOSGetGeometryN_r(ctx, g.get(), i);
        const int pt = GEOSGeomTypeId_r(ctx, p);
        if (pt == GEOS_POLYGON) parts.push_back(GEOSGeom_clone_r(ctx, p));
        if (pt == GEOS_MULTIPOLYGON)
            for (int k = 0; k < GEOSGetNumGeometries_r(ctx, p); ++k)
                parts.push_back(GEOSGeom_clone_r(ctx, GEOSGetGeometryN_r(ctx, p, k)));
    }
    if (parts.empty()) return nullptr;
    return geos::check(GEOSGeom_createCollection_r(ctx, GEOS_MULTIPOLYGON, parts.data(),
                                                   static_cast<unsigned>(parts.size())),
                       "collect polygons");
}

std::array<double, 4> envelope(const geos::Geom* g) {
    auto ctx = geos::ctx();
    std::array<double, 4> e{0, 0, 0, 0};
    GEOSGeom_getXMin_r(ctx, g, &e[0]);
    GEOSGeom_getYMin_r(ctx, g, &e[1]);
    GEOSGeom_getXMax_r(ctx, g, &e[2]);
    GEOSGeom_getYMax_r(ctx, g, &e[3]);
    return e;
}

double planar_area(const geos::Geom* g) {
    double a = 0;
    GEOSArea_r(geos::ctx(), g, &a);
    return a;
}

/// Nearest-neighbour distance of each point to the others (sorted by x; each scan stops
/// once the x gap alone exceeds the best distance found).
std::vector<double> nn_distances(const std::vector<std::pair<double, double>>& pts) {
    const std::size_t n = pts.size();
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return pts[a] < pts[b]; });
    std::vector<double> best(n, std::numeric_limits<double>::infinity());
    for (std::size_t a = 0; a < n; ++a) {
        const auto [xa, ya] = pts[order[a]];
        double& b = best[order[a]];
        for (std::size_t c = a + 1; c < n && pts[order[c]].first - xa < b; ++c)
            b = std::min(b, std::hypot(pts[order[c]].first - xa, pts[order[c]].second - ya));
        for (std::size_t c = a; c-- > 0 && xa - pts[order[c]].first < b;)
            b = std::min(b, std::hypot(pts[order[c]].first - xa, pts[order[c]].second - ya));
    }
    return best;
}

double median(std::vector<double> v) {
    if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
    std::sort(v.begin(), v.end());
    const std::size_t m = v.size() / 2;
    return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

struct Balance {
    double var = std::numeric_limits<double>::quiet_NaN();
    double pielou = std::numeric_limits<double>::quiet_NaN();
};

/// Stevens & Olsen's Voronoi statistic and Pielou's evenness of `pts` on `frame`.
Balance spatial_balance(const std::vector<std::pair<double, double>>& pts,
                        const PolygonFrame& frame) {
    Balance out;
    const std::size_t n = pts.size();
    if (n < 2 || frame.size() == 0) return out;
    auto ctx = geos::ctx();
    std::vector<GEOSGeometry*> gp;
    for (const auto& [x, y] : pts)
        gp.push_back(GEOSGeom_createPointFromXY_r(ctx, x, y));
    GeomPtr mp = geos::check(GEOSGeom_createCollection_r(ctx, GEOS_MULTIPOINT, gp.data(),
                                                         static_cast<unsigned>(gp.size())),
                             "multipoint");
    const auto b = frame.bounds();
    GeomPtr env = geos::check(
        GEOSGeom_createRectangle_r(ctx, b[0] - 1, b[1] - 1, b[2] + 1, b[3] + 1), "rectangle");
    GeomPtr cells =
        geos::check(GEOSVoronoiDiagram_r(ctx, mp.get(), env.get(), 0.0, 0), "Voronoi diagram");
    std::vector<std::size_t> by_x(n);
    std::iota(by_x.begin(), by_x.end(), 0);
    std::sort(by_x.begin(), by_x.end(), [&](auto a, auto c) { return pts[a] < pts[c]; });
    std::vector<double> area(n, 0.0);
    for (int c = 0; c < GEOSGetNumGeometries_r(ctx, cells.get()); ++c) {
        const geos::Geom* cell = GEOSGetGeometryN_r(ctx, cells.get(), c);
        // The cell clipped to the box (the diagram extends beyond it).
        GeomPtr clipped = geos::check(GEOSIntersection_r(ctx, cell, env.get()), "clip cell");
        if (GEOSisEmpty_r(ctx, clipped.get())) continue;
        geos::PreparedPtr prep(GEOSPrepare_r(ctx, clipped.get()));
        const auto e = envelope(clipped.get());
        // The generating point: the one inside the cell.
        auto lo = std::lower_bound(by_x.begin(), by_x.end(), e[0],
                                   [&](std::size_t i, double v) { return pts[i].first < v; });
        int owner = -1;
        for (auto it = lo; it != by_x.end() && pts[*it].first <= e[2]; ++it) {
            if (pts[*it].second < e[1] || pts[*it].second > e[3]) continue;
            GeomPtr p(GEOSGeom_createPointFromXY_r(ctx, pts[*it].first, pts[*it].second));
            if (GEOSPreparedIntersects_r(ctx, prep.get(), p.get()) == 1) {
                owner = static_cast<int>(*it);
                break;
            }
        }
        if (owner < 0) continue;
        for (int i : frame.query(e[0], e[1], e[2], e[3])) {
            const geos::Geom* poly = frame.polygon(i);
            if (GEOSPreparedContains_r(ctx, prep.get(), poly) == 1) {
                area[owner] += frame.area(i);
            } else if (GEOSPreparedIntersects_r(ctx, prep.get(), poly) == 1) {
                GeomPtr part(GEOSIntersection_r(ctx, clipped.get(), poly));
                if (part) area[owner] += planar_area(part.get());
            }
        }
    }
    const double total = std::accumulate(area.begin(), area.end(), 0.0);
    if (!(total > 0)) return out;
    double var = 0, plogp = 0;
    for (double a : area) {
        const double v = static_cast<double>(n) * a / total;
        var += (v - 1) * (v - 1);
        const double p = a / total;
        if (p > 0) plogp += p * std::log(p);
    }
    out.var = var / static_cast<double>(n);
    out.pielou = 1 + plogp / std::log(static_cast<double>(n));
    return out;
}

std::string expand_pattern(const std::string& pattern, const PlanPoint& p, long long nth,
                           SamplingDesign design) {
    std::string out;
    for (std::size_t i = 0; i < pattern.size();) {
        if (pattern[i] == '{') {
            const auto close = pattern.find('}', i);
            if (close == std::string::npos)
                throw UsageError("--id-pattern: unclosed '{' in \"" + pattern + "\"");
            const std::string key = pattern.substr(i + 1, close - i - 1);
            char buf[32];
            if (key == "county_code")
                out += p.county_code.empty() ? (p.county.empty() ? "X" : p.county) : p.county_code;
            else if (key == "county")
                out += p.county;
            else if (key == "category")
                out += std::to_string(p.category);
            else if (key == "stratum")
                out += p.stratum;
            else if (key == "design")
                out += to_string(design);
            else if (key == "unit")
                out += p.unit;
            else if (key == "nnn") {
                std::snprintf(buf, sizeof buf, "%03lld", nth);
                out += buf;
            } else if (key == "n")
                out += std::to_string(nth);
            else if (key == "order")
                out += std::to_string(p.order);
            else
                throw UsageError("--id-pattern: unknown placeholder {" + key +
                                 "}; use {county_code} {county} {category} {stratum} {design} "
                                 "{unit} {nnn} {n} {order}");
            i = close + 1;
        } else {
            out += pattern[i++];
        }
    }
    return out;
}

std::string point_desc(const PlanPoint& p) {
    std::string d = "category " + std::to_string(p.category);
    if (!p.county.empty()) d += ", " + p.county;
    if (!p.parcel_id.empty()) d += ", parcel " + p.parcel_id;
    d += ", " + p.kind + " #" + std::to_string(p.order);
    return d;
}

} // namespace

SamplingDesign parse_sampling_design(std::string_view text) {
    if (text == "none") return SamplingDesign::none;
    if (text == "grid") return SamplingDesign::grid;
    if (text == "stratified") return SamplingDesign::stratified;
    if (text == "balanced" || text == "bas") return SamplingDesign::balanced;
    throw UsageError("--design: '" + std::string(text) +
                     "' is not a design; use grid, stratified, balanced or none");
}

const char* to_string(SamplingDesign d) {
    switch (d) {
    case SamplingDesign::none:
        return "none";
    case SamplingDesign::grid:
        return "grid";
    case SamplingDesign::stratified:
        return "stratified";
    case SamplingDesign::balanced:
        return "balanced";
    }
    return "none";
}

BalancedMethod parse_balanced_method(std::string_view text) {
    if (text == "grts") return BalancedMethod::grts;
    if (text == "bas") return BalancedMethod::bas;
    throw UsageError("--balanced-method: '" + std::string(text) + "' is not grts or bas");
}

double parse_density(std::string_view text, std::string_view what) {
    std::string s(text);
    for (const char* suffix : {"-per-100mu", "/100mu", "per100mu"})
        if (s.size() > std::string(suffix).size() &&
            s.compare(s.size() - std::string(suffix).size(), std::string::npos, suffix) == 0)
            s.erase(s.size() - std::string(suffix).size());
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    if (s.empty() || !end || *end || !std::isfinite(v) || v <= 0)
        throw UsageError(std::string(what) + ": '" + std::string(text) +
                         "' is not a density; write e.g. 1-per-100mu (samples per 100 亩)");
    return v;
}

std::map<std::string, long long> parse_stratum_sizes(std::string_view text, std::string_view what) {
    std::map<std::string, long long> out;
    std::string s(text);
    std::size_t pos = 0;
    while (pos <= s.size()) {
        const auto comma = s.find(',', pos);
        std::string item =
            s.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
        item.erase(0, item.find_first_not_of(' '));
        item.erase(item.find_last_not_of(' ') + 1);
        const auto eq = item.find('=');
        char* end = nullptr;
        const long long v =
            eq == std::string::npos ? -1 : std::strtoll(item.c_str() + eq + 1, &end, 10);
        if (eq == std::string::npos || eq == 0 || !end || *end || v < 0)
            throw UsageError(std::string(what) + ": '" + item +
                             "' must be STRATUM=N, e.g. 450225-3=10 (county code, category)");
        out[item.substr(0, eq)] = v;
        if (comma == std::string::npos) break;
        pos = comma + 1;
    }
    return out;
}

SamplingResult plan_sampling(const SamplingInputs& in, const SamplingOptions& opt,
                             Progress progress) {
    if (!in.farmland) throw std::logic_error("plan_sampling: no farmland layer");
    const io::Layer& farm = *in.farmland;
    auto ctx = geos::ctx();
    const io::Lang lang = opt.lang;
    const bool zh = lang == io::Lang::zh;

    // ---- Checks that need no work -------------------------------------------------------
    if (!farm.crs.is_projected())
        throw UsageError(farm.where() + ": sampling needs a projected working CRS in metres; "
                                        "give one with --crs (e.g. EPSG:4545)");
    if (farm.kind != io::GeometryKind::polygon)
        throw DataError(farm.where() + ": farmland must be polygons, the layer has " +
                        io::to_string(farm.kind) + " geometries");
    if (opt.min_distance_m < 0 || opt.inset_m < 0 || opt.spacing_m < 0 || opt.cell_m < 0)
        throw UsageError("lengths must not be negative (--min-distance, --inset, --spacing, "
                         "--cell)");
    if (!(opt.density_per_100mu > 0) && !(opt.spacing_m > 0))
        throw UsageError("--density must be positive");
    if (opt.oversample < 0) throw UsageError("--oversample must not be negative");
    if (opt.design == SamplingDesign::grid && opt.n >= 0)
        throw UsageError("--n does not apply to the grid design (one point per cell); give "
                         "--spacing instead");
    if (!opt.sizes.empty() && opt.design != SamplingDesign::stratified)
        throw UsageError("--sizes applies only to --design stratified");
    if (opt.oversample > 0 && opt.design != SamplingDesign::balanced)
        throw UsageError("--oversample applies only to --design balanced (its replacements "
                         "keep the spatial balance)");
    if (in.units && in.units->kind != io::GeometryKind::polygon)
        throw DataError(in.units->where() + ": units must be polygons");
    if (in.units && opt.cell_m > 0)
        throw UsageError("give either a units layer (--units) or --cell, not both");
    // Validate the pattern on a dummy point (unknown placeholders are usage errors).
    expand_pattern(opt.id_pattern, PlanPoint{}, 1, opt.design);
    const bool numbered = opt.id_pattern.find("{nnn}") != std::string::npos ||
                          opt.id_pattern.find("{n}") != std::string::npos ||
                          opt.id_pattern.find("{order}") != std::string::npos;
    if (!numbered)
        throw UsageError("--id-pattern \"" + opt.id_pattern +
                         "\" gives every point the same id; include {nnn}, {n} or {order}");

    // Spacing of the requirement and of the grid design.
    const double spacing =
        opt.spacing_m > 0 ? opt.spacing_m : std::sqrt(mu_to_m2(100.0) / opt.density_per_100mu);

    // ---- Parcels, target filter ---------------------------------------------------------
    const int cat_i = farm.role_index("category", true);
    const int county_i = farm.role_index("county", false);
    const int code_i = farm.role_index("county_code", false);
    const int id_i = farm.role_index("id", false) >= 0 ? farm.role_index("id", false)
                                                       : farm.role_index("parcel_id", false);
    const int village_i = farm.role_index("village", false);
    std::optional<io::AttributeFilter> filter;
    if (!opt.target.empty()) {
        filter = io::AttributeFilter::parse(opt.target, "--target");
        filter->bind(farm);
    }
    std::vector<Parcel> parcels(farm.features.size());
    for (std::size_t i = 0; i < farm.features.size(); ++i) {
        const auto& f = farm.features[i];
        Parcel& p = parcels[i];
        const auto c = parse_category(f.values[cat_i]);
        if (!c)
            throw DataError(farm.where(f.fid) + ": category '" + io::Layer::text(f.values[cat_i]) +
                            "' is not 1, 2 or 3; fix the value or map the right field with "
                            "--farmland-field category=NAME");
        p.category = *c;
        if (county_i >= 0) p.county = io::Layer::text(f.values[county_i]);
        if (code_i >= 0) p.county_code = io::Layer::text(f.values[code_i]);
        p.parcel_id = id_i >= 0 ? io::Layer::text(f.values[id_i]) : std::to_string(f.fid);
        if (village_i >= 0) p.village = io::Layer::text(f.values[village_i]);
        if (filter) {
            std::vector<io::Value> v = f.values;
            v[cat_i] = static_cast<std::int64_t>(*c); // "严格管控类" reads as 3
            p.target = filter->matches(v);
        } else {
            p.target = true;
        }
    }
    // Zones the target must meet.
    if (in.within) {
        std::vector<GeomPtr> zones;
        for (const auto& f : in.within->features) {
            if (in.within_distance_m > 0)
                zones.push_back(geos::check(
                    GEOSBuffer_r(ctx, f.geom.get(), in.within_distance_m, 16), "buffer zone"));
            else
                zones.push_back(geos::clone(f.geom.get()));
        }
        std::vector<const geos::Geom*> zp;
        for (auto& z : zones)
            zp.push_back(z.get());
        PolygonFrame zf(zp);
        std::vector<geos::PreparedPtr> prep;
        for (auto* z : zp)
            prep.emplace_back(GEOSPrepare_r(ctx, z));
        for (std::size_t i = 0; i < parcels.size(); ++i) {
            if (!parcels[i].target) continue;
            const auto e = envelope(farm.features[i].geom.get());
            bool hit = false;
            for (int z : zf.query(e[0], e[1], e[2], e[3]))
                if (GEOSPreparedIntersects_r(ctx, prep[z].get(), farm.features[i].geom.get()) ==
                    1) {
                    hit = true;
                    break;
                }
            parcels[i].target = hit;
        }
    }
    const auto n_target =
        std::count_if(parcels.begin(), parcels.end(), [](const Parcel& p) { return p.target; });
    if (n_target == 0)
        log_warning("no farmland parcel matches the target" +
                    (opt.target.empty() ? std::string() : " \"" + opt.target + "\"") +
                    (in.within ? " within the given zones" : "") + "; nothing to plan");
    progress(0.05, "parcels");

    // ---- Units and pieces ---------------------------------------------------------------
    std::vector<Unit> units;
    std::vector<Piece> pieces;
    std::vector<std::vector<int>> parcel_pieces(parcels.size());
    std::optional<PolygonFrame> unit_frame;
    std::vector<geos::PreparedPtr> unit_prep;
    std::map<std::pair<std::int64_t, std::int64_t>, int> cell_units;
    auto add_piece = [&](int parcel, int unit, GeomPtr own) {
        Piece pc;
        pc.parcel = parcel;
        pc.unit = unit;
        pc.g = own ? own.get() : farm.features[parcel].geom.get();
        pc.own = std::move(own);
        parcel_pieces[parcel].push_back(static_cast<int>(pieces.size()));
        pieces.push_back(std::move(pc));
    };
    if (in.units) {
        const io::Layer& ul = *in.units;
        int code_f = ul.role_index("code", false);
        if (code_f < 0 && ul.roles.count("id")) code_f = ul.role_index("id", false);
        if (code_f < 0) code_f = ul.field_index("adcode");
        const int name_f = ul.role_index("name", false);
        std::vector<const geos::Geom*> ug;
        for (const auto& f : ul.features) {
            Unit u;
            u.code = code_f >= 0 ? io::Layer::text(f.values[code_f]) : std::to_string(f.fid);
            u.name = name_f >= 0 ? io::Layer::text(f.values[name_f]) : u.code;
            u.geom = geos::clone(f.geom.get());
            ug.push_back(u.geom.get());
            unit_prep.emplace_back(GEOSPrepare_r(ctx, u.geom.get()));
            units.push_back(std::move(u));
        }
        unit_frame.emplace(ug);
        for (std::size_t i = 0; i < parcels.size(); ++i) {
            const geos::Geom* g = farm.features[i].geom.get();
            const auto e = envelope(g);
            for (int u : unit_frame->query(e[0], e[1], e[2], e[3])) {
                if (GEOSPreparedContains_r(ctx, unit_prep[u].get(), g) == 1) {
                    add_piece(static_cast<int>(i), u, nullptr);
                    break; // wholly inside one unit
                }
                if (GEOSPreparedIntersects_r(ctx, unit_prep[u].get(), g) != 1) continue;
                GeomPtr part = polygonal(
                    geos::check(GEOSIntersection_r(ctx, g, units[u].geom.get()), "overlay"));
                if (part) add_piece(static_cast<int>(i), u, std::move(part));
            }
        }
    } else if (opt.cell_m > 0) {
        const double c = opt.cell_m;
        for (std::size_t i = 0; i < parcels.size(); ++i) {
            const geos::Geom* g = farm.features[i].geom.get();
            const auto e = envelope(g);
            const auto ix0 = static_cast<std::int64_t>(std::floor(e[0] / c));
            const auto ix1 = static_cast<std::int64_t>(std::floor(e[2] / c));
            const auto iy0 = static_cast<std::int64_t>(std::floor(e[1] / c));
            const auto iy1 = static_cast<std::int64_t>(std::floor(e[3] / c));
            for (auto iy = iy0; iy <= iy1; ++iy)
                for (auto ix = ix0; ix <= ix1; ++ix) {
                    GeomPtr part;
                    if (!(ix0 == ix1 && iy0 == iy1)) {
                        part = polygonal(geos::check(
                            GEOSClipByRect_r(ctx, g, ix * c, iy * c, (ix + 1) * c, (iy + 1) * c),
                            "clip by cell"));
                        if (!part) continue;
                    }
                    auto [it, fresh] =
                        cell_units.try_emplace({iy, ix}, static_cast<int>(units.size()));
                    if (fresh) {
                        Unit u;
                        u.code = std::to_string(static_cast<long long>(ix * c)) + "_" +
                                 std::to_string(static_cast<long long>(iy * c));
                        u.name = (zh ? "网格 " : "cell ") + u.code;
                        u.geom = geos::check(GEOSGeom_createRectangle_r(ctx, ix * c, iy * c,
                                                                        (ix + 1) * c, (iy + 1) * c),
                                             "cell");
                        units.push_back(std::move(u));
                    }
                    add_piece(static_cast<int>(i), it->second, std::move(part));
                }
        }
    } else {
        if (county_i < 0 && code_i < 0)
            log_warning(farm.where() + ": no county field (map one with --farmland-field "
                                       "county=NAME, or give --units or --cell); all farmland "
                                       "is one unit");
        std::map<std::string, int> by_key;
        for (std::size_t i = 0; i < parcels.size(); ++i) {
            const Parcel& p = parcels[i];
            const std::string key = !p.county_code.empty() ? p.county_code
                                    : !p.county.empty()    ? p.county
                                                           : std::string("all");
            auto [it, fresh] = by_key.try_emplace(key, static_cast<int>(units.size()));
            if (fresh) {
                Unit u;
                u.code = key;
                u.name = p.county.empty() ? key : p.county;
                units.push_back(std::move(u));
            }
            add_piece(static_cast<int>(i), it->second, nullptr);
        }
    }
    // Ellipsoidal (or planar) areas of the pieces, in parallel (each result in its slot).
    {
        AreaCalculator calc(farm.crs, opt.area_mode);
        tbb::parallel_for(tbb::blocked_range<std::size_t>(0, pieces.size(), 256),
                          [&](const auto& r) {
                              for (std::size_t i = r.begin(); i != r.end(); ++i)
                                  pieces[i].area_m2 = calc.area_m2(pieces[i].g);
                          });
    }
    for (const Piece& pc : pieces) {
        Unit& u = units[pc.unit];
        const Parcel& p = parcels[pc.parcel];
        u.area_cat[p.category] += pc.area_m2;
        u.farmland_m2 += pc.area_m2;
        if (p.target) u.target_m2 += pc.area_m2;
    }
    progress(0.3, "units");

    // ---- Existing samples ---------------------------------------------------------------
    std::vector<Sample> samples;
    std::vector<const geos::Geom*> target_geoms;
    std::vector<int> target_parcel_of;
    for (std::size_t i = 0; i < parcels.size(); ++i)
        if (parcels[i].target) {
            target_geoms.push_back(farm.features[i].geom.get());
            target_parcel_of.push_back(static_cast<int>(i));
        }
    PolygonFrame target_frame(target_geoms);
    if (in.samples) {
        const io::Layer& sl = *in.samples;
        int sid = sl.role_index("id", false);
        if (sid < 0) sid = sl.field_index("sample_id");
        std::optional<PolygonFrame> all_farm;
        if (!in.units && opt.cell_m <= 0) {
            std::vector<const geos::Geom*> all;
            for (const auto& f : farm.features)
                all.push_back(f.geom.get());
            all_farm.emplace(all);
        }
        for (const auto& f : sl.features) {
            const auto xy = point_xy(f.geom.get());
            if (!xy) continue;
            Sample s;
            s.x = xy->first;
            s.y = xy->second;
            s.id = sid >= 0 ? io::Layer::text(f.values[sid]) : "";
            if (s.id.empty()) s.id = "sample-" + std::to_string(f.fid);
            if (unit_frame) {
                s.unit = unit_frame->locate(s.x, s.y);
            } else if (opt.cell_m > 0) {
                const auto it =
                    cell_units.find({static_cast<std::int64_t>(std::floor(s.y / opt.cell_m)),
                                     static_cast<std::int64_t>(std::floor(s.x / opt.cell_m))});
                s.unit = it == cell_units.end() ? -1 : it->second;
            } else {
                const int p = all_farm->locate(s.x, s.y);
                s.unit = p < 0 ? -1 : pieces[parcel_pieces[p].front()].unit;
            }
            const int t = target_frame.locate(s.x, s.y);
            s.target_parcel = t < 0 ? -1 : target_parcel_of[t];
            if (s.unit >= 0) {
                ++units[s.unit].samples;
                if (s.target_parcel >= 0) ++units[s.unit].samples_target;
            }
            samples.push_back(std::move(s));
        }
    }

    // ---- Deficit and ranking ------------------------------------------------------------
    long long total_deficit = 0;
    for (Unit& u : units) {
        const double target_mu = m2_to_mu(u.target_m2);
        const double req = opt.spacing_m > 0 ? u.target_m2 / (opt.spacing_m * opt.spacing_m)
                                             : target_mu / 100.0 * opt.density_per_100mu;
        u.required = u.target_m2 > 0 ? static_cast<long long>(std::ceil(req - 1e-9)) : 0;
        u.deficit = std::max(0LL, u.required - u.samples_target);
        u.score = static_cast<double>(u.deficit) * m2_to_mu(u.area_cat[3]);
        u.sampled = u.target_m2 > 0 && (opt.all_units || u.deficit > 0);
        if (u.sampled) total_deficit += u.deficit;
    }
    std::vector<int> rank(units.size());
    std::iota(rank.begin(), rank.end(), 0);
    std::sort(rank.begin(), rank.end(), [&](int a, int b) {
        const Unit &ua = units[a], &ub = units[b];
        if (ua.score != ub.score) return ua.score > ub.score;
        if (ua.deficit != ub.deficit) return ua.deficit > ub.deficit;
        if (ua.target_m2 != ub.target_m2) return ua.target_m2 > ub.target_m2;
        return ua.code < ub.code;
    });
    progress(0.4, "deficit");

    // ---- Frame ----------------------------------------------------------------------------
    std::vector<FrameItem> items;
    for (std::size_t k = 0; k < pieces.size(); ++k) {
        const Piece& pc = pieces[k];
        if (!parcels[pc.parcel].target || !units[pc.unit].sampled) continue;
        FrameItem it;
        it.piece = static_cast<int>(k);
        it.stratum = parcels[pc.parcel].stratum();
        if (opt.inset_m > 0) {
            GeomPtr inset =
                polygonal(geos::check(GEOSBuffer_r(ctx, pc.g, -opt.inset_m, 8), "inset buffer"));
            it.inset = inset ? std::move(inset) : geos::clone(pc.g); // too small to inset
        } else {
            it.inset = geos::clone(pc.g);
        }
        items.push_back(std::move(it));
    }
    std::vector<const geos::Geom*> frame_geoms;
    for (const auto& it : items)
        frame_geoms.push_back(it.inset.get());
    PolygonFrame frame(frame_geoms);
    // Strata: key -> frame items; area (ellipsoidal, original pieces), perimeter, parts.
    struct Stratum {
        std::vector<int> items;
        double area_m2 = 0, inset_area = 0, perimeter = 0;
        std::size_t parts = 0;
        std::string county, county_code;
        int category = 0;
        long long legacy = 0, requested = 0, placed = 0, unplaced = 0, oversample = 0;
    };
    std::map<std::string, Stratum> strata;
    for (std::size_t k = 0; k < items.size(); ++k) {
        const Piece& pc = pieces[items[k].piece];
        const Parcel& p = parcels[pc.parcel];
        Stratum& s = strata[items[k].stratum];
        s.items.push_back(static_cast<int>(k));
        s.area_m2 += pc.area_m2;
        s.inset_area += frame.area(k);
        double len = 0;
        GEOSLength_r(ctx, items[k].inset.get(), &len);
        s.perimeter += len;
        s.parts += static_cast<std::size_t>(GEOSGetNumGeometries_r(ctx, items[k].inset.get()));
        s.county = p.county;
        s.county_code = p.county_code;
        s.category = p.category;
    }
    // Legacy sites: existing samples on the frame's target farmland in sampled units.
    std::vector<int> legacy_of_item(samples.size(), -1);
    long long legacy_total = 0;
    for (std::size_t i = 0; i < samples.size(); ++i) {
        Sample& s = samples[i];
        if (s.target_parcel < 0) continue;
        for (int pk : parcel_pieces[s.target_parcel]) {
            if (!units[pieces[pk].unit].sampled) continue;
            GeomPtr pt(GEOSGeom_createPointFromXY_r(ctx, s.x, s.y));
            if (GEOSIntersects_r(ctx, pieces[pk].g, pt.get()) != 1) continue;
            s.legacy = true;
            for (std::size_t k = 0; k < items.size(); ++k)
                if (items[k].piece == pk) legacy_of_item[i] = static_cast<int>(k);
            break;
        }
        if (s.legacy) {
            ++legacy_total;
            if (legacy_of_item[i] >= 0) ++strata[items[legacy_of_item[i]].stratum].legacy;
        }
    }

    // ---- Sizes and the feasibility check (before any point is placed) --------------------
    const long long n_main = opt.n >= 0 ? opt.n : total_deficit;
    if (opt.design == SamplingDesign::stratified) {
        if (!opt.sizes.empty()) {
            std::string unknown;
            for (const auto& [key, v] : opt.sizes)
                if (!strata.count(key)) unknown += (unknown.empty() ? "" : ", ") + key;
            if (!unknown.empty()) {
                std::string known;
                for (const auto& [key, s] : strata)
                    known += (known.empty() ? "" : ", ") + key;
                throw UsageError("--sizes names strata with no target farmland in the sampled "
                                 "units: " +
                                 unknown + "; strata are: " + (known.empty() ? "(none)" : known));
            }
            for (auto& [key, s] : strata)
                s.requested = opt.sizes.count(key) ? opt.sizes.at(key) : 0;
        } else {
            // Largest remainder on (n + legacy) by area, minus each stratum's legacy sites.
            const double total_area =
                std::accumulate(strata.begin(), strata.end(), 0.0,
                                [](double a, const auto& kv) { return a + kv.second.area_m2; });
            const long long total = n_main + legacy_total;
            std::vector<std::pair<double, std::string>> rema;
            long long given = 0;
            std::map<std::string, long long> alloc;
            for (auto& [key, s] : strata) {
                const double share =
                    total_area > 0 ? static_cast<double>(total) * s.area_m2 / total_area : 0;
                alloc[key] = static_cast<long long>(std::floor(share));
                given += alloc[key];
                rema.emplace_back(-(share - std::floor(share)), key);
            }
            std::sort(rema.begin(), rema.end());
            for (std::size_t k = 0; given < total && k < rema.size(); ++k, ++given)
                ++alloc[rema[k].second];
            for (auto& [key, s] : strata)
                s.requested = std::max(0LL, alloc[key] - s.legacy);
        }
        std::string bad;
        for (const auto& [key, s] : strata) {
            const double cap =
                spatial::max_points_bound(s.inset_area, s.perimeter, s.parts, opt.min_distance_m);
            if (static_cast<double>(s.requested + s.legacy) > std::floor(cap + 1e-9))
                bad += (bad.empty() ? "" : "; ") + std::string("stratum ") + key + " (" +
                       (s.county.empty() ? "" : s.county + ", ") + category_name(s.category, lang) +
                       ") can hold at most " +
                       std::to_string(static_cast<long long>(std::floor(cap + 1e-9))) + " points " +
                       fmt("%g", opt.min_distance_m) + " m apart in its " +
                       fmt("%.1f", m2_to_mu(s.area_m2)) + " 亩, " + std::to_string(s.requested) +
                       " new + " + std::to_string(s.legacy) + " legacy requested";
        }
        if (!bad.empty())
            throw UsageError(bad + "; lower --sizes for these strata or --min-distance");
    } else if (opt.design == SamplingDesign::balanced) {
        double a = 0, l = 0;
        std::size_t parts = 0;
        for (const auto& [key, s] : strata) {
            a += s.inset_area;
            l += s.perimeter;
            parts += s.parts;
        }
        const double cap = spatial::max_points_bound(a, l, parts, opt.min_distance_m);
        const long long want = n_main + opt.oversample + legacy_total;
        if (want > 0 && static_cast<double>(want) > std::floor(cap + 1e-9))
            throw UsageError("the target farmland of the sampled units (" +
                             fmt("%.1f", m2_to_mu(std::accumulate(strata.begin(), strata.end(), 0.0,
                                                                  [](double x, const auto& kv) {
                                                                      return x + kv.second.area_m2;
                                                                  }))) +
                             " 亩) can hold at most " +
                             std::to_string(static_cast<long long>(std::floor(cap + 1e-9))) +
                             " points " + fmt("%g", opt.min_distance_m) + " m apart; " +
                             std::to_string(n_main) + " new + " + std::to_string(opt.oversample) +
                             " oversample + " + std::to_string(legacy_total) +
                             " legacy requested: lower --n/--oversample or "
                             "--min-distance");
    }
    progress(0.5, "frame");

    // ---- Placement --------------------------------------------------------------------------
    PointIndex taken(std::max(opt.min_distance_m, 1.0));
    for (std::size_t i = 0; i < samples.size(); ++i)
        taken.add(samples[i].x, samples[i].y, -1 - static_cast<int>(i));
    struct Placed {
        double x, y;
        int item;
        bool oversample;
        double cell_area = -1;
    };
    std::vector<Placed> placed;
    struct Miss {
        std::string stratum;
        long long count;
        std::string reason;
    };
    std::vector<Miss> misses;
    const double d = opt.min_distance_m;
    auto clear_of = [&](double x, double y) { return !taken.any_within(x, y, d); };
    auto accept = [&](double x, double y, int item, bool over, double cell_area = -1) {
        taken.add(x, y, static_cast<int>(placed.size()));
        placed.push_back({x, y, item, over, cell_area});
    };
    long long grid_cells = 0, grid_legacy_cells = 0;
    double grid_x0 = 0, grid_y0 = 0;

    if (opt.design == SamplingDesign::balanced && opt.balanced_method == BalancedMethod::grts &&
        frame.size() > 0 && n_main + opt.oversample > 0) {
        const long long want = n_main + opt.oversample;
        const long long m = std::max<long long>(4096, 64 * (want + legacy_total));
        Rng rng(opt.seed, 3);
        // The point frame: equal-probability points on the target farmland, without those
        // too close to existing samples (legacy sites count).
        std::vector<std::pair<double, double>> cand;
        std::vector<int> cand_item;
        for (long long i = 0; i < m; ++i) {
            const auto dr = frame.random_point(rng);
            if (!dr || !clear_of(dr->x, dr->y)) continue;
            cand.emplace_back(dr->x, dr->y);
            cand_item.push_back(dr->polygon);
        }
        const std::size_t nc = cand.size();
        const int levels = std::clamp(
            static_cast<int>(std::ceil(std::log(std::max<double>(nc, 2)) / std::log(4.0))) + 2, 1,
            30);
        const auto addr = spatial::grts_addresses(cand, frame.bounds(), levels, rng.next());
        std::vector<std::size_t> line(nc);
        std::iota(line.begin(), line.end(), 0);
        std::sort(line.begin(), line.end(), [&](std::size_t a, std::size_t b) {
            return addr[a].address != addr[b].address ? addr[a].address < addr[b].address : a < b;
        });
        long long got = 0, missed = 0;
        if (nc > 0) {
            const long long draws = std::min<long long>(want, static_cast<long long>(nc));
            const double step = static_cast<double>(nc) / static_cast<double>(draws);
            const double start = rng.uniform() * step;
            std::vector<std::size_t> pos; // positions on the line
            for (long long j = 0; j < draws; ++j)
                pos.push_back(std::min(nc - 1, static_cast<std::size_t>(std::floor(
                                                   start + static_cast<double>(j) * step))));
            // Reverse hierarchical order of the draws: sample first, then the oversample.
            std::sort(pos.begin(), pos.end(), [&](std::size_t a, std::size_t b) {
                const auto &ka = addr[line[a]], &kb = addr[line[b]];
                return ka.reverse != kb.reverse ? ka.reverse < kb.reverse : a < b;
            });
            std::vector<char> used(nc, 0);
            const auto reach = static_cast<std::size_t>(std::ceil(step));
            for (std::size_t p : pos) {
                bool ok = false;
                for (std::size_t t = 0; t < reach && !ok; ++t) {
                    const std::size_t c = line[(p + t) % nc];
                    if (used[c] || !clear_of(cand[c].first, cand[c].second)) continue;
                    used[c] = 1;
                    accept(cand[c].first, cand[c].second, cand_item[c], got >= n_main);
                    ++got;
                    ok = true;
                }
                if (!ok) ++missed;
            }
        }
        if (got < want)
            misses.push_back({"all", want - got,
                              "no frame point at least " + fmt("%g", d) +
                                  " m from other points near " + std::to_string(missed) +
                                  " GRTS draws (frame of " + std::to_string(nc) +
                                  " points): the target farmland cannot take more points this far "
                                  "apart"});
    } else if (opt.design == SamplingDesign::balanced && frame.size() > 0 &&
               n_main + opt.oversample > 0) {
        const auto b = frame.bounds();
        const double w = std::max(b[2] - b[0], 1.0), h = std::max(b[3] - b[1], 1.0);
        Rng rng(opt.seed, 1);
        // Random start (Robertson et al. 2013): independent offsets into each sequence.
        const std::uint64_t k1 = rng.below(1u << 20), k2 = rng.below(1594323); // 3^13
        const long long want = n_main + opt.oversample;
        long long got = 0, tried = 0, too_close = 0;
        for (std::uint64_t k = 0; got < want && tried < opt.max_candidates; ++k, ++tried) {
            const double x = b[0] + w * spatial::radical_inverse(k + k1, 2);
            const double y = b[1] + h * spatial::radical_inverse(k + k2, 3);
            const int item = frame.locate(x, y);
            if (item < 0) continue;
            if (!clear_of(x, y)) {
                ++too_close;
                continue;
            }
            accept(x, y, item, got >= n_main);
            ++got;
            if (tried % 65536 == 0) progress(0.5 + 0.3 * got / want, "balanced");
        }
        if (got < want)
            misses.push_back({"all", want - got,
                              "Halton sequence stopped after " + std::to_string(tried) +
                                  " candidates (" + std::to_string(too_close) +
                                  " in farmland but closer than " + fmt("%g", d) +
                                  " m to another point): the target farmland cannot take more "
                                  "points this far apart"});
    } else if (opt.design == SamplingDesign::stratified) {
        for (auto& [key, s] : strata) {
            if (s.requested == 0) continue;
            std::vector<const geos::Geom*> g;
            for (int k : s.items)
                g.push_back(items[k].inset.get());
            PolygonFrame sf(g);
            Rng rng(opt.seed, fnv1a(key));
            const int attempts = 200;
            for (long long j = 0; j < s.requested; ++j) {
                bool ok = false;
                for (int a = 0; a < attempts && !ok; ++a) {
                    const auto dr = sf.random_point(rng);
                    if (!dr) break;
                    if (!clear_of(dr->x, dr->y)) continue;
                    accept(dr->x, dr->y, s.items[dr->polygon], false);
                    ok = true;
                }
                if (ok) continue;
                const long long left = s.requested - j;
                s.unplaced += left;
                misses.push_back({key, left,
                                  "no place " + fmt("%g", d) + " m from other points found in " +
                                      std::to_string(attempts) +
                                      " random draws (maximum number of attempts exceeded; the "
                                      "stratum is nearly full)"});
                break;
            }
        }
    } else if (opt.design == SamplingDesign::grid && frame.size() > 0) {
        const auto b = frame.bounds();
        Rng rng(opt.seed, 2);
        const double ox = rng.uniform() * spacing, oy = rng.uniform() * spacing;
        const double gx0 = std::floor((b[0] - ox) / spacing) * spacing + ox;
        const double gy0 = std::floor((b[1] - oy) / spacing) * spacing + oy;
        const auto nx = static_cast<long long>(std::floor((b[2] - gx0) / spacing)) + 1;
        const auto ny = static_cast<long long>(std::floor((b[3] - gy0) / spacing)) + 1;
        grid_x0 = gx0;
        grid_y0 = gy0;
        AreaCalculator calc(farm.crs, opt.area_mode);
        long long missed = 0;
        // Walking order: rows from north to south, each from west to east.
        for (long long r = ny - 1; r >= 0; --r)
            for (long long c = 0; c < nx; ++c) {
                const double x0 = gx0 + c * spacing, y0 = gy0 + r * spacing;
                const double x1 = x0 + spacing, y1 = y0 + spacing;
                const auto cand = frame.query(x0, y0, x1, y1);
                if (cand.empty()) continue;
                struct Part {
                    int item;
                    GeomPtr g;
                };
                std::vector<Part> parts;
                double cell_area = 0;
                for (int k : cand) {
                    GeomPtr p = polygonal(geos::check(
                        GEOSClipByRect_r(ctx, items[k].inset.get(), x0, y0, x1, y1), "clip"));
                    GeomPtr orig = polygonal(geos::check(
                        GEOSClipByRect_r(ctx, pieces[items[k].piece].g, x0, y0, x1, y1), "clip"));
                    if (orig) cell_area += calc.area_m2(orig.get());
                    if (p) parts.push_back({k, std::move(p)});
                }
                if (parts.empty()) continue;
                ++grid_cells;
                // A legacy site on this cell's frame covers the cell.
                bool covered = false;
                for (std::size_t i = 0; i < samples.size() && !covered; ++i)
                    if (samples[i].legacy && samples[i].x >= x0 && samples[i].x < x1 &&
                        samples[i].y >= y0 && samples[i].y < y1)
                        covered = true;
                if (covered) {
                    ++grid_legacy_cells;
                    continue;
                }
                const double cx = 0.5 * (x0 + x1), cy = 0.5 * (y0 + y1);
                double best = std::numeric_limits<double>::infinity(), bx = cx, by = cy;
                int bitem = -1;
                for (const auto& p : parts) {
                    const auto [px, py] = spatial::nearest_point(p.g.get(), cx, cy);
                    const double dist = std::hypot(px - cx, py - cy);
                    if (dist < best) {
                        best = dist;
                        bx = px;
                        by = py;
                        bitem = p.item;
                    }
                }
                if (!clear_of(bx, by)) {
                    // Another point of the cell's farmland, the clear one nearest the centre.
                    Rng cell_rng(opt.seed,
                                 0x6772696400000000ULL + static_cast<std::uint64_t>(r * nx + c));
                    std::vector<const geos::Geom*> pg;
                    for (const auto& p : parts)
                        pg.push_back(p.g.get());
                    PolygonFrame cf(pg);
                    best = std::numeric_limits<double>::infinity();
                    bitem = -1;
                    for (int a = 0; a < 64; ++a) {
                        const auto dr = cf.random_point(cell_rng, 200);
                        if (!dr || !clear_of(dr->x, dr->y)) continue;
                        const double dist = std::hypot(dr->x - cx, dr->y - cy);
                        if (dist < best) {
                            best = dist;
                            bx = dr->x;
                            by = dr->y;
                            bitem = parts[dr->polygon].item;
                        }
                    }
                    if (bitem < 0) {
                        ++missed;
                        continue;
                    }
                }
                accept(bx, by, bitem, false, cell_area);
            }
        if (missed > 0)
            misses.push_back({"all", missed,
                              "grid cells whose farmland has no point " + fmt("%g", d) +
                                  " m from existing samples and neighbouring points"});
    }
    progress(0.8, "placed");

    // ---- Points: legacy first, then the plan in order -------------------------------------
    Transform to_geo(farm.crs, Crs::from_epsg(4490));
    auto lonlat = [&](double x, double y) {
        double lx = x, ly = y;
        to_geo.apply(lx, ly);
        return std::make_pair(std::round(lx * 1e6) / 1e6, std::round(ly * 1e6) / 1e6);
    };
    SamplingResult res;
    for (std::size_t i = 0; i < samples.size(); ++i) {
        const Sample& s = samples[i];
        if (!s.legacy) continue;
        PlanPoint p;
        p.id = s.id;
        p.kind = "legacy";
        const Parcel& pa = parcels[s.target_parcel];
        p.stratum = pa.stratum();
        p.county = pa.county;
        p.county_code = pa.county_code;
        p.category = pa.category;
        p.parcel_id = pa.parcel_id;
        p.village = pa.village;
        p.unit = s.unit >= 0 ? units[s.unit].code : "";
        p.x = s.x;
        p.y = s.y;
        std::tie(p.lon, p.lat) = lonlat(s.x, s.y);
        res.points.push_back(std::move(p));
    }
    std::map<std::string, long long> counters;
    std::set<std::string> ids;
    for (std::size_t k = 0; k < placed.size(); ++k) {
        const Placed& q = placed[k];
        const FrameItem& it = items[q.item];
        const Piece& pc = pieces[it.piece];
        const Parcel& pa = parcels[pc.parcel];
        PlanPoint p;
        p.kind = q.oversample ? "oversample" : "main";
        p.stratum = it.stratum;
        p.county = pa.county;
        p.county_code = pa.county_code;
        p.category = pa.category;
        p.parcel_id = pa.parcel_id;
        p.village = pa.village;
        p.unit = units[pc.unit].code;
        p.order = static_cast<long long>(k) + 1;
        p.x = q.x;
        p.y = q.y;
        p.cell_area_m2 = q.cell_area;
        std::tie(p.lon, p.lat) = lonlat(q.x, q.y);
        const long long nth = ++counters[p.county_code + "\x1f" + std::to_string(p.category)];
        p.id = expand_pattern(opt.id_pattern, p, nth, opt.design);
        if (!ids.insert(p.id).second)
            throw UsageError("--id-pattern \"" + opt.id_pattern + "\" gives two points the id '" +
                             p.id +
                             "'; include {nnn} with {county_code} and {category}, or "
                             "{order}");
        if (!q.oversample) {
            ++units[pc.unit].planned;
            ++strata[it.stratum].placed;
        } else {
            ++strata[it.stratum].oversample;
        }
        res.points.push_back(std::move(p));
    }
    if (opt.design == SamplingDesign::balanced || opt.design == SamplingDesign::grid)
        for (auto& [key, s] : strata)
            s.requested = s.placed; // no per-stratum target: report what was placed
    res.legacy = legacy_total;
    for (const auto& m : misses)
        res.not_placed += m.count;
    res.placed = static_cast<long long>(placed.size());

    // ---- Tables ---------------------------------------------------------------------------
    auto& dt = res.deficit;
    dt.name = "deficit";
    dt.title_zh = "加密采样缺口（按单元，按 缺口 × 严格管控类面积 排序）";
    dt.title_en = "Sampling deficit by unit (ranked by deficit × strict-control area)";
    dt.columns = {
        {"rank", "排序", "Rank", 0},
        {"unit_code", "单元代码", "Unit code", -1},
        {"unit_name", "单元名称", "Unit", -1},
        {"cat1_mu", "优先保护类（亩）", "Priority protection (mu)", 2},
        {"cat2_mu", "安全利用类（亩）", "Safe utilisation (mu)", 2},
        {"cat3_mu", "严格管控类（亩）", "Strict control (mu)", 2},
        {"farmland_mu", "耕地合计（亩）", "Farmland (mu)", 2},
        {"target_mu", "目标耕地（亩）", "Target farmland (mu)", 2},
        {"samples", "现有样点", "Existing samples", 0},
        {"samples_target", "目标耕地上样点", "Samples on target", 0},
        {"density_per_100mu", "样点密度（个/百亩）", "Samples per 100 mu", 3},
        {"required", "应有样点", "Required", 0},
        {"deficit", "缺口", "Deficit", 0},
        {"score", "缺口×严格管控亩", "Deficit × strict mu", 2},
        {"planned", "新布样点", "New points", 0},
        {"density_after", "布点后密度（个/百亩）", "Density after (per 100 mu)", 3},
    };
    for (std::size_t r = 0; r < rank.size(); ++r) {
        Unit& u = units[rank[r]];
        const double tmu = m2_to_mu(u.target_m2);
        io::Value dens, after;
        if (tmu > 0) {
            dens = static_cast<double>(u.samples_target) / tmu * 100.0;
            after = static_cast<double>(u.samples_target + u.planned) / tmu * 100.0;
        }
        dt.add_row({static_cast<std::int64_t>(r + 1), u.code, u.name, m2_to_mu(u.area_cat[1]),
                    m2_to_mu(u.area_cat[2]), m2_to_mu(u.area_cat[3]), m2_to_mu(u.farmland_m2), tmu,
                    static_cast<std::int64_t>(u.samples),
                    static_cast<std::int64_t>(u.samples_target), dens,
                    static_cast<std::int64_t>(u.required), static_cast<std::int64_t>(u.deficit),
                    u.score, static_cast<std::int64_t>(u.planned), after});
        res.unit_geoms.push_back(u.geom ? geos::clone(u.geom.get()) : nullptr);
    }

    auto& pt = res.plan;
    pt.name = "plan";
    pt.title_zh = "采样点位";
    pt.title_en = "Sampling plan";
    pt.columns = {
        {"point_id", "点位编号", "Point ID", -1},
        {"design", "布点方法", "Design", -1},
        {"kind", "类型", "Kind", -1},
        {"stratum", "层", "Stratum", -1},
        {"order", "顺序", "Order", 0},
        {"unit", "单元", "Unit", -1},
        {"county", "县（区）", "County", -1},
        {"county_code", "县代码", "County code", -1},
        {"parcel_id", "图斑编号", "Parcel ID", -1},
        {"category", "类别", "Category", 0},
        {"lon", "经度", "Longitude", 6},
        {"lat", "纬度", "Latitude", 6},
        {"x", "东坐标（米）", "Easting x (m)", 2},
        {"y", "北坐标（米）", "Northing y (m)", 2},
        {"cell_area_mu", "网格内目标耕地（亩）", "Cell farmland (mu)", 2},
    };
    for (const auto& p : res.points)
        pt.add_row({p.id, std::string(p.kind == "legacy" ? "legacy" : to_string(opt.design)),
                    p.kind, p.stratum, static_cast<std::int64_t>(p.order), p.unit, p.county,
                    p.county_code, p.parcel_id, static_cast<std::int64_t>(p.category), p.lon, p.lat,
                    p.x, p.y,
                    p.cell_area_m2 >= 0 ? io::Value(m2_to_mu(p.cell_area_m2)) : io::Value{}});

    auto& fs = res.field_sheet;
    fs.name = "field_sheet";
    fs.title_zh = "加密采样野外记录表";
    fs.title_en = "Field sheet for infill soil sampling";
    fs.columns = {
        {"point_id", "点位编号", "Point ID", -1},
        {"kind", "类型", "Kind", -1},
        {"order", "顺序", "Order", 0},
        {"lon", "经度", "Longitude", 6},
        {"lat", "纬度", "Latitude", 6},
        {"x", "东坐标（米）", "Easting x (m)", 2},
        {"y", "北坐标（米）", "Northing y (m)", 2},
        {"county", "县（区）", "County", -1},
        {"village", "村", "Village", -1},
        {"parcel_id", "图斑编号", "Parcel ID", -1},
        {"category", "类别", "Category", -1},
        {"depth_cm", "采样深度（厘米）", "Depth (cm)", -1},
        {"date", "采样日期", "Date", -1},
        {"collector", "采样人", "Collector", -1},
        {"notes", "备注", "Notes", -1},
    };
    for (const auto& p : res.points) {
        if (p.kind == "legacy") continue;
        const std::string kind =
            p.kind == "main" ? (zh ? "主样点" : "main") : (zh ? "备选点" : "replacement");
        fs.add_row({p.id, kind, static_cast<std::int64_t>(p.order), p.lon, p.lat, p.x, p.y,
                    p.county, p.village, p.parcel_id, category_name(p.category, lang), io::Value{},
                    io::Value{}, io::Value{}, io::Value{}});
    }

    auto& st = res.strata;
    st.name = "strata";
    st.title_zh = "各层点数";
    st.title_en = "Points per stratum";
    st.columns = {{"stratum", "层", "Stratum", -1},
                  {"county", "县（区）", "County", -1},
                  {"category", "类别", "Category", -1},
                  {"frame_mu", "目标耕地（亩）", "Frame (mu)", 2},
                  {"legacy", "保留样点", "Legacy", 0},
                  {"requested", "计划新点", "Requested", 0},
                  {"placed", "已布新点", "Placed", 0},
                  {"unplaced", "未能布设", "Unplaced", 0},
                  {"oversample", "备选点", "Oversample", 0},
                  {"density_after", "布点后密度（个/百亩）", "Density after (per 100 mu)", 3}};
    for (const auto& [key, s] : strata) {
        const double mu = m2_to_mu(s.area_m2);
        st.add_row({key, s.county, category_name(s.category, lang), mu,
                    static_cast<std::int64_t>(s.legacy), static_cast<std::int64_t>(s.requested),
                    static_cast<std::int64_t>(s.placed), static_cast<std::int64_t>(s.unplaced),
                    static_cast<std::int64_t>(s.oversample),
                    mu > 0 ? io::Value(static_cast<double>(s.legacy + s.placed) / mu * 100.0)
                           : io::Value{}});
    }

    auto& ut = res.unplaced;
    ut.name = "unplaced";
    ut.title_zh = "未能布设的点";
    ut.title_en = "Points that could not be placed";
    ut.columns = {{"stratum", "层", "Stratum", -1},
                  {"count", "点数", "Points", 0},
                  {"reason", "原因", "Reason", -1}};
    for (const auto& m : misses)
        ut.add_row({m.stratum, static_cast<std::int64_t>(m.count), m.reason});

    // ---- Quality --------------------------------------------------------------------------
    std::vector<std::pair<double, double>> design_pts; // main new + legacy on the frame
    for (const auto& p : res.points)
        if (p.kind != "oversample") design_pts.emplace_back(p.x, p.y);
    const auto nn = nn_distances(design_pts);
    double nn_min = std::numeric_limits<double>::quiet_NaN();
    if (!nn.empty()) nn_min = *std::min_element(nn.begin(), nn.end());
    const double nn_med = median(nn);
    // Distance from each new point (main and oversample) to the nearest existing sample.
    double to_existing = std::numeric_limits<double>::infinity();
    for (const auto& q : placed)
        for (const auto& s : samples)
            to_existing = std::min(to_existing, std::hypot(q.x - s.x, q.y - s.y));
    Balance bal, srs;
    int reps = 0;
    if (opt.design != SamplingDesign::none && design_pts.size() >= 2) {
        progress(0.85, "balance");
        bal = spatial_balance(design_pts, frame);
        double v = 0, pl = 0;
        for (int r = 0; r < opt.srs_replicates; ++r) {
            Rng rng(opt.seed, 1000 + static_cast<std::uint64_t>(r));
            std::vector<std::pair<double, double>> pts;
            for (std::size_t k = 0; k < design_pts.size(); ++k)
                if (const auto dr = frame.random_point(rng)) pts.emplace_back(dr->x, dr->y);
            const Balance b = spatial_balance(pts, frame);
            if (std::isnan(b.var)) continue;
            v += b.var;
            pl += b.pielou;
            ++reps;
        }
        if (reps > 0) {
            srs.var = v / reps;
            srs.pielou = pl / reps;
        }
    }
    res.balance_var = std::isnan(bal.var) ? -1 : bal.var;
    res.srs_balance_var = std::isnan(srs.var) ? -1 : srs.var;

    long long sum_deficit = 0, sum_required = 0, sum_samples_t = 0;
    double sum_target = 0;
    for (const Unit& u : units) {
        sum_deficit += u.deficit;
        sum_required += u.required;
        sum_samples_t += u.samples_target;
        sum_target += u.target_m2;
    }
    auto& qt = res.quality;
    qt.name = "quality";
    qt.title_zh = "布点质量";
    qt.title_en = "Plan quality";
    qt.columns = {{"metric", "指标", "Metric", -1},
                  {"value", "数值", "Value", -1},
                  {"note", "说明", "Note", -1}};
    auto q = [&](const std::string& m, io::Value v, const std::string& note) {
        if (double* dv = std::get_if<double>(&v)) {
            if (!std::isfinite(*dv))
                v = io::Value{};
            else
                *dv = std::round(*dv * 1e4) / 1e4; // readable; full values are not needed
        }
        qt.add_row({m, std::move(v), note});
    };
    using I = std::int64_t;
    q("design", std::string(to_string(opt.design)), "");
    if (opt.design == SamplingDesign::balanced)
        q("balanced_method",
          std::string(opt.balanced_method == BalancedMethod::grts ? "GRTS" : "BAS"),
          opt.balanced_method == BalancedMethod::grts ? "Stevens & Olsen 2004"
                                                      : "Robertson et al. 2013");
    q("seed", static_cast<I>(opt.seed), "same seed, same plan");
    q("target", opt.target.empty() ? std::string("all farmland") : opt.target, "");
    q("required_density_per_100mu",
      opt.spacing_m > 0 ? mu_to_m2(100.0) / (opt.spacing_m * opt.spacing_m) : opt.density_per_100mu,
      "local choice unless set from the bureau's rules");
    q("spacing_m", spacing, "design spacing (grid cell side)");
    q("min_distance_m", d, "to each other and to existing samples");
    q("units", static_cast<I>(units.size()), "");
    q("units_sampled",
      static_cast<I>(
          std::count_if(units.begin(), units.end(), [](const Unit& u) { return u.sampled; })),
      opt.all_units ? "all units with target farmland" : "units with a deficit");
    q("target_mu", m2_to_mu(sum_target), "");
    q("samples_on_target", static_cast<I>(sum_samples_t), "");
    q("required", static_cast<I>(sum_required), "");
    q("deficit", static_cast<I>(sum_deficit), "");
    q("frame_mu",
      m2_to_mu(std::accumulate(strata.begin(), strata.end(), 0.0,
                               [](double a, const auto& kv) { return a + kv.second.area_m2; })),
      "target farmland of the sampled units");
    q("legacy_sites", static_cast<I>(legacy_total), "existing samples on the frame, kept");
    q("points_requested",
      static_cast<I>(opt.design == SamplingDesign::grid
                         ? res.placed + res.not_placed
                         : (opt.design == SamplingDesign::stratified
                                ? std::accumulate(strata.begin(), strata.end(), 0LL,
                                                  [](long long a, const auto& kv) {
                                                      return a + kv.second.requested;
                                                  })
                                : n_main + opt.oversample)),
      "");
    q("points_placed",
      static_cast<I>(std::count_if(placed.begin(), placed.end(),
                                   [](const Placed& p) { return !p.oversample; })),
      "main points");
    q("oversample_placed",
      static_cast<I>(std::count_if(placed.begin(), placed.end(),
                                   [](const Placed& p) { return p.oversample; })),
      "replacements, use in order");
    q("points_unplaced", static_cast<I>(res.not_placed), "see the unplaced table");
    if (opt.design == SamplingDesign::grid) {
        q("grid_cells_with_farmland", static_cast<I>(grid_cells), "");
        q("grid_cells_with_legacy", static_cast<I>(grid_legacy_cells), "covered, no new point");
        q("grid_origin_x", grid_x0, "south-west corner of a cell (random start)");
        q("grid_origin_y", grid_y0, "");
    }
    q("nn_min_m", nn_min, "nearest-neighbour distance, new + legacy points");
    q("nn_median_m", nn_med, "compare with spacing_m");
    q("min_distance_to_existing_m", to_existing, "new points to any existing sample");
    q("balance_voronoi_var", bal.var, "Stevens & Olsen 2004: mean (v_i - 1)^2, 0 = perfect");
    q("balance_pielou", bal.pielou, "spsurvey sp_balance 'pielou', 0 = perfect");
    q("srs_voronoi_var", srs.var,
      "simple random samples of the same size, mean over " + std::to_string(reps) + " seeds");
    q("srs_pielou", srs.pielou, "");

    // Terminal summary.
    auto& sm = res.summary;
    sm.push_back("units: " + std::to_string(units.size()) + ", deficit " +
                 std::to_string(sum_deficit) + " samples (required " +
                 std::to_string(sum_required) + ", " + std::to_string(sum_samples_t) +
                 " on target farmland " + fmt("%.1f", m2_to_mu(sum_target)) + " mu)");
    for (std::size_t r = 0; r < std::min<std::size_t>(5, rank.size()); ++r) {
        const Unit& u = units[rank[r]];
        sm.push_back("  #" + std::to_string(r + 1) + " " + u.name + " (" + u.code + "): target " +
                     fmt("%.1f", m2_to_mu(u.target_m2)) + " mu, strict " +
                     fmt("%.1f", m2_to_mu(u.area_cat[3])) + " mu, samples " +
                     std::to_string(u.samples_target) + ", required " + std::to_string(u.required) +
                     ", deficit " + std::to_string(u.deficit));
    }
    if (opt.design != SamplingDesign::none) {
        sm.push_back(std::string("design ") + to_string(opt.design) + ": " +
                     std::to_string(res.placed) + " new points (" +
                     std::to_string(std::count_if(placed.begin(), placed.end(),
                                                  [](const Placed& p) { return p.oversample; })) +
                     " oversample), " + std::to_string(legacy_total) + " legacy sites kept, " +
                     std::to_string(res.not_placed) + " not placed");
        for (const auto& m : misses)
            sm.push_back("  not placed: " + std::to_string(m.count) + " in " + m.stratum + ": " +
                         m.reason);
        for (const auto& [key, s] : strata)
            sm.push_back("  stratum " + key + ": " + fmt("%.1f", m2_to_mu(s.area_m2)) +
                         " mu, legacy " + std::to_string(s.legacy) + ", new " +
                         std::to_string(s.placed) + ", oversample " + std::to_string(s.oversample));
        sm.push_back("nearest neighbour: min " + fmt("%.1f", nn_min) + " m, median " +
                     fmt("%.1f", nn_med) + " m (spacing " + fmt("%.1f", spacing) +
                     " m, min distance " + fmt("%g", d) + " m)");
        if (!std::isnan(bal.var))
            sm.push_back("spatial balance (Voronoi variance, Stevens & Olsen 2004): " +
                         fmt("%.3f", bal.var) + " vs simple random " + fmt("%.3f", srs.var) +
                         " (mean of " + std::to_string(reps) + "); Pielou " +
                         fmt("%.3f", bal.pielou) + " vs " + fmt("%.3f", srs.pielou));
    }

    res.about = {
        {"analysis", "plan-sampling (dense soil sampling deficit and plan)"},
        {"design", to_string(opt.design)},
        {"seed", std::to_string(opt.seed)},
        {"target", opt.target.empty() ? "all farmland" : opt.target},
        {"requirement", opt.spacing_m > 0
                            ? "1 sample per " + fmt("%g", opt.spacing_m) + " m square"
                            : fmt("%g", opt.density_per_100mu) +
                                  " samples per 100 mu (local choice; national figure unknown)"},
        {"min_distance_m", fmt("%g", d)},
        {"inset_m", fmt("%g", opt.inset_m)},
        {"crs", farm.crs.label()},
        {"lon_lat", "CGCS2000 (EPSG:4490) degrees, 6 decimals (≈ WGS84 within centimetres)"},
        {"area", opt.area_mode == AreaMode::ellipsoidal ? "ellipsoidal (Karney 2013)" : "planar"},
        {"balanced_design", opt.balanced_method == BalancedMethod::grts
                                ? "GRTS, Stevens & Olsen 2004, JASA 99:262-278"
                                : "BAS, Robertson et al. 2013, Biometrics 69:776-784"},
        {"balance_statistic", "Voronoi variance, Stevens & Olsen 2004, JASA 99:262-278"},
    };
    progress(1.0, "plan");
    return res;
}

void write_gpx(const std::vector<PlanPoint>& points, const std::string& path, bool overwrite) {
    std::string s = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                    "<gpx version=\"1.1\" creator=\"soilrisk " SOILRISK_VERSION "\" "
                    "xmlns=\"http://www.topografix.com/GPX/1/1\">\n";
    char buf[96];
    for (const auto& p : points) {
        if (p.kind == "legacy") continue;
        std::snprintf(buf, sizeof buf, "<wpt lat=\"%.6f\" lon=\"%.6f\">", p.lat, p.lon);
        s += buf;
        s += "<name>" + io::xml_escape(p.id) + "</name><desc>" + io::xml_escape(point_desc(p)) +
             "</desc><type>" + io::xml_escape(p.kind) + "</type></wpt>\n";
    }
    s += "</gpx>\n";
    io::write_text_file(s, path, overwrite);
}

void write_kml(const std::vector<PlanPoint>& points, const std::string& path, bool overwrite,
               const std::string& title) {
    std::string s = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                    "<kml xmlns=\"http://www.opengis.net/kml/2.2\">\n<Document><name>" +
                    io::xml_escape(title) + "</name>\n";
    std::map<std::string, std::vector<const PlanPoint*>> folders;
    for (const auto& p : points)
        if (p.kind != "legacy")
            folders[p.kind == "oversample" ? "~oversample" : p.stratum].push_back(&p);
    char buf[96];
    for (const auto& [name, pts] : folders) {
        s += "<Folder><name>" +
             io::xml_escape(name == "~oversample" ? "oversample (use in order)" : name) +
             "</name>\n";
        for (const PlanPoint* p : pts) {
            std::snprintf(buf, sizeof buf, "%.6f,%.6f", p->lon, p->lat);
            s += "<Placemark><name>" + io::xml_escape(p->id) + "</name><description>" +
                 io::xml_escape(point_desc(*p)) + "</description><Point><coordinates>" + buf +
                 "</coordinates></Point></Placemark>\n";
        }
        s += "</Folder>\n";
    }
    s += "</Document>\n</kml>\n";
    io::write_text_file(s, path, overwrite);
}

std::vector<SamplingOutput>
write_sampling_outputs(const SamplingResult& r, SamplingDesign design, const Crs& crs,
                       const std::string& dir, const std::string& name, io::Lang lang,
                       bool overwrite,
                       const std::vector<std::pair<std::string, std::string>>& extra_about,
                       const io::OutputStyles& styles) {
    namespace fs = std::filesystem;
    auto path = [&](const std::string& file) { return (fs::path(dir) / file).string(); };
    std::vector<SamplingOutput> out;
    auto about = r.about;
    about.insert(about.end(), extra_about.begin(), extra_about.end());
    const bool plan = design != SamplingDesign::none;
    auto ctx = geos::ctx();

    {
        io::GpkgWriter w(path(name + ".gpkg"), overwrite);
        w.set_styles(styles);
        if (plan) {
            std::vector<GeomPtr> pts;
            std::vector<const geos::Geom*> g;
            for (const auto& p : r.points) {
                pts.emplace_back(GEOSGeom_createPointFromXY_r(ctx, p.x, p.y));
                g.push_back(pts.back().get());
            }
            w.add_layer("plan", io::OutputGeometry::point, crs, r.plan, g);
        }
        const bool has_geom = std::any_of(r.unit_geoms.begin(), r.unit_geoms.end(),
                                          [](const GeomPtr& p) { return p != nullptr; });
        std::vector<const geos::Geom*> ug;
        for (const auto& p : r.unit_geoms)
            ug.push_back(p.get());
        io::Table units = r.deficit;
        units.name = "units";
        w.add_layer("units", has_geom ? io::OutputGeometry::multipolygon : io::OutputGeometry::none,
                    crs, units, ug);
        if (plan) {
            w.add_layer("strata", io::OutputGeometry::none, crs, r.strata, {});
            w.add_layer("quality", io::OutputGeometry::none, crs, r.quality, {});
            w.add_layer("unplaced", io::OutputGeometry::none, crs, r.unplaced, {});
        }
        w.add_metadata(about);
        w.finish();
        out.push_back({w.path(), "gpkg",
                       plan ? "sampling plan (points), units with deficit, quality tables"
                            : "units with sampling deficit"});
        for (const auto& sld : w.sidecars())
            out.push_back({sld, "style", "SLD style of a layer of " + name + ".gpkg"});
    }
    if (plan) {
        write_gpx(r.points, path(name + ".gpx"), overwrite);
        out.push_back({path(name + ".gpx"), "gpx", "plan waypoints for handheld GPS"});
        write_kml(r.points, path(name + ".kml"), overwrite, name);
        out.push_back({path(name + ".kml"), "kml", "plan placemarks for phones / Google Earth"});
        io::write_csv(r.field_sheet, path(name + "_field_sheet.csv"), overwrite);
        out.push_back({path(name + "_field_sheet.csv"), "table", "field sheet"});
        io::write_csv(r.quality, path(name + "_quality.csv"), overwrite);
        out.push_back({path(name + "_quality.csv"), "table", "plan quality figures"});
    }
    io::write_csv(r.deficit, path(name + "_deficit.csv"), overwrite);
    out.push_back({path(name + "_deficit.csv"), "table", "sampling deficit per unit, ranked"});
    std::vector<const io::Table*> sheets;
    if (plan) sheets.push_back(&r.field_sheet);
    sheets.push_back(&r.deficit);
    if (plan) {
        sheets.push_back(&r.strata);
        sheets.push_back(&r.quality);
        sheets.push_back(&r.unplaced);
    }
    io::write_xlsx(sheets, path(name + ".xlsx"), lang, overwrite, about);
    out.push_back({path(name + ".xlsx"), "table",
                   plan ? "field sheet, deficit, strata, quality" : "sampling deficit"});
    return out;
}

} // namespace soilrisk::analysis
