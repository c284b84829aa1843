// Reading real bureau data: encodings, layers, formats, CRS checks, geometry repair.
#include <catch2/catch.hpp>

#include "fixtures.hpp"
#include "soilrisk/core/error.hpp"
#include "soilrisk/core/log.hpp"
#include "soilrisk/io/vector.hpp"

#include <geos_c.h>

using namespace soilrisk;
using namespace soilrisk::io;
using soilrisk::test::FixtureField;
using soilrisk::test::FixtureLayer;
using soilrisk::test::TempDir;

namespace {

// Two parcels in CGCS2000 GK CM 108E (EPSG:4545) near Rongshui, with Chinese attributes.
FixtureLayer parcels(int epsg = 4545) {
    FixtureLayer l;
    l.name = "parcels";
    l.epsg = epsg;
    l.fields = {{"DKBM", FixtureField::string},
                {"LB", FixtureField::integer},
                {"XZQMC", FixtureField::string}};
    l.features = {
        {"POLYGON((400000 2800000,400100 2800000,400100 2800100,400000 2800100,400000 2800000))",
         {std::string("450225-001"), 1LL, std::string("融水苗族自治县")}},
        {"POLYGON((400200 2800000,400300 2800000,400300 2800050,400200 2800050,400200 2800000))",
         {std::string("450225-002"), 3LL, std::string("三江侗族自治县")}},
    };
    return l;
}

std::string county_of(const Layer& l, std::size_t i) {
    return Layer::text(l.features[i].values[l.field_index("xzqmc")]);
}

struct WarningCollector {
    WarningCollector() { take_warnings(); }
    std::vector<std::string> get() { return take_warnings(); }
};

bool any_contains(const std::vector<std::string>& v, const std::string& needle) {
    for (const auto& s : v)
        if (s.find(needle) != std::string::npos) return true;
    return false;
}

} // namespace

TEST_CASE("GBK shapefile with a .cpg is decoded from the .cpg", "[io][encoding]") {
    TempDir dir;
    const auto path = dir.file("gbk.shp");
    test::write_shapefile(path, parcels(), "CP936", "GBK", 87);
    VectorInput in;
    in.path = path;
    Layer l = read_vector(in);
    REQUIRE(l.features.size() == 2);
    CHECK(county_of(l, 0) == "融水苗族自治县");
    CHECK(county_of(l, 1) == "三江侗族自治县");
    CHECK(l.report.encoding == "GB18030");
    CHECK(l.report.encoding_source.find(".cpg") != std::string::npos);
}

TEST_CASE("GBK shapefile without .cpg and LDID 87 warns and falls back to GBK", "[io][encoding]") {
    TempDir dir;
    const auto path = dir.file("gbk.shp");
    test::write_shapefile(path, parcels(), "CP936", "", 87);
    WarningCollector warnings;
    VectorInput in;
    in.path = path;
    Layer l = read_vector(in);
    CHECK(county_of(l, 0) == "融水苗族自治县");
    CHECK(l.report.encoding_source.find("GBK fallback") != std::string::npos);
    CHECK(any_contains(warnings.get(), "does not say its encoding"));

    SECTION("--encoding GBK reads it right without a warning") {
        in.encoding = "GBK";
        Layer l2 = read_vector(in);
        CHECK(county_of(l2, 1) == "三江侗族自治县");
        CHECK(l2.report.encoding_source == "--encoding");
        CHECK_FALSE(any_contains(warnings.get(), "does not say its encoding"));
    }
}

TEST_CASE("DBF language driver id 77 means GBK", "[io][encoding]") {
    TempDir dir;
    const auto path = dir.file("ldid77.shp");
    test::write_shapefile(path, parcels(), "CP936", "", 77);
    VectorInput in;
    in.path = path;
    Layer l = read_vector(in);
    CHECK(county_of(l, 0) == "融水苗族自治县");
    CHECK(l.report.encoding_source == "DBF language driver id 77");
}

TEST_CASE("LDID 87 with UTF-8 text and .cpg 65001 / ANSI are handled", "[io][encoding]") {
    TempDir dir;
    const auto path = dir.file("utf8.shp");
    SECTION(".cpg 65001 (which GDAL 3.6 ignores) is UTF-8") {
        test::write_shapefile(path, parcels(), "UTF-8", "65001", 87);
        VectorInput in;
        in.path = path;
        Layer l = read_vector(in);
        CHECK(county_of(l, 0) == "融水苗族自治县");
        CHECK(l.report.encoding == "UTF-8");
        CHECK(l.report.encoding_source.find(".cpg") != std::string::npos);
    }
    SECTION(".cpg ANSI says nothing; UTF-8 text passes the check") {
        test::write_shapefile(path, parcels(), "UTF-8", "ANSI", 87);
        VectorInput in;
        in.path = path;
        Layer l = read_vector(in);
        CHECK(county_of(l, 1) == "三江侗族自治县");
        CHECK(l.report.encoding == "UTF-8");
    }
    SECTION(".cpg ANSI 936 is GBK") {
        test::write_shapefile(path, parcels(), "CP936", "ANSI 936", 0);
        VectorInput in;
        in.path = path;
        Layer l = read_vector(in);
        CHECK(county_of(l, 1) == "三江侗族自治县");
        CHECK(l.report.encoding == "GB18030");
    }
}

TEST_CASE("a two-layer GeoPackage: layer by name, ambiguity lists the layers", "[io][gpkg]") {
    TempDir dir;
    const auto path = dir.file("two.gpkg");
    FixtureLayer mines;
    mines.name = "mines";
    mines.epsg = 4545;
    mines.fields = {{"name", FixtureField::string}};
    mines.features = {{"POINT(400500 2800500)", {std::string("大浪龙远铅锌矿")}}};
    test::write_layers(path, "GPKG", {parcels(), mines});
    VectorInput in;
    in.path = path;
    in.role = "sources";
    try {
        read_vector(in);
        FAIL("expected an ambiguity error");
    } catch (const UsageError& e) {
        const std::string msg = e.what();
        CHECK(msg.find("2 layers") != std::string::npos);
        CHECK(msg.find("parcels") != std::string::npos);
        CHECK(msg.find("mines") != std::string::npos);
        CHECK(msg.find("--sources-layer") != std::string::npos);
    }
    in.layer = "mines";
    Layer l = read_vector(in);
    REQUIRE(l.features.size() == 1);
    CHECK(l.kind == GeometryKind::point);
    CHECK(Layer::text(l.features[0].values[0]) == "大浪龙远铅锌矿");
    in.layer = "nope";
    CHECK_THROWS_WITH(read_vector(in),
                      Catch::Contains("has no layer 'nope'") && Catch::Contains("parcels, mines"));
}

TEST_CASE("FileGDB, GeoJSON (WGS84) and FlatGeobuf are read and reprojected", "[io][formats]") {
    TempDir dir;
    SECTION("FileGDB") {
        const auto path = dir.file("parcels.gdb");
        test::write_layers(path, "OpenFileGDB", {parcels()});
        VectorInput in;
        in.path = path;
        Layer l = read_vector(in);
        REQUIRE(l.features.size() == 2);
        CHECK(l.report.driver == "OpenFileGDB");
        CHECK(county_of(l, 0) == "融水苗族自治县");
    }
    SECTION("GeoJSON in WGS84 to the CGCS2000 GK working CRS") {
        const auto path = dir.file("web.geojson");
        FixtureLayer l = parcels();
        l.epsg = 4326;
        l.features = {{"POLYGON((109.0 25.0,109.001 25.0,109.001 25.001,109.0 25.001,109.0 25.0))",
                       {std::string("a"), 2LL, std::string("融水苗族自治县")}}};
        test::write_layers(path, "GeoJSON", {l});
        VectorInput in;
        in.path = path;
        VectorReader reader(in);
        const Crs working = working_crs_for({&reader}, "");
        CHECK(working.epsg() == 4545);
        Layer out = reader.read(working);
        REQUIRE(out.features.size() == 1);
        double x0, y0;
        GEOSGeom_getXMin_r(geos::ctx(), out.features[0].geom.get(), &x0);
        GEOSGeom_getYMin_r(geos::ctx(), out.features[0].geom.get(), &y0);
        // 109°E is 1° east of CM 108°E: about 101 km east of the false easting.
        CHECK(x0 == Approx(500000 + 100.9e3).margin(1.5e3));
        CHECK(y0 == Approx(2.767e6).margin(5e3));
    }
    SECTION("FlatGeobuf") {
        const auto path = dir.file("parcels.fgb");
        test::write_layers(path, "FlatGeobuf", {parcels()});
        VectorInput in;
        in.path = path;
        Layer l = read_vector(in);
        CHECK(l.features.size() == 2);
        CHECK(l.crs.epsg() == 4545);
    }
}

TEST_CASE("CSV sample points with lon/lat columns", "[io][csv]") {
    TempDir dir;
    const auto path = dir.file("samples.csv");
    test::spit(path,
               "\xEF\xBB\xBFsample_id,lon,lat,cd\nS1,109.25,25.10,0.35\nS2,109.26,25.11,ND\n");
    VectorInput in;
    in.path = path;
    in.role = "samples";
    WarningCollector warnings;
    Layer l = read_vector(in);
    REQUIRE(l.features.size() == 2);
    CHECK(l.kind == GeometryKind::point);
    CHECK(l.native_crs.epsg() == 4326);
    CHECK(any_contains(warnings.get(), "read as WGS84"));
    const int cd = l.field_index("CD");
    REQUIRE(cd >= 0);
    CHECK(Layer::number(l.features[0].values[cd]) == Approx(0.35));
    CHECK_FALSE(Layer::number(l.features[1].values[cd]).has_value());

    SECTION("GBK CSV from Excel falls back to GBK with a warning") {
        // "县" in GBK is 0xCF 0xD8.
        test::spit(path, "id,lon,lat,county\n1,109.2,25.1,\xC8\xDA\xCB\xAE\n");
        Layer g = read_vector(in);
        CHECK(Layer::text(g.features[0].values[g.field_index("county")]) == "融水");
        CHECK(any_contains(warnings.get(), "GBK"));
    }
}

TEST_CASE("a layer without CRS is an error unless a CRS is assumed", "[io][crs]") {
    TempDir dir;
    const auto path = dir.file("nocrs.gpkg");
    test::write_layers(path, "GPKG", {parcels(0)});
    VectorInput in;
    in.path = path;
    in.role = "farmland";
    CHECK_THROWS_AS(read_vector(in), DataError);
    CHECK_THROWS_WITH(read_vector(in),
                      Catch::Contains("has no CRS") && Catch::Contains("--farmland-assume-crs"));
    in.assume_crs = "EPSG:4545";
    Layer l = read_vector(in);
    CHECK(l.crs.epsg() == 4545);
}

TEST_CASE("zone-prefixed GK eastings labelled as the prefix-less CRS are detected", "[io][crs]") {
    TempDir dir;
    const auto path = dir.file("prefixed.gpkg");
    FixtureLayer l = parcels(4545);
    l.features = {{"POLYGON((36400000 2800000,36400100 2800000,36400100 2800100,36400000 2800000))",
                   {std::string("x"), 1LL, std::string("y")}}};
    test::write_layers(path, "GPKG", {l});
    VectorInput in;
    in.path = path;
    in.role = "farmland";
    CHECK_THROWS_WITH(read_vector(in),
                      Catch::Contains("zone prefix (36)") && Catch::Contains("EPSG:4524"));
    in.override_crs = "EPSG:4524";
    Layer ok = read_vector(in, Crs::from_epsg(4545));
    double x0;
    GEOSGeom_getXMin_r(geos::ctx(), ok.features[0].geom.get(), &x0);
    CHECK(x0 == Approx(400000).margin(1e-3));

    SECTION("the reverse: prefix-less eastings under the zone-prefixed CRS") {
        const auto p2 = dir.file("unprefixed.gpkg");
        test::write_layers(p2, "GPKG", {parcels(4524)});
        VectorInput in2;
        in2.path = p2;
        CHECK_THROWS_WITH(read_vector(in2),
                          Catch::Contains("no zone prefix") && Catch::Contains("EPSG:4545"));
    }
    SECTION("lon/lat labelled as projected") {
        const auto p3 = dir.file("degrees.gpkg");
        FixtureLayer d = parcels(4545);
        d.features = {{"POINT(109.2 25.1)", {std::string("x"), 1LL, std::string("y")}}};
        test::write_layers(p3, "GPKG", {d});
        VectorInput in3;
        in3.path = p3;
        CHECK_THROWS_WITH(read_vector(in3), Catch::Contains("look like longitude/latitude"));
    }
}

TEST_CASE("self-intersecting parcels are repaired and counted", "[io][geometry]") {
    TempDir dir;
    const auto path = dir.file("bowtie.gpkg");
    FixtureLayer l = parcels();
    // A bow-tie: two triangles of 50 x 100 / 2 = 2500 m² each.
    l.features.push_back(
        {"POLYGON((400000 2801000,400100 2801100,400100 2801000,400000 2801100,400000 2801000))",
         {std::string("450225-003"), 2LL, std::string("融水苗族自治县")}});
    test::write_layers(path, "GPKG", {l});
    VectorInput in;
    in.path = path;
    WarningCollector warnings;
    Layer out = read_vector(in);
    CHECK(out.report.invalid == 1);
    CHECK(out.report.repaired == 1);
    REQUIRE(out.features.size() == 3);
    double area = 0;
    GEOSArea_r(geos::ctx(), out.features[2].geom.get(), &area);
    CHECK(area == Approx(5000.0).epsilon(1e-12));
    CHECK(any_contains(warnings.get(), "repaired 1 invalid"));

    in.invalid = InvalidPolicy::skip;
    Layer skipped = read_vector(in);
    CHECK(skipped.features.size() == 2);
    CHECK(skipped.report.skipped == 1);

    in.invalid = InvalidPolicy::error;
    CHECK_THROWS_WITH(read_vector(in),
                      Catch::Contains("feature 3") && Catch::Contains("Self-intersection"));
}

TEST_CASE("field roles map case-insensitively; a missing field lists those that exist",
          "[io][fields]") {
    TempDir dir;
    const auto path = dir.file("p.gpkg");
    test::write_layers(path, "GPKG", {parcels()});
    VectorInput in;
    in.path = path;
    in.role = "farmland";
    in.fields["category"] = "lb";
    Layer l = read_vector(in);
    CHECK(l.role_index("category") == 1);
    CHECK(l.role_index("county", false) == -1);
    CHECK_THROWS_WITH(l.role_index("county"),
                      Catch::Contains("no field 'county'") && Catch::Contains("DKBM, LB, XZQMC"));
    in.fields["category"] = "leibie";
    CHECK_THROWS_WITH(read_vector(in),
                      Catch::Contains("no field 'leibie'") && Catch::Contains("--farmland-field"));
}

TEST_CASE("clear errors for missing files, bad formats and empty layers", "[io][errors]") {
    TempDir dir;
    VectorInput in;
    in.role = "farmland";
    in.path = dir.file("missing.shp");
    CHECK_THROWS_AS(read_vector(in), IoError);
    CHECK_THROWS_WITH(read_vector(in),
                      Catch::Contains("missing.shp") && Catch::Contains("does not exist"));
    in.path = dir.file("notes.txt");
    test::spit(in.path, "\x01\x02 not a vector file \xff");
    CHECK_THROWS_WITH(read_vector(in), Catch::Contains("cannot be opened as a vector layer"));
    in.path = dir.file("empty.gpkg");
    FixtureLayer empty = parcels();
    empty.features.clear();
    test::write_layers(in.path, "GPKG", {empty});
    CHECK_THROWS_WITH(read_vector(in), Catch::Contains("has no features"));
    in.allow_empty = true;
    CHECK(read_vector(in).features.empty());
}
