// Invariants of filling, directions and accumulation on the real DEMs of shared/data,
// and agreement with a reference D8 product (pysheds / HydroSHEDS, Fort Worth).
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <gdal_priv.h>
#include <limits>
#include <queue>
#include <string>
#include <vector>

#include "soilrisk/hydro/flow.hpp"
#include "soilrisk/hydro/grid.hpp"

using namespace soilrisk;
using namespace soilrisk::hydro;

namespace {

std::string dem_path(const char* name) {
    return std::string(SOILRISK_SHARED_DATA_DIR) + "/dem/" + name;
}

bool have(const std::string& path) {
    if (std::filesystem::exists(path)) return true;
    WARN("skipped: " << path << " is absent");
    return false;
}

// Checks the flood of `dem` (strips as fill_and_direct takes them: 0 = its choice).
void check_invariants(Dem dem, NodataAs mode, int strips = 0) {
    const std::vector<float> original = dem.z;
    FloodStats st;
    const auto d8 = fill_and_direct(dem, mode, {}, &st, strips);
    const GridGeometry& g = dem.geometry;
    const int w = g.width(), h = g.height();
    std::size_t below = 0, bad_outlets = 0, rising = 0, valid = 0, bad_nodata = 0;
    for (int r = 0; r < h; ++r)
        for (int c = 0; c < w; ++c) {
            const std::size_t i = g.index(c, r);
            if (std::isnan(original[i])) {
                if (d8[i] != kNoData) ++bad_nodata;
                continue;
            }
            ++valid;
            if (dem.z[i] < original[i]) ++below;
            if (d8[i] == kOutlet) {
                // An outlet must be where water can leave: the edge or (outlet mode)
                // next to nodata. Anything else would be an interior pit.
                bool boundary = r == 0 || c == 0 || r == h - 1 || c == w - 1;
                for (int k = 0; k < 8 && !boundary; ++k)
                    boundary = mode == NodataAs::outlet &&
                               std::isnan(original[g.index(c + kDx[k], r + kDy[k])]);
                if (!boundary && mode == NodataAs::outlet) ++bad_outlets;
            } else {
                const auto j = downstream(g, d8, i);
                if (j < 0 || dem.z[j] > dem.z[i]) ++rising;
            }
        }
    CHECK(bad_nodata == 0);
    CHECK(below == 0);
    CHECK(bad_outlets == 0);
    CHECK(rising == 0);
    CHECK(valid == st.valid_cells);
    // accumulate() throws on cycles; every valid cell ends at exactly one outlet.
    const Accumulation acc = accumulate(g, d8);
    // Counts alone are pushed downstream with atomic adds, with areas pulled in a fixed
    // order: the same counts either way.
    CHECK(accumulate(g, d8, false).cells == acc.cells);
    std::size_t at_outlets = 0;
    double area_at_outlets = 0, area_total = 0;
    for (int r = 0; r < h; ++r)
        for (int c = 0; c < w; ++c) {
            const std::size_t i = g.index(c, r);
            if (d8[i] == kOutlet) {
                at_outlets += acc.cells[i];
                area_at_outlets += acc.area_m2[i];
            }
            if (d8[i] != kNoData) area_total += g.cell_area_m2(r);
        }
    CHECK(at_outlets == valid);
    CHECK(area_at_outlets == Approx(area_total).epsilon(1e-4));
}

} // namespace

TEST_CASE("hydro: invariants on the real DEMs", "[hydro][real]") {
    for (const char* name : {"srtm3_N41-42E001_catalonia_pyrenees.tif",
                             "pysheds_dem_fortworth_3s.tif", "elev.tif", "volcano.tif"}) {
        const std::string path = dem_path(name);
        if (!have(path)) continue;
        INFO(name);
        const Dem dem = load_dem(path);
        check_invariants(dem, NodataAs::outlet);
        check_invariants(dem, NodataAs::wall);
        // The parallel strip flood, forced whatever the DEM's size (one strip = serial).
        for (int strips : {1, 2, 5, 16}) {
            INFO("strips " << strips);
            check_invariants(dem, NodataAs::outlet, strips);
        }
    }
}

TEST_CASE("hydro: geographic cell sizes follow latitude", "[hydro][real]") {
    const std::string path = dem_path("srtm3_N41-42E001_catalonia_pyrenees.tif");
    if (!have(path)) return;
    const Dem dem = load_dem(path);
    const GridGeometry& g = dem.geometry;
    REQUIRE(g.geographic());
    // 3" cells at ~42°N on WGS84: about 69 m wide and 92.6 m high.
    const int mid = g.height() / 2;
    const double phi = g.y(mid) * M_PI / 180;
    const double a = 6378137.0, f = 1 / 298.257223563, e2 = f * (2 - f);
    const double n = a / std::sqrt(1 - e2 * std::sin(phi) * std::sin(phi));
    const double m = a * (1 - e2) / std::pow(1 - e2 * std::sin(phi) * std::sin(phi), 1.5);
    const double dl = (1.0 / 1200) * M_PI / 180;
    CHECK(g.cell_width_m(mid) == Approx(n * std::cos(phi) * dl).epsilon(1e-9));
    CHECK(g.cell_height_m(mid) == Approx(m * dl).epsilon(1e-6));
    CHECK(g.cell_area_m2(mid) == Approx(g.cell_width_m(mid) * g.cell_height_m(mid)).epsilon(1e-6));
    CHECK(g.cell_width_m(0) < g.cell_width_m(g.height() - 1)); // narrower to the north
    CHECK(dem.valid_count() == g.size() - 7786);
}

TEST_CASE("hydro: D8 agrees with the pysheds reference where both are unambiguous",
          "[hydro][real]") {
    const std::string dem_file = dem_path("pysheds_dem_fortworth_3s.tif");
    const std::string ref_file = dem_path("pysheds_dir_fortworth_3s_esri_d8.tif");
    if (!have(dem_file) || !have(ref_file)) return;
    Dem dem = load_dem(dem_file);
    const std::vector<float> original = dem.z;
    const auto d8 = fill_and_direct(dem);
    const Dem ref = load_dem(ref_file);
    const GridGeometry& g = dem.geometry;
    REQUIRE(g.same_grid(ref.geometry));
    const int w = g.width(), h = g.height();
    // The steepest neighbour by distance-weighted slope, or -1 when the cell is flat or
    // several neighbours tie.
    auto steepest = [&](int c, int r, double cw, double ch) {
        const double dd = std::hypot(cw, ch);
        const double dist[8] = {cw, dd, ch, dd, cw, dd, ch, dd};
        const float z0 = original[g.index(c, r)];
        double best = 0;
        int count = 0, best_k = -1;
        for (int k = 0; k < 8; ++k) {
            const float zn = original[g.index(c + kDx[k], r + kDy[k])];
            if (std::isnan(zn)) continue;
            const double s = (double(z0) - zn) / dist[k];
            if (s > best + 1e-12) {
                best = s;
                count = 1;
                best_k = k;
            } else if (s > 0 && std::abs(s - best) <= 1e-12) {
                ++count;
            }
        }
        return count == 1 ? best_k : -1;
    };
    std::size_t compared = 0, agree = 0, same_shape = 0, agree_same_shape = 0;
    for (int r = 1; r < h - 1; ++r)
        for (int c = 1; c < w - 1; ++c) {
            const std::size_t i = g.index(c, r);
            const float rv = ref.z[i];
            if (std::isnan(rv) || rv == 0 || std::isnan(original[i])) continue;
            // Unambiguous: the original DEM falls, one neighbour is strictly steepest in
            // true metres, and filling did not touch the cell.
            if (dem.z[i] != original[i]) continue;
            const int k_true = steepest(c, r, g.cell_width_m(r), g.cell_height_m(r));
            if (k_true < 0) continue;
            ++compared;
            const bool ok = encode_d8(d8[i], D8Encoding::esri) == static_cast<int>(rv);
            agree += ok;
            // Cells whose steepest neighbour does not depend on taking the cells as
            // square (the reference treats 3" cells as square; they are 78 m x 92 m here).
            if (steepest(c, r, 1.0, 1.0) == k_true) {
                ++same_shape;
                agree_same_shape += ok;
            }
        }
    const double share = double(agree) / double(compared);
    const double share_same = double(agree_same_shape) / double(same_shape);
    WARN("pysheds agreement: " << agree << " of " << compared << " unambiguous cells ("
                               << share * 100 << " %); " << agree_same_shape << " of " << same_shape
                               << " (" << share_same * 100
                               << " %) where square and true cell shapes pick the same "
                                  "neighbour");
    REQUIRE(compared > 100000);
    // Measured: 91410 of 107252 (85.23 %); 87417 of 87417 (100 %) on shape-independent
    // cells: every disagreement comes from the reference's square-cell slopes.
    CHECK(share > 0.85);
    CHECK(share_same > 0.999);
}

namespace {

// Textbook Priority-Flood (Barnes et al. 2014, Algorithm 1) as an independent reference
// for the filled surface, which is unique whatever the processing order.
std::vector<float> reference_fill(const Dem& dem, NodataAs mode) {
    const GridGeometry& g = dem.geometry;
    const int w = g.width(), h = g.height();
    std::vector<float> z = dem.z;
    std::vector<char> closed(z.size(), 0);
    using Item = std::pair<float, std::size_t>;
    std::priority_queue<Item, std::vector<Item>, std::greater<>> open;
    for (int r = 0; r < h; ++r)
        for (int c = 0; c < w; ++c) {
            const std::size_t i = g.index(c, r);
            if (std::isnan(z[i])) continue;
            bool seed = r == 0 || c == 0 || r == h - 1 || c == w - 1;
            for (int k = 0; k < 8 && !seed && mode == NodataAs::outlet; ++k)
                seed = std::isnan(z[g.index(c + kDx[k], r + kDy[k])]);
            if (seed) {
                open.push({z[i], i});
                closed[i] = 1;
            }
        }
    while (!open.empty()) {
        const auto [zc, i] = open.top();
        open.pop();
        const int r = g.row_of(i), c = g.col_of(i);
        for (int k = 0; k < 8; ++k) {
            const int rr = r + kDy[k], cc = c + kDx[k];
            if (rr < 0 || cc < 0 || rr >= h || cc >= w) continue;
            const std::size_t n = g.index(cc, rr);
            if (closed[n] || std::isnan(z[n])) continue;
            closed[n] = 1;
            z[n] = std::max(z[n], zc);
            open.push({z[n], n});
        }
    }
    return z;
}

std::size_t count_differences(const Dem& dem, const std::vector<float>& expected) {
    std::size_t differ = 0;
    for (std::size_t i = 0; i < expected.size(); ++i)
        if (!(dem.z[i] == expected[i]) && !(std::isnan(dem.z[i]) && std::isnan(expected[i]))) {
            if (differ < 5)
                WARN("cell " << dem.geometry.col_of(i) << "," << dem.geometry.row_of(i) << " ours "
                             << dem.z[i] << " reference " << expected[i]);
            ++differ;
        }
    return differ;
}

} // namespace

TEST_CASE("hydro: the filled surface equals textbook Priority-Flood", "[hydro][real]") {
    for (const char* name : {"srtm3_N41-42E001_catalonia_pyrenees.tif",
                             "pysheds_dem_fortworth_3s.tif", "elev.tif", "volcano.tif"}) {
        const std::string path = dem_path(name);
        if (!have(path)) continue;
        INFO(name);
        const Dem original = load_dem(path);
        const std::vector<float> expected = reference_fill(original, NodataAs::outlet);
        for (int strips : {0, 1, 2, 5, 16}) {
            INFO("strips " << strips);
            Dem dem = original;
            fill_and_direct(dem, NodataAs::outlet, {}, nullptr, strips);
            CHECK(count_differences(dem, expected) == 0);
        }
    }
}

TEST_CASE("hydro: the strip flood matches the serial flood on noisy grids", "[hydro]") {
    // Random integer terrain (0..9): pits, flats and plateaus everywhere, many of them
    // cut by the strip boundaries; with and without nodata holes, some on the cuts.
    std::uint64_t state = 88172645463325252ull; // xorshift64, fixed
    auto next = [&] {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    };
    for (int trial = 0; trial < 12; ++trial) {
        const int w = 20 + trial * 7, h = 30 + trial * 5;
        Dem dem;
        dem.geometry = GridGeometry(w, h, {0, 10, 0, double(h) * 10, 0, -10}, Crs{}, "noise");
        dem.source = "noise";
        dem.z.resize(std::size_t(w) * h);
        for (auto& v : dem.z)
            v = float(next() % (trial % 3 == 0 ? 3 : 10));
        if (trial % 2 == 1)
            for (int k = 0; k < w * h / 40; ++k)
                dem.z[next() % dem.z.size()] = std::numeric_limits<float>::quiet_NaN();
        INFO("trial " << trial << ", " << w << " x " << h);
        const std::vector<float> expected = reference_fill(dem, NodataAs::outlet);
        FloodStats serial_stats;
        {
            Dem d = dem;
            fill_and_direct(d, NodataAs::outlet, {}, &serial_stats, 1);
        }
        for (int strips : {2, 3, 7, h / 2}) {
            INFO("strips " << strips);
            Dem d = dem;
            FloodStats st;
            fill_and_direct(d, NodataAs::outlet, {}, &st, strips);
            CHECK(count_differences(d, expected) == 0);
            CHECK(st.valid_cells == serial_stats.valid_cells);
            CHECK(st.raised_cells == serial_stats.raised_cells);
            CHECK(st.max_raise_m == serial_stats.max_raise_m);
            check_invariants(dem, NodataAs::outlet, strips);
        }
    }
}
