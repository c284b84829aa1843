// QML and SLD from map styles.
#include "soilrisk/render/qgis_style.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

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
        o << "        </layer>\n      </symbol>\n";
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

std::string qml_for(const LayerStyle& st, io::GeometryKind kind, io::Lang lang) {
    std::ostringstream o;
    o << "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n";
    o << "<qgis version=\"3.22.0\" styleCategories=\"Symbology|Labeling\" labelsEnabled=\""
      << (st.label ? 1 : 0) << "\">\n";
    const bool filtered = st.filter.has_value();
    if (st.classes.empty() && !filtered) {
        o << "  <renderer-v2 type=\"singleSymbol\" forceraster=\"0\" symbollevels=\"0\" "
             "enableorderby=\"0\">\n    <symbols>\n";
        qml_symbol(o, st.symbol, kind, "0");
        o << "    </symbols>\n  </renderer-v2>\n";
    } else if (categorized(st) && !filtered) {
        o << "  <renderer-v2 type=\"categorizedSymbol\" attr=\"" << xml(st.classify)
          << "\" forceraster=\"0\" symbollevels=\"0\" enableorderby=\"0\">\n    <categories>\n";
        for (std::size_t i = 0; i < st.classes.size(); ++i)
            o << "      <category render=\"true\" symbol=\"" << i << "\" value=\""
              << xml(st.classes[i].filter->values()[0]) << "\" label=\""
              << xml(st.classes[i].label(lang)) << "\"/>\n";
        o << "    </categories>\n    <symbols>\n";
        for (std::size_t i = 0; i < st.classes.size(); ++i)
            qml_symbol(o, st.classes[i].symbol, kind, std::to_string(i));
        o << "    </symbols>\n  </renderer-v2>\n";
    } else {
        // Rule-based: the layer filter ANDed into every rule; first match wins (else-rules
        // are not needed: each later rule excludes the earlier ones).
        o << "  <renderer-v2 type=\"RuleRenderer\" forceraster=\"0\" symbollevels=\"0\" "
             "enableorderby=\"0\">\n    <rules key=\"root\">\n";
        const std::string base =
            filtered ? std::string("(") + qgis_expression(*st.filter) + ")" : "";
        std::string earlier;
        const std::size_t n = std::max<std::size_t>(st.classes.size(), 1);
        for (std::size_t i = 0; i < n; ++i) {
            std::string expr = base;
            std::string label = st.title(lang);
            if (!st.classes.empty()) {
                const StyleClass& c = st.classes[i];
                label = c.label(lang);
                if (c.filter)
                    append(expr, " AND ", std::string("(") + qgis_expression(*c.filter) + ")");
                if (!earlier.empty()) append(expr, " AND ", std::string("NOT (") + earlier + ")");
                if (c.filter)
                    append(earlier, " OR ", std::string("(") + qgis_expression(*c.filter) + ")");
            }
            o << "      <rule key=\"r" << i << "\" symbol=\"" << i << "\" label=\"" << xml(label)
              << "\"" << (expr.empty() ? "" : " filter=\"" + xml(expr) + "\"") << "/>\n";
        }
        o << "    </rules>\n    <symbols>\n";
        for (std::size_t i = 0; i < n; ++i)
            qml_symbol(o, st.symbol_of(static_cast<int>(i)), kind, std::to_string(i));
        o << "    </symbols>\n  </renderer-v2>\n";
    }
    if (st.label) {
        const LabelStyle& l = *st.label;
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

std::string sld_for(const LayerStyle& st, io::GeometryKind kind, io::Lang lang,
                    const std::string& layer_name) {
    std::ostringstream o;
    o << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<StyledLayerDescriptor version=\"1.1.0\" xmlns=\"http://www.opengis.net/sld\" "
         "xmlns:se=\"http://www.opengis.net/se\" xmlns:ogc=\"http://www.opengis.net/ogc\" "
         "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
         "xsi:schemaLocation=\"http://www.opengis.net/sld "
         "http://schemas.opengis.net/sld/1.1.0/StyledLayerDescriptor.xsd\">\n";
    o << "  <NamedLayer>\n    <se:Name>" << xml(layer_name) << "</se:Name>\n    <UserStyle>\n"
      << "      <se:Name>" << xml(layer_name) << "</se:Name>\n      <se:FeatureTypeStyle>\n";
    const std::size_t n = std::max<std::size_t>(st.classes.size(), 1);
    for (std::size_t i = 0; i < n; ++i) {
        const std::string label = st.classes.empty() ? st.title(lang) : st.classes[i].label(lang);
        o << "        <se:Rule>\n          <se:Name>" << xml(label) << "</se:Name>\n"
          << "          <se:Description><se:Title>" << xml(label)
          << "</se:Title></se:Description>\n";
        const Filter* cf =
            st.classes.empty() || !st.classes[i].filter ? nullptr : &*st.classes[i].filter;
        if (st.filter || cf) {
            o << "          <ogc:Filter xmlns:ogc=\"http://www.opengis.net/ogc\">\n";
            if (st.filter && cf) o << "            <ogc:And>\n";
            if (st.filter) sld_filter(o, *st.filter, "            ");
            if (cf) sld_filter(o, *cf, "            ");
            if (st.filter && cf) o << "            </ogc:And>\n";
            o << "          </ogc:Filter>\n";
        }
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
          << "</se:SvgParameter></se:Fill>\n          </se:TextSymbolizer>\n        </se:Rule>\n";
    }
    o << "      </se:FeatureTypeStyle>\n    </UserStyle>\n  </NamedLayer>\n"
         "</StyledLayerDescriptor>\n";
    return o.str();
}

std::optional<LayerStyle> template_layer_style(const std::string& layer,
                                               const std::vector<std::string>& fields,
                                               const std::string& template_hint) {
    auto lower = [](std::string s) {
        for (auto& c : s)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return s;
    };
    auto find_in = [&](const Style& s) -> std::optional<LayerStyle> {
        for (const auto& ls : s.layers) {
            if (lower(ls.name) == lower(layer)) return ls;
            for (const auto& a : ls.aliases)
                if (lower(a) == lower(layer)) return ls;
        }
        return std::nullopt;
    };
    std::vector<std::string> order;
    if (!template_hint.empty()) order.push_back(template_hint);
    for (const auto& n : template_names())
        if (n != template_hint) order.push_back(n);
    for (const auto& n : order) {
        try {
            if (auto ls = find_in(load_template(n))) return ls;
        } catch (const UsageError&) {
            // An unknown hint or a broken user-edited template: try the next.
        }
    }
    const bool has_category = std::any_of(fields.begin(), fields.end(),
                                          [&](const auto& f) { return lower(f) == "category"; });
    if (has_category) {
        try {
            for (const auto& ls : load_template("farmland").layers)
                if (ls.name == "farmland") return ls;
        } catch (const UsageError&) {
        }
    }
    return std::nullopt;
}

bool add_template_style(io::GpkgWriter& writer, const std::string& layer, io::GeometryKind kind,
                        const std::vector<std::string>& fields, io::Lang lang,
                        const std::string& template_hint, const std::string& sld_sidecar) {
    const auto st = template_layer_style(layer, fields, template_hint);
    if (!st) return false;
    const std::string sld = sld_for(*st, kind, lang, layer);
    writer.add_style(layer, qml_for(*st, kind, lang), sld);
    if (!sld_sidecar.empty()) {
        io::write_text_file(sld, sld_sidecar, true);
    }
    return true;
}

} // namespace soilrisk::render
