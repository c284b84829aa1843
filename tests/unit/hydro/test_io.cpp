// Conditioning to a folder and reading it back; outputs are never silently replaced.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <limits>
#include <string>

#include "soilrisk/core/error.hpp"
#include "soilrisk/core/runtime.hpp"
#include "soilrisk/hydro/condition.hpp"
#include "soilrisk/hydro/raster_io.hpp"

#include <gdal_priv.h>
#include <ogr_spatialref.h>

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

namespace {

// A plane z = 100 + 2000·(λ − 109.3°) + 1000·(φ − 24.3°) on a 0.001° CGCS2000 grid
// (109.30–109.40°E, 24.30–24.40°N: about 10 × 11 km near Liuzhou), written to `path`.
double plane(double lon, double lat) {
    return 100 + 2000 * (lon - 109.3) + 1000 * (lat - 24.3);
}

void write_plane_dem(const std::string& path, const Crs& crs) {
    const int n = 100;
    const GridGeometry g(n, n, {109.3, 0.001, 0, 24.4, 0, -0.001}, crs, path);
    std::vector<float> z(g.size());
    for (int r = 0; r < n; ++r)
        for (int c = 0; c < n; ++c)
            z[g.index(c, r)] = static_cast<float>(plane(g.x(c), g.y(r)));
    RasterWriteOptions o;
    o.overwrite = true;
    write_float_raster(path, g, z, std::nullopt, o);
}

} // namespace

TEST_CASE("hydro: a DEM is reprojected to the working CRS as it is loaded", "[hydro][io]") {
    const fs::path dir = fs::temp_directory_path() / "soilrisk_test_dem_warp";
    fs::remove_all(dir);
    fs::create_directories(dir);
    const std::string path = (dir / "plane_4490.tif").string();
    write_plane_dem(path, Crs::from_epsg(4490));

    DemWarp warp;
    warp.crs = Crs::from_epsg(4545); // CGCS2000 / 3-degree Gauss-Kruger CM 108E
    warp.cell_size = 100;
    CHECK(dem_needs_warp(Crs::from_epsg(4490), warp));
    CHECK(dem_needs_warp(Crs::from_epsg(4545), warp)); // a cell size resamples
    DemWarp same = warp;
    same.cell_size = 0;
    CHECK_FALSE(dem_needs_warp(Crs::from_epsg(4545), same));
    CHECK_FALSE(dem_needs_warp(Crs::from_epsg(4490), DemWarp{}));

    const Dem d = load_dem(path, warp);
    CHECK(d.warped);
    CHECK(d.geometry.crs().same_as(warp.crs));
    CHECK_FALSE(d.geometry.geographic());
    const auto& gt = d.geometry.geotransform();
    CHECK(gt[1] == 100.0);
    CHECK(gt[5] == -100.0);
    // Aligned on multiples of the cell size (gdalwarp -tap).
    CHECK(std::fmod(gt[0], 100.0) == 0.0);
    CHECK(std::fmod(gt[3], 100.0) == 0.0);
    // About 10.1 km × 11.1 km of cells; cells beyond the source's (rotated) footprint
    // are nodata, those inside carry the plane's value at their centre.
    CHECK(d.geometry.width() > 100);
    CHECK(d.geometry.width() < 110);
    CHECK(d.geometry.height() > 110);
    CHECK(d.geometry.height() < 118);
    std::size_t valid = 0, checked = 0;
    double worst = 0;
    OGRCoordinateTransformation* ct =
        OGRCreateCoordinateTransformation(warp.crs.ogr(), Crs::from_epsg(4490).ogr());
    REQUIRE(ct != nullptr);
    for (int r = 0; r < d.geometry.height(); ++r)
        for (int c = 0; c < d.geometry.width(); ++c) {
            const float z = d.z[d.geometry.index(c, r)];
            if (std::isnan(z)) continue;
            ++valid;
            double x = d.geometry.x(c), y = d.geometry.y(r);
            REQUIRE(ct->Transform(1, &x, &y));
            // Away from the footprint's edge, where bilinear weights are complete.
            if (x < 109.302 || x > 109.398 || y < 24.302 || y > 24.398) continue;
            worst = std::max(worst, std::abs(z - plane(x, y)));
            ++checked;
        }
    OGRCoordinateTransformation::DestroyCT(ct);
    // The footprint: 0.1° × 0.1° at 24.35°N ≈ 10.15 km × 11.07 km ≈ 11,240 cells of 1 ha.
    CHECK(valid > 10900);
    CHECK(valid < 11500);
    CHECK(valid < d.geometry.size()); // the corners outside the footprint are nodata
    CHECK(checked > 9000);
    // A plane resamples exactly with bilinear weights; what is left is gdalwarp's
    // approximated transformation (error threshold 0.125 pixel ≈ 12 m, gradient
    // ≤ 0.02 m/m).
    CHECK(worst < 0.3);

    // Profiles read the same reprojected cells.
    std::vector<std::size_t> cells;
    for (std::size_t i = 0; i < d.z.size(); i += 997)
        cells.push_back(i);
    const auto sampled = sample_raster(path, d.geometry, cells, warp);
    for (std::size_t k = 0; k < cells.size(); ++k) {
        const float a = sampled[k], b = d.z[cells[k]];
        CHECK(((std::isnan(a) && std::isnan(b)) || a == b));
    }

    // Same CRS, no cell size: loaded as is.
    const Dem asis = load_dem(path, DemWarp{Crs::from_epsg(4490), 0, "bilinear"});
    CHECK_FALSE(asis.warped);
    CHECK(asis.geometry.size() == 100u * 100u);

    // Without a CRS there is nothing to reproject from.
    const std::string bare = (dir / "bare.tif").string();
    write_plane_dem(bare, Crs());
    try {
        (void)load_dem(bare, warp);
        FAIL("no error for a DEM without CRS");
    } catch (const DataError& e) {
        CHECK_THAT(e.what(), Catch::Contains("bare.tif: has no CRS") &&
                                 Catch::Contains("gdal_edit.py -a_srs"));
    }
    DemWarp bad = warp;
    bad.resampling = "sinc";
    CHECK_THROWS_AS(load_dem(path, bad), UsageError);
    fs::remove_all(dir);
}

TEST_CASE("hydro: a DEM read in row ranges side by side holds every value", "[hydro][io]") {
    // 200 × 1300 Float32 cells in 256 × 256 tiles: six strips of block rows, read as two
    // ranges through two handles when two threads run. Declared nodata, an undeclared
    // void (-20000) and an infinity become NaN; the rest arrive unchanged.
    const fs::path path = fs::temp_directory_path() / "soilrisk_test_parallel_read.tif";
    const int w = 200, h = 1300;
    auto value = [](int r, int c) {
        if ((r * 31 + c * 17) % 97 == 0) return -9999.0f;
        if (r == 1000 && c == 5) return -20000.0f;
        if (r == 700 && c == 199) return std::numeric_limits<float>::infinity();
        return static_cast<float>(r) * 0.5f + static_cast<float>(c) * 0.25f +
               static_cast<float>((r * 7 + c * 13) % 11);
    };
    {
        GDALAllRegister();
        GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("GTiff");
        const char* co[] = {"TILED=YES", "COMPRESS=DEFLATE", nullptr};
        GDALDataset* ds =
            drv->Create(path.string().c_str(), w, h, 1, GDT_Float32, const_cast<char**>(co));
        REQUIRE(ds);
        double gt[6] = {500000, 10, 0, 2700000, 0, -10};
        ds->SetGeoTransform(gt);
        GDALRasterBand* b = ds->GetRasterBand(1);
        b->SetNoDataValue(-9999.0);
        std::vector<float> row(w);
        for (int r = 0; r < h; ++r) {
            for (int c = 0; c < w; ++c)
                row[c] = value(r, c);
            REQUIRE(b->RasterIO(GF_Write, 0, r, w, 1, row.data(), w, 1, GDT_Float32, 0, 0) ==
                    CE_None);
        }
        GDALClose(ds);
    }
    const int threads = thread_count();
    for (int t : {1, 2}) {
        INFO(t << " threads");
        set_thread_count(t);
        const Dem d = load_dem(path.string());
        REQUIRE(d.z.size() == std::size_t(w) * h);
        std::size_t wrong = 0, voids = 0;
        for (int r = 0; r < h; ++r)
            for (int c = 0; c < w; ++c) {
                const float v = value(r, c), got = d.z[std::size_t(r) * w + c];
                if (v == -9999.0f || v < -11000.0f || std::isinf(v)) {
                    ++voids;
                    wrong += !std::isnan(got);
                } else {
                    wrong += got != v;
                }
            }
        CHECK(wrong == 0);
        CHECK(d.valid_count() == std::size_t(w) * h - voids);
    }
    set_thread_count(threads);
    fs::remove(path);
}
