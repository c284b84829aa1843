// Sample-level parts of the classification: lab values, GB 15618 judgement, IDW.
#include <algorithm>
#include <boost/geometry.hpp>
#include <boost/geometry/index/rtree.hpp>
#include <cctype>
#include <cmath>
#include <geos_c.h>
#include <limits>
#include <map>

#include "soilrisk/analysis/classify.hpp"
#include "soilrisk/core/error.hpp"

namespace bg = boost::geometry;
namespace bgi = boost::geometry::index;

namespace soilrisk::analysis {

namespace {

/// Full-width digits, point, comma and minus (typed with a Chinese input method) as ASCII.
std::string ascii_digits(const std::string& s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
        if (i + 2 < s.size() && b(i) == 0xEF && b(i + 1) == 0xBC) {
            const unsigned c = b(i + 2);
            if (c >= 0x90 && c <= 0x99) { // ０-９
                out += static_cast<char>('0' + (c - 0x90));
                i += 2;
                continue;
            }
            if (c == 0x8E || c == 0x8C || c == 0x8D) { // ． ， －
                out += c == 0x8E ? '.' : c == 0x8C ? ',' : '-';
                i += 2;
                continue;
            }
        }
        out += s[i];
    }
    return out;
}

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t\r\n");
    const auto e = s.find_last_not_of(" \t\r\n");
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

/// Strict number: the whole text, plain decimal notation (optional sign, digits, one
/// '.' or ',' as the decimal separator, optional exponent). Hexadecimal, "inf" and "nan"
/// are not numbers here. "1,200" is ambiguous (decimal comma or thousands separator) and
/// is not read. `comma` is set when a decimal comma was read.
std::optional<double> strict_number(std::string s, bool* comma = nullptr) {
    s = trim(s);
    if (s.empty()) return std::nullopt;
    for (char c : s)
        if (!std::isdigit(static_cast<unsigned char>(c)) && c != '.' && c != ',' && c != '-' &&
            c != '+' && c != 'e' && c != 'E')
            return std::nullopt;
    if (s.find('.') == std::string::npos && std::count(s.begin(), s.end(), ',') == 1) {
        const auto comma_at = s.find(',');
        const std::string whole = s.substr(0, comma_at);
        if (s.size() - comma_at - 1 == 3 && whole != "0" && whole != "-0") return std::nullopt;
        std::replace(s.begin(), s.end(), ',', '.');
        if (comma) *comma = true;
    }
    char* end = nullptr;
    const double d = std::strtod(s.c_str(), &end);
    if (end == s.c_str() || *end != '\0' || !std::isfinite(d)) return std::nullopt;
    return d;
}

/// "1,200": a comma followed by exactly three digits, which may be a thousands separator.
bool ambiguous_comma(const std::string& s) {
    if (s.find('.') != std::string::npos || std::count(s.begin(), s.end(), ',') != 1) return false;
    const auto comma = s.find(',');
    return s.size() - comma - 1 == 3 && strict_number(s.substr(0, comma)) &&
           strict_number(s.substr(comma + 1));
}

bool starts_with(const std::string& s, const std::string& p) {
    return s.rfind(p, 0) == 0;
}

} // namespace

// --- Measurements --------------------------------------------------------------------

Measurement parse_measurement(const io::Value& v, const std::string& where, bool allow_negative) {
    Measurement m;
    std::optional<double> num;
    if (std::holds_alternative<std::monostate>(v)) return m;
    if (std::holds_alternative<double>(v) || std::holds_alternative<std::int64_t>(v)) {
        num = io::Layer::number(v);
        if (std::holds_alternative<double>(v) && std::isnan(std::get<double>(v))) return m;
        if (num && !std::isfinite(*num))
            throw DataError(where + ": " + io::Layer::text(v) +
                            " is not a finite number; fix the value (mg/kg) in the sheet");
    } else {
        std::string s = trim(ascii_digits(std::get<std::string>(v)));
        if (s.empty()) return m;
        std::string low = s;
        for (char& c : low)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (low == "nd" || low == "n.d." || low == "n.d" || low == "未检出" || low == "<dl" ||
            low == "< dl" || low == "bdl" || low == "<lod") {
            m.kind = Measurement::Kind::below_dl;
            m.value = std::numeric_limits<double>::quiet_NaN();
            return m;
        }
        std::string rest;
        if (starts_with(s, "<"))
            rest = s.substr(1);
        else if (starts_with(s, "＜")) // full-width less-than
            rest = s.substr(std::string("＜").size());
        else if (s.size() > 1 && (s.back() == 'L' || s.back() == 'l') &&
                 strict_number(s.substr(0, s.size() - 1)))
            rest = s.substr(0, s.size() - 1); // "0.01L": below the limit 0.01
        if (!rest.empty()) {
            auto dl = strict_number(rest);
            if (!dl || *dl < 0)
                throw DataError(where + ": '" + s +
                                "' is not a detection limit such as <0.01; fix the value");
            m.kind = Measurement::Kind::below_dl;
            m.value = *dl;
            return m;
        }
        num = strict_number(s, &m.decimal_comma);
        if (!num && ambiguous_comma(s))
            throw DataError(where + ": '" + s +
                            "' is ambiguous (decimal comma or thousands separator); write it "
                            "with a decimal point, e.g. " +
                            s.substr(0, s.find(',')) + "." + s.substr(s.find(',') + 1) + " or " +
                            s.substr(0, s.find(',')) + s.substr(s.find(',') + 1));
        if (!num)
            throw DataError(where + ": '" + s +
                            "' is not a number, ND or <DL; fix the value (mg/kg) in the sheet");
    }
    if (!num) return m;
    if (*num < 0 && !allow_negative)
        throw DataError(where + ": negative value " + io::Layer::text(v) +
                        "; concentrations cannot be negative (fix the sheet; use ND or <DL "
                        "for below detection)");
    m.kind = Measurement::Kind::value;
    m.value = *num;
    return m;
}

double NdPolicy::substitute(const Measurement& m) const {
    const double dl = std::isnan(m.value) ? 0.0 : m.value;
    switch (mode) {
    case Mode::half_dl:
        return dl / 2;
    case Mode::dl:
        return dl;
    case Mode::zero:
        return 0;
    case Mode::fixed:
        return fixed;
    }
    return 0;
}

std::string NdPolicy::describe() const {
    switch (mode) {
    case Mode::half_dl:
        return "half the detection limit";
    case Mode::dl:
        return "the detection limit";
    case Mode::zero:
        return "zero";
    case Mode::fixed:
        return io::Layer::text(fixed) + " mg/kg";
    }
    return "";
}

NdPolicy parse_nd_policy(const std::string& text) {
    NdPolicy p;
    if (text == "half" || text == "half-dl" || text == "half_dl") return p;
    if (text == "dl") {
        p.mode = NdPolicy::Mode::dl;
        return p;
    }
    if (text == "zero" || text == "0") {
        p.mode = NdPolicy::Mode::zero;
        return p;
    }
    if (auto d = strict_number(text); d && *d >= 0) {
        p.mode = NdPolicy::Mode::fixed;
        p.fixed = *d;
        return p;
    }
    throw UsageError("--nd: '" + text +
                     "' must be half (half the detection limit), dl, zero or a value in mg/kg");
}

// --- Soil evaluation -----------------------------------------------------------------

SoilResult classify_ratios(std::vector<ElementResult> elements) {
    SoilResult r;
    double best_g = -1, best_s = -1;
    std::string el_g, el_s;
    for (auto& e : elements) {
        // Equal to S stays class 1, equal to G stays class 2 (MEE explanation of GB 15618).
        e.element_class = 1;
        if (e.screening_ratio > 1) e.element_class = 2;
        if (e.intervention_ratio && *e.intervention_ratio > 1) e.element_class = 3;
        r.soil_class = std::max(r.soil_class, e.element_class);
        if (e.intervention_ratio && *e.intervention_ratio > best_g) {
            best_g = *e.intervention_ratio;
            el_g = e.element;
        }
        if (e.screening_ratio > best_s) {
            best_s = e.screening_ratio;
            el_s = e.element;
        }
    }
    if (r.soil_class == 3) {
        r.limiting_element = el_g;
        r.limiting_ratio = best_g;
    } else if (!el_s.empty()) {
        r.limiting_element = el_s;
        r.limiting_ratio = best_s;
    }
    r.elements = std::move(elements);
    return r;
}

SoilResult evaluate_soil(const SoilStandard& standard, const std::vector<Concentration>& conc,
                         double ph, const std::string& landuse) {
    std::vector<ElementResult> out;
    for (const auto& c : conc) {
        const auto s = standard.screening_value(c.element, landuse, ph);
        if (!s) continue;
        ElementResult e;
        e.element = c.element;
        e.value = c.value;
        e.below_dl = c.below_dl;
        e.screening = *s;
        e.screening_ratio = c.value / *s;
        e.intervention = standard.intervention_value(c.element, ph);
        if (e.intervention) e.intervention_ratio = c.value / *e.intervention;
        out.push_back(e);
    }
    SoilResult r = classify_ratios(std::move(out));
    r.ph_band = standard.ph_band(ph);
    r.landuse = landuse;
    return r;
}

// --- IDW -----------------------------------------------------------------------------

namespace {
using BPoint = bg::model::point<double, 2, bg::cs::cartesian>;
using Entry = std::pair<BPoint, int>;
} // namespace

struct Idw::Impl {
    std::vector<Point> points;
    std::size_t vars = 0;
    std::size_t incomplete = 0; ///< points missing some variable
    double power, radius;
    int max_n;
    bgi::rtree<Entry, bgi::rstar<16>> tree;
};

Idw::Idw(std::vector<Point> points, double power, double radius, int max_neighbours)
    : impl_(std::make_unique<Impl>()) {
    if (!(power > 0) || !std::isfinite(power))
        throw UsageError("--idw-power must be a positive number");
    if (max_neighbours < 1) throw UsageError("--idw-neighbours must be at least 1");
    impl_->power = power;
    impl_->radius = radius;
    impl_->max_n = max_neighbours;
    impl_->vars = points.empty() ? 0 : points.front().z.size();
    std::vector<Entry> entries;
    for (std::size_t i = 0; i < points.size(); ++i) {
        if (points[i].z.size() != impl_->vars)
            throw std::logic_error("Idw: points with different numbers of variables");
        if (std::any_of(points[i].z.begin(), points[i].z.end(),
                        [](double z) { return std::isnan(z); }))
            ++impl_->incomplete;
        entries.emplace_back(BPoint(points[i].x, points[i].y), static_cast<int>(i));
    }
    impl_->tree = bgi::rtree<Entry, bgi::rstar<16>>(entries);
    impl_->points = std::move(points);
}
Idw::~Idw() = default;
Idw::Idw(Idw&&) noexcept = default;

std::size_t Idw::size() const {
    return impl_->points.size();
}
std::size_t Idw::variables() const {
    return impl_->vars;
}

std::vector<std::optional<double>> Idw::at(double x, double y, std::vector<int>* used) const {
    const Impl& m = *impl_;
    std::vector<std::optional<double>> out(m.vars);
    // One query serves every variable: among the max_n + incomplete nearest points, at
    // least max_n have a value for each variable (when that many exist).
    std::vector<Entry> near;
    m.tree.query(bgi::nearest(BPoint(x, y), static_cast<unsigned>(m.max_n + m.incomplete)),
                 std::back_inserter(near));
    std::vector<std::pair<double, int>> cand; // by distance, then input order
    for (const auto& e : near) {
        const Point& p = m.points[e.second];
        const double d = std::hypot(p.x - x, p.y - y);
        if (m.radius > 0 && d > m.radius) continue;
        cand.emplace_back(d, e.second);
    }
    std::sort(cand.begin(), cand.end());
    for (std::size_t v = 0; v < m.vars; ++v) {
        double num = 0, den = 0, exact_sum = 0;
        int n = 0, exact = 0;
        std::vector<int> contrib, exact_contrib;
        for (const auto& [d, i] : cand) {
            const double z = m.points[i].z[v];
            if (std::isnan(z)) continue;
            if (n++ == m.max_n) break;
            if (d < 1e-9) {
                exact_sum += z;
                ++exact;
                exact_contrib.push_back(i);
            } else {
                const double w = std::pow(d, -m.power);
                num += w * z;
                den += w;
            }
            contrib.push_back(i);
        }
        if (exact)
            out[v] = exact_sum / exact;
        else if (den > 0)
            out[v] = num / den;
        if (used) {
            const auto& c = exact ? exact_contrib : contrib;
            used->insert(used->end(), c.begin(), c.end());
        }
    }
    return out;
}

IdwMean idw_polygon_mean(const Idw& idw, const GEOSGeom_t* polygon, double cell, int max_cells) {
    auto h = geos::ctx();
    const std::size_t nv = idw.variables();
    IdwMean out;
    out.values.resize(nv);
    out.covered_share.assign(nv, 0.0);
    double x0, y0, x1, y1;
    if (GEOSGeom_getExtent_r(h, polygon, &x0, &y0, &x1, &y1) == 0) return out;
    const double w = x1 - x0, hgt = y1 - y0;
    if (!(cell > 0)) throw UsageError("--idw-cell must be a positive length");
    while (std::ceil(w / cell) * std::ceil(hgt / cell) > max_cells)
        cell *= 1.5;
    const int nx = std::max(1, static_cast<int>(std::ceil(w / cell)));
    const int ny = std::max(1, static_cast<int>(std::ceil(hgt / cell)));
    geos::PreparedPtr prep(GEOSPrepare_r(h, polygon));
    double total = 0;
    std::vector<double> covered(nv, 0.0), sum(nv, 0.0);
    std::vector<int> used;
    for (int j = 0; j < ny; ++j)
        for (int i = 0; i < nx; ++i) {
            const double cx0 = x0 + i * cell, cy0 = y0 + j * cell;
            geos::GeomPtr box = geos::check(
                GEOSGeom_createRectangle_r(h, cx0, cy0, cx0 + cell, cy0 + cell), "rectangle");
            double a = 0, px = cx0 + cell / 2, py = cy0 + cell / 2;
            if (GEOSPreparedContains_r(h, prep.get(), box.get()) == 1) {
                a = cell * cell;
            } else if (GEOSPreparedIntersects_r(h, prep.get(), box.get()) == 1) {
                geos::GeomPtr part =
                    geos::check(GEOSIntersection_r(h, polygon, box.get()), "intersection");
                GEOSArea_r(h, part.get(), &a);
                if (a <= 0) continue;
                geos::GeomPtr c = geos::check(GEOSGetCentroid_r(h, part.get()), "centroid");
                GEOSGeomGetX_r(h, c.get(), &px);
                GEOSGeomGetY_r(h, c.get(), &py);
            } else {
                continue;
            }
            total += a;
            const auto z = idw.at(px, py, &used);
            for (std::size_t v = 0; v < nv; ++v)
                if (z[v]) {
                    covered[v] += a;
                    sum[v] += a * *z[v];
                }
        }
    std::sort(used.begin(), used.end());
    used.erase(std::unique(used.begin(), used.end()), used.end());
    out.used = std::move(used);
    for (std::size_t v = 0; v < nv; ++v) {
        if (covered[v] > 0) out.values[v] = sum[v] / covered[v];
        out.covered_share[v] = total > 0 ? covered[v] / total : 0;
    }
    return out;
}

AssignMethod parse_assign_method(const std::string& text) {
    if (text == "inside") return AssignMethod::inside;
    if (text == "nearest") return AssignMethod::nearest;
    if (text == "voronoi" || text == "thiessen") return AssignMethod::voronoi;
    if (text == "idw") return AssignMethod::idw;
    throw UsageError("--method: '" + text + "' must be inside, nearest, voronoi or idw");
}

const char* to_string(AssignMethod m) {
    switch (m) {
    case AssignMethod::inside:
        return "inside";
    case AssignMethod::nearest:
        return "nearest";
    case AssignMethod::voronoi:
        return "voronoi";
    case AssignMethod::idw:
        return "idw";
    }
    return "";
}

} // namespace soilrisk::analysis
