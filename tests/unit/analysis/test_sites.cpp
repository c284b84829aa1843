// `sites`: use-change conflicts (一住两公), receptors and risk-control progress, checked
// against hand computation.
#include <catch2/catch.hpp>

#include "fixtures.hpp"

#include <cmath>
#include <numbers>

#include "soilrisk/analysis/sites.hpp"
#include "soilrisk/core/error.hpp"
#include "soilrisk/core/units.hpp"

using namespace soilrisk;
using namespace soilrisk::analysis;

namespace {

constexpr double X0 = 400000, Y0 = 2800000;

std::string square(double x0, double y0, double x1, double y1) {
    auto p = [](double x, double y) { return std::to_string(x) + " " + std::to_string(y); };
    return "POLYGON((" + p(x0, y0) + "," + p(x1, y0) + "," + p(x1, y1) + "," + p(x0, y1) + "," +
           p(x0, y0) + "))";
}

const std::vector<std::string> kSiteFields = {"plot_id", "name",         "enterprise", "register",
                                              "survey",  "risk_control", "county"};

io::Value s(const char* t) {
    return std::string(t);
}

io::Layer one_site(const char* reg, const char* survey) {
    return test::memory_layer(
        "sites", io::GeometryKind::polygon, kSiteFields,
        {{square(X0, Y0, X0 + 100, Y0 + 100),
          {s("S1"), s("地块一"), s("某厂"), s(reg), s(survey), s("no"), s("鱼峰区")}}});
}

/// Residential (07) west of x = X0 + 50, industrial (1001) east of it.
io::Layer half_plan() {
    return test::memory_layer(
        "plan", io::GeometryKind::polygon, {"use_code", "use_name"},
        {{square(X0 - 200, Y0 - 200, X0 + 50, Y0 + 300), {s("0701"), s("城镇住宅用地")}},
         {square(X0 + 50, Y0 - 200, X0 + 300, Y0 + 300), {s("1001"), s("工业用地")}}});
}

} // namespace

TEST_CASE("sites: the land-use code table loads from data", "[sites]") {
    const LanduseCodeTable t = load_landuse_table();
    CHECK(t.source.find("国土空间调查、规划、用途管制用地用海分类指南") != std::string::npos);
    REQUIRE(t.match("07"));
    CHECK(t.match("07")->group == "residential");
    CHECK(t.match("070101")->code == "0701");
    CHECK(t.match("0804")->name == "教育用地");
    CHECK(t.match("0804")->group == "public_service");
    CHECK(t.match("08")->name == "公共管理与公共服务用地");
    CHECK(t.match("7")->code == "07"); // numeric field lost the leading zero
    CHECK(t.match(" 07.01 ")->code == "0701");
    CHECK_FALSE(t.match("09"));
    CHECK_FALSE(t.match("1001"));
    CHECK_FALSE(t.match("10"));
    CHECK_FALSE(t.match(""));

    const auto custom = parse_landuse_table(
        "[table]\nname = \"GB 50137\"\n[[sensitive]]\ncode = \"R\"\ngroup = \"residential\"\n",
        "custom.toml");
    CHECK(custom.match("R2"));
    CHECK_FALSE(custom.match("M1"));
    CHECK_THROWS_AS(parse_landuse_table("[[sensitive]]\ncode = \"07\"\ngroup = \"x\"\n", "b.toml"),
                    DataError);
    CHECK_THROWS_AS(parse_landuse_table("[table]\nname = \"x\"\n", "b.toml"), DataError);
    CHECK_THROWS_AS(parse_landuse_table("[[sensitive]]\ncode = \"07\"\ngroup = "
                                        "\"residential\"\ncolour = 1\n",
                                        "b.toml"),
                    DataError);
    CHECK_THROWS_AS(load_landuse_table("/nonexistent/table.toml"), IoError);
}

TEST_CASE("sites: half residential, half industrial gives shares and a conflict", "[sites]") {
    const auto table = load_landuse_table();
    const io::Layer plan = half_plan();
    SitesOptions o;

    const io::Layer sites = one_site("none", "no");
    const SitesResult r = sites_analysis(sites, plan, nullptr, table, o);
    REQUIRE(r.sites.size() == 1);
    REQUIRE(r.uses.size() == 2);
    const Site& site = r.sites[0];
    // 100 m × 100 m in the plane; the ellipsoidal area differs by the scale factor only.
    CHECK(site.area_m2 == Approx(10000).epsilon(2e-3));
    CHECK(r.uses[0].code == "0701");
    CHECK(r.uses[0].sensitive);
    CHECK(r.uses[0].share == Approx(0.5).margin(1e-6));
    CHECK(r.uses[1].code == "1001");
    CHECK_FALSE(r.uses[1].sensitive);
    CHECK(r.uses[1].share == Approx(0.5).margin(1e-6));
    CHECK(r.uses[0].area_m2 + r.uses[1].area_m2 == Approx(site.area_m2).epsilon(1e-9));
    CHECK(site.sensitive_m2 == Approx(r.uses[0].area_m2).epsilon(1e-12));
    CHECK(site.sensitive_uses == "0701");
    CHECK(site.severity == Severity::survey_required);
    CHECK(site.rank == 1);

    // On the register: prohibited until remediated.
    for (const char* reg : {"priority", "remediation", "名录"}) {
        const SitesResult p = sites_analysis(one_site(reg, "yes"), plan, nullptr, table, o);
        CHECK(p.sites[0].severity == Severity::prohibited);
    }
    // Surveyed and on no list: no conflict.
    CHECK(
        sites_analysis(one_site("none", "2021-06-01"), plan, nullptr, table, o).sites[0].severity ==
        Severity::none);

    const io::Table c = conflicts_table(r);
    REQUIRE(c.rows.size() == 1);
    CHECK(io::Layer::text(c.rows[0][1]) == "S1");
    CHECK(io::Layer::text(c.rows[0][15]) == "survey_required");
    CHECK(*io::Layer::number(c.rows[0][14]) == Approx(0.5).margin(1e-6));
    CHECK(*io::Layer::number(c.rows[0][9]) == Approx(m2_to_mu(site.area_m2)));
}

TEST_CASE("sites: a remediated site on residential land gives no conflict", "[sites]") {
    const auto table = load_landuse_table();
    const io::Layer plan =
        test::memory_layer("plan", io::GeometryKind::polygon, {"use_code"},
                           {{square(X0 - 500, Y0 - 500, X0 + 500, Y0 + 500), {s("07")}}});
    const SitesResult r =
        sites_analysis(one_site("remediated", "no"), plan, nullptr, table, SitesOptions{});
    REQUIRE(r.uses.size() == 1);
    CHECK(r.uses[0].share == Approx(1.0).margin(1e-9));
    CHECK(r.sites[0].severity == Severity::none);
    CHECK(conflicts_table(r).rows.empty());
}

TEST_CASE("sites: bad register or survey values name the feature and field", "[sites]") {
    const auto table = load_landuse_table();
    try {
        sites_analysis(one_site("maybe", "no"), half_plan(), nullptr, table, SitesOptions{});
        FAIL("no error");
    } catch (const DataError& e) {
        CHECK(std::string(e.what()).find("feature 1, field register") != std::string::npos);
    }
    CHECK_THROWS_AS(
        sites_analysis(one_site("none", "perhaps"), half_plan(), nullptr, table, SitesOptions{}),
        DataError);
}

TEST_CASE("sites: receptor distances and directions match hand computation", "[sites]") {
    const auto table = load_landuse_table();
    const io::Layer sites = one_site("priority", "yes");
    // Site: 100 m square, centroid (X0+50, Y0+50).
    const io::Layer rec = test::memory_layer(
        "receptors", io::GeometryKind::point, {"name", "kind"},
        {{"POINT(" + std::to_string(X0 + 400) + " " + std::to_string(Y0 + 50) + ")",
          {s("东校"), s("school")}},
         {"POINT(" + std::to_string(X0 + 500) + " " + std::to_string(Y0 + 500) + ")",
          {s("东北医院"), s("hospital")}},
         {"POINT(" + std::to_string(X0 - 50) + " " + std::to_string(Y0 - 100) + ")",
          {s("西南取水口"), s("water_intake")}},
         {"POINT(" + std::to_string(X0 + 2000) + " " + std::to_string(Y0 + 50) + ")",
          {s("远处"), s("school")}}});
    SitesOptions o;
    o.receptor_distances = {500, 1000};
    const SitesResult r = sites_analysis(sites, half_plan(), &rec, table, o);
    REQUIRE(r.receptors.size() == 3);
    // Sorted by distance: SW intake (111.8 m), E school (300 m), NE hospital (565.7 m).
    CHECK(r.receptors[0].name == "西南取水口");
    CHECK(r.receptors[0].distance_m == Approx(std::hypot(50.0, 100.0)));
    // Bearing from (50, 50) to the point (-50, -100): atan2(-100, -150) = 213.69°.
    CHECK(r.receptors[0].bearing_deg ==
          Approx(180 + std::atan2(100.0, 150.0) * 180 / std::numbers::pi));
    CHECK(r.receptors[0].direction == "SW");
    CHECK(r.receptors[0].within_m == 500);
    CHECK(r.receptors[1].name == "东校");
    CHECK(r.receptors[1].distance_m == Approx(300));
    CHECK(r.receptors[1].bearing_deg == Approx(90));
    CHECK(r.receptors[1].direction == "E");
    CHECK(r.receptors[2].distance_m == Approx(std::hypot(400.0, 400.0)));
    CHECK(r.receptors[2].bearing_deg == Approx(45));
    CHECK(r.receptors[2].direction == "NE");
    CHECK(r.receptors[2].within_m == 1000);
    REQUIRE(r.sites[0].receptor_counts.size() == 2);
    CHECK(r.sites[0].receptor_counts[0] == 2);
    CHECK(r.sites[0].receptor_counts[1] == 3);
    CHECK(r.sites[0].nearest_receptor == "西南取水口");

    CHECK(compass(213.69, 16) == "SSW");
    CHECK(compass(213.69, 16, true) == "南西南");
    CHECK(compass(213.69, 8, true) == "西南");
    CHECK(compass(359, 8) == "N");
    CHECK(compass(22.4, 8) == "N");
    CHECK(compass(22.6, 8) == "NE");
    CHECK_THROWS_AS(compass(0, 12), UsageError);

    const io::Table t = receptors_table(r, 16);
    CHECK(io::Layer::text(t.rows[0][8]) == "南西南");
}

TEST_CASE("sites: progress rates match hand counts", "[sites]") {
    const auto table = load_landuse_table();
    auto site = [](double x, double size, const char* id, const char* reg, const char* rc,
                   const char* county) {
        return std::pair{
            square(X0 + x, Y0, X0 + x + size, Y0 + size),
            std::vector<io::Value>{s(id), s(id), s(""), s(reg), s("yes"), s(rc), s(county)}};
    };
    const io::Layer sites = test::memory_layer(
        "sites", io::GeometryKind::polygon, kSiteFields,
        {site(0, 50, "A1", "priority", "yes", "A"), site(100, 80, "A2", "priority", "no", "A"),
         site(200, 60, "A3", "priority", "no", "A"), site(300, 50, "B1", "priority", "yes", "B"),
         site(400, 90, "B2", "priority", "no", "B"), site(500, 50, "A4", "remediation", "yes", "A"),
         site(600, 50, "A5", "remediated", "no", "A"), site(700, 50, "C1", "none", "no", "C")});
    const SitesResult r = sites_analysis(sites, half_plan(), nullptr, table, SitesOptions{});
    const io::Table p = progress_table(r, 0.35);
    // priority A, B, all; remediation A, all.
    REQUIRE(p.rows.size() == 5);
    auto num = [&](std::size_t row, std::size_t colm) {
        return *io::Layer::number(p.rows[row][colm]);
    };
    CHECK(io::Layer::text(p.rows[0][1]) == "A");
    CHECK(num(0, 2) == 3);
    CHECK(num(0, 3) == 1);
    CHECK(num(0, 4) == Approx(1.0 / 3));
    CHECK(num(0, 6) == 1); // ceil(0.35·3) = 2 needed, 1 controlled
    CHECK(num(0, 7) == 0);
    CHECK(num(1, 4) == Approx(0.5));
    CHECK(num(1, 6) == 0);
    CHECK(num(1, 7) == 1);
    CHECK(io::Layer::text(p.rows[2][1]) == "all");
    CHECK(num(2, 2) == 5);
    CHECK(num(2, 3) == 2);
    CHECK(num(2, 4) == Approx(0.4));
    CHECK(num(2, 7) == 1);
    CHECK(io::Layer::text(p.rows[3][0]) == "remediation");
    CHECK(num(4, 4) == Approx(1.0));

    const io::Table u = uncontrolled_table(r);
    REQUIRE(u.rows.size() == 3); // B2 (90 m), A2 (80 m), A3 (60 m)
    CHECK(io::Layer::text(u.rows[0][1]) == "B2");
    CHECK(io::Layer::text(u.rows[1][1]) == "A2");
    CHECK(io::Layer::text(u.rows[2][1]) == "A3");
}
