// plan-sampling: deficit table, the three designs (inside target farmland, minimum
// distance, legacy sites, reproducibility), early errors, GPX/KML re-read with GDAL.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <gdal_priv.h>
#include <geos_c.h>
#include <map>
#include <ogrsf_frmts.h>
#include <set>
#include <sstream>
#include <unistd.h>

#include "soilrisk/analysis/sampling.hpp"
#include "soilrisk/core/error.hpp"
#include "soilrisk/core/geos.hpp"
#include "soilrisk/core/runtime.hpp"
#include "soilrisk/io/attribute_filter.hpp"
#include "soilrisk/spatial/point_sampling.hpp"

namespace fs = std::filesystem;
using namespace soilrisk;
using namespace soilrisk::analysis;

namespace {

constexpr double X0 = 400000, Y0 = 2800000; // EPSG:4545, about 107.0°E 25.3°N

std::string square(double x0, double y0, double x1, double y1) {
    auto p = [](double x, double y) {
        return std::to_string(X0 + x) + " " + std::to_string(Y0 + y);
    };
    return "POLYGON((" + p(x0, y0) + "," + p(x1, y0) + "," + p(x1, y1) + "," + p(x0, y1) + "," +
           p(x0, y0) + "))";
}

/// Farmland: A (strict, 450225, 1500 mu), B (safe, 450225, 375 mu), C (strict, 450226,
/// 900 mu), D (priority, 450226, 1500 mu).
io::Layer farmland() {
    io::Layer l;
    l.source = "test.gpkg";
    l.name = "farmland";
    l.crs = Crs::from_epsg(4545);
    l.native_crs = l.crs;
    l.kind = io::GeometryKind::polygon;
    l.fields = {{"parcel_id", io::FieldType::string},
                {"category", io::FieldType::integer},
                {"county", io::FieldType::string},
                {"county_code", io::FieldType::string}};
    auto add = [&](const std::string& id, int cat, const std::string& county,
                   const std::string& code, const std::string& wkt) {
        io::Feature f;
        f.fid = static_cast<std::int64_t>(l.features.size()) + 1;
        f.geom = geos::from_wkt(wkt);
        f.values = {id, static_cast<std::int64_t>(cat), county, code};
        l.features.push_back(std::move(f));
    };
    add("A", 3, "融水苗族自治县", "450225", square(0, 0, 1000, 1000));
    add("B", 2, "融水苗族自治县", "450225", square(2000, 0, 2500, 500));
    add("C", 3, "三江侗族自治县", "450226", square(0, 2000, 1000, 2600));
    add("D", 1, "三江侗族自治县", "450226", square(3000, 2000, 4000, 3000));
    return l;
}

io::Layer samples() {
    io::Layer l;
    l.source = "samples.gpkg";
    l.name = "soil_samples";
    l.crs = Crs::from_epsg(4545);
    l.kind = io::GeometryKind::point;
    l.fields = {{"sample_id", io::FieldType::string}};
    auto add = [&](const std::string& id, double x, double y) {
        io::Feature f;
        f.fid = static_cast<std::int64_t>(l.features.size()) + 1;
        f.geom =
            geos::from_wkt("POINT(" + std::to_string(X0 + x) + " " + std::to_string(Y0 + y) + ")");
        f.values = {id};
        l.features.push_back(std::move(f));
    };
    add("S1", 500, 500);   // on A: legacy
    add("S2", 3500, 2500); // on D (not target)
    add("S3", 2100, 100);  // on B: legacy
    return l;
}

struct Fixture {
    io::Layer farm = farmland();
    io::Layer smp = samples();
    SamplingInputs in() const {
        SamplingInputs i;
        i.farmland = &farm;
        i.samples = &smp;
        return i;
    }
    SamplingOptions options(SamplingDesign d) const {
        SamplingOptions o;
        o.design = d;
        o.target = "category in (2,3)";
        o.area_mode = AreaMode::planar;
        o.min_distance_m = 100;
        o.seed = 42;
        o.lang = io::Lang::en;
        return o;
    }
};

const io::Value& cell(const io::Table& t, std::size_t row, const std::string& col) {
    for (std::size_t c = 0; c < t.columns.size(); ++c)
        if (t.columns[c].name == col) return t.rows.at(row).at(c);
    FAIL("no column " << col);
    static io::Value none;
    return none;
}

double quality(const SamplingResult& r, const std::string& metric) {
    for (std::size_t i = 0; i < r.quality.rows.size(); ++i)
        if (io::Layer::text(r.quality.rows[i][0]) == metric) {
            const auto v = io::Layer::number(r.quality.rows[i][1]);
            return v ? *v : std::nan("");
        }
    FAIL("no metric " << metric);
    return 0;
}

/// Every new point lies in a target parcel (B or A or C) and keeps the minimum distance.
/// `strict`: in the interior (points are inset from edges); else the boundary counts.
void check_points(const Fixture& fx, const SamplingResult& r, double min_d, bool strict = true) {
    auto ctx = geos::ctx();
    std::vector<const PlanPoint*> news, all;
    for (const auto& p : r.points) {
        all.push_back(&p);
        if (p.kind != "legacy") news.push_back(&p);
    }
    for (const PlanPoint* p : news) {
        geos::GeomPtr pt(GEOSGeom_createPointFromXY_r(ctx, p->x, p->y));
        int inside = -1;
        for (std::size_t i = 0; i < fx.farm.features.size(); ++i)
            if ((strict ? GEOSContains_r(ctx, fx.farm.features[i].geom.get(), pt.get())
                        : GEOSIntersects_r(ctx, fx.farm.features[i].geom.get(), pt.get())) == 1)
                inside = static_cast<int>(i);
        INFO(p->id << " at " << p->x << " " << p->y);
        REQUIRE(inside >= 0);
        CHECK(std::get<std::int64_t>(fx.farm.features[inside].values[1]) >= 2);
        for (const auto& s : fx.smp.features) {
            double sx, sy;
            GEOSGeomGetX_r(ctx, s.geom.get(), &sx);
            GEOSGeomGetY_r(ctx, s.geom.get(), &sy);
            CHECK(std::hypot(p->x - sx, p->y - sy) >= min_d);
        }
        for (const PlanPoint* q : news)
            if (q != p) CHECK(std::hypot(p->x - q->x, p->y - q->y) >= min_d);
    }
}

struct Scratch {
    fs::path path;
    Scratch() {
        path = fs::temp_directory_path() / ("soilrisk-sampling-" + std::to_string(::getpid()));
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~Scratch() { fs::remove_all(path); }
    std::string file(const std::string& n) const { return (path / n).string(); }
};

std::string slurp(const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

} // namespace

TEST_CASE("attribute filter: comparisons, lists, null, boolean logic", "[sampling][filter]") {
    const io::Layer l = farmland();
    auto run = [&](const std::string& expr) {
        auto f = io::AttributeFilter::parse(expr, "--target");
        f.bind(l);
        std::string out;
        for (const auto& feat : l.features)
            if (f.matches(feat.values)) out += std::get<std::string>(feat.values[0]);
        return out;
    };
    CHECK(run("category in (2,3)") == "ABC");
    CHECK(run("category = 3") == "AC");
    CHECK(run("CATEGORY >= 2 and county_code = '450226'") == "C");
    CHECK(run("not category in (2, 3) or parcel_id == \"B\"") == "BD");
    CHECK(run("category not in (3)") == "BD");
    CHECK(run("(category < 2 or category > 2) and county = '三江侗族自治县'") == "CD");
    CHECK(run("county is not null and parcel_id <> 'A'") == "BCD");
    CHECK(run("county is null") == "");
    CHECK_THROWS_AS(io::AttributeFilter::parse("category in (2,", "--target"), UsageError);
    CHECK_THROWS_AS(io::AttributeFilter::parse("category ~ 2", "--target"), UsageError);
    CHECK_THROWS_WITH(io::AttributeFilter::parse("category = 'x", "--target"),
                      Catch::Contains("unterminated quote"));
    auto f = io::AttributeFilter::parse("leibie = 3", "--target");
    CHECK_THROWS_WITH(f.bind(l), Catch::Contains("'leibie'") && Catch::Contains("category"));
}

TEST_CASE("portable RNG and Halton sequence give fixed values", "[sampling]") {
    spatial::Rng a(42), b(42), c(43);
    const auto first = a.next();
    CHECK(first == b.next());
    CHECK(first != c.next());
    // SplitMix64 reference: seed 0 (stream 0 mixes a constant in): the sequence is fixed.
    spatial::Rng z(0);
    const auto z1 = z.next();
    spatial::Rng z2(0);
    CHECK(z1 == z2.next());
    for (int i = 0; i < 1000; ++i) {
        const double u = a.uniform();
        CHECK((u >= 0 && u < 1));
        CHECK(a.below(7) < 7);
    }
    CHECK(spatial::radical_inverse(1, 2) == 0.5);
    CHECK(spatial::radical_inverse(6, 2) == 0.375);
    CHECK(spatial::radical_inverse(1, 3) == Approx(1.0 / 3));
    CHECK(spatial::radical_inverse(5, 3) == Approx(7.0 / 9)); // 5 = 12_3 -> 0.21_3
}

TEST_CASE("deficit per county: areas, samples, required, ranking", "[sampling]") {
    Fixture fx;
    auto o = fx.options(SamplingDesign::none);
    const auto r = plan_sampling(fx.in(), o);
    const auto& t = r.deficit;
    REQUIRE(t.rows.size() == 2);
    // 450225: target 1500 + 375 mu -> 19 required, S1 and S3 on target -> deficit 17,
    // score 17 × 1500. 450226: 900 mu -> 9 required, deficit 9, score 9 × 900.
    CHECK(io::Layer::text(cell(t, 0, "unit_code")) == "450225");
    CHECK(std::get<double>(cell(t, 0, "target_mu")) == Approx(1875));
    CHECK(std::get<double>(cell(t, 0, "cat3_mu")) == Approx(1500));
    CHECK(std::get<std::int64_t>(cell(t, 0, "samples_target")) == 2);
    CHECK(std::get<std::int64_t>(cell(t, 0, "required")) == 19);
    CHECK(std::get<std::int64_t>(cell(t, 0, "deficit")) == 17);
    CHECK(std::get<double>(cell(t, 0, "score")) == Approx(17 * 1500.0));
    CHECK(std::get<double>(cell(t, 0, "density_per_100mu")) == Approx(2 / 18.75));
    CHECK(io::Layer::text(cell(t, 1, "unit_code")) == "450226");
    CHECK(std::get<std::int64_t>(cell(t, 1, "samples")) == 1); // S2 on category-1 farmland
    CHECK(std::get<std::int64_t>(cell(t, 1, "samples_target")) == 0);
    CHECK(std::get<std::int64_t>(cell(t, 1, "deficit")) == 9);
    CHECK(std::get<double>(cell(t, 1, "farmland_mu")) == Approx(2400));

    SECTION("spacing form: one sample per spacing² of target farmland") {
        o.spacing_m = 500; // 0.25 km²: A+B 1.25 km² -> 5, C 0.6 km² -> 3
        const auto r2 = plan_sampling(fx.in(), o);
        CHECK(std::get<std::int64_t>(cell(r2.deficit, 0, "required")) == 5);
        CHECK(std::get<std::int64_t>(cell(r2.deficit, 0, "deficit")) == 3);
        CHECK(std::get<std::int64_t>(cell(r2.deficit, 1, "required")) == 3);
    }
    SECTION("square cells as units") {
        o.cell_m = 1000;
        const auto r3 = plan_sampling(fx.in(), o);
        double target = 0;
        for (std::size_t i = 0; i < r3.deficit.rows.size(); ++i)
            target += std::get<double>(cell(r3.deficit, i, "target_mu"));
        CHECK(target == Approx(2775));
        CHECK(r3.unit_geoms.front() != nullptr);
    }
}

TEST_CASE("balanced design: inside target, min distance, legacy kept, oversample, seed",
          "[sampling]") {
    Fixture fx;
    auto o = fx.options(SamplingDesign::balanced);
    SECTION("GRTS") {
        o.balanced_method = BalancedMethod::grts;
    }
    SECTION("BAS") {
        o.balanced_method = BalancedMethod::bas;
    }
    o.oversample = 4;
    const auto r = plan_sampling(fx.in(), o);
    // n defaults to the total deficit (17 + 9); legacy S1 and S3 kept and counted.
    CHECK(r.legacy == 2);
    CHECK(r.placed == 26 + 4);
    CHECK(r.not_placed == 0);
    std::set<std::string> legacy, ids;
    long long over = 0, last_order = 0;
    for (const auto& p : r.points) {
        if (p.kind == "legacy") legacy.insert(p.id);
        if (p.kind == "oversample") {
            ++over;
            CHECK(p.order > 26);
        }
        if (p.kind != "legacy") {
            CHECK(p.order == last_order + 1);
            last_order = p.order;
            CHECK(ids.insert(p.id).second);
            CHECK(p.id.rfind(p.county_code + "-" + std::to_string(p.category) + "-", 0) == 0);
            CHECK(p.lon == Approx(107.0).margin(0.1));
            CHECK(p.lat == Approx(25.3).margin(0.1));
            CHECK(std::round(p.lon * 1e6) / 1e6 == p.lon);
        }
    }
    CHECK(legacy == std::set<std::string>{"S1", "S3"});
    CHECK(over == 4);
    CHECK(quality(r, "legacy_sites") == 2);
    check_points(fx, r, 100);
    CHECK(quality(r, "nn_min_m") >= 100);
    CHECK(quality(r, "min_distance_to_existing_m") >= 100);

    // Same seed: the same plan; another thread count: the same plan; another seed: not.
    set_thread_count(1);
    const auto again = plan_sampling(fx.in(), o);
    set_thread_count(0);
    REQUIRE(again.points.size() == r.points.size());
    for (std::size_t i = 0; i < r.points.size(); ++i) {
        CHECK(again.points[i].x == r.points[i].x);
        CHECK(again.points[i].y == r.points[i].y);
        CHECK(again.points[i].id == r.points[i].id);
    }
    o.seed = 43;
    const auto other = plan_sampling(fx.in(), o);
    int differ = 0;
    for (std::size_t i = 0; i < std::min(other.points.size(), r.points.size()); ++i)
        differ += other.points[i].x != r.points[i].x;
    CHECK(differ > 10);
}

TEST_CASE("balanced design is better balanced than simple random sampling", "[sampling]") {
    io::Layer farm = farmland();
    farm.features.resize(1); // one 1 km square
    SamplingInputs in;
    in.farmland = &farm;
    SamplingOptions o;
    o.design = SamplingDesign::balanced;
    SECTION("GRTS") {
        o.balanced_method = BalancedMethod::grts;
    }
    SECTION("BAS") {
        o.balanced_method = BalancedMethod::bas;
    }
    o.n = 40;
    o.min_distance_m = 0;
    o.inset_m = 0;
    o.area_mode = AreaMode::planar;
    o.srs_replicates = 8;
    const auto r = plan_sampling(in, o);
    REQUIRE(r.placed == 40);
    INFO("BAS " << r.balance_var << " SRS " << r.srs_balance_var);
    CHECK(r.balance_var >= 0);
    CHECK(r.balance_var < 0.5 * r.srs_balance_var);
    // Poisson-Voronoi cells have a normalised-area variance of about 0.28.
    CHECK(r.srs_balance_var == Approx(0.28).margin(0.15));
}

TEST_CASE("GRTS follows a sparse frame better than simple random sampling", "[sampling]") {
    // 60 small parcels in 6 clusters scattered over 20 km: the case of the demo.
    io::Layer farm = farmland();
    const auto values = farm.features[0].values;
    farm.features.clear();
    spatial::Rng rng(5);
    for (int c = 0; c < 6; ++c) {
        const double cx = rng.uniform() * 20000, cy = rng.uniform() * 20000;
        for (int k = 0; k < 10; ++k) {
            io::Feature f;
            f.fid = static_cast<std::int64_t>(farm.features.size()) + 1;
            const double x = cx + rng.uniform() * 1500, y = cy + rng.uniform() * 1500;
            f.geom = geos::from_wkt(square(x, y, x + 150, y + 120));
            f.values = values;
            farm.features.push_back(std::move(f));
        }
    }
    SamplingInputs in;
    in.farmland = &farm;
    SamplingOptions o;
    o.design = SamplingDesign::balanced;
    o.n = 30;
    o.min_distance_m = 0;
    o.srs_replicates = 10;
    const auto r = plan_sampling(in, o);
    INFO("GRTS " << r.balance_var << " SRS " << r.srs_balance_var);
    CHECK(r.balance_var < 0.7 * r.srs_balance_var);
}

TEST_CASE("grid design: one point per cell with target farmland", "[sampling]") {
    Fixture fx;
    auto o = fx.options(SamplingDesign::grid);
    o.spacing_m = 250;
    o.min_distance_m = 0;
    o.inset_m = 0;
    const auto r = plan_sampling(fx.in(), o);
    const double gx = quality(r, "grid_origin_x"), gy = quality(r, "grid_origin_y");
    auto key = [&](double x, double y) {
        return std::make_pair(static_cast<long long>(std::floor((x - gx) / 250)),
                              static_cast<long long>(std::floor((y - gy) / 250)));
    };
    std::map<std::pair<long long, long long>, int> per_cell;
    for (const auto& p : r.points) {
        ++per_cell[key(p.x, p.y)];
        if (p.kind != "legacy") CHECK(p.cell_area_m2 > 0);
    }
    // Cells meeting A, B or C with positive area: count them from the geometry.
    auto ctx = geos::ctx();
    std::set<std::pair<long long, long long>> expected;
    for (int f : {0, 1, 2}) {
        const auto* g = fx.farm.features[f].geom.get();
        double x0, y0, x1, y1;
        GEOSGeom_getXMin_r(ctx, g, &x0);
        GEOSGeom_getYMin_r(ctx, g, &y0);
        GEOSGeom_getXMax_r(ctx, g, &x1);
        GEOSGeom_getYMax_r(ctx, g, &y1);
        for (auto i = key(x0, y0).first; i <= key(x1, y1).first; ++i)
            for (auto j = key(x0, y0).second; j <= key(x1, y1).second; ++j) {
                geos::GeomPtr c(GEOSClipByRect_r(ctx, g, gx + i * 250, gy + j * 250,
                                                 gx + (i + 1) * 250, gy + (j + 1) * 250));
                double a = 0;
                if (c) GEOSArea_r(ctx, c.get(), &a);
                if (a > 0) expected.insert({i, j});
            }
    }
    CHECK(per_cell.size() == expected.size());
    for (const auto& [k, n] : per_cell) {
        CHECK(n == 1);
        CHECK(expected.count(k) == 1);
    }
    CHECK(quality(r, "grid_cells_with_legacy") == 2); // S1 and S3 cover their cells
    CHECK(r.legacy == 2);
    check_points(fx, r, 0, false); // no inset: points moved to a parcel lie on its edge

    SECTION("with a minimum distance, points keep it or are reported") {
        o.min_distance_m = 200;
        o.inset_m = 5;
        const auto r2 = plan_sampling(fx.in(), o);
        check_points(fx, r2, 200);
        CHECK(r2.placed + r2.not_placed + 2 == static_cast<long long>(expected.size()));
    }
}

TEST_CASE("stratified design: proportional sizes, given sizes, impossible sizes", "[sampling]") {
    Fixture fx;
    auto o = fx.options(SamplingDesign::stratified);
    o.n = 20;
    const auto r = plan_sampling(fx.in(), o);
    check_points(fx, r, 100);
    // (20 + 2 legacy) by area 1500 : 375 : 900 -> 11.9, 2.97, 7.1 -> 12, 3, 7; minus legacy
    // (1 in 450225-3, 1 in 450225-2) -> 11, 2, 7.
    std::map<std::string, int> per;
    for (const auto& p : r.points)
        if (p.kind == "main") ++per[p.stratum];
    CHECK(per["450225-3"] == 11);
    CHECK(per["450225-2"] == 2);
    CHECK(per["450226-3"] == 7);

    o.sizes = {{"450226-3", 5}, {"450225-2", 1}};
    o.n = -1;
    const auto given = plan_sampling(fx.in(), o);
    per.clear();
    for (const auto& p : given.points)
        if (p.kind == "main") ++per[p.stratum];
    CHECK(per["450226-3"] == 5);
    CHECK(per["450225-2"] == 1);
    CHECK(per.count("450225-3") == 0);

    // 375 mu = 500 m × 500 m inset by 5 m cannot hold 100 points 100 m apart.
    o.sizes = {{"450225-2", 100}};
    CHECK_THROWS_AS(plan_sampling(fx.in(), o), UsageError);
    CHECK_THROWS_WITH(plan_sampling(fx.in(), o), Catch::Contains("stratum 450225-2") &&
                                                     Catch::Contains("can hold at most") &&
                                                     Catch::Contains("100 new + 1 legacy"));
    o.sizes = {{"450299-3", 1}};
    CHECK_THROWS_WITH(plan_sampling(fx.in(), o),
                      Catch::Contains("450299-3") && Catch::Contains("strata are: 450225-2"));
}

TEST_CASE("usage errors before any work", "[sampling]") {
    Fixture fx;
    auto o = fx.options(SamplingDesign::grid);
    o.n = 5;
    CHECK_THROWS_AS(plan_sampling(fx.in(), o), UsageError);
    o = fx.options(SamplingDesign::balanced);
    o.id_pattern = "{county_code}";
    CHECK_THROWS_WITH(plan_sampling(fx.in(), o), Catch::Contains("same id"));
    o.id_pattern = "{nnn}-{bogus}";
    CHECK_THROWS_WITH(plan_sampling(fx.in(), o), Catch::Contains("{bogus}"));
    o = fx.options(SamplingDesign::balanced);
    o.n = 5000;
    CHECK_THROWS_WITH(plan_sampling(fx.in(), o), Catch::Contains("can hold at most"));
    CHECK(parse_density("1.5-per-100mu", "--density") == 1.5);
    CHECK_THROWS_AS(parse_density("-1", "--density"), UsageError);
    CHECK(parse_stratum_sizes("450225-3=10, 450226-2=4", "--sizes").at("450226-2") == 4);
    CHECK_THROWS_AS(parse_stratum_sizes("450225-3", "--sizes"), UsageError);
}

TEST_CASE("GPX and KML re-read with GDAL carry the ids; same seed, same bytes", "[sampling]") {
    Fixture fx;
    auto o = fx.options(SamplingDesign::balanced);
    o.oversample = 2;
    const auto r = plan_sampling(fx.in(), o);
    Scratch dir;
    fs::create_directories(dir.path / "a");
    fs::create_directories(dir.path / "b");
    write_sampling_outputs(r, o.design, fx.farm.crs, dir.file("a"), "plan", io::Lang::zh, false);
    const auto r2 = plan_sampling(fx.in(), o);
    write_sampling_outputs(r2, o.design, fx.farm.crs, dir.file("b"), "plan", io::Lang::zh, false);
    for (const char* f : {"plan.gpx", "plan.kml", "plan_field_sheet.csv", "plan_deficit.csv"})
        CHECK(slurp(dir.file(std::string("a/") + f)) == slurp(dir.file(std::string("b/") + f)));

    std::set<std::string> want;
    for (const auto& p : r.points)
        if (p.kind != "legacy") want.insert(p.id);
    GDALAllRegister();
    for (const char* f : {"a/plan.gpx", "a/plan.kml"}) {
        GDALDatasetUniquePtr ds(GDALDataset::Open(dir.file(f).c_str(), GDAL_OF_VECTOR));
        REQUIRE(ds);
        std::set<std::string> got;
        for (auto* layer : ds->GetLayers())
            for (auto& feat : layer) {
                if (std::string(f).find("gpx") != std::string::npos &&
                    std::string(layer->GetName()) != "waypoints")
                    continue;
                got.insert(feat->GetFieldAsString("name"));
                const auto* pt = feat->GetGeometryRef()->toPoint();
                CHECK(pt->getX() == Approx(107.0).margin(0.1));
            }
        CHECK(got == want);
    }
    // The plan layer holds new and legacy points.
    GDALDatasetUniquePtr gp(GDALDataset::Open(dir.file("a/plan.gpkg").c_str(), GDAL_OF_VECTOR));
    REQUIRE(gp);
    CHECK(gp->GetLayerByName("plan")->GetFeatureCount() == static_cast<GIntBig>(want.size() + 2));
    CHECK(gp->GetLayerByName("units") != nullptr);
    CHECK(gp->GetLayerByName("quality") != nullptr);
}
