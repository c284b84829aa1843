// Conditioning to a folder and reading it back; outputs are never silently replaced.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <string>

#include "soilrisk/core/error.hpp"
#include "soilrisk/hydro/condition.hpp"
#include "soilrisk/hydro/raster_io.hpp"

using namespace soilrisk;
using namespace soilrisk::hydro;
namespace fs = std::filesystem;

TEST_CASE("hydro: a conditioned folder reads back as written", "[hydro][io]") {
    const std::string dem =
        std::string(SOILRISK_SHARED_DATA_DIR) + "/dem/pysheds_dem_fortworth_3s.tif";
    if (!fs::exists(dem)) {
        WARN("skipped: " << dem << " is absent");
        return;
    }
    const fs::path dir = fs::temp_directory_path() / "soilrisk_test_hydro_io";
    fs::remove_all(dir);
    for (auto enc : {D8Encoding::esri, D8Encoding::grass, D8Encoding::taudem}) {
        INFO(to_string(enc));
        ConditionOptions o;
        o.encoding = enc;
        o.overwrite = true;
        o.stream_area_m2 = 5e6;
        const ConditionReport r = condition_to_folder(dem, dir.string(), o);
        CHECK(r.cells == 367u * 359u);
        CHECK(r.streams > 0);
        const Conditioned c = load_conditioned(dir.string());
        CHECK(c.source_dem == fs::absolute(dem).string());
        Dem expected = load_dem(dem);
        const auto d8 = fill_and_direct(expected);
        CHECK(c.d8 == d8);
        std::size_t differ = 0;
        for (std::size_t i = 0; i < d8.size(); ++i)
            differ += !(c.filled.z[i] == expected.z[i]) &&
                      !(std::isnan(c.filled.z[i]) && std::isnan(expected.z[i]));
        CHECK(differ == 0);
    }
    ConditionOptions keep;
    CHECK_THROWS_AS(condition_to_folder(dem, dir.string(), keep), OutputExistsError);
    // No temporary files are left behind.
    for (const auto& e : fs::directory_iterator(dir))
        CHECK(e.path().filename().string().find(".tmp") == std::string::npos);
    fs::remove_all(dir);
}
