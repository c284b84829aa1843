// Inputs found by the fuzz targets (fuzz/, scripts/fuzz.sh), kept as regression tests,
// and the per-geometry ingestion steps the fuzz_wkb target drives (io::prepare_geometry,
// io::ingest_geometry: the same code VectorReader::read() runs for each feature).
#include <catch2/catch.hpp>

#include <cpl_string.h>
#include <filesystem>
#include <fstream>
#include <geos_c.h>
#include <memory>
#include <ogr_geometry.h>
#include <string>
#include <unistd.h>

#include "io/gdal_util.hpp"
#include "soilrisk/analysis/classify.hpp"
#include "soilrisk/analysis/standards.hpp"
#include "soilrisk/core/area.hpp"
#include "soilrisk/core/crs.hpp"
#include "soilrisk/core/error.hpp"
#include "soilrisk/core/geos.hpp"
#include "soilrisk/io/vector.hpp"
#include "soilrisk/pipeline/project.hpp"

using namespace soilrisk;

namespace {

std::unique_ptr<OGRGeometry> from_wkt(const char* wkt) {
    io::gdal_init();
    OGRGeometry* g = nullptr;
    REQUIRE(OGRGeometryFactory::createFromWkt(wkt, nullptr, &g) == OGRERR_NONE);
    return std::unique_ptr<OGRGeometry>(g);
}

/// Two parcels near 108.4E 24.3N, as the fuzz_samples target uses.
const char* const kFuzzFarmland = R"({"type": "FeatureCollection", "features": [
{"type": "Feature", "properties": {"parcel_id": "P1", "category": 1, "dlbm": "0101"},
 "geometry": {"type": "Polygon", "coordinates": [[[108.400, 24.300], [108.401, 24.300],
   [108.401, 24.301], [108.400, 24.301], [108.400, 24.300]]]}},
{"type": "Feature", "properties": {"parcel_id": "P2", "category": 2, "dlbm": "0103"},
 "geometry": {"type": "Polygon", "coordinates": [[[108.402, 24.300], [108.404, 24.300],
   [108.404, 24.302], [108.402, 24.302], [108.402, 24.300]]]}}]})";

/// Reads `csv` as the fuzz_samples target does (CSV sheet, CGCS2000 lon/lat assumed,
/// EPSG:4545 working CRS) and classifies it against kFuzzFarmland with `method`.
analysis::ClassifyResult classify_sheet(const std::string& csv, analysis::AssignMethod method) {
    namespace fs = std::filesystem;
    const fs::path dir =
        fs::temp_directory_path() / ("soilrisk-test-fuzzreg-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    struct Cleanup {
        fs::path p;
        ~Cleanup() { fs::remove_all(p); }
    } cleanup{dir};
    std::ofstream((dir / "farmland.geojson").string(), std::ios::binary) << kFuzzFarmland;
    std::ofstream((dir / "samples.csv").string(), std::ios::binary) << csv;
    const Crs working = Crs::from_epsg(4545);
    io::VectorInput fin;
    fin.role = "farmland";
    fin.path = (dir / "farmland.geojson").string();
    const io::Layer farm = io::read_vector(fin, working);
    io::VectorInput sin;
    sin.role = "samples";
    sin.path = (dir / "samples.csv").string();
    sin.assume_crs = "EPSG:4490";
    const io::Layer samples = io::read_vector(sin, working);
    const auto std_dir = analysis::standards_dir();
    const auto soil = analysis::load_soil_standard(std_dir / "gb15618-2018.toml");
    const auto rules = analysis::load_rules(std_dir / "classify-rules.toml");
    analysis::ClassifyInputs in;
    in.farmland = &farm;
    in.samples = &samples;
    in.soil = &soil;
    in.rules = &rules;
    analysis::ClassifyOptions opt;
    opt.method = method;
    return analysis::classify(in, opt);
}

} // namespace

TEST_CASE("fuzz: idw with no sample value leaves parcels without evidence", "[fuzz][classify]") {
    // fuzz_samples crash-6cdd1627: the element columns of every row are empty, so the IDW
    // interpolator has no variables; classify read past its (empty) estimates.
    const std::string csv = "id;x;y;ph;cd:hid;x;y;ph;cd;hg\n"
                            "B1;108.4005;24.3005;8;<DL;0.5g\n"
                            "B1;108.4005;24.3005;8;<DL;0.5\n";
    const auto r = classify_sheet(csv, analysis::AssignMethod::idw);
    REQUIRE(r.parcel_results.size() == 2);
    for (const auto& p : r.parcel_results)
        CHECK(p.soil_class == 0);
}

TEST_CASE("fuzz: integer parameters beyond 64 bits are usage errors", "[fuzz][project]") {
    // fuzz_project crash-1aa486a1: a step parameter such as `seed = 1e30` read as an integer
    // converted a double beyond the range of long long (undefined behaviour).
    const auto project = pipeline::parse_project("[[steps]]\ntype = \"near\"\nseed = 1e30\n"
                                                 "oversample = -1e19\nn = 9.2e18\nbig = inf\n",
                                                 "/nonexistent/project.toml");
    REQUIRE(project.steps.size() == 1);
    const pipeline::Params& p = project.steps[0].params;
    CHECK_THROWS_AS(p.integer_or("seed", 1), UsageError);
    CHECK_THROWS_AS(p.integer_or("oversample", 0), UsageError);
    CHECK_THROWS_AS(p.integer_or("big", 0), UsageError);
    CHECK(p.integer_or("n", 0) == 9200000000000000000LL);
    CHECK(p.integer_or("absent", 7) == 7);
}

TEST_CASE("fuzz: MakeValid of multipolygons with a wild ring coordinate", "[fuzz][io]") {
    // fuzz_wkb leak-dd73bfc4 and leak-f81c7be5 (the WKB after the target's mode byte):
    // GEOS 3.11's GeometryFixer buffers a ring by zero, the buffer fails once and is
    // retried at a lower precision; GEOS leaks the first attempt's graph objects
    // (suppressed in fuzz/lsan.supp, nothing soilrisk can free). Ingestion itself must
    // give a valid polygonal result.
    const std::string inputs[] = {
        "010600000002000000010300000001000000050000000000000080841e4100000000e88544410000"
        "000010861e4100000000e84e3467656f733467656f6d313847656f6d257472000000808417410000"
        "00001a8644410000000080841e4100000000e88544410103000000010000000500000000000000a0"
        "871e4100000000e88544410000000035891e41000000001a8644410000000030891e4100000000e8"
        "85644100000000a0871e41000000001a86444100000000a0871e4100000000e8854441",
        "010600000002000000010300000001000000050000000000000080841e4100000000e88544410000"
        "000010861e4100170000000000000000000010861e41000000211a8644410000000082841e410000"
        "86001a0044410000000080841e4100000000e88544410103000000010000000500000000000000a0"
        "871e4100000000e885444170617373776f72fefffffffffd00095f000300000070617373776f7264"
        "3d444100000010a0411e00870000001a86444100000000a0871e4100000000e8854441"};
    io::gdal_init();
    for (const std::string& hex : inputs) {
        int nbytes = 0;
        GByte* wkb = CPLHexToBinary(hex.c_str(), &nbytes);
        OGRGeometry* raw = nullptr;
        const OGRErr err =
            OGRGeometryFactory::createFromWkb(wkb, nullptr, &raw, nbytes, wkbVariantOldOgc);
        CPLFree(wkb);
        REQUIRE(err == OGRERR_NONE);
        std::unique_ptr<OGRGeometry> g(raw);
        REQUIRE(io::prepare_geometry(g, nullptr));
        const auto kind = io::kind_of(g->getGeometryType());
        REQUIRE(kind == io::GeometryKind::polygon);
        const auto ig = io::ingest_geometry(*g, kind, io::InvalidPolicy::fix, "t");
        CHECK(ig.status == io::IngestedGeometry::repaired);
        REQUIRE(ig.geom);
        CHECK(GEOSisValid_r(geos::ctx(), ig.geom.get()) == 1);
    }
}

TEST_CASE("fuzz: a bow-tie polygon is repaired into two triangles", "[fuzz][io]") {
    auto g = from_wkt("POLYGON ((500000 2690000, 500100 2690100, 500100 2690000, "
                      "500000 2690100, 500000 2690000))");
    REQUIRE(io::prepare_geometry(g, nullptr));
    const auto kind = io::kind_of(g->getGeometryType());
    REQUIRE(kind == io::GeometryKind::polygon);

    auto fixed = io::ingest_geometry(*g, kind, io::InvalidPolicy::fix, "t");
    CHECK(fixed.status == io::IngestedGeometry::repaired);
    CHECK_FALSE(fixed.why.empty());
    REQUIRE(fixed.geom);
    CHECK(GEOSisValid_r(geos::ctx(), fixed.geom.get()) == 1);
    AreaCalculator planar(Crs::from_epsg(4545), AreaMode::planar);
    CHECK(planar.area_m2(fixed.geom.get()) == Approx(5000.0));

    auto skipped = io::ingest_geometry(*g, kind, io::InvalidPolicy::skip, "t");
    CHECK(skipped.status == io::IngestedGeometry::invalid_skip);
    CHECK_FALSE(skipped.geom);
    CHECK_THROWS_AS(io::ingest_geometry(*g, kind, io::InvalidPolicy::error, "t"), DataError);
}

TEST_CASE("fuzz: curves are linearised and Z dropped before ingestion", "[fuzz][io]") {
    auto g = from_wkt("CURVEPOLYGON Z (CIRCULARSTRING Z (0 0 1, 50 50 1, 0 100 1, -50 50 1, "
                      "0 0 1))");
    REQUIRE(io::prepare_geometry(g, nullptr));
    CHECK_FALSE(g->hasCurveGeometry());
    CHECK_FALSE(g->Is3D());
    auto ig =
        io::ingest_geometry(*g, io::kind_of(g->getGeometryType()), io::InvalidPolicy::fix, "t");
    CHECK(ig.status == io::IngestedGeometry::keep);
    REQUIRE(ig.geom);
}

TEST_CASE("fuzz: coordinates that cannot be reprojected are reported", "[fuzz][io]") {
    auto g = from_wkt("POLYGON ((1000 1000, 1001 1000, 1001 1001, 1000 1000))");
    Transform t(Crs::from_epsg(4490), Crs::from_epsg(4545));
    io::CplErrorCapture quiet; // PROJ's "Invalid latitude" is expected here
    CHECK_FALSE(io::prepare_geometry(g, t.ogr()));
}
