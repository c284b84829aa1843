// Bad-input corpus (issue 9, "Hardening"): the broken inputs users actually produce,
// for every input kind — farmland and sources (vector layers), soil samples, DEMs and
// project files. Each case builds its input in a scratch folder (GDAL/OGR, truncating
// or deleting files) and asserts one outcome: a typed error whose one-line message names
// the place (file, layer, feature, field) and the fix, or a repaired result with a
// specific warning. The case ids (F.., S.., M.., D.., P..) are listed in CORPUS.md.
#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <filesystem>
#include <functional>
#include <gdal_priv.h>
#include <geos_c.h>
#include <limits>
#include <ogrsf_frmts.h>
#include <optional>
#include <string>
#include <vector>

#include "fixtures.hpp"
#include "soilrisk/analysis/area_summary.hpp"
#include "soilrisk/analysis/classify.hpp"
#include "soilrisk/analysis/downstream.hpp"
#include "soilrisk/analysis/near.hpp"
#include "soilrisk/core/area.hpp"
#include "soilrisk/core/error.hpp"
#include "soilrisk/core/log.hpp"
#include "soilrisk/hydro/burn.hpp"
#include "soilrisk/hydro/condition.hpp"
#include "soilrisk/hydro/grid.hpp"
#include "soilrisk/hydro/raster_io.hpp"
#include "soilrisk/io/vector.hpp"
#include "soilrisk/pipeline/project.hpp"
#include "soilrisk/pipeline/runner.hpp"

using namespace soilrisk;
using soilrisk::test::FixtureField;
using soilrisk::test::FixtureLayer;
using soilrisk::test::TempDir;
namespace fs = std::filesystem;

namespace {

constexpr double X0 = 400000, Y0 = 2700000; // EPSG:4545 (CGCS2000 GK CM 108E), near Liuzhou

std::string rect(double x0, double y0, double x1, double y1, double ox = X0, double oy = Y0) {
    auto p = [&](double x, double y) {
        return std::to_string(ox + x) + " " + std::to_string(oy + y);
    };
    return "POLYGON((" + p(x0, y0) + "," + p(x1, y0) + "," + p(x1, y1) + "," + p(x0, y1) + "," +
           p(x0, y0) + "))";
}
std::string pt(double x, double y) {
    return "POINT(" + std::to_string(X0 + x) + " " + std::to_string(Y0 + y) + ")";
}

/// Three good parcels: id, category, county (Chinese), dlbm.
FixtureLayer farmland(int epsg = 4545) {
    FixtureLayer l;
    l.name = "farmland";
    l.epsg = epsg;
    l.fields = {{"parcel_id", FixtureField::string},
                {"category", FixtureField::integer},
                {"county", FixtureField::string},
                {"dlbm", FixtureField::string}};
    l.features = {
        {rect(0, 0, 100, 100),
         {std::string("P1"), 1LL, std::string("融安县"), std::string("0101")}},
        {rect(200, 0, 300, 100),
         {std::string("P2"), 2LL, std::string("融安县"), std::string("0103")}},
        {rect(0, 200, 100, 300),
         {std::string("P3"), 3LL, std::string("三江侗族自治县"), std::string("0101")}},
    };
    return l;
}

FixtureLayer mines() {
    FixtureLayer l;
    l.name = "mines";
    l.epsg = 4545;
    l.fields = {{"mine_id", FixtureField::string}};
    l.features = {{pt(150, 150), {std::string("M1")}}};
    return l;
}

io::VectorInput input(const std::string& path, const std::string& role = "farmland") {
    io::VectorInput in;
    in.role = role;
    in.path = path;
    return in;
}

/// Runs `f`, expects exception type E with every part in its one-line message.
template <class E>
void expect_error(const std::function<void()>& f, const std::vector<std::string>& parts) {
    try {
        f();
        FAIL("no exception; expected one with: " << parts.front());
    } catch (const E& e) {
        const std::string m = e.what();
        INFO(m);
        for (const auto& p : parts)
            CHECK_THAT(m, Catch::Contains(p));
        CHECK(m.find('\n') == std::string::npos);
    }
}

struct Warnings {
    Warnings() { take_warnings(); }
    std::vector<std::string> all = {};
    bool has(const std::string& needle) {
        for (auto& w : take_warnings())
            all.push_back(w);
        for (const auto& w : all)
            if (w.find(needle) != std::string::npos) return true;
        return false;
    }
};

double total_area(const io::Layer& l) {
    auto h = geos::ctx();
    double a = 0;
    for (const auto& f : l.features) {
        double x = 0;
        GEOSArea_r(h, f.geom.get(), &x);
        a += x;
    }
    return a;
}

// --- Classification on in-memory layers ------------------------------------------------

using V = io::Value;
V s(const char* t) {
    return V(std::string(t));
}

struct Standards {
    analysis::SoilStandard soil =
        analysis::load_soil_standard(analysis::standards_dir() / "gb15618-2018.toml");
    analysis::RuleTable rules =
        analysis::load_rules(analysis::standards_dir() / "classify-rules.toml");
};
const Standards& standards() {
    static const Standards st;
    return st;
}

io::Layer mem_farm() {
    return test::memory_layer("farmland", io::GeometryKind::polygon,
                              {"parcel_id", "dlbm", "category"},
                              {{rect(0, 0, 100, 100), {s("P1"), s("0101"), V(std::int64_t(1))}}});
}

/// One soil sample S1 inside P1 with pH `ph` and Cd `cd`.
analysis::ClassifyResult classify_one(const V& ph, const V& cd, analysis::ClassifyOptions o = {}) {
    const io::Layer farm = mem_farm();
    const io::Layer samp =
        test::memory_layer("samples", io::GeometryKind::point, {"sample_id", "ph", "cd"},
                           {{pt(50, 50), {s("S1"), ph, cd}}});
    analysis::ClassifyInputs in;
    in.farmland = &farm;
    in.samples = &samp;
    in.soil = &standards().soil;
    in.rules = &standards().rules;
    return analysis::classify(in, o);
}

/// The Cd value used for sample S1 and the parcel's soil class.
std::pair<double, int> cd_of(const analysis::ClassifyResult& r) {
    int col = -1;
    for (std::size_t i = 0; i < r.samples.columns.size(); ++i)
        if (r.samples.columns[i].name == "cd") col = static_cast<int>(i);
    REQUIRE(col >= 0);
    const auto v = io::Layer::number(r.samples.rows.at(0).at(col));
    REQUIRE(v);
    return {*v, r.parcel_results.at(0).soil_class};
}

// --- DEMs --------------------------------------------------------------------------------

struct DemSpec {
    int w = 4, h = 4;
    std::array<double, 6> gt{X0, 10, 0, Y0, 0, -10};
    int epsg = 4545;
    GDALDataType type = GDT_Float32;
    std::optional<double> nodata;
    std::vector<double> z; ///< row-major; default: a slope
    bool georef = true;
};

void write_dem(const std::string& path, DemSpec d) {
    GDALAllRegister();
    if (d.z.empty())
        for (int r = 0; r < d.h; ++r)
            for (int c = 0; c < d.w; ++c)
                d.z.push_back(100.0 + r + 0.5 * c);
    GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("GTiff");
    GDALDataset* ds = drv->Create(path.c_str(), d.w, d.h, 1, d.type, nullptr);
    REQUIRE(ds);
    if (d.georef) ds->SetGeoTransform(d.gt.data());
    if (d.epsg) {
        OGRSpatialReference srs;
        srs.importFromEPSG(d.epsg);
        ds->SetSpatialRef(&srs);
    }
    GDALRasterBand* b = ds->GetRasterBand(1);
    if (d.nodata) b->SetNoDataValue(*d.nodata);
    if (b->RasterIO(GF_Write, 0, 0, d.w, d.h, d.z.data(), d.w, d.h, GDT_Float64, 0, 0) != CE_None)
        FAIL("cannot write the fixture DEM");
    GDALClose(ds);
}

hydro::ConditionOptions condition_opts() {
    hydro::ConditionOptions o;
    o.stream_area_m2 = 200;
    return o;
}

} // namespace

// =========================================================================================
// Farmland and sources: files users break
// =========================================================================================

TEST_CASE("corpus F: damaged shapefiles", "[corpus][io]") {
    TempDir dir;
    const auto shp = dir.file("farm.shp");
    test::write_shapefile(shp, farmland(), "UTF-8", "UTF-8", 87);
    auto sib = [&](const char* ext) { return fs::path(shp).replace_extension(ext).string(); };

    SECTION("F01 .shp truncated in the middle of a record") {
        std::string b = test::slurp(shp);
        test::spit(shp, b.substr(0, b.size() - 60));
        expect_error<DataError>([&] { io::read_vector(input(shp)); },
                                {"farm.shp", "feature", "truncated", "export the layer again"});
    }
    SECTION("F02 .shp cut to its 100-byte header") {
        test::spit(shp, test::slurp(shp).substr(0, 100));
        expect_error<DataError>([&] { io::read_vector(input(shp)); }, {"farm.shp", "truncated"});
    }
    SECTION("F03 .dbf truncated") {
        std::string b = test::slurp(sib(".dbf"));
        test::spit(sib(".dbf"), b.substr(0, b.size() - 30));
        expect_error<DataError>([&] { io::read_vector(input(shp)); },
                                {"farm.shp", "truncated", "DBF"});
    }
    SECTION("F04 .shx missing") {
        fs::remove(sib(".shx"));
        expect_error<IoError>([&] { io::read_vector(input(shp)); }, {"farm.shp", ".shx"});
    }
    SECTION("F05 .dbf missing: no attribute fields, the role lookup lists none") {
        fs::remove(sib(".dbf"));
        io::Layer l = io::read_vector(input(shp));
        expect_error<DataError>([&] { l.role_index("category"); },
                                {"farm.shp", "no field 'category'", "fields are: (none)"});
    }
    SECTION("F06 .prj missing") {
        fs::remove(sib(".prj"));
        expect_error<DataError>(
            [&] { io::read_vector(input(shp)); },
            {"farm.shp", "has no CRS (no .prj file?)", "--farmland-assume-crs"});
        auto in = input(shp);
        in.assume_crs = "EPSG:4545";
        CHECK(io::read_vector(in).features.size() == 3);
    }
    SECTION("F07 .prj with garbage text") {
        test::spit(sib(".prj"), "this is not WKT");
        expect_error<DataError>([&] { io::read_vector(input(shp)); },
                                {"farm.shp", "has no CRS", "--farmland-assume-crs"});
    }
    SECTION("F08 .cpg naming no encoding: ignored with a warning") {
        test::spit(sib(".cpg"), "klingon");
        Warnings w;
        CHECK(io::read_vector(input(shp)).features.size() == 3);
        CHECK(w.has("names no usable encoding; ignoring it"));
    }
    SECTION("F09 not a shapefile at all (text renamed .shp)") {
        test::spit(shp, "parcel_id,category\nP1,1\n");
        expect_error<IoError>([&] { io::read_vector(input(shp)); },
                              {"farm.shp", "cannot be opened as a vector layer"});
    }
    SECTION("F10 zero-byte .shp") {
        test::spit(shp, "");
        expect_error<IoError>([&] { io::read_vector(input(shp)); }, {"farm.shp"});
    }
}

TEST_CASE("corpus F: encodings", "[corpus][io][encoding]") {
    TempDir dir;
    const auto shp = dir.file("gbk.shp");
    SECTION("F11 GBK attributes without .cpg (LDID 87): GBK fallback with a warning") {
        test::write_shapefile(shp, farmland(), "CP936", "", 87);
        Warnings w;
        io::Layer l = io::read_vector(input(shp));
        CHECK(io::Layer::text(l.features[2].values[l.field_index("county")]) == "三江侗族自治县");
        CHECK(w.has("does not say its encoding (no .cpg)"));
        CHECK(l.report.encoding == "GB18030");
    }
    SECTION("F12 GBK attributes with a .cpg that says UTF-8: read as GBK with a warning") {
        test::write_shapefile(shp, farmland(), "CP936", "UTF-8", 87);
        Warnings w;
        io::Layer l = io::read_vector(input(shp));
        CHECK(io::Layer::text(l.features[0].values[l.field_index("county")]) == "融安县");
        CHECK(w.has("is not valid UTF-8 although"));
    }
    SECTION("F13 unknown --encoding name") {
        test::write_shapefile(shp, farmland(), "CP936", "", 87);
        auto in = input(shp);
        in.encoding = "GBKK";
        expect_error<UsageError>([&] { io::read_vector(in); },
                                 {"--farmland-encoding", "'GBKK'", "GBK"});
    }
}

TEST_CASE("corpus F: layers and fields", "[corpus][io]") {
    TempDir dir;
    const auto gpkg = dir.file("f.gpkg");
    SECTION("F14 empty layer") {
        FixtureLayer l = farmland();
        l.features.clear();
        test::write_layers(gpkg, "GPKG", {l});
        expect_error<DataError>(
            [&] { io::read_vector(input(gpkg)); },
            {"f.gpkg", "layer farmland", "has no features", "--farmland-layer"});
    }
    SECTION("F15 every geometry null") {
        FixtureLayer l = farmland();
        for (auto& f : l.features)
            f.wkt.clear();
        test::write_layers(gpkg, "GPKG", {l});
        expect_error<DataError>([&] { io::read_vector(input(gpkg)); },
                                {"layer farmland", "has no features with geometry"});
    }
    SECTION("F16 some null geometries: left out with a warning") {
        FixtureLayer l = farmland();
        l.features[1].wkt.clear();
        test::write_layers(gpkg, "GPKG", {l});
        Warnings w;
        CHECK(io::read_vector(input(gpkg)).features.size() == 2);
        CHECK(w.has("1 features have no geometry and were left out"));
    }
    SECTION("F17 filter matching nothing") {
        test::write_layers(gpkg, "GPKG", {farmland()});
        auto in = input(gpkg);
        in.where = "category = 9";
        expect_error<DataError>([&] { io::read_vector(in); },
                                {"has no features matching 'category = 9'"});
    }
    SECTION("F18 filter that is not OGR SQL") {
        test::write_layers(gpkg, "GPKG", {farmland()});
        auto in = input(gpkg);
        in.where = "category == = 3";
        expect_error<UsageError>([&] { io::read_vector(in); }, {"is not valid OGR SQL"});
    }
    SECTION("F19 layer name misspelt: the layers are listed") {
        test::write_layers(gpkg, "GPKG", {farmland(), mines()});
        auto in = input(gpkg);
        in.layer = "farmlnd";
        expect_error<DataError>([&] { io::read_vector(in); },
                                {"has no layer 'farmlnd'", "farmland", "mines"});
    }
    SECTION("F20 two layers, none chosen") {
        FixtureLayer a = farmland(), b = farmland();
        a.name = "parcels_2023";
        b.name = "parcels_2024";
        test::write_layers(gpkg, "GPKG", {a, b});
        expect_error<UsageError>([&] { io::read_vector(input(gpkg)); },
                                 {"has 2 layers", "parcels_2023", "--farmland-layer"});
    }
    SECTION("F21 mapped field that does not exist") {
        test::write_layers(gpkg, "GPKG", {farmland()});
        auto in = input(gpkg);
        in.fields["category"] = "LB";
        expect_error<DataError>([&] { io::read_vector(in); },
                                {"no field 'LB'", "parcel_id", "--farmland-field category=NAME"});
    }
    SECTION("F22 file does not exist") {
        expect_error<IoError>([&] { io::read_vector(input(dir.file("nope.gpkg"))); },
                              {"nope.gpkg", "does not exist"});
    }
    SECTION("F23 mixed geometry types in one layer (GeoJSON)") {
        FixtureLayer l = farmland();
        l.features[1].wkt = pt(250, 50);
        const auto gj = dir.file("mixed.geojson");
        test::write_layers(gj, "GeoJSON", {l});
        io::Layer lay = io::read_vector(input(gj));
        CHECK(lay.kind == io::GeometryKind::mixed);
        test::write_layers(gpkg, "GPKG", {mines()});
        io::Layer src = io::read_vector(input(gpkg, "sources"));
        expect_error<DataError>(
            [&] { analysis::near_analysis(lay, src, {}); },
            {"mixed.geojson", "polygons", "mixed geometries (feature 1 is a point)"});
    }
    SECTION("F24 duplicate parcel ids: a warning with the count") {
        FixtureLayer l = farmland();
        l.features[1].attrs[0] = std::string("P1");
        test::write_layers(gpkg, "GPKG", {l});
        auto in = input(gpkg);
        in.fields["id"] = "parcel_id";
        Warnings w;
        io::Layer lay = io::read_vector(in);
        CHECK(lay.report.duplicate_ids == 1);
        CHECK(w.has("1 id values occur more than once"));
    }
}

TEST_CASE("corpus F: geometry defects", "[corpus][io][geometry]") {
    TempDir dir;
    const auto gpkg = dir.file("g.gpkg");
    auto with = [&](std::vector<std::string> wkts) {
        FixtureLayer l = farmland();
        l.features.resize(wkts.size(), l.features.back());
        for (std::size_t i = 0; i < wkts.size(); ++i)
            l.features[i].wkt = wkts[i];
        test::write_layers(gpkg, "GPKG", {l});
        return input(gpkg);
    };
    // A bow-tie: two 100 x 50 triangles crossing at (50, 50) -> 2 x 2500 m².
    const std::string bowtie = "POLYGON((" + std::to_string(X0) + " " + std::to_string(Y0) + "," +
                               std::to_string(X0 + 100) + " " + std::to_string(Y0 + 100) + "," +
                               std::to_string(X0 + 100) + " " + std::to_string(Y0) + "," +
                               std::to_string(X0) + " " + std::to_string(Y0 + 100) + "," +
                               std::to_string(X0) + " " + std::to_string(Y0) + "))";
    SECTION("F25 bow-tie repaired into its two triangles, with a warning") {
        Warnings w;
        io::Layer l = io::read_vector(with({bowtie, rect(200, 0, 300, 100)}));
        REQUIRE(l.features.size() == 2);
        CHECK(total_area(l) == Approx(5000 + 10000));
        CHECK(l.report.repaired == 1);
        CHECK(w.has("repaired 1 invalid geometries (features 1)"));
    }
    SECTION("F47 a geometry collection (polygon + line) in a polygon layer") {
        const std::string gc = "GEOMETRYCOLLECTION(" + rect(0, 0, 100, 100) + ",LINESTRING(" +
                               std::to_string(X0) + " " + std::to_string(Y0) + "," +
                               std::to_string(X0 + 500) + " " + std::to_string(Y0) + "))";
        FixtureLayer l = farmland();
        l.features[1].wkt = gc;
        test::write_layers(dir.file("gc.geojson"), "GeoJSON", {l});
        io::Layer lay = io::read_vector(input(dir.file("gc.geojson")));
        CHECK(lay.kind == io::GeometryKind::mixed);
        expect_error<DataError>([&] { analysis::area_summary(lay, {}); },
                                {"gc.geojson", "an area summary needs polygons",
                                 "(feature 1 is a geometry collection)"});
    }
    SECTION("F26 self-intersecting ring with a loop, policy error") {
        auto in = with({bowtie});
        in.invalid = io::InvalidPolicy::error;
        expect_error<DataError>([&] { io::read_vector(in); },
                                {"g.gpkg", "layer farmland", "feature 1", "invalid geometry",
                                 "Self-intersection", "--invalid=fix"});
    }
    SECTION("F27 self-intersection, policy skip: dropped with a warning") {
        auto in = with({bowtie, rect(200, 0, 300, 100)});
        in.invalid = io::InvalidPolicy::skip;
        Warnings w;
        CHECK(io::read_vector(in).features.size() == 1);
        CHECK(w.has("skipped 1 features with invalid geometry"));
    }
    SECTION("F28 zero-area polygon (all vertices on a line): skipped with a warning") {
        const std::string flat = "POLYGON((" + std::to_string(X0) + " " + std::to_string(Y0) + "," +
                                 std::to_string(X0 + 50) + " " + std::to_string(Y0) + "," +
                                 std::to_string(X0 + 100) + " " + std::to_string(Y0) + "," +
                                 std::to_string(X0) + " " + std::to_string(Y0) + "))";
        Warnings w;
        io::Layer l = io::read_vector(with({flat, rect(200, 0, 300, 100)}));
        CHECK(l.features.size() == 1);
        CHECK(w.has("could not be repaired; feature skipped"));
    }
    SECTION("F29 hole outside its shell: repaired, area kept") {
        const std::string bad = "POLYGON((" + std::to_string(X0) + " " + std::to_string(Y0) + "," +
                                std::to_string(X0 + 100) + " " + std::to_string(Y0) + "," +
                                std::to_string(X0 + 100) + " " + std::to_string(Y0 + 100) + "," +
                                std::to_string(X0) + " " + std::to_string(Y0 + 100) + "," +
                                std::to_string(X0) + " " + std::to_string(Y0) + "),(" +
                                std::to_string(X0 + 200) + " " + std::to_string(Y0) + "," +
                                std::to_string(X0 + 210) + " " + std::to_string(Y0) + "," +
                                std::to_string(X0 + 210) + " " + std::to_string(Y0 + 10) + "," +
                                std::to_string(X0 + 200) + " " + std::to_string(Y0) + "))";
        Warnings w;
        io::Layer l = io::read_vector(with({bad}));
        REQUIRE(l.features.size() == 1);
        CHECK(total_area(l) > 9999);
        CHECK(w.has("repaired 1 invalid geometries"));
    }
    SECTION("F30 huge coordinates (1e12 m) in a GK CRS") {
        expect_error<DataError>(
            [&] { io::read_vector(with({rect(0, 0, 100, 100, 1e12, 1e12)})); },
            {"g.gpkg", "layer farmland", "EPSG:4545", "--farmland-override-crs"});
    }
    SECTION("F31 NaN coordinates: an error, or skipped on request") {
        const std::string nan_poly = "POLYGON((nan nan,1 0,1 1,nan nan))";
        FixtureLayer l = farmland();
        l.features.resize(1);
        l.features[0].wkt = rect(0, 0, 10, 10);
        test::write_layers(gpkg, "GPKG", {l});
        // OGR's WKT reader refuses NaN, so write the geometry with the C++ API.
        GDALDataset* ds = static_cast<GDALDataset*>(
            GDALOpenEx(gpkg.c_str(), GDAL_OF_VECTOR | GDAL_OF_UPDATE, nullptr, nullptr, nullptr));
        REQUIRE(ds);
        OGRLayer* lay = ds->GetLayer(0);
        OGRFeature f(lay->GetLayerDefn());
        OGRPolygon poly;
        OGRLinearRing ring;
        const double n = std::numeric_limits<double>::quiet_NaN();
        ring.addPoint(X0, Y0);
        ring.addPoint(n, Y0);
        ring.addPoint(X0 + 10, Y0 + 10);
        ring.addPoint(X0, Y0);
        poly.addRing(&ring);
        f.SetGeometry(&poly);
        f.SetField(0, "PNAN");
        f.SetField(1, static_cast<GIntBig>(1));
        REQUIRE(lay->CreateFeature(&f) == OGRERR_NONE);
        GDALClose(ds);
        (void)nan_poly;
        expect_error<DataError>([&] { io::read_vector(input(gpkg)); },
                                {"g.gpkg", "feature 2", "not finite", "--invalid=skip"});
        auto in = input(gpkg);
        in.invalid = io::InvalidPolicy::skip;
        Warnings w;
        io::Layer got = io::read_vector(in);
        CHECK(got.features.size() == 1);
        CHECK(w.has("skipped 1 features with invalid geometry"));
    }
}

TEST_CASE("corpus F: coordinates that contradict their CRS", "[corpus][io][crs]") {
    TempDir dir;
    const auto gpkg = dir.file("c.gpkg");
    auto write = [&](const std::string& wkt, int epsg) {
        FixtureLayer l = farmland(epsg);
        l.features.resize(1);
        l.features[0].wkt = wkt;
        test::write_layers(gpkg, "GPKG", {l});
    };
    // (108.6 E, 24.4 N) and its GK CM 108E coordinates.
    const std::string lonlat = "POLYGON((108.6 24.4,108.601 24.4,108.601 24.401,108.6 24.4))";
    const std::string latlon = "POLYGON((24.4 108.6,24.4 108.601,24.401 108.601,24.4 108.6))";
    SECTION("F48 --farmland-assume-crs that is not a CRS") {
        FixtureLayer l = farmland(0);
        test::write_layers(gpkg, "GPKG", {l});
        auto in = input(gpkg);
        in.assume_crs = "CGCS2000 108";
        expect_error<UsageError>(
            [&] { io::read_vector(in); },
            {"--farmland-assume-crs", "'CGCS2000 108' is not a known CRS", "EPSG:4545"});
    }
    SECTION("F49 --farmland-override-crs with an unknown EPSG code") {
        test::write_layers(gpkg, "GPKG", {farmland()});
        auto in = input(gpkg);
        in.override_crs = "EPSG:999999";
        expect_error<UsageError>([&] { io::read_vector(in); },
                                 {"--farmland-override-crs", "'EPSG:999999' is not a known CRS"});
    }
    SECTION("F32 lat/lon swapped in EPSG:4326") {
        write(latlon, 4326);
        expect_error<DataError>([&] { io::read_vector(input(gpkg)); },
                                {"c.gpkg", "swapped order", "x = longitude"});
    }
    SECTION("F33 degrees labelled as GK metres") {
        write(lonlat, 4545);
        expect_error<DataError>([&] { io::read_vector(input(gpkg)); },
                                {"look like longitude/latitude", "EPSG:4490"});
    }
    SECTION("F34 GK metres labelled as degrees") {
        write(rect(0, 0, 100, 100), 4490);
        expect_error<DataError>([&] { io::read_vector(input(gpkg)); },
                                {"are not degrees", "EPSG:4545"});
    }
    SECTION("F35 zone-prefixed eastings (36xxxxxx) under the prefix-less EPSG:4545") {
        write(rect(0, 0, 100, 100, 36e6 + X0), 4545);
        expect_error<DataError>([&] { io::read_vector(input(gpkg)); },
                                {"zone prefix (36)", "EPSG:4524"});
    }
    SECTION("F36 eastings without prefix under the prefixed EPSG:4524") {
        write(rect(0, 0, 100, 100), 4524);
        expect_error<DataError>([&] { io::read_vector(input(gpkg)); },
                                {"have no zone prefix", "EPSG:4545"});
    }
    SECTION("F37 zone-prefixed eastings labelled as degrees") {
        write(rect(0, 0, 100, 100, 36e6 + X0), 4490);
        expect_error<DataError>([&] { io::read_vector(input(gpkg)); },
                                {"zone prefix 36", "EPSG:4524"});
    }
    SECTION("F38 CSV sample points with lat/lon columns swapped") {
        const auto csv = dir.file("pts.csv");
        test::spit(csv, "sample_id,lon,lat,cd\nS1,24.40,108.60,0.2\nS2,24.41,108.61,0.3\n");
        expect_error<Error>([&] { io::read_vector(input(csv, "samples")); },
                            {"pts.csv", "columns look swapped", "--samples-x"});
    }
}

TEST_CASE("corpus F: categories", "[corpus][categories]") {
    TempDir dir;
    const auto gpkg = dir.file("cat.gpkg");
    test::write_layers(dir.file("src.gpkg"), "GPKG", {mines()});
    io::Layer src = io::read_vector(input(dir.file("src.gpkg"), "sources"));
    auto farm_with = [&](std::vector<test::Attr> cats, FixtureField::Type type) {
        FixtureLayer l = farmland();
        l.fields[1].type = type;
        for (std::size_t i = 0; i < cats.size(); ++i)
            l.features[i].attrs[1] = cats[i];
        test::write_layers(gpkg, "GPKG", {l});
        return io::read_vector(input(gpkg));
    };
    SECTION("F39 unknown category code 4 (near)") {
        io::Layer f = farm_with({1LL, 4LL, 3LL}, FixtureField::integer);
        expect_error<DataError>([&] { analysis::near_analysis(f, src, {}); },
                                {"cat.gpkg", "feature 2", "category '4'", "not 1, 2 or 3",
                                 "--farmland-field category=NAME"});
    }
    SECTION("F40 unknown category text (area summary)") {
        io::Layer f = farm_with({std::string("一类"), std::string("2"), std::string("3")},
                                FixtureField::string);
        expect_error<DataError>([&] { analysis::area_summary(f, {}); },
                                {"feature 1", "category '一类'", "not 1, 2 or 3"});
    }
    SECTION("F41 category 2.5 (real column)") {
        io::Layer f = farm_with({1.0, 2.5, 3.0}, FixtureField::real);
        expect_error<DataError>([&] { analysis::area_summary(f, {}); },
                                {"feature 2", "category '2.5'"});
    }
    SECTION("F42 all-null category (near): error that says it is empty") {
        io::Layer f = farm_with({std::monostate{}, std::monostate{}, std::monostate{}},
                                FixtureField::integer);
        expect_error<DataError>(
            [&] { analysis::near_analysis(f, src, {}); },
            {"cat.gpkg", "feature", "has no category (empty)", "--farmland-field category=NAME"});
    }
    SECTION("F43 all-null category (area summary)") {
        io::Layer f = farm_with({std::monostate{}, std::monostate{}, std::monostate{}},
                                FixtureField::integer);
        expect_error<DataError>([&] { analysis::area_summary(f, {}); },
                                {"feature 1", "has no category (empty)"});
    }
    SECTION("F44 all-null category (classify): proposals kept, with a warning") {
        io::Layer farm = test::memory_layer("farmland", io::GeometryKind::polygon,
                                            {"parcel_id", "dlbm", "category"},
                                            {{rect(0, 0, 100, 100), {s("P1"), s("0101"), V()}},
                                             {rect(200, 0, 300, 100), {s("P2"), s("0101"), V()}}});
        io::Layer samp =
            test::memory_layer("samples", io::GeometryKind::point, {"sample_id", "ph", "cd"},
                               {{pt(50, 50), {s("S1"), V(6.0), V(0.2)}}});
        analysis::ClassifyInputs in;
        in.farmland = &farm;
        in.samples = &samp;
        in.soil = &standards().soil;
        in.rules = &standards().rules;
        Warnings w;
        auto r = analysis::classify(in, {});
        CHECK(r.parcel_results[0].current == 0);
        CHECK(r.parcel_results[0].proposed == 1);
        CHECK(w.has("2 of 2 parcels have no category"));
    }
    SECTION("F46 empty-text category (near)") {
        io::Layer f =
            farm_with({std::string("1"), std::string(" "), std::string("3")}, FixtureField::string);
        expect_error<DataError>([&] { analysis::near_analysis(f, src, {}); },
                                {"feature 2, field category: has no category (empty)"});
    }
    SECTION("F50 points given as farmland (near)") {
        FixtureLayer l = mines();
        l.name = "farmland";
        l.fields.push_back({"category", FixtureField::integer});
        l.features[0].attrs.push_back(1LL);
        test::write_layers(gpkg, "GPKG", {l});
        io::Layer f = io::read_vector(input(gpkg));
        expect_error<DataError>(
            [&] { analysis::near_analysis(f, src, {}); },
            {"cat.gpkg", "farmland must be polygons", "point geometries (feature 1 is a point)"});
    }
    SECTION("F45 category field missing (near)") {
        FixtureLayer l = farmland();
        l.fields[1].name = "LB";
        test::write_layers(gpkg, "GPKG", {l});
        io::Layer f = io::read_vector(input(gpkg));
        expect_error<DataError>(
            [&] { analysis::near_analysis(f, src, {}); },
            {"no field 'category' for the category role", "LB", "--farmland-field category=NAME"});
    }
}

TEST_CASE("corpus S: sources", "[corpus][io]") {
    TempDir dir;
    const auto gpkg = dir.file("src.gpkg");
    test::write_layers(dir.file("farm.gpkg"), "GPKG", {farmland()});
    io::Layer farm = io::read_vector(input(dir.file("farm.gpkg")));
    SECTION("S01 empty sources layer") {
        FixtureLayer l = mines();
        l.features.clear();
        test::write_layers(gpkg, "GPKG", {l});
        expect_error<DataError>([&] { io::read_vector(input(gpkg, "sources")); },
                                {"src.gpkg", "has no features", "--sources-layer"});
    }
    SECTION("S02 sources without CRS") {
        FixtureLayer l = mines();
        l.epsg = 0;
        test::write_layers(gpkg, "GPKG", {l});
        expect_error<DataError>([&] { io::read_vector(input(gpkg, "sources")); },
                                {"has no CRS", "--sources-assume-crs"});
    }
    SECTION("S03 sources in degrees, farmland in metres, not reprojected") {
        FixtureLayer l = mines();
        l.epsg = 4490;
        l.features[0].wkt = "POINT(108.6 24.4)";
        test::write_layers(gpkg, "GPKG", {l});
        io::Layer s = io::read_vector(input(gpkg, "sources"));
        expect_error<DataError>([&] { analysis::near_analysis(farm, s, {}); }, {"CRS"});
    }
    SECTION("S04 sources with a zone prefix under the wrong code") {
        FixtureLayer l = mines();
        l.features[0].wkt = "POINT(" + std::to_string(36e6 + X0) + " " + std::to_string(Y0) + ")";
        test::write_layers(gpkg, "GPKG", {l});
        expect_error<DataError>([&] { io::read_vector(input(gpkg, "sources")); },
                                {"zone prefix", "--sources-override-crs EPSG:4524"});
    }
    SECTION("S05 point sources at a huge distance (1e9 m)") {
        FixtureLayer l = mines();
        l.features[0].wkt = "POINT(1e9 1e9)";
        test::write_layers(gpkg, "GPKG", {l});
        expect_error<DataError>([&] { io::read_vector(input(gpkg, "sources")); },
                                {"src.gpkg", "EPSG:4545", "--sources-override-crs"});
    }
}

// =========================================================================================
// Soil samples: lab sheets
// =========================================================================================

TEST_CASE("corpus M: concentration cells", "[corpus][classify]") {
    // GB 15618, paddy, 5.5 < pH <= 6.5: Cd screening 0.4, intervention 2.0.
    SECTION("M01 '<0.01': below detection, half the limit by default") {
        auto [cd, cls] = cd_of(classify_one(V(6.0), s("<0.01")));
        CHECK(cd == Approx(0.005));
        CHECK(cls == 1);
    }
    SECTION("M02 'ND' without a limit counts as 0") {
        auto [cd, cls] = cd_of(classify_one(V(6.0), s("ND")));
        CHECK(cd == 0);
        CHECK(cls == 1);
    }
    SECTION("M03 '未检出' and full-width '＜0.02' and '0.02L'") {
        CHECK(cd_of(classify_one(V(6.0), s("未检出"))).first == 0);
        CHECK(cd_of(classify_one(V(6.0), s("＜0.02"))).first == Approx(0.01));
        CHECK(cd_of(classify_one(V(6.0), s("0.02L"))).first == Approx(0.01));
    }
    SECTION("M04 em dash '—' is an error naming the sample and field") {
        expect_error<DataError>(
            [&] { classify_one(V(6.0), s("—")); },
            {"samples.gpkg", "feature 1", "sample S1", "field cd", "'—'", "is not a number"});
    }
    SECTION("M05 decimal comma '0,35' is read as 0.35 with a warning") {
        Warnings w;
        auto [cd, cls] = cd_of(classify_one(V(6.0), s("0,35")));
        CHECK(cd == Approx(0.35));
        CHECK(cls == 1);
        CHECK(w.has("decimal comma"));
        CHECK(w.has("field cd"));
    }
    SECTION("M06 '1,200' is ambiguous (thousands or decimal): error") {
        expect_error<DataError>([&] { classify_one(V(6.0), s("1,200")); },
                                {"sample S1", "field cd", "'1,200'", "ambiguous"});
    }
    SECTION("M07 negative concentration") {
        expect_error<DataError>([&] { classify_one(V(6.0), V(-0.3)); },
                                {"sample S1", "field cd", "negative value -0.3"});
    }
    SECTION("M08 negative concentration as text") {
        expect_error<DataError>([&] { classify_one(V(6.0), s("-0.3")); },
                                {"sample S1", "field cd", "negative"});
    }
    SECTION("M09 free text 'see remark'") {
        expect_error<DataError>([&] { classify_one(V(6.0), s("see remark")); },
                                {"sample S1", "field cd", "'see remark'"});
    }
    SECTION("M10 '<' with no number") {
        expect_error<DataError>([&] { classify_one(V(6.0), s("<abc")); },
                                {"sample S1", "field cd", "not a detection limit"});
    }
    SECTION("M11 hexadecimal-looking text '0x10' is not read as 16") {
        expect_error<DataError>([&] { classify_one(V(6.0), s("0x10")); },
                                {"sample S1", "field cd", "'0x10'"});
    }
    SECTION("M12 'inf' / 'NaN' text") {
        expect_error<DataError>([&] { classify_one(V(6.0), s("inf")); }, {"field cd", "'inf'"});
        expect_error<DataError>([&] { classify_one(V(6.0), s("NaN")); }, {"field cd", "'NaN'"});
    }
    SECTION("M13 non-finite number in a real column") {
        expect_error<DataError>(
            [&] { classify_one(V(6.0), V(std::numeric_limits<double>::infinity())); },
            {"sample S1", "field cd", "not a finite number"});
    }
    SECTION("M14 value with a unit '0.35mg/kg'") {
        expect_error<DataError>([&] { classify_one(V(6.0), s("0.35mg/kg")); },
                                {"sample S1", "field cd", "'0.35mg/kg'"});
    }
}

TEST_CASE("corpus M: pH cells", "[corpus][classify]") {
    SECTION("M15 pH 15 (outside 0-14)") {
        expect_error<DataError>([&] { classify_one(V(15.0), V(0.2)); },
                                {"sample S1", "field ph", "pH 15", "outside 0-14"});
    }
    SECTION("M16 pH -1") {
        expect_error<DataError>([&] { classify_one(V(-1.0), V(0.2)); },
                                {"sample S1", "field ph", "pH -1", "outside 0-14"});
    }
    SECTION("M17 pH 'ND'") {
        expect_error<DataError>([&] { classify_one(s("ND"), V(0.2)); },
                                {"sample S1", "pH is below detection", "--default-ph"});
    }
    SECTION("M18 pH empty without a default") {
        expect_error<DataError>([&] { classify_one(V(), V(0.2)); },
                                {"sample S1", "pH is empty", "--default-ph"});
    }
    SECTION("M19 pH empty with --default-ph 6: used") {
        analysis::ClassifyOptions o;
        o.default_ph = 6.0;
        CHECK(classify_one(V(), V(0.5), o).parcel_results[0].soil_class == 2);
    }
    SECTION("M20 pH with a decimal comma '7,2': read with a warning") {
        Warnings w;
        // pH 7.2 (6.5 < pH <= 7.5): paddy Cd screening 0.6 -> 0.5 is class 1.
        CHECK(classify_one(s("7,2"), V(0.5)).parcel_results[0].soil_class == 1);
        CHECK(w.has("decimal comma"));
    }
    SECTION("M21 pH text 'weakly acidic'") {
        expect_error<DataError>([&] { classify_one(s("weakly acidic"), V(0.2)); },
                                {"sample S1", "field ph", "'weakly acidic'"});
    }
    SECTION("M22 --default-ph 20") {
        analysis::ClassifyOptions o;
        o.default_ph = 20;
        expect_error<UsageError>([&] { classify_one(V(), V(0.2), o); },
                                 {"--default-ph must be between 0 and 14"});
    }
}

TEST_CASE("corpus M: full-width digits", "[corpus][classify]") {
    SECTION("M35 pH '６．０' and Cd '０．５' typed with a Chinese input method") {
        auto [cd, cls] = cd_of(classify_one(s("６．０"), s("０．５")));
        CHECK(cd == Approx(0.5));
        CHECK(cls == 2); // paddy, 5.5 < pH <= 6.5: Cd screening 0.4
    }
}

TEST_CASE("corpus M: sample layers", "[corpus][classify]") {
    const io::Layer farm = mem_farm();
    analysis::ClassifyInputs in;
    in.farmland = &farm;
    in.soil = &standards().soil;
    in.rules = &standards().rules;
    SECTION("M23 no element columns") {
        io::Layer samp =
            test::memory_layer("samples", io::GeometryKind::point, {"sample_id", "ph", "镉"},
                               {{pt(50, 50), {s("S1"), V(6.0), V(0.2)}}});
        in.samples = &samp;
        expect_error<DataError>([&] { analysis::classify(in, {}); },
                                {"samples.gpkg", "no element columns", "--samples-field cd=NAME"});
    }
    SECTION("M24 no pH column and no default") {
        io::Layer samp = test::memory_layer("samples", io::GeometryKind::point, {"sample_id", "cd"},
                                            {{pt(50, 50), {s("S1"), V(0.2)}}});
        in.samples = &samp;
        expect_error<DataError>([&] { analysis::classify(in, {}); },
                                {"no pH field", "--samples-field ph=NAME", "--default-ph"});
    }
    SECTION("M25 unknown land use text") {
        io::Layer samp = test::memory_layer("samples", io::GeometryKind::point,
                                            {"sample_id", "ph", "landuse", "cd"},
                                            {{pt(500, 500), {s("S1"), V(6.0), s("鱼塘"), V(0.2)}}});
        in.samples = &samp;
        expect_error<DataError>([&] { analysis::classify(in, {}); },
                                {"sample S1", "field landuse", "'鱼塘' is unknown"});
    }
    SECTION("M26 samples given as polygons") {
        io::Layer samp =
            test::memory_layer("samples", io::GeometryKind::polygon, {"sample_id", "ph", "cd"},
                               {{rect(0, 0, 10, 10), {s("S1"), V(6.0), V(0.2)}}});
        in.samples = &samp;
        expect_error<DataError>([&] { analysis::classify(in, {}); },
                                {"soil samples must be points", "polygon"});
    }
    SECTION("M27 sample outside every parcel without land use") {
        io::Layer samp =
            test::memory_layer("samples", io::GeometryKind::point, {"sample_id", "ph", "cd"},
                               {{pt(5000, 5000), {s("S9"), V(6.0), V(0.2)}}});
        in.samples = &samp;
        expect_error<DataError>([&] { analysis::classify(in, {}); },
                                {"sample S9", "no land use", "--default-landuse"});
    }
    SECTION("M28 unknown DLBM code on the farmland") {
        io::Layer bad = test::memory_layer(
            "farmland", io::GeometryKind::polygon, {"parcel_id", "dlbm", "category"},
            {{rect(0, 0, 100, 100), {s("P1"), s("0601"), V(std::int64_t(1))}}});
        io::Layer samp =
            test::memory_layer("samples", io::GeometryKind::point, {"sample_id", "ph", "cd"},
                               {{pt(50, 50), {s("S1"), V(6.0), V(0.2)}}});
        in.farmland = &bad;
        in.samples = &samp;
        expect_error<DataError>([&] { analysis::classify(in, {}); },
                                {"farmland.gpkg", "feature 1", "DLBM '0601'", "[landuse.dlbm]"});
    }
    SECTION("M29 samples in another CRS than the farmland") {
        io::Layer samp =
            test::memory_layer("samples", io::GeometryKind::point, {"sample_id", "ph", "cd"},
                               {{"POINT(108.6 24.4)", {s("S1"), V(6.0), V(0.2)}}});
        samp.crs = Crs::from_epsg(4490);
        in.samples = &samp;
        expect_error<DataError>([&] { analysis::classify(in, {}); },
                                {"different CRSs", "one working CRS"});
    }
    SECTION("M30 duplicate sample ids: a warning") {
        TempDir dir;
        const auto csv = dir.file("s.csv");
        test::spit(csv,
                   "sample_id,x,y,ph,cd\nS1,400050,2700050,6.0,0.2\nS1,400060,2700060,6.1,0.3\n");
        auto i = input(csv, "samples");
        i.assume_crs = "EPSG:4545";
        i.fields["id"] = "sample_id";
        Warnings w;
        io::Layer l = io::read_vector(i);
        CHECK(l.features.size() == 2);
        CHECK(w.has("1 id values occur more than once"));
    }
    SECTION("M36 duplicate sample ids in classify: a warning naming the id") {
        io::Layer samp = test::memory_layer(
            "samples", io::GeometryKind::point, {"sample_id", "ph", "cd"},
            {{pt(50, 50), {s("S1"), V(6.0), V(0.2)}}, {pt(60, 60), {s("S1"), V(6.0), V(0.3)}}});
        in.samples = &samp;
        Warnings w;
        CHECK(analysis::classify(in, {}).parcel_results[0].soil_class == 1);
        CHECK(w.has("field sample_id: 1 sample ids occur more than once (first 'S1')"));
    }
    SECTION("M31 CSV sheet with '<0.01', 'ND', '0,35' read through OGR") {
        TempDir dir;
        const auto csv = dir.file("s.csv");
        test::spit(csv, "sample_id,x,y,ph,cd\nS1,400050,2700050,6.0,\"0,35\"\n"
                        "S2,400060,2700060,6.0,<0.01\nS3,400070,2700070,6.0,ND\n");
        auto i = input(csv, "samples");
        i.assume_crs = "EPSG:4545";
        io::Layer samp = io::read_vector(i);
        in.samples = &samp;
        Warnings w;
        auto r = analysis::classify(in, {});
        CHECK(r.parcel_results[0].soil_class == 1);
        CHECK(w.has("decimal comma"));
    }
}

TEST_CASE("corpus M: crop samples", "[corpus][classify]") {
    static const analysis::FoodStandard food =
        analysis::load_food_standard(analysis::standards_dir() / "gb2762.toml", "2017");
    const io::Layer farm = mem_farm();
    const io::Layer samp =
        test::memory_layer("samples", io::GeometryKind::point, {"sample_id", "ph", "cd"},
                           {{pt(50, 50), {s("S1"), V(6.0), V(0.2)}}});
    auto run = [&](const V& crop, const V& cd) {
        const io::Layer crops =
            test::memory_layer("crops", io::GeometryKind::point, {"sample_id", "crop", "cd"},
                               {{pt(40, 40), {s("C1"), crop, cd}}});
        analysis::ClassifyInputs in;
        in.farmland = &farm;
        in.samples = &samp;
        in.crops = &crops;
        in.soil = &standards().soil;
        in.food = &food;
        in.rules = &standards().rules;
        return analysis::classify(in, {});
    };
    SECTION("M32 rice Cd '0,3' (decimal comma): read as 0.3, with a warning") {
        Warnings w;
        const auto r = run(s("水稻"), s("0,3"));
        int col = -1;
        for (std::size_t i = 0; i < r.crops.columns.size(); ++i)
            if (r.crops.columns[i].name == "cd_limit_ratio") col = static_cast<int>(i);
        REQUIRE(col >= 0);
        CHECK(*io::Layer::number(r.crops.rows.at(0).at(col)) == Approx(1.5)); // 0.3 / 0.2
        CHECK(w.has("crops.gpkg, layer crops, field cd: 1 values use a decimal comma"));
    }
    SECTION("M33 rice Cd negative") {
        expect_error<DataError>([&] { run(s("rice"), V(-0.1)); },
                                {"crops.gpkg", "sample C1", "field cd", "negative"});
    }
    SECTION("M34 crop name not in GB 2762") {
        expect_error<DataError>([&] { run(s("香蕉"), V(0.1)); }, {"sample C1", "'香蕉'"});
    }
}

// =========================================================================================
// DEMs
// =========================================================================================

TEST_CASE("corpus D: DEM rasters", "[corpus][hydro]") {
    TempDir dir;
    const auto tif = dir.file("dem.tif");
    SECTION("D01 every cell nodata") {
        DemSpec d;
        d.nodata = -9999;
        d.z.assign(16, -9999);
        write_dem(tif, d);
        expect_error<DataError>([&] { hydro::load_dem(tif); },
                                {"dem.tif", "no valid elevation", "nodata"});
        expect_error<DataError>(
            [&] { hydro::condition_to_folder(tif, dir.file("out"), condition_opts()); },
            {"dem.tif", "no valid elevation"});
        CHECK(!fs::exists(dir.file("out/filled.tif")));
    }
    SECTION("D02 NaN cells without a declared nodata: treated as nodata") {
        DemSpec d;
        write_dem(tif, d);
        d.z.clear();
        for (int i = 0; i < 16; ++i)
            d.z.push_back(i == 5 ? std::numeric_limits<double>::quiet_NaN() : 100.0 + i);
        write_dem(tif, d);
        CHECK(hydro::load_dem(tif).valid_count() == 15);
    }
    SECTION("D03 every cell NaN") {
        DemSpec d;
        d.z.assign(16, std::numeric_limits<double>::quiet_NaN());
        write_dem(tif, d);
        expect_error<DataError>([&] { hydro::load_dem(tif); }, {"dem.tif", "no valid elevation"});
    }
    SECTION("D04 infinite elevations: nodata, with a warning") {
        DemSpec d;
        write_dem(tif, d);
        d.z.clear();
        for (int i = 0; i < 16; ++i)
            d.z.push_back(i == 3 ? std::numeric_limits<double>::infinity() : 100.0 + i);
        write_dem(tif, d);
        Warnings w;
        CHECK(hydro::load_dem(tif).valid_count() == 15);
        CHECK(w.has("1 cells have infinite elevations; they are treated as nodata"));
    }
    SECTION("D05 non-square cells (10 m x 20 m): true sizes kept") {
        DemSpec d;
        d.gt = {X0, 10, 0, Y0, 0, -20};
        write_dem(tif, d);
        const hydro::Dem dem = hydro::load_dem(tif);
        CHECK(dem.geometry.cell_width_m(0) == 10);
        CHECK(dem.geometry.cell_height_m(0) == 20);
        CHECK(dem.geometry.cell_area_m2(0) == 200);
    }
    SECTION("D06 rotated geotransform") {
        DemSpec d;
        d.gt = {X0, 10, 0.5, Y0, 0.5, -10};
        write_dem(tif, d);
        expect_error<DataError>([&] { hydro::load_dem(tif); },
                                {"dem.tif", "rotated or sheared", "gdalwarp"});
    }
    SECTION("D07 zero pixel size (a VRT over a good GeoTIFF)") {
        write_dem(tif, DemSpec{});
        const auto vrt = dir.file("zero.vrt");
        test::spit(vrt, "<VRTDataset rasterXSize=\"4\" rasterYSize=\"4\">\n"
                        "  <GeoTransform>400000, 0, 0, 2700000, 0, -10</GeoTransform>\n"
                        "  <VRTRasterBand dataType=\"Float32\" band=\"1\"><SimpleSource>\n"
                        "    <SourceFilename relativeToVRT=\"1\">dem.tif</SourceFilename>\n"
                        "    <SourceBand>1</SourceBand></SimpleSource></VRTRasterBand>\n"
                        "</VRTDataset>\n");
        expect_error<DataError>([&] { hydro::load_dem(vrt); }, {"zero.vrt", "zero pixel size"});
    }
    SECTION("D08 no georeference: 1 m cells with a warning") {
        DemSpec d;
        d.georef = false;
        d.epsg = 0;
        write_dem(tif, d);
        Warnings w;
        const hydro::Dem dem = hydro::load_dem(tif);
        CHECK(dem.geometry.cell_area_m2(0) == 1);
        CHECK(w.has("no georeference; cells are taken as 1 m squares"));
    }
    SECTION("D09 no CRS: metres on a plane with a warning") {
        DemSpec d;
        d.epsg = 0;
        write_dem(tif, d);
        Warnings w;
        hydro::load_dem(tif);
        CHECK(w.has("no CRS; coordinates are taken as metres"));
    }
    SECTION("D10 geographic DEM whose latitudes pass 90") {
        DemSpec d;
        d.epsg = 4490;
        d.gt = {108, 0.01, 0, 95, 0, -0.01};
        write_dem(tif, d);
        expect_error<DataError>([&] { hydro::load_dem(tif); }, {"dem.tif", "latitudes beyond"});
    }
    SECTION("D11 truncated GeoTIFF") {
        DemSpec d;
        d.w = d.h = 64;
        write_dem(tif, d);
        std::string b = test::slurp(tif);
        test::spit(tif, b.substr(0, b.size() / 2));
        expect_error<Error>([&] { hydro::load_dem(tif); }, {"dem.tif"});
    }
    SECTION("D12 not a raster (text renamed .tif)") {
        test::spit(tif, "x,y,z\n1,2,3\n");
        expect_error<IoError>([&] { hydro::load_dem(tif); }, {"dem.tif"});
    }
    SECTION("D13 missing file") {
        expect_error<IoError>([&] { hydro::load_dem(dir.file("none.tif")); }, {"none.tif"});
    }
    SECTION("D18 Int16 DEM with -32768 voids and no declared nodata") {
        DemSpec d;
        d.type = GDT_Int16;
        write_dem(tif, d);
        d.z.clear();
        for (int i = 0; i < 16; ++i)
            d.z.push_back(i % 5 == 0 ? -32768.0 : 100.0 + i);
        write_dem(tif, d);
        Warnings w;
        CHECK(hydro::load_dem(tif).valid_count() == 12);
        CHECK(w.has("4 cells are below -11000 m (lowest -32768)"));
        CHECK(w.has("gdal_edit.py -a_nodata -32768"));
    }
    SECTION("D19 every cell -9999 and no declared nodata") {
        DemSpec d;
        d.z.assign(16, -9999);
        write_dem(tif, d);
        // -9999 is a possible (if odd) elevation; every cell alike is a flat plane.
        CHECK(hydro::load_dem(tif).valid_count() == 16);
        d.z.assign(16, -32768);
        write_dem(tif, d);
        expect_error<DataError>([&] { hydro::load_dem(tif); },
                                {"dem.tif", "no valid elevation", "-a_nodata -32768"});
    }
    SECTION("D14 band 2 of a one-band DEM") {
        write_dem(tif, DemSpec{});
        expect_error<DataError>([&] { hydro::load_dem(tif, 2); }, {"dem.tif", "has no band 2"});
    }
    SECTION("D15 complex pixel type") {
        DemSpec d;
        d.type = GDT_CFloat32;
        write_dem(tif, d);
        expect_error<DataError>([&] { hydro::load_dem(tif); }, {"dem.tif", "complex"});
    }
    SECTION("D16 conditioned folder without d8.tif") {
        write_dem(tif, DemSpec{});
        const auto out = dir.file("cond");
        hydro::condition_to_folder(tif, out, condition_opts());
        fs::remove(out + "/d8.tif");
        expect_error<IoError>([&] { hydro::load_conditioned(out); }, {"d8.tif"});
    }
    SECTION("D17 conditioned folder whose d8.tif is another grid") {
        write_dem(tif, DemSpec{});
        const auto out = dir.file("cond");
        hydro::condition_to_folder(tif, out, condition_opts());
        DemSpec other;
        other.w = 5;
        const auto tif2 = dir.file("dem2.tif");
        write_dem(tif2, other);
        const auto out2 = dir.file("cond2");
        hydro::condition_to_folder(tif2, out2, condition_opts());
        fs::copy_file(out2 + "/d8.tif", out + "/d8.tif", fs::copy_options::overwrite_existing);
        expect_error<DataError>([&] { hydro::load_conditioned(out); }, {"d8.tif"});
    }
}

// =========================================================================================
// River networks (downstream --rivers)
// =========================================================================================

TEST_CASE("corpus R: river networks", "[corpus][hydro][rivers]") {
    TempDir dir;
    const auto tif = dir.file("dem.tif");
    write_dem(tif, DemSpec{}); // 4 × 4 cells of 10 m from (X0, Y0) down
    const auto path = dir.file("rivers.geojson");
    auto load = [&](const FixtureLayer& l, int target_epsg, double depth = 50) {
        test::write_layers(path, "GeoJSON", {l});
        io::VectorInput in;
        in.role = "rivers";
        in.path = path;
        in.allow_empty = true;
        const io::Layer rivers =
            io::read_vector(in, target_epsg ? Crs::from_epsg(target_epsg) : Crs());
        analysis::RiverBurn burn;
        burn.rivers = &rivers;
        burn.depth_m = depth;
        analysis::load_flow_grids(tif, dir.file("cache"), hydro::NodataAs::outlet, {}, {}, nullptr,
                                  burn);
    };
    auto layer = [](int epsg, std::vector<std::string> wkts) {
        FixtureLayer l;
        l.name = "rivers";
        l.epsg = epsg;
        l.fields = {{"name", FixtureField::string}};
        for (auto& w : wkts)
            l.features.push_back({w, {std::string("R")}});
        return l;
    };
    const std::string line = "LINESTRING(" + std::to_string(X0 + 15) + " " + std::to_string(Y0) +
                             "," + std::to_string(X0 + 15) + " " + std::to_string(Y0 - 40) + ")";
    SECTION("R01 river-surface polygons instead of lines") {
        expect_error<DataError>(
            [&] { load(layer(4545, {rect(10, -40, 20, 0)}), 4545); },
            {"rivers.geojson", "rivers must be lines", "polygon", "centre lines"});
    }
    SECTION("R02 points and lines in one layer") {
        expect_error<DataError>(
            [&] {
                load(layer(4545, {line, pt(5, -5)}), 4545);
            },
            {"rivers.geojson", "must be lines", "mixed"});
    }
    SECTION("R03 an empty layer") {
        expect_error<DataError>([&] { load(layer(4545, {}), 4545); },
                                {"rivers.geojson", "no river lines", "--rivers-where"});
    }
    SECTION("R04 every line outside the DEM") {
        const std::string far = "LINESTRING(" + std::to_string(X0 + 5000) + " " +
                                std::to_string(Y0) + "," + std::to_string(X0 + 6000) + " " +
                                std::to_string(Y0) + ")";
        expect_error<DataError>(
            [&] { load(layer(4545, {far}), 4545); },
            {"rivers.geojson", "none of its 1 river lines crosses the DEM", "EPSG:4545"});
        CHECK(!fs::exists(dir.file("cache")));
    }
    SECTION("R05 lines in another CRS, not read in the DEM's") {
        expect_error<DataError>([&] { load(layer(4326, {"LINESTRING(108 24,108.1 24)"}), 0); },
                                {"rivers.geojson", "differs from the DEM's", "DEM's CRS"});
    }
    SECTION("R06 a burn depth that is not positive") {
        expect_error<UsageError>([&] { load(layer(4545, {line}), 4545, 0); },
                                 {"--burn-depth", "positive"});
    }
    SECTION("R07 a line partly off the DEM: the cells on it are burned") {
        const std::string longer = "LINESTRING(" + std::to_string(X0 + 15) + " " +
                                   std::to_string(Y0 + 500) + "," + std::to_string(X0 + 15) + " " +
                                   std::to_string(Y0 - 500) + ")";
        test::write_layers(path, "GeoJSON", {layer(4545, {longer})});
        io::VectorInput in;
        in.role = "rivers";
        in.path = path;
        const io::Layer rivers = io::read_vector(in, Crs::from_epsg(4545));
        analysis::RiverBurn burn;
        burn.rivers = &rivers;
        const auto g = hydro::read_grid_geometry(tif);
        const auto cells = analysis::river_cells(g, burn);
        REQUIRE(cells.size() == 4); // column 1, rows 0..3
        for (int r = 0; r < 4; ++r)
            CHECK(cells[std::size_t(r)] == g.index(1, r));
    }
}

// =========================================================================================
// Project files
// =========================================================================================

TEST_CASE("corpus P: project files", "[corpus][pipeline]") {
    using pipeline::parse_project;
    SECTION("P01 TOML syntax error: file, line and column") {
        expect_error<UsageError>([&] { parse_project("[project]\nname = \"a\n", "p.toml"); },
                                 {"p.toml:2:"});
    }
    SECTION("P02 unknown section") {
        expect_error<UsageError>(
            [&] { parse_project("[layer.farmland]\npath='f.gpkg'\n", "p.toml"); },
            {"p.toml:", "unknown section 'layer'", "layers"});
    }
    SECTION("P03 unknown key in [project]") {
        expect_error<UsageError>([&] { parse_project("[project]\noutput = 'x'\n", "p.toml"); },
                                 {"[project]", "unknown key 'output'", "out"});
    }
    SECTION("P04 unknown layer key") {
        expect_error<UsageError>(
            [&] { parse_project("[layers.farmland]\npath='f.gpkg'\nfield={a='b'}\n", "p.toml"); },
            {"[layers.farmland]", "unknown key 'field'", "fields"});
    }
    SECTION("P05 path given as a number") {
        expect_error<UsageError>([&] { parse_project("[layers.f]\npath=5\n", "p.toml"); },
                                 {"[layers.f]", "'path' must be a string"});
    }
    SECTION("P06 fields given as a string instead of a table") {
        expect_error<UsageError>(
            [&] { parse_project("[layers.f]\npath='f.gpkg'\nfields='category=LB'\n", "p.toml"); },
            {"[layers.f]", "fields"});
    }
    SECTION("P07 fields with a number value") {
        expect_error<UsageError>(
            [&] { parse_project("[layers.f]\npath='f.gpkg'\nfields={category=3}\n", "p.toml"); },
            {"'category' must be a string"});
    }
    SECTION("P08 layer without path") {
        expect_error<UsageError>([&] { parse_project("[layers.f]\nlayer='x'\n", "p.toml"); },
                                 {"[layers.f]", "'path' is required"});
    }
    SECTION("P09 invalid policy 'repair'") {
        expect_error<UsageError>(
            [&] { parse_project("[layers.f]\npath='f.gpkg'\ninvalid='repair'\n", "p.toml"); },
            {"'repair'", "fix, skip, error"});
    }
    SECTION("P10 lang 'fr'") {
        expect_error<UsageError>([&] { parse_project("[project]\nlang='fr'\n", "p.toml"); },
                                 {"lang must be \"zh\" or \"en\""});
    }
    SECTION("P11 lang given as a number") {
        expect_error<UsageError>([&] { parse_project("[project]\nlang=1\n", "p.toml"); },
                                 {"[project]", "'lang' must be a string"});
    }
    SECTION("P12 [layers] as a value") {
        expect_error<UsageError>([&] { parse_project("layers = 5\n", "p.toml"); },
                                 {"[layers] must be a table"});
    }
    SECTION("P13 [steps] as a table instead of [[steps]]") {
        expect_error<UsageError>([&] { parse_project("[steps]\ntype='near'\n", "p.toml"); },
                                 {"[[steps]]"});
    }
    SECTION("P14 step without type") {
        expect_error<UsageError>([&] { parse_project("[[steps]]\nname='a'\n", "p.toml"); },
                                 {"step 1", "has no type"});
    }
    SECTION("P15 step type given as a number") {
        expect_error<UsageError>([&] { parse_project("[[steps]]\ntype=5\n", "p.toml"); },
                                 {"step 1", "'type' must be a string"});
    }
    SECTION("P16 step name given as a number") {
        expect_error<UsageError>(
            [&] { parse_project("[[steps]]\ntype='near'\nname=5\n", "p.toml"); },
            {"step 1", "'name' must be a string"});
    }
    SECTION("P17 two steps with the same explicit name") {
        expect_error<UsageError>(
            [&] {
                parse_project(
                    "[[steps]]\ntype='near'\nname='a'\n[[steps]]\ntype='near'\nname='a'\n",
                    "p.toml");
            },
            {"step 2", "name 'a' is already used"});
    }
    SECTION("P18 a date value") {
        expect_error<UsageError>(
            [&] { parse_project("[[steps]]\ntype='near'\nyear=2024-01-01\n", "p.toml"); },
            {"unsupported value type"});
    }
    SECTION("P19 duplicate key") {
        expect_error<UsageError>(
            [&] { parse_project("[project]\nname='a'\nname='b'\n", "p.toml"); }, {"p.toml:3:"});
    }
    SECTION("P20 GBK-encoded project file") {
        expect_error<UsageError>(
            [&] { parse_project("[project]\nname = \"\xc1\xf8\xd6\xdd\"\n", "p.toml"); },
            {"p.toml:2:"});
    }
    SECTION("P21 project file that does not exist") {
        expect_error<IoError>([&] { pipeline::load_project("/nonexistent/p.toml"); },
                              {"/nonexistent/p.toml", "cannot be read"});
    }
}

TEST_CASE("corpus P: project runs with missing paths and unknown keys", "[corpus][pipeline]") {
    TempDir dir;
    const auto file = dir.file("p.toml");
    const auto out = dir.file("out");
    auto run = [&](const std::string& text) {
        test::spit(file, text);
        pipeline::Project p = pipeline::load_project(file);
        pipeline::RunOptions o;
        o.out_dir = out;
        pipeline::run_project(p, o);
    };
    const std::string step = "[[steps]]\ntype='area-summary'\nfarmland='farmland'\nout='a.csv'\n";
    SECTION("P22 layer path that does not exist: nothing is written") {
        expect_error<IoError>([&] { run("[layers.farmland]\npath='nope.gpkg'\n" + step); },
                              {"p.toml [layers.farmland]", "nope.gpkg", "does not exist",
                               "relative to the project file"});
        CHECK(!fs::exists(out));
    }
    SECTION("P23 raster path that does not exist") {
        test::write_layers(dir.file("f.gpkg"), "GPKG", {farmland()});
        expect_error<IoError>(
            [&] {
                run("[layers.farmland]\npath='f.gpkg'\n[rasters.dem]\npath='dem.tif'\n" + step);
            },
            {"[rasters.dem]", "dem.tif", "does not exist"});
        CHECK(!fs::exists(out));
    }
    SECTION("P24 step refers to a layer key that is not declared") {
        test::write_layers(dir.file("f.gpkg"), "GPKG", {farmland()});
        expect_error<UsageError>([&] { run("[layers.parcels]\npath='f.gpkg'\n" + step); },
                                 {"no layer 'farmland'", "parcels"});
    }
    SECTION("P25 unknown step key") {
        expect_error<UsageError>([&] { run("[[steps]]\ntype='area-summary'\nfarmlands='f'\n"); },
                                 {"unknown key 'farmlands'", "farmland"});
    }
    SECTION("P26 unknown step type") {
        expect_error<UsageError>([&] { run("[[steps]]\ntype='near-source'\n"); },
                                 {"unknown step type 'near-source'", "near"});
    }
    SECTION("P27 a step length that is not a length") {
        test::write_layers(dir.file("f.gpkg"), "GPKG", {farmland()});
        test::write_layers(dir.file("m.gpkg"), "GPKG", {mines()});
        expect_error<UsageError>(
            [&] {
                run("[layers.farmland]\npath='f.gpkg'\n[layers.mines]\npath='m.gpkg'\n"
                    "[[steps]]\ntype='near'\nfarmland='farmland'\nsources='mines'\n"
                    "rings='500m,1km,ten km'\n");
            },
            {"rings", "ten km"});
    }
    SECTION("P28 a DEM step without the raster key") {
        expect_error<UsageError>(
            [&] { run("[[steps]]\ntype='downstream'\nfarmland='f'\nsources='m'\n"); },
            {"p.toml", "no raster 'dem' in [rasters] (declared: none)"});
    }
    SECTION("P29 a DEM step on a DEM without any valid cell") {
        DemSpec d;
        d.nodata = -9999;
        d.z.assign(16, -9999);
        write_dem(dir.file("dem.tif"), d);
        expect_error<DataError>(
            [&] {
                run("[rasters.dem]\npath='dem.tif'\n[[steps]]\ntype='downstream'\n"
                    "farmland='f'\nsources='m'\n");
            },
            {"dem.tif", "no valid elevation"});
    }
    SECTION("P30 output folder is an existing file") {
        test::write_layers(dir.file("f.gpkg"), "GPKG", {farmland()});
        test::spit(out, "a file");
        expect_error<IoError>([&] { run("[layers.farmland]\npath='f.gpkg'\n" + step); },
                              {"cannot create the output folder", "out"});
    }
}
