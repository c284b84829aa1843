// downstream / upstream on hand-made DEMs: two parallel valleys (west main valley, east
// valley 20 m lower behind a ridge), parcels placed on the valley floor downstream and
// upstream of a mine, on a slope above the height limit and across the ridge.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "soilrisk/analysis/downstream.hpp"
#include "soilrisk/analysis/upstream.hpp"
#include "soilrisk/core/geos.hpp"

using namespace soilrisk;
using namespace soilrisk::analysis;

namespace {

constexpr double kX0 = 400000, kCell = 10;
constexpr int kW = 81, kH = 300;
constexpr double kTop = 2800000 + kCell * kH;

// Column profile: west valley floor at col 20, ridge at col 40 (40 m above the west
// floor), east valley floor at col 60 (20 m below the west floor). Rows fall 0.5 m each
// towards the south edge.
double profile(int c) {
    if (c <= 40) return 2.0 * std::abs(c - 20);
    if (c <= 60) return 40.0 - 3.0 * (c - 40);
    return -20.0 + 3.0 * (c - 60);
}

FlowGrids valleys() {
    hydro::Dem d;
    d.geometry = hydro::GridGeometry(kW, kH, {kX0, kCell, 0, kTop, 0, -kCell}, Crs::from_epsg(4545),
                                     "valleys");
    d.z.resize(std::size_t(kW) * kH);
    for (int r = 0; r < kH; ++r)
        for (int c = 0; c < kW; ++c)
            d.z[std::size_t(r) * kW + c] = float(300.0 - 0.5 * r + profile(c));
    d.source = "valleys";
    return flow_grids(std::move(d));
}

// Rectangle over cells [c0, c1] × [r0, r1] (inclusive).
std::string cells_wkt(int c0, int r0, int c1, int r1) {
    const double x0 = kX0 + c0 * kCell, x1 = kX0 + (c1 + 1) * kCell;
    const double y0 = kTop - (r1 + 1) * kCell, y1 = kTop - r0 * kCell;
    return "POLYGON((" + std::to_string(x0) + " " + std::to_string(y0) + "," + std::to_string(x1) +
           " " + std::to_string(y0) + "," + std::to_string(x1) + " " + std::to_string(y1) + "," +
           std::to_string(x0) + " " + std::to_string(y1) + "," + std::to_string(x0) + " " +
           std::to_string(y0) + "))";
}

std::string cell_point(int c, int r) {
    return "POINT(" + std::to_string(kX0 + (c + 0.5) * kCell) + " " +
           std::to_string(kTop - (r + 0.5) * kCell) + ")";
}

io::Layer layer(const std::string& name, const std::vector<std::string>& wkts,
                const std::vector<int>& cats) {
    io::Layer l;
    l.source = name + ".gpkg";
    l.name = name;
    l.role = name;
    l.crs = l.native_crs = Crs::from_epsg(4545);
    l.kind = cats.empty() ? io::GeometryKind::point : io::GeometryKind::polygon;
    l.fields = {{"id", io::FieldType::string}, {"category", io::FieldType::integer}};
    for (std::size_t i = 0; i < wkts.size(); ++i) {
        io::Feature f;
        f.fid = std::int64_t(i + 1);
        f.geom = geos::from_wkt(wkts[i]);
        f.values = {std::string(cats.empty() ? "M" : "P") + std::to_string(i + 1),
                    cats.empty() ? io::Value() : io::Value(std::int64_t(cats[i]))};
        l.features.push_back(std::move(f));
    }
    return l;
}

// Parcels: P1 valley floor downstream (rows 150–159), P2 valley floor upstream of the
// mines (rows 10–20), P3 west slope 100–140 m from the river (20–28 m above it), P4 east
// valley across the ridge (350–400 m from the path, lower than it).
io::Layer parcels() {
    return layer("farmland",
                 {cells_wkt(18, 150, 22, 159), cells_wkt(18, 10, 22, 20),
                  cells_wkt(30, 150, 34, 159), cells_wkt(55, 150, 60, 159)},
                 {3, 2, 1, 3});
}

const DownstreamPiece* piece_of(const DownstreamResult& r, std::uint32_t source,
                                std::uint32_t parcel) {
    for (const auto& p : r.pieces)
        if (p.source == source && p.parcel == parcel) return &p;
    return nullptr;
}

} // namespace

TEST_CASE("downstream: valley floor found with its chainage but upstream, slope and "
          "across-ridge parcels are not",
          "[downstream]") {
    const FlowGrids fg = valleys();
    const io::Layer farmland = parcels();
    // M1 on the river at row 50; M2 on the east flank of the west valley (col 24, row 40),
    // draining west into the river above M1.
    const io::Layer mines = layer("mines", {cell_point(20, 50), cell_point(24, 40)}, {});
    DownstreamOptions o; // reach 10 km, corridor 500 m, max height 10 m
    const DownstreamResult r = downstream_analysis(fg, farmland, mines, o);
    REQUIRE(r.sources.size() == 2);
    REQUIRE(r.sources[0].path.cells.size() == std::size_t(kH - 50));
    CHECK(r.sources[0].path.length_m() == Approx(10.0 * (kH - 51)));

    const DownstreamPiece* a = piece_of(r, 0, 0);
    REQUIRE(a != nullptr);
    CHECK(a->chainage_m == Approx(1000.0)); // row 150 joins at 100 cells below row 50
    CHECK(a->category == 3);
    CHECK(a->area_m2 == Approx(50.0 * 100.0).epsilon(1e-3)); // whole parcel, ellipsoidal
    CHECK(a->height_m == Approx(0.0));
    CHECK(a->distance_m == Approx(1000.0 - 5.0)); // from the mine point to the parcel edge
    CHECK(piece_of(r, 0, 1) == nullptr);          // upstream
    CHECK(piece_of(r, 0, 2) == nullptr);          // slope above 10 m
    CHECK(piece_of(r, 0, 3) == nullptr);          // across the ridge, lower than the path

    // Two mines draining into one valley both report the shared parcel.
    const DownstreamPiece* b = piece_of(r, 1, 0);
    REQUIRE(b != nullptr);
    CHECK(b->chainage_m == Approx(40.0 + 1100.0));
    CHECK(b->area_m2 == Approx(a->area_m2));
    CHECK(piece_of(r, 1, 1) == nullptr); // the main river upstream of M2's confluence
    CHECK(piece_of(r, 1, 3) == nullptr);
    CHECK(r.pieces.size() == 2);

    // A higher limit takes the slope parcel in, with its height above the path.
    o.max_height_m = 30;
    const DownstreamResult r30 = downstream_analysis(fg, farmland, mines, o);
    const DownstreamPiece* s = piece_of(r30, 0, 2);
    REQUIRE(s != nullptr);
    CHECK(s->height_m == Approx(20.0));
    CHECK(s->chainage_m == Approx(1000.0));
    CHECK(piece_of(r30, 0, 3) == nullptr);
    CHECK(piece_of(r30, 0, 1) == nullptr);

    // A short reach stops before the parcel; a narrow corridor keeps only the floor.
    o = DownstreamOptions{};
    o.reach_m = 800;
    CHECK(piece_of(downstream_analysis(fg, farmland, mines, o), 0, 0) == nullptr);
    o = DownstreamOptions{};
    o.corridor_m = 15; // cells 1 column off the river only
    const DownstreamResult narrow = downstream_analysis(fg, farmland, mines, o);
    const DownstreamPiece* n = piece_of(narrow, 0, 0);
    REQUIRE(n != nullptr);
    CHECK(n->geom != nullptr);
    CHECK(n->area_m2 == Approx(30.0 * 100.0).epsilon(1e-3));

    // Tables: band 0–2 km holds P1 (category 3) for both mines; the ranking sums them.
    const io::Table sum = downstream_summary(r, o);
    double cat3 = 0;
    for (const auto& row : sum.rows)
        if (io::Layer::text(row[0]) == "M1" && std::get<double>(row[2]) == 0 &&
            std::get<std::int64_t>(row[4]) == 3)
            cat3 = std::get<double>(row[6]);
    CHECK(cat3 == Approx(a->area_m2));
    const io::Table rank = downstream_ranking(r);
    REQUIRE(rank.rows.size() == 2);
    CHECK(io::Layer::text(rank.rows[0][1]) == "M1");
    const io::Table both = combined_ranking({&rank, &rank}, {"near", "downstream"});
    CHECK(io::Layer::number(both.rows[0][7]).value() == Approx(2 * a->area_m2));
}

TEST_CASE("downstream: affected-zone polygon follows cell edges", "[downstream]") {
    const FlowGrids fg = valleys();
    std::vector<std::uint8_t> mask = {1, 1, 0, 0, 1, 1, 1, 0};
    const auto poly = mask_polygon(fg.geometry, 2, 3, 4, 2, mask);
    REQUIRE(poly != nullptr);
    const AreaCalculator planar(Crs::from_epsg(4545), AreaMode::planar);
    CHECK(planar.area_m2(poly.get()) == Approx(5 * 100.0));
}

TEST_CASE("upstream: the catchment of a parcel holds exactly the mines draining to it",
          "[upstream]") {
    const FlowGrids fg = valleys();
    const io::Layer farmland = parcels();
    // M1, M2 drain to P1; M3 is in the east valley; M4 is on the river below P1; M5 on
    // the west slope above P1 (drains to the river at row 100).
    const io::Layer mines = layer("mines",
                                  {cell_point(20, 50), cell_point(24, 40), cell_point(60, 50),
                                   cell_point(20, 250), cell_point(30, 100)},
                                  {});
    const UpstreamResult r = upstream_analysis(fg, farmland, {0}, mines, UpstreamOptions{});
    REQUIRE(r.clusters.size() == 1);
    REQUIRE(r.clusters[0].catchment != nullptr);
    std::vector<std::string> up;
    for (const auto& l : r.links)
        up.push_back(io::Layer::text(r.source_ids[l.source]));
    // Nearest first: M5 (10 lateral cells + 50 rows), M1 (100 rows), M2.
    CHECK(up == std::vector<std::string>{"M5", "M1", "M2"});
    CHECK(r.links[1].flow_distance_m == Approx(1000.0));
    CHECK(r.links[2].flow_distance_m == Approx(1140.0));
    CHECK_FALSE(r.source_upstream[2]);
    CHECK_FALSE(r.source_upstream[3]);
    CHECK(r.clusters[0].catchment_area_m2 > 0);
    const io::Table t = upstream_table(r);
    CHECK(t.rows.size() == 5);
    CHECK(io::Layer::text(t.rows.back()[9]) == "not upstream");

    // Clusters: P1 and P3 (70 m apart) merge at 100 m, not at 50 m.
    UpstreamOptions o;
    o.cluster_distance_m = 100;
    CHECK(upstream_analysis(fg, farmland, {0, 2}, mines, o).clusters.size() == 1);
    o.cluster_distance_m = 50;
    CHECK(upstream_analysis(fg, farmland, {0, 2}, mines, o).clusters.size() == 2);
}
