// `near`: pieces and areas of farmland around sources, checked against hand-computed
// areas and against an independent computation without GEOS.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <gdal_priv.h>
#include <geos_c.h>
#include <numbers>
#include <ogrsf_frmts.h>
#include <unistd.h>

#include "soilrisk/analysis/near.hpp"
#include "soilrisk/core/error.hpp"
#include "soilrisk/core/runtime.hpp"
#include "soilrisk/spatial/buffer.hpp"

using namespace soilrisk;
using namespace soilrisk::analysis;

namespace {

io::Layer farmland_layer(const std::vector<std::tuple<std::string, int, std::string>>& parcels) {
    io::Layer l;
    l.source = "farmland.gpkg";
    l.name = "farmland";
    l.role = "farmland";
    l.crs = l.native_crs = Crs::from_epsg(4545);
    l.kind = io::GeometryKind::polygon;
    l.fields = {{"parcel_id", io::FieldType::string},
                {"category", io::FieldType::integer},
                {"county", io::FieldType::string}};
    std::int64_t fid = 1;
    for (const auto& [wkt, cat, county] : parcels) {
        io::Feature f;
        f.fid = fid;
        f.geom = geos::from_wkt(wkt);
        f.values = {std::string("P") + std::to_string(fid), std::int64_t(cat), county};
        l.features.push_back(std::move(f));
        ++fid;
    }
    return l;
}

io::Layer sources_layer(const std::vector<std::string>& wkts) {
    io::Layer l;
    l.source = "mines.gpkg";
    l.name = "mines";
    l.role = "sources";
    l.crs = l.native_crs = Crs::from_epsg(4545);
    l.kind = io::GeometryKind::mixed;
    l.fields = {{"mine_id", io::FieldType::string}, {"name", io::FieldType::string}};
    std::int64_t fid = 1;
    for (const auto& w : wkts) {
        io::Feature f;
        f.fid = fid;
        f.geom = geos::from_wkt(w);
        f.values = {std::string("M") + std::to_string(fid),
                    std::string("矿") + std::to_string(fid)};
        l.features.push_back(std::move(f));
        ++fid;
    }
    return l;
}

std::string square(double x0, double y0, double x1, double y1) {
    auto s = [](double v) { return std::to_string(v); };
    return "POLYGON ((" + s(x0) + " " + s(y0) + ", " + s(x1) + " " + s(y0) + ", " + s(x1) + " " +
           s(y1) + ", " + s(x0) + " " + s(y1) + ", " + s(x0) + " " + s(y0) + "))";
}

NearOptions planar(std::vector<double> rings) {
    NearOptions o;
    o.rings = std::move(rings);
    o.area = AreaMode::planar;
    return o;
}

double area_of(const std::vector<NearPiece>& pieces, std::uint32_t source, std::uint32_t ring) {
    double a = 0;
    for (const auto& p : pieces)
        if (p.source == source && p.ring == ring) a += p.area_m2;
    return a;
}

/// Area of the part of a convex polygon with x >= c (Sutherland–Hodgman, shoelace).
double clipped_area(const std::vector<std::pair<double, double>>& poly, double c) {
    std::vector<std::pair<double, double>> out;
    for (std::size_t i = 0; i < poly.size(); ++i) {
        const auto a = poly[i], b = poly[(i + 1) % poly.size()];
        const bool ina = a.first >= c, inb = b.first >= c;
        if (ina) out.push_back(a);
        if (ina != inb) {
            const double t = (c - a.first) / (b.first - a.first);
            out.emplace_back(c, a.second + t * (b.second - a.second));
        }
    }
    double s = 0;
    for (std::size_t i = 0; i < out.size(); ++i) {
        const auto a = out[i], b = out[(i + 1) % out.size()];
        s += a.first * b.second - b.first * a.second;
    }
    return std::abs(s) / 2;
}

} // namespace

TEST_CASE("rings: leading 0 optional, inside ring first", "[near]") {
    auto r = make_rings({500, 1000, 2000});
    REQUIRE(r.size() == 4);
    CHECK(r[0].inside);
    CHECK(r[1].from_m == 0);
    CHECK(r[1].to_m == 500);
    CHECK(r[3].from_m == 1000);
    CHECK(make_rings({0, 500}).size() == 2);
    CHECK_THROWS_AS(make_rings({0}), UsageError);
    CHECK_THROWS_AS(make_rings({500, 400}), UsageError);
}

TEST_CASE("polygon source: inside ring and bands along a straight edge", "[near]") {
    // Source: the square 0..100. Rings 0–50, 50–100 along its top edge are exact
    // rectangles, so the areas are hand-computable.
    auto sources = sources_layer({square(0, 0, 100, 100)});
    auto farmland = farmland_layer({
        {square(20, 120, 80, 200), 3, "融水"},   // cut by the 50 m edge: 60×30 and 60×50
        {square(20, 80, 80, 120), 2, "融水"},    // half inside the source: 60×20 + 60×20
        {square(400, 400, 500, 500), 1, "融安"}, // out of reach
    });
    auto res = near_analysis(farmland, sources, planar({0, 50, 100}));
    CHECK(area_of(res.pieces, 0, 0) == Approx(1200));
    CHECK(area_of(res.pieces, 0, 1) == Approx(1800 + 1200));
    CHECK(area_of(res.pieces, 0, 2) == Approx(3000));
    CHECK(res.pieces.size() == 4);
    for (const auto& p : res.pieces)
        CHECK(p.parcel != 2);
    // Distances from the source: the inside piece 0, the band pieces their gap.
    for (const auto& p : res.pieces) {
        if (p.ring == 0) CHECK(p.distance_m == 0);
        if (p.parcel == 0 && p.ring == 1) CHECK(p.distance_m == Approx(20));
        if (p.parcel == 0 && p.ring == 2) CHECK(p.distance_m == Approx(50));
    }
    // One source: the nearest view is the same.
    CHECK(res.nearest.size() == res.pieces.size());
}

TEST_CASE("a parcel inside one ring is taken whole", "[near]") {
    auto sources = sources_layer({"POINT (0 0)"});
    auto farmland = farmland_layer({{square(1200, 0, 1300, 100), 3, "融水"}});
    auto res = near_analysis(farmland, sources, planar({0, 1000, 2000}));
    REQUIRE(res.pieces.size() == 1);
    const auto& p = res.pieces[0];
    CHECK(p.ring == 2);
    CHECK(p.geom == nullptr); // whole parcel, no overlay
    CHECK(p.area_m2 == Approx(10000));
    CHECK(p.distance_m == Approx(1200));
    CHECK(res.stats.whole == 1);
    CHECK(res.stats.cut == 0);
}

TEST_CASE("a square cut by a ring matches an independent computation", "[near]") {
    // Point source at the origin, one ring 0–1000 m; the parcel x in [500, 2000] is cut
    // by the ring's edge. Independent check without GEOS: the regular 4q-gon on the
    // circle clipped at x = 500; and the analytic circular segment
    // r² acos(d/r) − d √(r² − d²), which the polygon underestimates by at most
    // the buffer's relative deficit times the disc.
    const double r = 1000, d = 500;
    auto sources = sources_layer({"POINT (0 0)"});
    auto farmland = farmland_layer({{square(d, -2000, 2000, 2000), 2, "融水"}});
    for (int q : {8, 65}) {
        NearOptions o = planar({0, r});
        o.quad_segs = q;
        auto res = near_analysis(farmland, sources, o);
        REQUIRE(res.pieces.size() == 1);
        const double got = res.pieces[0].area_m2;
        const int n = 4 * q;
        std::vector<std::pair<double, double>> poly;
        for (int i = 0; i < n; ++i) {
            const double a = 2 * std::numbers::pi * i / n;
            poly.emplace_back(r * std::cos(a), r * std::sin(a));
        }
        CHECK(got == Approx(clipped_area(poly, d)).epsilon(1e-9));
        const double segment = r * r * std::acos(d / r) - d * std::sqrt(r * r - d * d);
        CHECK(got <= segment);
        CHECK(segment - got <= spatial::buffer_area_deficit(q) * std::numbers::pi * r * r);
        CHECK(res.pieces[0].distance_m == Approx(d));
    }
}

/// Mines 1000 m apart, ring 0–1000 m; parcel 1 (400..600) lies in both rings and is split
/// by the bisector x = 500 in the nearest view; parcel 2 only near mine 1.
struct TwoMines {
    io::Layer sources = sources_layer({"POINT (0 0)", "POINT (1000 0)"});
    io::Layer farmland = farmland_layer(
        {{square(400, -100, 600, 100), 3, "融水"}, {square(-300, -100, -200, 100), 1, "融安"}});
    NearOptions opts = planar({0, 1000});
    NearResult res = near_analysis(farmland, sources, opts);
};

TEST_CASE("two overlapping sources: by source and nearest source", "[near]") {
    // Mines 1000 m apart, ring 0–1000 m; the parcel 400..600 lies in both rings and is
    // split by the bisector x = 500 in the nearest view.
    TwoMines m;
    auto& [sources, farmland, opts, res] = m;
    CHECK(area_of(res.pieces, 0, 1) == Approx(40000 + 20000));
    CHECK(area_of(res.pieces, 1, 1) == Approx(40000));
    CHECK(area_of(res.nearest, 0, 1) == Approx(20000 + 20000));
    CHECK(area_of(res.nearest, 1, 1) == Approx(20000));

    // Table: per-source rows overlap; the overall rows (source "all") do not.
    auto t = near_summary(res, farmland, NearView::by_source, opts);
    REQUIRE(t.columns.size() == 9);
    const char* names[] = {"source_id", "source_name", "ring_from_m", "ring_to_m", "category",
                           "parcels",   "area_m2",     "area_mu",     "area_ha"};
    CHECK(t.columns[0].name == names[0]);
    CHECK(t.columns[4].name == "category");
    CHECK(t.columns[5].name == "parcels");
    CHECK(t.columns[8].name == "area_ha");
    auto find = [&](const std::string& sid, double to, const std::string& cat) -> const auto& {
        for (const auto& row : t.rows)
            if (io::Layer::text(row[0]) == sid && std::get<double>(row[3]) == to &&
                io::Layer::text(row[4]) == cat)
                return row;
        FAIL("row not found: " << sid << " " << to << " " << cat);
        return t.rows.front();
    };
    CHECK(std::get<double>(find("M1", 1000, "3")[6]) == Approx(40000));
    CHECK(std::get<double>(find("M1", 1000, "all")[6]) == Approx(60000));
    CHECK(std::get<std::int64_t>(find("M1", 1000, "all")[5]) == 2);
    CHECK(std::get<double>(find("M2", 1000, "3")[6]) == Approx(40000));
    CHECK(std::get<double>(find("all", 1000, "3")[6]) == Approx(40000)); // not 80000
    CHECK(std::get<std::int64_t>(find("all", 1000, "3")[5]) == 1);       // one parcel
    CHECK(std::get<double>(find("all", 1000, "all")[6]) == Approx(60000));
    CHECK(std::get<double>(find("all", 1000, "all")[7]) == Approx(90)); // 60000 m² = 90 亩
    // Every total row is marked with "all".
    std::size_t totals = 0;
    for (const auto& row : t.rows)
        if (io::Layer::text(row[0]) == "all" || io::Layer::text(row[4]) == "all") ++totals;
    CHECK(totals == 2 * 2 + 5); // per source: ring + source total; overall: 3 cats + 2

    // Ranking: category 3 area ties at 40000; then category 2 (none); then input order.
    auto rank = near_ranking(res, opts);
    REQUIRE(rank.rows.size() == 2);
    CHECK(io::Layer::text(rank.rows[0][1]) == "M1");
    CHECK(std::get<double>(rank.rows[0][7]) == Approx(40000));
}

TEST_CASE("the nearest-source view in a GeoPackage is the nearest pieces, fid for fid", "[near]") {
    // As above: parcel 1 split by the bisector (two pieces of their own), parcel 2 whole.
    TwoMines m;
    auto& [sources, farmland, opts, res] = m;
    REQUIRE(res.nearest.size() == 3);
    const auto dir = std::filesystem::temp_directory_path() /
                     ("soilrisk-test-near-view-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    NearOutputs out;
    out.gpkg = (dir / "near.gpkg").string();
    write_near_outputs(res, farmland, opts, out);

    GDALAllRegister();
    GDALDatasetUniquePtr ds(GDALDataset::Open(out.gpkg.c_str(), GDAL_OF_VECTOR));
    REQUIRE(ds);
    OGRLayer* view = ds->GetLayerByName("near_pieces_nearest");
    REQUIRE(view);
    CHECK(view->GetFeatureCount() == 3);
    REQUIRE(view->GetSpatialRef());
    CHECK(std::string(view->GetSpatialRef()->GetAuthorityCode(nullptr)) == "4545");
    int seen = 0, cut = 0;
    for (auto& f : *view) {
        const auto fid = f->GetFID();
        REQUIRE(fid >= 1);
        REQUIRE(fid <= 3);
        const NearPiece& p = res.nearest[std::size_t(fid - 1)];
        INFO("fid " << fid);
        CHECK(f->GetFieldAsDouble("area_m2") == Approx(p.area_m2));
        CHECK(std::string(f->GetFieldAsString("parcel_id")) == "P" + std::to_string(p.parcel + 1));
        const auto* g = f->GetGeometryRef();
        REQUIRE(g);
        CHECK(g->toMultiPolygon()->get_Area() == Approx(p.area_m2));
        cut += p.region_cut;
        ++seen;
    }
    CHECK(seen == 3);
    CHECK(cut == 2); // parcel 1's halves
    // The by-source pieces say where they are whole in the view; the cut pieces have a
    // table of their own.
    OGRLayer* pieces = ds->GetLayerByName("near_pieces");
    REQUIRE(pieces);
    int linked = 0;
    for (auto& f : *pieces) {
        const bool whole = std::string(f->GetFieldAsString("parcel_id")) == "P2";
        CHECK(f->IsFieldSetAndNotNull(f->GetFieldIndex("nearest_fid")) == whole);
        if (whole) {
            const auto fid = f->GetFieldAsInteger64("nearest_fid");
            CHECK(res.nearest[std::size_t(fid - 1)].parcel == 1);
            ++linked;
        }
    }
    CHECK(linked == 1);
    OGRLayer* cut_layer = ds->GetLayerByName("near_pieces_nearest_cut");
    REQUIRE(cut_layer);
    CHECK(cut_layer->GetFeatureCount() == 2);
    ds.reset();
    std::filesystem::remove_all(dir);
}

TEST_CASE("ranking puts the most category-3 farmland first", "[near]") {
    auto sources = sources_layer({"POINT (0 0)", "POINT (10000 0)"});
    auto farmland = farmland_layer(
        {{square(100, 0, 200, 100), 2, "a"}, {square(10100, 0, 10200, 100), 3, "a"}});
    auto opts = planar({0, 500});
    auto res = near_analysis(farmland, sources, opts);
    auto rank = near_ranking(res, opts);
    CHECK(io::Layer::text(rank.rows[0][1]) == "M2");
    CHECK(std::get<std::int64_t>(rank.rows[0][0]) == 1);
    CHECK(io::Layer::text(rank.rows[1][1]) == "M1");
}

TEST_CASE("results do not depend on the number of threads", "[near]") {
    std::vector<std::tuple<std::string, int, std::string>> parcels;
    for (int i = 0; i < 60; ++i)
        for (int j = 0; j < 60; ++j) {
            const double x = i * 97.0, y = j * 103.0;
            // A skewed quadrilateral, so that edges are not axis-aligned.
            parcels.emplace_back("POLYGON ((" + std::to_string(x) + " " + std::to_string(y) + ", " +
                                     std::to_string(x + 97) + " " + std::to_string(y + 7) + ", " +
                                     std::to_string(x + 90) + " " + std::to_string(y + 103) + ", " +
                                     std::to_string(x) + " " + std::to_string(y + 96) + ", " +
                                     std::to_string(x) + " " + std::to_string(y) + "))",
                                 1 + (i + j) % 3, j < 30 ? "a" : "b");
        }
    auto farmland = farmland_layer(parcels);
    auto sources = sources_layer({"POINT (2000 2000)", "POINT (3500 2600)",
                                  "POLYGON ((4000 4000, 4600 4100, 4300 4700, 4000 4000))",
                                  "LINESTRING (500 5000, 1500 5500, 2500 5200)"});
    auto opts = planar({0, 300, 700, 1200});
    opts.by = {"county"};
    set_thread_count(1);
    auto a = near_analysis(farmland, sources, opts);
    set_thread_count(2);
    auto b = near_analysis(farmland, sources, opts);
    set_thread_count(0);
    REQUIRE(a.pieces.size() == b.pieces.size());
    REQUIRE(a.nearest.size() == b.nearest.size());
    for (std::size_t i = 0; i < a.pieces.size(); ++i) {
        CHECK(a.pieces[i].parcel == b.pieces[i].parcel);
        CHECK(a.pieces[i].area_m2 == b.pieces[i].area_m2); // bitwise
    }
    CHECK(a.stats.whole > 0);
    CHECK(a.stats.cut > 0);
    // Pieces of one source never overlap: per source, ring areas sum to the covered area;
    // nearest pieces of all sources sum to at most the farmland area.
    double nearest_total = 0, farmland_total = 0;
    for (const auto& p : a.nearest)
        nearest_total += p.area_m2;
    for (double x : a.parcel_area_m2)
        farmland_total += x;
    CHECK(nearest_total <= farmland_total * (1 + 1e-12));
    // Within each parcel, nearest pieces add up to at most the parcel.
    std::vector<double> per(farmland.features.size(), 0);
    for (const auto& p : a.nearest)
        per[p.parcel] += p.area_m2;
    for (std::size_t i = 0; i < per.size(); ++i)
        CHECK(per[i] <= a.parcel_area_m2[i] * (1 + 1e-9));
    // A table with --by has the county column and identical rows for both runs.
    auto ta = near_summary(a, farmland, NearView::nearest, opts);
    auto tb = near_summary(b, farmland, NearView::nearest, opts);
    CHECK(ta.columns[5].name == "county");
    REQUIRE(ta.rows.size() == tb.rows.size());
    for (std::size_t i = 0; i < ta.rows.size(); ++i)
        CHECK(ta.rows[i] == tb.rows[i]);
}

TEST_CASE("a parcel without a usable category is an error naming it", "[near]") {
    auto sources = sources_layer({"POINT (0 0)"});
    auto farmland = farmland_layer({{square(100, 0, 200, 100), 7, "a"}});
    try {
        near_analysis(farmland, sources, planar({0, 500}));
        FAIL("no error");
    } catch (const DataError& e) {
        CHECK_THAT(e.what(), Catch::Contains("feature 1") && Catch::Contains("category"));
    }
    // Far from every source it does not matter.
    auto far = farmland_layer(
        {{square(100, 0, 200, 100), 1, "a"}, {square(90000, 0, 90100, 100), 7, "a"}});
    CHECK(near_analysis(far, sources, planar({0, 500})).pieces.size() == 1);
}
