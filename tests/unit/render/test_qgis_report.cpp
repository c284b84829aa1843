// QGIS styles (QML in layer_styles, SLD) and the HTML report.
#include <catch2/catch.hpp>

#include <cpl_minixml.h>
#include <filesystem>
#include <gdal_priv.h>
#include <geos_c.h>
#include <ogrsf_frmts.h>

#include "fixtures.hpp"
#include "soilrisk/core/error.hpp"
#include "soilrisk/core/geos.hpp"
#include "soilrisk/io/vector_writer.hpp"
#include "soilrisk/render/qgis_style.hpp"
#include "soilrisk/render/report.hpp"
#include "soilrisk/render/style.hpp"

using namespace soilrisk;
using namespace soilrisk::render;

namespace {

struct Xml {
    CPLXMLNode* root;
    explicit Xml(const std::string& text) : root(CPLParseXMLString(text.c_str())) {}
    ~Xml() {
        if (root) CPLDestroyXMLNode(root);
    }
    Xml(const Xml&) = delete;
    Xml& operator=(const Xml&) = delete;
};

int children_named(const CPLXMLNode* n, const char* name) {
    int k = 0;
    for (const CPLXMLNode* c = n ? n->psChild : nullptr; c; c = c->psNext)
        if (c->eType == CXT_Element && std::string(c->pszValue) == name) ++k;
    return k;
}

} // namespace

TEST_CASE("QML of a category layer is a categorized renderer with the category colours",
          "[render][qgis]") {
    const auto st = template_layer_style("pieces", {"source_id", "category"});
    REQUIRE(st);
    const std::string qml = qml_for(*st, io::GeometryKind::polygon, io::Lang::zh);
    Xml x(qml);
    REQUIRE(x.root);
    const CPLXMLNode* r = CPLSearchXMLNode(x.root, "=renderer-v2");
    REQUIRE(r);
    CHECK(std::string(CPLGetXMLValue(r, "type", "")) == "categorizedSymbol");
    CHECK(std::string(CPLGetXMLValue(r, "attr", "")) == "category");
    const CPLXMLNode* cats = CPLGetXMLNode(r, "categories");
    CHECK(children_named(cats, "category") == 3);
    CHECK(qml.find("label=\"严格管控类\"") != std::string::npos);
    // cat3 red (#e53935) as QGIS writes colours.
    CHECK(qml.find("v=\"229,57,53,255\"") != std::string::npos);
    CHECK(std::string(CPLGetXMLValue(CPLSearchXMLNode(x.root, "=qgis"), "layerGeometryType", "")) ==
          "2");

    // Classify's change layer uses rules with a field-to-field comparison.
    const auto cl = template_layer_styles("parcels", {}, "classify");
    REQUIRE(cl.size() == 2); // category fill, then change hatching
    const std::string rules = qml_for(cl[1], io::GeometryKind::polygon, io::Lang::en);
    Xml y(rules);
    REQUIRE(y.root);
    CHECK(std::string(CPLGetXMLValue(CPLSearchXMLNode(y.root, "=renderer-v2"), "type", "")) ==
          "RuleRenderer");
    CHECK(rules.find("&quot;proposed_category&quot; &gt; &quot;current_category&quot;") !=
          std::string::npos);
    CHECK(rules.find("Raised (stricter)") != std::string::npos);

    // Labels of the mines (points).
    const auto mines = template_layer_style("mines", {}, "farmland");
    REQUIRE(mines);
    const std::string mq = qml_for(*mines, io::GeometryKind::point, io::Lang::zh);
    CHECK(mq.find("fieldName=\"name\"") != std::string::npos);
    CHECK(mq.find("<prop k=\"name\" v=\"star\"/>") != std::string::npos);

    // SLD: well-formed, one rule per class.
    const std::string sld = sld_for(*st, io::GeometryKind::polygon, io::Lang::zh, "pieces");
    Xml s(sld);
    REQUIRE(s.root);
    const CPLXMLNode* fts = CPLSearchXMLNode(s.root, "=se:FeatureTypeStyle");
    REQUIRE(fts);
    CHECK(children_named(fts, "se:Rule") == 3);

    CHECK_FALSE(template_layer_style("whatever", {"x"}));
    CHECK(template_layer_style("whatever", {"category"})); // farmland-by-category fallback
}

TEST_CASE("A GeoPackage written with add_template_style carries a parseable QML in layer_styles",
          "[render][qgis][gpkg]") {
    test::TempDir dir;
    const std::string path = dir.file("near.gpkg");
    io::Table t;
    t.name = "pieces";
    t.columns = {{"source_id", "矿区", "Source"}, {"category", "类别", "Category"}};
    t.add_row({std::string("M1"), std::int64_t{3}});
    auto g =
        geos::from_wkt("POLYGON((600000 2700000,600100 2700000,600100 2700100,600000 2700000))");
    {
        io::GpkgWriter w(path, false);
        w.add_layer("pieces", io::OutputGeometry::multipolygon, Crs::from_epsg(4545), t, {g.get()});
        CHECK(add_template_style(w, "pieces", io::GeometryKind::polygon, {"source_id", "category"},
                                 io::Lang::zh, "near", dir.file("pieces.sld")));
        w.finish();
    }
    GDALAllRegister();
    GDALDatasetUniquePtr ds(GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR));
    REQUIRE(ds);
    OGRLayer* styles = ds->GetLayerByName("layer_styles");
    REQUIRE(styles);
    OGRFeatureUniquePtr f(styles->GetNextFeature());
    REQUIRE(f);
    CHECK(std::string(f->GetFieldAsString("f_table_name")) == "pieces");
    CHECK(f->GetFieldAsInteger("useAsDefault") == 1);
    const std::string qml = f->GetFieldAsString("styleQML");
    Xml x(qml);
    REQUIRE(x.root);
    CHECK(std::string(CPLGetXMLValue(CPLSearchXMLNode(x.root, "=renderer-v2"), "type", "")) ==
          "categorizedSymbol");
    Xml sld(f->GetFieldAsString("styleSLD"));
    CHECK(sld.root != nullptr);
    Xml side(test::slurp(dir.file("pieces.sld")));
    CHECK(side.root != nullptr);
}

namespace {

/// The <renderer-v2> of a QML document, its type and number of classes.
struct Renderer {
    std::string type;
    int classes = 0;
};

Renderer renderer_of(const std::string& qml) {
    Xml x(qml);
    REQUIRE(x.root);
    const CPLXMLNode* r = CPLSearchXMLNode(x.root, "=renderer-v2");
    REQUIRE(r);
    Renderer out{CPLGetXMLValue(r, "type", ""), 0};
    out.classes = children_named(CPLGetXMLNode(r, "categories"), "category") +
                  children_named(CPLGetXMLNode(r, "ranges"), "range");
    // Rules with a symbol, at any depth.
    std::vector<const CPLXMLNode*> todo = {CPLGetXMLNode(r, "rules")};
    while (!todo.empty()) {
        const CPLXMLNode* n = todo.back();
        todo.pop_back();
        for (const CPLXMLNode* c = n ? n->psChild : nullptr; c; c = c->psNext)
            if (c->eType == CXT_Element && std::string(c->pszValue) == "rule") {
                if (CPLGetXMLValue(c, "symbol", nullptr)) ++out.classes;
                todo.push_back(c);
            }
    }
    if (out.type == "singleSymbol") out.classes = 1;
    return out;
}

io::LayerStyleDocs styled(const std::string& tpl, const std::string& layer, io::GeometryKind kind,
                          io::Lang lang = io::Lang::zh,
                          const std::vector<std::string>& fields = {}) {
    const auto docs = output_styles(tpl, lang).style(layer, kind, fields);
    REQUIRE(docs);
    Xml sld(docs->sld);
    CHECK(sld.root != nullptr);
    return *docs;
}

} // namespace

TEST_CASE("Every layer soilrisk writes gets a QGIS style from its command's template",
          "[render][qgis]") {
    using K = io::GeometryKind;
    struct Want {
        const char* tpl;
        const char* layer;
        K kind;
        const char* type;
        int classes;
    };
    const Want wants[] = {
        {"near", "near_pieces", K::polygon, "categorizedSymbol", 3},
        {"near", "near_pieces_nearest", K::polygon, "categorizedSymbol", 3},
        {"near", "near_rings", K::polygon, "singleSymbol", 1},
        {"near", "near_rings_nearest", K::polygon, "singleSymbol", 1},
        {"classify", "parcels", K::polygon, "RuleRenderer", 5},
        {"classify", "samples", K::point, "categorizedSymbol", 3},
        {"classify", "crops", K::point, "categorizedSymbol", 3},
        {"classify", "units", K::polygon, "categorizedSymbol", 3},
        {"downstream", "flow_paths", K::line, "singleSymbol", 1},
        {"downstream", "corridors", K::polygon, "singleSymbol", 1},
        {"downstream", "downstream_parcels", K::polygon, "categorizedSymbol", 3},
        {"upstream", "catchments", K::polygon, "singleSymbol", 1},
        {"upstream", "targets", K::polygon, "singleSymbol", 1},
        {"upstream", "targets", K::point, "singleSymbol", 1},
        {"upstream", "upstream_sources", K::point, "RuleRenderer", 2},
        {"plan-sampling", "plan", K::point, "RuleRenderer", 6},
        {"plan-sampling", "units", K::polygon, "RuleRenderer", 2},
        {"sites", "sites", K::polygon, "categorizedSymbol", 3},
        {"sites", "site_conflicts", K::polygon, "categorizedSymbol", 2},
        {"sites", "site_uses", K::polygon, "categorizedSymbol", 2},
        {"sites", "site_receptors", K::line, "singleSymbol", 1},
        {"hydro", "streams", K::line, "graduatedSymbol", 5},
        {"hydro", "paths", K::line, "singleSymbol", 1},
        {"hydro", "profile", K::point, "singleSymbol", 1},
        {"hydro", "catchments", K::polygon, "singleSymbol", 1},
        {"sites", "no_such_layer", K::line, "singleSymbol", 1}, // the plain fallback
    };
    for (const auto& w : wants) {
        INFO(w.tpl << " / " << w.layer);
        const auto docs = styled(w.tpl, w.layer, w.kind);
        const Renderer r = renderer_of(docs.qml);
        CHECK(r.type == w.type);
        CHECK(r.classes == w.classes);
        Xml q(docs.qml);
        CHECK(std::string(CPLGetXMLValue(CPLSearchXMLNode(q.root, "=qgis"), "layerGeometryType",
                                         "")) == (w.kind == K::point  ? "0"
                                                  : w.kind == K::line ? "1"
                                                                      : "2"));
    }
}

TEST_CASE("Output styles: category colours, labels in the run's language, passes, ranges, ticks",
          "[render][qgis]") {
    using K = io::GeometryKind;
    // Category colours of the templates: 1 green, 2 yellow, 3 red; labels follow --lang.
    const auto zh = styled("downstream", "downstream_parcels", K::polygon).qml;
    CHECK(zh.find("v=\"76,175,80,255\"") != std::string::npos);  // #4caf50
    CHECK(zh.find("v=\"253,216,53,255\"") != std::string::npos); // #fdd835
    CHECK(zh.find("v=\"229,57,53,255\"") != std::string::npos);  // #e53935
    CHECK(zh.find("label=\"优先保护类\"") != std::string::npos);
    const auto en = styled("downstream", "downstream_parcels", K::polygon, io::Lang::en).qml;
    CHECK(en.find("label=\"Strict control\"") != std::string::npos);
    CHECK(en.find("严格管控类") == std::string::npos);

    // Classify parcels: proposed category fill, then change hatching over it, as two groups.
    const auto parcels = styled("classify", "parcels", K::polygon, io::Lang::en).qml;
    Xml p(parcels);
    const CPLXMLNode* rules = CPLSearchXMLNode(p.root, "=rules");
    REQUIRE(rules);
    CHECK(children_named(rules, "rule") == 2);
    CHECK(parcels.find("label=\"Proposed category\"") != std::string::npos);
    CHECK(parcels.find("label=\"Category change\"") != std::string::npos);
    CHECK(parcels.find("&quot;proposed_category&quot; = 3") != std::string::npos);
    CHECK(parcels.find("&quot;proposed_category&quot; &gt; &quot;current_category&quot;") !=
          std::string::npos);
    CHECK(parcels.find("f_diagonal") != std::string::npos);
    const auto parcels_sld = styled("classify", "parcels", K::polygon).sld;
    Xml ps(parcels_sld);
    CHECK(children_named(CPLSearchXMLNode(ps.root, "=UserStyle"), "se:FeatureTypeStyle") == 2);

    // Streams: a graduated renderer on strahler, widths growing with the order.
    const auto streams = styled("hydro", "streams", K::line, io::Lang::en).qml;
    Xml s(streams);
    const CPLXMLNode* r = CPLSearchXMLNode(s.root, "=renderer-v2");
    CHECK(std::string(CPLGetXMLValue(r, "attr", "")) == "strahler");
    const CPLXMLNode* ranges = CPLGetXMLNode(r, "ranges");
    REQUIRE(ranges);
    std::vector<std::pair<double, double>> bounds;
    for (const CPLXMLNode* c = ranges->psChild; c; c = c->psNext)
        if (c->eType == CXT_Element)
            bounds.emplace_back(CPLAtof(CPLGetXMLValue(c, "lower", "")),
                                CPLAtof(CPLGetXMLValue(c, "upper", "")));
    REQUIRE(bounds.size() == 5);
    CHECK(bounds[0].second == 1);
    CHECK(bounds[1] == std::pair<double, double>(1, 2));
    CHECK(bounds[3] == std::pair<double, double>(3, 4));
    CHECK(bounds[4].first == 4);
    CHECK(bounds[4].second > 1e300);
    CHECK(streams.find("label=\"Order 5 and above\"") != std::string::npos);
    CHECK(streams.find("k=\"line_width\" v=\"0.15\"") != std::string::npos);
    CHECK(streams.find("k=\"line_width\" v=\"1.2\"") != std::string::npos);

    // Flow paths: chainage ticks every km as a marker line.
    const auto paths = styled("downstream", "flow_paths", K::line).qml;
    CHECK(paths.find("class=\"MarkerLine\"") != std::string::npos);
    CHECK(paths.find("k=\"interval\" v=\"1000\"") != std::string::npos);
    CHECK(paths.find("k=\"interval_unit\" v=\"MapUnit\"") != std::string::npos);

    // Plan: legacy samples and ordered replacements before the designs; SLD rules exclude
    // the earlier classes (first match wins, as on the map).
    const auto plan = styled("plan-sampling", "plan", K::point);
    CHECK(plan.qml.find("&quot;kind&quot; = &#39;legacy&#39;") != std::string::npos);
    CHECK(plan.qml.find("NOT ((&quot;kind&quot; = &#39;legacy&#39;))") != std::string::npos);
    CHECK(plan.sld.find("<ogc:Not>") != std::string::npos);
}

TEST_CASE("GpkgWriter styles each layer through OutputStyles and writes SLD sidecars",
          "[render][qgis][gpkg]") {
    test::TempDir dir;
    const std::string path = dir.file("cls.gpkg");
    io::Table t;
    t.name = "parcels";
    t.columns = {
        {"parcel_id", "", ""}, {"current_category", "", ""}, {"proposed_category", "", ""}};
    t.add_row({std::string("P1"), std::int64_t{1}, std::int64_t{3}});
    io::Table summary;
    summary.name = "change_matrix";
    summary.columns = {{"n", "", ""}};
    summary.add_row({std::int64_t{1}});
    auto g =
        geos::from_wkt("POLYGON((600000 2700000,600100 2700000,600100 2700100,600000 2700000))");
    auto write = [&](bool overwrite) {
        io::GpkgWriter w(path, overwrite);
        w.set_styles(output_styles("classify", io::Lang::en, true));
        w.add_layer("parcels", io::OutputGeometry::multipolygon, Crs::from_epsg(4545), t,
                    {g.get()});
        w.add_layer("change_matrix", io::OutputGeometry::none, Crs::from_epsg(4545), summary, {});
        w.finish();
        return w.sidecars();
    };
    const auto sidecars = write(false);
    REQUIRE(sidecars.size() == 1); // attribute tables carry no style
    CHECK(sidecars[0] == io::sld_sidecar_path(path, "parcels"));
    CHECK(sidecars[0] == dir.file("cls_parcels.sld"));
    Xml side(test::slurp(sidecars[0]));
    CHECK(side.root != nullptr);

    GDALAllRegister();
    {
        GDALDatasetUniquePtr ds(GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR));
        REQUIRE(ds);
        OGRLayer* styles = ds->GetLayerByName("layer_styles");
        REQUIRE(styles);
        CHECK(styles->GetFeatureCount() == 1);
        OGRFeatureUniquePtr f(styles->GetNextFeature());
        REQUIRE(f);
        CHECK(std::string(f->GetFieldAsString("f_table_name")) == "parcels");
        CHECK(std::string(f->GetFieldAsString("f_geometry_column")) == "geom");
        CHECK(renderer_of(f->GetFieldAsString("styleQML")).type == "RuleRenderer");
        CHECK(std::string(f->GetFieldAsString("styleSLD")) == test::slurp(sidecars[0]));
    }
    // A sidecar in the way: nothing is replaced without overwrite, everything with it.
    std::filesystem::remove(path);
    CHECK_THROWS_AS(write(false), OutputExistsError);
    CHECK_FALSE(std::filesystem::exists(path));
    CHECK(write(true).size() == 1);
}

TEST_CASE("The report is one self-contained HTML file with maps, tables and the ranking",
          "[render][report]") {
    CHECK(base64("") == "");
    CHECK(base64("f") == "Zg==");
    CHECK(base64("fo") == "Zm8=");
    CHECK(base64("foobar") == "Zm9vYmFy");

    io::Table ranking;
    ranking.name = "ranking";
    ranking.title_zh = "矿区排序";
    ranking.columns = {{"source_id", "矿区", "Mine"}, {"area_mu", "面积（亩）", "Area (mu)", 2}};
    ranking.add_row({std::string("M2"), 123.456});
    ranking.add_row({std::string("M1 <b>"), 7.0});
    io::Table big;
    big.name = "big";
    big.columns = {{"i", "序号", "No."}};
    for (int i = 0; i < 300; ++i)
        big.add_row({std::int64_t{i}});

    Report r;
    r.title = "柳州示范";
    r.working_crs = "EPSG:4545";
    r.inputs.push_back({"farmland",
                        "farmland.gpkg",
                        "farmland",
                        "EPSG:4545",
                        "polygon",
                        12,
                        {"repaired 1 invalid geometry"}});
    r.ranking = &ranking;
    ReportStep s;
    s.name = "near";
    s.type = "near";
    s.parameters = {{"rings", "[0, 500, 1000]"}};
    s.maps.push_back({"矿区周边耕地", std::string("\x89PNG\r\n\x1a\n", 8)});
    s.tables.push_back({"big", &big});
    s.files.push_back({"near.gpkg", "layers", "pieces"});
    r.steps.push_back(s);
    r.warnings = {"something odd"};
    const std::string html = report_html(r);
    CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
    CHECK(html.find("lang=\"zh-CN\"") != std::string::npos);
    CHECK(html.find("矿区排序") != std::string::npos);
    CHECK(html.find("123.46") != std::string::npos);
    CHECK(html.find("M1 &lt;b&gt;") != std::string::npos); // escaped
    CHECK(html.find("data:image/png;base64,iVBORw0KGgo=") != std::string::npos);
    CHECK(html.find("@media print") != std::string::npos);
    CHECK(html.find("仅显示前 200 行（共 300 行）") != std::string::npos);
    CHECK(html.find("repaired 1 invalid geometry") != std::string::npos);
    // Self-contained: nothing fetched from elsewhere.
    CHECK(html.find("src=\"http") == std::string::npos);
    CHECK(html.find("<link") == std::string::npos);
    CHECK(html.find("<script") == std::string::npos);

    r.lang = io::Lang::en;
    const std::string en = report_html(r);
    CHECK(en.find("Mine ranking") != std::string::npos);
    CHECK(en.find("Area (mu)") != std::string::npos);

    test::TempDir dir;
    write_report(r, dir.file("report.html"), false);
    CHECK(test::slurp(dir.file("report.html")) == en);
    CHECK_THROWS_AS(write_report(r, dir.file("report.html"), false), OutputExistsError);
}
