// QGIS styles (QML in layer_styles, SLD) and the HTML report.
#include <catch2/catch.hpp>

#include <cpl_minixml.h>
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
    const Style cl = load_template("classify");
    const std::string rules = qml_for(cl.layers[2], io::GeometryKind::polygon, io::Lang::en);
    Xml y(rules);
    REQUIRE(y.root);
    CHECK(std::string(CPLGetXMLValue(CPLSearchXMLNode(y.root, "=renderer-v2"), "type", "")) ==
          "RuleRenderer");
    CHECK(rules.find("&quot;proposed_category&quot; &gt; &quot;category&quot;") !=
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
