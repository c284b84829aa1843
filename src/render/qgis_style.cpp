// QML and SLD from map styles.
#include "soilrisk/render/qgis_style.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "soilrisk/core/error.hpp"
#include "soilrisk/io/output.hpp"

namespace soilrisk::render {

namespace {

std::string xml(const std::string& s) {
    return io::xml_escape(s);
}

/// Appends `item` to `list`, after `sep` unless the list is empty.
void append(std::string& list, const char* sep, const std::string& item) {
    if (!list.empty()) list += sep;
    list += item;
}

std::string num(double v) {
    std::ostringstream o;
    o << v;
    return o.str();
}

std::string rgba(const Color& c) {
    return std::to_string(c.r8()) + "," + std::to_string(c.g8()) + "," + std::to_string(c.b8()) +
           "," + std::to_string(c.a8());
}

bool is_number(const std::string& s) {
    if (s.empty()) return false;
    char* end = nullptr;
    std::strtod(s.c_str(), &end);
    return end == s.c_str() + s.size();
}

/// A QGIS expression for a filter.
std::string qgis_expression(const Filter& f) {
    auto value = [](const std::string& v) {
        if (!v.empty() && v[0] == '$') return std::string("\"") + v.substr(1) + "\"";
        if (is_number(v)) return v;
        std::string q = "'";
        for (char c : v)
            q += c == '\'' ? std::string("''") : std::string(1, c);
        return q + "'";
    };
    const std::string field = "\"" + f.field() + "\"";
    const char* op = "=";
    switch (f.op()) {
    case Filter::Op::eq:
        op = "=";
        break;
    case Filter::Op::ne:
        op = "<>";
        break;
    case Filter::Op::lt:
        op = "<";
        break;
    case Filter::Op::le:
        op = "<=";
        break;
    case Filter::Op::gt:
        op = ">";
        break;
    case Filter::Op::ge:
        op = ">=";
        break;
    case Filter::Op::in: {
        std::string list;
        for (const auto& v : f.values())
            append(list, ", ", value(v));
        return field + " IN (" + list + ")";
    }
    }
    return field + " " + op + " " + value(f.values()[0]);
}

const char* qgis_brush(Hatch h) {
    switch (h) {
    case Hatch::horizontal:
        return "horizontal";
    case Hatch::vertical:
        return "vertical";
    case Hatch::diagonal:
        return "f_diagonal";
    case Hatch::backdiagonal:
        return "b_diagonal";
    case Hatch::cross:
        return "diagonal_x";
    case Hatch::none:
        break;
    }
    return "solid";
}

void prop(std::ostringstream& o, const std::string& k, const std::string& v) {
    o << "          <prop k=\"" << k << "\" v=\"" << xml(v) << "\"/>\n";
}

void dash_props(std::ostringstream& o, const Symbol& s) {
    if (s.dash_mm.empty()) {
        prop(o, "use_custom_dash", "0");
        return;
    }
    std::string pattern;
    for (double d : s.dash_mm)
        append(pattern, ";", num(d));
    prop(o, "use_custom_dash", "1");
    prop(o, "customdash", pattern);
    prop(o, "customdash_unit", "MM");
}

/// One <symbol> element.
void qml_symbol(std::ostringstream& o, const Symbol& s, io::GeometryKind kind,
                const std::string& name) {
    const Color none{0, 0, 0, 0};
    const Color stroke = s.stroke.value_or(none);
    if (kind == io::GeometryKind::point) {
        o << "      <symbol type=\"marker\" name=\"" << name
          << "\" alpha=\"1\" clip_to_extent=\"1\" force_rhr=\"0\">\n";
        o << "        <layer class=\"SimpleMarker\" enabled=\"1\" locked=\"0\" pass=\"0\">\n";
        prop(o, "name", to_string(s.marker));
        prop(o, "color", rgba(s.fill.value_or(none)));
        prop(o, "outline_color", rgba(stroke));
        prop(o, "outline_style", s.stroke ? "solid" : "no");
        prop(o, "outline_width", num(s.stroke_width_mm));
        prop(o, "outline_width_unit", "MM");
        prop(o, "size", num(s.size_mm));
        prop(o, "size_unit", "MM");
        prop(o, "angle", "0");
        o << "        </layer>\n      </symbol>\n";
        return;
    }
    if (kind == io::GeometryKind::line) {
        o << "      <symbol type=\"line\" name=\"" << name
          << "\" alpha=\"1\" clip_to_extent=\"1\" force_rhr=\"0\">\n";
        o << "        <layer class=\"SimpleLine\" enabled=\"1\" locked=\"0\" pass=\"0\">\n";
        prop(o, "line_color", rgba(stroke));
        prop(o, "line_style", s.stroke ? "solid" : "no");
        prop(o, "line_width", num(s.stroke_width_mm));
        prop(o, "line_width_unit", "MM");
        prop(o, "capstyle", "round");
        prop(o, "joinstyle", "round");
        dash_props(o, s);
        o << "        </layer>\n";
        if (s.ticks_m > 0 && s.stroke) {
            // Chainage ticks: a short bar across the line every ticks_m map units (metres
            // in the working CRS), from the start of the line.
            o << "        <layer class=\"MarkerLine\" enabled=\"1\" locked=\"0\" pass=\"0\">\n";
            prop(o, "placement", "interval");
            prop(o, "interval", num(s.ticks_m));
            prop(o, "interval_unit", "MapUnit");
            prop(o, "offset_along_line", num(s.ticks_m));
            prop(o, "offset_along_line_unit", "MapUnit");
            prop(o, "rotate", "1");
            o << "          <symbol type=\"marker\" name=\"@" << name
              << "@1\" alpha=\"1\" clip_to_extent=\"1\" force_rhr=\"0\">\n";
            o << "            <layer class=\"SimpleMarker\" enabled=\"1\" locked=\"0\" "
                 "pass=\"0\">\n";
            prop(o, "name", "line");
            prop(o, "color", rgba(*s.stroke));
            prop(o, "outline_color", rgba(*s.stroke));
            prop(o, "outline_style", "solid");
            prop(o, "outline_width", num(std::max(0.3, s.stroke_width_mm * 0.6)));
            prop(o, "outline_width_unit", "MM");
            prop(o, "size", num(std::max(2.0, s.stroke_width_mm * 4)));
            prop(o, "size_unit", "MM");
            prop(o, "angle", "0");
            o << "            </layer>\n          </symbol>\n        </layer>\n";
        }
        o << "      </symbol>\n";
        return;
    }
    o << "      <symbol type=\"fill\" name=\"" << name
      << "\" alpha=\"1\" clip_to_extent=\"1\" force_rhr=\"0\">\n";
    const bool hatch = s.hatch != Hatch::none;
    // Solid fill (outline only when there is no hatch layer to carry it).
    o << "        <layer class=\"SimpleFill\" enabled=\"1\" locked=\"0\" pass=\"0\">\n";
    prop(o, "color", rgba(s.fill.value_or(none)));
    prop(o, "style", s.fill ? "solid" : "no");
    prop(o, "outline_color", rgba(stroke));
    prop(o, "outline_style", (s.stroke && !hatch) ? (s.dash_mm.empty() ? "solid" : "dash") : "no");
    prop(o, "outline_width", num(s.stroke_width_mm));
    prop(o, "outline_width_unit", "MM");
    prop(o, "joinstyle", "round");
    o << "        </layer>\n";
    if (hatch) {
        o << "        <layer class=\"SimpleFill\" enabled=\"1\" locked=\"0\" pass=\"0\">\n";
        prop(o, "color", rgba(s.hatch_color));
        prop(o, "style", qgis_brush(s.hatch));
        prop(o, "outline_color", rgba(stroke));
        prop(o, "outline_style", s.stroke ? (s.dash_mm.empty() ? "solid" : "dash") : "no");
        prop(o, "outline_width", num(s.stroke_width_mm));
        prop(o, "outline_width_unit", "MM");
        prop(o, "joinstyle", "round");
        o << "        </layer>\n";
    }
    o << "      </symbol>\n";
}

/// Whether every class is `classify = value` (a categorized renderer fits).
bool categorized(const LayerStyle& st) {
    if (st.classes.empty()) return false;
    for (const auto& c : st.classes)
        if (!c.filter || c.filter->op() != Filter::Op::eq || c.filter->field() != st.classify ||
            c.filter->values()[0].starts_with("$"))
            return false;
    return true;
}

int geometry_code(io::GeometryKind k) {
    switch (k) {
    case io::GeometryKind::point:
        return 0;
    case io::GeometryKind::line:
        return 1;
    default:
        return 2;
    }
}

} // namespace

namespace {

/// One rule of a rule-based renderer: label, QGIS filter expression ("" = all), symbol.
struct Rule {
    std::string label, expr;
    const Symbol* symbol;
};

/// The rules of one pass, first match wins: each rule excludes the earlier ones.
std::vector<Rule> rules_of(const LayerStyle& st, io::Lang lang) {
    std::vector<Rule> out;
    std::string base;
    if (st.filter) {
        base = qgis_expression(*st.filter);
        base.insert(base.begin(), '(');
        base.push_back(')');
    }
    if (st.classes.empty()) {
        out.push_back({st.title(lang), base, &st.symbol});
        return out;
    }
    std::string earlier;
    for (const auto& c : st.classes) {
        std::string expr = base;
        std::string own;
        if (c.filter) {
            own = qgis_expression(*c.filter);
            own.insert(own.begin(), '(');
            own.push_back(')');
            append(expr, " AND ", own);
        }
        if (!earlier.empty()) {
            std::string not_earlier = earlier;
            not_earlier.insert(0, "NOT (");
            not_earlier.push_back(')');
            append(expr, " AND ", not_earlier);
        }
        if (c.filter) append(earlier, " OR ", own);
        out.push_back({c.label(lang), expr, &c.symbol});
    }
    return out;
}

/// Ascending upper bounds when the classes are `classify <= v1`, `classify <= v2`, …
/// (v ascending), the last one optionally without filter (everything above): a graduated
/// renderer fits. Empty otherwise.
std::vector<double> graduated_bounds(const LayerStyle& st) {
    std::vector<double> bounds;
    if (st.classes.size() < 2 || st.filter || st.classify.empty()) return {};
    for (std::size_t i = 0; i < st.classes.size(); ++i) {
        const auto& f = st.classes[i].filter;
        if (!f) {
            if (i + 1 != st.classes.size()) return {};
            bounds.push_back(std::numeric_limits<double>::infinity());
            break;
        }
        if (f->op() != Filter::Op::le || f->field() != st.classify || !is_number(f->values()[0]))
            return {};
        const double v = std::strtod(f->values()[0].c_str(), nullptr);
        if (!bounds.empty() && !(v > bounds.back())) return {};
        bounds.push_back(v);
    }
    return bounds;
}

std::string bound(double v) {
    if (std::isinf(v)) return v > 0 ? "1.79769e+308" : "-1.79769e+308";
    return num(v);
}

void renderer(std::ostringstream& o, const std::vector<LayerStyle>& passes, io::GeometryKind kind,
              io::Lang lang) {
    const LayerStyle& st = passes.front();
    const bool single_pass = passes.size() == 1;
    const bool filtered = st.filter.has_value();
    const char* head = " forceraster=\"0\" symbollevels=\"0\" enableorderby=\"0\">\n";
    if (single_pass && st.classes.empty() && !filtered) {
        o << "  <renderer-v2 type=\"singleSymbol\"" << head << "    <symbols>\n";
        qml_symbol(o, st.symbol, kind, "0");
        o << "    </symbols>\n  </renderer-v2>\n";
        return;
    }
    if (single_pass && categorized(st) && !filtered) {
        o << "  <renderer-v2 type=\"categorizedSymbol\" attr=\"" << xml(st.classify) << "\"" << head
          << "    <categories>\n";
        for (std::size_t i = 0; i < st.classes.size(); ++i)
            o << "      <category render=\"true\" symbol=\"" << i << "\" value=\""
              << xml(st.classes[i].filter->values()[0]) << "\" label=\""
              << xml(st.classes[i].label(lang)) << "\"/>\n";
        o << "    </categories>\n    <symbols>\n";
        for (std::size_t i = 0; i < st.classes.size(); ++i)
            qml_symbol(o, st.classes[i].symbol, kind, std::to_string(i));
        o << "    </symbols>\n  </renderer-v2>\n";
        return;
    }
    if (const auto bounds = single_pass ? graduated_bounds(st) : std::vector<double>{};
        !bounds.empty()) {
        o << "  <renderer-v2 type=\"graduatedSymbol\" attr=\"" << xml(st.classify)
          << "\" graduatedMethod=\"GraduatedSize\"" << head << "    <ranges>\n";
        double lower = -std::numeric_limits<double>::infinity();
        for (std::size_t i = 0; i < bounds.size(); ++i) {
            o << "      <range render=\"true\" symbol=\"" << i << "\" lower=\"" << bound(lower)
              << "\" upper=\"" << bound(bounds[i]) << "\" label=\""
              << xml(st.classes[i].label(lang)) << "\"/>\n";
            lower = bounds[i];
        }
        o << "    </ranges>\n    <symbols>\n";
        for (std::size_t i = 0; i < st.classes.size(); ++i)
            qml_symbol(o, st.classes[i].symbol, kind, std::to_string(i));
        o << "    </symbols>\n    <mode name=\"manual\"/>\n  </renderer-v2>\n";
        return;
    }
    // Rule-based. One pass: its rules, first match wins. Several passes (a layer the map
    // draws more than once, e.g. category fill, then change hatching): one group of rules
    // per pass; QGIS draws every matching rule, so the passes overlay as on the map.
    o << "  <renderer-v2 type=\"RuleRenderer\"" << head << "    <rules key=\"root\">\n";
    std::vector<const Symbol*> symbols;
    for (std::size_t p = 0; p < passes.size(); ++p) {
        const std::string indent = single_pass ? "      " : "        ";
        if (!single_pass)
            o << "      <rule key=\"g" << p << "\" label=\"" << xml(passes[p].title(lang))
              << "\">\n";
        for (const Rule& r : rules_of(passes[p], lang)) {
            o << indent << "<rule key=\"r" << symbols.size() << "\" symbol=\"" << symbols.size()
              << "\" label=\"" << xml(r.label) << "\""
              << (r.expr.empty() ? "" : " filter=\"" + xml(r.expr) + "\"") << "/>\n";
            symbols.push_back(r.symbol);
        }
        if (!single_pass) o << "      </rule>\n";
    }
    o << "    </rules>\n    <symbols>\n";
    for (std::size_t i = 0; i < symbols.size(); ++i)
        qml_symbol(o, *symbols[i], kind, std::to_string(i));
    o << "    </symbols>\n  </renderer-v2>\n";
}

const LabelStyle* label_of(const std::vector<LayerStyle>& passes) {
    for (const auto& p : passes)
        if (p.label) return &*p.label;
    return nullptr;
}

} // namespace

std::string qml_for(const std::vector<LayerStyle>& passes, io::GeometryKind kind, io::Lang lang) {
    if (passes.empty()) throw std::logic_error("qml_for: no layer style");
    const LabelStyle* label = label_of(passes);
    std::ostringstream o;
    o << "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n";
    o << "<qgis version=\"3.22.0\" styleCategories=\"Symbology|Labeling\" labelsEnabled=\""
      << (label ? 1 : 0) << "\">\n";
    renderer(o, passes, kind, lang);
    if (label) {
        const LabelStyle& l = *label;
        o << "  <labeling type=\"simple\">\n    <settings calloutType=\"simple\">\n";
        o << "      <text-style fieldName=\"" << xml(l.field)
          << "\" isExpression=\"0\" fontFamily=\"Noto Sans CJK SC\" fontSize=\"" << num(l.size_pt)
          << "\" fontSizeUnit=\"Point\" textColor=\"" << rgba(l.color)
          << "\" textOpacity=\"1\" namedStyle=\"Regular\">\n";
        o << "        <text-buffer bufferDraw=\"" << (l.halo ? 1 : 0)
          << "\" bufferSize=\"0.7\" bufferSizeUnits=\"MM\" bufferColor=\"" << rgba(l.halo_color)
          << "\" bufferOpacity=\"1\"/>\n      </text-style>\n";
        const int placement = kind == io::GeometryKind::point  ? 6  // cartographic
                              : kind == io::GeometryKind::line ? 2  // parallel
                                                               : 1; // over centroid
        o << "      <placement placement=\"" << placement
          << "\" dist=\"1\" distUnits=\"MM\" priority=\"" << std::clamp(5 + l.priority / 2, 0, 10)
          << "\"/>\n";
        o << "      <rendering obstacle=\"1\" displayAll=\"0\" labelPerPart=\"0\"/>\n";
        o << "    </settings>\n  </labeling>\n";
    }
    o << "  <layerGeometryType>" << geometry_code(kind) << "</layerGeometryType>\n";
    o << "</qgis>\n";
    return o.str();
}

std::string qml_for(const LayerStyle& st, io::GeometryKind kind, io::Lang lang) {
    return qml_for(std::vector<LayerStyle>{st}, kind, lang);
}

namespace {

void sld_filter(std::ostringstream& o, const Filter& f, const std::string& indent) {
    auto literal = [](const std::string& v) {
        if (!v.empty() && v[0] == '$')
            return "<ogc:PropertyName>" + xml(v.substr(1)) + "</ogc:PropertyName>";
        return "<ogc:Literal>" + xml(v) + "</ogc:Literal>";
    };
    const std::string prop = "<ogc:PropertyName>" + xml(f.field()) + "</ogc:PropertyName>";
    auto cmp = [&](const char* op, const std::string& v) {
        return std::string("<ogc:") + op + ">" + prop + literal(v) + "</ogc:" + op + ">";
    };
    const auto& v = f.values();
    switch (f.op()) {
    case Filter::Op::eq:
        o << indent << cmp("PropertyIsEqualTo", v[0]) << "\n";
        break;
    case Filter::Op::ne:
        o << indent << cmp("PropertyIsNotEqualTo", v[0]) << "\n";
        break;
    case Filter::Op::lt:
        o << indent << cmp("PropertyIsLessThan", v[0]) << "\n";
        break;
    case Filter::Op::le:
        o << indent << cmp("PropertyIsLessThanOrEqualTo", v[0]) << "\n";
        break;
    case Filter::Op::gt:
        o << indent << cmp("PropertyIsGreaterThan", v[0]) << "\n";
        break;
    case Filter::Op::ge:
        o << indent << cmp("PropertyIsGreaterThanOrEqualTo", v[0]) << "\n";
        break;
    case Filter::Op::in:
        if (v.size() == 1) {
            o << indent << cmp("PropertyIsEqualTo", v[0]) << "\n";
        } else {
            o << indent << "<ogc:Or>";
            for (const auto& x : v)
                o << cmp("PropertyIsEqualTo", x);
            o << "</ogc:Or>\n";
        }
        break;
    }
}

void sld_param(std::ostringstream& o, const char* name, const std::string& value) {
    o << "              <se:SvgParameter name=\"" << name << "\">" << xml(value)
      << "</se:SvgParameter>\n";
}

std::string mm_px(double mm) {
    return num(std::round(mm / 0.28 * 100) / 100);
} // 0.28 mm/px

void sld_stroke(std::ostringstream& o, const Symbol& s) {
    if (!s.stroke) return;
    o << "            <se:Stroke>\n";
    sld_param(o, "stroke", s.stroke->hex());
    sld_param(o, "stroke-opacity", num(s.stroke->a));
    sld_param(o, "stroke-width", mm_px(s.stroke_width_mm));
    if (!s.dash_mm.empty()) {
        std::string d;
        for (double x : s.dash_mm)
            append(d, " ", mm_px(x));
        sld_param(o, "stroke-dasharray", d);
    }
    o << "            </se:Stroke>\n";
}

void sld_symbolizer(std::ostringstream& o, const Symbol& s, io::GeometryKind kind) {
    if (kind == io::GeometryKind::point) {
        o << "          <se:PointSymbolizer>\n            <se:Graphic>\n              <se:Mark>\n"
          << "                <se:WellKnownName>" << to_string(s.marker) << "</se:WellKnownName>\n";
        if (s.fill) {
            o << "                <se:Fill>\n";
            sld_param(o, "fill", s.fill->hex());
            o << "                </se:Fill>\n";
        }
        sld_stroke(o, s);
        o << "              </se:Mark>\n              <se:Size>" << mm_px(s.size_mm)
          << "</se:Size>\n            </se:Graphic>\n          </se:PointSymbolizer>\n";
        return;
    }
    if (kind == io::GeometryKind::line) {
        o << "          <se:LineSymbolizer>\n";
        sld_stroke(o, s);
        o << "          </se:LineSymbolizer>\n";
        return;
    }
    o << "          <se:PolygonSymbolizer>\n";
    if (s.fill) {
        o << "            <se:Fill>\n";
        sld_param(o, "fill", s.fill->hex());
        sld_param(o, "fill-opacity", num(s.fill->a));
        o << "            </se:Fill>\n";
    }
    sld_stroke(o, s);
    o << "          </se:PolygonSymbolizer>\n";
    if (s.hatch != Hatch::none) {
        const char* mark = s.hatch == Hatch::horizontal     ? "shape://horline"
                           : s.hatch == Hatch::vertical     ? "shape://vertline"
                           : s.hatch == Hatch::diagonal     ? "shape://slash"
                           : s.hatch == Hatch::backdiagonal ? "shape://backslash"
                                                            : "shape://times";
        o << "          <se:PolygonSymbolizer>\n            <se:Fill>\n"
          << "              <se:GraphicFill><se:Graphic><se:Mark><se:WellKnownName>" << mark
          << "</se:WellKnownName><se:Stroke><se:SvgParameter name=\"stroke\">"
          << s.hatch_color.hex() << "</se:SvgParameter></se:Stroke></se:Mark><se:Size>"
          << mm_px(s.hatch_spacing_mm) << "</se:Size></se:Graphic></se:GraphicFill>\n"
          << "            </se:Fill>\n          </se:PolygonSymbolizer>\n";
    }
}

} // namespace

std::string sld_for(const std::vector<LayerStyle>& passes, io::GeometryKind kind, io::Lang lang,
                    const std::string& layer_name) {
    if (passes.empty()) throw std::logic_error("sld_for: no layer style");
    std::ostringstream o;
    o << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<StyledLayerDescriptor version=\"1.1.0\" xmlns=\"http://www.opengis.net/sld\" "
         "xmlns:se=\"http://www.opengis.net/se\" xmlns:ogc=\"http://www.opengis.net/ogc\" "
         "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
         "xsi:schemaLocation=\"http://www.opengis.net/sld "
         "http://schemas.opengis.net/sld/1.1.0/StyledLayerDescriptor.xsd\">\n";
    o << "  <NamedLayer>\n    <se:Name>" << xml(layer_name) << "</se:Name>\n    <UserStyle>\n"
      << "      <se:Name>" << xml(layer_name) << "</se:Name>\n";
    // One FeatureTypeStyle per pass (drawn in order, as on the map). SLD rules all apply,
    // so each class excludes the earlier ones of its pass (first match wins, as on the map).
    for (const LayerStyle& st : passes) {
        o << "      <se:FeatureTypeStyle>\n";
        const std::size_t n = std::max<std::size_t>(st.classes.size(), 1);
        std::vector<const Filter*> earlier;
        for (std::size_t i = 0; i < n; ++i) {
            const std::string label =
                st.classes.empty() ? st.title(lang) : st.classes[i].label(lang);
            o << "        <se:Rule>\n          <se:Name>" << xml(label) << "</se:Name>\n"
              << "          <se:Description><se:Title>" << xml(label)
              << "</se:Title></se:Description>\n";
            const Filter* cf =
                st.classes.empty() || !st.classes[i].filter ? nullptr : &*st.classes[i].filter;
            const int terms = (st.filter ? 1 : 0) + (cf ? 1 : 0) + (earlier.empty() ? 0 : 1);
            if (terms > 0) {
                o << "          <ogc:Filter xmlns:ogc=\"http://www.opengis.net/ogc\">\n";
                if (terms > 1) o << "            <ogc:And>\n";
                if (st.filter) sld_filter(o, *st.filter, "            ");
                if (cf) sld_filter(o, *cf, "            ");
                if (!earlier.empty()) {
                    o << "            <ogc:Not>\n";
                    if (earlier.size() > 1) o << "            <ogc:Or>\n";
                    for (const Filter* e : earlier)
                        sld_filter(o, *e, "            ");
                    if (earlier.size() > 1) o << "            </ogc:Or>\n";
                    o << "            </ogc:Not>\n";
                }
                if (terms > 1) o << "            </ogc:And>\n";
                o << "          </ogc:Filter>\n";
            }
            if (cf) earlier.push_back(cf);
            sld_symbolizer(o, st.symbol_of(static_cast<int>(i)), kind);
            o << "        </se:Rule>\n";
        }
        if (st.label) {
            o << "        <se:Rule>\n          <se:TextSymbolizer>\n            <se:Label>"
                 "<ogc:PropertyName>"
              << xml(st.label->field)
              << "</ogc:PropertyName></se:Label>\n            <se:Font>"
                 "<se:SvgParameter name=\"font-family\">Noto Sans CJK SC</se:SvgParameter>"
                 "<se:SvgParameter name=\"font-size\">"
              << num(std::round(st.label->size_pt * 1.333))
              << "</se:SvgParameter></se:Font>\n            <se:Fill><se:SvgParameter "
                 "name=\"fill\">"
              << st.label->color.hex()
              << "</se:SvgParameter></se:Fill>\n          </se:TextSymbolizer>\n        "
                 "</se:Rule>\n";
        }
        o << "      </se:FeatureTypeStyle>\n";
    }
    o << "    </UserStyle>\n  </NamedLayer>\n</StyledLayerDescriptor>\n";
    return o.str();
}

std::string sld_for(const LayerStyle& st, io::GeometryKind kind, io::Lang lang,
                    const std::string& layer_name) {
    return sld_for(std::vector<LayerStyle>{st}, kind, lang, layer_name);
}

std::vector<LayerStyle> template_layer_styles(const std::string& layer,
                                              const std::vector<std::string>& fields,
                                              const std::string& template_hint) {
    auto lower = [](std::string s) {
        for (auto& c : s)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return s;
    };
    auto matches = [&](const LayerStyle& ls) {
        if (lower(ls.name) == lower(layer)) return true;
        for (const auto& a : ls.aliases)
            if (lower(a) == lower(layer)) return true;
        return false;
    };
    auto find_in = [&](const Style& s) {
        std::vector<LayerStyle> out;
        for (const auto& ls : s.layers)
            if (matches(ls)) out.push_back(ls);
        return out;
    };
    std::vector<std::string> order;
    if (!template_hint.empty()) order.push_back(template_hint);
    for (const auto& n : template_names())
        if (n != template_hint) order.push_back(n);
    for (const auto& n : order) {
        try {
            if (auto ls = find_in(load_template(n)); !ls.empty()) return ls;
        } catch (const UsageError&) {
            // An unknown hint or a broken user-edited template: try the next.
        }
    }
    const bool has_category = std::any_of(fields.begin(), fields.end(),
                                          [&](const auto& f) { return lower(f) == "category"; });
    if (has_category) {
        try {
            for (const auto& ls : load_template("farmland").layers)
                if (ls.name == "farmland") return {ls};
        } catch (const UsageError&) {
        }
    }
    return {};
}

std::optional<LayerStyle> template_layer_style(const std::string& layer,
                                               const std::vector<std::string>& fields,
                                               const std::string& template_hint) {
    auto all = template_layer_styles(layer, fields, template_hint);
    if (all.empty()) return std::nullopt;
    return all.front();
}

LayerStyle fallback_layer_style(const std::string& layer, io::GeometryKind kind) {
    LayerStyle st;
    st.name = layer;
    st.symbol.stroke = Color{0.33, 0.33, 0.33, 1};
    if (kind == io::GeometryKind::polygon) {
        st.symbol.fill = Color{0.62, 0.62, 0.62, 0.35};
        st.symbol.stroke_width_mm = 0.26;
    } else if (kind == io::GeometryKind::line) {
        st.symbol.stroke_width_mm = 0.4;
    } else {
        st.symbol.fill = Color{0.46, 0.46, 0.46, 1};
        st.symbol.stroke = Color{1, 1, 1, 1};
        st.symbol.size_mm = 2.0;
    }
    return st;
}

io::OutputStyles output_styles(const std::string& template_hint, io::Lang lang, bool sld_sidecars) {
    io::OutputStyles out;
    out.sld_sidecars = sld_sidecars;
    out.styler = [template_hint, lang](const std::string& layer, io::GeometryKind kind,
                                       const std::vector<std::string>& fields) {
        std::vector<LayerStyle> passes = template_layer_styles(layer, fields, template_hint);
        if (passes.empty()) passes.push_back(fallback_layer_style(layer, kind));
        return std::optional<io::LayerStyleDocs>(
            io::LayerStyleDocs{qml_for(passes, kind, lang), sld_for(passes, kind, lang, layer)});
    };
    return out;
}

bool add_template_style(io::GpkgWriter& writer, const std::string& layer, io::GeometryKind kind,
                        const std::vector<std::string>& fields, io::Lang lang,
                        const std::string& template_hint, const std::string& sld_sidecar) {
    const auto st = template_layer_styles(layer, fields, template_hint);
    if (st.empty()) return false;
    const std::string sld = sld_for(st, kind, lang, layer);
    writer.add_style(layer, qml_for(st, kind, lang), sld);
    if (!sld_sidecar.empty()) {
        io::write_text_file(sld, sld_sidecar, true);
    }
    return true;
}

} // namespace soilrisk::render
