#include "soilrisk/analysis/sites.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <geos_c.h>
#include <map>
#include <numbers>
#include <set>
#include <sstream>
#include <toml++/toml.h>

#include "soilrisk/analysis/standards.hpp"
#include "soilrisk/core/error.hpp"
#include "soilrisk/core/log.hpp"
#include "soilrisk/core/units.hpp"
#include "soilrisk/spatial/index.hpp"
#include "soilrisk/spatial/overlay.hpp"

namespace soilrisk::analysis {

namespace {

using geos::Geom;

std::string trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
        s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
        s.remove_suffix(1);
    return std::string(s);
}

std::string lower(std::string s) {
    for (char& c : s)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

bool starts_with(std::string_view s, std::string_view p) {
    return s.substr(0, p.size()) == p;
}

/// Field serving `role`, else the first of `fallbacks` that exists, else -1.
int field_for(const io::Layer& l, const char* role, std::initializer_list<const char*> fallbacks) {
    int i = l.role_index(role, false);
    if (i >= 0) return i;
    for (const char* f : fallbacks)
        if ((i = l.field_index(f)) >= 0) return i;
    return -1;
}

std::string text_at(const io::Feature& f, int field) {
    return field >= 0 ? trim(io::Layer::text(f.values[field])) : std::string();
}

std::shared_ptr<Geom> share(geos::GeomPtr g) {
    return std::shared_ptr<Geom>(g.release(), geos::GeomDeleter{});
}

geos::GeomPtr centroid(const Geom* g) {
    return geos::check(GEOSGetCentroid_r(geos::ctx(), g), "centroid");
}

void xy(const Geom* point, double& x, double& y) {
    GEOSGeomGetX_r(geos::ctx(), point, &x);
    GEOSGeomGetY_r(geos::ctx(), point, &y);
}

void check_layer(const io::Layer& l, const io::Layer& ref, bool polygons) {
    if (polygons && l.kind != io::GeometryKind::polygon)
        throw DataError(l.where() + ": " + l.role + " must be polygons, the layer has " +
                        io::to_string(l.kind) + " geometries; check --" + l.role + "-layer");
    if (l.crs.empty() || !l.crs.is_projected())
        throw DataError(l.where() + ": distances need a metric (projected) CRS, got " +
                        (l.crs.empty() ? std::string("none") : l.crs.label()) +
                        "; read the layers in a working CRS (e.g. --crs EPSG:4545)");
    if (&l != &ref && !l.crs.same_as(ref.crs))
        throw DataError(l.where() + ": CRS " + l.crs.label() + " differs from the sites' " +
                        ref.crs.label() + "; read all layers in one working CRS");
}

io::Column col(std::string name, std::string zh, std::string en, int decimals = -1) {
    return io::Column{std::move(name), std::move(zh), std::move(en), decimals};
}

const char* register_zh(Register r) {
    switch (r) {
    case Register::priority:
        return "优先监管地块清单";
    case Register::remediation:
        return "风险管控和修复名录";
    case Register::remediated:
        return "已修复";
    case Register::none:
        break;
    }
    return "无";
}

io::Value opt_number(double v, bool present) {
    return present ? io::Value(v) : io::Value();
}

} // namespace

// --- Code table ----------------------------------------------------------------------

std::string normalize_use_code(std::string_view code) {
    std::string s;
    for (char c : trim(code))
        if (c != '.') s += c;
    const bool digits =
        !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (digits && s.size() % 2 == 1) s = "0" + s;
    return s;
}

const SensitiveCode* LanduseCodeTable::match(std::string_view code) const {
    const std::string c = normalize_use_code(code);
    const SensitiveCode* best = nullptr;
    for (const auto& s : codes)
        if (starts_with(c, s.code) && (!best || s.code.size() > best->code.size())) best = &s;
    return best;
}

LanduseCodeTable parse_landuse_table(const std::string& text, const std::string& file) {
    toml::table root;
    try {
        root = toml::parse(text, file);
    } catch (const toml::parse_error& e) {
        throw DataError(file + ":" + std::to_string(e.source().begin.line) + ": " +
                        std::string(e.description()));
    }
    auto at = [&](const toml::node& n) {
        return file + ":" + std::to_string(n.source().begin.line);
    };
    LanduseCodeTable t;
    t.file = file;
    for (const auto& [k, v] : root)
        if (k.str() != "table" && k.str() != "sensitive")
            throw DataError(at(v) + ": unknown key '" + std::string(k.str()) +
                            "'; allowed: table, sensitive");
    if (const auto* head = root["table"].as_table()) {
        t.name = head->get("name") ? head->get("name")->value_or(std::string()) : "";
        t.source = head->get("source") ? head->get("source")->value_or(std::string()) : "";
    }
    const auto* list = root["sensitive"].as_array();
    if (!list || list->empty())
        throw DataError(file + ": no [[sensitive]] entries; list the sensitive use codes");
    for (const auto& node : *list) {
        const auto* e = node.as_table();
        if (!e) throw DataError(at(node) + ": [[sensitive]] entries must be tables");
        for (const auto& [k, v] : *e)
            if (k.str() != "code" && k.str() != "name" && k.str() != "group")
                throw DataError(at(v) + ": unknown key '" + std::string(k.str()) +
                                "' in [[sensitive]]; allowed: code, name, group");
        SensitiveCode c;
        const toml::node* code = e->get("code");
        if (!code || !(code->is_string() || code->is_integer()))
            throw DataError(at(node) +
                            ": [[sensitive]] entry without a code (a string, e.g. \"07\")");
        c.code = normalize_use_code(code->is_string() ? code->value_or(std::string())
                                                      : std::to_string(code->value_or(0LL)));
        if (c.code.empty()) throw DataError(at(*code) + ": empty code");
        c.name = e->get("name") ? e->get("name")->value_or(std::string()) : "";
        c.group = e->get("group") ? e->get("group")->value_or(std::string()) : "";
        if (c.group != "residential" && c.group != "public_service")
            throw DataError(at(node) + ": group of code " + c.code + " is '" + c.group +
                            "'; use residential or public_service");
        t.codes.push_back(std::move(c));
    }
    return t;
}

LanduseCodeTable load_landuse_table(const std::filesystem::path& path) {
    const std::filesystem::path p =
        path.empty() ? standards_dir() / "landuse-sensitive.toml" : path;
    std::ifstream in(p, std::ios::binary);
    if (!in) throw IoError(p.string() + ": cannot read the land-use code table; check the path");
    std::ostringstream ss;
    ss << in.rdbuf();
    return parse_landuse_table(ss.str(), p.string());
}

// --- Site attributes -----------------------------------------------------------------

std::optional<Register> parse_register(std::string_view text) {
    const std::string t = lower(trim(text));
    if (t == "priority" || t == "priority_list" || t == "优先监管" || t == "优先监管地块" ||
        t == "优先监管地块清单" || t == "清单")
        return Register::priority;
    if (t == "remediation" || t == "register" || t == "risk_control_register" || t == "名录" ||
        t == "修复名录" || t == "风险管控和修复名录" || t == "风险管控与修复名录")
        return Register::remediation;
    if (t == "remediated" || t == "removed" || t == "已修复" || t == "移出名录" || t == "已移出")
        return Register::remediated;
    if (t.empty() || t == "none" || t == "no" || t == "无" || t == "否" || t == "-")
        return Register::none;
    return std::nullopt;
}

std::optional<bool> parse_yes_no(std::string_view text) {
    const std::string t = lower(trim(text));
    if (t.empty() || t == "no" || t == "n" || t == "false" || t == "0" || t == "否" || t == "无" ||
        starts_with(t, "未"))
        return false;
    if (t == "yes" || t == "y" || t == "true" || t == "1" || t == "是" || t == "有" ||
        starts_with(t, "已"))
        return true;
    if (t[0] >= '1' && t[0] <= '9') return true; // a date: 2021-05-10, 20210510, 2021
    return std::nullopt;
}

const char* to_string(Register r) {
    switch (r) {
    case Register::priority:
        return "priority";
    case Register::remediation:
        return "remediation";
    case Register::remediated:
        return "remediated";
    case Register::none:
        break;
    }
    return "none";
}

const char* to_string(Severity s) {
    switch (s) {
    case Severity::prohibited:
        return "prohibited";
    case Severity::survey_required:
        return "survey_required";
    case Severity::none:
        break;
    }
    return "none";
}

const char* label_zh(Severity s) {
    switch (s) {
    case Severity::prohibited:
        return "禁止（修复前不得用于一住两公）";
    case Severity::survey_required:
        return "须先调查";
    case Severity::none:
        break;
    }
    return "无";
}

std::string compass(double bearing_deg, int points, bool zh) {
    static const char* en16[] = {"N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE",
                                 "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW"};
    static const char* zh16[] = {"北",   "北东北", "东北", "东东北", "东",   "东东南",
                                 "东南", "南东南", "南",   "南西南", "西南", "西西南",
                                 "西",   "西西北", "西北", "北西北"};
    if (points != 8 && points != 16)
        throw UsageError("compass points must be 8 or 16, got " + std::to_string(points));
    double b = std::fmod(bearing_deg, 360.0);
    if (b < 0) b += 360.0;
    const double step = 360.0 / points;
    const int i = static_cast<int>(std::floor((b + step / 2) / step)) % points;
    const int j = i * (16 / points);
    return zh ? zh16[j] : en16[j];
}

// --- Analysis ------------------------------------------------------------------------

SitesResult sites_analysis(const io::Layer& sites, const io::Layer& plan,
                           const io::Layer* receptors, const LanduseCodeTable& table,
                           const SitesOptions& options) {
    const auto ctx = geos::ctx();
    check_layer(sites, sites, true);
    check_layer(plan, sites, true);
    if (receptors) check_layer(*receptors, sites, false);
    for (std::size_t i = 0; i < options.receptor_distances.size(); ++i) {
        const double d = options.receptor_distances[i];
        if (!std::isfinite(d) || d <= 0 || (i > 0 && !(d > options.receptor_distances[i - 1])))
            throw UsageError("--receptor-distances: distances must be positive and increase, "
                             "e.g. 500m,1km");
    }
    if (options.compass_points != 8 && options.compass_points != 16)
        throw UsageError("--compass must be 8 or 16, got " +
                         std::to_string(options.compass_points));
    if (!(options.target >= 0 && options.target <= 1))
        throw UsageError("--target must be a percentage between 0 and 100");

    SitesResult res;
    res.distances = receptors ? options.receptor_distances : std::vector<double>{};
    const AreaCalculator area(sites.crs, options.area);

    const int f_id = field_for(sites, "id", {"plot_id", "site_id", "dkbm"});
    const int f_name = field_for(sites, "name", {"plot_name", "site_name", "dkmc"});
    const int f_ent = field_for(sites, "enterprise", {"company", "qymc"});
    const int f_reg = sites.role_index("register", true);
    const int f_survey = field_for(sites, "survey", {"surveyed", "survey_date"});
    const int f_rc = field_for(sites, "risk_control", {"controlled"});
    const int f_county = field_for(sites, "county", {"district", "xzqmc"});
    if (f_survey < 0)
        log_warning(sites.where() + ": no survey field; every site is taken as not surveyed");
    if (f_rc < 0)
        log_warning(sites.where() + ": no risk_control field; no site is taken as controlled");

    const int p_code = [&] {
        const int i = field_for(plan, "use_code", {"ydyhdm", "dlbm", "code"});
        return i >= 0 ? i : plan.role_index("use_code", true);
    }();
    const int p_name = field_for(plan, "use_name", {"ydyhmc", "dlmc"});

    auto field_name = [](const io::Layer& l, int f) { return l.fields[f].name; };

    for (std::size_t i = 0; i < sites.features.size(); ++i) {
        const io::Feature& f = sites.features[i];
        Site s;
        s.feature = i;
        s.id = text_at(f, f_id);
        if (s.id.empty()) s.id = std::to_string(f.fid);
        s.name = text_at(f, f_name);
        s.enterprise = text_at(f, f_ent);
        s.county = text_at(f, f_county);
        const std::string reg = text_at(f, f_reg);
        const auto r = parse_register(reg);
        if (!r)
            throw DataError(sites.where(f.fid) + ", field " + field_name(sites, f_reg) +
                            ": register '" + reg +
                            "' is not priority, remediation, remediated or none");
        s.register_status = *r;
        for (auto [field, out] :
             {std::pair{f_survey, &s.survey}, std::pair{f_rc, &s.risk_control}}) {
            if (field < 0) continue;
            const std::string v = text_at(f, field);
            const auto b = parse_yes_no(v);
            if (!b)
                throw DataError(sites.where(f.fid) + ", field " + field_name(sites, field) + ": '" +
                                v + "' is not yes, no or a date");
            *out = *b;
        }
        s.area_m2 = area.area_m2(f.geom.get());
        res.sites.push_back(std::move(s));
    }

    // Planned uses per site.
    std::vector<const Geom*> plan_geoms;
    for (const auto& f : plan.features)
        plan_geoms.push_back(f.geom.get());
    const spatial::EnvelopeIndex plan_index = spatial::EnvelopeIndex::of(plan_geoms);
    for (std::uint32_t si = 0; si < res.sites.size(); ++si) {
        Site& s = res.sites[si];
        const Geom* g = sites.features[s.feature].geom.get();
        geos::PreparedPtr prep(GEOSPrepare_r(ctx, g));
        std::map<std::string, std::pair<std::string, std::vector<geos::GeomPtr>>> by_code;
        for (std::uint32_t pi : plan_index.query(spatial::envelope(g))) {
            if (GEOSPreparedIntersects_r(ctx, prep.get(), plan_geoms[pi]) != 1) continue;
            geos::GeomPtr piece = spatial::polygonal(spatial::intersection(g, plan_geoms[pi]));
            if (!piece) continue;
            const io::Feature& pf = plan.features[pi];
            const std::string code = text_at(pf, p_code);
            auto& entry = by_code[normalize_use_code(code)];
            if (entry.first.empty()) entry.first = text_at(pf, p_name);
            entry.second.push_back(std::move(piece));
        }
        std::vector<const Geom*> sensitive;
        for (auto& [code, entry] : by_code) {
            SiteUse u;
            u.site = si;
            u.code = code;
            u.sensitive = table.match(code);
            u.name = !entry.first.empty() ? entry.first : u.sensitive ? u.sensitive->name : "";
            std::vector<const Geom*> parts;
            for (const auto& p : entry.second)
                parts.push_back(p.get());
            u.geom = share(parts.size() == 1 ? geos::clone(parts[0]) : spatial::union_all(parts));
            u.area_m2 = area.area_m2(u.geom.get());
            u.share = s.area_m2 > 0 ? u.area_m2 / s.area_m2 : 0;
            if (u.sensitive) {
                sensitive.push_back(u.geom.get());
                s.sensitive_uses += (s.sensitive_uses.empty() ? "" : ",") + code;
            }
            res.uses.push_back(std::move(u));
        }
        if (!sensitive.empty()) {
            s.sensitive_geom = share(sensitive.size() == 1 ? geos::clone(sensitive[0])
                                                           : spatial::union_all(sensitive));
            s.sensitive_m2 = area.area_m2(s.sensitive_geom.get());
        }
        // Severity.
        const bool listed =
            s.register_status == Register::priority || s.register_status == Register::remediation;
        const std::string uses = s.sensitive_uses;
        if (s.register_status == Register::remediated) {
            s.reason = "已修复";
        } else if (s.sensitive_m2 <= 0) {
            s.reason = "规划用途不涉及一住两公";
        } else if (listed) {
            s.severity = Severity::prohibited;
            s.reason = std::string("列入") + register_zh(s.register_status) +
                       "，规划用途含一住两公（" + uses +
                       "）：修复前不得用于住宅、公共管理与公共服务用地";
        } else if (!s.survey) {
            s.severity = Severity::survey_required;
            s.reason =
                "未开展土壤污染状况调查，规划用途含一住两公（" + uses + "）：变更用途前须完成调查";
        } else {
            s.reason = "已调查，未列入清单或名录";
        }
    }

    // Receptors.
    if (receptors && !res.distances.empty()) {
        const double reach = res.distances.back();
        std::vector<const Geom*> rgeoms;
        for (const auto& f : receptors->features)
            rgeoms.push_back(f.geom.get());
        const spatial::EnvelopeIndex rindex = spatial::EnvelopeIndex::of(rgeoms);
        const int r_name = field_for(*receptors, "name", {"receptor", "mc"});
        const int r_kind = field_for(*receptors, "kind", {"type", "category", "lx"});
        for (std::uint32_t si = 0; si < res.sites.size(); ++si) {
            Site& s = res.sites[si];
            s.receptor_counts.assign(res.distances.size(), 0);
            const Geom* g = sites.features[s.feature].geom.get();
            Extent e = spatial::envelope(g);
            e = {e.min_x - reach, e.min_y - reach, e.max_x + reach, e.max_y + reach};
            double cx = 0, cy = 0;
            xy(centroid(g).get(), cx, cy);
            std::vector<SiteReceptor> found;
            for (std::uint32_t ri : rindex.query(e)) {
                double d = 0;
                if (GEOSDistance_r(ctx, g, rgeoms[ri], &d) != 1)
                    throw Error("GEOS distance failed: " + std::string(geos::last_error()));
                if (d > reach) continue;
                SiteReceptor sr;
                sr.site = si;
                sr.receptor = ri;
                sr.name = text_at(receptors->features[ri], r_name);
                sr.kind = text_at(receptors->features[ri], r_kind);
                sr.distance_m = d;
                GEOSCoordSequence* cs = GEOSNearestPoints_r(ctx, g, rgeoms[ri]);
                if (!cs)
                    throw Error("GEOS nearest points failed: " + std::string(geos::last_error()));
                GEOSCoordSeq_getXY_r(ctx, cs, 0, &sr.x0, &sr.y0);
                GEOSCoordSeq_getXY_r(ctx, cs, 1, &sr.x1, &sr.y1);
                GEOSCoordSeq_destroy_r(ctx, cs);
                const double dx = sr.x1 - cx, dy = sr.y1 - cy;
                double b = std::atan2(dx, dy) * 180.0 / std::numbers::pi;
                if (b < 0) b += 360.0;
                sr.bearing_deg = (dx == 0 && dy == 0) ? 0 : b;
                sr.direction = (dx == 0 && dy == 0) ? "" : compass(b, options.compass_points);
                for (std::size_t k = 0; k < res.distances.size(); ++k)
                    if (d <= res.distances[k]) {
                        if (sr.within_m == 0) sr.within_m = res.distances[k];
                        ++s.receptor_counts[k];
                    }
                found.push_back(std::move(sr));
            }
            std::stable_sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
                return a.distance_m < b.distance_m;
            });
            if (!found.empty()) {
                s.nearest_receptor_m = found[0].distance_m;
                s.nearest_receptor = found[0].name;
            }
            for (auto& f : found)
                res.receptors.push_back(std::move(f));
        }
    }

    // Ranking.
    for (std::uint32_t i = 0; i < res.sites.size(); ++i)
        res.ranking.push_back(i);
    std::stable_sort(res.ranking.begin(), res.ranking.end(), [&](std::uint32_t a, std::uint32_t b) {
        const Site &x = res.sites[a], &y = res.sites[b];
        if (x.severity != y.severity) return x.severity > y.severity;
        return x.sensitive_m2 > y.sensitive_m2;
    });
    for (std::uint32_t r = 0; r < res.ranking.size(); ++r)
        res.sites[res.ranking[r]].rank = r + 1;
    return res;
}

// --- Tables --------------------------------------------------------------------------

namespace {

std::string metres(double d) {
    return io::Layer::text(io::Value(d));
}

io::Table site_rows(const SitesResult& r, bool conflicts_only) {
    io::Table t;
    t.name = conflicts_only ? "site_conflicts" : "sites";
    t.title_zh = conflicts_only ? "建设用地地块用途变更冲突（一住两公）" : "建设用地地块";
    t.title_en = conflicts_only ? "Use-change conflicts of construction-land plots"
                                : "Construction-land plots";
    t.columns = {col("rank", "排序", "Rank"),
                 col("site_id", "地块编号", "Plot ID"),
                 col("site_name", "地块名称", "Plot name"),
                 col("enterprise", "企业", "Enterprise"),
                 col("county", "县区", "County"),
                 col("register", "清单/名录", "Register"),
                 col("survey", "已调查", "Surveyed"),
                 col("risk_control", "已风险管控", "Under risk control"),
                 col("area_m2", "面积（平方米）", "Area (m²)", 1),
                 col("area_mu", "面积（亩）", "Area (mu)", 2),
                 col("area_ha", "面积（公顷）", "Area (ha)", 4),
                 col("sensitive_uses", "一住两公规划用途", "Sensitive planned uses"),
                 col("sensitive_area_m2", "一住两公面积（平方米）", "Sensitive area (m²)", 1),
                 col("sensitive_area_mu", "一住两公面积（亩）", "Sensitive area (mu)", 2),
                 col("sensitive_share", "一住两公占比", "Sensitive share", 4),
                 col("severity", "冲突等级", "Severity"),
                 col("severity_zh", "冲突说明", "Severity (zh)"),
                 col("reason", "原因", "Reason")};
    for (double d : r.distances)
        t.columns.push_back(col("receptors_" + metres(d) + "m", metres(d) + "米内敏感目标数",
                                "Receptors within " + metres(d) + " m"));
    if (!r.distances.empty()) {
        t.columns.push_back(col("nearest_receptor", "最近敏感目标", "Nearest receptor"));
        t.columns.push_back(col("nearest_receptor_m", "最近距离（米）", "Nearest distance (m)", 1));
    }
    for (std::uint32_t i : r.ranking) {
        const Site& s = r.sites[i];
        if (conflicts_only && s.severity == Severity::none) continue;
        std::vector<io::Value> row = {std::int64_t(s.rank),
                                      s.id,
                                      s.name,
                                      s.enterprise,
                                      s.county,
                                      std::string(to_string(s.register_status)),
                                      std::string(s.survey ? "yes" : "no"),
                                      std::string(s.risk_control ? "yes" : "no"),
                                      s.area_m2,
                                      m2_to_mu(s.area_m2),
                                      m2_to_ha(s.area_m2),
                                      s.sensitive_uses,
                                      s.sensitive_m2,
                                      m2_to_mu(s.sensitive_m2),
                                      s.area_m2 > 0 ? s.sensitive_m2 / s.area_m2 : 0.0,
                                      std::string(to_string(s.severity)),
                                      std::string(label_zh(s.severity)),
                                      s.reason};
        for (std::size_t k = 0; k < r.distances.size(); ++k)
            row.push_back(k < s.receptor_counts.size() ? s.receptor_counts[k] : std::int64_t(0));
        if (!r.distances.empty()) {
            row.push_back(s.nearest_receptor);
            row.push_back(opt_number(s.nearest_receptor_m, s.nearest_receptor_m >= 0));
        }
        t.add_row(std::move(row));
    }
    return t;
}

} // namespace

io::Table sites_table(const SitesResult& r) {
    return site_rows(r, false);
}

io::Table conflicts_table(const SitesResult& r) {
    return site_rows(r, true);
}

io::Table uses_table(const SitesResult& r) {
    io::Table t;
    t.name = "site_uses";
    t.title_zh = "地块规划用途";
    t.title_en = "Planned uses of the plots";
    t.columns = {col("site_id", "地块编号", "Plot ID"),
                 col("site_name", "地块名称", "Plot name"),
                 col("use_code", "规划用途代码", "Use code"),
                 col("use_name", "规划用途", "Planned use"),
                 col("sensitive", "一住两公", "Sensitive"),
                 col("sensitive_group", "敏感类别", "Sensitive group"),
                 col("area_m2", "面积（平方米）", "Area (m²)", 1),
                 col("area_mu", "面积（亩）", "Area (mu)", 2),
                 col("area_ha", "面积（公顷）", "Area (ha)", 4),
                 col("share", "占地块比例", "Share of plot", 4)};
    for (const auto& u : r.uses) {
        const Site& s = r.sites[u.site];
        t.add_row({s.id, s.name, u.code, u.name, std::int64_t(u.sensitive ? 1 : 0),
                   u.sensitive ? io::Value(u.sensitive->group) : io::Value(), u.area_m2,
                   m2_to_mu(u.area_m2), m2_to_ha(u.area_m2), u.share});
    }
    return t;
}

io::Table receptors_table(const SitesResult& r, int compass_points) {
    io::Table t;
    t.name = "site_receptors";
    t.title_zh = "地块周边敏感目标";
    t.title_en = "Sensitive receptors near the plots";
    t.columns = {col("site_id", "地块编号", "Plot ID"),
                 col("site_name", "地块名称", "Plot name"),
                 col("receptor", "敏感目标", "Receptor"),
                 col("kind", "类型", "Kind"),
                 col("distance_m", "距离（米）", "Distance (m)", 1),
                 col("within_m", "距离范围（米）", "Within (m)"),
                 col("bearing_deg", "方位角（度）", "Bearing (°)", 1),
                 col("direction", "方位", "Direction"),
                 col("direction_zh", "方位（中文）", "Direction (zh)")};
    for (const auto& x : r.receptors) {
        const Site& s = r.sites[x.site];
        const bool dir = !x.direction.empty();
        t.add_row({s.id, s.name, x.name, x.kind, x.distance_m, x.within_m, x.bearing_deg,
                   x.direction,
                   dir ? io::Value(compass(x.bearing_deg, compass_points, true)) : io::Value()});
    }
    return t;
}

io::Table progress_table(const SitesResult& r, double target) {
    io::Table t;
    t.name = "site_progress";
    t.title_zh = "风险管控进度（优先监管地块清单、风险管控和修复名录）";
    t.title_en = "Risk-control progress (priority list, remediation register)";
    t.columns = {col("list", "清单", "List"),
                 col("county", "县区", "County"),
                 col("plots", "地块数", "Plots"),
                 col("controlled", "已风险管控", "Under risk control"),
                 col("rate", "管控比例", "Rate", 4),
                 col("target", "目标", "Target", 4),
                 col("gap", "尚需管控地块数", "Plots still needed"),
                 col("meets", "达标", "Meets target")};
    for (Register list : {Register::priority, Register::remediation}) {
        std::map<std::string, std::pair<std::int64_t, std::int64_t>> by_county;
        std::pair<std::int64_t, std::int64_t> city{0, 0};
        for (const Site& s : r.sites) {
            if (s.register_status != list) continue;
            auto& c = by_county[s.county];
            ++c.first;
            ++city.first;
            if (s.risk_control) {
                ++c.second;
                ++city.second;
            }
        }
        auto row = [&](const std::string& county, std::pair<std::int64_t, std::int64_t> n) {
            const bool any = n.first > 0;
            const double rate = any ? double(n.second) / double(n.first) : 0;
            const auto need = static_cast<std::int64_t>(std::ceil(target * double(n.first) - 1e-9));
            t.add_row(
                {std::string(to_string(list)), county, n.first, n.second,
                 any ? io::Value(rate) : io::Value(), target,
                 std::max<std::int64_t>(0, need - n.second),
                 any ? io::Value(std::int64_t(rate + 1e-12 >= target ? 1 : 0)) : io::Value()});
        };
        for (const auto& [county, n] : by_county)
            row(county, n);
        row("all", city);
    }
    return t;
}

io::Table uncontrolled_table(const SitesResult& r) {
    io::Table t;
    t.name = "site_uncontrolled";
    t.title_zh = "尚未实施风险管控的地块（按面积从大到小）";
    t.title_en = "Plots still without risk control (largest first)";
    t.columns = {col("list", "清单", "List"),
                 col("site_id", "地块编号", "Plot ID"),
                 col("site_name", "地块名称", "Plot name"),
                 col("enterprise", "企业", "Enterprise"),
                 col("county", "县区", "County"),
                 col("area_m2", "面积（平方米）", "Area (m²)", 1),
                 col("area_mu", "面积（亩）", "Area (mu)", 2),
                 col("severity", "冲突等级", "Severity")};
    for (Register list : {Register::priority, Register::remediation}) {
        std::vector<const Site*> v;
        for (const Site& s : r.sites)
            if (s.register_status == list && !s.risk_control) v.push_back(&s);
        std::stable_sort(v.begin(), v.end(),
                         [](const Site* a, const Site* b) { return a->area_m2 > b->area_m2; });
        for (const Site* s : v)
            t.add_row({std::string(to_string(list)), s->id, s->name, s->enterprise, s->county,
                       s->area_m2, m2_to_mu(s->area_m2), std::string(to_string(s->severity))});
    }
    return t;
}

void log_sites_summary(const SitesResult& r, double target, std::size_t top) {
    std::size_t shown = 0;
    for (std::uint32_t i : r.ranking) {
        const Site& s = r.sites[i];
        if (s.severity == Severity::none || shown++ >= top) continue;
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.2f", m2_to_mu(s.sensitive_m2));
        log_info("#" + std::to_string(s.rank) + " " + s.id + " " + s.name + ": " +
                 (s.severity == Severity::prohibited
                      ? "prohibited (no residential or public-service use before remediation)"
                      : "survey required before the change of use") +
                 ", residential/public-service (一住两公) " + buf + " mu (" + s.sensitive_uses +
                 ")");
    }
    const io::Table p = progress_table(r, target);
    for (const auto& row : p.rows) {
        if (io::Layer::text(row[1]) != "all") continue;
        const auto rate = io::Layer::number(row[4]);
        char buf[160];
        std::snprintf(buf, sizeof buf,
                      "%s: %s of %s plots under risk control (%.1f %%, target %.0f %%)",
                      io::Layer::text(row[0]).c_str(), io::Layer::text(row[3]).c_str(),
                      io::Layer::text(row[2]).c_str(), rate ? 100 * *rate : 0.0, 100 * target);
        log_info(buf);
    }
}

} // namespace soilrisk::analysis
