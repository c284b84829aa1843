// Owning handles for Cairo and Pango objects, and text helpers shared by the renderer.
// Private to src/render.
#pragma once

#include <cairo.h>
#include <memory>
#include <pango/pangocairo.h>
#include <string>

namespace soilrisk::render::detail {

struct SurfaceDeleter {
    void operator()(cairo_surface_t* s) const noexcept { cairo_surface_destroy(s); }
};
struct CairoDeleter {
    void operator()(cairo_t* c) const noexcept { cairo_destroy(c); }
};
struct GObjectDeleter {
    void operator()(void* o) const noexcept { g_object_unref(o); }
};
struct FontDeleter {
    void operator()(PangoFontDescription* f) const noexcept { pango_font_description_free(f); }
};

using SurfacePtr = std::unique_ptr<cairo_surface_t, SurfaceDeleter>;
using CairoPtr = std::unique_ptr<cairo_t, CairoDeleter>;
using LayoutPtr = std::unique_ptr<PangoLayout, GObjectDeleter>;
using ContextPtr = std::unique_ptr<PangoContext, GObjectDeleter>;
using FontPtr = std::unique_ptr<PangoFontDescription, FontDeleter>;

/// The font family of every map text: Noto Sans CJK SC (fonts-noto-cjk), then fallbacks.
inline constexpr const char* k_font_family = "Noto Sans CJK SC, Noto Sans CJK, Noto Sans, sans";

/// Text drawing in a Cairo context whose user unit is the millimetre: Pango's resolution
/// is set so that a font size in points gives glyphs of that size on paper, with hinting
/// off so that PNG, PDF and SVG lay text out identically.
class Text {
  public:
    explicit Text(cairo_t* cr) : cr_(cr), ctx_(pango_cairo_create_context(cr)) {
        pango_cairo_context_set_resolution(ctx_.get(), 25.4); // 1 pt = 25.4/72 mm
        // A user unit is a millimetre: rounded glyph positions would snap letters to it.
        pango_context_set_round_glyph_positions(ctx_.get(), FALSE);
        cairo_font_options_t* fo = cairo_font_options_create();
        cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
        cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
        cairo_font_options_set_antialias(fo, CAIRO_ANTIALIAS_GRAY);
        pango_cairo_context_set_font_options(ctx_.get(), fo);
        cairo_font_options_destroy(fo);
    }

    /// A layout of `text` at `size_pt` (bold when asked); width_mm > 0 wraps.
    LayoutPtr layout(const std::string& text, double size_pt, bool bold = false,
                     double width_mm = 0) const {
        pango_cairo_update_context(cr_, ctx_.get());
        LayoutPtr l(pango_layout_new(ctx_.get()));
        FontPtr font(pango_font_description_from_string(k_font_family));
        pango_font_description_set_size(font.get(), static_cast<int>(size_pt * PANGO_SCALE));
        if (bold) pango_font_description_set_weight(font.get(), PANGO_WEIGHT_BOLD);
        pango_layout_set_font_description(l.get(), font.get());
        if (width_mm > 0) {
            pango_layout_set_width(l.get(), static_cast<int>(width_mm * PANGO_SCALE));
            pango_layout_set_wrap(l.get(), PANGO_WRAP_WORD_CHAR);
        }
        pango_layout_set_text(l.get(), text.c_str(), -1);
        return l;
    }

    /// Logical size in mm.
    static std::pair<double, double> size(PangoLayout* l) {
        int w = 0, h = 0;
        pango_layout_get_size(l, &w, &h);
        return {double(w) / PANGO_SCALE, double(h) / PANGO_SCALE};
    }

    /// Draws `l` with its top-left at (x, y); a halo of `halo_mm` when > 0.
    void draw(PangoLayout* l, double x, double y, double r, double g, double b, double a = 1,
              double halo_mm = 0, const double* halo_rgba = nullptr) const {
        cairo_save(cr_);
        cairo_move_to(cr_, x, y);
        pango_cairo_update_layout(cr_, l);
        if (halo_mm > 0 && halo_rgba) {
            pango_cairo_layout_path(cr_, l);
            cairo_set_line_join(cr_, CAIRO_LINE_JOIN_ROUND);
            cairo_set_line_width(cr_, 2 * halo_mm);
            cairo_set_source_rgba(cr_, halo_rgba[0], halo_rgba[1], halo_rgba[2], halo_rgba[3]);
            cairo_stroke(cr_);
            cairo_move_to(cr_, x, y);
        }
        cairo_set_source_rgba(cr_, r, g, b, a);
        pango_cairo_show_layout(cr_, l);
        cairo_restore(cr_);
    }

  private:
    cairo_t* cr_;
    ContextPtr ctx_;
};

} // namespace soilrisk::render::detail
