// Map styles from TOML.
#include "soilrisk/render/style.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <toml++/toml.h>

#include "soilrisk/core/error.hpp"
#include "soilrisk/core/text.hpp"

namespace fs = std::filesystem;

namespace soilrisk::render {

namespace {

std::string trim(std::string_view s) {
    std::size_t a = 0, b = s.size();
    while (a < b && std::isspace(static_cast<unsigned char>(s[a])))
        ++a;
    while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1])))
        --b;
    return std::string(s.substr(a, b - a));
}

std::string unquote(std::string s) {
    if (s.size() >= 2 && (s.front() == '\'' || s.front() == '"') && s.back() == s.front())
        return s.substr(1, s.size() - 2);
    return s;
}

std::optional<double> as_number(const std::string& s) {
    if (s.empty()) return std::nullopt;
    double v = 0;
    const char* end = s.data() + s.size();
    auto [p, ec] = std::from_chars(s.data(), end, v);
    if (ec != std::errc() || p != end) return std::nullopt;
    return v;
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

} // namespace

// ---- Color ---------------------------------------------------------------------------

Color Color::parse(std::string_view text, std::string_view what) {
    const std::string t = trim(text);
    auto bad = [&] {
        return UsageError(std::string(what) + ": '" + t +
                          "' is not a colour (use #rgb, #rrggbb or #rrggbbaa)");
    };
    if (t.size() < 4 || t[0] != '#') throw bad();
    std::vector<int> d;
    for (std::size_t i = 1; i < t.size(); ++i) {
        const int v = hex_digit(t[i]);
        if (v < 0) throw bad();
        d.push_back(v);
    }
    Color c;
    if (d.size() == 3) {
        c.r = d[0] * 17 / 255.0;
        c.g = d[1] * 17 / 255.0;
        c.b = d[2] * 17 / 255.0;
    } else if (d.size() == 6 || d.size() == 8) {
        c.r = (d[0] * 16 + d[1]) / 255.0;
        c.g = (d[2] * 16 + d[3]) / 255.0;
        c.b = (d[4] * 16 + d[5]) / 255.0;
        if (d.size() == 8) c.a = (d[6] * 16 + d[7]) / 255.0;
    } else {
        throw bad();
    }
    return c;
}

int Color::r8() const {
    return static_cast<int>(std::lround(std::clamp(r, 0.0, 1.0) * 255));
}
int Color::g8() const {
    return static_cast<int>(std::lround(std::clamp(g, 0.0, 1.0) * 255));
}
int Color::b8() const {
    return static_cast<int>(std::lround(std::clamp(b, 0.0, 1.0) * 255));
}
int Color::a8() const {
    return static_cast<int>(std::lround(std::clamp(a, 0.0, 1.0) * 255));
}

std::string Color::hex() const {
    char buf[8];
    std::snprintf(buf, sizeof buf, "#%02x%02x%02x", r8(), g8(), b8());
    return buf;
}

const char* to_string(Marker m) {
    switch (m) {
    case Marker::circle:
        return "circle";
    case Marker::square:
        return "square";
    case Marker::triangle:
        return "triangle";
    case Marker::diamond:
        return "diamond";
    case Marker::star:
        return "star";
    case Marker::cross:
        return "cross";
    }
    return "circle";
}

const char* to_string(Hatch h) {
    switch (h) {
    case Hatch::none:
        return "none";
    case Hatch::horizontal:
        return "horizontal";
    case Hatch::vertical:
        return "vertical";
    case Hatch::diagonal:
        return "diagonal";
    case Hatch::backdiagonal:
        return "backdiagonal";
    case Hatch::cross:
        return "cross";
    }
    return "none";
}

Color category_color(int code) {
    switch (code) {
    case 1:
        return Color::parse("#4caf50"); // green
    case 2:
        return Color::parse("#fdd835"); // yellow
    case 3:
        return Color::parse("#e53935"); // red
    default:
        return Color::parse("#bdbdbd");
    }
}

// ---- Filter --------------------------------------------------------------------------

Filter Filter::parse(std::string_view text_in, std::string_view where) {
    const std::string text = trim(text_in);
    auto bad = [&](const std::string& why) {
        return UsageError(std::string(where) + ": filter '" + text + "': " + why +
                          " (write \"field = value\", \"field != value\", \"field >= value\" "
                          "or \"field in (a, b)\")");
    };
    Filter f;
    f.text_ = text;
    std::size_t i = 0;
    while (i < text.size() && (std::isalnum(static_cast<unsigned char>(text[i])) ||
                               text[i] == '_' || static_cast<unsigned char>(text[i]) >= 0x80))
        ++i;
    f.field_ = text.substr(0, i);
    if (f.field_.empty()) throw bad("no field name");
    std::string rest = trim(std::string_view(text).substr(i));
    struct OpText {
        const char* s;
        Op op;
    };
    static const OpText ops[] = {{"!=", Op::ne}, {"<>", Op::ne}, {"<=", Op::le}, {">=", Op::ge},
                                 {"==", Op::eq}, {"=", Op::eq},  {"<", Op::lt},  {">", Op::gt}};
    bool found = false;
    for (const auto& o : ops) {
        const std::size_t n = std::char_traits<char>::length(o.s);
        if (rest.compare(0, n, o.s) == 0) {
            f.op_ = o.op;
            rest = trim(std::string_view(rest).substr(n));
            found = true;
            break;
        }
    }
    if (!found) {
        const std::string l = ascii_lower(rest.substr(0, 3));
        if (l.size() >= 2 && l.substr(0, 2) == "in" &&
            (rest.size() == 2 || std::isspace(static_cast<unsigned char>(rest[2])) ||
             rest[2] == '(')) {
            f.op_ = Op::in;
            rest = trim(std::string_view(rest).substr(2));
            if (rest.size() < 2 || rest.front() != '(' || rest.back() != ')')
                throw bad("'in' needs a list in parentheses");
            std::stringstream ss(rest.substr(1, rest.size() - 2));
            std::string item;
            while (std::getline(ss, item, ','))
                f.values_.push_back(unquote(trim(item)));
            if (f.values_.empty() || (f.values_.size() == 1 && f.values_[0].empty()))
                throw bad("empty 'in' list");
            return f;
        }
        throw bad("no operator");
    }
    if (rest.empty()) throw bad("no value");
    f.values_.push_back(unquote(rest));
    return f;
}

Filter Filter::equals(std::string field, std::string value) {
    Filter f;
    f.text_ = field + " = " + value;
    f.field_ = std::move(field);
    f.op_ = Op::eq;
    f.values_.push_back(std::move(value));
    return f;
}

bool Filter::matches(const io::Layer& layer, const io::Feature& feature) const {
    const int idx = layer.field_index(field_);
    if (idx < 0) return false;
    const io::Value& v = feature.values[static_cast<std::size_t>(idx)];
    if (std::holds_alternative<std::monostate>(v)) return op_ == Op::ne;
    const std::string lhs_text = io::Layer::text(v);
    const std::optional<double> lhs_num = io::Layer::number(v);
    auto compare = [&](const std::string& rhs_raw) -> int {
        std::string rhs_text = rhs_raw;
        std::optional<double> rhs_num;
        if (!rhs_raw.empty() && rhs_raw[0] == '$') {
            const int j = layer.field_index(rhs_raw.substr(1));
            if (j < 0) return 2; // unknown field: no relation holds
            const io::Value& w = feature.values[static_cast<std::size_t>(j)];
            rhs_text = io::Layer::text(w);
            rhs_num = io::Layer::number(w);
        } else {
            rhs_num = as_number(rhs_raw);
        }
        if (lhs_num && rhs_num) return *lhs_num < *rhs_num ? -1 : (*lhs_num > *rhs_num ? 1 : 0);
        return lhs_text < rhs_text ? -1 : (lhs_text > rhs_text ? 1 : 0);
    };
    switch (op_) {
    case Op::eq:
        return compare(values_[0]) == 0;
    case Op::ne: {
        const int c = compare(values_[0]);
        return c != 0 && c != 2;
    }
    case Op::lt:
        return compare(values_[0]) == -1;
    case Op::le: {
        const int c = compare(values_[0]);
        return c == -1 || c == 0;
    }
    case Op::gt:
        return compare(values_[0]) == 1;
    case Op::ge: {
        const int c = compare(values_[0]);
        return c == 1 || c == 0;
    }
    case Op::in:
        for (const auto& s : values_)
            if (compare(s) == 0) return true;
        return false;
    }
    return false;
}

// ---- LayerStyle / Style ---------------------------------------------------------------

const std::string& LayerStyle::title(io::Lang lang) const {
    if (lang == io::Lang::en && !title_en.empty()) return title_en;
    if (!title_zh.empty()) return title_zh;
    return name;
}

int LayerStyle::class_of(const io::Layer& layer, const io::Feature& f) const {
    if (filter && !filter->matches(layer, f)) return -2;
    if (classes.empty()) return 0;
    for (std::size_t i = 0; i < classes.size(); ++i)
        if (!classes[i].filter || classes[i].filter->matches(layer, f)) return static_cast<int>(i);
    return -1;
}

const Symbol& LayerStyle::symbol_of(int index) const {
    if (classes.empty() || index < 0 || static_cast<std::size_t>(index) >= classes.size())
        return symbol;
    return classes[static_cast<std::size_t>(index)].symbol;
}

std::string Style::title(io::Lang lang) const {
    return lang == io::Lang::en && !title_en.empty() ? title_en : title_zh;
}
std::string Style::subtitle(io::Lang lang) const {
    return lang == io::Lang::en && !subtitle_en.empty() ? subtitle_en : subtitle_zh;
}
std::string Style::source(io::Lang lang) const {
    return lang == io::Lang::en && !source_en.empty() ? source_en : source_zh;
}

// ---- TOML ---------------------------------------------------------------------------

namespace {

class Reader {
  public:
    Reader(std::string where) : where_(std::move(where)) {}

    std::string at(const toml::node& n) const {
        const auto& s = n.source();
        if (s.begin.line == 0) return where_;
        return where_ + ":" + std::to_string(s.begin.line) + ":" + std::to_string(s.begin.column);
    }

    [[noreturn]] void fail(const toml::node& n, const std::string& msg) const {
        throw UsageError(at(n) + ": " + msg);
    }

    void check_keys(const toml::table& t, const std::set<std::string>& known,
                    const std::string& section) const {
        for (const auto& [k, v] : t) {
            const std::string key(k.str());
            if (!known.count(key)) {
                std::string list;
                for (const auto& s : known)
                    list += (list.empty() ? "" : ", ") + s;
                fail(v, "unknown key '" + key + "' in " + section + " (known: " + list + ")");
            }
        }
    }

    std::string str(const toml::node& n, const std::string& key) const {
        if (auto s = n.value<std::string>(); s && n.is_string()) return *s;
        if (n.is_integer() || n.is_floating_point()) {
            std::ostringstream o;
            if (n.is_integer())
                o << *n.value<std::int64_t>();
            else
                o << *n.value<double>();
            return o.str();
        }
        fail(n, "'" + key + "' must be a string");
    }

    double num(const toml::node& n, const std::string& key) const {
        if (auto v = n.value<double>(); v && (n.is_integer() || n.is_floating_point())) return *v;
        fail(n, "'" + key + "' must be a number");
    }

    bool boolean(const toml::node& n, const std::string& key) const {
        if (n.is_boolean()) return *n.value<bool>();
        fail(n, "'" + key + "' must be true or false");
    }

    std::optional<Color> colour(const toml::node& n, const std::string& key,
                                const std::map<std::string, Color>& palette) const {
        const std::string s = trim(str(n, key));
        if (ascii_lower(s) == "none" || s.empty()) return std::nullopt;
        if (s[0] == '@') {
            const auto it = palette.find(s.substr(1));
            if (it == palette.end()) fail(n, "'" + key + "': no colour '" + s + "' in [palette]");
            return it->second;
        }
        try {
            return Color::parse(s, key);
        } catch (const UsageError& e) {
            fail(n, e.what());
        }
    }

    static inline const std::set<std::string> symbol_keys = {
        "fill",        "fill_opacity",  "stroke", "stroke_width", "dash",  "hatch",
        "hatch_color", "hatch_spacing", "marker", "size",         "ticks", "tick_labels"};

    /// Applies the symbol keys present in `t` over `s`.
    void symbol(const toml::table& t, Symbol& s, const std::map<std::string, Color>& pal) const {
        for (const auto& [k, v] : t) {
            const std::string key(k.str());
            if (!symbol_keys.count(key)) continue;
            if (key == "fill") {
                s.fill = colour(v, key, pal);
            } else if (key == "fill_opacity") {
                const double a = num(v, key);
                if (a < 0 || a > 1) fail(v, "'fill_opacity' must be within 0..1");
                if (s.fill) s.fill->a = a;
            } else if (key == "stroke") {
                s.stroke = colour(v, key, pal);
            } else if (key == "stroke_width") {
                s.stroke_width_mm = num(v, key);
                if (s.stroke_width_mm < 0) fail(v, "'stroke_width' must not be negative");
            } else if (key == "dash") {
                const toml::array* a = v.as_array();
                if (!a) fail(v, "'dash' must be a list of lengths in mm");
                s.dash_mm.clear();
                for (const auto& x : *a)
                    s.dash_mm.push_back(num(x, key));
            } else if (key == "hatch") {
                const std::string h = ascii_lower(str(v, key));
                bool ok = false;
                for (Hatch c : {Hatch::none, Hatch::horizontal, Hatch::vertical, Hatch::diagonal,
                                Hatch::backdiagonal, Hatch::cross})
                    if (h == to_string(c)) s.hatch = c, ok = true;
                if (!ok)
                    fail(v, "unknown hatch '" + h +
                                "' (none, horizontal, vertical, diagonal, backdiagonal, cross)");
            } else if (key == "hatch_color") {
                s.hatch_color = colour(v, key, pal).value_or(Color{0, 0, 0, 0});
            } else if (key == "hatch_spacing") {
                s.hatch_spacing_mm = num(v, key);
                if (s.hatch_spacing_mm <= 0.1) fail(v, "'hatch_spacing' must exceed 0.1 mm");
            } else if (key == "marker") {
                const std::string m = ascii_lower(str(v, key));
                bool ok = false;
                for (Marker c : {Marker::circle, Marker::square, Marker::triangle, Marker::diamond,
                                 Marker::star, Marker::cross})
                    if (m == to_string(c)) s.marker = c, ok = true;
                if (!ok)
                    fail(v, "unknown marker '" + m +
                                "' (circle, square, triangle, diamond, star, cross)");
            } else if (key == "size") {
                s.size_mm = num(v, key);
                if (s.size_mm <= 0) fail(v, "'size' must be positive");
            } else if (key == "ticks") {
                s.ticks_m = num(v, key);
                if (s.ticks_m < 0) fail(v, "'ticks' must not be negative");
            } else if (key == "tick_labels") {
                s.tick_labels = boolean(v, key);
            }
        }
    }

    LabelStyle label(const toml::node& n, const std::map<std::string, Color>& pal) const {
        LabelStyle l;
        if (n.is_string()) {
            l.field = *n.value<std::string>();
            return l;
        }
        const toml::table* t = n.as_table();
        if (!t) fail(n, "'label' must be a field name or a table { field = … }");
        check_keys(*t,
                   {"field", "size", "color", "halo", "halo_color", "priority", "prefix", "suffix"},
                   "label");
        for (const auto& [k, v] : *t) {
            const std::string key(k.str());
            if (key == "field")
                l.field = str(v, key);
            else if (key == "size")
                l.size_pt = num(v, key);
            else if (key == "color")
                l.color = colour(v, key, pal).value_or(l.color);
            else if (key == "halo")
                l.halo = boolean(v, key);
            else if (key == "halo_color")
                l.halo_color = colour(v, key, pal).value_or(l.halo_color);
            else if (key == "priority")
                l.priority = static_cast<int>(num(v, key));
            else if (key == "prefix")
                l.prefix = str(v, key);
            else if (key == "suffix")
                l.suffix = str(v, key);
        }
        if (l.field.empty()) fail(n, "'label' needs a field");
        return l;
    }

    std::optional<Filter> filter(const toml::node& n, const std::string& key) const {
        const std::string text = str(n, key);
        try {
            return Filter::parse(text, at(n));
        } catch (const UsageError& e) {
            throw; // already names the place
        }
    }

  private:
    std::string where_;
};

} // namespace

Style parse_style(const std::string& text, const std::string& where) {
    toml::table root;
    try {
        root = toml::parse(text, where);
    } catch (const toml::parse_error& e) {
        const auto& b = e.source().begin;
        throw UsageError(where + ":" + std::to_string(b.line) + ":" + std::to_string(b.column) +
                         ": " + std::string(e.description()));
    }
    Reader r(where);
    r.check_keys(root, {"style", "palette", "layers"}, "the style file");
    Style style;
    // Palette first: symbols refer to it. The standard category colours are always there.
    style.palette["cat1"] = category_color(1);
    style.palette["cat2"] = category_color(2);
    style.palette["cat3"] = category_color(3);
    if (const toml::node* p = root.get("palette")) {
        const toml::table* t = p->as_table();
        if (!t) r.fail(*p, "[palette] must be a table of colours");
        for (const auto& [k, v] : *t) {
            const std::string key(k.str());
            auto c = r.colour(v, key, style.palette);
            style.palette[key] = c.value_or(Color{0, 0, 0, 0});
        }
    }
    if (const toml::node* s = root.get("style")) {
        const toml::table* t = s->as_table();
        if (!t) r.fail(*s, "[style] must be a table");
        r.check_keys(
            *t, {"name", "title", "title_en", "subtitle", "subtitle_en", "source", "source_en"},
            "[style]");
        for (const auto& [k, v] : *t) {
            const std::string key(k.str());
            const std::string val = r.str(v, key);
            if (key == "name") style.name = val;
            if (key == "title") style.title_zh = val;
            if (key == "title_en") style.title_en = val;
            if (key == "subtitle") style.subtitle_zh = val;
            if (key == "subtitle_en") style.subtitle_en = val;
            if (key == "source") style.source_zh = val;
            if (key == "source_en") style.source_en = val;
        }
    }
    const toml::node* layers = root.get("layers");
    if (!layers) throw UsageError(where + ": no [[layers]]: a style draws at least one layer");
    const toml::array* arr = layers->as_array();
    if (!arr) r.fail(*layers, "'layers' must be an array of tables ([[layers]])");

    std::set<std::string> layer_keys = {"name",     "aliases",  "optional", "title",
                                        "title_en", "filter",   "extent",   "legend",
                                        "label",    "classify", "classes"};
    layer_keys.insert(Reader::symbol_keys.begin(), Reader::symbol_keys.end());
    std::set<std::string> class_keys = {"value", "values", "filter", "label", "label_en"};
    class_keys.insert(Reader::symbol_keys.begin(), Reader::symbol_keys.end());

    for (const auto& node : *arr) {
        const toml::table* t = node.as_table();
        if (!t) r.fail(node, "each [[layers]] entry must be a table");
        r.check_keys(*t, layer_keys, "[[layers]]");
        LayerStyle ls;
        const toml::node* name = t->get("name");
        if (!name) r.fail(node, "a [[layers]] entry needs a name (the data layer to draw)");
        ls.name = r.str(*name, "name");
        r.symbol(*t, ls.symbol, style.palette);
        for (const auto& [k, v] : *t) {
            const std::string key(k.str());
            if (key == "aliases") {
                const toml::array* a = v.as_array();
                if (!a) r.fail(v, "'aliases' must be a list of layer names");
                for (const auto& x : *a)
                    ls.aliases.push_back(r.str(x, key));
            } else if (key == "optional") {
                ls.optional = r.boolean(v, key);
            } else if (key == "title") {
                ls.title_zh = r.str(v, key);
            } else if (key == "title_en") {
                ls.title_en = r.str(v, key);
            } else if (key == "filter") {
                ls.filter = r.filter(v, key);
            } else if (key == "extent") {
                ls.extent = r.boolean(v, key);
            } else if (key == "legend") {
                ls.legend = r.boolean(v, key);
            } else if (key == "label") {
                ls.label = r.label(v, style.palette);
            } else if (key == "classify") {
                ls.classify = r.str(v, key);
            }
        }
        if (const toml::node* cl = t->get("classes")) {
            const toml::array* ca = cl->as_array();
            if (!ca) r.fail(*cl, "'classes' must be an array of tables ([[layers.classes]])");
            for (const auto& cn : *ca) {
                const toml::table* ct = cn.as_table();
                if (!ct) r.fail(cn, "each class must be a table");
                r.check_keys(*ct, class_keys, "[[layers.classes]]");
                StyleClass c;
                c.symbol = ls.symbol;
                r.symbol(*ct, c.symbol, style.palette);
                int tests = 0;
                for (const auto& [k, v] : *ct) {
                    const std::string key(k.str());
                    if (key == "label") c.label_zh = r.str(v, key);
                    if (key == "label_en") c.label_en = r.str(v, key);
                    if (key == "filter") c.filter = r.filter(v, key), ++tests;
                    if (key == "value" || key == "values") {
                        ++tests;
                        if (ls.classify.empty())
                            r.fail(v, "'" + key + "' needs the layer's 'classify' field");
                        std::vector<std::string> vals;
                        if (const toml::array* a = v.as_array()) {
                            for (const auto& x : *a)
                                vals.push_back(r.str(x, key));
                        } else {
                            vals.push_back(r.str(v, key));
                        }
                        if (vals.size() == 1) {
                            c.filter = Filter::equals(ls.classify, vals[0]);
                        } else {
                            std::string list;
                            for (const auto& x : vals)
                                list += (list.empty() ? "" : ", ") + x;
                            c.filter = Filter::parse(ls.classify + " in (" + list + ")", r.at(v));
                        }
                    }
                }
                if (tests > 1) r.fail(cn, "a class takes one of 'value', 'values' or 'filter'");
                ls.classes.push_back(std::move(c));
            }
        }
        style.layers.push_back(std::move(ls));
    }
    if (style.layers.empty()) throw UsageError(where + ": no [[layers]] in the style");
    return style;
}

Style load_style(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw IoError("cannot read the style file '" + file.string() + "'");
    std::ostringstream ss;
    ss << in.rdbuf();
    return parse_style(ss.str(), file.string());
}

fs::path styles_dir() {
    if (const char* env = std::getenv("SOILRISK_DATA_DIR"); env && *env)
        return fs::path(env) / "styles";
    return fs::path(SOILRISK_DATA_DIR) / "styles";
}

std::vector<std::string> template_names() {
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(styles_dir(), ec))
        if (e.path().extension() == ".toml") names.push_back(e.path().stem().string());
    std::sort(names.begin(), names.end());
    return names;
}

Style load_template(const std::string& name) {
    const auto names = template_names();
    if (std::find(names.begin(), names.end(), name) == names.end()) {
        std::string list;
        for (const auto& n : names)
            list += (list.empty() ? "" : ", ") + n;
        throw UsageError("no map template '" + name + "' (templates: " +
                         (list.empty() ? "none found in " + styles_dir().string() : list) + ")");
    }
    return load_style(styles_dir() / (name + ".toml"));
}

} // namespace soilrisk::render
