// Classification on small hand-made layouts: each assignment method, IDW against hand
// computation, land use from DLBM, missing pH, below-detection values, crop rules,
// change matrix and safe-utilisation rate.
#include <catch2/catch.hpp>

#include "fixtures.hpp"

#include <cmath>
#include <geos_c.h>

#include "soilrisk/analysis/classify.hpp"
#include "soilrisk/core/error.hpp"

using namespace soilrisk;
using namespace soilrisk::analysis;

namespace {

// Coordinates are offsets from a point in CGCS2000 GK CM 108E (EPSG:4545) near Liuzhou.
constexpr double X0 = 400000, Y0 = 2700000;

std::string rect(double x0, double y0, double x1, double y1) {
    auto p = [](double x, double y) {
        return std::to_string(X0 + x) + " " + std::to_string(Y0 + y);
    };
    return "POLYGON((" + p(x0, y0) + "," + p(x1, y0) + "," + p(x1, y1) + "," + p(x0, y1) + "," +
           p(x0, y0) + "))";
}
std::string pt(double x, double y) {
    return "POINT(" + std::to_string(X0 + x) + " " + std::to_string(Y0 + y) + ")";
}

using V = io::Value;
V s(const char* t) {
    return V(std::string(t));
}

const std::vector<std::string> kFarmFields = {"parcel_id", "dlbm", "category", "county",
                                              "measures"};
const std::vector<std::string> kSampleFields = {"sample_id", "ph", "landuse", "cd", "pb", "cu"};

struct Standards {
    SoilStandard soil = load_soil_standard(standards_dir() / "gb15618-2018.toml");
    FoodStandard food = load_food_standard(standards_dir() / "gb2762.toml", "2017");
    RuleTable rules = load_rules(standards_dir() / "classify-rules.toml");
};
const Standards& standards() {
    static const Standards s;
    return s;
}

ClassifyResult run(const io::Layer& farm, const io::Layer& samples, ClassifyOptions o,
                   const io::Layer* crops = nullptr) {
    ClassifyInputs in;
    in.farmland = &farm;
    in.samples = &samples;
    in.crops = crops;
    in.soil = &standards().soil;
    in.food = &standards().food;
    in.rules = &standards().rules;
    o.area_mode = AreaMode::planar;
    return classify(in, o);
}

int col(const io::Table& t, const std::string& name) {
    for (std::size_t i = 0; i < t.columns.size(); ++i)
        if (t.columns[i].name == name) return static_cast<int>(i);
    FAIL("no column " << name << " in " << t.name);
    return -1;
}

const std::vector<io::Value>& row(const io::Table& t, const std::string& key_col,
                                  const std::string& key) {
    const int c = col(t, key_col);
    for (const auto& r : t.rows)
        if (io::Layer::text(r[c]) == key) return r;
    FAIL("no row " << key << " in " << t.name);
    static std::vector<io::Value> none;
    return none;
}

std::string cell(const io::Table& t, const std::string& key_col, const std::string& key,
                 const std::string& name) {
    return io::Layer::text(row(t, key_col, key)[col(t, name)]);
}
double num(const io::Table& t, const std::string& key_col, const std::string& key,
           const std::string& name) {
    return io::Layer::number(row(t, key_col, key)[col(t, name)]).value();
}

const ParcelResult& parcel(const ClassifyResult& r, const std::string& id) {
    for (const auto& p : r.parcel_results)
        if (p.parcel_id == id) return p;
    FAIL("no parcel " << id);
    return r.parcel_results.front();
}

// Four 100 m parcels and one far away:
//   P1 (0,0)-(100,100)       水田 0101, category 1, county A, no measures
//   P2 (200,0)-(300,100)     旱地 0103, category 2, county A, measures
//   P3 (0,200)-(100,300)     果园 0201, category 3, county B, no measures
//   P4 (1000,1000)-(1100,…)  水田 0101, category 2, county B, measures
//   P5 (400,0)-(500,100)     旱地 0103, category 1, county A, no measures
io::Layer farmland() {
    return test::memory_layer(
        "farmland", io::GeometryKind::polygon, kFarmFields,
        {{rect(0, 0, 100, 100), {s("P1"), s("0101"), s("1"), s("A"), s("no")}},
         {rect(200, 0, 300, 100), {s("P2"), s("0103"), s("2"), s("A"), s("yes")}},
         {rect(0, 200, 100, 300), {s("P3"), s("0201"), s("3"), s("B"), s("no")}},
         {rect(1000, 1000, 1100, 1100), {s("P4"), s("0101"), s("2"), s("B"), s("yes")}},
         {rect(400, 0, 500, 100), {s("P5"), s("0103"), s("1"), s("A"), V{}}}});
}

//   S1 in P1, pH 6.0: Cd 0.5 > paddy S 0.4 -> class 2
//   S2 in P2, pH 6.0: Cd 0.2 <= other S 0.3 -> class 1
//   S3 in P3, pH 5.5 (band 1): Cd 1.6 > G 1.5 -> class 3; Cu 120 <= orchard S 150
//   S5 50 m east of P5, pH 6.0, 旱地: Cd 0.35 > other S 0.3 -> class 2
io::Layer samples() {
    return test::memory_layer("samples", io::GeometryKind::point, kSampleFields,
                              {{pt(50, 50), {s("S1"), 6.0, s("水田"), 0.5, 30.0, 20.0}},
                               {pt(250, 50), {s("S2"), 6.0, s("旱地"), 0.2, 30.0, 20.0}},
                               {pt(50, 250), {s("S3"), s("5.5"), s("果园"), s("1,6"), 30.0, 120.0}},
                               {pt(550, 50), {s("S5"), 6.0, s("旱地"), 0.35, 30.0, 20.0}}});
}

} // namespace

TEST_CASE("classify inside: soil class, proposals, change matrix, safe-utilisation rate",
          "[classify]") {
    const io::Layer farm = farmland(), samp = samples();
    ClassifyOptions o;
    o.method = AssignMethod::inside;
    const ClassifyResult r = run(farm, samp, o);

    // Samples layer.
    CHECK(cell(r.samples, "sample_id", "S1", "soil_class") == "2");
    CHECK(cell(r.samples, "sample_id", "S1", "limiting_element") == "cd");
    CHECK(num(r.samples, "sample_id", "S1", "cd_screening_ratio") == Approx(0.5 / 0.4));
    CHECK(num(r.samples, "sample_id", "S1", "cd_intervention_ratio") == Approx(0.5 / 2.0));
    CHECK(cell(r.samples, "sample_id", "S2", "soil_class") == "1");
    CHECK(cell(r.samples, "sample_id", "S3", "soil_class") == "3");
    CHECK(cell(r.samples, "sample_id", "S3", "ph_band") == "pH<=5.5");
    CHECK(num(r.samples, "sample_id", "S3", "cu_screening_ratio") == Approx(120.0 / 150));
    CHECK(cell(r.samples, "sample_id", "S3", "landuse") == "orchard");
    CHECK(cell(r.samples, "sample_id", "S3", "parcel_id") == "P3");
    CHECK(cell(r.samples, "sample_id", "S5", "landuse_source") == "sample");
    col(r.samples, "pb_intervention_ratio");
    // Cu has no intervention value: no such column.
    for (const auto& c : r.samples.columns)
        CHECK(c.name != "cu_intervention_ratio");

    // Parcels.
    CHECK(parcel(r, "P1").soil_class == 2);
    CHECK(parcel(r, "P1").proposed == 2);
    CHECK(parcel(r, "P1").change() == "downgrade");
    CHECK(parcel(r, "P2").proposed == 1);
    CHECK(parcel(r, "P2").change() == "upgrade");
    CHECK(parcel(r, "P3").proposed == 3);
    CHECK(parcel(r, "P3").change() == "unchanged");
    CHECK(parcel(r, "P4").soil_class == 0);
    CHECK(parcel(r, "P4").weak);
    CHECK(parcel(r, "P4").proposed == 2);
    CHECK(parcel(r, "P5").weak); // S5 lies outside it
    CHECK(parcel(r, "P1").area_m2 == Approx(10000));
    CHECK(r.changed.rows.size() == 2);
    CHECK(r.weak_evidence.rows.size() == 2);
    CHECK(cell(r.parcels, "parcel_id", "P1", "method") == "method=inside; combine=worst");
    CHECK(cell(r.parcels, "parcel_id", "P1", "samples_used") == "S1");

    // Change matrix: county A 1->2 is P1 (15 mu), 2->1 is P2; all: 9 cells per group.
    auto matrix = [&](const std::string& g, int from, int to) {
        for (const auto& rr : r.change_matrix.rows)
            if (io::Layer::text(rr[0]) == g && io::Layer::text(rr[1]) == std::to_string(from) &&
                io::Layer::text(rr[3]) == std::to_string(to))
                return std::make_pair(
                    io::Layer::number(rr[col(r.change_matrix, "parcels")]).value(),
                    io::Layer::number(rr[col(r.change_matrix, "area_mu")]).value());
        return std::make_pair(-1.0, -1.0);
    };
    CHECK(matrix("A", 1, 2) == std::make_pair(1.0, 15.0));
    CHECK(matrix("A", 2, 1) == std::make_pair(1.0, 15.0));
    CHECK(matrix("A", 1, 1) == std::make_pair(1.0, 15.0)); // P5
    CHECK(matrix("B", 3, 3) == std::make_pair(1.0, 15.0));
    CHECK(matrix("B", 2, 2) == std::make_pair(1.0, 15.0));
    CHECK(matrix("all", 1, 2) == std::make_pair(1.0, 15.0));
    CHECK(matrix("all", 3, 1) == std::make_pair(0.0, 0.0));
    CHECK(r.change_matrix.rows.size() == 27);

    // Safe-utilisation on current categories: A 15/15, B 15/30, city 30/45.
    const auto& su = r.safe_utilisation;
    CHECK(num(su, "county", "A", "rate_percent") == Approx(100));
    CHECK(num(su, "county", "B", "rate_percent") == Approx(50));
    CHECK(num(su, "county", "all", "rate_percent") == Approx(200.0 / 3));
    CHECK(num(su, "county", "all", "polluted_mu") == Approx(45));
    CHECK(cell(su, "county", "A", "meets_target") == "yes");
    CHECK(cell(su, "county", "all", "meets_target") == "no");
    CHECK(num(su, "county", "all", "target_percent") == Approx(91));
}

TEST_CASE("classify nearest: within the maximum distance only", "[classify]") {
    const io::Layer farm = farmland(), samp = samples();
    ClassifyOptions o;
    o.method = AssignMethod::nearest;
    o.max_distance = 60;
    const ClassifyResult r = run(farm, samp, o);
    CHECK(parcel(r, "P5").soil_class == 2); // S5, 50 m away
    CHECK(parcel(r, "P5").distance.value() == Approx(50));
    CHECK(parcel(r, "P5").samples == std::vector<std::string>{"S5"});
    CHECK_FALSE(parcel(r, "P5").weak);
    CHECK(parcel(r, "P1").samples == std::vector<std::string>{"S1"}); // inside: distance 0
    CHECK(parcel(r, "P4").weak);
    o.max_distance = 40;
    const ClassifyResult r2 = run(farm, samp, o);
    CHECK(parcel(r2, "P5").soil_class == 0);
    CHECK(parcel(r2, "P5").weak);
}

TEST_CASE("classify voronoi: Thiessen cells clipped to parcels, largest share decides",
          "[classify]") {
    // A (0,0)-(100,100) holds S1 at x=20; S2 at x=120 lies in B (100,0)-(200,100). The
    // bisector x = 70 gives A 70 % to S1 and 30 % to S2.
    const io::Layer farm = test::memory_layer(
        "farmland", io::GeometryKind::polygon, kFarmFields,
        {{rect(0, 0, 100, 100), {s("A"), s("0103"), s("1"), s("X"), s("no")}},
         {rect(100, 0, 200, 100), {s("B"), s("0103"), s("1"), s("X"), s("no")}}});
    const io::Layer samp =
        test::memory_layer("samples", io::GeometryKind::point, kSampleFields,
                           {{pt(20, 50), {s("S1"), 6.0, V{}, 0.2, 20.0, 20.0}},
                            {pt(120, 50), {s("S2"), 6.0, V{}, 0.5, 20.0, 20.0}}});
    ClassifyOptions o;
    o.method = AssignMethod::voronoi;
    o.max_distance = 500;
    const ClassifyResult r = run(farm, samp, o);
    CHECK(parcel(r, "A").samples == std::vector<std::string>{"S1"});
    CHECK(parcel(r, "A").share == Approx(0.7));
    CHECK(parcel(r, "A").soil_class == 1);
    CHECK(parcel(r, "B").samples == std::vector<std::string>{"S2"});
    CHECK(parcel(r, "B").share == Approx(1.0));
    CHECK(parcel(r, "B").soil_class == 2);
    REQUIRE(r.units.rows.size() == 3);
    double area_s2_in_a = 0;
    for (std::size_t i = 0; i < r.units.rows.size(); ++i)
        if (io::Layer::text(r.units.rows[i][0]) == "A" &&
            io::Layer::text(r.units.rows[i][1]) == "S2")
            GEOSArea_r(geos::ctx(), r.unit_geoms[i].get(), &area_s2_in_a);
    CHECK(area_s2_in_a == Approx(3000));
    // Weak when the deciding sample is farther than the distance.
    const io::Layer far =
        test::memory_layer("samples", io::GeometryKind::point, kSampleFields,
                           {{pt(900, 50), {s("S9"), 6.0, s("旱地"), 0.2, 20.0, 20.0}}});
    o.max_distance = 100;
    const ClassifyResult r3 = run(farm, far, o);
    CHECK(parcel(r3, "A").weak);
    CHECK(parcel(r3, "A").samples == std::vector<std::string>{"S9"});
    CHECK(parcel(r3, "B").weak);
}

TEST_CASE("IDW against hand computation", "[classify][idw]") {
    // z(0,0) from (10,0) z=1 and (0,20) z=4 with power 2:
    // w = 1/100, 1/400 -> (0.01*1 + 0.0025*4) / 0.0125 = 1.6
    const std::vector<Idw::Point> pts = {{10, 0, {1.0}}, {0, 20, {4.0}}};
    const Idw idw(pts, 2, 0, 12);
    CHECK(idw.at(0, 0)[0].value() == Approx(1.6));
    CHECK(idw.at(10, 0)[0].value() == Approx(1.0));                // at a sample: its value
    CHECK(Idw(pts, 2, 0, 1).at(0, 0)[0].value() == Approx(1.0));   // one neighbour
    CHECK(Idw(pts, 2, 15, 12).at(0, 0)[0].value() == Approx(1.0)); // (0,20) beyond the radius
    CHECK_FALSE(Idw(pts, 2, 5, 12).at(0, 0)[0].has_value());
    CHECK(Idw(pts, 1, 0, 12).at(0, 0)[0].value() == Approx((0.1 * 1 + 0.05 * 4) / 0.15));
    // Several variables; a missing value (NaN) is skipped for its variable only, and the
    // neighbour limit counts points with a value.
    const double nan = std::nan("");
    const Idw multi({{10, 0, {1.0, nan}}, {0, 20, {4.0, 8.0}}, {30, 0, {2.0, 6.0}}}, 2, 0, 2);
    const auto z = multi.at(0, 0);
    CHECK(z[0].value() == Approx(1.6)); // (10,0) and (0,20): the two nearest
    // Variable 1: (0,20) z=8 w=1/400 and (30,0) z=6 w=1/900.
    CHECK(z[1].value() == Approx((8.0 / 400 + 6.0 / 900) / (1.0 / 400 + 1.0 / 900)));
    CHECK_THROWS_AS(Idw(pts, 0, 0, 12), UsageError);

    // Area-weighted over a 2x2 grid of 5 m cells inside a 10 m square.
    auto h = [](double x, double y) {
        const double w1 = 1 / (std::pow(x - 10, 2) + y * y);
        const double w2 = 1 / (x * x + std::pow(y - 20, 2));
        return (w1 * 1 + w2 * 4) / (w1 + w2);
    };
    geos::GeomPtr sq = geos::from_wkt("POLYGON((0 0,10 0,10 10,0 10,0 0))");
    IdwMean m = idw_polygon_mean(idw, sq.get(), 5);
    const double expect = (h(2.5, 2.5) + h(7.5, 2.5) + h(2.5, 7.5) + h(7.5, 7.5)) / 4;
    CHECK(m.values[0].value() == Approx(expect));
    CHECK(m.covered_share[0] == Approx(1));
    CHECK(m.used == std::vector<int>{0, 1});
    // Boundary cells: a triangle; the cut cell is evaluated at the centroid of its part.
    geos::GeomPtr tri = geos::from_wkt("POLYGON((0 0,10 0,0 10,0 0))");
    m = idw_polygon_mean(idw, tri.get(), 5);
    // Cells: (0-5,0-5) full 25 at (2.5,2.5); (5-10,0-5) triangle 12.5 at centroid
    // (5+5/3, 5/3); (0-5,5-10) triangle 12.5 at (5/3, 5+5/3); (5-10,5-10) outside.
    const double e2 =
        (25 * h(2.5, 2.5) + 12.5 * h(5 + 5.0 / 3, 5.0 / 3) + 12.5 * h(5.0 / 3, 5 + 5.0 / 3)) / 50;
    CHECK(m.values[0].value() == Approx(e2));
    // A radius that reaches only part of the square: the share covered is reported.
    // Within 8 m of (10,0): centres (2.5,2.5) 7.9 m, (7.5,2.5) 3.5 m, (7.5,7.5) 7.9 m;
    // (2.5,7.5) is 10.6 m away and (0,20) is beyond 8 m of every centre.
    const Idw near(pts, 2, 8, 12);
    m = idw_polygon_mean(near, sq.get(), 5);
    CHECK(m.covered_share[0] == Approx(0.75));
    CHECK(m.values[0].value() == Approx(1.0));
    // The grid is coarsened to at most max_cells cells.
    m = idw_polygon_mean(idw, sq.get(), 1, 4); // 1 m -> 1.5 … -> 5.06 m: 2x2 cells
    CHECK(m.values[0].has_value());
}

TEST_CASE("classify idw: parcel judged on interpolated concentration and pH", "[classify][idw]") {
    // Parcel (-5,-5)-(5,5), one 20 m cell: evaluated at its centroid (0,0).
    const io::Layer farm = test::memory_layer(
        "farmland", io::GeometryKind::polygon, kFarmFields,
        {{rect(-5, -5, 5, 5), {s("Q"), s("0103"), s("1"), s("X"), s("no")}},
         {rect(5000, 5000, 5010, 5010), {s("FAR"), s("0103"), s("1"), s("X"), s("no")}}});
    const io::Layer samp =
        test::memory_layer("samples", io::GeometryKind::point, kSampleFields,
                           {{pt(10, 0), {s("S1"), 6.0, s("旱地"), 1.0, 20.0, 20.0}},
                            {pt(0, 20), {s("S2"), 7.0, s("旱地"), 4.0, 20.0, 20.0}}});
    ClassifyOptions o;
    o.method = AssignMethod::idw;
    o.idw_cell = 20;
    o.idw_radius = 1000;
    const ClassifyResult r = run(farm, samp, o);
    // Cd 1.6 mg/kg; pH (0.01*6 + 0.0025*7)/0.0125 = 6.2 -> band 5.5-6.5, other S 0.3, G 2.0.
    const ParcelResult& q = parcel(r, "Q");
    CHECK(q.soil_class == 2);
    CHECK(q.limiting_element == "cd");
    CHECK(q.limiting_ratio == Approx(1.6 / 0.3));
    CHECK(q.samples.size() == 2);
    CHECK(q.share == Approx(1));
    CHECK_FALSE(q.weak);
    CHECK(parcel(r, "FAR").weak); // nothing within 1000 m
    CHECK(parcel(r, "FAR").soil_class == 0);
    CHECK(cell(r.parcels, "parcel_id", "Q", "method") ==
          "method=idw; power=2.00; radius=1000.0 m; max_neighbours=12; cell=20.0 m");
}

TEST_CASE("Land use from the parcel's DLBM; disagreement flagged", "[classify]") {
    // Pb 95 at pH 6: paddy S 100 -> class 1, other S 90 -> class 2.
    const io::Layer farm = test::memory_layer(
        "farmland", io::GeometryKind::polygon, kFarmFields,
        {{rect(0, 0, 100, 100), {s("P1"), s("0101K"), s("1"), s("A"), s("no")}}});
    const io::Layer samp =
        test::memory_layer("samples", io::GeometryKind::point, kSampleFields,
                           {{pt(50, 50), {s("S1"), 6.0, s("旱地"), 0.1, 95.0, 20.0}},
                            {pt(500, 50), {s("S2"), 6.0, s("旱地"), 0.1, 95.0, 20.0}}});
    const ClassifyResult r = run(farm, samp, ClassifyOptions{});
    CHECK(cell(r.samples, "sample_id", "S1", "landuse") == "paddy");
    CHECK(cell(r.samples, "sample_id", "S1", "landuse_conflict") == "1");
    CHECK(cell(r.samples, "sample_id", "S1", "soil_class") == "1");
    CHECK(cell(r.samples, "sample_id", "S2", "landuse") == "other");
    CHECK(cell(r.samples, "sample_id", "S2", "landuse_conflict") == "0");
    CHECK(cell(r.samples, "sample_id", "S2", "soil_class") == "2");
    // Outside parcels with no land use and no default: an error naming the sample.
    const io::Layer none =
        test::memory_layer("samples", io::GeometryKind::point, kSampleFields,
                           {{pt(500, 50), {s("S7"), 6.0, V{}, 0.1, 95.0, 20.0}}});
    CHECK_THROWS_WITH(run(farm, none, ClassifyOptions{}),
                      Catch::Contains("S7") && Catch::Contains("--default-landuse"));
    ClassifyOptions o;
    o.default_landuse = "paddy";
    CHECK(cell(run(farm, none, o).samples, "sample_id", "S7", "landuse_source") == "default");
}

TEST_CASE("Missing pH: an error naming the sample, or --default-ph", "[classify]") {
    const io::Layer farm = farmland();
    const io::Layer samp =
        test::memory_layer("samples", io::GeometryKind::point, kSampleFields,
                           {{pt(50, 50), {s("S1"), 6.0, V{}, 0.5, 30.0, 20.0}},
                            {pt(250, 50), {s("S2"), V{}, V{}, 0.2, 30.0, 20.0}}});
    CHECK_THROWS_AS(run(farm, samp, ClassifyOptions{}), DataError);
    CHECK_THROWS_WITH(run(farm, samp, ClassifyOptions{}),
                      Catch::Contains("samples.gpkg, layer samples, feature 2 (sample S2)") &&
                          Catch::Contains("pH is empty") && Catch::Contains("--default-ph"));
    ClassifyOptions o;
    o.default_ph = 7.5; // band 3 (6.5 < pH <= 7.5): other Cd S 0.3
    const ClassifyResult r = run(farm, samp, o);
    CHECK(cell(r.samples, "sample_id", "S2", "ph_default") == "1");
    CHECK(cell(r.samples, "sample_id", "S2", "ph_band") == "6.5<pH<=7.5");
    CHECK(cell(r.samples, "sample_id", "S1", "ph_default") == "0");
}

TEST_CASE("Below detection, text and negative values in concentration columns", "[classify]") {
    const io::Layer farm = farmland();
    const io::Layer samp =
        test::memory_layer("samples", io::GeometryKind::point, kSampleFields,
                           {{pt(50, 50), {s("S1"), 6.0, V{}, s("ND"), s("<10"), s("0.5L")}}});
    ClassifyOptions o;
    const ClassifyResult r = run(farm, samp, o);
    CHECK(cell(r.samples, "sample_id", "S1", "below_dl") == "cd,pb,cu");
    CHECK(num(r.samples, "sample_id", "S1", "pb") == Approx(5)); // half of 10
    CHECK(num(r.samples, "sample_id", "S1", "cu") == Approx(0.25));
    CHECK(num(r.samples, "sample_id", "S1", "cd") == 0);
    CHECK(cell(r.samples, "sample_id", "S1", "soil_class") == "1");
    o.nd = parse_nd_policy("dl");
    CHECK(num(run(farm, samp, o).samples, "sample_id", "S1", "pb") == Approx(10));

    const io::Layer text =
        test::memory_layer("samples", io::GeometryKind::point, kSampleFields,
                           {{pt(50, 50), {s("S1"), 6.0, V{}, s("0.2"), s("high"), 1.0}}});
    CHECK_THROWS_WITH(run(farm, text, ClassifyOptions{}), Catch::Contains("sample S1") &&
                                                              Catch::Contains("field pb") &&
                                                              Catch::Contains("'high'"));
    const io::Layer neg = test::memory_layer("samples", io::GeometryKind::point, kSampleFields,
                                             {{pt(50, 50), {s("S1"), 6.0, V{}, -0.2, 1.0, 1.0}}});
    CHECK_THROWS_WITH(run(farm, neg, ClassifyOptions{}),
                      Catch::Contains("field cd") && Catch::Contains("negative"));
}

TEST_CASE("Crop samples move the soil class through the rule table", "[classify][rules]") {
    const io::Layer farm = farmland(), samp = samples();
    // Three rice samples in P3 (soil class 3): Cd 0.1, 0.15, 0.3 against 0.2 ->
    // classes 1, 1, 2: n1/N = 0.67 >= 0.65 and n3 = 0 -> class 2.
    // Three in P1 (soil class 2), all compliant -> class 1. Two in P2: too few.
    const io::Layer crops =
        test::memory_layer("crops", io::GeometryKind::point, {"sample_id", "crop", "cd", "pb"},
                           {{pt(20, 220), {s("C1"), s("水稻"), 0.1, s("ND")}},
                            {pt(40, 220), {s("C2"), s("rice"), 0.15, 0.1}},
                            {pt(60, 220), {s("C3"), s("rice"), 0.3, 0.1}},
                            {pt(20, 20), {s("C4"), s("rice"), 0.1, 0.1}},
                            {pt(40, 20), {s("C5"), s("rice"), 0.2, 0.1}},
                            {pt(60, 20), {s("C6"), s("rice"), s("<0.01"), 0.1}},
                            {pt(220, 20), {s("C7"), s("rice"), 0.9, 0.1}}});
    ClassifyOptions o;
    const ClassifyResult r = run(farm, samp, o, &crops);
    CHECK(cell(r.crops, "sample_id", "C3", "crop_class") == "2");
    CHECK(num(r.crops, "sample_id", "C3", "cd_limit_ratio") == Approx(1.5));
    CHECK(cell(r.crops, "sample_id", "C1", "crop_class") == "1");
    CHECK(cell(r.crops, "sample_id", "C7", "crop_class") == "3");
    CHECK(cell(r.crops, "sample_id", "C7", "edition") == "GB 2762-2017");
    const ParcelResult& p3 = parcel(r, "P3");
    CHECK(p3.crop_n[0] == 2);
    CHECK(p3.crop_n[1] == 1);
    CHECK(p3.soil_class == 3);
    CHECK(p3.proposed == 2);
    CHECK(p3.rule_id == "S3-crops-mostly-compliant");
    CHECK(p3.change() == "upgrade");
    const ParcelResult& p1 = parcel(r, "P1");
    CHECK(p1.soil_class == 2);
    CHECK(p1.proposed == 1);
    CHECK(p1.rule_id == "S2-crops-compliant");
    CHECK(p1.change() == "unchanged");
    const ParcelResult& p2 = parcel(r, "P2");
    CHECK(p2.crop_n[2] == 1);
    CHECK(p2.proposed == 1); // soil class 1 is never moved by crops in this rule table
    CHECK(p2.rule_id.empty());

    // Unknown crop: an error naming the sample.
    const io::Layer bad =
        test::memory_layer("crops", io::GeometryKind::point, {"sample_id", "crop", "cd"},
                           {{pt(20, 220), {s("C9"), s("banana"), 0.1}}});
    CHECK_THROWS_WITH(run(farm, samp, o, &bad), Catch::Contains("C9") && Catch::Contains("banana"));
}

TEST_CASE("Several samples in a parcel: worst or mean", "[classify]") {
    const io::Layer farm = farmland();
    // In P2 (other, pH 6: Cd S 0.3): 0.2 and 0.5 -> worst 0.5/0.3, mean (0.667+1.667)/2.
    const io::Layer samp = test::memory_layer("samples", io::GeometryKind::point, kSampleFields,
                                              {{pt(220, 50), {s("A"), 6.0, V{}, 0.2, 20.0, 20.0}},
                                               {pt(280, 50), {s("B"), 6.0, V{}, 0.5, 20.0, 20.0}}});
    ClassifyOptions o;
    ClassifyResult r = run(farm, samp, o);
    CHECK(parcel(r, "P2").limiting_ratio == Approx(0.5 / 0.3));
    CHECK(parcel(r, "P2").samples.size() == 2);
    o.combine = ClassifyOptions::Combine::mean;
    r = run(farm, samp, o);
    CHECK(parcel(r, "P2").limiting_ratio == Approx(0.35 / 0.3));
    CHECK(parcel(r, "P2").soil_class == 2);
}
