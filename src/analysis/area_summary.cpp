#include "soilrisk/analysis/area_summary.hpp"

#include <map>
#include <tbb/parallel_for.h>

#include "analysis/polygon_check.hpp"
#include "soilrisk/analysis/categories.hpp"
#include "soilrisk/core/error.hpp"
#include "soilrisk/core/units.hpp"

namespace soilrisk::analysis {

namespace {

/// Sort key: numbers before text, numbers numerically.
struct Key {
    std::vector<io::Value> values;
    bool operator<(const Key& o) const {
        for (std::size_t i = 0; i < values.size(); ++i) {
            const auto a = io::Layer::number(values[i]);
            const auto b = io::Layer::number(o.values[i]);
            if (a && b) {
                if (*a != *b) return *a < *b;
                continue;
            }
            if (a != b) return a.has_value(); // numbers first
            const std::string sa = io::Layer::text(values[i]), sb = io::Layer::text(o.values[i]);
            if (sa != sb) return sa < sb;
        }
        return false;
    }
};

struct Sum {
    long long parcels = 0;
    double m2 = 0;
};

} // namespace

io::Table area_summary(const io::Layer& layer, const AreaSummaryOptions& options,
                       Progress progress) {
    if (layer.kind != io::GeometryKind::polygon)
        throw DataError(layer.where() + ": an area summary needs polygons, the layer has " +
                        io::to_string(layer.kind) + " geometries" +
                        detail::first_non_polygon(layer));
    std::vector<int> idx;
    for (const auto& role : options.by)
        idx.push_back(layer.role_index(role, true));
    const int cat_pos = [&] {
        for (std::size_t i = 0; i < options.by.size(); ++i)
            if (options.by[i] == "category") return static_cast<int>(i);
        return -1;
    }();

    // Areas in parallel; grouping serially in feature order (deterministic sums).
    AreaCalculator calc(layer.crs, options.mode);
    std::vector<double> areas(layer.features.size());
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, areas.size(), 256), [&](const auto& r) {
        for (std::size_t i = r.begin(); i != r.end(); ++i)
            areas[i] = calc.area_m2(layer.features[i].geom.get());
    });
    progress(0.8, "areas");

    std::map<Key, Sum> groups;
    for (std::size_t i = 0; i < layer.features.size(); ++i) {
        const auto& f = layer.features[i];
        Key key;
        for (std::size_t k = 0; k < idx.size(); ++k) {
            io::Value v = f.values[idx[k]];
            if (static_cast<int>(k) == cat_pos) {
                auto c = parse_category(v);
                if (!c) throw DataError(category_problem(layer, f, idx[k]));
                v = static_cast<std::int64_t>(*c);
            }
            key.values.push_back(std::move(v));
        }
        auto& s = groups[key];
        ++s.parcels;
        s.m2 += areas[i];
    }

    io::Table t;
    t.name = "area_summary";
    t.title_zh = "耕地面积统计";
    t.title_en = "Farmland area";
    for (std::size_t k = 0; k < options.by.size(); ++k) {
        const std::string& role = options.by[k];
        if (role == "category") {
            t.columns.push_back({"category", "类别代码", "Category", -1});
            t.columns.push_back({"category_name", "类别", "Category name", -1});
        } else if (role == "county") {
            t.columns.push_back({"county", "县（区）", "County", -1});
        } else {
            t.columns.push_back({role, role, role, -1});
        }
    }
    t.columns.push_back({"parcels", "图斑数", "Parcels", 0});
    t.columns.push_back({"area_m2", "面积（平方米）", "Area (m²)", 2});
    t.columns.push_back({"area_mu", "面积（亩）", "Area (mu)", 2});
    t.columns.push_back({"area_ha", "面积（公顷）", "Area (ha)", 4});

    auto emit = [&](const std::vector<io::Value>& keys, const Sum& s) {
        std::vector<io::Value> row;
        for (std::size_t k = 0; k < options.by.size(); ++k) {
            const io::Value& v = k < keys.size() ? keys[k] : io::Value(std::string("all"));
            row.push_back(v);
            if (static_cast<int>(k) == cat_pos) {
                const auto c = parse_category(v);
                row.push_back(c ? category_name(*c, options.lang)
                                : std::string(options.lang == io::Lang::zh ? "合计" : "Total"));
            }
        }
        row.push_back(static_cast<std::int64_t>(s.parcels));
        row.push_back(s.m2);
        row.push_back(m2_to_mu(s.m2));
        row.push_back(m2_to_ha(s.m2));
        t.add_row(std::move(row));
    };

    Sum total;
    auto it = groups.begin();
    while (it != groups.end()) {
        // Rows of one first-level group, then its subtotal (when grouping by 2+ fields).
        const io::Value first = it->first.values.empty() ? io::Value{} : it->first.values[0];
        Sum sub;
        auto jt = it;
        for (;
             jt != groups.end() && (jt->first.values.empty() ||
                                    io::Layer::text(jt->first.values[0]) == io::Layer::text(first));
             ++jt) {
            emit(jt->first.values, jt->second);
            sub.parcels += jt->second.parcels;
            sub.m2 += jt->second.m2;
        }
        if (options.by.size() > 1) emit({first}, sub);
        total.parcels += sub.parcels;
        total.m2 += sub.m2;
        it = jt;
        if (options.by.empty()) break;
    }
    if (!options.by.empty()) emit({}, total);
    progress(1.0, "summary");
    return t;
}

} // namespace soilrisk::analysis
