// Maps: small scenes rendered to PNG/PDF/SVG and checked pixel by pixel (class colours where
// their polygons lie, legend = classes drawn, scale-bar length against the extent), PDF page
// count and size, SVG well-formedness, map series.
#include <catch2/catch.hpp>

#include <cairo.h>
#include <cmath>
#include <cpl_minixml.h>
#include <fstream>
#include <memory>
#include <regex>
#include <sstream>

#include "fixtures.hpp"
#include "soilrisk/core/error.hpp"
#include "soilrisk/core/geos.hpp"
#include "soilrisk/render/map.hpp"
#include "soilrisk/render/style.hpp"

using namespace soilrisk;
using namespace soilrisk::render;

namespace {

/// A layer in memory in EPSG:4545 (CGCS2000 GK CM 108E) with integer/text fields.
std::string square(double x, double y, double s) {
    std::ostringstream o;
    o.precision(12);
    o << "POLYGON((" << x << " " << y << "," << x + s << " " << y << "," << x + s << " " << y + s
      << "," << x << " " << y + s << "," << x << " " << y << "))";
    return o.str();
}

const char* k_style = R"(
[style]
name = "test"
title = "测试图"
[[layers]]
name = "parcels"
optional = true
title = "耕地类别"
classify = "category"
stroke = "none"
  [[layers.classes]]
  value = 1
  label = "优先保护类"
  fill = "@cat1"
  [[layers.classes]]
  value = 2
  label = "安全利用类"
  fill = "@cat2"
  [[layers.classes]]
  value = 3
  label = "严格管控类"
  fill = "@cat3"
[[layers]]
name = "mines"
optional = true
title = "矿区"
marker = "star"
size = 4
fill = "#6a1b9a"
extent = false
label = { field = "name", size = 8 }
)";

struct Image {
    std::unique_ptr<cairo_surface_t, void (*)(cairo_surface_t*)> s{nullptr, cairo_surface_destroy};
    int w = 0, h = 0, stride = 0;
    const unsigned char* data = nullptr;
    explicit Image(const std::string& path) {
        s.reset(cairo_image_surface_create_from_png(path.c_str()));
        REQUIRE(cairo_surface_status(s.get()) == CAIRO_STATUS_SUCCESS);
        w = cairo_image_surface_get_width(s.get());
        h = cairo_image_surface_get_height(s.get());
        stride = cairo_image_surface_get_stride(s.get());
        data = cairo_image_surface_get_data(s.get());
    }
    /// (r, g, b) at a pixel (ARGB32, opaque page).
    std::array<int, 3> at(int x, int y) const {
        const auto* p = reinterpret_cast<const std::uint32_t*>(data + y * stride) + x;
        return {int(*p >> 16 & 255), int(*p >> 8 & 255), int(*p & 255)};
    }
};

bool near_colour(std::array<int, 3> px, const Color& c, int tol = 3) {
    return std::abs(px[0] - c.r8()) <= tol && std::abs(px[1] - c.g8()) <= tol &&
           std::abs(px[2] - c.b8()) <= tol;
}

int count_pages(const std::string& pdf) {
    static const std::regex page(R"(/Type\s*/Page[^s])");
    return static_cast<int>(
        std::distance(std::sregex_iterator(pdf.begin(), pdf.end(), page), std::sregex_iterator()));
}

} // namespace

TEST_CASE("Colours, filters and page sizes parse", "[render][style]") {
    CHECK(Color::parse("#4caf50").hex() == "#4caf50");
    CHECK(Color::parse("#fff").r8() == 255);
    CHECK(Color::parse("#00000080").a8() == 128);
    CHECK_THROWS_AS(Color::parse("green"), UsageError);

    io::Layer l =
        test::memory_layer("p", io::GeometryKind::polygon, {"category", "proposed_category"},
                           {{square(0, 0, 1), {std::int64_t{2}, std::int64_t{3}}},
                            {square(2, 0, 1), {std::string("1"), std::int64_t{1}}}});
    const auto& a = l.features[0];
    const auto& b = l.features[1];
    CHECK(Filter::parse("category = 2").matches(l, a));
    CHECK_FALSE(Filter::parse("category = 2").matches(l, b));
    CHECK(Filter::parse("category in (1, 3)").matches(l, b));
    CHECK(Filter::parse("category >= 2").matches(l, a));
    CHECK(Filter::parse("proposed_category > $category").matches(l, a));
    CHECK_FALSE(Filter::parse("proposed_category > $category").matches(l, b));
    CHECK(Filter::parse("proposed_category != $category").matches(l, a));
    CHECK_FALSE(Filter::parse("missing = 1").matches(l, a));
    CHECK_THROWS_AS(Filter::parse("category"), UsageError);
    CHECK_THROWS_AS(Filter::parse("category in 1,2"), UsageError);

    CHECK(PageSize::parse("A4").width_mm == 297);
    CHECK(PageSize::parse("A3-portrait").height_mm == 420);
    CHECK(PageSize::parse("1600x1200").width_px == 1600);
    CHECK(PageSize::parse("800x600").mm(254).first == Approx(80));
    CHECK_THROWS_AS(PageSize::parse("B5"), UsageError);
    CHECK(format_for("a/b.PDF") == Format::pdf);
    CHECK_THROWS_AS(format_for("map.jpg"), UsageError);

    CHECK(round_scale_length(2450) == 2000);
    CHECK(round_scale_length(51700) == 50000);
    CHECK(round_scale_length(999) == 500);
    CHECK(round_scale_length(1000) == 1000);
    CHECK(round_scale_length(7.5) == 5);
}

TEST_CASE("Style files: palette references, class values, unknown keys are errors",
          "[render][style]") {
    const Style s = parse_style(k_style, "test.toml");
    REQUIRE(s.layers.size() == 2);
    CHECK(s.layers[0].classes.size() == 3);
    CHECK(*s.layers[0].classes[0].symbol.fill == category_color(1));
    CHECK(s.layers[0].classes[2].filter->text() == "category = 3");
    CHECK(s.layers[1].symbol.marker == Marker::star);
    CHECK(s.layers[1].label->field == "name");

    try {
        parse_style("[[layers]]\nname = \"a\"\nfil = \"#fff\"\n", "bad.toml");
        FAIL("no error");
    } catch (const UsageError& e) {
        CHECK_THAT(e.what(), Catch::Contains("bad.toml:3") && Catch::Contains("'fil'"));
    }
    CHECK_THROWS_WITH(parse_style("[[layers]]\nname = \"a\"\nfill = \"@nope\"\n", "p.toml"),
                      Catch::Contains("no colour '@nope'"));
    CHECK_THROWS_AS(parse_style("[style]\nname = \"x\"\n", "empty.toml"), UsageError);
}

TEST_CASE("Every shipped template loads", "[render][style]") {
    const auto names = template_names();
    for (const char* want :
         {"farmland", "near", "downstream", "upstream", "classify", "plan-sampling"}) {
        INFO(want);
        CHECK(std::find(names.begin(), names.end(), want) != names.end());
    }
    for (const auto& n : names) {
        INFO(n);
        const Style s = load_template(n);
        CHECK_FALSE(s.layers.empty());
        CHECK_FALSE(s.title_zh.empty());
        CHECK_FALSE(s.title_en.empty());
    }
    // The keyed layer and field names of the analyses' outputs.
    auto has_layer = [](const Style& s, const std::string& name) {
        for (const auto& l : s.layers)
            if (l.name == name) return true;
        return false;
    };
    CHECK(has_layer(load_template("near"), "pieces"));
    CHECK(has_layer(load_template("downstream"), "downstream_parcels"));
    CHECK(has_layer(load_template("classify"), "parcels"));
    CHECK(has_layer(load_template("plan-sampling"), "plan"));
    CHECK_THROWS_WITH(load_template("nope"), Catch::Contains("near"));
}

TEST_CASE("A PNG map shows each class colour where its polygon lies, and a legend of the "
          "classes drawn",
          "[render][png]") {
    test::TempDir dir;
    // Two 2 km squares, categories 1 and 3 (none of 2), near Liuzhou in GK CM 108E.
    const double x0 = 600000, y0 = 2700000;
    io::Layer parcels = test::memory_layer("parcels", io::GeometryKind::polygon, {"category"},
                                           {{square(x0, y0, 2000), {std::int64_t{1}}},
                                            {square(x0 + 3000, y0, 2000), {std::int64_t{3}}}});
    io::Layer mines = test::memory_layer("mines", io::GeometryKind::point, {"name"},
                                         {{"POINT(602500 2701000)", {std::string("大厂矿")}}});
    const Style style = parse_style(k_style, "test.toml");
    MapSpec spec;
    spec.layers = bind_layers(style, {{"parcels", &parcels}, {"mines", &mines}});
    spec.crs = parcels.crs;
    spec.title = "测试图";
    RenderOptions opt;
    opt.dpi = 100;
    const std::string path = dir.file("map.png");
    const auto results = render_maps({spec}, path, opt, false);
    REQUIRE(results.size() == 1);
    const RenderResult& r = results[0];

    Image img(path);
    CHECK(img.w == 1169); // A4 landscape at 100 dpi
    CHECK(img.h == 827);
    CHECK(r.width_px == img.w);

    // Class colours at the polygons' centres (page mm -> px).
    const double k = 100 / 25.4;
    auto px = [&](double x, double y) {
        const auto [mx, my] = r.to_page(x, y);
        return img.at(static_cast<int>(mx * k), static_cast<int>(my * k));
    };
    CHECK(near_colour(px(x0 + 1000, y0 + 500), category_color(1)));
    CHECK(near_colour(px(x0 + 4000, y0 + 500), category_color(3)));
    // Between the squares: no class colour.
    CHECK_FALSE(near_colour(px(x0 + 2500, y0 + 1000), category_color(1)));
    CHECK_FALSE(near_colour(px(x0 + 2500, y0 + 1000), category_color(3)));

    // Not empty: a good share of the page is coloured.
    long coloured = 0;
    for (int y = 0; y < img.h; y += 2)
        for (int x = 0; x < img.w; x += 2) {
            const auto p = img.at(x, y);
            if (p[0] + p[1] + p[2] < 700) ++coloured;
        }
    CHECK(coloured > 5000);

    // Legend: the two classes drawn, and the mine; not 安全利用类.
    std::vector<std::string> labels;
    for (const auto& e : r.legend)
        labels.push_back(e.label.empty() ? e.group : e.label);
    CHECK(labels == std::vector<std::string>{"矿区", "优先保护类", "严格管控类"});
    CHECK(r.features_drawn == 3);
    CHECK(r.labels_placed == 1);

    // Scale bar: a round length, the right share of the frame for the extent it shows.
    const double width_m = r.extent.max_x - r.extent.min_x;
    CHECK(r.scale_bar_m == round_scale_length(0.3 * width_m));
    CHECK(r.scale_bar_mm == Approx(r.scale_bar_m / width_m * r.frame_w_mm));
    CHECK(r.scale_denominator == Approx(width_m * 1000 / r.frame_w_mm));
    // The fitted extent holds both squares with margin.
    CHECK(r.extent.min_x < x0);
    CHECK(r.extent.max_x > x0 + 5000);
    // The bar's first (black) segment in the image: from 5 mm inside the frame.
    const int bar_y = static_cast<int>((r.frame_y_mm + r.frame_h_mm - 6.5 + 0.8) * k);
    int first = -1, last = -1;
    for (int x = static_cast<int>(r.frame_x_mm * k) + 2; x < img.w; ++x) {
        const auto p = img.at(x, bar_y);
        const bool dark = p[0] < 60 && p[1] < 60 && p[2] < 60;
        if (dark && first < 0) first = x;
        if (!dark && first >= 0) {
            last = x;
            break;
        }
    }
    REQUIRE(first > 0);
    const double lead = r.scale_bar_m / std::pow(10.0, std::floor(std::log10(r.scale_bar_m)));
    const int segs = lead > 4.5 ? 5 : 4;
    CHECK((last - first) / k == Approx(r.scale_bar_mm / segs).margin(0.6));
    CHECK(first / k == Approx(r.frame_x_mm + 5).margin(0.6));
    // North arrow: CM 108E at about 109°E, 24.4°N: grid convergence about +0.4°.
    CHECK(r.north_angle_deg < 0);
    CHECK(r.north_angle_deg > -1);
}

TEST_CASE("Labels that would overlap are dropped", "[render][labels]") {
    std::vector<std::pair<std::string, std::vector<io::Value>>> rows;
    for (int i = 0; i < 20; ++i)
        rows.push_back(
            {"POINT(600000 2700000)", {std::string("一个很长的矿区名称 " + std::to_string(i))}});
    rows.push_back({"POINT(610000 2710000)", {std::string("远处矿区")}});
    io::Layer mines = test::memory_layer("mines", io::GeometryKind::point, {"name"}, rows);
    const Style style = parse_style(k_style, "test.toml");
    MapSpec spec;
    spec.layers = bind_layers(style, {{"mines", &mines}});
    spec.crs = mines.crs;
    RenderOptions opt;
    opt.dpi = 50;
    RenderResult r;
    const std::string png = render_png(spec, opt, &r);
    CHECK(png.substr(1, 3) == "PNG");
    CHECK(r.labels_placed + r.labels_dropped == 21);
    CHECK(r.labels_placed >= 2);
    CHECK(r.labels_placed <= 9); // 8 positions around the shared point, plus the far one
    CHECK(r.labels_dropped >= 12);
}

TEST_CASE("A PDF series has one A4 page per value, PNG and SVG series one file each",
          "[render][pdf][svg]") {
    test::TempDir dir;
    io::Layer parcels =
        test::memory_layer("pieces", io::GeometryKind::polygon, {"source_id", "category"},
                           {{square(600000, 2700000, 500), {std::string("M1"), std::int64_t{1}}},
                            {square(650000, 2750000, 500), {std::string("M2"), std::int64_t{2}}},
                            {square(680000, 2780000, 500), {std::string("M3"), std::int64_t{3}}}});
    MapRequest req;
    req.style = load_template("near");
    req.layers = {{"pieces", &parcels}};
    // near draws rings too; give it an empty rings layer to show optional/required binding.
    io::Layer rings = test::memory_layer("rings", io::GeometryKind::polygon, {"source_id"}, {});
    req.layers.push_back({"rings", &rings});
    req.crs = parcels.crs;
    req.each = "source_id";
    const std::string pdf = dir.file("near.pdf");
    const auto out = draw_maps(req, pdf, false);
    REQUIRE(out.size() == 3);
    CHECK(out[0].value == "M1");
    CHECK(out[2].value == "M3");
    // Each page fitted to its own source: extents do not overlap.
    CHECK(out[0].result.extent.max_x < out[1].result.extent.min_x);
    CHECK(out[0].result.legend.size() == 1);
    CHECK(out[0].result.legend[0].label == "优先保护类");
    CHECK(out[2].result.legend[0].label == "严格管控类");
    const std::string bytes = test::slurp(pdf);
    CHECK(bytes.rfind("%PDF-", 0) == 0);
    CHECK(count_pages(bytes) == 3);
    CHECK(bytes.find("/Count 3") != std::string::npos);
    CHECK(std::regex_search(bytes, std::regex(R"(/MediaBox \[ 0 0 841\.8[89]\d* 595\.27\d* \])")));

    // An existing output is not replaced without overwrite.
    CHECK_THROWS_AS(draw_maps(req, pdf, false), OutputExistsError);

    req.render.page = PageSize::parse("A4-portrait");
    const auto svgs = draw_maps(req, dir.file("near.svg"), false);
    REQUIRE(svgs.size() == 3);
    CHECK(svgs[1].path == dir.file("near_M2.svg"));
    const std::string svg = test::slurp(svgs[1].path);
    CPLXMLNode* root = CPLParseXMLString(svg.c_str());
    REQUIRE(root != nullptr);
    const CPLXMLNode* node = CPLSearchXMLNode(root, "=svg");
    REQUIRE(node != nullptr);
    CHECK(std::string(CPLGetXMLValue(node, "width", "")) == "595.275591pt");
    CPLDestroyXMLNode(root);

    req.each.clear();
    CHECK_THROWS_AS(render_maps({}, dir.file("x.png"), req.render, false), UsageError);
    // A geographic CRS cannot carry a metric scale bar.
    MapSpec geo;
    geo.layers = bind_layers(req.style, req.layers);
    geo.crs = Crs::from_epsg(4326);
    CHECK_THROWS_WITH(render_png(geo, req.render), Catch::Contains("projected"));
    // A missing required layer names itself.
    CHECK_THROWS_WITH(bind_layers(req.style, {{"rings", &rings}}), Catch::Contains("pieces"));
}
