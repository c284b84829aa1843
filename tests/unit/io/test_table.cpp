// Tables: CSV (BOM, RFC 4180, rounding) and XLSX (labels, formats, widths, about sheet).
#include <catch2/catch.hpp>

#include <cpl_conv.h>
#include <cpl_vsi.h>
#include <filesystem>
#include <fstream>
#include <gdal_priv.h>
#include <ogrsf_frmts.h>
#include <regex>
#include <sstream>
#include <unistd.h>

#include "soilrisk/core/error.hpp"
#include "soilrisk/io/table.hpp"

namespace fs = std::filesystem;
using namespace soilrisk::io;

namespace {

struct ScratchDir {
    fs::path path;
    explicit ScratchDir(const std::string& name) {
        path = fs::temp_directory_path() /
               ("soilrisk-test-" + name + "-" + std::to_string(::getpid()));
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~ScratchDir() { fs::remove_all(path); }
    std::string file(const std::string& name) const { return (path / name).string(); }
    std::size_t count() const {
        return static_cast<std::size_t>(std::distance(fs::directory_iterator(path), {}));
    }
};

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

/// A member of a zip file through GDAL's /vsizip/ ("" when absent).
std::string read_zip_member(const std::string& zip, const std::string& member) {
    const std::string name = "/vsizip/" + zip + "/" + member;
    VSILFILE* f = VSIFOpenL(name.c_str(), "rb");
    if (!f) return "";
    std::string out;
    char buf[4096];
    std::size_t n = 0;
    while ((n = VSIFReadL(buf, 1, sizeof buf, f)) > 0)
        out.append(buf, n);
    VSIFCloseL(f);
    return out;
}

Table parcels_table() {
    Table t;
    t.name = "parcels";
    t.columns = {{"id", "编号", "ID"},
                 {"category", "类别", "Category"},
                 {"area_mu", "面积（亩）", "Area (mu)", 2}};
    t.add_row({std::int64_t{1}, std::string("严格管控类"), 12.345});
    t.add_row({std::int64_t{2}, std::string("安全利用类"), 0.5});
    t.add_row({std::int64_t{3}, Value{}, 1000.0});
    return t;
}

} // namespace

TEST_CASE("parse_lang accepts zh and en only", "[io][table]") {
    CHECK(parse_lang("zh") == Lang::zh);
    CHECK(parse_lang("EN") == Lang::en);
    CHECK(parse_lang("zh-CN") == Lang::zh);
    CHECK_THROWS_AS(parse_lang("fr"), soilrisk::UsageError);
    CHECK_THROWS_WITH(parse_lang(""), Catch::Contains("zh or en"));
}

TEST_CASE("display_width counts CJK and fullwidth characters as two cells", "[io][table]") {
    CHECK(display_width("Area (mu)") == 9);
    CHECK(display_width("面积（亩）") == 10);
    CHECK(display_width("类别 A") == 6);
    CHECK(display_width("") == 0);
    CHECK(display_width("é") == 1);
}

TEST_CASE("Table::add_row rejects rows of the wrong size", "[io][table]") {
    Table t = parcels_table();
    CHECK_THROWS_AS(t.add_row({std::int64_t{4}}), std::logic_error);
    CHECK(t.rows.size() == 3);
}

TEST_CASE("CSV starts with a BOM and quotes commas, quotes and newlines (RFC 4180)",
          "[io][table][csv]") {
    ScratchDir dir("csv-quote");
    Table t;
    t.name = "notes";
    t.columns = {{"id", "", ""}, {"note", "", ""}};
    t.add_row({std::int64_t{1}, std::string("plain")});
    t.add_row({std::int64_t{2}, std::string("a,b")});
    t.add_row({std::int64_t{3}, std::string("say \"hi\"")});
    t.add_row({std::int64_t{4}, std::string("two\nlines")});
    t.add_row({Value{}, std::string("")});
    const std::string path = dir.file("notes.csv");
    write_csv(t, path, false);
    const std::string bytes = read_text(path);
    REQUIRE(bytes.size() >= 3);
    CHECK(bytes.substr(0, 3) == "\xEF\xBB\xBF");
    CHECK(bytes == "\xEF\xBB\xBF"
                   "id,note\r\n"
                   "1,plain\r\n"
                   "2,\"a,b\"\r\n"
                   "3,\"say \"\"hi\"\"\"\r\n"
                   "4,\"two\nlines\"\r\n"
                   ",\r\n");
    CHECK(dir.count() == 1);
}

TEST_CASE("CSV rounds reals to the column's decimals", "[io][table][csv]") {
    ScratchDir dir("csv-round");
    Table t;
    t.name = "numbers";
    t.columns = {{"two", "", "", 2}, {"zero", "", "", 0}, {"full", "", ""}, {"count", "", "", 2}};
    t.add_row({2.345, 1234.5, 0.1 + 0.2, std::int64_t{7}});
    t.add_row({1.005, -0.4, 1e20, std::int64_t{-3}});
    t.add_row({9.995, 2.5, -1.5, Value{}});
    t.add_row({-0.001, 0.0, std::nan(""), std::int64_t{0}});
    const std::string path = dir.file("numbers.csv");
    write_table(t, path, Lang::zh, false);
    CHECK(read_text(path) == "\xEF\xBB\xBF"
                             "two,zero,full,count\r\n"
                             "2.35,1235,0.30000000000000004,7\r\n"
                             "1.01,0,1e+20,-3\r\n"
                             "10.00,3,-1.5,\r\n"
                             "0.00,0,,0\r\n");
}

TEST_CASE("CSV with Chinese text round-trips through GDAL's CSV reader", "[io][table][csv]") {
    GDALAllRegister();
    ScratchDir dir("csv-zh");
    const std::string path = dir.file("parcels.csv");
    write_csv(parcels_table(), path, false);
    GDALDatasetUniquePtr ds(GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR));
    REQUIRE(ds);
    OGRLayer* layer = ds->GetLayer(0);
    REQUIRE(layer);
    OGRFeatureDefn* defn = layer->GetLayerDefn();
    REQUIRE(defn->GetFieldCount() == 3);
    CHECK(std::string(defn->GetFieldDefn(0)->GetNameRef()) == "id"); // BOM not in the name
    CHECK(layer->GetFeatureCount() == 3);
    OGRFeatureUniquePtr f(layer->GetNextFeature());
    REQUIRE(f);
    CHECK(std::string(f->GetFieldAsString("category")) == "严格管控类");
    CHECK(std::string(f->GetFieldAsString("area_mu")) == "12.35");
}

TEST_CASE("write_table refuses unknown extensions and existing outputs", "[io][table]") {
    ScratchDir dir("table-errors");
    const Table t = parcels_table();
    CHECK_THROWS_AS(write_table(t, dir.file("out.txt"), Lang::zh, false), soilrisk::UsageError);
    const std::string path = dir.file("out.csv");
    { std::ofstream(path) << "old"; }
    CHECK_THROWS_AS(write_table(t, path, Lang::zh, false), soilrisk::OutputExistsError);
    CHECK(read_text(path) == "old");
    write_table(t, path, Lang::zh, true);
    CHECK(read_text(path).substr(0, 3) == "\xEF\xBB\xBF");
    CHECK(dir.count() == 1);
}

TEST_CASE("XLSX has Chinese headers, a frozen bold header, number formats and fitted widths",
          "[io][table][xlsx]") {
    GDALAllRegister();
    ScratchDir dir("xlsx-zh");
    const std::string path = dir.file("parcels.xlsx");
    const Table t = parcels_table();
    write_table(t, path, Lang::zh, false);
    CHECK(dir.count() == 1);

    const std::string sheet = read_zip_member(path, "xl/worksheets/sheet1.xml");
    REQUIRE_FALSE(sheet.empty());
    const std::string strings = read_zip_member(path, "xl/sharedStrings.xml");
    CHECK_THAT(strings, Catch::Contains("面积（亩）"));
    CHECK_THAT(strings, Catch::Contains("严格管控类"));
    CHECK_THAT(sheet, Catch::Contains("state=\"frozen\""));
    CHECK_THAT(sheet, Catch::Contains("ySplit=\"1\""));
    const std::string styles = read_zip_member(path, "xl/styles.xml");
    CHECK_THAT(styles, Catch::Contains("formatCode=\"0.00\""));
    CHECK_THAT(styles, Catch::Contains("<b/>"));
    const std::string workbook = read_zip_member(path, "xl/workbook.xml");
    CHECK_THAT(workbook, Catch::Contains("name=\"parcels\""));

    // "面积（亩）" is 10 cells wide: the third column must be wider than that.
    std::smatch m;
    const std::regex col3("<col min=\"3\" max=\"3\" width=\"([0-9.]+)\"");
    REQUIRE(std::regex_search(sheet, m, col3));
    CHECK(std::stod(m[1]) >= 12.0);

    GDALDatasetUniquePtr ds(GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR));
    REQUIRE(ds);
    OGRLayer* layer = ds->GetLayerByName("parcels");
    REQUIRE(layer);
    OGRFeatureDefn* defn = layer->GetLayerDefn();
    REQUIRE(defn->GetFieldCount() == 3);
    CHECK(std::string(defn->GetFieldDefn(0)->GetNameRef()) == "编号");
    CHECK(std::string(defn->GetFieldDefn(2)->GetNameRef()) == "面积（亩）");
    CHECK(layer->GetFeatureCount() == 3);
    OGRFeatureUniquePtr f(layer->GetNextFeature());
    REQUIRE(f);
    CHECK(f->GetFieldAsInteger(0) == 1);
    CHECK(std::string(f->GetFieldAsString(1)) == "严格管控类");
    // The cell keeps full precision; only the display is rounded.
    CHECK(f->GetFieldAsDouble(2) == Approx(12.345));
}

TEST_CASE("XLSX in English with a title row, several sheets and an about sheet",
          "[io][table][xlsx]") {
    GDALAllRegister();
    ScratchDir dir("xlsx-en");
    const std::string path = dir.file("report.xlsx");
    Table a = parcels_table();
    a.title_en = "Farmland parcels";
    Table b = parcels_table();
    b.name = "bad:name/with*chars-and-much-too-long-for-excel";
    write_xlsx({&a, &b}, path, Lang::en, false,
               {{"command", "soilrisk near --farmland 农田.gpkg"}, {"crs", "EPSG:4545"}});

    const std::string workbook = read_zip_member(path, "xl/workbook.xml");
    CHECK_THAT(workbook, Catch::Contains("name=\"parcels\""));
    CHECK_THAT(workbook, Catch::Contains("name=\"bad_name_with_chars-and-much-to\""));
    CHECK_THAT(workbook, Catch::Contains("name=\"about\""));
    const std::string strings = read_zip_member(path, "xl/sharedStrings.xml");
    CHECK_THAT(strings, Catch::Contains("Area (mu)"));
    CHECK_THAT(strings, Catch::Contains("Farmland parcels"));
    CHECK_THAT(strings, !Catch::Contains("面积（亩）"));
    // Title in row 1, header in row 2: the frozen pane is below row 2.
    CHECK_THAT(read_zip_member(path, "xl/worksheets/sheet1.xml"), Catch::Contains("ySplit=\"2\""));

    // An all-text sheet has no typed row from which GDAL could tell the header.
    CPLConfigOptionSetter headers("OGR_XLSX_HEADERS", "FORCE", false);
    GDALDatasetUniquePtr ds(GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR));
    REQUIRE(ds);
    OGRLayer* about = ds->GetLayerByName("about");
    REQUIRE(about);
    CHECK(about->GetFeatureCount() == 2);
    OGRFeatureUniquePtr f(about->GetNextFeature());
    REQUIRE(f);
    CHECK(std::string(about->GetLayerDefn()->GetFieldDefn(0)->GetNameRef()) == "Item");
    CHECK(std::string(f->GetFieldAsString(0)) == "command");
    CHECK(std::string(f->GetFieldAsString(1)) == "soilrisk near --farmland 农田.gpkg");
}

TEST_CASE("XLSX that fails while writing leaves no temporary and the old file intact",
          "[io][table][xlsx]") {
    ScratchDir dir("xlsx-fail");
    const std::string path = dir.file("report.xlsx");
    { std::ofstream(path) << "old"; }
    Table t;
    t.name = "long";
    t.columns = {{"text", "文本", "Text"}};
    t.add_row({std::string(40000, 'x')}); // over Excel's 32767-character cell limit
    CHECK_THROWS_AS(write_xlsx({&t}, path, Lang::zh, true), soilrisk::DataError);
    CHECK(read_text(path) == "old");
    CHECK(dir.count() == 1);
}
