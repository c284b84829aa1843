// GpkgWriter: layers re-read with OGR, attribute tables, QGIS styles, metadata, atomicity.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <gdal_priv.h>
#include <geos_c.h>
#include <ogrsf_frmts.h>
#include <sstream>
#include <unistd.h>

#include "io/gpkg_bulk.hpp"
#include "soilrisk/core/crs.hpp"
#include "soilrisk/core/error.hpp"
#include "soilrisk/core/geos.hpp"
#include "soilrisk/io/vector_writer.hpp"

namespace fs = std::filesystem;
using namespace soilrisk;
using namespace soilrisk::io;

namespace {

struct ScratchDir {
    fs::path path;
    explicit ScratchDir(const std::string& name) {
        path = fs::temp_directory_path() /
               ("soilrisk-test-" + name + "-" + std::to_string(::getpid()));
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~ScratchDir() { fs::remove_all(path); }
    std::string file(const std::string& name) const { return (path / name).string(); }
    std::size_t count() const {
        return static_cast<std::size_t>(std::distance(fs::directory_iterator(path), {}));
    }
};

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

GDALDatasetUniquePtr open_vector(const std::string& path) {
    GDALAllRegister();
    return GDALDatasetUniquePtr(GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR));
}

/// Two parcels (GK zone 36, EPSG:4545) and their attributes.
struct Parcels {
    Table table;
    std::vector<geos::GeomPtr> geoms;
    std::vector<const GEOSGeom_t*> ptrs;
    Parcels() {
        table.name = "parcels";
        table.columns = {{"id", "编号", "ID"},
                         {"area_mu", "面积（亩）", "Area (mu)", 2},
                         {"category", "类别", "Category"},
                         {"mixed", "", ""},
                         {"empty", "", ""}};
        table.add_row({std::int64_t{1}, 15.0, std::string("严格管控类"), std::int64_t{2}, Value{}});
        table.add_row({std::int64_t{2}, 7.5, std::string("优先保护类"), 2.5, Value{}});
        table.add_row({std::int64_t{3}, Value{}, Value{}, Value{}, Value{}});
        geoms.push_back(geos::from_wkt("POLYGON((500000 3000000,500100 3000000,500100 "
                                       "3000100,500000 3000100,500000 3000000))"));
        geoms.push_back(geos::from_wkt("MULTIPOLYGON(((500200 3000000,500250 3000000,500250 "
                                       "3000100,500200 3000000)),((500300 3000000,500350 "
                                       "3000000,500350 3000100,500300 3000000)))"));
        for (const auto& g : geoms)
            ptrs.push_back(g.get());
        ptrs.push_back(nullptr); // a row without geometry
    }
};

const char* k_qml = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
                    "<qgis version=\"3.28.0\" styleCategories=\"Symbology\">"
                    "<renderer-v2 type=\"singleSymbol\"/></qgis>\n";

} // namespace

TEST_CASE("GpkgWriter writes a polygon layer that OGR reads back with types, CRS and geometry",
          "[io][gpkg]") {
    ScratchDir dir("gpkg-layer");
    const std::string path = dir.file("result.gpkg");
    Parcels p;
    {
        GpkgWriter w(path, false);
        CHECK(w.path() == path);
        w.add_layer("parcels", OutputGeometry::multipolygon, Crs::from_epsg(4545), p.table, p.ptrs);
        CHECK_FALSE(fs::exists(path)); // nothing at the final path before finish()
        w.finish();
    }
    CHECK(dir.count() == 1);

    auto ds = open_vector(path);
    REQUIRE(ds);
    CHECK(std::string(ds->GetDriver()->GetDescription()) == "GPKG");
    OGRLayer* layer = ds->GetLayerByName("parcels");
    REQUIRE(layer);
    CHECK(layer->GetFeatureCount() == 3);
    CHECK(wkbFlatten(layer->GetGeomType()) == wkbMultiPolygon);
    CHECK(std::string(layer->GetGeometryColumn()) == "geom");
    const OGRSpatialReference* srs = layer->GetSpatialRef();
    REQUIRE(srs);
    REQUIRE(srs->GetAuthorityCode(nullptr));
    CHECK(std::string(srs->GetAuthorityCode(nullptr)) == "4545");

    OGRFeatureDefn* defn = layer->GetLayerDefn();
    REQUIRE(defn->GetFieldCount() == 5);
    CHECK(defn->GetFieldDefn(defn->GetFieldIndex("id"))->GetType() == OFTInteger64);
    CHECK(defn->GetFieldDefn(defn->GetFieldIndex("area_mu"))->GetType() == OFTReal);
    CHECK(defn->GetFieldDefn(defn->GetFieldIndex("category"))->GetType() == OFTString);
    CHECK(defn->GetFieldDefn(defn->GetFieldIndex("mixed"))->GetType() == OFTReal);
    CHECK(defn->GetFieldDefn(defn->GetFieldIndex("empty"))->GetType() == OFTString);

    OGRFeatureUniquePtr f1(layer->GetNextFeature());
    REQUIRE(f1);
    CHECK(f1->GetFieldAsInteger64("id") == 1);
    CHECK(f1->GetFieldAsDouble("area_mu") == 15.0); // full precision, not rounded
    CHECK(std::string(f1->GetFieldAsString("category")) == "严格管控类");
    CHECK(f1->GetFieldAsDouble("mixed") == 2.0);
    CHECK(f1->IsFieldNull(defn->GetFieldIndex("empty")));
    const OGRGeometry* g1 = f1->GetGeometryRef();
    REQUIRE(g1);
    CHECK(wkbFlatten(g1->getGeometryType()) == wkbMultiPolygon); // promoted
    CHECK(g1->toMultiPolygon()->get_Area() == Approx(10000.0));
    OGREnvelope env;
    g1->getEnvelope(&env);
    CHECK(env.MinX == 500000.0);
    CHECK(env.MaxY == 3000100.0);

    OGRFeatureUniquePtr f2(layer->GetNextFeature());
    REQUIRE(f2);
    REQUIRE(f2->GetGeometryRef());
    CHECK(f2->GetGeometryRef()->toMultiPolygon()->getNumGeometries() == 2);
    CHECK(f2->GetFieldAsDouble("mixed") == 2.5);

    OGRFeatureUniquePtr f3(layer->GetNextFeature());
    REQUIRE(f3);
    CHECK(f3->GetGeometryRef() == nullptr);
    CHECK(f3->IsFieldNull(defn->GetFieldIndex("area_mu")));

    // The R-tree spatial index exists.
    OGRLayer* rtree = ds->ExecuteSQL(
        "SELECT COUNT(*) FROM sqlite_master WHERE name = 'rtree_parcels_geom'", nullptr, nullptr);
    REQUIRE(rtree);
    OGRFeatureUniquePtr count(rtree->GetNextFeature());
    CHECK(count->GetFieldAsInteger(0) == 1);
    ds->ReleaseResultSet(rtree);
}

TEST_CASE("GpkgWriter writes attribute-only layers for geometry type none", "[io][gpkg]") {
    ScratchDir dir("gpkg-none");
    const std::string path = dir.file("summary.gpkg");
    Table t;
    t.name = "summary";
    t.columns = {{"category", "类别", "Category"}, {"parcels", "地块数", "Parcels"}};
    t.add_row({std::string("安全利用类"), std::int64_t{12}});
    t.add_row({std::string("严格管控类"), std::int64_t{3}});
    {
        GpkgWriter w(path, false);
        w.add_layer("summary", OutputGeometry::none, Crs(), t, {});
        w.add_style("summary", k_qml);
        w.finish();
    }
    auto ds = open_vector(path);
    REQUIRE(ds);
    OGRLayer* layer = ds->GetLayerByName("summary");
    REQUIRE(layer);
    CHECK(layer->GetGeomType() == wkbNone);
    CHECK(layer->GetFeatureCount() == 2);
    OGRFeatureUniquePtr f(layer->GetNextFeature());
    REQUIRE(f);
    CHECK(std::string(f->GetFieldAsString("category")) == "安全利用类");
    CHECK(f->GetFieldAsInteger64("parcels") == 12);
    CHECK(layer->GetLayerDefn()->GetFieldDefn(1)->GetType() == OFTInteger64);

    OGRLayer* styles = ds->GetLayerByName("layer_styles");
    REQUIRE(styles);
    OGRFeatureUniquePtr s(styles->GetNextFeature());
    REQUIRE(s);
    CHECK(std::string(s->GetFieldAsString("f_table_name")) == "summary");
    CHECK(std::string(s->GetFieldAsString("f_geometry_column")).empty());
}

TEST_CASE("GpkgWriter views: listed as layers like their base, names checked", "[io][gpkg]") {
    ScratchDir dir("gpkg-view");
    const std::string path = dir.file("view.gpkg");
    Table t;
    t.name = "squares";
    t.columns = {{"k", "", ""}, {"size", "", ""}};
    std::vector<geos::GeomPtr> geoms;
    std::vector<const GEOSGeom_t*> ptrs;
    for (int k = 0; k < 5; ++k) {
        t.add_row({std::int64_t{k}, double(k + 1)});
        geoms.push_back(geos::from_wkt("POLYGON((0 0," + std::to_string(k + 1) + " 0," +
                                       std::to_string(k + 1) + " 1,0 1,0 0))"));
        ptrs.push_back(geoms.back().get());
    }
    {
        GpkgWriter w(path, false);
        w.add_layer("squares", OutputGeometry::multipolygon, Crs::from_epsg(4545), t, ptrs);
        CHECK_THROWS_AS(w.add_view("v", "SELECT fid, geom FROM squares", "nothing", {}),
                        std::logic_error);
        CHECK_THROWS_AS(w.add_view("squares", "SELECT fid, geom FROM squares", "squares", {}),
                        std::logic_error);
        // Odd sizes, fids counted down from 10.
        w.add_view("odd", "SELECT 10 - fid AS fid, geom, k, size FROM squares WHERE k % 2 = 0",
                   "squares", {"k", "size"});
        CHECK_THROWS_AS(w.add_view("odd", "SELECT fid, geom FROM squares", "squares", {}),
                        std::logic_error);
        w.finish();
    }
    auto ds = open_vector(path);
    REQUIRE(ds);
    OGRLayer* v = ds->GetLayerByName("odd");
    REQUIRE(v);
    CHECK(v->GetGeomType() == wkbMultiPolygon);
    REQUIRE(v->GetSpatialRef());
    CHECK(std::string(v->GetSpatialRef()->GetAuthorityCode(nullptr)) == "4545");
    CHECK(v->GetFeatureCount() == 3);
    std::vector<GIntBig> fids;
    for (auto& f : *v) {
        fids.push_back(f->GetFID());
        CHECK(f->GetFieldAsInteger64("k") == 10 - f->GetFID() - 1);
        CHECK(f->GetGeometryRef()->toMultiPolygon()->get_Area() ==
              Approx(f->GetFieldAsDouble("size")));
    }
    std::sort(fids.begin(), fids.end());
    CHECK(fids == std::vector<GIntBig>{5, 7, 9});
}

TEST_CASE("GpkgWriter stores QGIS styles in layer_styles with useAsDefault", "[io][gpkg]") {
    ScratchDir dir("gpkg-style");
    const std::string path = dir.file("styled.gpkg");
    Parcels p;
    {
        GpkgWriter w(path, false);
        w.add_layer("parcels", OutputGeometry::multipolygon, Crs::from_epsg(4545), p.table, p.ptrs);
        w.add_style("parcels", "<qgis>old</qgis>");
        w.add_style("parcels", k_qml, "<sld/>");
        CHECK_THROWS_AS(w.add_style("no_such_layer", k_qml), std::logic_error);
        w.finish();
    }
    auto ds = open_vector(path);
    REQUIRE(ds);
    OGRLayer* styles = ds->GetLayerByName("layer_styles");
    REQUIRE(styles);
    CHECK(std::string(styles->GetFIDColumn()) == "id");
    OGRFeatureDefn* defn = styles->GetLayerDefn();
    const std::vector<std::string> expected = {
        "f_table_catalog", "f_table_schema", "f_table_name", "f_geometry_column",
        "styleName",       "styleQML",       "styleSLD",     "useAsDefault",
        "description",     "owner",          "ui",           "update_time"};
    REQUIRE(defn->GetFieldCount() == static_cast<int>(expected.size()));
    for (std::size_t i = 0; i < expected.size(); ++i)
        CHECK(std::string(defn->GetFieldDefn(static_cast<int>(i))->GetNameRef()) == expected[i]);
    CHECK(defn->GetFieldDefn(7)->GetSubType() == OFSTBoolean);
    CHECK(defn->GetFieldDefn(11)->GetType() == OFTDateTime);

    // The query QGIS runs to find a layer's default style.
    styles->SetAttributeFilter("f_table_schema = '' AND f_table_name = 'parcels' AND "
                               "f_geometry_column = 'geom' AND useAsDefault = 1");
    CHECK(styles->GetFeatureCount() == 1);
    OGRFeatureUniquePtr s(styles->GetNextFeature());
    REQUIRE(s);
    CHECK(std::string(s->GetFieldAsString("styleQML")) == k_qml);
    CHECK(std::string(s->GetFieldAsString("styleSLD")) == "<sld/>");
    CHECK(std::string(s->GetFieldAsString("styleName")) == "parcels");
    CHECK_FALSE(s->IsFieldNull(s->GetFieldIndex("f_table_catalog")));
    CHECK(s->IsFieldSetAndNotNull(s->GetFieldIndex("update_time")));
    styles->SetAttributeFilter("useAsDefault = 0");
    CHECK(styles->GetFeatureCount() == 1); // the first style was demoted
}

TEST_CASE("GpkgWriter records provenance in soilrisk_about and GeoPackage metadata", "[io][gpkg]") {
    ScratchDir dir("gpkg-meta");
    const std::string path = dir.file("meta.gpkg");
    Parcels p;
    {
        GpkgWriter w(path, false);
        w.add_layer("parcels", OutputGeometry::multipolygon, Crs::from_epsg(4545), p.table, p.ptrs);
        w.add_metadata({{"soilrisk_version", "0.1.0"}, {"command", "soilrisk near --lang zh"}});
        w.add_metadata({{"working_crs", "EPSG:4545"}});
        w.finish();
    }
    auto ds = open_vector(path);
    REQUIRE(ds);
    OGRLayer* about = ds->GetLayerByName("soilrisk_about");
    REQUIRE(about);
    CHECK(about->GetFeatureCount() == 3);
    OGRFeatureUniquePtr f(about->GetNextFeature());
    REQUIRE(f);
    CHECK(std::string(f->GetFieldAsString("key")) == "soilrisk_version");
    CHECK(std::string(f->GetFieldAsString("value")) == "0.1.0");
    const char* crs = ds->GetMetadataItem("working_crs");
    REQUIRE(crs);
    CHECK(std::string(crs) == "EPSG:4545");

    OGRLayer* md = ds->ExecuteSQL("SELECT COUNT(*) FROM gpkg_metadata_reference WHERE "
                                  "reference_scope = 'geopackage'",
                                  nullptr, nullptr);
    REQUIRE(md);
    OGRFeatureUniquePtr count(md->GetNextFeature());
    CHECK(count->GetFieldAsInteger(0) >= 1);
    ds->ReleaseResultSet(md);
}

TEST_CASE("GpkgWriter into a missing folder is an IoError naming the folder", "[io][gpkg]") {
    ScratchDir dir("gpkg-nofolder");
    const std::string folder = dir.file("missing");
    try {
        GpkgWriter w(folder + "/out.gpkg", false);
        FAIL("no exception");
    } catch (const IoError& e) {
        CHECK_THAT(e.what(), Catch::Contains("'" + folder + "'"));
    }
    CHECK(dir.count() == 0);
}

TEST_CASE("GpkgWriter leaves an existing output alone and cleans up when not finished",
          "[io][gpkg]") {
    ScratchDir dir("gpkg-atomic");
    const std::string path = dir.file("result.gpkg");
    { std::ofstream(path) << "old"; }
    CHECK_THROWS_AS(GpkgWriter(path, false), OutputExistsError);
    CHECK(read_text(path) == "old");

    Parcels p;
    {
        GpkgWriter w(path, true);
        w.add_layer("parcels", OutputGeometry::multipolygon, Crs::from_epsg(4545), p.table, p.ptrs);
        // destroyed without finish(): as on an error
    }
    CHECK(read_text(path) == "old");
    CHECK(dir.count() == 1);

    // A geometry that does not fit the layer type fails before anything is committed.
    {
        GpkgWriter w(path, true);
        CHECK_THROWS_WITH(
            w.add_layer("parcels", OutputGeometry::polygon, Crs::from_epsg(4545), p.table, p.ptrs),
            Catch::Contains("row 2"));
        // The half-written file can only be discarded.
        CHECK_THROWS_AS(w.finish(), std::logic_error);
    }
    CHECK(read_text(path) == "old");
    CHECK(dir.count() == 1);

    CHECK_THROWS_AS(GpkgWriter(dir.file("result.shp"), true), UsageError);
}

TEST_CASE("GpkgWriter writes points and lines, several layers in one file", "[io][gpkg]") {
    ScratchDir dir("gpkg-multi");
    const std::string path = dir.file("multi.gpkg");
    Table pts;
    pts.name = "samples";
    pts.columns = {{"code", "编号", "Code"}};
    pts.add_row({std::string("S1")});
    pts.add_row({std::string("S2")});
    auto a = geos::from_wkt("POINT(500010 3000020)");
    auto b = geos::from_wkt("POINT EMPTY");
    Table lines;
    lines.name = "paths";
    lines.columns = {{"length_m", "长度（米）", "Length (m)", 1}};
    lines.add_row({100.0});
    auto l = geos::from_wkt("LINESTRING(500000 3000000,500100 3000000)");
    {
        GpkgWriter w(path, false);
        w.add_layer("samples", OutputGeometry::point, Crs::from_epsg(4545), pts,
                    {a.get(), b.get()});
        w.add_layer("paths", OutputGeometry::multiline, Crs::from_epsg(4545), lines, {l.get()});
        CHECK_THROWS_AS(
            w.add_layer("paths", OutputGeometry::line, Crs::from_epsg(4545), lines, {l.get()}),
            std::logic_error);
        w.finish();
        CHECK_THROWS_AS(w.finish(), std::logic_error);
    }
    auto ds = open_vector(path);
    REQUIRE(ds);
    OGRLayer* samples = ds->GetLayerByName("samples");
    REQUIRE(samples);
    CHECK(wkbFlatten(samples->GetGeomType()) == wkbPoint);
    OGRFeatureUniquePtr s1(samples->GetNextFeature());
    REQUIRE(s1->GetGeometryRef());
    CHECK(s1->GetGeometryRef()->toPoint()->getX() == 500010.0);
    OGRFeatureUniquePtr s2(samples->GetNextFeature());
    CHECK(s2->GetGeometryRef() == nullptr); // empty written as null
    OGRLayer* paths = ds->GetLayerByName("paths");
    REQUIRE(paths);
    CHECK(wkbFlatten(paths->GetGeomType()) == wkbMultiLineString);
    OGRFeatureUniquePtr p1(paths->GetNextFeature());
    REQUIRE(p1->GetGeometryRef());
    CHECK(p1->GetGeometryRef()->toMultiLineString()->get_Length() == Approx(100.0));
}

namespace {

std::string sql_text(GDALDataset& ds, const std::string& sql) {
    OGRLayer* r = ds.ExecuteSQL(sql.c_str(), nullptr, nullptr);
    REQUIRE(r);
    OGRFeatureUniquePtr f(r->GetNextFeature());
    std::string v = f && f->IsFieldSetAndNotNull(0) ? f->GetFieldAsString(0) : "";
    ds.ReleaseResultSet(r);
    return v;
}

} // namespace

TEST_CASE("GpkgWriter packs the spatial index: SQLite checks it, filters find what a scan finds",
          "[io][gpkg]") {
    ScratchDir dir("gpkg-rtree");
    const std::string path = dir.file("grid.gpkg");
    // 60 x 60 squares of 10 m (3600 > 51 x 51 cells per node: a tree of three levels),
    // every 97th row without geometry; a layer of one square; an empty layer.
    Table grid;
    grid.name = "grid";
    grid.columns = {{"k", "", ""}};
    std::vector<geos::GeomPtr> geoms;
    std::vector<const GEOSGeom_t*> ptrs;
    auto square = [](double x, double y) {
        return geos::from_wkt("POLYGON((" + std::to_string(x) + " " + std::to_string(y) + "," +
                              std::to_string(x + 10) + " " + std::to_string(y) + "," +
                              std::to_string(x + 10) + " " + std::to_string(y + 10) + "," +
                              std::to_string(x) + " " + std::to_string(y + 10) + "," +
                              std::to_string(x) + " " + std::to_string(y) + "))");
    };
    for (int k = 0; k < 3600; ++k) {
        grid.add_row({std::int64_t{k}});
        geoms.push_back(k % 97 == 5 ? nullptr
                                    : square(500000 + 10 * (k % 60), 3000000 + 10 * (k / 60)));
        ptrs.push_back(geoms.back().get());
    }
    Table one = grid, none = grid;
    one.name = "one";
    one.rows.resize(1);
    none.name = "none";
    none.rows.clear();
    {
        GpkgWriter w(path, false);
        w.add_layer("grid", OutputGeometry::multipolygon, Crs::from_epsg(4545), grid, ptrs);
        w.add_layer("one", OutputGeometry::multipolygon, Crs::from_epsg(4545), one, {ptrs[0]});
        w.add_layer("none", OutputGeometry::multipolygon, Crs::from_epsg(4545), none, {});
        w.finish();
    }
    {
        auto ds = open_vector(path);
        REQUIRE(ds);
        for (const char* t : {"grid", "one", "none"}) {
            INFO(t);
            CHECK(sql_text(*ds, std::string("SELECT rtreecheck('rtree_") + t + "_geom')") == "ok");
            CHECK(sql_text(*ds, std::string("SELECT HasSpatialIndex('") + t + "', 'geom')") == "1");
        }
        CHECK(sql_text(*ds, "SELECT count(*) FROM rtree_grid_geom") ==
              "3562"); // 38 rows without geometry
        CHECK(sql_text(*ds, "SELECT count(*) FROM rtree_one_geom") == "1");
        // Rows go in many to a statement (3600 = 56 x 64 + 16): every row once, in order.
        CHECK(sql_text(*ds, "SELECT count(*) FROM grid WHERE k = fid - 1") == "3600");
        CHECK(sql_text(*ds, "SELECT count(*) FROM grid WHERE (geom IS NULL) = (k % 97 = 5)") ==
              "3600");
        CHECK(sql_text(*ds, "SELECT feature_count FROM gpkg_ogr_contents WHERE table_name = "
                            "'grid'") == "3600");
        CHECK(sql_text(*ds, "SELECT count(*) FROM rtree_none_geom") == "0");
        // Depth 2 in the root node's first two bytes (SQLite's format).
        CHECK(sql_text(*ds, "SELECT hex(substr(data, 1, 2)) FROM rtree_grid_geom_node WHERE "
                            "nodeno = 1") == "0002");
        OGRLayer* layer = ds->GetLayerByName("grid");
        REQUIRE(layer);
        struct Rect {
            double x0, y0, x1, y1;
        };
        for (const Rect r :
             {Rect{500000, 3000000, 500600, 3000600}, Rect{500095, 3000205, 500131, 3000249},
              Rect{500555, 3000001, 500556, 3000002}, Rect{499000, 2999000, 499999, 2999999}}) {
            // Squares whose closed boxes meet the rectangle, by scanning the definition.
            std::size_t expected = 0;
            for (int k = 0; k < 3600; ++k) {
                const double x = 500000 + 10 * (k % 60), y = 3000000 + 10 * (k / 60);
                if (k % 97 != 5 && x <= r.x1 && x + 10 >= r.x0 && y <= r.y1 && y + 10 >= r.y0)
                    ++expected;
            }
            const std::string in_index = sql_text(
                *ds, "SELECT count(*) FROM rtree_grid_geom WHERE minx <= " + std::to_string(r.x1) +
                         " AND maxx >= " + std::to_string(r.x0) + " AND miny <= " +
                         std::to_string(r.y1) + " AND maxy >= " + std::to_string(r.y0));
            CHECK(in_index == std::to_string(expected));
            layer->SetSpatialFilterRect(r.x0, r.y0, r.x1, r.y1);
            CHECK(std::size_t(layer->GetFeatureCount(TRUE)) <= expected); // OGR also tests geometry
        }
    }
    // The triggers keep the index in step with edits.
    {
        GDALAllRegister();
        GDALDatasetUniquePtr ds(GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_UPDATE));
        REQUIRE(ds);
        OGRLayer* layer = ds->GetLayerByName("grid");
        REQUIRE(layer->DeleteFeature(1) == OGRERR_NONE);
        OGRFeatureUniquePtr f(OGRFeature::CreateFeature(layer->GetLayerDefn()));
        OGRGeometry* g = nullptr;
        OGRGeometryFactory::createFromWkt("MULTIPOLYGON(((0 0,1 0,1 1,0 0)))", nullptr, &g);
        f->SetGeometryDirectly(g);
        REQUIRE(layer->CreateFeature(f.get()) == OGRERR_NONE);
        CHECK(sql_text(*ds, "SELECT count(*) FROM rtree_grid_geom") == "3562");
        CHECK(sql_text(*ds, "SELECT count(*) FROM rtree_grid_geom WHERE maxx < 10") == "1");
        CHECK(sql_text(*ds, "SELECT rtreecheck('rtree_grid_geom')") == "ok");
    }
}

TEST_CASE("GeoPackage blobs carry GEOS's own WKB and the geometry's envelope", "[io][gpkg]") {
    const auto ctx = geos::ctx();
    std::unique_ptr<GEOSWKBWriter, void (*)(GEOSWKBWriter*)> wkb(
        GEOSWKBWriter_create_r(ctx),
        [](GEOSWKBWriter* w) { GEOSWKBWriter_destroy_r(geos::ctx(), w); });
    GEOSWKBWriter_setOutputDimension_r(ctx, wkb.get(), 2);
    GEOSWKBWriter_setByteOrder_r(ctx, wkb.get(), GEOS_WKB_NDR);
    struct Case {
        const char* wkt;
        int target; // OGRwkbGeometryType
        bool wrapped;
    };
    const Case cases[] = {
        {"POINT (500000.5 3000000.25)", 1, false},
        {"POINT Z (1 2 3)", 1, false},
        {"LINESTRING (0 0, 10 5, 20 -5)", 2, false},
        {"LINESTRING (0 0, 10 5, 20 -5)", 5, true},
        {"POLYGON ((0 0, 100 0, 100 100, 0 100, 0 0), (10 10, 20 10, 20 20, 10 10))", 3, false},
        {"POLYGON ((0 0, 100 0, 100 100, 0 100, 0 0))", 6, true},
        {"MULTIPOLYGON (((0 0, 1 0, 1 1, 0 0)), ((5 5, 6 5, 6 7, 5 5), (5.5 5.2, 5.8 5.2, 5.8 "
         "5.5, 5.5 5.2)))",
         6, false},
        {"MULTIPOLYGON (((0 0, 1 0, 1 1, 0 0)))", 3, false},
        {"MULTIPOINT ((1 2), (3 -4))", 4, false},
        {"MULTILINESTRING ((0 0, 1 1), (2 2, 3 5, 4 4))", 5, false},
        {"GEOMETRYCOLLECTION (POINT (1 1), LINESTRING (0 0, 2 3))", 7, false},
    };
    for (const Case& c : cases) {
        INFO(c.wkt << " as " << c.target);
        const auto g = geos::from_wkt(c.wkt);
        double env[4];
        const std::string blob =
            detail::gpkg_geometry(ctx, wkb.get(), g.get(), c.target, "t", 0, env);
        const GEOSGeom_t* part = g.get();
        if (!c.wrapped && GEOSGeomTypeId_r(ctx, g.get()) == GEOS_MULTIPOLYGON && c.target == 3)
            part = GEOSGetGeometryN_r(ctx, g.get(), 0);
        std::size_t n = 0;
        unsigned char* ref = GEOSWKBWriter_write_r(ctx, wkb.get(), part, &n);
        REQUIRE(ref);
        const std::string expected(reinterpret_cast<const char*>(ref), n);
        GEOSFree_r(ctx, ref);
        const std::size_t header = 40 + (c.wrapped ? 9 : 0);
        REQUIRE(blob.size() == header + n);
        CHECK(blob.substr(0, 2) == "GP");
        CHECK(blob.substr(header) == expected);
        if (c.wrapped) {
            CHECK(blob[40] == 1);
            CHECK(static_cast<unsigned char>(blob[41]) == c.target);
        }
        double x0, x1, y0, y1;
        GEOSGeom_getXMin_r(ctx, g.get(), &x0);
        GEOSGeom_getXMax_r(ctx, g.get(), &x1);
        GEOSGeom_getYMin_r(ctx, g.get(), &y0);
        GEOSGeom_getYMax_r(ctx, g.get(), &y1);
        CHECK(env[0] == x0);
        CHECK(env[1] == x1);
        CHECK(env[2] == y0);
        CHECK(env[3] == y1);
        double stored[4];
        std::memcpy(stored, blob.data() + 8, 32);
        CHECK(std::equal(stored, stored + 4, env));
    }
}
