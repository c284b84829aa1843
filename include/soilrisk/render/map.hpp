// Thematic maps on Cairo + Pango: PNG (raster, dpi), PDF (vector, one page per map) and
// SVG, with title, subtitle, legend of the classes actually drawn, scale bar, north arrow,
// frame with longitude/latitude ticks, CRS and data-source note and date.
//
// All layers of one map are in one projected (metric) CRS, the map's CRS: the scale bar is
// measured in it (grid distance, which in a Gauss–Krüger zone differs from ground distance
// by the point scale factor, under 0.1 % within a 3-degree zone). Text uses "Noto Sans CJK
// SC" through fontconfig (fonts-noto-cjk), falling back to whatever fontconfig offers.
//
// Page layout (millimetres): title band at the top, the map frame below it on the left, a
// legend panel on the right (landscape) or below the frame (portrait). The north arrow sits
// in the frame's top-right corner, the scale bar in its bottom-left corner.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "soilrisk/core/crs.hpp"
#include "soilrisk/io/table.hpp"
#include "soilrisk/io/vector.hpp"
#include "soilrisk/render/style.hpp"

namespace soilrisk::render {

using io::GeometryKind;

enum class Format { png, pdf, svg };
/// Format from the path's extension (.png, .pdf, .svg; case-insensitive); UsageError else.
Format format_for(const std::string& path);

/// Page size in millimetres, or in pixels (then millimetres follow from the dpi).
struct PageSize {
    double width_mm = 297, height_mm = 210;
    int width_px = 0, height_px = 0; ///< >0: a pixel size was asked for
    /// "A4", "A3", "A4-landscape", "A3-portrait" (A-sizes default to landscape), or
    /// "WIDTHxHEIGHT" in pixels ("1600x1200"). Throws UsageError.
    static PageSize parse(std::string_view text);
    bool pixels() const { return width_px > 0; }
    /// Millimetres of the page at `dpi` (pixel sizes convert; paper sizes as they are).
    std::pair<double, double> mm(double dpi) const;
};

/// One drawn layer: data and the style entry that draws it.
struct MapLayer {
    const io::Layer* layer = nullptr;
    const LayerStyle* style = nullptr;
};

/// Everything one map (one page) shows.
struct MapSpec {
    std::vector<MapLayer> layers; ///< drawn in order (first = bottom)
    Crs crs;                      ///< the layers' CRS: projected, metric
    std::string title, subtitle;
    std::string source_note; ///< data-source line
    std::string date;        ///< "" = today (YYYY-MM-DD)
    io::Lang lang = io::Lang::zh;
    std::optional<Extent> extent; ///< map extent; none: fitted to the layers (see below)
    double margin = 0.08;         ///< fitted extent grows by this share of its size per side
    double min_extent_m = 1000;   ///< a fitted extent is at least this wide and high (m)
    /// Map-series focus: in layers that have this field, only features whose value (as
    /// text) equals `focus_value` are drawn, and they alone decide the fitted extent.
    std::string focus_field, focus_value;
};

/// Output settings shared by every page of a file.
struct RenderOptions {
    PageSize page;
    double dpi = 300; ///< PNG resolution (PDF and SVG are vector; dpi only converts px sizes)
};

struct LegendEntry {
    std::string group; ///< layer title
    std::string label; ///< class label ("" for a single-symbol layer)
    Symbol symbol;
    GeometryKind kind = GeometryKind::polygon;
    long long features = 0; ///< features of this class drawn
};

/// What was drawn, for tests and logs. Page coordinates in millimetres from the top left.
struct RenderResult {
    Extent extent; ///< map extent in the map CRS
    double frame_x_mm = 0, frame_y_mm = 0, frame_w_mm = 0, frame_h_mm = 0;
    double page_w_mm = 0, page_h_mm = 0;
    int width_px = 0, height_px = 0; ///< PNG size (0 for PDF/SVG)
    double scale_denominator = 0;    ///< 1 : N on paper
    double scale_bar_m = 0;          ///< ground length of the scale bar (grid metres)
    double scale_bar_mm = 0;         ///< its length on the page
    double north_angle_deg = 0;      ///< true north, clockwise from grid north (map up)
    std::vector<LegendEntry> legend;
    long long features_drawn = 0;
    int labels_placed = 0, labels_dropped = 0;

    /// Page position (mm) of a map-CRS point.
    std::pair<double, double> to_page(double x, double y) const;
};

/// The round scale-bar length (1, 2 or 5 × 10^n metres) closest to, and not longer than,
/// `max_m`; 0 when max_m < 1 mm.
double round_scale_length(double max_m);

/// Renders `pages` into one file at `path` (format from the extension; written atomically,
/// replacing an existing file only with `overwrite`). PNG and SVG hold one page: more is a
/// UsageError. Throws UsageError (geographic or empty CRS, nothing to draw and no extent),
/// IoError (Cairo cannot write), OutputExistsError.
std::vector<RenderResult> render_maps(const std::vector<MapSpec>& pages, const std::string& path,
                                      const RenderOptions& options, bool overwrite);

/// A PNG of one map in memory (for reports). Same rules as render_maps.
std::string render_png(const MapSpec& page, const RenderOptions& options,
                       RenderResult* result = nullptr);

/// A layer offered to a style under a name (a project's layer key, a --layer NAME, or the
/// layer's own name in an --input file).
struct NamedLayer {
    std::string name;
    const io::Layer* layer = nullptr;
};

/// Binds a style to data: for each style layer, the first of name/aliases found among
/// `available` (case-insensitive). Missing non-optional layers throw UsageError naming the
/// style layer and listing what is available.
std::vector<MapLayer> bind_layers(const Style& style, const std::vector<NamedLayer>& available);

/// The distinct values (as text; in ascending numeric order when all are numbers, else
/// in byte order) of `field` over the features of the bound layers that have it, for a series
/// (`--each`). Throws UsageError when no bound layer has the field.
std::vector<std::string> series_values(const std::vector<MapLayer>& layers,
                                       const std::string& field);

/// A map or a map series from a style and the layers it draws: what `soilrisk map` and the
/// project step `map` ask for.
struct MapRequest {
    Style style;
    std::vector<NamedLayer> layers; ///< all in `crs`; bound to the style by name
    Crs crs;
    std::string title, subtitle; ///< "" = the style's
    std::string source_note;     ///< "" = the style's
    io::Lang lang = io::Lang::zh;
    std::string each; ///< series field ("" = one map)
    std::optional<Extent> extent;
    double margin = 0.08;
    double min_extent_m = 1000;
    RenderOptions render;
};

struct MapOutput {
    std::string path;
    std::string value;   ///< series value ("" for a single map)
    std::string caption; ///< "title — subtitle" of the page
    RenderResult result;
};

/// Draws the request into `path`. A series goes into one multi-page PDF, or, for PNG and
/// SVG, into one file per value named `<stem>_<value><ext>` (the value made safe for file
/// names). Each series page's subtitle names the value (and its `name`/`source_name`).
/// Throws as render_maps and bind_layers do.
std::vector<MapOutput> draw_maps(const MapRequest& request, const std::string& path,
                                 bool overwrite);

/// The MapSpec pages of a request (one, or one per series value), for callers that render
/// themselves (e.g. PNG previews for the report).
std::vector<std::pair<std::string, MapSpec>> map_pages(const MapRequest& request,
                                                       const std::vector<MapLayer>& bound);

} // namespace soilrisk::render
