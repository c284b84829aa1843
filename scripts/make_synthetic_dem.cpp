// Generates a synthetic DEM for benchmarks: fractal value noise (8 octaves) over a
// tilted plane with meandering valleys, so that it has real drainage, depressions and
// flats. Float32 GeoTIFF, tiled and DEFLATE-compressed, 10 m cells in CGCS2000 /
// 3-degree Gauss-Kruger CM 108E (EPSG:4545), placed near Liuzhou.
//
// Build: g++ -O2 -std=c++17 make_synthetic_dem.cpp $(gdal-config --cflags) \
//            $(gdal-config --libs) -o make_synthetic_dem
// Usage: make_synthetic_dem OUT.tif [WIDTH HEIGHT [SEED]]   (default 5000 5000 1)
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <gdal_priv.h>
#include <ogr_spatialref.h>
#include <vector>

namespace {

std::uint32_t hash(std::int64_t x, std::int64_t y, std::uint32_t seed) {
    std::uint64_t h = std::uint64_t(x) * 0x9E3779B97F4A7C15ull ^ std::uint64_t(y) * 0xC2B2AE3D27D4EB4Full ^
                      std::uint64_t(seed) * 0x165667B19E3779F9ull;
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDull;
    h ^= h >> 33;
    return static_cast<std::uint32_t>(h);
}

double lattice(std::int64_t x, std::int64_t y, std::uint32_t seed) {
    return hash(x, y, seed) / 4294967296.0;
}

double smooth(double t) { return t * t * (3 - 2 * t); }

double value_noise(double x, double y, std::uint32_t seed) {
    const double fx = std::floor(x), fy = std::floor(y);
    const auto ix = static_cast<std::int64_t>(fx), iy = static_cast<std::int64_t>(fy);
    const double tx = smooth(x - fx), ty = smooth(y - fy);
    const double a = lattice(ix, iy, seed), b = lattice(ix + 1, iy, seed);
    const double c = lattice(ix, iy + 1, seed), d = lattice(ix + 1, iy + 1, seed);
    return (a + (b - a) * tx) + ((c + (d - c) * tx) - (a + (b - a) * tx)) * ty;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s OUT.tif [WIDTH HEIGHT [SEED]]\n", argv[0]);
        return 2;
    }
    const int w = argc > 3 ? std::atoi(argv[2]) : 5000;
    const int h = argc > 3 ? std::atoi(argv[3]) : 5000;
    const std::uint32_t seed = argc > 4 ? static_cast<std::uint32_t>(std::atoi(argv[4])) : 1u;
    GDALAllRegister();
    GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("GTiff");
    const char* co[] = {"TILED=YES", "COMPRESS=DEFLATE", "ZLEVEL=1", "NUM_THREADS=ALL_CPUS",
                        "BIGTIFF=IF_SAFER", nullptr};
    GDALDataset* ds = drv->Create(argv[1], w, h, 1, GDT_Float32, const_cast<char**>(co));
    if (!ds) return 1;
    const double cell = 10.0;
    double gt[6] = {380000.0, cell, 0, 2700000.0, 0, -cell};
    ds->SetGeoTransform(gt);
    OGRSpatialReference srs;
    srs.importFromEPSG(4545);
    ds->SetSpatialRef(&srs);
    GDALRasterBand* band = ds->GetRasterBand(1);
    band->SetNoDataValue(-9999.0);
    std::vector<float> row(static_cast<std::size_t>(w));
    for (int r = 0; r < h; ++r) {
        for (int c = 0; c < w; ++c) {
            const double x = c * cell, y = r * cell;
            double z = 0, amp = 120.0, freq = 1.0 / 2000.0;
            for (int o = 0; o < 8; ++o) {
                z += amp * value_noise(x * freq, y * freq, seed + o);
                amp *= 0.5;
                freq *= 2.0;
            }
            // Regional slope towards the south-east and meandering valleys.
            z += 0.004 * (w * cell - x) + 0.006 * (h * cell - y);
            const double meander = 600.0 * std::sin(y / 3000.0) + 300.0 * std::sin(y / 1100.0);
            for (int v = 1; v <= 4; ++v) {
                const double cx = v * w * cell / 5.0 + meander;
                const double d = std::abs(x - cx);
                z -= 60.0 * std::exp(-d * d / (2 * 400.0 * 400.0));
            }
            row[static_cast<std::size_t>(c)] = static_cast<float>(std::round(z * 10.0) / 10.0);
        }
        if (band->RasterIO(GF_Write, 0, r, w, 1, row.data(), w, 1, GDT_Float32, 0, 0) != CE_None)
            return 1;
    }
    GDALClose(ds);
    return 0;
}
