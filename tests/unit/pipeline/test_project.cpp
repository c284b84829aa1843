// Project files: parsing, relative paths, unknown keys and wrong types.
#include <catch2/catch.hpp>

#include "soilrisk/core/error.hpp"
#include "soilrisk/pipeline/project.hpp"
#include "soilrisk/pipeline/runner.hpp"

using namespace soilrisk;
using namespace soilrisk::pipeline;

TEST_CASE("a project file is parsed with paths relative to the file", "[pipeline]") {
    const Project p = parse_project(R"(
[project]
name = "柳州 demo"
crs = "EPSG:4545"
out = "../out"

[layers.farmland]
path = "data/farmland.gpkg"
layer = "farmland"
fields = { category = "LB", county = "XZQMC" }
encoding = "GBK"

[layers.db]
path = "PG:dbname=soil"

[rasters.dem]
path = "/abs/dem.tif"

[[steps]]
type = "area-summary"
by = ["category"]

[[steps]]
type = "area-summary"
rings = [0, 500, 1000]
)",
                                    "/p/q/project.toml");
    CHECK(p.name == "柳州 demo");
    CHECK(p.crs == "EPSG:4545");
    CHECK(p.out_dir == "/p/out");
    REQUIRE(p.layers.count("farmland") == 1);
    const auto& f = p.layers.at("farmland");
    CHECK(f.path == "/p/q/data/farmland.gpkg");
    CHECK(f.layer == "farmland");
    CHECK(f.fields.at("category") == "LB");
    CHECK(f.encoding == "GBK");
    CHECK(f.role == "farmland");
    CHECK(p.layers.at("db").path == "PG:dbname=soil");
    CHECK(p.rasters.at("dem") == "/abs/dem.tif");
    REQUIRE(p.steps.size() == 2);
    CHECK(p.steps[0].name == "area-summary");
    CHECK(p.steps[1].name == "area-summary_2");
    CHECK(p.steps[0].params.strings("by") == std::vector<std::string>{"category"});
    CHECK(p.steps[1].params.lengths_or("rings", {}) == std::vector<double>{0, 500, 1000});
}

TEST_CASE("project-file mistakes are usage errors with the place and a fix", "[pipeline]") {
    SECTION("syntax error with line and column") {
        CHECK_THROWS_WITH(parse_project("[project\n", "x.toml"), Catch::StartsWith("x.toml:1:"));
    }
    SECTION("unknown section") {
        CHECK_THROWS_WITH(parse_project("[projet]\nname='a'\n", "x.toml"),
                          Catch::Contains("unknown section 'projet'"));
    }
    SECTION("unknown layer key with a suggestion") {
        CHECK_THROWS_WITH(parse_project("[layers.f]\npath='a.shp'\nlayr='x'\n", "x.toml"),
                          Catch::Contains("unknown key 'layr'; did you mean 'layer'?"));
    }
    SECTION("wrong type") {
        CHECK_THROWS_WITH(parse_project("[layers.f]\npath=5\n", "x.toml"),
                          Catch::Contains("'path' must be a string"));
    }
    SECTION("missing path") {
        CHECK_THROWS_WITH(parse_project("[layers.f]\nlayer='x'\n", "x.toml"),
                          Catch::Contains("'path' is required"));
    }
    SECTION("step without type") {
        CHECK_THROWS_WITH(parse_project("[[steps]]\nname='a'\n", "x.toml"),
                          Catch::Contains("has no type"));
    }
    SECTION("bad lengths") {
        const Project p = parse_project("[[steps]]\ntype='x'\nrings='0,500,300'\nreach='ten km'\n", "x.toml");
        CHECK_THROWS_WITH(p.steps[0].params.lengths_or("rings", {}), Catch::Contains("increasing"));
        CHECK_THROWS_WITH(p.steps[0].params.length_or("reach", 0), Catch::Contains("not a length"));
    }
}

TEST_CASE("unknown step types and step keys are refused before anything runs", "[pipeline]") {
    Project p = parse_project("[[steps]]\ntype='area-sumary'\n", "/tmp/x.toml");
    CHECK_THROWS_WITH(run_project(p, {}), Catch::Contains("unknown step type 'area-sumary'") &&
                                              Catch::Contains("area-summary"));
    p = parse_project("[[steps]]\ntype='area-summary'\nfarmlnd='f'\n", "/tmp/x.toml");
    CHECK_THROWS_WITH(run_project(p, {}), Catch::Contains("did you mean 'farmland'?"));
}
