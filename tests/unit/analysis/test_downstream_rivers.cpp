// downstream with a river network burned into the DEM (--rivers), on a hand-made tilted
// plane of 40 × 40 cells of 10 m (EPSG:4545) falling 1 m per cell to the east and 0.2 m
// per cell along the rows (to the south, or to the north). Without rivers a source's D8
// path runs east; a river line down column 20 catches it at column 20 and carries it
// south (or north, as the plane falls) to the DEM's edge.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "fixtures.hpp"
#include "soilrisk/analysis/downstream.hpp"
#include "soilrisk/core/error.hpp"
#include "soilrisk/core/geos.hpp"
#include "soilrisk/hydro/burn.hpp"
#include "soilrisk/hydro/raster_io.hpp"

using namespace soilrisk;
using namespace soilrisk::analysis;

namespace {

constexpr double kX0 = 400000, kCell = 10;
constexpr int kN = 40;
constexpr double kTop = 2800000 + kCell * kN;

hydro::GridGeometry plane_geometry() {
    return hydro::GridGeometry(kN, kN, {kX0, kCell, 0, kTop, 0, -kCell}, Crs::from_epsg(4545),
                               "plane");
}

/// z = 200 − col − 0.2·row (south = true: falls to the south) or + 0.2·row.
hydro::Dem plane(bool south) {
    hydro::Dem d;
    d.geometry = plane_geometry();
    d.z.resize(std::size_t(kN) * kN);
    for (int r = 0; r < kN; ++r)
        for (int c = 0; c < kN; ++c)
            d.z[std::size_t(r) * kN + c] = float(200.0 - c + (south ? -0.2 : 0.2) * r);
    d.source = "plane";
    return d;
}

double cx(double col) {
    return kX0 + (col + 0.5) * kCell;
}
double cy(double row) {
    return kTop - (row + 0.5) * kCell;
}

std::string cell_point(int c, int r) {
    return "POINT(" + std::to_string(cx(c)) + " " + std::to_string(cy(r)) + ")";
}

// Rectangle over cells [c0, c1] × [r0, r1] (inclusive).
std::string cells_wkt(int c0, int r0, int c1, int r1) {
    const double x0 = kX0 + c0 * kCell, x1 = kX0 + (c1 + 1) * kCell;
    const double y0 = kTop - (r1 + 1) * kCell, y1 = kTop - r0 * kCell;
    const std::string a = std::to_string(x0), b = std::to_string(x1), p = std::to_string(y0),
                      q = std::to_string(y1);
    return "POLYGON((" + a + " " + p + "," + b + " " + p + "," + b + " " + q + "," + a + " " + q +
           "," + a + " " + p + "))";
}

/// A north–south river line through the centres of column `col`, 100 m beyond both edges.
std::string river_wkt(int col) {
    return "LINESTRING(" + std::to_string(cx(col)) + " " + std::to_string(kTop + 100) + "," +
           std::to_string(cx(col)) + " " + std::to_string(kTop - kN * kCell - 100) + ")";
}

io::Layer lines(const std::vector<std::string>& wkts) {
    std::vector<std::pair<std::string, std::vector<io::Value>>> f;
    for (const auto& w : wkts)
        f.push_back({w, {io::Value(std::string("R"))}});
    return test::memory_layer("rivers", io::GeometryKind::line, {"name"}, f);
}

io::Layer mines() {
    return test::memory_layer("mines", io::GeometryKind::point, {"id"},
                              {{cell_point(5, 10), {io::Value(std::string("M1"))}}});
}

// P1: west bank cols 17–18, rows 30–34 (2–3 m above the river, downstream of the join
// when the plane falls south); P3: the same bank at rows 2–6 (upstream then).
io::Layer farmland() {
    return test::memory_layer("farmland", io::GeometryKind::polygon, {"id", "category"},
                              {{cells_wkt(17, 30, 18, 34), {std::string("P1"), std::string("3")}},
                               {cells_wkt(17, 2, 18, 6), {std::string("P3"), std::string("2")}}});
}

const DownstreamPiece* piece_of(const DownstreamResult& r, std::uint32_t parcel) {
    for (const auto& p : r.pieces)
        if (p.source == 0 && p.parcel == parcel) return &p;
    return nullptr;
}

} // namespace

TEST_CASE("burn: river lines become 8-connected cell chains", "[downstream][rivers]") {
    const hydro::GridGeometry g = plane_geometry();
    // Diagonal from the centre of (0, 0) to the centre of (9, 9): the 10 diagonal cells.
    const auto diag =
        geos::from_wkt("LINESTRING(" + std::to_string(cx(0)) + " " + std::to_string(cy(0)) + "," +
                       std::to_string(cx(9)) + " " + std::to_string(cy(9)) + ")");
    const auto d = hydro::line_cells(g, diag.get());
    REQUIRE(d.size() == 10);
    for (int i = 0; i < 10; ++i)
        CHECK(d[std::size_t(i)] == g.index(i, i));
    // Shallow line (0, 0) → (9, 3): one cell per column, rows 0..3, steps of at most one
    // row between neighbouring columns (8-connected).
    const auto shallow =
        geos::from_wkt("LINESTRING(" + std::to_string(cx(0)) + " " + std::to_string(cy(0)) + "," +
                       std::to_string(cx(9)) + " " + std::to_string(cy(3)) + ")");
    const auto s = hydro::line_cells(g, shallow.get());
    REQUIRE(s.size() == 10);
    std::vector<int> row_of_col(10, -1);
    for (auto cell : s)
        row_of_col[std::size_t(g.col_of(cell))] = g.row_of(cell);
    CHECK(row_of_col.front() == 0);
    CHECK(row_of_col.back() == 3);
    for (int c = 1; c < 10; ++c) {
        CHECK(row_of_col[std::size_t(c)] >= row_of_col[std::size_t(c - 1)]);
        CHECK(row_of_col[std::size_t(c)] - row_of_col[std::size_t(c - 1)] <= 1);
    }
    // The river of the tests: clipped to the grid, the 40 cells of column 20.
    const auto river = geos::from_wkt(river_wkt(20));
    const auto rc = hydro::line_cells(g, river.get());
    REQUIRE(rc.size() == std::size_t(kN));
    CHECK(g.col_of(rc.front()) == 20);
    CHECK(g.row_of(rc.back()) == kN - 1);
    // Burning lowers exactly those cells.
    std::vector<float> z(g.size(), 100.f);
    hydro::burn_cells(z, rc, 50);
    CHECK(z[g.index(20, 7)] == 50.f);
    CHECK(z[g.index(19, 7)] == 100.f);
    const auto pt = geos::from_wkt(cell_point(1, 1));
    CHECK_THROWS_AS(hydro::line_cells(g, pt.get()), DataError);
}

TEST_CASE("downstream --rivers: the path joins the river and follows it the way the DEM "
          "falls, with heights from the unburned DEM",
          "[downstream][rivers]") {
    const io::Layer fields = farmland(), sources = mines();
    const io::Layer river = lines({river_wkt(20)});
    DownstreamOptions o; // reach 10 km, corridor 500 m, max height 10 m

    SECTION("without rivers the path runs east and the bank parcels are not reached") {
        const FlowGrids fg = flow_grids(plane(true));
        CHECK(fg.river_cells.empty());
        const DownstreamResult r = downstream_analysis(fg, fields, sources, o);
        REQUIRE(r.sources.size() == 1);
        const auto& p = r.sources[0].path;
        REQUIRE(p.cells.size() > 16);
        // Row 10 eastwards across column 20 (no river there).
        for (int v = 0; v <= 34; ++v)
            CHECK(p.cells[std::size_t(v)] == fg.geometry.index(5 + v, 10));
        CHECK_FALSE(r.sources[0].river_join_m.has_value());
        CHECK(piece_of(r, 0) == nullptr);
        CHECK(piece_of(r, 1) == nullptr);
    }

    SECTION("plane falling south: joins at 150 m, follows the river south") {
        RiverBurn burn;
        burn.rivers = &river;
        const FlowGrids fg = flow_grids(plane(true), hydro::NodataAs::outlet, {}, burn);
        REQUIRE(fg.river_cells.size() == std::size_t(kN));
        CHECK(fg.burn_depth_m == 50.0);
        const auto& g = fg.geometry;
        // Heights: the unburned filled surface (a plane needs no filling).
        CHECK(fg.filled[g.index(20, 30)] == Approx(200.0 - 20 - 6.0));
        const DownstreamResult r = downstream_analysis(fg, fields, sources, o);
        const auto& ds = r.sources[0];
        const auto& p = ds.path;
        // 15 cells east (row 10, cols 5..19), into the river at (20, 10), then 29 cells
        // south along column 20 to the southern edge.
        REQUIRE(p.cells.size() == 16 + 29);
        CHECK(p.cells[15] == g.index(20, 10));
        CHECK(p.cells[14] == g.index(19, 10));
        for (int k = 0; k <= 29; ++k)
            CHECK(p.cells[std::size_t(15 + k)] == g.index(20, 10 + k));
        REQUIRE(ds.river_join_m.has_value());
        CHECK(*ds.river_join_m == Approx(150.0));
        CHECK(p.chainage_m[15] == Approx(150.0));
        CHECK(p.length_m() == Approx(440.0));
        CHECK(p.stop == hydro::StopReason::dem_edge);

        // P1 on the west bank downstream: first contact where row 30 joins the river
        // (150 + 20 × 10 m), 2 m above it (col 18 is two 1-m steps above col 20) — not
        // 52 m, as the burned surface would say.
        const DownstreamPiece* a = piece_of(r, 0);
        REQUIRE(a != nullptr);
        CHECK(a->chainage_m == Approx(350.0));
        CHECK(a->height_m == Approx(2.0).margin(1e-4));
        CHECK(a->category == 3);
        CHECK(a->area_m2 == Approx(2 * 5 * 100.0).epsilon(1e-3));
        // P3 on the same bank upstream of the join: the river above the confluence
        // carries none of the mine's water.
        CHECK(piece_of(r, 1) == nullptr);

        // A tighter height limit (1.5 m) drops P1: its least height really is 2 m.
        DownstreamOptions tight = o;
        tight.max_height_m = 1.5;
        CHECK(piece_of(downstream_analysis(fg, fields, sources, tight), 0) == nullptr);
    }

    SECTION("plane falling north: the same river carries the path north") {
        RiverBurn burn;
        burn.rivers = &river;
        burn.depth_m = 20; // any depth above the bank step (1 m per cell) does
        const FlowGrids fg = flow_grids(plane(false), hydro::NodataAs::outlet, {}, burn);
        const auto& g = fg.geometry;
        const DownstreamResult r = downstream_analysis(fg, fields, sources, o);
        const auto& ds = r.sources[0];
        REQUIRE(ds.path.cells.size() == 16 + 10);
        CHECK(ds.path.cells[15] == g.index(20, 10));
        CHECK(ds.path.cells.back() == g.index(20, 0));
        CHECK(*ds.river_join_m == Approx(150.0));
        CHECK(ds.path.length_m() == Approx(250.0));
        // Now P3 is downstream (row 6 joins 4 cells below the join) and P1 upstream.
        const DownstreamPiece* b = piece_of(r, 1);
        REQUIRE(b != nullptr);
        CHECK(b->chainage_m == Approx(190.0));
        CHECK(b->height_m == Approx(2.0).margin(1e-4));
        CHECK(piece_of(r, 0) == nullptr);
    }

    SECTION("a source on the river joins it at chainage 0") {
        RiverBurn burn;
        burn.rivers = &river;
        const FlowGrids fg = flow_grids(plane(true), hydro::NodataAs::outlet, {}, burn);
        const io::Layer on =
            test::memory_layer("mines", io::GeometryKind::point, {"id"},
                               {{cell_point(20, 25), {io::Value(std::string("M2"))}}});
        const DownstreamResult r = downstream_analysis(fg, fields, on, o);
        REQUIRE(r.sources[0].river_join_m.has_value());
        CHECK(*r.sources[0].river_join_m == 0.0);
        CHECK(r.sources[0].path.length_m() == Approx(140.0));
    }
}

TEST_CASE("downstream --rivers: bad river layers are refused with the file named",
          "[downstream][rivers]") {
    const hydro::GridGeometry g = plane_geometry();
    RiverBurn burn;
    const io::Layer polys =
        test::memory_layer("rivers", io::GeometryKind::polygon, {"name"},
                           {{cells_wkt(19, 0, 21, 39), {io::Value(std::string("R"))}}});
    burn.rivers = &polys;
    CHECK_THROWS_WITH(river_cells(g, burn), Catch::Contains("rivers.gpkg") &&
                                                Catch::Contains("must be lines") &&
                                                Catch::Contains("polygon"));
    const io::Layer empty = lines({});
    burn.rivers = &empty;
    CHECK_THROWS_WITH(river_cells(g, burn),
                      Catch::Contains("rivers.gpkg") && Catch::Contains("no river lines"));
    const io::Layer far = lines({"LINESTRING(500000 2900000,500100 2900100)"});
    burn.rivers = &far;
    CHECK_THROWS_WITH(river_cells(g, burn), Catch::Contains("none of its 1 river lines crosses "
                                                            "the DEM"));
    io::Layer other = lines({river_wkt(20)});
    other.crs = Crs::from_epsg(4326);
    burn.rivers = &other;
    CHECK_THROWS_WITH(river_cells(g, burn), Catch::Contains("differs from the DEM's"));
    const io::Layer ok = lines({river_wkt(20), "LINESTRING(500000 2900000,500100 2900100)"});
    burn.rivers = &ok;
    CHECK(river_cells(g, burn).size() == std::size_t(kN)); // the far line is left out
    burn.depth_m = 0;
    CHECK_THROWS_AS(river_cells(g, burn), UsageError);
}

TEST_CASE("downstream --rivers: the conditioned-DEM cache is keyed on the burned rivers",
          "[downstream][rivers]") {
    test::TempDir dir;
    const std::string dem = dir.file("plane.tif"), cache = dir.file("cache");
    {
        const hydro::Dem d = plane(true);
        hydro::write_float_raster(dem, d.geometry, d.z, std::nullopt, {});
    }
    auto write_river = [&](int col) {
        test::FixtureLayer l{"rivers", 4545, {{"name"}}, {{river_wkt(col), {std::string("R")}}}};
        std::filesystem::remove(dir.file("rivers.geojson"));
        test::write_layers(dir.file("rivers.geojson"), "GeoJSON", {l});
        io::VectorInput in;
        in.role = "rivers";
        in.path = dir.file("rivers.geojson");
        return io::read_vector(in, Crs::from_epsg(4545));
    };
    const io::Layer mine = mines();
    auto join_of = [&](const FlowGrids& fg) {
        const auto r = downstream_analysis(fg, farmland(), mine, DownstreamOptions{});
        return r.sources[0].river_join_m.value_or(-1);
    };
    bool hit = true;
    const io::Layer r20 = write_river(20);
    RiverBurn burn;
    burn.rivers = &r20;
    const FlowGrids a = load_flow_grids(dem, cache, hydro::NodataAs::outlet, {}, {}, &hit, burn);
    CHECK_FALSE(hit);
    CHECK(join_of(a) == Approx(150.0));
    const FlowGrids b = load_flow_grids(dem, cache, hydro::NodataAs::outlet, {}, {}, &hit, burn);
    CHECK(hit);
    CHECK(b.d8 == a.d8);
    CHECK(b.filled == a.filled); // the unburned surface, from the cache too
    CHECK(b.river_cells == a.river_cells);
    CHECK(join_of(b) == Approx(150.0));

    // The river file changes (the river now runs down column 25): conditioned anew.
    const io::Layer r25 = write_river(25);
    burn.rivers = &r25;
    const FlowGrids c = load_flow_grids(dem, cache, hydro::NodataAs::outlet, {}, {}, &hit, burn);
    CHECK_FALSE(hit);
    CHECK(join_of(c) == Approx(200.0));
    CHECK(c.d8 != a.d8);
    // Another depth, and no rivers at all, are other entries too.
    burn.depth_m = 30;
    load_flow_grids(dem, cache, hydro::NodataAs::outlet, {}, {}, &hit, burn);
    CHECK_FALSE(hit);
    const FlowGrids none = load_flow_grids(dem, cache, hydro::NodataAs::outlet, {}, {}, &hit);
    CHECK_FALSE(hit);
    CHECK(none.river_cells.empty());
    CHECK(join_of(none) == -1);
    // Back to column 20: the first entry is still valid and used.
    burn.rivers = &r20;
    burn.depth_m = 50;
    const FlowGrids d = load_flow_grids(dem, cache, hydro::NodataAs::outlet, {}, {}, &hit, burn);
    CHECK(hit);
    CHECK(d.d8 == a.d8);
    std::size_t entries = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(cache))
        ++entries;
    CHECK(entries == 4);
}
