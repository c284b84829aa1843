// Thematic maps: layout, layers, labels and map elements on Cairo (see map.hpp).
#include "soilrisk/render/map.hpp"

#include <algorithm>
#include <array>
#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <geos_c.h>
#include <set>

#include "render/cairo_util.hpp"
#include "soilrisk/core/error.hpp"
#include "soilrisk/core/log.hpp"
#include "soilrisk/core/text.hpp"
#include "soilrisk/io/output.hpp"

namespace soilrisk::render {

using detail::CairoPtr;
using detail::LayoutPtr;
using detail::SurfacePtr;
using detail::Text;

namespace {

constexpr double k_pi = 3.14159265358979323846;

std::string today() {
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    localtime_r(&t, &tm);
    char buf[16];
    std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
    return buf;
}

std::string thousands(long long v) {
    std::string s = std::to_string(v), out;
    int n = 0;
    for (auto it = s.rbegin(); it != s.rend(); ++it) {
        if (n && n % 3 == 0) out.insert(out.begin(), ',');
        out.insert(out.begin(), *it);
        ++n;
    }
    return out;
}

void set_rgba(cairo_t* cr, const Color& c) {
    cairo_set_source_rgba(cr, c.r, c.g, c.b, c.a);
}

struct Rect {
    double x0, y0, x1, y1;
    bool overlaps(const Rect& o) const { return x0 < o.x1 && o.x0 < x1 && y0 < o.y1 && o.y0 < y1; }
    bool inside(const Rect& o) const {
        return x0 >= o.x0 && x1 <= o.x1 && y0 >= o.y0 && y1 <= o.y1;
    }
};

/// Map CRS -> page millimetres.
struct View {
    Extent e;
    double fx = 0, fy = 0, fw = 0, fh = 0, s = 1; ///< frame and mm per map unit
    double px(double x) const { return fx + (x - e.min_x) * s; }
    double py(double y) const { return fy + (e.max_y - y) * s; }
};

// ---- geometry traversal ------------------------------------------------------------

bool envelope(geos::Context h, const GEOSGeometry* g, Extent& out) {
    if (GEOSisEmpty_r(h, g)) return false;
    return GEOSGeom_getXMin_r(h, g, &out.min_x) && GEOSGeom_getYMin_r(h, g, &out.min_y) &&
           GEOSGeom_getXMax_r(h, g, &out.max_x) && GEOSGeom_getYMax_r(h, g, &out.max_y);
}

bool intersects(const Extent& a, const Extent& b) {
    return a.min_x <= b.max_x && b.min_x <= a.max_x && a.min_y <= b.max_y && b.min_y <= a.max_y;
}

void grow(Extent& acc, bool& any, const Extent& e) {
    if (!any) {
        acc = e;
        any = true;
        return;
    }
    acc.min_x = std::min(acc.min_x, e.min_x);
    acc.min_y = std::min(acc.min_y, e.min_y);
    acc.max_x = std::max(acc.max_x, e.max_x);
    acc.max_y = std::max(acc.max_y, e.max_y);
}

/// Adds a ring or line to the current path (page coordinates), dropping vertices closer
/// than 0.02 mm to the previous one (invisible, and they bloat PDFs).
void path_coords(cairo_t* cr, geos::Context h, const GEOSGeometry* g, const View& v, bool close) {
    const GEOSCoordSequence* seq = GEOSGeom_getCoordSeq_r(h, g);
    unsigned n = 0;
    if (!seq || !GEOSCoordSeq_getSize_r(h, seq, &n) || n == 0) return;
    double lx = 0, ly = 0;
    for (unsigned i = 0; i < n; ++i) {
        double x = 0, y = 0;
        GEOSCoordSeq_getXY_r(h, seq, i, &x, &y);
        const double X = v.px(x), Y = v.py(y);
        if (i == 0) {
            cairo_move_to(cr, X, Y);
        } else if (i + 1 == n || std::abs(X - lx) + std::abs(Y - ly) > 0.02) {
            cairo_line_to(cr, X, Y);
        } else {
            continue;
        }
        lx = X, ly = Y;
    }
    if (close) cairo_close_path(cr);
}

template <class F> void each_part(geos::Context h, const GEOSGeometry* g, F&& f) {
    const int type = GEOSGeomTypeId_r(h, g);
    if (type >= GEOS_MULTIPOINT) {
        const int n = GEOSGetNumGeometries_r(h, g);
        for (int i = 0; i < n; ++i)
            each_part(h, GEOSGetGeometryN_r(h, g, i), f);
        return;
    }
    f(type, g);
}

void polygon_path(cairo_t* cr, geos::Context h, const GEOSGeometry* poly, const View& v) {
    path_coords(cr, h, GEOSGetExteriorRing_r(h, poly), v, true);
    const int holes = GEOSGetNumInteriorRings_r(h, poly);
    for (int i = 0; i < holes; ++i)
        path_coords(cr, h, GEOSGetInteriorRingN_r(h, poly, i), v, true);
}

void apply_stroke(cairo_t* cr, const Symbol& s) {
    set_rgba(cr, *s.stroke);
    cairo_set_line_width(cr, std::max(s.stroke_width_mm, 0.02));
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    if (!s.dash_mm.empty())
        cairo_set_dash(cr, s.dash_mm.data(), static_cast<int>(s.dash_mm.size()), 0);
    else
        cairo_set_dash(cr, nullptr, 0, 0);
}

/// Hatch lines over the clip (the current path must be set; it is consumed).
void hatch_path(cairo_t* cr, const Symbol& s) {
    double x0, y0, x1, y1;
    cairo_save(cr);
    cairo_fill_extents(cr, &x0, &y0, &x1, &y1);
    cairo_clip(cr);
    set_rgba(cr, s.hatch_color);
    cairo_set_line_width(cr, std::max(0.12, s.stroke_width_mm * 0.8));
    cairo_set_dash(cr, nullptr, 0, 0);
    const double d = s.hatch_spacing_mm;
    const double w = x1 - x0, hgt = y1 - y0;
    auto lines = [&](int dir) {
        // dir: 0 horizontal, 1 vertical, 2 diagonal (/), 3 backdiagonal (\)
        if (dir == 0)
            for (double y = std::floor(y0 / d) * d; y <= y1; y += d)
                cairo_move_to(cr, x0, y), cairo_line_to(cr, x1, y);
        if (dir == 1)
            for (double x = std::floor(x0 / d) * d; x <= x1; x += d)
                cairo_move_to(cr, x, y0), cairo_line_to(cr, x, y1);
        const double step = d * std::sqrt(2.0);
        if (dir == 2)
            for (double c = std::floor((x0 + y0) / step) * step; c <= x1 + y1; c += step)
                cairo_move_to(cr, c - y0, y0), cairo_line_to(cr, c - y1, y1);
        if (dir == 3)
            for (double c = std::floor((x0 - y1) / step) * step; c <= x1 - y0; c += step)
                cairo_move_to(cr, c + y0, y0), cairo_line_to(cr, c + y1, y1);
        (void)w, (void)hgt;
    };
    switch (s.hatch) {
    case Hatch::none:
        break;
    case Hatch::horizontal:
        lines(0);
        break;
    case Hatch::vertical:
        lines(1);
        break;
    case Hatch::diagonal:
        lines(2);
        break;
    case Hatch::backdiagonal:
        lines(3);
        break;
    case Hatch::cross:
        lines(2);
        lines(3);
        break;
    }
    cairo_stroke(cr);
    cairo_restore(cr);
}

/// Fills, hatches and strokes the current path as a polygon of symbol `s`.
void paint_area(cairo_t* cr, const Symbol& s) {
    cairo_set_fill_rule(cr, CAIRO_FILL_RULE_EVEN_ODD);
    if (s.fill) {
        set_rgba(*&cr, *s.fill);
        cairo_fill_preserve(cr);
    }
    if (s.hatch != Hatch::none) {
        cairo_path_t* p = cairo_copy_path(cr);
        hatch_path(cr, s);
        cairo_new_path(cr);
        cairo_append_path(cr, p);
        cairo_path_destroy(p);
    }
    if (s.stroke && s.stroke_width_mm > 0) {
        apply_stroke(cr, s);
        cairo_stroke(cr);
    }
    cairo_new_path(cr);
}

void marker_path(cairo_t* cr, Marker m, double x, double y, double size) {
    const double r = size / 2;
    switch (m) {
    case Marker::circle:
        cairo_new_sub_path(cr);
        cairo_arc(cr, x, y, r, 0, 2 * k_pi);
        break;
    case Marker::square:
        cairo_rectangle(cr, x - r, y - r, size, size);
        break;
    case Marker::triangle:
        cairo_move_to(cr, x, y - r * 1.1);
        cairo_line_to(cr, x + r * 1.05, y + r * 0.75);
        cairo_line_to(cr, x - r * 1.05, y + r * 0.75);
        cairo_close_path(cr);
        break;
    case Marker::diamond:
        cairo_move_to(cr, x, y - r);
        cairo_line_to(cr, x + r, y);
        cairo_line_to(cr, x, y + r);
        cairo_line_to(cr, x - r, y);
        cairo_close_path(cr);
        break;
    case Marker::star: {
        const double outer = r * 1.15, inner = outer * 0.42;
        for (int i = 0; i < 10; ++i) {
            const double a = -k_pi / 2 + i * k_pi / 5;
            const double rr = i % 2 ? inner : outer;
            if (i == 0)
                cairo_move_to(cr, x + rr * std::cos(a), y + rr * std::sin(a));
            else
                cairo_line_to(cr, x + rr * std::cos(a), y + rr * std::sin(a));
        }
        cairo_close_path(cr);
        break;
    }
    case Marker::cross:
        cairo_move_to(cr, x - r, y);
        cairo_line_to(cr, x + r, y);
        cairo_move_to(cr, x, y - r);
        cairo_line_to(cr, x, y + r);
        break;
    }
}

void paint_marker(cairo_t* cr, const Symbol& s, double x, double y) {
    marker_path(cr, s.marker, x, y, s.size_mm);
    if (s.marker == Marker::cross) {
        Symbol t = s;
        if (!t.stroke) t.stroke = t.fill.value_or(Color{});
        t.stroke_width_mm = std::max(t.stroke_width_mm, 0.3);
        apply_stroke(cr, t);
        cairo_stroke(cr);
        return;
    }
    if (s.fill) {
        set_rgba(cr, *s.fill);
        cairo_fill_preserve(cr);
    }
    if (s.stroke && s.stroke_width_mm > 0) {
        Symbol t = s;
        t.dash_mm.clear();
        apply_stroke(cr, t);
        cairo_stroke(cr);
    }
    cairo_new_path(cr);
}

void paint_line(cairo_t* cr, const Symbol& s) {
    if (!s.stroke) {
        cairo_new_path(cr);
        return;
    }
    apply_stroke(cr, s);
    cairo_stroke(cr);
}

/// The swatch of a legend entry in a box at (x, y) of w × h mm.
void paint_swatch(cairo_t* cr, const LegendEntry& e, double x, double y, double w, double h) {
    const Symbol& s = e.symbol;
    if (e.kind == GeometryKind::point) {
        Symbol t = s;
        t.size_mm = std::min(s.size_mm, h * 1.2);
        paint_marker(cr, t, x + w / 2, y + h / 2);
    } else if (e.kind == GeometryKind::line) {
        cairo_move_to(cr, x, y + h / 2);
        cairo_line_to(cr, x + w, y + h / 2);
        paint_line(cr, s);
    } else {
        cairo_rectangle(cr, x, y, w, h);
        paint_area(cr, s);
    }
}

// ---- labels --------------------------------------------------------------------------

struct LabelCandidate {
    std::string text;
    const LabelStyle* style = nullptr;
    double size_pt = 7;
    /// Anchor points with alignment: (x, y, ax, ay) where ax, ay in {0, 0.5, 1} give the
    /// point's position in the label box (0.5, 0.5 = centred).
    std::vector<std::array<double, 4>> anchors;
    int priority = 0;
    std::size_t order = 0;
};

// ---- lon/lat ticks -------------------------------------------------------------------

std::string dms(double deg, bool lon, io::Lang lang) {
    (void)lang;
    const char hemi = lon ? (deg >= 0 ? 'E' : 'W') : (deg >= 0 ? 'N' : 'S');
    double a = std::abs(deg);
    int d = static_cast<int>(std::floor(a + 1e-9));
    int m = static_cast<int>(std::lround((a - d) * 60));
    if (m == 60) ++d, m = 0;
    char buf[32];
    if (m == 0)
        std::snprintf(buf, sizeof buf, "%d°%c", d, hemi);
    else
        std::snprintf(buf, sizeof buf, "%d°%02d′%c", d, m, hemi);
    return buf;
}

double tick_interval_deg(double span) {
    static const double steps[] = {1 / 60.0, 2 / 60.0, 5 / 60.0, 10 / 60.0, 15 / 60.0,
                                   0.5,      1,        2,        5,         10};
    for (double s : steps)
        if (span / s <= 6) return s;
    return 10;
}

} // namespace

// ---- public helpers --------------------------------------------------------------------

Format format_for(const std::string& path) {
    const auto dot = path.rfind('.');
    const std::string ext = dot == std::string::npos ? "" : ascii_lower(path.substr(dot));
    if (ext == ".png") return Format::png;
    if (ext == ".pdf") return Format::pdf;
    if (ext == ".svg") return Format::svg;
    throw UsageError("map output '" + path + "': use a .png, .pdf or .svg file name");
}

PageSize PageSize::parse(std::string_view text_in) {
    const std::string text = ascii_lower(std::string(text_in));
    PageSize p;
    const auto x = text.find('x');
    if (x != std::string::npos && x > 0 && std::isdigit(static_cast<unsigned char>(text[0]))) {
        try {
            std::size_t n1 = 0, n2 = 0;
            const int w = std::stoi(text.substr(0, x), &n1);
            const int h = std::stoi(text.substr(x + 1), &n2);
            if (n1 == x && n2 == text.size() - x - 1 && w >= 100 && h >= 100 && w <= 20000 &&
                h <= 20000) {
                p.width_px = w;
                p.height_px = h;
                return p;
            }
        } catch (const std::exception&) {
        }
        throw UsageError("--size '" + std::string(text_in) +
                         "': a pixel size is WIDTHxHEIGHT, each 100..20000");
    }
    std::string paper = text, orient = "landscape";
    if (const auto dash = text.find('-'); dash != std::string::npos) {
        paper = text.substr(0, dash);
        orient = text.substr(dash + 1);
    }
    double w = 0, h = 0;
    if (paper == "a4") w = 297, h = 210;
    if (paper == "a3") w = 420, h = 297;
    if (w == 0 || (orient != "landscape" && orient != "portrait"))
        throw UsageError("--size '" + std::string(text_in) +
                         "': use A4, A3, A4-portrait, A3-landscape … or WIDTHxHEIGHT pixels");
    if (orient == "portrait") std::swap(w, h);
    p.width_mm = w;
    p.height_mm = h;
    return p;
}

std::pair<double, double> PageSize::mm(double dpi) const {
    if (pixels()) return {width_px * 25.4 / dpi, height_px * 25.4 / dpi};
    return {width_mm, height_mm};
}

double round_scale_length(double max_m) {
    if (!(max_m >= 0.001)) return 0;
    const double p = std::pow(10.0, std::floor(std::log10(max_m)));
    for (double m : {5.0, 2.0, 1.0})
        if (m * p <= max_m * (1 + 1e-12)) return m * p;
    return p;
}

std::pair<double, double> RenderResult::to_page(double x, double y) const {
    const double s = frame_w_mm / (extent.max_x - extent.min_x);
    return {frame_x_mm + (x - extent.min_x) * s, frame_y_mm + (extent.max_y - y) * s};
}

std::vector<MapLayer> bind_layers(const Style& style, const std::vector<NamedLayer>& available) {
    std::vector<MapLayer> out;
    for (const auto& ls : style.layers) {
        const io::Layer* found = nullptr;
        std::vector<std::string> names{ls.name};
        names.insert(names.end(), ls.aliases.begin(), ls.aliases.end());
        for (const auto& n : names) {
            for (const auto& a : available)
                if (a.layer && ascii_lower(a.name) == ascii_lower(n)) {
                    found = a.layer;
                    break;
                }
            if (found) break;
        }
        if (!found) {
            if (ls.optional) continue;
            std::string list;
            for (const auto& a : available)
                list += (list.empty() ? "" : ", ") + a.name;
            std::string tried;
            for (const auto& n : names)
                tried += (tried.empty() ? "" : "/") + n;
            throw UsageError("map style '" + style.name + "' draws layer '" + tried +
                             "', which is not among the inputs (" + (list.empty() ? "none" : list) +
                             "); add it with --layer NAME=PATH or mark it optional");
        }
        out.push_back({found, &ls});
    }
    return out;
}

std::vector<std::string> series_values(const std::vector<MapLayer>& layers,
                                       const std::string& field) {
    std::vector<std::string> values;
    std::set<std::string> seen;
    bool any = false, numeric = true;
    for (const auto& ml : layers) {
        const int idx = ml.layer->field_index(field);
        if (idx < 0) continue;
        any = true;
        for (const auto& f : ml.layer->features) {
            const io::Value& v = f.values[static_cast<std::size_t>(idx)];
            if (std::holds_alternative<std::monostate>(v)) continue;
            const std::string t = io::Layer::text(v);
            if (seen.insert(t).second) {
                values.push_back(t);
                if (!io::Layer::number(v)) numeric = false;
            }
        }
    }
    if (!any) {
        std::string names;
        for (const auto& ml : layers)
            names += (names.empty() ? "" : ", ") + ml.layer->name;
        throw UsageError("--each " + field + ": no drawn layer has a field '" + field +
                         "' (layers: " + names + ")");
    }
    if (numeric)
        std::stable_sort(
            values.begin(), values.end(),
            [](const std::string& a, const std::string& b) { return std::stod(a) < std::stod(b); });
    else
        std::sort(values.begin(), values.end());
    return values;
}

// ---- the renderer --------------------------------------------------------------------

namespace {

class Page {
  public:
    Page(cairo_t* cr, const MapSpec& spec, double page_w, double page_h)
        : cr_(cr), spec_(spec), text_(cr), pw_(page_w), ph_(page_h) {}

    RenderResult draw() {
        h_ = geos::ctx();
        if (spec_.crs.empty() || !spec_.crs.is_projected())
            throw UsageError("maps are drawn in a projected (metric) CRS; the layers are in " +
                             (spec_.crs.empty() ? std::string("no CRS") : spec_.crs.label()));
        unit_m_ = spec_.crs.linear_unit_m();
        layout();
        fit_extent();
        res_.extent = view_.e;
        res_.frame_x_mm = view_.fx, res_.frame_y_mm = view_.fy;
        res_.frame_w_mm = view_.fw, res_.frame_h_mm = view_.fh;
        res_.page_w_mm = pw_, res_.page_h_mm = ph_;
        res_.scale_denominator = 1000.0 * unit_m_ / view_.s;

        cairo_save(cr_);
        cairo_set_source_rgb(cr_, 1, 1, 1);
        cairo_paint(cr_);
        cairo_restore(cr_);

        cairo_save(cr_);
        cairo_rectangle(cr_, view_.fx, view_.fy, view_.fw, view_.fh);
        cairo_clip(cr_);
        draw_layers();
        reserve_elements();
        place_labels();
        draw_north_arrow();
        draw_scale_bar();
        cairo_restore(cr_);
        draw_frame();
        draw_title();
        draw_panel();
        return res_;
    }

  private:
    // -- layout: title band, frame, panel --
    void layout() {
        const double m = 8;
        title_y_ = m;
        const bool has_sub = !spec_.subtitle.empty();
        const double band = spec_.title.empty() ? 0 : (has_sub ? 17 : 11);
        landscape_ = pw_ >= ph_;
        const double top = m + band + 2, left = m + 6, bottom_ticks = 6;
        if (landscape_) {
            const double panel = std::clamp(0.24 * pw_, 48.0, 80.0);
            view_.fx = left;
            view_.fy = top;
            view_.fw = pw_ - m - panel - 5 - left;
            view_.fh = ph_ - m - bottom_ticks - top;
            panel_ = {pw_ - m - panel, top, pw_ - m, ph_ - m};
        } else {
            const double panel = std::clamp(0.24 * ph_, 45.0, 80.0);
            view_.fx = left;
            view_.fy = top;
            view_.fw = pw_ - m - left - 2;
            view_.fh = ph_ - m - panel - bottom_ticks - 3 - top;
            panel_ = {left, ph_ - m - panel, pw_ - m, ph_ - m};
        }
        if (view_.fw < 20 || view_.fh < 20)
            throw UsageError("the page is too small for a map (" + std::to_string(int(pw_)) +
                             " × " + std::to_string(int(ph_)) +
                             " mm); use a larger --size or a lower --dpi");
    }

    bool focused_out(const io::Feature& f, int focus_idx) const {
        if (focus_idx < 0) return false;
        return io::Layer::text(f.values[static_cast<std::size_t>(focus_idx)]) != spec_.focus_value;
    }

    int focus_index(const io::Layer& l) const {
        return spec_.focus_field.empty() ? -1 : l.field_index(spec_.focus_field);
    }

    void fit_extent() {
        Extent e;
        if (spec_.extent) {
            e = *spec_.extent;
        } else {
            bool any = false;
            // Focused layers decide the extent in a series; else every extent layer.
            bool any_focus_layer = false;
            for (const auto& ml : spec_.layers)
                if (focus_index(*ml.layer) >= 0) any_focus_layer = true;
            for (const auto& ml : spec_.layers) {
                const int fi = focus_index(*ml.layer);
                if (any_focus_layer ? fi < 0 : !ml.style->extent) continue;
                for (const auto& f : ml.layer->features) {
                    if (focused_out(f, fi)) continue;
                    if (ml.style->class_of(*ml.layer, f) < 0) continue;
                    Extent fe;
                    if (envelope(h_, f.geom.get(), fe)) grow(e, any, fe);
                }
            }
            if (!any) { // fall back to every layer
                for (const auto& ml : spec_.layers)
                    for (const auto& f : ml.layer->features) {
                        Extent fe;
                        if (envelope(h_, f.geom.get(), fe)) grow(e, any, fe);
                    }
            }
            if (!any)
                throw UsageError("nothing to draw: the map's layers hold no features" +
                                 (spec_.focus_field.empty()
                                      ? std::string()
                                      : " with " + spec_.focus_field + " = " + spec_.focus_value));
            const double min_size = spec_.min_extent_m / unit_m_; // a lone point gets a window
            double w = std::max(e.max_x - e.min_x, min_size);
            double hgt = std::max(e.max_y - e.min_y, min_size);
            const double cx = e.centre_x(), cy = e.centre_y();
            w *= 1 + 2 * spec_.margin;
            hgt *= 1 + 2 * spec_.margin;
            e = {cx - w / 2, cy - hgt / 2, cx + w / 2, cy + hgt / 2};
        }
        if (!(e.max_x > e.min_x) || !(e.max_y > e.min_y))
            throw UsageError("the map extent is empty");
        // Grow to the frame's aspect ratio around the centre.
        const double aspect = view_.fw / view_.fh;
        double w = e.max_x - e.min_x, hgt = e.max_y - e.min_y;
        if (w / hgt > aspect)
            hgt = w / aspect;
        else
            w = hgt * aspect;
        const double cx = e.centre_x(), cy = e.centre_y();
        view_.e = {cx - w / 2, cy - hgt / 2, cx + w / 2, cy + hgt / 2};
        view_.s = view_.fw / w;
    }

    // -- layers --
    void draw_layers() {
        // Features whose envelope crosses the frame are tested exactly, so that the legend
        // lists only what shows (a river whose bounding box touches the map need not).
        geos::GeomPtr frame(GEOSGeom_createRectangle_r(h_, view_.e.min_x, view_.e.min_y,
                                                       view_.e.max_x, view_.e.max_y));
        geos::PreparedPtr frame_prep(frame ? GEOSPrepare_r(h_, frame.get()) : nullptr);
        auto inside = [&](const Extent& fe) {
            return fe.min_x >= view_.e.min_x && fe.max_x <= view_.e.max_x &&
                   fe.min_y >= view_.e.min_y && fe.max_y <= view_.e.max_y;
        };
        std::size_t order = 0;
        for (const auto& ml : spec_.layers) {
            const io::Layer& l = *ml.layer;
            const LayerStyle& st = *ml.style;
            const int fi = focus_index(l);
            const int label_idx = st.label ? l.field_index(st.label->field) : -1;
            // Templates serve outputs of several versions: a missing label field costs
            // the labels, not the map.
            if (st.label && label_idx < 0 && !l.features.empty())
                log_warning("map: layer '" + l.name + "' has no field '" + st.label->field +
                            "' to label; its labels are left out");
            std::vector<long long> counts(std::max<std::size_t>(st.classes.size(), 1), 0);
            GeometryKind kind = l.kind;
            for (const auto& f : l.features) {
                if (focused_out(f, fi)) continue;
                const int cls = st.class_of(l, f);
                if (cls < 0) continue;
                Extent fe;
                if (!envelope(h_, f.geom.get(), fe) || !intersects(fe, view_.e)) continue;
                if (!inside(fe) && frame_prep &&
                    GEOSPreparedIntersects_r(h_, frame_prep.get(), f.geom.get()) == 0)
                    continue;
                const Symbol& sym = st.symbol_of(cls);
                GeometryKind drawn = GeometryKind::none;
                each_part(h_, f.geom.get(), [&](int type, const GEOSGeometry* g) {
                    if (type == GEOS_POLYGON) {
                        polygon_path(cr_, h_, g, view_);
                        paint_area(cr_, sym);
                        drawn = GeometryKind::polygon;
                    } else if (type == GEOS_LINESTRING || type == GEOS_LINEARRING) {
                        path_coords(cr_, h_, g, view_, false);
                        paint_line(cr_, sym);
                        if (sym.ticks_m > 0) chainage_ticks(g, sym, st, order);
                        drawn = GeometryKind::line;
                    } else if (type == GEOS_POINT) {
                        double x = 0, y = 0;
                        GEOSGeomGetX_r(h_, g, &x);
                        GEOSGeomGetY_r(h_, g, &y);
                        const double X = view_.px(x), Y = view_.py(y);
                        paint_marker(cr_, sym, X, Y);
                        const double r = sym.size_mm / 2;
                        occupied_.push_back({X - r, Y - r, X + r, Y + r});
                        drawn = GeometryKind::point;
                    }
                });
                if (drawn == GeometryKind::none) continue;
                if (kind == GeometryKind::mixed || kind == GeometryKind::none) kind = drawn;
                ++counts[static_cast<std::size_t>(cls)];
                ++res_.features_drawn;
                if (label_idx >= 0) add_label(f, *st.label, label_idx, sym, order++);
            }
            if (!st.legend) continue;
            for (std::size_t c = 0; c < counts.size(); ++c) {
                if (counts[c] == 0) continue;
                LegendEntry e;
                e.group = st.title(spec_.lang);
                e.label = st.classes.empty() ? "" : st.classes[c].label(spec_.lang);
                e.symbol = st.symbol_of(static_cast<int>(c));
                e.kind = kind;
                e.features = counts[c];
                legend_layers_.push_back(e);
            }
        }
        // Legend: top layer first, classes in style order within a layer.
        std::vector<LegendEntry> ordered;
        std::size_t i = legend_layers_.size();
        while (i > 0) {
            std::size_t j = i;
            while (j > 0 && legend_layers_[j - 1].group == legend_layers_[i - 1].group)
                --j;
            ordered.insert(ordered.end(), legend_layers_.begin() + static_cast<long>(j),
                           legend_layers_.begin() + static_cast<long>(i));
            i = j;
        }
        res_.legend = std::move(ordered);
    }

    void add_label(const io::Feature& f, const LabelStyle& ls, int idx, const Symbol& sym,
                   std::size_t order) {
        LabelCandidate c;
        c.text = io::Layer::text(f.values[static_cast<std::size_t>(idx)]);
        if (c.text.empty()) return;
        c.text = ls.prefix + c.text + ls.suffix;
        c.style = &ls;
        c.size_pt = ls.size_pt;
        c.priority = ls.priority;
        c.order = order;
        const int type = GEOSGeomTypeId_r(h_, f.geom.get());
        if (type == GEOS_POINT || type == GEOS_MULTIPOINT) {
            const GEOSGeometry* p =
                type == GEOS_POINT ? f.geom.get() : GEOSGetGeometryN_r(h_, f.geom.get(), 0);
            double x = 0, y = 0;
            GEOSGeomGetX_r(h_, p, &x);
            GEOSGeomGetY_r(h_, p, &y);
            const double X = view_.px(x), Y = view_.py(y), d = sym.size_mm / 2 + 0.6;
            c.anchors = {{X + d, Y, 0, 0.5},   {X - d, Y, 1, 0.5},   {X, Y - d, 0.5, 1},
                         {X, Y + d, 0.5, 0},   {X + d, Y - d, 0, 1}, {X - d, Y - d, 1, 1},
                         {X + d, Y + d, 0, 0}, {X - d, Y + d, 1, 0}};
        } else if (type == GEOS_LINESTRING || type == GEOS_MULTILINESTRING) {
            for (double t : {0.5, 0.3, 0.7}) {
                geos::GeomPtr p(GEOSInterpolateNormalized_r(h_, f.geom.get(), t));
                if (!p) continue;
                double x = 0, y = 0;
                GEOSGeomGetX_r(h_, p.get(), &x);
                GEOSGeomGetY_r(h_, p.get(), &y);
                c.anchors.push_back({view_.px(x), view_.py(y), 0.5, 1.1});
            }
        } else {
            // Polygons: a point inside, clipped to the view for large ones.
            geos::GeomPtr p(GEOSPointOnSurface_r(h_, f.geom.get()));
            if (!p) return;
            double x = 0, y = 0;
            GEOSGeomGetX_r(h_, p.get(), &x);
            GEOSGeomGetY_r(h_, p.get(), &y);
            c.anchors.push_back({view_.px(x), view_.py(y), 0.5, 0.5});
        }
        labels_.push_back(std::move(c));
    }

    void chainage_ticks(const GEOSGeometry* line, const Symbol& s, const LayerStyle& st,
                        std::size_t order) {
        const GEOSCoordSequence* seq = GEOSGeom_getCoordSeq_r(h_, line);
        unsigned n = 0;
        if (!seq || !GEOSCoordSeq_getSize_r(h_, seq, &n) || n < 2) return;
        const double step = s.ticks_m / unit_m_;
        double along = 0, next = step;
        double px = 0, py = 0;
        GEOSCoordSeq_getXY_r(h_, seq, 0, &px, &py);
        Symbol t = s;
        t.dash_mm.clear();
        int k = 1;
        for (unsigned i = 1; i < n; ++i) {
            double x = 0, y = 0;
            GEOSCoordSeq_getXY_r(h_, seq, i, &x, &y);
            const double len = std::hypot(x - px, y - py);
            while (len > 0 && next <= along + len) {
                const double u = (next - along) / len;
                const double tx = px + u * (x - px), ty = py + u * (y - py);
                // Perpendicular on the page (y down).
                const double dx = (x - px) / len, dy = -(y - py) / len;
                const double X = view_.px(tx), Y = view_.py(ty), half = 1.2;
                cairo_move_to(cr_, X - dy * half, Y + dx * half);
                cairo_line_to(cr_, X + dy * half, Y - dx * half);
                paint_line(cr_, t);
                if (s.tick_labels) {
                    LabelCandidate c;
                    char buf[32];
                    const double km = k * s.ticks_m / 1000.0;
                    if (std::abs(km - std::round(km)) < 1e-9)
                        std::snprintf(buf, sizeof buf, "%.0f km", km);
                    else
                        std::snprintf(buf, sizeof buf, "%.1f km", km);
                    c.text = buf;
                    c.size_pt = 5.5;
                    c.priority = (st.label ? st.label->priority : 0) - 1;
                    c.order = order;
                    c.anchors = {{X + dy * 2, Y - dx * 2, 0.5, 0.5},
                                 {X - dy * 2, Y + dx * 2, 0.5, 0.5}};
                    labels_.push_back(std::move(c));
                }
                next += step;
                ++k;
            }
            along += len;
            px = x, py = y;
        }
    }

    /// Places labels greedily (priority, then drawing order): the first anchor position
    /// whose box lies inside the frame and overlaps no symbol, element or placed label.
    void place_labels() {
        std::stable_sort(labels_.begin(), labels_.end(),
                         [](const LabelCandidate& a, const LabelCandidate& b) {
                             return a.priority > b.priority;
                         });
        const Rect frame{view_.fx + 0.5, view_.fy + 0.5, view_.fx + view_.fw - 0.5,
                         view_.fy + view_.fh - 0.5};
        static const LabelStyle plain;
        for (const auto& c : labels_) {
            const LabelStyle& ls = c.style ? *c.style : plain;
            LayoutPtr l = text_.layout(c.text, c.size_pt);
            const auto [w, hgt] = Text::size(l.get());
            bool placed = false;
            for (const auto& a : c.anchors) {
                const double x = a[0] - a[2] * w, y = a[1] - a[3] * hgt;
                const Rect box{x, y + hgt * 0.1, x + w, y + hgt * 0.9};
                if (!box.inside(frame)) continue;
                bool clash = false;
                for (const auto& o : occupied_)
                    if (box.overlaps(o)) {
                        clash = true;
                        break;
                    }
                // Point labels may not sit on their own marker: the marker's box is in
                // occupied_, and anchors start outside it.
                if (clash) continue;
                occupied_.push_back(box);
                const double halo[4] = {ls.halo_color.r, ls.halo_color.g, ls.halo_color.b,
                                        ls.halo_color.a};
                text_.draw(l.get(), x, y, ls.color.r, ls.color.g, ls.color.b, ls.color.a,
                           ls.halo ? 0.35 : 0, halo);
                placed = true;
                break;
            }
            placed ? ++res_.labels_placed : ++res_.labels_dropped;
        }
    }

    // -- map elements --
    void reserve_elements() {
        // North arrow and scale bar boxes keep labels off them.
        const double ax = view_.fx + view_.fw - 14, ay = view_.fy + 3;
        north_box_ = {ax, ay, ax + 11, ay + 20};
        occupied_.push_back(north_box_);
        scale_box_ = {view_.fx + 2, view_.fy + view_.fh - 12, view_.fx + 2 + 0.3 * view_.fw + 14,
                      view_.fy + view_.fh - 2};
        occupied_.push_back(scale_box_);
    }

    void draw_north_arrow() {
        // True north relative to grid north: the meridian's direction at the map centre.
        double angle = 0;
        try {
            Transform to_geo(spec_.crs, spec_.crs.geographic());
            Transform from_geo(spec_.crs.geographic(), spec_.crs);
            double x = view_.e.centre_x(), y = view_.e.centre_y();
            to_geo.apply(x, y);
            double x2 = x, y2 = y + 0.05;
            from_geo.apply(x2, y2);
            double x1 = x, y1 = y;
            from_geo.apply(x1, y1);
            angle = std::atan2(x2 - x1, y2 - y1);
        } catch (const Error&) {
            angle = 0;
        }
        res_.north_angle_deg = angle * 180 / k_pi;
        const double cx = (north_box_.x0 + north_box_.x1) / 2;
        const double cy = north_box_.y0 + 11.5;
        cairo_save(cr_);
        cairo_translate(cr_, cx, cy);
        cairo_rotate(cr_, angle);
        const double hgt = 8, w = 3.2;
        // Left half black, right half white, outlined.
        cairo_move_to(cr_, 0, -hgt);
        cairo_line_to(cr_, -w, hgt * 0.55);
        cairo_line_to(cr_, 0, hgt * 0.25);
        cairo_close_path(cr_);
        cairo_set_source_rgb(cr_, 0.1, 0.1, 0.1);
        cairo_fill(cr_);
        cairo_move_to(cr_, 0, -hgt);
        cairo_line_to(cr_, w, hgt * 0.55);
        cairo_line_to(cr_, 0, hgt * 0.25);
        cairo_close_path(cr_);
        cairo_set_source_rgb(cr_, 1, 1, 1);
        cairo_fill_preserve(cr_);
        cairo_set_source_rgb(cr_, 0.1, 0.1, 0.1);
        cairo_set_line_width(cr_, 0.25);
        cairo_stroke(cr_);
        cairo_move_to(cr_, 0, -hgt);
        cairo_line_to(cr_, -w, hgt * 0.55);
        cairo_line_to(cr_, 0, hgt * 0.25);
        cairo_close_path(cr_);
        cairo_stroke(cr_);
        LayoutPtr l = text_.layout(spec_.lang == io::Lang::zh ? "北" : "N", 9, true);
        const auto [tw, th] = Text::size(l.get());
        const double halo[4] = {1, 1, 1, 0.9};
        text_.draw(l.get(), -tw / 2, -hgt - th - 0.2, 0.1, 0.1, 0.1, 1, 0.4, halo);
        cairo_restore(cr_);
    }

    void draw_scale_bar() {
        const double max_mm = 0.3 * view_.fw;
        const double max_m = max_mm / view_.s * unit_m_;
        const double len_m = round_scale_length(max_m);
        const double len_mm = len_m / unit_m_ * view_.s;
        res_.scale_bar_m = len_m;
        res_.scale_bar_mm = len_mm;
        if (len_m <= 0) return;
        const double lead = len_m / std::pow(10.0, std::floor(std::log10(len_m)));
        const int segs = lead > 4.5 ? 5 : 4;
        const bool km = len_m >= 1000;
        auto fmt = [&](double m) {
            char buf[32];
            const double v = km ? m / 1000 : m;
            if (std::abs(v - std::round(v)) < 1e-9)
                std::snprintf(buf, sizeof buf, "%.0f", v);
            else
                std::snprintf(buf, sizeof buf, "%g", v);
            return std::string(buf);
        };
        const double x0 = view_.fx + 5, y0 = view_.fy + view_.fh - 6.5, bh = 1.6;
        // Backing so the bar reads over data.
        LayoutPtr unit = text_.layout(km ? " km" : " m", 6.5);
        const auto [uw, uh] = Text::size(unit.get());
        cairo_rectangle(cr_, x0 - 3.5, y0 - uh - 1.8, len_mm + uw + 8, bh + uh + 4);
        cairo_set_source_rgba(cr_, 1, 1, 1, 0.8);
        cairo_fill(cr_);
        for (int i = 0; i < segs; ++i) {
            const double sx = x0 + len_mm * i / segs;
            cairo_rectangle(cr_, sx, y0, len_mm / segs, bh);
            if (i % 2 == 0)
                cairo_set_source_rgb(cr_, 0.1, 0.1, 0.1);
            else
                cairo_set_source_rgb(cr_, 1, 1, 1);
            cairo_fill_preserve(cr_);
            cairo_set_source_rgb(cr_, 0.1, 0.1, 0.1);
            cairo_set_line_width(cr_, 0.2);
            cairo_stroke(cr_);
        }
        const double marks[3] = {0, len_m / 2, len_m};
        for (int i = 0; i < 3; ++i) {
            std::string t = fmt(marks[i]);
            LayoutPtr l = text_.layout(t, 6.5);
            const auto [w, hgt] = Text::size(l.get());
            const double x = x0 + len_mm * marks[i] / len_m - w / 2;
            text_.draw(l.get(), x, y0 - hgt - 0.2, 0.1, 0.1, 0.1);
            if (i == 2) text_.draw(unit.get(), x + w, y0 - hgt - 0.2, 0.1, 0.1, 0.1);
        }
    }

    void draw_frame() {
        cairo_save(cr_);
        cairo_rectangle(cr_, view_.fx, view_.fy, view_.fw, view_.fh);
        cairo_set_source_rgb(cr_, 0.1, 0.1, 0.1);
        cairo_set_line_width(cr_, 0.35);
        cairo_set_dash(cr_, nullptr, 0, 0);
        cairo_stroke(cr_);
        cairo_restore(cr_);
        try {
            geo_ticks();
        } catch (const Error&) {
            // A CRS without a usable inverse: the frame stays without ticks.
        }
    }

    /// Longitude ticks on the bottom and top edges, latitude ticks on the left and right
    /// edges, at round intervals, located by bisection along each edge.
    void geo_ticks() {
        Transform to_geo(spec_.crs, spec_.crs.geographic());
        const Extent& e = view_.e;
        auto geo = [&](double x, double y) {
            to_geo.apply(x, y);
            return std::pair<double, double>{x, y};
        };
        struct Edge {
            double x0, y0, x1, y1;
            bool lon; // tick values are longitudes (bottom/top) or latitudes
            int side; // 0 bottom, 1 top, 2 left, 3 right
        };
        const Edge edges[4] = {{e.min_x, e.min_y, e.max_x, e.min_y, true, 0},
                               {e.min_x, e.max_y, e.max_x, e.max_y, true, 1},
                               {e.min_x, e.min_y, e.min_x, e.max_y, false, 2},
                               {e.max_x, e.min_y, e.max_x, e.max_y, false, 3}};
        cairo_save(cr_);
        cairo_set_source_rgb(cr_, 0.1, 0.1, 0.1);
        cairo_set_line_width(cr_, 0.25);
        for (const auto& ed : edges) {
            auto val = [&](double t) {
                auto [lo, la] = geo(ed.x0 + t * (ed.x1 - ed.x0), ed.y0 + t * (ed.y1 - ed.y0));
                return ed.lon ? lo : la;
            };
            const double v0 = val(0), v1 = val(1);
            const double step = tick_interval_deg(std::abs(v1 - v0));
            for (double v = std::ceil(std::min(v0, v1) / step) * step; v <= std::max(v0, v1);
                 v += step) {
                // Bisection: val is monotonic along the edge.
                double a = 0, b = 1;
                const bool up = v1 > v0;
                for (int it = 0; it < 50; ++it) {
                    const double mid = (a + b) / 2;
                    ((val(mid) < v) == up ? a : b) = mid;
                }
                const double t = (a + b) / 2;
                const double X = view_.px(ed.x0 + t * (ed.x1 - ed.x0));
                const double Y = view_.py(ed.y0 + t * (ed.y1 - ed.y0));
                const double len = 1.5;
                double dx = 0, dy = 0;
                if (ed.side == 0) dy = 1;
                if (ed.side == 1) dy = -1;
                if (ed.side == 2) dx = -1;
                if (ed.side == 3) dx = 1;
                cairo_move_to(cr_, X, Y);
                cairo_line_to(cr_, X + dx * len, Y + dy * len);
                cairo_stroke(cr_);
                // Labels on the bottom and left edges only (top/right keep ticks), and
                // not where the panel or title would collide.
                if (ed.side != 0 && ed.side != 2) continue;
                LayoutPtr l = text_.layout(dms(v, ed.lon, spec_.lang), 5.5);
                const auto [w, hgt] = Text::size(l.get());
                if (ed.side == 0) {
                    if (X - w / 2 < view_.fx - 3 || X + w / 2 > view_.fx + view_.fw + 3) continue;
                    text_.draw(l.get(), X - w / 2, Y + len + 0.2, 0.1, 0.1, 0.1);
                } else {
                    if (Y - w / 2 < view_.fy - 1 || Y + w / 2 > view_.fy + view_.fh + 1) continue;
                    cairo_save(cr_);
                    cairo_translate(cr_, X - len - 0.3 - hgt, Y + w / 2);
                    cairo_rotate(cr_, -k_pi / 2);
                    text_.draw(l.get(), 0, 0, 0.1, 0.1, 0.1);
                    cairo_restore(cr_);
                }
            }
        }
        cairo_restore(cr_);
    }

    void draw_title() {
        if (spec_.title.empty()) return;
        const double width = pw_ - 16;
        LayoutPtr t = text_.layout(spec_.title, 16, true, width);
        pango_layout_set_alignment(t.get(), PANGO_ALIGN_CENTER);
        pango_layout_set_ellipsize(t.get(), PANGO_ELLIPSIZE_END);
        const auto [tw, th] = Text::size(t.get());
        (void)tw;
        text_.draw(t.get(), 8, title_y_, 0.05, 0.05, 0.05);
        if (!spec_.subtitle.empty()) {
            LayoutPtr s = text_.layout(spec_.subtitle, 10, false, width);
            pango_layout_set_alignment(s.get(), PANGO_ALIGN_CENTER);
            pango_layout_set_ellipsize(s.get(), PANGO_ELLIPSIZE_END);
            text_.draw(s.get(), 8, title_y_ + th + 0.3, 0.25, 0.25, 0.25);
        }
    }

    /// Legend entries (grouped under layer titles) and the notes block.
    void draw_panel() {
        const bool zh = spec_.lang == io::Lang::zh;
        // Notes: CRS, source, date, scale.
        std::string notes;
        notes += (zh ? "坐标系：" : "CRS: ") + spec_.crs.name();
        if (auto code = spec_.crs.epsg()) notes += " (EPSG:" + std::to_string(*code) + ")";
        notes += "\n";
        notes += (zh ? "比例尺：1:" : "Scale: 1:") +
                 thousands(static_cast<long long>(std::llround(res_.scale_denominator))) +
                 (zh ? "（纸面）" : " (on paper)") + "\n";
        if (!spec_.source_note.empty())
            notes += (zh ? "数据来源：" : "Data: ") + spec_.source_note + "\n";
        notes +=
            (zh ? "制图日期：" : "Date: ") + (spec_.date.empty() ? today() : spec_.date) + "\n";
        notes += zh ? "制图：soilrisk " SOILRISK_VERSION : "Made with soilrisk " SOILRISK_VERSION;

        const double pw = panel_.x1 - panel_.x0;
        const double notes_w = landscape_ ? pw : std::min(75.0, pw * 0.4);
        LayoutPtr nl = text_.layout(notes, 6, false, notes_w - 2);
        const auto [nw, nh] = Text::size(nl.get());
        (void)nw;
        const double notes_x = landscape_ ? panel_.x0 : panel_.x1 - notes_w;
        const double notes_y = panel_.y1 - nh;
        text_.draw(nl.get(), notes_x, notes_y, 0.25, 0.25, 0.25);

        // Legend box.
        const double lx0 = panel_.x0;
        const double lx1 = landscape_ ? panel_.x1 : panel_.x1 - notes_w - 4;
        const double ly0 = panel_.y0;
        const double ly1 = landscape_ ? notes_y - 3 : panel_.y1;
        cairo_save(cr_);
        cairo_rectangle(cr_, lx0, ly0, lx1 - lx0, ly1 - ly0);
        cairo_set_source_rgb(cr_, 0.1, 0.1, 0.1);
        cairo_set_line_width(cr_, 0.3);
        cairo_stroke(cr_);
        cairo_restore(cr_);
        LayoutPtr head = text_.layout(zh ? "图  例" : "Legend", 11, true);
        const auto [hw, hh] = Text::size(head.get());
        double y = ly0 + 2;
        text_.draw(head.get(), lx0 + (landscape_ ? (lx1 - lx0 - hw) / 2 : 3), y, 0.05, 0.05, 0.05);
        y += hh + 1.5;
        const double col_top = y;
        double x = lx0 + 3;
        const double col_w = landscape_ ? (lx1 - lx0 - 6) : 52;
        const double sw = 7, sh = 4.2, gap = 1.8;
        std::string group;
        bool truncated = false;
        for (std::size_t i = 0; i < res_.legend.size(); ++i) {
            const LegendEntry& e = res_.legend[i];
            const bool header = e.group != group && !e.label.empty();
            const double need = (header ? 5.2 : 0) + sh + gap;
            if (y + need > ly1 - 2) {
                x += col_w + 2;
                y = col_top;
                if (x + col_w > lx1 + 0.5) {
                    truncated = true;
                    break;
                }
            }
            if (header) {
                LayoutPtr g = text_.layout(e.group, 7.5, true, col_w);
                text_.draw(g.get(), x, y, 0.1, 0.1, 0.1);
                y += Text::size(g.get()).second + 0.8;
            }
            group = e.group;
            paint_swatch(cr_, e, x + 1, y, sw, sh);
            const std::string label = e.label.empty() ? e.group : e.label;
            LayoutPtr l = text_.layout(label, 7.5, false, col_w - sw - 4);
            const auto [w, hgt] = Text::size(l.get());
            (void)w;
            text_.draw(l.get(), x + sw + 3, y + sh / 2 - std::min(hgt, 4.0) / 2, 0.1, 0.1, 0.1);
            y += std::max(sh, hgt) + gap;
        }
        if (truncated) {
            LayoutPtr l = text_.layout(zh ? "（图例未列全）" : "(legend truncated)", 6);
            text_.draw(l.get(), lx0 + 3, ly1 - 4, 0.5, 0.1, 0.1);
        }
    }

    cairo_t* cr_;
    const MapSpec& spec_;
    Text text_;
    double pw_, ph_;
    geos::Context h_ = nullptr;
    double unit_m_ = 1;
    bool landscape_ = true;
    double title_y_ = 8;
    View view_;
    Rect panel_{0, 0, 0, 0}, north_box_{0, 0, 0, 0}, scale_box_{0, 0, 0, 0};
    RenderResult res_;
    std::vector<LegendEntry> legend_layers_;
    std::vector<LabelCandidate> labels_;
    std::vector<Rect> occupied_;
};

void check_surface(cairo_surface_t* s, const std::string& path) {
    const cairo_status_t st = cairo_surface_status(s);
    if (st != CAIRO_STATUS_SUCCESS)
        throw IoError("cannot write the map '" + path + "': " + cairo_status_to_string(st));
}

cairo_status_t append_png(void* closure, const unsigned char* data, unsigned int length) {
    static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
    return CAIRO_STATUS_SUCCESS;
}

struct PixelPage {
    int w = 0, h = 0;
    double wmm = 0, hmm = 0;
};

PixelPage pixel_page(const RenderOptions& o) {
    if (!(o.dpi >= 10 && o.dpi <= 2400)) throw UsageError("--dpi must be within 10..2400");
    const auto [wmm, hmm] = o.page.mm(o.dpi);
    PixelPage p{
        o.page.pixels() ? o.page.width_px : static_cast<int>(std::lround(wmm / 25.4 * o.dpi)),
        o.page.pixels() ? o.page.height_px : static_cast<int>(std::lround(hmm / 25.4 * o.dpi)), wmm,
        hmm};
    if (static_cast<double>(p.w) * p.h > 400e6)
        throw UsageError("the PNG would have " + std::to_string(p.w) + " × " + std::to_string(p.h) +
                         " pixels; lower --dpi");
    return p;
}

RenderResult draw_png(const MapSpec& spec, const RenderOptions& options, SurfacePtr& surface) {
    const PixelPage p = pixel_page(options);
    surface.reset(cairo_image_surface_create(CAIRO_FORMAT_ARGB32, p.w, p.h));
    check_surface(surface.get(), "(memory)");
    CairoPtr cr(cairo_create(surface.get()));
    cairo_scale(cr.get(), p.w / p.wmm, p.h / p.hmm);
    Page page(cr.get(), spec, p.wmm, p.hmm);
    RenderResult r = page.draw();
    r.width_px = p.w;
    r.height_px = p.h;
    cairo_surface_flush(surface.get());
    return r;
}

} // namespace

std::string render_png(const MapSpec& spec, const RenderOptions& options, RenderResult* result) {
    SurfacePtr surface;
    RenderResult r = draw_png(spec, options, surface);
    std::string png;
    if (cairo_surface_write_to_png_stream(surface.get(), &append_png, &png) != CAIRO_STATUS_SUCCESS)
        throw IoError("cannot encode the map as PNG");
    if (result) *result = std::move(r);
    return png;
}

std::vector<RenderResult> render_maps(const std::vector<MapSpec>& pages, const std::string& path,
                                      const RenderOptions& options, bool overwrite) {
    const Format format = format_for(path);
    if (pages.empty()) throw UsageError("no map to draw for '" + path + "'");
    if (format != Format::pdf && pages.size() > 1)
        throw UsageError("'" + path + "' holds one map; a series of " +
                         std::to_string(pages.size()) + " maps needs a .pdf or one file per map");
    io::AtomicOutput out(path, overwrite);
    std::vector<RenderResult> results;
    if (format == Format::png) {
        SurfacePtr surface;
        results.push_back(draw_png(pages[0], options, surface));
        const cairo_status_t st =
            cairo_surface_write_to_png(surface.get(), out.temp_path().c_str());
        if (st != CAIRO_STATUS_SUCCESS)
            throw IoError("cannot write the map '" + path + "': " + cairo_status_to_string(st));
    } else {
        const auto [wmm, hmm] = options.page.mm(options.dpi);
        const double wpt = wmm / 25.4 * 72, hpt = hmm / 25.4 * 72;
        SurfacePtr surface(format == Format::pdf
                               ? cairo_pdf_surface_create(out.temp_path().c_str(), wpt, hpt)
                               : cairo_svg_surface_create(out.temp_path().c_str(), wpt, hpt));
        check_surface(surface.get(), path);
        if (format == Format::pdf) {
            cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_CREATOR,
                                           "soilrisk " SOILRISK_VERSION);
            if (!pages[0].title.empty())
                cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_TITLE,
                                               pages[0].title.c_str());
        } else {
            cairo_svg_surface_set_document_unit(surface.get(), CAIRO_SVG_UNIT_PT);
        }
        {
            CairoPtr cr(cairo_create(surface.get()));
            cairo_scale(cr.get(), 72 / 25.4, 72 / 25.4);
            for (const auto& spec : pages) {
                cairo_save(cr.get());
                Page page(cr.get(), spec, wmm, hmm);
                results.push_back(page.draw());
                cairo_restore(cr.get());
                cairo_show_page(cr.get());
            }
        }
        cairo_surface_finish(surface.get());
        check_surface(surface.get(), path);
    }
    out.commit();
    return results;
}

namespace {

std::string safe_file_part(const std::string& v) {
    std::string out;
    for (unsigned char c : v)
        out += (std::isalnum(c) || c == '-' || c == '_' || c >= 0x80) ? static_cast<char>(c) : '_';
    return out.empty() ? "_" : out;
}

/// A display name for a series value: the `source_name` or `name` of the first feature
/// with that value, in the topmost layer that has both fields.
std::string series_name(const std::vector<MapLayer>& layers, const std::string& field,
                        const std::string& value) {
    // Top layers first: the sources' own layer is drawn above context layers.
    for (auto it = layers.rbegin(); it != layers.rend(); ++it) {
        const MapLayer& ml = *it;
        const int fi = ml.layer->field_index(field);
        if (fi < 0) continue;
        int ni = ml.layer->field_index("source_name");
        if (ni < 0) ni = ml.layer->field_index("name");
        if (ni < 0 || ni == fi) continue;
        for (const auto& f : ml.layer->features)
            if (io::Layer::text(f.values[static_cast<std::size_t>(fi)]) == value)
                return io::Layer::text(f.values[static_cast<std::size_t>(ni)]);
    }
    return {};
}

std::string caption(const MapSpec& s) {
    if (s.subtitle.empty()) return s.title;
    if (s.title.empty()) return s.subtitle;
    return s.title + " — " + s.subtitle;
}

} // namespace

std::vector<std::pair<std::string, MapSpec>> map_pages(const MapRequest& req,
                                                       const std::vector<MapLayer>& bound) {
    MapSpec base;
    base.layers = bound;
    base.crs = req.crs;
    base.lang = req.lang;
    base.title = req.title.empty() ? req.style.title(req.lang) : req.title;
    base.subtitle = req.subtitle.empty() ? req.style.subtitle(req.lang) : req.subtitle;
    base.source_note = req.source_note.empty() ? req.style.source(req.lang) : req.source_note;
    base.extent = req.extent;
    base.margin = req.margin;
    base.min_extent_m = req.min_extent_m;
    std::vector<std::pair<std::string, MapSpec>> pages;
    if (req.each.empty()) {
        pages.emplace_back("", base);
        return pages;
    }
    for (const auto& v : series_values(bound, req.each)) {
        MapSpec s = base;
        s.focus_field = req.each;
        s.focus_value = v;
        const std::string name = series_name(bound, req.each, v);
        s.subtitle = (name.empty() ? v : v + " " + name) +
                     (base.subtitle.empty() ? "" : "：" + base.subtitle);
        if (req.lang == io::Lang::en)
            s.subtitle = (name.empty() ? v : v + " " + name) +
                         (base.subtitle.empty() ? "" : ": " + base.subtitle);
        pages.emplace_back(v, std::move(s));
    }
    if (pages.empty())
        throw DataError("--each " + req.each + ": the layers hold no value of '" + req.each +
                        "' to make a map of");
    return pages;
}

std::vector<MapOutput> draw_maps(const MapRequest& req, const std::string& path, bool overwrite) {
    const Format format = format_for(path);
    const std::vector<MapLayer> bound = bind_layers(req.style, req.layers);
    const auto pages = map_pages(req, bound);
    std::vector<MapOutput> out;
    if (req.each.empty() || format == Format::pdf) {
        std::vector<MapSpec> specs;
        for (const auto& p : pages)
            specs.push_back(p.second);
        auto results = render_maps(specs, path, req.render, overwrite);
        for (std::size_t i = 0; i < results.size(); ++i)
            out.push_back({path, pages[i].first, caption(pages[i].second), std::move(results[i])});
        return out;
    }
    const auto dot = path.rfind('.');
    const std::string stem = path.substr(0, dot), ext = path.substr(dot);
    for (const auto& [value, spec] : pages) {
        const std::string p = stem + "_" + safe_file_part(value) + ext;
        auto results = render_maps({spec}, p, req.render, overwrite);
        out.push_back({p, value, caption(spec), std::move(results[0])});
    }
    return out;
}

} // namespace soilrisk::render
