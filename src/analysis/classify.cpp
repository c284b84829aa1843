// Parcel-level classification: assignment of samples to parcels, proposals, tables.
#include "soilrisk/analysis/classify.hpp"

#include <algorithm>
#include <boost/geometry.hpp>
#include <boost/geometry/index/rtree.hpp>
#include <cmath>
#include <geos_c.h>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <tbb/parallel_for.h>

#include "analysis/polygon_check.hpp"
#include "soilrisk/analysis/categories.hpp"
#include "soilrisk/core/error.hpp"
#include "soilrisk/core/log.hpp"
#include "soilrisk/core/text.hpp"
#include "soilrisk/core/units.hpp"

namespace bg = boost::geometry;
namespace bgi = boost::geometry::index;

namespace soilrisk::analysis {

namespace {

using BPoint = bg::model::point<double, 2, bg::cs::cartesian>;
using BBox = bg::model::box<BPoint>;
using PointEntry = std::pair<BPoint, int>;
using BoxEntry = std::pair<BBox, int>;
using PointTree = bgi::rtree<PointEntry, bgi::rstar<16>>;
using BoxTree = bgi::rtree<BoxEntry, bgi::rstar<16>>;

std::string fmt(double v, int decimals) {
    std::ostringstream ss;
    ss.setf(std::ios::fixed);
    ss.precision(decimals);
    ss << v;
    return ss.str();
}

BBox envelope(const GEOSGeom_t* g) {
    double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
    GEOSGeom_getExtent_r(geos::ctx(), g, &x0, &y0, &x1, &y1);
    return BBox(BPoint(x0, y0), BPoint(x1, y1));
}

/// A representative point of a sample geometry (the point itself, else a point on it).
std::pair<double, double> point_of(const GEOSGeom_t* g) {
    auto h = geos::ctx();
    double x = 0, y = 0;
    if (GEOSGeomTypeId_r(h, g) == GEOS_POINT) {
        GEOSGeomGetX_r(h, g, &x);
        GEOSGeomGetY_r(h, g, &y);
        return {x, y};
    }
    geos::GeomPtr p = geos::check(GEOSPointOnSurface_r(h, g), "point on surface");
    GEOSGeomGetX_r(h, p.get(), &x);
    GEOSGeomGetY_r(h, p.get(), &y);
    return {x, y};
}

struct SoilSample {
    std::int64_t fid = -1;
    std::string id;
    const GEOSGeom_t* geom = nullptr;
    double x = 0, y = 0;
    double ph = 0;
    bool ph_default = false;
    std::string landuse, landuse_source, landuse_own;
    bool landuse_conflict = false;
    int parcel = -1; ///< index of the parcel it lies in
    std::vector<Concentration> conc;
    std::vector<std::string> nd;
    SoilResult result;
};

struct CropElement {
    std::string element;
    double value = 0, limit = 0, ratio = 0;
    bool below_dl = false;
    int cls = 1;
};

struct CropSample {
    std::int64_t fid = -1;
    std::string id, crop, food;
    const GEOSGeom_t* geom = nullptr;
    double x = 0, y = 0;
    std::vector<CropElement> elements;
    int cls = 1;
    std::string limiting;
    double max_ratio = 0;
};

std::string sample_label(const io::Layer& layer, std::int64_t fid, const std::string& id) {
    return layer.where(fid) + (id.empty() ? "" : " (sample " + id + ")");
}

/// Optional role: the mapped/same-named field, or -1.
int role(const io::Layer& layer, const std::string& name) {
    return layer.role_index(name, false);
}

std::optional<bool> parse_measures(const io::Value& v, const io::Layer& layer, std::int64_t fid,
                                   const std::string& field) {
    if (std::holds_alternative<std::monostate>(v)) return false;
    if (auto n = io::Layer::number(v)) {
        if (*n == 1) return true;
        if (*n == 0) return false;
    }
    std::string s = ascii_lower(io::Layer::text(v));
    s.erase(std::remove_if(s.begin(), s.end(), [](char c) { return c == ' '; }), s.end());
    static const std::set<std::string> yes = {"yes",    "y",      "true", "t",  "是",
                                              "已落实", "已实施", "done", "有", "√"};
    static const std::set<std::string> no = {"no",     "n",      "false", "f",  "否",
                                             "未落实", "未实施", "",      "无", "none"};
    if (yes.count(s)) return true;
    if (no.count(s)) return false;
    throw DataError(layer.where(fid) + ", field " + field + ": measures value '" +
                    io::Layer::text(v) +
                    "' is not yes/no (是/否, 1/0); fix it or map the right field with "
                    "--farmland-field measures=NAME");
}

const char* change_zh(const std::string& c) {
    if (c == "upgrade") return "改善（类别降低）";
    if (c == "downgrade") return "变严（类别升高）";
    if (c == "new") return "新划分";
    return "不变";
}

} // namespace

std::string ParcelResult::change() const {
    if (proposed == 0 || proposed == current) return "unchanged";
    if (current == 0) return "new";
    return proposed < current ? "upgrade" : "downgrade";
}

ClassifyResult classify(const ClassifyInputs& in, const ClassifyOptions& opt, Progress progress) {
    if (!in.farmland || !in.samples || !in.soil || !in.rules)
        throw std::logic_error("classify: farmland, samples, soil standard and rules are required");
    const io::Layer& farm = *in.farmland;
    const io::Layer& samp = *in.samples;
    const SoilStandard& std_soil = *in.soil;
    const RuleTable& rules = *in.rules;
    const bool zh = opt.lang == io::Lang::zh;
    auto h = geos::ctx();

    if (farm.kind != io::GeometryKind::polygon)
        throw DataError(farm.where() + ": farmland must be polygons, the layer has " +
                        io::to_string(farm.kind) + " geometries" + detail::first_non_polygon(farm));
    if (samp.kind != io::GeometryKind::point)
        throw DataError(samp.where() + ": soil samples must be points, the layer has " +
                        io::to_string(samp.kind) + " geometries");
    if (!farm.crs.same_as(samp.crs))
        throw DataError(samp.where() + ": samples and farmland are in different CRSs (" +
                        samp.crs.label() + " vs " + farm.crs.label() +
                        "); read both in one working CRS");
    if (in.crops && !in.crops->crs.same_as(farm.crs))
        throw DataError(in.crops->where() + ": crop samples are in another CRS than farmland");
    if (in.crops && !in.food)
        throw std::logic_error("classify: crops given without a food standard");
    if (opt.default_ph && (*opt.default_ph < 0 || *opt.default_ph > 14))
        throw UsageError("--default-ph must be between 0 and 14");
    if (!opt.default_landuse.empty() && !std_soil.landuse_from_name(opt.default_landuse))
        throw UsageError("--default-landuse: '" + opt.default_landuse +
                         "' is not a land use; use paddy, orchard, other or rotation");

    ClassifyResult res;
    res.crs = farm.crs;

    // --- Parcels: attributes, index ------------------------------------------------------
    const std::size_t np = farm.features.size();
    const int f_id = [&] {
        int i = role(farm, "id");
        return i >= 0 ? i : role(farm, "parcel_id");
    }();
    const int f_cat = role(farm, "category");
    // Land use: a DLBM code field ("dlbm" role, or "landuse" holding codes or names).
    const int f_dlbm = [&] {
        int i = role(farm, "dlbm");
        return i >= 0 ? i : role(farm, "landuse");
    }();
    const int f_measures = role(farm, "measures");
    std::vector<int> f_by;
    std::vector<std::string> by_names;
    for (const auto& b : opt.by) {
        const int i = farm.role_index(b, b != "county");
        if (i >= 0) {
            f_by.push_back(i);
            by_names.push_back(b);
        } else {
            log_warning(farm.where() + ": no county field; tables are not split by county (map it "
                                       "with --farmland-field county=NAME or choose --by)");
        }
    }
    std::vector<ParcelResult> parcels(np);
    std::size_t no_category = 0;
    std::vector<std::vector<std::string>> groups(np);
    std::vector<geos::PreparedPtr> prepared(np);
    std::vector<BoxEntry> boxes;
    for (std::size_t i = 0; i < np; ++i) {
        const io::Feature& f = farm.features[i];
        ParcelResult& p = parcels[i];
        p.fid = f.fid;
        p.parcel_id = f_id >= 0 ? io::Layer::text(f.values[f_id]) : std::to_string(f.fid);
        if (f_cat >= 0) {
            const auto c = parse_category(f.values[f_cat]);
            if (!c && !std::holds_alternative<std::monostate>(f.values[f_cat]) &&
                !io::Layer::text(f.values[f_cat]).empty())
                throw DataError(category_problem(farm, f, f_cat));
            if (!c) ++no_category;
            p.current = c.value_or(0);
        }
        if (f_dlbm >= 0) {
            const std::string code = io::Layer::text(f.values[f_dlbm]);
            if (!code.empty()) {
                auto lu = std_soil.landuse_from_dlbm(code);
                if (!lu) lu = std_soil.landuse_from_name(code);
                if (!lu)
                    throw DataError(farm.where(f.fid) + ": DLBM '" + code +
                                    "' is not a farmland code of the standard table (0101 水田, "
                                    "0102/0103, 02xx 园地); fix it or extend [landuse.dlbm]");
                p.landuse = *lu;
            }
        }
        if (f_measures >= 0)
            p.measures =
                parse_measures(f.values[f_measures], farm, f.fid, farm.fields[f_measures].name);
        for (int k : f_by)
            groups[i].push_back(io::Layer::text(f.values[k]));
        prepared[i].reset(GEOSPrepare_r(h, f.geom.get()));
        boxes.emplace_back(envelope(f.geom.get()), static_cast<int>(i));
    }
    const BoxTree parcel_tree(boxes);
    if (f_cat < 0)
        log_warning(farm.where() + ": no category field; every parcel counts as new (map it "
                                   "with --farmland-field category=NAME)");
    else if (no_category > 0)
        log_warning(farm.where() + ", field " + farm.fields[f_cat].name + ": " +
                    std::to_string(no_category) + " of " + std::to_string(np) +
                    " parcels have no category; their proposed category is marked new");
    if (f_dlbm < 0)
        log_warning(farm.where() + ": no dlbm field; land use comes from the samples "
                                   "(map it with --farmland-field dlbm=NAME)");

    auto parcel_of = [&](double x, double y) -> int {
        std::vector<BoxEntry> hits;
        parcel_tree.query(bgi::intersects(BPoint(x, y)), std::back_inserter(hits));
        std::sort(hits.begin(), hits.end(),
                  [](const BoxEntry& a, const BoxEntry& b) { return a.second < b.second; });
        if (hits.empty()) return -1;
        geos::GeomPtr pt = geos::check(GEOSGeom_createPointFromXY_r(h, x, y), "point");
        for (const auto& e : hits)
            if (GEOSPreparedIntersects_r(h, prepared[e.second].get(), pt.get()) == 1)
                return e.second;
        return -1;
    };

    // --- Soil samples --------------------------------------------------------------------
    std::vector<std::pair<std::string, int>> elements; // element, field index
    for (const auto& el : std_soil.elements())
        if (int i = role(samp, el); i >= 0) elements.emplace_back(el, i);
    if (elements.empty())
        throw DataError(samp.where() + ": no element columns (cd, hg, as, pb, cr, cu, ni, zn); "
                                       "map them with --samples-field cd=NAME");
    const int s_id = [&] {
        int i = role(samp, "sample_id");
        return i >= 0 ? i : role(samp, "id");
    }();
    const int s_ph = role(samp, "ph");
    const int s_lu = role(samp, "landuse");
    if (s_ph < 0 && !opt.default_ph)
        throw DataError(samp.where() +
                        ": no pH field; map it with --samples-field ph=NAME (GB 15618 values "
                        "depend on pH) or give --default-ph");
    // Decimal commas ("0,35") are read, and reported once per field.
    // (layer, field) -> count, first example
    std::map<std::pair<const io::Layer*, int>, std::pair<int, std::string>> commas;
    auto note_comma = [&](const Measurement& m, const io::Layer& layer, int field,
                          const std::string& id, const io::Value& v) {
        if (!m.decimal_comma) return;
        auto& c = commas[{&layer, field}];
        if (c.first++ == 0) c.second = "'" + io::Layer::text(v) + "' in sample " + id;
    };
    auto warn_commas = [&](const io::Layer& layer) {
        for (const auto& [key, c] : commas)
            if (key.first == &layer)
                log_warning(layer.where() + ", field " + layer.fields[key.second].name + ": " +
                            std::to_string(c.first) + " values use a decimal comma (first " +
                            c.second + "); read with the comma as the decimal point");
    };
    std::vector<SoilSample> samples(samp.features.size());
    for (std::size_t k = 0; k < samp.features.size(); ++k) {
        const io::Feature& f = samp.features[k];
        SoilSample& s = samples[k];
        s.fid = f.fid;
        s.id = s_id >= 0 ? io::Layer::text(f.values[s_id]) : std::to_string(f.fid);
        s.geom = f.geom.get();
        std::tie(s.x, s.y) = point_of(s.geom);
        const std::string where = sample_label(samp, f.fid, s.id);
        // pH
        Measurement ph;
        if (s_ph >= 0) {
            const std::string ph_where = where + ", field " + samp.fields[s_ph].name;
            ph = parse_measurement(f.values[s_ph], ph_where, true);
            note_comma(ph, samp, s_ph, s.id, f.values[s_ph]);
            if (ph.kind == Measurement::Kind::value && (ph.value < 0 || ph.value > 14))
                throw DataError(ph_where + ": pH " + io::Layer::text(ph.value) +
                                " is outside 0-14; fix the value (or map the right field with "
                                "--samples-field ph=NAME)");
        }
        if (ph.kind == Measurement::Kind::value) {
            s.ph = ph.value;
        } else if (opt.default_ph) {
            s.ph = *opt.default_ph;
            s.ph_default = true;
        } else {
            throw DataError(where + ": pH is " +
                            (ph.kind == Measurement::Kind::missing ? "empty" : "below detection") +
                            "; the sample cannot be judged without it (fix the value or give "
                            "--default-ph)");
        }
        // Land use: the parcel's DLBM, else the sample's own column, else the default.
        s.parcel = parcel_of(s.x, s.y);
        if (s_lu >= 0) {
            const std::string t = io::Layer::text(f.values[s_lu]);
            if (!t.empty()) {
                auto lu = std_soil.landuse_from_name(t);
                if (!lu)
                    throw DataError(where + ", field " + samp.fields[s_lu].name + ": land use '" +
                                    t +
                                    "' is unknown; use 水田/旱地/水浇地/果园 or paddy/other/"
                                    "orchard, or extend [landuse.names] of the standard table");
                s.landuse_own = *lu;
            }
        }
        if (s.parcel >= 0 && !parcels[s.parcel].landuse.empty()) {
            s.landuse = parcels[s.parcel].landuse;
            s.landuse_source = "parcel";
            s.landuse_conflict = !s.landuse_own.empty() && s.landuse_own != s.landuse;
        } else if (!s.landuse_own.empty()) {
            s.landuse = s.landuse_own;
            s.landuse_source = "sample";
        } else if (!opt.default_landuse.empty()) {
            s.landuse = *std_soil.landuse_from_name(opt.default_landuse);
            s.landuse_source = "default";
        } else {
            throw DataError(where + ": no land use (outside every parcel with a DLBM, and no "
                                    "land-use value); map --samples-field landuse=NAME or give "
                                    "--default-landuse paddy|other|orchard");
        }
        for (const auto& [el, idx] : elements) {
            const Measurement m =
                parse_measurement(f.values[idx], where + ", field " + samp.fields[idx].name);
            note_comma(m, samp, idx, s.id, f.values[idx]);
            if (m.kind == Measurement::Kind::missing) continue;
            Concentration c{el, m.value, false};
            if (m.kind == Measurement::Kind::below_dl) {
                c.value = opt.nd.substitute(m);
                c.below_dl = true;
                s.nd.push_back(el);
            }
            s.conc.push_back(c);
        }
        if (s.conc.empty()) log_warning(where + ": no element value; the sample is not used");
        s.result = evaluate_soil(std_soil, s.conc, s.ph, s.landuse);
    }
    warn_commas(samp);
    if (s_id >= 0) {
        std::map<std::string, int> seen;
        std::string first;
        int repeated = 0;
        for (const auto& smp : samples)
            if (++seen[smp.id] == 2 && repeated++ == 0) first = smp.id;
        if (repeated > 0)
            log_warning(samp.where() + ", field " + samp.fields[s_id].name + ": " +
                        std::to_string(repeated) + " sample ids occur more than once (first '" +
                        first + "'); the tables cannot tell those samples apart, fix the ids");
    }
    progress(0.2, "soil samples");
    int conflicts = 0;
    for (const auto& s : samples)
        conflicts += s.landuse_conflict;
    if (conflicts)
        log_warning(samp.where() + ": " + std::to_string(conflicts) +
                    " samples give a land use that differs from their parcel's DLBM; the "
                    "parcel's is used (column landuse_conflict)");

    // --- Crop samples --------------------------------------------------------------------
    std::vector<CropSample> crops;
    if (in.crops) {
        const io::Layer& cl = *in.crops;
        const FoodStandard& food = *in.food;
        const int c_id = [&] {
            int i = role(cl, "sample_id");
            return i >= 0 ? i : role(cl, "id");
        }();
        const int c_crop = role(cl, "crop");
        if (c_crop < 0 && opt.default_crop.empty())
            throw DataError(cl.where() + ": no crop field; map it with --crops-field crop=NAME "
                                         "or give --crop rice");
        std::set<std::string> all_el;
        for (const auto& [k, f] : food.foods)
            for (const auto& [el, v] : f.limits)
                all_el.insert(el);
        std::vector<std::pair<std::string, int>> cel;
        for (const auto& el : all_el)
            if (int i = role(cl, el); i >= 0) cel.emplace_back(el, i);
        for (const auto& f : cl.features) {
            CropSample c;
            c.fid = f.fid;
            c.id = c_id >= 0 ? io::Layer::text(f.values[c_id]) : std::to_string(f.fid);
            c.geom = f.geom.get();
            std::tie(c.x, c.y) = point_of(c.geom);
            const std::string where = sample_label(cl, f.fid, c.id);
            c.crop = c_crop >= 0 ? io::Layer::text(f.values[c_crop]) : std::string();
            if (c.crop.empty()) c.crop = opt.default_crop;
            auto fk = food.food_for(c.crop);
            if (!fk)
                throw DataError(where + ": crop '" + c.crop + "' has no GB 2762 limits in " +
                                food.file + "; use rice, cereal, … or extend [foods]");
            c.food = *fk;
            for (const auto& [el, idx] : cel) {
                const auto limit = food.limit(c.food, el);
                if (!limit) continue;
                const Measurement m =
                    parse_measurement(f.values[idx], where + ", field " + cl.fields[idx].name);
                note_comma(m, cl, idx, c.id, f.values[idx]);
                if (m.kind == Measurement::Kind::missing) continue;
                CropElement e;
                e.element = el;
                e.limit = *limit;
                if (m.kind == Measurement::Kind::below_dl) {
                    e.below_dl = true;
                    e.value = opt.nd.substitute(m);
                    e.cls = rules.nd_class;
                } else {
                    e.value = m.value;
                }
                e.ratio = e.value / e.limit;
                if (!e.below_dl) e.cls = rules.crop_class(e.ratio);
                if (c.limiting.empty() || e.ratio > c.max_ratio) {
                    c.limiting = el;
                    c.max_ratio = e.ratio;
                }
                c.cls = std::max(c.cls, e.cls);
                c.elements.push_back(e);
            }
            crops.push_back(std::move(c));
        }
        warn_commas(cl);
    }
    progress(0.3, "crop samples");

    // --- Assignment ----------------------------------------------------------------------
    std::vector<PointEntry> spts;
    for (std::size_t k = 0; k < samples.size(); ++k)
        if (!samples[k].conc.empty())
            spts.emplace_back(BPoint(samples[k].x, samples[k].y), static_cast<int>(k));
    const PointTree sample_tree(spts);
    std::vector<PointEntry> cpts;
    for (std::size_t k = 0; k < crops.size(); ++k)
        cpts.emplace_back(BPoint(crops[k].x, crops[k].y), static_cast<int>(k));
    const PointTree crop_tree(cpts);

    // Samples within `dist` of parcel i, with their distances, sorted by (distance, index).
    auto within = [&](const PointTree& tree, std::size_t i, double dist,
                      auto coords) -> std::vector<std::pair<double, int>> {
        auto hh = geos::ctx();
        const GEOSGeom_t* g = farm.features[i].geom.get();
        BBox b = envelope(g);
        b.min_corner().set<0>(b.min_corner().get<0>() - dist);
        b.min_corner().set<1>(b.min_corner().get<1>() - dist);
        b.max_corner().set<0>(b.max_corner().get<0>() + dist);
        b.max_corner().set<1>(b.max_corner().get<1>() + dist);
        std::vector<PointEntry> hits;
        tree.query(bgi::intersects(b), std::back_inserter(hits));
        std::vector<std::pair<double, int>> out;
        for (const auto& e : hits) {
            auto [x, y] = coords(e.second);
            geos::GeomPtr pt = geos::check(GEOSGeom_createPointFromXY_r(hh, x, y), "point");
            double d = 0;
            if (GEOSPreparedIntersects_r(hh, prepared[i].get(), pt.get()) != 1)
                GEOSDistance_r(hh, g, pt.get(), &d);
            if (d <= dist) out.emplace_back(d, e.second);
        }
        std::sort(out.begin(), out.end());
        return out;
    };
    auto sample_xy = [&](int k) { return std::make_pair(samples[k].x, samples[k].y); };
    auto crop_xy = [&](int k) { return std::make_pair(crops[k].x, crops[k].y); };

    // Per parcel: the samples used (index, distance) and, for voronoi, the cell share.
    std::vector<std::vector<std::pair<int, double>>> used(np);
    std::vector<double> share(np, 0);
    std::vector<std::optional<SoilResult>> idw_result(np);

    if (opt.method == AssignMethod::inside) {
        for (std::size_t k = 0; k < samples.size(); ++k)
            if (samples[k].parcel >= 0 && !samples[k].conc.empty())
                used[samples[k].parcel].emplace_back(static_cast<int>(k), 0.0);
        for (auto& u : used)
            if (!u.empty()) u.shrink_to_fit();
    } else if (opt.method == AssignMethod::nearest) {
        tbb::parallel_for(std::size_t(0), np, [&](std::size_t i) {
            auto near = within(sample_tree, i, opt.max_distance, sample_xy);
            if (near.empty()) return;
            const double dmin = near.front().first;
            for (const auto& [d, k] : near)
                if (d <= dmin + 1e-9) used[i].emplace_back(k, d); // ties (several inside) all count
        });
    } else if (opt.method == AssignMethod::voronoi) {
        if (spts.empty())
            throw DataError(samp.where() + ": no sample with values for Thiessen polygons");
        // Unique sample locations (coincident samples share one cell).
        std::map<std::pair<double, double>, std::vector<int>> sites;
        for (const auto& e : spts)
            sites[{e.first.get<0>(), e.first.get<1>()}].push_back(e.second);
        std::vector<geos::GeomPtr> pts;
        for (const auto& [xy, ks] : sites)
            pts.push_back(
                geos::check(GEOSGeom_createPointFromXY_r(h, xy.first, xy.second), "point"));
        double x0 = 1e300, y0 = 1e300, x1 = -1e300, y1 = -1e300;
        for (const auto& e : boxes) {
            x0 = std::min(x0, e.first.min_corner().get<0>());
            y0 = std::min(y0, e.first.min_corner().get<1>());
            x1 = std::max(x1, e.first.max_corner().get<0>());
            y1 = std::max(y1, e.first.max_corner().get<1>());
        }
        for (const auto& [xy, ks] : sites) {
            x0 = std::min(x0, xy.first);
            y0 = std::min(y0, xy.second);
            x1 = std::max(x1, xy.first);
            y1 = std::max(y1, xy.second);
        }
        const double pad = std::max(x1 - x0, y1 - y0) + 1.0;
        geos::GeomPtr frame = geos::check(
            GEOSGeom_createRectangle_r(h, x0 - pad, y0 - pad, x1 + pad, y1 + pad), "rectangle");
        // Cells: one per site, matched back by containment (GEOS does not keep the order).
        std::vector<geos::GeomPtr> cells(sites.size());
        std::vector<std::vector<int>> site_samples;
        for (const auto& [xy, ks] : sites)
            site_samples.push_back(ks);
        if (sites.size() == 1) {
            cells[0] = geos::clone(frame.get());
        } else {
            std::vector<GEOSGeom_t*> raw;
            for (auto& p : pts)
                raw.push_back(p.release());
            geos::GeomPtr mp =
                geos::check(GEOSGeom_createCollection_r(h, GEOS_MULTIPOINT, raw.data(),
                                                        static_cast<unsigned>(raw.size())),
                            "multipoint");
            geos::GeomPtr diagram = geos::check(
                GEOSVoronoiDiagram_r(h, mp.get(), frame.get(), 0.0, 0), "Voronoi diagram");
            const int n = GEOSGetNumGeometries_r(h, diagram.get());
            std::vector<PointEntry> site_pts;
            int si = 0;
            for (const auto& [xy, ks] : sites)
                site_pts.emplace_back(BPoint(xy.first, xy.second), si++);
            const PointTree site_tree(site_pts);
            for (int c = 0; c < n; ++c) {
                const GEOSGeom_t* cell = GEOSGetGeometryN_r(h, diagram.get(), c);
                geos::PreparedPtr pc(GEOSPrepare_r(h, cell));
                std::vector<PointEntry> hits;
                site_tree.query(bgi::intersects(envelope(cell)), std::back_inserter(hits));
                for (const auto& e : hits) {
                    geos::GeomPtr pt = geos::check(
                        GEOSGeom_createPointFromXY_r(h, e.first.get<0>(), e.first.get<1>()),
                        "point");
                    if (GEOSPreparedIntersects_r(h, pc.get(), pt.get()) == 1 && !cells[e.second]) {
                        cells[e.second] = geos::clone(cell);
                        break;
                    }
                }
            }
            for (std::size_t c = 0; c < cells.size(); ++c)
                if (!cells[c])
                    throw DataError(samp.where() + ": Thiessen polygons could not be built "
                                                   "for every sample location");
        }
        std::vector<BoxEntry> cell_boxes;
        for (std::size_t c = 0; c < cells.size(); ++c)
            cell_boxes.emplace_back(envelope(cells[c].get()), static_cast<int>(c));
        const BoxTree cell_tree(cell_boxes);
        // Pieces parcel ∩ cell; the cell with the largest area decides.
        std::vector<std::vector<std::pair<int, geos::GeomPtr>>> pieces(np);
        tbb::parallel_for(std::size_t(0), np, [&](std::size_t i) {
            auto hh = geos::ctx();
            const GEOSGeom_t* g = farm.features[i].geom.get();
            std::vector<BoxEntry> hits;
            cell_tree.query(bgi::intersects(boxes[i].first), std::back_inserter(hits));
            std::sort(hits.begin(), hits.end(),
                      [](const BoxEntry& a, const BoxEntry& b) { return a.second < b.second; });
            double best = -1, total = 0;
            int best_c = -1;
            for (const auto& e : hits) {
                if (GEOSPreparedIntersects_r(hh, prepared[i].get(), cells[e.second].get()) != 1)
                    continue;
                geos::GeomPtr part =
                    geos::check(GEOSIntersection_r(hh, g, cells[e.second].get()), "Thiessen clip");
                double a = 0;
                GEOSArea_r(hh, part.get(), &a);
                if (a <= 0) continue;
                total += a;
                if (a > best) {
                    best = a;
                    best_c = e.second;
                }
                pieces[i].emplace_back(e.second, std::move(part));
            }
            if (best_c < 0) return;
            share[i] = total > 0 ? best / total : 0;
            for (int k : site_samples[best_c]) {
                geos::GeomPtr pt = geos::check(
                    GEOSGeom_createPointFromXY_r(hh, samples[k].x, samples[k].y), "point");
                double d = 0;
                if (GEOSPreparedIntersects_r(hh, prepared[i].get(), pt.get()) != 1)
                    GEOSDistance_r(hh, g, pt.get(), &d);
                used[i].emplace_back(k, d);
            }
        });
        // Units layer: the pieces with their sample's soil class (under its own land use).
        res.units.name = "units";
        res.units.columns = {{"parcel_id", "图斑编号", "Parcel ID", -1},
                             {"sample_id", "样点编号", "Sample ID", -1},
                             {"soil_class", "土壤类别", "Soil class", 0},
                             {"limiting_element", "主控元素", "Limiting element", -1},
                             {"method", "划分方法", "Method", -1}};
        for (std::size_t i = 0; i < np; ++i)
            for (auto& [c, part] : pieces[i]) {
                const int k = site_samples[c].front();
                std::string ids;
                for (int s : site_samples[c])
                    ids += (ids.empty() ? "" : ",") + samples[s].id;
                res.units.add_row({parcels[i].parcel_id, ids,
                                   static_cast<std::int64_t>(samples[k].result.soil_class),
                                   samples[k].result.limiting_element, std::string("voronoi")});
                res.unit_geoms.push_back(std::move(part));
            }
    } else { // idw
        // One interpolator: variable 0 is pH, then one per element (NaN: not measured).
        std::vector<Idw::Point> pts;
        std::vector<int> idw_index; // interpolator point -> sample index
        const double nan = std::numeric_limits<double>::quiet_NaN();
        for (std::size_t k = 0; k < samples.size(); ++k) {
            if (samples[k].conc.empty()) continue;
            Idw::Point p{samples[k].x, samples[k].y, {samples[k].ph}};
            for (const auto& [el, idx] : elements) {
                double z = nan;
                for (const auto& c : samples[k].conc)
                    if (c.element == el) z = c.value;
                p.z.push_back(z);
            }
            pts.push_back(std::move(p));
            idw_index.push_back(static_cast<int>(k));
        }
        const Idw idw(std::move(pts), opt.idw_power, opt.idw_radius, opt.idw_max_neighbours);
        tbb::parallel_for(std::size_t(0), np, [&](std::size_t i) {
            // No sample has a value (all element cells empty): nothing to interpolate, the
            // parcels stay without evidence (found by fuzz_samples).
            if (idw.size() == 0) return;
            const GEOSGeom_t* g = farm.features[i].geom.get();
            const IdwMean m = idw_polygon_mean(idw, g, opt.idw_cell);
            const std::optional<double> ph = m.values[0];
            const double coverage = m.covered_share[0];
            std::vector<Concentration> conc;
            for (std::size_t v = 0; v < elements.size(); ++v)
                if (m.values[v + 1]) conc.push_back({elements[v].first, *m.values[v + 1], false});
            std::set<int> contributors;
            for (int p : m.used)
                contributors.insert(idw_index[p]);
            share[i] = coverage;
            if (!ph || conc.empty()) return;
            std::string lu = parcels[i].landuse;
            if (lu.empty())
                lu = opt.default_landuse.empty() ? std::string()
                                                 : *std_soil.landuse_from_name(opt.default_landuse);
            if (lu.empty())
                throw DataError(farm.where(farm.features[i].fid) +
                                ": IDW needs the parcel's land use; map --farmland-field "
                                "dlbm=NAME or give --default-landuse");
            idw_result[i] = evaluate_soil(std_soil, conc, *ph, lu);
            auto hh = geos::ctx();
            for (int k : contributors) {
                geos::GeomPtr pt = geos::check(
                    GEOSGeom_createPointFromXY_r(hh, samples[k].x, samples[k].y), "point");
                double d = 0;
                if (GEOSPreparedIntersects_r(hh, prepared[i].get(), pt.get()) != 1)
                    GEOSDistance_r(hh, g, pt.get(), &d);
                used[i].emplace_back(k, d);
            }
            std::sort(used[i].begin(), used[i].end(),
                      [](const auto& a, const auto& b) { return a.second < b.second; });
        });
    }
    progress(0.7, "assignment");

    // --- Proposals -----------------------------------------------------------------------
    AreaCalculator areas(farm.crs, opt.area_mode);
    tbb::parallel_for(std::size_t(0), np, [&](std::size_t i) {
        ParcelResult& p = parcels[i];
        p.area_m2 = areas.area_m2(farm.features[i].geom.get());
        p.share = share[i];
        // Soil class of the parcel.
        std::optional<SoilResult> soil;
        if (opt.method == AssignMethod::idw) {
            soil = idw_result[i];
        } else if (!used[i].empty()) {
            // Each sample judged at its own pH under the parcel's land use; ratios per
            // element combined over the samples (worst or mean).
            std::map<std::string, std::vector<ElementResult>> per_el;
            std::vector<std::string> order;
            for (const auto& [k, d] : used[i]) {
                const SoilSample& s = samples[k];
                const std::string lu = p.landuse.empty() ? s.landuse : p.landuse;
                const SoilResult r = evaluate_soil(std_soil, s.conc, s.ph, lu);
                for (const auto& e : r.elements) {
                    if (!per_el.count(e.element)) order.push_back(e.element);
                    per_el[e.element].push_back(e);
                }
            }
            std::vector<ElementResult> agg;
            for (const auto& el : order) {
                const auto& v = per_el[el];
                ElementResult e = v.front();
                if (opt.combine == ClassifyOptions::Combine::worst) {
                    for (const auto& x : v) {
                        e.screening_ratio = std::max(e.screening_ratio, x.screening_ratio);
                        if (x.intervention_ratio)
                            e.intervention_ratio =
                                std::max(e.intervention_ratio.value_or(0), *x.intervention_ratio);
                    }
                } else {
                    double ss = 0, si = 0;
                    int ni = 0;
                    for (const auto& x : v) {
                        ss += x.screening_ratio;
                        if (x.intervention_ratio) {
                            si += *x.intervention_ratio;
                            ++ni;
                        }
                    }
                    e.screening_ratio = ss / v.size();
                    if (ni) e.intervention_ratio = si / ni;
                }
                agg.push_back(e);
            }
            soil = classify_ratios(std::move(agg));
        }
        for (const auto& [k, d] : used[i]) {
            p.samples.push_back(samples[k].id);
            if (!p.distance || d < *p.distance) p.distance = d;
        }
        if (p.landuse.empty() && !used[i].empty())
            p.landuse = samples[used[i].front().first].landuse;
        // Crops in (or within crop_distance of) the parcel.
        std::vector<std::string> crop_ids;
        if (!crops.empty())
            for (const auto& [d, k] : within(crop_tree, i, opt.crop_distance, crop_xy)) {
                ++p.crop_n[crops[k].cls - 1];
                crop_ids.push_back(crops[k].id);
            }
        // Evidence strength.
        switch (opt.method) {
        case AssignMethod::inside:
        case AssignMethod::nearest:
            p.weak = used[i].empty();
            break;
        case AssignMethod::voronoi:
            p.weak = !p.distance || *p.distance > opt.max_distance;
            break;
        case AssignMethod::idw:
            p.weak = !soil || p.share < 1.0 - 1e-9;
            break;
        }
        // Proposal.
        std::ostringstream why;
        const int ncrop = p.crop_n[0] + p.crop_n[1] + p.crop_n[2];
        if (!soil || soil->limiting_element.empty()) {
            p.proposed = p.current;
            why << (zh ? "无代表样点，维持现类别" : "no representative sample; category kept");
        } else {
            p.soil_class = soil->soil_class;
            p.limiting_element = soil->limiting_element;
            p.limiting_ratio = soil->limiting_ratio;
            p.proposed = p.soil_class;
            const bool g = p.soil_class == 3;
            if (zh)
                why << "土壤" << category_name(p.soil_class, opt.lang) << "：主控元素 "
                    << p.limiting_element << (g ? " 管制值比 " : " 筛选值比 ")
                    << fmt(p.limiting_ratio, 2);
            else
                why << "soil " << category_name(p.soil_class, opt.lang) << ": "
                    << p.limiting_element << (g ? " intervention ratio " : " screening ratio ")
                    << fmt(p.limiting_ratio, 2);
            why << (zh ? "（" : " (") << to_string(opt.method) << ": ";
            for (std::size_t s = 0; s < p.samples.size() && s < 5; ++s)
                why << (s ? "," : "") << p.samples[s];
            if (p.samples.size() > 5) why << ",…";
            why << (zh ? "）" : ")");
            if (ncrop) {
                if (zh)
                    why << "；农产品 " << ncrop << " 个（达标 " << p.crop_n[0] << "，超标 "
                        << p.crop_n[1] << "，超标2倍以上 " << p.crop_n[2] << "）";
                else
                    why << "; crops " << ncrop << " (compliant " << p.crop_n[0] << ", exceeding "
                        << p.crop_n[1] << ", above 2x " << p.crop_n[2] << ")";
            }
            if (const auto* r = rules.match(p.soil_class, p.crop_n[0], p.crop_n[1], p.crop_n[2])) {
                p.proposed = r->to;
                p.rule_id = r->id;
                why << (zh ? "；规则 " : "; rule ") << r->id;
            }
        }
        if (p.weak) why << (zh ? "；证据不足，建议补充采样" : "; weak evidence: sample here");
        p.reason = why.str();
    });
    progress(0.85, "proposals");

    // --- Tables --------------------------------------------------------------------------
    const std::string method = to_string(opt.method);
    std::string method_params = "method=" + method;
    switch (opt.method) {
    case AssignMethod::inside:
        method_params +=
            "; combine=" +
            std::string(opt.combine == ClassifyOptions::Combine::worst ? "worst" : "mean");
        break;
    case AssignMethod::nearest:
        method_params += "; max_distance=" + fmt(opt.max_distance, 1) + " m";
        break;
    case AssignMethod::voronoi:
        method_params += "; weak beyond " + fmt(opt.max_distance, 1) + " m";
        break;
    case AssignMethod::idw:
        method_params += "; power=" + fmt(opt.idw_power, 2) + "; radius=" + fmt(opt.idw_radius, 1) +
                         " m; max_neighbours=" + std::to_string(opt.idw_max_neighbours) +
                         "; cell=" + fmt(opt.idw_cell, 1) + " m";
        break;
    }

    // Samples.
    io::Table& st = res.samples;
    st.name = "samples";
    st.title_zh = "土壤样点评价（GB 15618-2018）";
    st.title_en = "Soil samples under GB 15618-2018";
    st.columns = {{"sample_id", "样点编号", "Sample ID", -1},
                  {"ph", "pH", "pH", 2},
                  {"ph_band", "pH区间", "pH band", -1},
                  {"ph_default", "pH为缺省值", "Default pH", 0},
                  {"landuse", "土地利用", "Land use", -1},
                  {"landuse_source", "土地利用来源", "Land use from", -1},
                  {"landuse_conflict", "土地利用不一致", "Land use conflict", 0},
                  {"parcel_id", "所在图斑", "Parcel", -1},
                  {"soil_class", "土壤类别", "Soil class", 0},
                  {"limiting_element", "主控元素", "Limiting element", -1},
                  {"limiting_ratio", "主控比值", "Limiting ratio", 3},
                  {"below_dl", "未检出元素", "Below detection", -1}};
    for (const auto& [el, idx] : elements) {
        const auto* row = std_soil.screening_row(el);
        const std::string zhn = row && !row->name_zh.empty() ? row->name_zh : el;
        st.columns.push_back({el, zhn + "（mg/kg）", el + " (mg/kg)", -1});
        st.columns.push_back({el + "_screening_ratio", zhn + "筛选值比", el + " / screening", 3});
        if (std_soil.intervention_row(el))
            st.columns.push_back(
                {el + "_intervention_ratio", zhn + "管制值比", el + " / intervention", 3});
    }
    st.columns.push_back({"standard", "评价标准", "Standard", -1});
    for (const auto& s : samples) {
        std::vector<io::Value> row = {
            s.id,
            s.ph,
            std_soil.band_label(std_soil.ph_band(s.ph)),
            static_cast<std::int64_t>(s.ph_default),
            s.landuse,
            s.landuse_source,
            static_cast<std::int64_t>(s.landuse_conflict),
            s.parcel >= 0 ? io::Value(parcels[s.parcel].parcel_id) : io::Value(),
            s.conc.empty() ? io::Value()
                           : io::Value(static_cast<std::int64_t>(s.result.soil_class)),
            s.result.limiting_element,
            s.conc.empty() ? io::Value() : io::Value(s.result.limiting_ratio),
            [&] {
                std::string t;
                for (const auto& e : s.nd)
                    t += (t.empty() ? "" : ",") + e;
                return t;
            }()};
        for (const auto& [el, idx] : elements) {
            const ElementResult* e = nullptr;
            for (const auto& x : s.result.elements)
                if (x.element == el) e = &x;
            row.push_back(e ? io::Value(e->value) : io::Value());
            row.push_back(e ? io::Value(e->screening_ratio) : io::Value());
            if (std_soil.intervention_row(el))
                row.push_back(e && e->intervention_ratio ? io::Value(*e->intervention_ratio)
                                                         : io::Value());
        }
        row.push_back(std_soil.version);
        st.add_row(std::move(row));
        res.sample_geoms.push_back(s.geom);
    }

    // Crops.
    if (in.crops) {
        io::Table& ct = res.crops;
        ct.name = "crops";
        ct.title_zh = "农产品样点评价（GB 2762-" + in.food->edition + "）";
        ct.title_en = "Crop samples under GB 2762-" + in.food->edition;
        ct.columns = {{"sample_id", "样点编号", "Sample ID", -1},
                      {"crop", "作物", "Crop", -1},
                      {"food", "限量类别", "Food", -1},
                      {"crop_class", "农产品评价等级", "Crop class", 0},
                      {"limiting_element", "主控元素", "Limiting element", -1},
                      {"max_ratio", "最大超标倍数", "Max ratio", 3}};
        std::set<std::string> els;
        for (const auto& c : crops)
            for (const auto& e : c.elements)
                els.insert(e.element);
        for (const auto& el : els) {
            ct.columns.push_back({el, el + "（mg/kg）", el + " (mg/kg)", -1});
            ct.columns.push_back({el + "_limit_ratio", el + "限量比", el + " / limit", 3});
        }
        ct.columns.push_back({"edition", "GB 2762版本", "GB 2762 edition", -1});
        for (const auto& c : crops) {
            std::vector<io::Value> row = {
                c.id, c.crop, c.food, static_cast<std::int64_t>(c.cls), c.limiting, c.max_ratio};
            for (const auto& el : els) {
                const CropElement* e = nullptr;
                for (const auto& x : c.elements)
                    if (x.element == el) e = &x;
                row.push_back(e ? io::Value(e->value) : io::Value());
                row.push_back(e ? io::Value(e->ratio) : io::Value());
            }
            row.push_back("GB 2762-" + in.food->edition);
            ct.add_row(std::move(row));
            res.crop_geoms.push_back(c.geom);
        }
    }

    // Parcels.
    auto parcel_columns = [&](io::Table& t) {
        t.columns = {{"parcel_id", "图斑编号", "Parcel ID", -1}};
        for (const auto& b : by_names)
            t.columns.push_back(
                {b, b == "county" ? "县（区）" : b, b == "county" ? "County" : b, -1});
        t.columns.insert(t.columns.end(),
                         {{"landuse", "土地利用", "Land use", -1},
                          {"area_m2", "面积（平方米）", "Area (m²)", 2},
                          {"area_mu", "面积（亩）", "Area (mu)", 2},
                          {"area_ha", "面积（公顷）", "Area (ha)", 4},
                          {"current_category", "现类别", "Current category", 0},
                          {"current_name", "现类别名称", "Current category name", -1},
                          {"soil_class", "土壤评价类别", "Soil class", 0},
                          {"proposed_category", "建议类别", "Proposed category", 0},
                          {"proposed_name", "建议类别名称", "Proposed category name", -1},
                          {"change", "变化代码", "Change", -1},
                          {"change_name", "变化", "Change (label)", -1},
                          {"rule_id", "调整规则", "Rule", -1},
                          {"limiting_element", "主控元素", "Limiting element", -1},
                          {"limiting_ratio", "主控比值", "Limiting ratio", 3},
                          {"samples_used", "所用样点", "Samples used", -1},
                          {"n_samples", "样点数", "Samples", 0},
                          {"nearest_sample_m", "最近样点距离（米）", "Nearest sample (m)", 1},
                          {"evidence_share", "证据覆盖比例", "Evidence share", 3},
                          {"crop_samples", "农产品样点数", "Crop samples", 0},
                          {"crop_exceeding", "农产品超标数", "Crop samples exceeding", 0},
                          {"crop_above_2x", "超标2倍以上数", "Crop samples above 2x", 0},
                          {"weak_evidence", "证据不足", "Weak evidence", 0},
                          {"measures", "已落实措施", "Measures in place", -1},
                          {"reason", "依据", "Reason", -1},
                          {"method", "划分方法", "Method", -1},
                          {"rules", "规则表", "Rule table", -1}});
    };
    auto parcel_row = [&](std::size_t i) {
        const ParcelResult& p = parcels[i];
        std::vector<io::Value> row = {p.parcel_id};
        for (const auto& g : groups[i])
            row.push_back(g);
        std::string ids;
        for (const auto& s : p.samples)
            ids += (ids.empty() ? "" : ",") + s;
        const std::string change = p.change();
        row.insert(row.end(),
                   {p.landuse,
                    p.area_m2,
                    m2_to_mu(p.area_m2),
                    m2_to_ha(p.area_m2),
                    p.current ? io::Value(static_cast<std::int64_t>(p.current)) : io::Value(),
                    category_name(p.current, opt.lang),
                    p.soil_class ? io::Value(static_cast<std::int64_t>(p.soil_class)) : io::Value(),
                    p.proposed ? io::Value(static_cast<std::int64_t>(p.proposed)) : io::Value(),
                    category_name(p.proposed, opt.lang),
                    change,
                    zh ? std::string(change_zh(change)) : change,
                    p.rule_id,
                    p.limiting_element,
                    p.soil_class ? io::Value(p.limiting_ratio) : io::Value(),
                    ids,
                    static_cast<std::int64_t>(p.samples.size()),
                    p.distance ? io::Value(*p.distance) : io::Value(),
                    opt.method == AssignMethod::voronoi || opt.method == AssignMethod::idw
                        ? io::Value(p.share)
                        : io::Value(),
                    static_cast<std::int64_t>(p.crop_n[0] + p.crop_n[1] + p.crop_n[2]),
                    static_cast<std::int64_t>(p.crop_n[1] + p.crop_n[2]),
                    static_cast<std::int64_t>(p.crop_n[2]),
                    static_cast<std::int64_t>(p.weak),
                    p.measures ? io::Value(std::string(*p.measures ? "yes" : "no")) : io::Value(),
                    p.reason,
                    method_params,
                    rules.id});
        return row;
    };
    res.parcels.name = "parcels";
    res.parcels.title_zh = "耕地类别调整建议";
    res.parcels.title_en = "Proposed farmland categories";
    parcel_columns(res.parcels);
    res.changed.name = "changed_parcels";
    res.changed.title_zh = "类别变化图斑清单";
    res.changed.title_en = "Parcels whose category changes";
    parcel_columns(res.changed);
    res.weak_evidence.name = "weak_evidence";
    res.weak_evidence.title_zh = "证据不足、建议补充采样的图斑";
    res.weak_evidence.title_en = "Unchanged parcels with weak evidence (sample here)";
    parcel_columns(res.weak_evidence);
    for (std::size_t i = 0; i < np; ++i) {
        auto row = parcel_row(i);
        const std::string c = parcels[i].change();
        if (c != "unchanged") res.changed.add_row(row);
        if (c == "unchanged" && parcels[i].weak) res.weak_evidence.add_row(row);
        res.parcels.add_row(std::move(row));
        res.parcel_geoms.push_back(farm.features[i].geom.get());
    }

    // Change matrix by group, then all.
    io::Table& cm = res.change_matrix;
    cm.name = "change_matrix";
    cm.title_zh = "类别调整矩阵（现类别 × 建议类别）";
    cm.title_en = "Change matrix (current × proposed category)";
    const std::string all_label = "all"; // the city total, as in area_summary
    const std::string group_name = by_names.empty() ? "group" : by_names.front();
    cm.columns = {{group_name, group_name == "county" ? "县（区）" : group_name,
                   group_name == "county" ? "County" : group_name, -1},
                  {"from_category", "现类别", "From", 0},
                  {"from_name", "现类别名称", "From (name)", -1},
                  {"to_category", "建议类别", "To", 0},
                  {"to_name", "建议类别名称", "To (name)", -1},
                  {"parcels", "图斑数", "Parcels", 0},
                  {"area_m2", "面积（平方米）", "Area (m²)", 2},
                  {"area_mu", "面积（亩）", "Area (mu)", 2},
                  {"area_ha", "面积（公顷）", "Area (ha)", 4}};
    struct Cell {
        long long n = 0;
        double m2 = 0;
    };
    std::map<std::string, std::map<std::pair<int, int>, Cell>> matrix;
    for (std::size_t i = 0; i < np; ++i) {
        const std::string g = groups[i].empty() ? all_label : groups[i].front();
        const std::pair<int, int> key{parcels[i].current, parcels[i].proposed};
        for (const std::string& gg : {g, std::string("\xff") + all_label}) {
            auto& c = matrix[gg][key];
            ++c.n;
            c.m2 += parcels[i].area_m2;
            if (groups[i].empty()) break;
        }
    }
    for (auto& [g, cells] : matrix) {
        const std::string label = g[0] == '\xff' ? all_label : g;
        std::set<int> froms = {1, 2, 3}, tos = {1, 2, 3};
        for (const auto& [k, c] : cells) {
            froms.insert(k.first);
            tos.insert(k.second);
        }
        for (int f : froms)
            for (int t : tos) {
                if ((f == 0 || t == 0) && !cells.count({f, t})) continue;
                const Cell c = cells.count({f, t}) ? cells.at({f, t}) : Cell{};
                cm.add_row({label, static_cast<std::int64_t>(f), category_name(f, opt.lang),
                            static_cast<std::int64_t>(t), category_name(t, opt.lang),
                            static_cast<std::int64_t>(c.n), c.m2, m2_to_mu(c.m2), m2_to_ha(c.m2)});
            }
    }

    // Safe-utilisation rate (受污染耕地安全利用率).
    if (f_measures >= 0) {
        io::Table& su = res.safe_utilisation;
        su.name = "safe_utilisation";
        su.title_zh = "受污染耕地安全利用率";
        su.title_en = "Safe-utilisation rate of polluted farmland";
        su.columns = {
            {group_name, group_name == "county" ? "县（区）" : group_name,
             group_name == "county" ? "County" : group_name, -1},
            {"class2_mu", "安全利用类面积（亩）", "Class 2 (mu)", 2},
            {"class2_measures_mu", "安全利用类已落实措施（亩）", "Class 2 with measures (mu)", 2},
            {"class3_mu", "严格管控类面积（亩）", "Class 3 (mu)", 2},
            {"class3_measures_mu", "严格管控类已落实措施（亩）", "Class 3 with measures (mu)", 2},
            {"polluted_mu", "受污染耕地面积（亩）", "Polluted farmland (mu)", 2},
            {"safe_mu", "安全利用面积（亩）", "Safely used (mu)", 2},
            {"polluted_ha", "受污染耕地面积（公顷）", "Polluted farmland (ha)", 4},
            {"safe_ha", "安全利用面积（公顷）", "Safely used (ha)", 4},
            {"rate_percent", "安全利用率（%）", "Rate (%)", 2},
            {"target_percent", "目标（%）", "Target (%)", 2},
            {"meets_target", "是否达标", "Meets target", -1},
            {"basis", "类别依据", "Categories", -1}};
        struct Acc {
            double c2 = 0, c2m = 0, c3 = 0, c3m = 0;
        };
        std::map<std::string, Acc> acc;
        for (std::size_t i = 0; i < np; ++i) {
            const int cat = opt.sur_on_proposed ? parcels[i].proposed : parcels[i].current;
            if (cat != 2 && cat != 3) continue;
            const bool done = parcels[i].measures.value_or(false);
            const std::string g = groups[i].empty() ? all_label : groups[i].front();
            for (const std::string& gg : {g, std::string("\xff") + all_label}) {
                Acc& a = acc[gg];
                (cat == 2 ? a.c2 : a.c3) += parcels[i].area_m2;
                if (done) (cat == 2 ? a.c2m : a.c3m) += parcels[i].area_m2;
                if (groups[i].empty()) break;
            }
        }
        if (!acc.count(std::string("\xff") + all_label)) acc[std::string("\xff") + all_label] = {};
        for (const auto& [g, a] : acc) {
            const double pol = a.c2 + a.c3, safe = a.c2m + a.c3m;
            const std::optional<double> rate =
                pol > 0 ? std::optional<double>(100.0 * safe / pol) : std::nullopt;
            su.add_row(
                {g[0] == '\xff' ? all_label : g, m2_to_mu(a.c2), m2_to_mu(a.c2m), m2_to_mu(a.c3),
                 m2_to_mu(a.c3m), m2_to_mu(pol), m2_to_mu(safe), m2_to_ha(pol), m2_to_ha(safe),
                 rate ? io::Value(*rate) : io::Value(), 100.0 * opt.sur_target,
                 rate
                     ? io::Value(std::string(*rate >= 100.0 * opt.sur_target - 1e-9 ? "yes" : "no"))
                     : io::Value(),
                 std::string(opt.sur_on_proposed ? "proposed" : "current")});
        }
    } else {
        log_warning(farm.where() + ": no measures field; the safe-utilisation rate is not "
                                   "computed (map it with --farmland-field measures=NAME)");
    }

    res.parcel_results = std::move(parcels);
    res.about = {
        {"tool", std::string("soilrisk ") + SOILRISK_VERSION + " classify"},
        {"soil_standard", std_soil.id + " (" + std_soil.source + ")"},
        {"soil_standard_file", std_soil.file},
        {"soil_standard_version", std_soil.version},
        {"food_standard", in.food ? "GB 2762-" + in.food->edition + " (" + in.food->source +
                                        "; confidence " + in.food->confidence + ")"
                                  : std::string("(no crop samples)")},
        {"rules", rules.id + " (" + rules.file + "): " + rules.note},
        {"method", method_params},
        {"combine", opt.combine == ClassifyOptions::Combine::worst ? "worst" : "mean"},
        {"below_detection", "substituted by " + opt.nd.describe()},
        {"default_ph", opt.default_ph ? fmt(*opt.default_ph, 2) : "none"},
        {"default_landuse", opt.default_landuse.empty() ? "none" : opt.default_landuse},
        {"crs", farm.crs.label()},
        {"area", opt.area_mode == AreaMode::ellipsoidal
                     ? "ellipsoidal (geodesic, Karney 2013); 1 mu = 10000/15 m2"
                     : "planar; 1 mu = 10000/15 m2"},
        {"safe_utilisation",
         "rate = area with measures in place / (class 2 + class 3 area), " +
             std::string(opt.sur_on_proposed ? "proposed" : "current") + " categories, target " +
             fmt(100 * opt.sur_target, 1) +
             " % (formula as commonly used; the national accounting method may weight "
             "by product compliance)"},
        {"judgement", "C <= S class 1; S < C <= G class 2; C > G class 3 (GB 15618-2018; MEE Q&A); "
                      "pH bands inclusive upper edges"}};
    progress(1.0, "classify");
    return res;
}

} // namespace soilrisk::analysis
