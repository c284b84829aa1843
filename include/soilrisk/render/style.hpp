// Map styles: which layers a map draws, in which order, with which symbols and labels.
//
// A style is a TOML file (shipped templates in data/styles/<name>.toml):
//
//   [style]    name, title, title_en, subtitle, subtitle_en, source, source_en
//   [palette]  NAME = "#rrggbb" …   colours that symbols name as "@NAME"
//   [[layers]] one per drawn layer, bottom first:
//     name      data layer to draw (a layer name in the inputs)
//     aliases   other accepted names, tried in order after `name`
//     optional  a missing layer is skipped instead of being an error (default false)
//     title, title_en   legend heading (default: the name)
//     filter    "field op value" (op: = != < <= > >=) or "field in (a, b)"; a value
//               written "$other" compares with the field `other` of the same feature
//     extent    whether the layer's features decide the map extent (default true)
//     legend    whether the layer appears in the legend (default true)
//     symbol keys (the layer's single symbol, or the default for its classes):
//       fill, fill_opacity, stroke, stroke_width (mm), dash (mm list), hatch
//       (none|horizontal|vertical|diagonal|backdiagonal|cross), hatch_color,
//       hatch_spacing (mm), marker (circle|square|triangle|diamond|star|cross),
//       size (mm), ticks (m: chainage ticks along lines), tick_labels (bool)
//     label = { field, size (pt), color, halo (bool), halo_color, priority,
//               prefix, suffix }
//     classify  field whose value picks the class
//     [[layers.classes]]  value = V | values = [..] | filter = "…"; label, label_en;
//                         symbol keys overriding the layer's
//
// Colours are "#rgb", "#rrggbb", "#rrggbbaa", "none", or "@palette_name". Every
// unknown key is an error naming the file and the key.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "soilrisk/io/table.hpp"
#include "soilrisk/io/vector.hpp"

namespace soilrisk::render {

/// An RGBA colour, components 0..1.
struct Color {
    double r = 0, g = 0, b = 0, a = 1;
    /// Parses "#rgb", "#rrggbb", "#rrggbbaa". Throws UsageError naming `what`.
    static Color parse(std::string_view text, std::string_view what = "colour");
    /// "#rrggbb" (alpha dropped).
    std::string hex() const;
    /// 0..255 components.
    int r8() const;
    int g8() const;
    int b8() const;
    int a8() const;
    bool operator==(const Color&) const = default;
};

enum class Marker { circle, square, triangle, diamond, star, cross };
enum class Hatch { none, horizontal, vertical, diagonal, backdiagonal, cross };

const char* to_string(Marker m);
const char* to_string(Hatch h);

/// How one feature is drawn. Sizes in millimetres on the page.
struct Symbol {
    std::optional<Color> fill; ///< none: not filled
    std::optional<Color> stroke = Color{0.2, 0.2, 0.2, 1};
    double stroke_width_mm = 0.2;
    std::vector<double> dash_mm; ///< empty: solid
    Hatch hatch = Hatch::none;
    Color hatch_color{0, 0, 0, 1};
    double hatch_spacing_mm = 1.5;
    Marker marker = Marker::circle; ///< points only
    double size_mm = 2.5;           ///< marker size (points only)
    double ticks_m = 0;             ///< lines: a tick every ticks_m metres from the start
    bool tick_labels = false;       ///< label the ticks in km
};

/// An attribute filter: `field op value`, or `field in (v1, v2, …)`. Values compare as
/// numbers when both sides are numbers, else as text.
class Filter {
  public:
    enum class Op { eq, ne, lt, le, gt, ge, in };
    /// Parses the filter text; throws UsageError naming `where`.
    static Filter parse(std::string_view text, std::string_view where = "filter");
    /// Filter "field = value" (value as text).
    static Filter equals(std::string field, std::string value);

    /// Whether `f` of `layer` passes. A field the layer lacks makes every feature fail.
    bool matches(const io::Layer& layer, const io::Feature& f) const;
    const std::string& field() const { return field_; }
    Op op() const { return op_; }
    const std::vector<std::string>& values() const { return values_; }
    const std::string& text() const { return text_; }

  private:
    std::string field_;
    Op op_ = Op::eq;
    std::vector<std::string> values_; ///< "$name" refers to another field
    std::string text_;
};

struct LabelStyle {
    std::string field;
    double size_pt = 7;
    Color color{0.1, 0.1, 0.1, 1};
    bool halo = true;
    Color halo_color{1, 1, 1, 0.85};
    int priority = 0;           ///< higher first
    std::string prefix, suffix; ///< around the value, e.g. suffix " m"
};

struct StyleClass {
    std::string label_zh, label_en;
    std::optional<Filter> filter; ///< none: matches every feature
    Symbol symbol;
    const std::string& label(io::Lang lang) const {
        return lang == io::Lang::en && !label_en.empty() ? label_en : label_zh;
    }
};

struct LayerStyle {
    std::string name;
    std::vector<std::string> aliases;
    bool optional = false;
    std::string title_zh, title_en;
    std::optional<Filter> filter;
    bool extent = true;
    bool legend = true;
    Symbol symbol;        ///< single symbol (no classes)
    std::string classify; ///< field the classes test (informational; filters hold the test)
    std::vector<StyleClass> classes;
    std::optional<LabelStyle> label;

    const std::string& title(io::Lang lang) const;
    /// Index of the first class `f` matches, -1 when none; 0 for a single-symbol layer
    /// (no classes) that passes the layer filter. -2 when the layer filter rejects it.
    int class_of(const io::Layer& layer, const io::Feature& f) const;
    /// The symbol of class `index` (the single symbol when there are no classes).
    const Symbol& symbol_of(int index) const;
};

struct Style {
    std::string name;
    std::string title_zh, title_en, subtitle_zh, subtitle_en, source_zh, source_en;
    std::map<std::string, Color> palette;
    std::vector<LayerStyle> layers;

    std::string title(io::Lang lang) const;
    std::string subtitle(io::Lang lang) const;
    std::string source(io::Lang lang) const;
};

/// The standard category colours: 1 优先保护类 green, 2 安全利用类 yellow,
/// 3 严格管控类 red (palette names cat1, cat2, cat3).
Color category_color(int code);

/// Parses style text; `where` names the file in messages. Throws UsageError.
Style parse_style(const std::string& text, const std::string& where);
/// Reads a style file. Throws IoError when it cannot be read, UsageError when invalid.
Style load_style(const std::filesystem::path& file);

/// Folder of the shipped styles: $SOILRISK_DATA_DIR/styles when that variable is set,
/// else the source tree's data/styles.
std::filesystem::path styles_dir();
/// Names of the shipped templates (files in styles_dir()), sorted.
std::vector<std::string> template_names();
/// Loads a shipped template by name ("near", "downstream", …). Throws UsageError listing
/// the templates when unknown.
Style load_template(const std::string& name);

} // namespace soilrisk::render
