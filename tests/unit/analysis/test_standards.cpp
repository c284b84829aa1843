// GB 15618-2018 / GB 2762 tables and the rule table: every threshold at its band edges,
// land uses, schema validation, editions, rule cases.
#include <catch2/catch.hpp>

#include <cmath>
#include <map>

#include "soilrisk/analysis/classify.hpp"
#include "soilrisk/analysis/standards.hpp"
#include "soilrisk/core/error.hpp"

using namespace soilrisk;
using namespace soilrisk::analysis;

namespace {

const SoilStandard& shipped() {
    static const SoilStandard s = load_soil_standard(standards_dir() / "gb15618-2018.toml");
    return s;
}

using Bands = std::array<double, 4>;

// The figures of issue 6 / DOMAIN.md §1.1–1.2 (mg/kg), written out independently of the
// data file so that the test checks the file.
const std::map<std::string, std::map<std::string, Bands>> kScreening = {
    {"cd", {{"paddy", {0.3, 0.4, 0.6, 0.8}}, {"other", {0.3, 0.3, 0.3, 0.6}}}},
    {"hg", {{"paddy", {0.5, 0.5, 0.6, 1.0}}, {"other", {1.3, 1.8, 2.4, 3.4}}}},
    {"as", {{"paddy", {30, 30, 25, 20}}, {"other", {40, 40, 30, 25}}}},
    {"pb", {{"paddy", {80, 100, 140, 240}}, {"other", {70, 90, 120, 170}}}},
    {"cr", {{"paddy", {250, 250, 300, 350}}, {"other", {150, 150, 200, 250}}}},
    {"cu", {{"orchard", {150, 150, 200, 200}}, {"other", {50, 50, 100, 100}}}},
    {"ni", {{"all", {60, 70, 100, 190}}}},
    {"zn", {{"all", {200, 200, 250, 300}}}},
};
const std::map<std::string, Bands> kIntervention = {
    {"cd", {1.5, 2.0, 3.0, 4.0}},  {"hg", {2.0, 2.5, 4.0, 6.0}},   {"as", {200, 150, 120, 100}},
    {"pb", {400, 500, 700, 1000}}, {"cr", {800, 850, 1000, 1300}},
};

// Land use in the sample -> the column of the table it must use.
std::string column_for(const std::string& landuse, const std::map<std::string, Bands>& cols) {
    if (cols.count("all")) return "all";
    if (cols.count(landuse)) return landuse;
    return "other";
}

// A pH exactly on each edge and one just above it: bands 0..3.
const std::vector<std::pair<double, int>> kPhCases = {{4.0, 0},  {5.5, 0}, {5.51, 1}, {6.5, 1},
                                                      {6.51, 2}, {7.5, 2}, {7.51, 3}, {8.6, 3}};

int judge(const std::string& el, double value, double ph, const std::string& lu) {
    return evaluate_soil(shipped(), {{el, value, false}}, ph, lu).soil_class;
}

} // namespace

TEST_CASE("GB 15618 pH bands have inclusive upper edges", "[standards]") {
    const auto& s = shipped();
    for (const auto& [ph, band] : kPhCases) {
        INFO("pH " << ph);
        CHECK(s.ph_band(ph) == band);
    }
    CHECK(s.band_label(0) == "pH<=5.5");
    CHECK(s.band_label(1) == "5.5<pH<=6.5");
    CHECK(s.band_label(3) == "pH>7.5");
}

TEST_CASE("Every screening value, each land use, at every pH band edge", "[standards]") {
    const auto& s = shipped();
    REQUIRE(s.elements() ==
            std::vector<std::string>{"cd", "hg", "as", "pb", "cr", "cu", "ni", "zn"});
    for (const auto& [el, cols] : kScreening)
        for (const std::string lu : {"paddy", "other", "orchard"})
            for (const auto& [ph, band] : kPhCases) {
                const double expect = cols.at(column_for(lu, cols))[band];
                INFO(el << " " << lu << " pH " << ph);
                REQUIRE(s.screening_value(el, lu, ph).value() == Approx(expect).epsilon(1e-12));
                // Equal to S: class 1; just above: class 2 (unless above G too).
                CHECK(judge(el, expect, ph, lu) == 1);
                CHECK(judge(el, expect * 1.001, ph, lu) == 2);
                CHECK(judge(el, 0, ph, lu) == 1);
            }
}

TEST_CASE("Every intervention value at every pH band edge; Cu, Ni, Zn have none", "[standards]") {
    const auto& s = shipped();
    for (const auto& [el, bands] : kIntervention)
        for (const auto& [ph, band] : kPhCases) {
            INFO(el << " pH " << ph);
            const double g = bands[band];
            REQUIRE(s.intervention_value(el, ph).value() == Approx(g).epsilon(1e-12));
            for (const std::string lu : {"paddy", "other", "orchard"}) {
                // Equal to G: class 2; just above: class 3.
                CHECK(judge(el, g, ph, lu) == 2);
                CHECK(judge(el, g * 1.001, ph, lu) == 3);
            }
        }
    for (const std::string el : {"cu", "ni", "zn"}) {
        CHECK_FALSE(s.intervention_value(el, 6.0).has_value());
        CHECK(judge(el, 1e6, 6.0, "other") == 2); // never class 3 from soil alone
    }
}

TEST_CASE("Land uses: paddy vs other, Cu orchard, rotation takes the stricter value",
          "[standards]") {
    const auto& s = shipped();
    // Paddy has lower Hg/As values than other, higher Pb/Cr.
    CHECK(judge("hg", 0.7, 7.0, "paddy") == 2);
    CHECK(judge("hg", 0.7, 7.0, "other") == 1);
    CHECK(judge("pb", 130, 7.0, "paddy") == 1);
    CHECK(judge("pb", 130, 7.0, "other") == 2);
    // Cu: orchard 150 vs paddy (= other) 50 at pH 6.
    CHECK(judge("cu", 120, 6.0, "orchard") == 1);
    CHECK(judge("cu", 120, 6.0, "paddy") == 2);
    // Orchard uses "other" for Cd.
    CHECK(s.screening_value("cd", "orchard", 7.0).value() == Approx(0.3));
    // Rotation: min(paddy, other).
    CHECK(s.screening_value("pb", "rotation", 7.0).value() == Approx(120));
    CHECK(s.screening_value("hg", "rotation", 7.0).value() == Approx(0.6));
    // DLBM and names.
    CHECK(s.landuse_from_dlbm("0101") == "paddy");
    CHECK(s.landuse_from_dlbm("0102") == "other");
    CHECK(s.landuse_from_dlbm("0103") == "other");
    CHECK(s.landuse_from_dlbm("0201") == "orchard");
    CHECK(s.landuse_from_dlbm("0201K") == "orchard");
    CHECK(s.landuse_from_dlbm("0202") == "other");
    CHECK_FALSE(s.landuse_from_dlbm("1203").has_value());
    CHECK(s.landuse_from_name("水田") == "paddy");
    CHECK(s.landuse_from_name("旱地") == "other");
    CHECK(s.landuse_from_name("果园") == "orchard");
    CHECK(s.landuse_from_name(" Paddy ") == "paddy");
    CHECK_FALSE(s.landuse_from_name("森林").has_value());
}

TEST_CASE("Limiting element and ratios of a multi-element sample", "[standards]") {
    // pH 6.0 paddy: Cd S 0.4 G 2.0; Pb S 100 G 500; Cu S 50.
    auto r = evaluate_soil(shipped(), {{"cd", 0.6, false}, {"pb", 90, false}, {"cu", 80, false}},
                           6.0, "paddy");
    CHECK(r.soil_class == 2);
    CHECK(r.limiting_element == "cu"); // 80/50 = 1.6 > 0.6/0.4 = 1.5
    CHECK(r.limiting_ratio == Approx(1.6));
    REQUIRE(r.elements.size() == 3);
    CHECK(r.elements[0].screening_ratio == Approx(1.5));
    CHECK(r.elements[0].intervention_ratio.value() == Approx(0.3));
    CHECK_FALSE(r.elements[2].intervention_ratio.has_value());
    // Class 3: the element above G decides, by its intervention ratio.
    r = evaluate_soil(shipped(), {{"cd", 2.2, false}, {"cu", 400, false}}, 6.0, "paddy");
    CHECK(r.soil_class == 3);
    CHECK(r.limiting_element == "cd");
    CHECK(r.limiting_ratio == Approx(1.1));
}

TEST_CASE("Soil table schema validation", "[standards]") {
    const std::string head = "ph_edges = [5.5, 6.5, 7.5]\n[standard]\nid = \"X\"\nsource = \"s\"\n";
    CHECK_NOTHROW(
        parse_soil_standard(head + "[[screening]]\nelement = \"cd\"\nall = [1,2,3,4]\n", "t.toml"));
    CHECK_THROWS_WITH(
        parse_soil_standard(head + "[[screening]]\nelement = \"cd\"\nall = [1,2,3]\n", "t.toml"),
        Catch::Contains("t.toml") && Catch::Contains("4 values"));
    CHECK_THROWS_WITH(
        parse_soil_standard(head + "[[screening]]\nelement = \"cd\"\nall = [1,2,-3,4]\n", "t.toml"),
        Catch::Contains("positive"));
    CHECK_THROWS_WITH(parse_soil_standard(head + "[[screening]]\nelement = \"cd\"\nforest = "
                                                 "[1,2,3,4]\n",
                                          "t.toml"),
                      Catch::Contains("unknown land use 'forest'"));
    CHECK_THROWS_WITH(parse_soil_standard(head + "[[screening]]\nelement = \"cd\"\nall = "
                                                 "[1,2,3,4]\n[[screening]]\nelement = \"cd\"\n"
                                                 "all = [1,2,3,4]\n",
                                          "t.toml"),
                      Catch::Contains("twice"));
    CHECK_THROWS_WITH(parse_soil_standard(head + "[[screening]]\nelement = \"cd\"\npaddy = "
                                                 "[1,2,3,4]\n",
                                          "t.toml"),
                      Catch::Contains("'other' or 'all'"));
    CHECK_THROWS_WITH(parse_soil_standard(head + "colour = 1\n", "t.toml"),
                      Catch::Contains("unknown key 'colour'"));
    CHECK_THROWS_AS(parse_soil_standard("ph_edges = [", "t.toml"), DataError);
    CHECK_THROWS_AS(load_soil_standard("/nonexistent/x.toml"), IoError);
}

TEST_CASE("GB 2762 editions as a parameter", "[standards]") {
    const auto file = standards_dir() / "gb2762.toml";
    const auto e2017 = load_food_standard(file, "2017");
    const auto e2025 = load_food_standard(file, "2025");
    CHECK(e2017.limit("rice", "cd").value() == Approx(0.2));
    CHECK(e2025.limit("rice", "cd").value() == Approx(0.2));
    CHECK(e2017.limit("rice", "as").value() == Approx(0.2));
    CHECK(e2025.limit("rice", "as").value() == Approx(0.35));
    CHECK(e2017.limit("cereal", "cd").value() == Approx(0.1));
    CHECK(load_food_standard(file, "2022").limit("rice", "pb").value() == Approx(0.2));
    CHECK(load_food_standard(file, "").edition == "2025");
    CHECK(e2017.food_for("水稻") == "rice");
    CHECK(e2017.food_for("Rice") == "rice");
    CHECK_FALSE(e2017.food_for("banana").has_value());
    CHECK_FALSE(e2017.limit("leafy_vegetable", "hg").has_value());
    CHECK_THROWS_WITH(load_food_standard(file, "1999"),
                      Catch::Contains("2017, 2022, 2025") && Catch::Contains("--food-edition"));
}

TEST_CASE("Rule table: Guizhou practice cases", "[standards][rules]") {
    const RuleTable t = load_rules(standards_dir() / "classify-rules.toml");
    CHECK(t.id == "guizhou-practice-2020");
    // Crop grading by multiples of the limit.
    CHECK(t.crop_class(1.0) == 1);
    CHECK(t.crop_class(1.01) == 2);
    CHECK(t.crop_class(2.0) == 2);
    CHECK(t.crop_class(2.01) == 3);
    CHECK(t.nd_class == 1);
    auto to = [&](int soil, int n1, int n2, int n3) {
        const auto* r = t.match(soil, n1, n2, n3);
        return r ? r->to : soil;
    };
    // Fewer than 3 crop samples: the soil class stands.
    CHECK(to(2, 2, 0, 0) == 2);
    CHECK(to(3, 2, 0, 0) == 3);
    // Class 2 -> 1 when none of >= 3 exceed.
    CHECK(to(2, 3, 0, 0) == 1);
    CHECK(to(2, 5, 1, 0) == 2);
    // Class 3 -> 2 when n1/N >= 0.65 and n3 = 0, or nothing exceeds.
    CHECK(to(3, 2, 1, 0) == 2);  // 2/3 = 0.667
    CHECK(to(3, 13, 7, 0) == 2); // 0.65 exactly
    CHECK(to(3, 1, 2, 0) == 3);  // 0.33
    CHECK(to(3, 5, 0, 1) == 3);  // a crop above 2x: stays strict control
    CHECK(to(3, 4, 0, 0) == 2);
    // Class 1 is never changed by crops.
    CHECK(to(1, 0, 0, 5) == 1);
    CHECK(t.match(2, 3, 0, 0)->id == "S2-crops-compliant");
}

TEST_CASE("Rule table: user rules and validation", "[standards][rules]") {
    const RuleTable t = parse_rules("[rules]\nid = \"local\"\n[crop_grading]\nclass1_max_ratio = "
                                    "1.0\nclass2_max_ratio = 3.0\n[[rule]]\nid = \"up\"\nfrom = "
                                    "1\nto = 2\nmin_exceeding = 1\n",
                                    "r.toml");
    CHECK(t.crop_class(2.5) == 2);
    CHECK(t.match(1, 4, 1, 0)->to == 2);
    CHECK(t.match(1, 4, 0, 0) == nullptr);
    CHECK_THROWS_WITH(
        parse_rules("[rules]\nid = \"x\"\n[[rule]]\nid = \"a\"\nfrom = 4\nto = 1\n", "r.toml"),
        Catch::Contains("from must be an integer from 1 to 3"));
    CHECK_THROWS_WITH(parse_rules("[rules]\nid = \"x\"\n[[rule]]\nid = \"a\"\nfrom = 2\nto = "
                                  "1\nmax_exeeding = 0\n",
                                  "r.toml"),
                      Catch::Contains("unknown key 'max_exeeding'"));
    CHECK_THROWS_WITH(parse_rules("[rules]\nid = \"x\"\n[[rule]]\nid = \"a\"\nfrom = 2\nto = 1\n"
                                  "min_n1_share = 1.5\n",
                                  "r.toml"),
                      Catch::Contains("share from 0 to 1"));
}

TEST_CASE("Lab values: numbers, decimal commas, below detection, errors", "[standards]") {
    using K = Measurement::Kind;
    auto m = [](io::Value v) { return parse_measurement(v, "s.csv, feature 3, field cd"); };
    CHECK(m(0.25).kind == K::value);
    CHECK(m(std::int64_t(7)).value == 7);
    CHECK(m(std::string("0,35")).value == Approx(0.35));
    CHECK(m(std::string(" 1.5 ")).value == Approx(1.5));
    CHECK(m(std::string("")).kind == K::missing);
    CHECK(m(io::Value{}).kind == K::missing);
    for (const std::string nd : {"ND", "nd", "N.D.", "未检出", "<DL"}) {
        INFO(nd);
        CHECK(m(nd).kind == K::below_dl);
        CHECK(std::isnan(m(nd).value));
    }
    CHECK(m(std::string("<0.01")).value == Approx(0.01));
    CHECK(m(std::string("＜0.02")).value == Approx(0.02));
    CHECK(m(std::string("0.05L")).kind == K::below_dl);
    CHECK(m(std::string("0.05L")).value == Approx(0.05));
    CHECK(m(std::string("<0,01")).value == Approx(0.01));
    CHECK_THROWS_WITH(m(std::string("high")),
                      Catch::Contains("feature 3, field cd") && Catch::Contains("'high'"));
    CHECK_THROWS_WITH(m(-0.1), Catch::Contains("negative"));
    CHECK(m(std::string("0,350")).value == Approx(0.35));
    CHECK_THROWS_WITH(m(std::string("1,200")), Catch::Contains("'1,200'")); // ambiguous
    CHECK_THROWS_WITH(m(std::string("-2")), Catch::Contains("negative"));

    const Measurement dl{K::below_dl, 0.01};
    CHECK(parse_nd_policy("half").substitute(dl) == Approx(0.005));
    CHECK(parse_nd_policy("dl").substitute(dl) == Approx(0.01));
    CHECK(parse_nd_policy("zero").substitute(dl) == 0);
    CHECK(parse_nd_policy("0.001").substitute(dl) == Approx(0.001));
    CHECK(parse_nd_policy("half").substitute(m(std::string("ND"))) == 0);
    CHECK_THROWS_AS(parse_nd_policy("quarter"), UsageError);
}
