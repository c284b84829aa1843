// libFuzzer target: bytes -> the sample-table path of `soilrisk classify`. The bytes are a
// CSV sheet of soil samples (lon/lat, pH, land use, element columns, and a crop column so
// that the same sheet also serves as the crop samples); it is read through
// io::read_vector (OGR's CSV driver, encoding check, CRS assumed CGCS2000, reprojection)
// exactly as the CLI reads --samples, and classified against two fixed parcels under the
// shipped standards. Every comma/semicolon/tab/line separated token also goes straight
// to the cell parser (parse_measurement: "<0.01", "ND", "0.01L", "0,35", …).
// soilrisk::Error is an expected outcome; crashes, sanitizer reports and hangs are bugs.
#include <cpl_error.h>
#include <cpl_vsi.h>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "io/gdal_util.hpp"
#include "soilrisk/analysis/classify.hpp"
#include "soilrisk/analysis/standards.hpp"
#include "soilrisk/core/error.hpp"
#include "soilrisk/core/log.hpp"
#include "soilrisk/io/vector.hpp"

using namespace soilrisk;

namespace {

const char* const kFarmland = R"({"type": "FeatureCollection", "features": [
{"type": "Feature", "properties": {"parcel_id": "P1", "category": 1, "dlbm": "0101", "county": "A"},
 "geometry": {"type": "Polygon", "coordinates": [[[108.400, 24.300], [108.401, 24.300],
   [108.401, 24.301], [108.400, 24.301], [108.400, 24.300]]]}},
{"type": "Feature", "properties": {"parcel_id": "P2", "category": 2, "dlbm": "0103", "county": "B"},
 "geometry": {"type": "Polygon", "coordinates": [[[108.402, 24.300], [108.404, 24.300],
   [108.404, 24.302], [108.402, 24.302], [108.402, 24.300]]]}}]})";

struct Setup {
    Crs working = Crs::from_epsg(4545);
    io::Layer farmland;
    analysis::SoilStandard soil;
    analysis::FoodStandard food;
    analysis::RuleTable rules;
};

Setup& setup() {
    static Setup* s = [] {
        io::gdal_init();
        CPLSetErrorHandler(CPLQuietErrorHandler);
        auto* st = new Setup();
        VSIFCloseL(VSIFileFromMemBuffer(
            "/vsimem/fuzz/farmland.geojson", reinterpret_cast<GByte*>(const_cast<char*>(kFarmland)),
            static_cast<vsi_l_offset>(std::string(kFarmland).size()), FALSE));
        io::VectorInput in;
        in.role = "farmland";
        in.path = "/vsimem/fuzz/farmland.geojson";
        st->farmland = io::read_vector(in, st->working);
        const auto dir = analysis::standards_dir();
        st->soil = analysis::load_soil_standard(dir / "gb15618-2018.toml");
        st->food = analysis::load_food_standard(dir / "gb2762.toml", "");
        st->rules = analysis::load_rules(dir / "classify-rules.toml");
        return st;
    }();
    return *s;
}

void cells(const std::string& text) {
    std::size_t start = 0;
    for (std::size_t i = 0; i <= text.size(); ++i) {
        if (i < text.size() && text[i] != ',' && text[i] != ';' && text[i] != '\t' &&
            text[i] != '\n' && text[i] != '\r')
            continue;
        try {
            (void)analysis::parse_measurement(io::Value(text.substr(start, i - start)), "cell");
        } catch (const Error&) {
        }
        start = i + 1;
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Setup& s = setup();
    const std::string text(reinterpret_cast<const char*>(data), size);
    cells(text);

    const char* path = "/vsimem/fuzz/samples.csv";
    VSIFCloseL(VSIFileFromMemBuffer(path, reinterpret_cast<GByte*>(const_cast<char*>(text.data())),
                                    static_cast<vsi_l_offset>(text.size()), FALSE));
    try {
        io::VectorInput in;
        in.role = "samples";
        in.path = path;
        in.assume_crs = "EPSG:4490";
        const io::Layer samples = io::read_vector(in, s.working);
        for (const auto& f : samples.features)
            for (const auto& v : f.values) {
                try {
                    (void)analysis::parse_measurement(v, "value");
                } catch (const Error&) {
                }
            }
        analysis::ClassifyInputs inputs;
        inputs.farmland = &s.farmland;
        inputs.samples = &samples;
        inputs.crops = &samples;
        inputs.soil = &s.soil;
        inputs.food = &s.food;
        inputs.rules = &s.rules;
        analysis::ClassifyOptions opt;
        // The method follows the input's length, so that all four are exercised.
        const analysis::AssignMethod methods[] = {
            analysis::AssignMethod::nearest, analysis::AssignMethod::inside,
            analysis::AssignMethod::voronoi, analysis::AssignMethod::idw};
        opt.method = methods[size % 4];
        opt.crop_distance = 50;
        opt.default_crop = "rice";
        (void)analysis::classify(inputs, opt);
    } catch (const Error& e) {
        if (std::getenv("FUZZ_VERBOSE")) std::fprintf(stderr, "soilrisk error: %s\n", e.what());
        // Bad sheets (no coordinates, text in value columns, pH missing …): reported to
        // the user, not a bug.
    }
    VSIUnlink(path);
    (void)take_warnings(); // remembered for manifests; would pile up here
    return 0;
}
