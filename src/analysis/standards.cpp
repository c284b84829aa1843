#include "soilrisk/analysis/standards.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>
#include <toml++/toml.h>

#include "soilrisk/core/error.hpp"

namespace fs = std::filesystem;

namespace soilrisk::analysis {

namespace {

/// Lower-cases ASCII letters and trims spaces; other bytes (Chinese) are kept.
std::string norm(std::string s) {
    for (char& c : s)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto b = s.find_first_not_of(" \t\r\n");
    const auto e = s.find_last_not_of(" \t\r\n");
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

std::string read_text(const fs::path& file, const char* what) {
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw IoError(file.string() + ": cannot read the " + std::string(what) +
                      " table; check the path");
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

/// Schema checks with file:line:column positions.
class Checker {
  public:
    explicit Checker(std::string file) : file_(std::move(file)) {}

    toml::table parse(const std::string& text) const {
        try {
            return toml::parse(text, file_);
        } catch (const toml::parse_error& e) {
            throw DataError(file_ + ":" + std::to_string(e.source().begin.line) + ": " +
                            std::string(e.description()));
        }
    }

    std::string at(const toml::node& n) const {
        return file_ + ":" + std::to_string(n.source().begin.line);
    }

    [[noreturn]] void fail(const toml::node& n, const std::string& msg) const {
        throw DataError(at(n) + ": " + msg);
    }

    void known(const toml::table& t, const std::set<std::string>& keys,
               const std::string& where) const {
        for (const auto& [k, v] : t)
            if (!keys.count(std::string(k.str()))) {
                std::string list;
                for (const auto& s : keys)
                    list += (list.empty() ? "" : ", ") + s;
                fail(v, "unknown key '" + std::string(k.str()) + "' in " + where +
                            "; allowed: " + list);
            }
    }

    const toml::table& table(const toml::table& t, const char* key, const std::string& where,
                             bool required = true) const {
        static const toml::table empty;
        const toml::node* n = t.get(key);
        if (!n) {
            if (required)
                throw DataError(file_ + ": " + where + " has no [" + key +
                                "] table; see the shipped file for the schema");
            return empty;
        }
        if (!n->is_table()) fail(*n, std::string(key) + " must be a table");
        return *n->as_table();
    }

    std::string str(const toml::table& t, const char* key, const std::string& where,
                    bool required) const {
        const toml::node* n = t.get(key);
        if (!n) {
            if (required) throw DataError(file_ + ": " + where + " needs the key '" + key + "'");
            return {};
        }
        if (!n->is_string()) fail(*n, std::string(key) + " must be a string");
        return n->as_string()->get();
    }

    double number(const toml::node& n, const std::string& what, bool positive = true) const {
        double d = 0;
        if (auto i = n.as_integer())
            d = static_cast<double>(i->get());
        else if (auto f = n.as_floating_point())
            d = f->get();
        else
            fail(n, what + " must be a number");
        if (!std::isfinite(d) || (positive && d <= 0) || (!positive && d < 0))
            fail(n, what + " must be a finite " + (positive ? "positive" : "non-negative") +
                        " number");
        return d;
    }

    std::optional<double> opt_number(const toml::table& t, const char* key,
                                     const std::string& where, bool positive) const {
        const toml::node* n = t.get(key);
        if (!n) return std::nullopt;
        return number(*n, where + "." + key, positive);
    }

    std::optional<int> opt_int(const toml::table& t, const char* key, const std::string& where,
                               int lo, int hi) const {
        const toml::node* n = t.get(key);
        if (!n) return std::nullopt;
        auto i = n->as_integer();
        if (!i || i->get() < lo || i->get() > hi)
            fail(*n, where + "." + key + " must be an integer from " + std::to_string(lo) + " to " +
                         std::to_string(hi));
        return static_cast<int>(i->get());
    }

    const std::string& file() const { return file_; }

  private:
    std::string file_;
};

bool is_element_symbol(const std::string& s) {
    return !s.empty() && s.size() <= 4 &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= 'a' && c <= 'z'; });
}

std::vector<SoilStandard::Row> read_rows(const Checker& ck, const toml::table& root,
                                         const char* key, std::size_t bands,
                                         const std::set<std::string>& uses, bool required) {
    std::vector<SoilStandard::Row> rows;
    const toml::node* n = root.get(key);
    if (!n) {
        if (required)
            throw DataError(ck.file() + ": no [[" + std::string(key) +
                            "]] rows; see the shipped gb15618-2018.toml for the schema");
        return rows;
    }
    const toml::array* arr = n->as_array();
    if (!arr || !arr->is_array_of_tables())
        ck.fail(*n, std::string(key) + " must be [[" + key + "]] tables");
    std::set<std::string> seen;
    for (const auto& item : *arr) {
        const toml::table& t = *item.as_table();
        const std::string where = std::string("[[") + key + "]]";
        SoilStandard::Row row;
        row.element = ck.str(t, "element", where, true);
        if (!is_element_symbol(row.element))
            ck.fail(t, where + " element '" + row.element +
                           "' must be a lower-case element symbol such as \"cd\"");
        if (!seen.insert(row.element).second)
            ck.fail(t, where + " element '" + row.element + "' appears twice");
        row.name_zh = ck.str(t, "name_zh", where, false);
        for (const auto& [k, v] : t) {
            const std::string use(k.str());
            if (use == "element" || use == "name_zh") continue;
            if (!uses.count(use))
                ck.fail(v, where + " " + row.element + ": unknown land use '" + use +
                               "'; allowed: paddy, orchard, other, all");
            const toml::array* vals = v.as_array();
            if (!vals || vals->size() != bands)
                ck.fail(v, where + " " + row.element + "." + use + " must be an array of " +
                               std::to_string(bands) + " values, one per pH band");
            std::vector<double> out;
            for (const auto& x : *vals)
                out.push_back(ck.number(x, row.element + "." + use));
            row.values[use] = std::move(out);
        }
        if (!row.values.count("other") && !row.values.count("all"))
            ck.fail(t, where + " " + row.element +
                           " needs an 'other' or 'all' array so that every land use has a value");
        rows.push_back(std::move(row));
    }
    return rows;
}

const std::vector<double>* pick(const SoilStandard::Row& row, const std::string& use) {
    for (const std::string& k : {use, std::string("other"), std::string("all")}) {
        auto it = row.values.find(k);
        if (it != row.values.end()) return &it->second;
    }
    return nullptr;
}

} // namespace

fs::path standards_dir() {
    return fs::path(SOILRISK_DATA_DIR) / "standards";
}

// --- SoilStandard --------------------------------------------------------------------

int SoilStandard::ph_band(double ph) const {
    int band = 0;
    while (band < static_cast<int>(ph_edges.size()) && ph > ph_edges[band])
        ++band;
    return band;
}

std::string SoilStandard::band_label(int band) const {
    auto fmt = [](double d) {
        std::ostringstream ss;
        ss << d;
        return ss.str();
    };
    const int n = static_cast<int>(ph_edges.size());
    if (n == 0) return "all pH";
    if (band <= 0) return "pH<=" + fmt(ph_edges[0]);
    if (band >= n) return "pH>" + fmt(ph_edges[n - 1]);
    return fmt(ph_edges[band - 1]) + "<pH<=" + fmt(ph_edges[band]);
}

std::vector<std::string> SoilStandard::elements() const {
    std::vector<std::string> out;
    for (const auto& r : screening)
        out.push_back(r.element);
    return out;
}

const SoilStandard::Row* SoilStandard::screening_row(const std::string& element) const {
    for (const auto& r : screening)
        if (r.element == element) return &r;
    return nullptr;
}

const SoilStandard::Row* SoilStandard::intervention_row(const std::string& element) const {
    for (const auto& r : intervention)
        if (r.element == element) return &r;
    return nullptr;
}

std::optional<double> SoilStandard::screening_value(const std::string& element,
                                                    const std::string& landuse, double ph) const {
    const Row* row = screening_row(element);
    if (!row) return std::nullopt;
    const int band = ph_band(ph);
    if (landuse == "rotation") {
        // GB 15618 Table 1 footnote b: paddy–dryland rotation takes the stricter value.
        const double a = (*pick(*row, "paddy"))[band];
        const double b = (*pick(*row, "other"))[band];
        return std::min(a, b);
    }
    return (*pick(*row, landuse))[band];
}

std::optional<double> SoilStandard::intervention_value(const std::string& element,
                                                       double ph) const {
    const Row* row = intervention_row(element);
    if (!row) return std::nullopt;
    return (*pick(*row, "all"))[ph_band(ph)];
}

std::optional<std::string> SoilStandard::landuse_from_dlbm(const std::string& dlbm) const {
    std::string code = norm(dlbm);
    while (!code.empty() && (code.back() == 'k')) // 三调 可调整地类 suffix
        code.pop_back();
    std::optional<std::string> best;
    std::size_t best_len = 0;
    for (const auto& [prefix, use] : dlbm_landuse)
        if (code.rfind(prefix, 0) == 0 && prefix.size() > best_len) {
            best = use;
            best_len = prefix.size();
        }
    return best;
}

std::optional<std::string> SoilStandard::landuse_from_name(const std::string& name) const {
    const std::string key = norm(name);
    if (key.empty()) return std::nullopt;
    auto it = name_landuse.find(key);
    if (it != name_landuse.end()) return it->second;
    for (const char* u : kLandUses)
        if (key == u) return key;
    return std::nullopt;
}

SoilStandard parse_soil_standard(const std::string& text, const std::string& file) {
    Checker ck(file);
    const toml::table root = ck.parse(text);
    ck.known(root, {"standard", "ph_edges", "screening", "intervention", "landuse"},
             "the soil standard");
    SoilStandard s;
    s.file = file;
    const toml::table& meta = ck.table(root, "standard", "the soil standard");
    ck.known(meta, {"id", "title", "title_en", "source", "version", "units"}, "[standard]");
    s.id = ck.str(meta, "id", "[standard]", true);
    s.title = ck.str(meta, "title", "[standard]", false);
    s.source = ck.str(meta, "source", "[standard]", true);
    s.version = ck.str(meta, "version", "[standard]", false);
    if (s.version.empty()) s.version = s.id;
    const std::string units = ck.str(meta, "units", "[standard]", false);
    if (!units.empty() && units != "mg/kg")
        ck.fail(meta,
                "[standard] units must be \"mg/kg\" (convert the table; got \"" + units + "\")");

    const toml::node* edges = root.get("ph_edges");
    if (!edges || !edges->is_array())
        throw DataError(file + ": needs ph_edges = [5.5, 6.5, 7.5] (upper pH band edges)");
    for (const auto& e : *edges->as_array()) {
        const double v = ck.number(e, "ph_edges");
        if (v >= 14 || (!s.ph_edges.empty() && v <= s.ph_edges.back()))
            ck.fail(e, "ph_edges must increase strictly and lie between 0 and 14");
        s.ph_edges.push_back(v);
    }
    const std::size_t bands = s.ph_edges.size() + 1;
    s.screening =
        read_rows(ck, root, "screening", bands, {"paddy", "orchard", "other", "all"}, true);
    s.intervention = read_rows(ck, root, "intervention", bands, {"all", "other"}, false);
    for (const auto& r : s.intervention)
        if (!s.screening_row(r.element))
            throw DataError(file + ": intervention element '" + r.element +
                            "' has no screening row");

    const toml::table& lu = ck.table(root, "landuse", "the soil standard", false);
    ck.known(lu, {"rotation", "dlbm", "names"}, "[landuse]");
    const std::string rot = ck.str(lu, "rotation", "[landuse]", false);
    if (!rot.empty() && rot != "stricter")
        ck.fail(lu, "[landuse] rotation must be \"stricter\" (the only rule implemented)");
    auto read_map = [&](const char* key, std::map<std::string, std::string>& out) {
        const toml::table& m = ck.table(lu, key, "[landuse]", false);
        for (const auto& [k, v] : m) {
            if (!v.is_string())
                ck.fail(v, std::string("[landuse.") + key + "] values must be text");
            const std::string use = v.as_string()->get();
            if (std::find(std::begin(kLandUses), std::end(kLandUses), use) == std::end(kLandUses))
                ck.fail(v, std::string("[landuse.") + key + "] '" + std::string(k.str()) +
                               "' maps to unknown land use '" + use +
                               "'; use paddy, orchard, other or rotation");
            out[norm(std::string(k.str()))] = use;
        }
    };
    read_map("dlbm", s.dlbm_landuse);
    read_map("names", s.name_landuse);
    return s;
}

SoilStandard load_soil_standard(const fs::path& file) {
    return parse_soil_standard(read_text(file, "soil standard"), file.string());
}

// --- FoodStandard --------------------------------------------------------------------

std::optional<std::string> FoodStandard::food_for(const std::string& crop) const {
    const std::string key = norm(crop);
    if (foods.count(key)) return key;
    auto it = names.find(key);
    if (it != names.end()) return it->second;
    return std::nullopt;
}

std::optional<double> FoodStandard::limit(const std::string& food,
                                          const std::string& element) const {
    auto f = foods.find(food);
    if (f == foods.end()) return std::nullopt;
    auto l = f->second.limits.find(element);
    if (l == f->second.limits.end()) return std::nullopt;
    return l->second;
}

FoodStandard parse_food_standard(const std::string& text, const std::string& file,
                                 const std::string& edition) {
    Checker ck(file);
    const toml::table root = ck.parse(text);
    ck.known(root, {"default_edition", "foods", "editions"}, "the food standard");
    FoodStandard s;
    s.file = file;
    s.edition =
        edition.empty() ? ck.str(root, "default_edition", "the food standard", true) : edition;
    const toml::table& foods = ck.table(root, "foods", "the food standard");
    for (const auto& [k, v] : foods) {
        const std::string key(k.str());
        if (!v.is_table()) ck.fail(v, "[foods." + key + "] must be a table");
        ck.known(*v.as_table(), {"names"}, "[foods." + key + "]");
        if (const toml::node* n = v.as_table()->get("names")) {
            if (!n->is_array()) ck.fail(*n, "[foods." + key + "] names must be an array of text");
            for (const auto& x : *n->as_array()) {
                if (!x.is_string()) ck.fail(x, "[foods." + key + "] names must be text");
                s.names[norm(x.as_string()->get())] = key;
            }
        }
    }
    const toml::table& eds = ck.table(root, "editions", "the food standard");
    const toml::node* ed = eds.get(s.edition);
    if (!ed || !ed->is_table()) {
        std::string list;
        for (const auto& [k, v] : eds)
            list += (list.empty() ? "" : ", ") + std::string(k.str());
        throw DataError(file + ": no GB 2762 edition '" + s.edition + "'; editions are: " + list +
                        " (choose one with --food-edition)");
    }
    const toml::table& et = *ed->as_table();
    const std::string where = "[editions." + s.edition + "]";
    ck.known(et, {"source", "confidence", "foods"}, where);
    s.source = ck.str(et, "source", where, true);
    s.confidence = ck.str(et, "confidence", where, false);
    const toml::table& ef = ck.table(et, "foods", where);
    for (const auto& [k, v] : ef) {
        const std::string key(k.str());
        const std::string fw = where + ".foods." + key;
        if (!foods.get(key)) ck.fail(v, fw + ": food '" + key + "' is not declared in [foods]");
        if (!v.is_table()) ck.fail(v, fw + " must be a table");
        FoodStandard::Food f;
        f.key = key;
        for (const auto& [ek, evn] : *v.as_table()) {
            const std::string el(ek.str());
            if (el == "name_zh") {
                if (!evn.is_string()) ck.fail(evn, fw + ".name_zh must be text");
                f.name_zh = evn.as_string()->get();
                continue;
            }
            if (!is_element_symbol(el))
                ck.fail(evn, fw + ": '" + el + "' is not a lower-case element symbol");
            f.limits[el] = ck.number(evn, fw + "." + el);
        }
        if (f.limits.empty()) ck.fail(v, fw + " has no limits");
        s.foods[key] = std::move(f);
    }
    return s;
}

FoodStandard load_food_standard(const fs::path& file, const std::string& edition) {
    return parse_food_standard(read_text(file, "food standard"), file.string(), edition);
}

// --- RuleTable -----------------------------------------------------------------------

int RuleTable::crop_class(double ratio) const {
    if (ratio <= class1_max_ratio) return 1;
    if (ratio <= class2_max_ratio) return 2;
    return 3;
}

const RuleTable::Rule* RuleTable::match(int soil_class, int n1, int n2, int n3) const {
    const int total = n1 + n2 + n3;
    for (const auto& r : rules) {
        if (r.from != soil_class) continue;
        if (r.min_samples && total < *r.min_samples) continue;
        if (r.max_exceeding && n2 + n3 > *r.max_exceeding) continue;
        if (r.min_exceeding && n2 + n3 < *r.min_exceeding) continue;
        if (r.max_n3 && n3 > *r.max_n3) continue;
        if (r.min_n3 && n3 < *r.min_n3) continue;
        if (r.min_n1_share &&
            (total == 0 || static_cast<double>(n1) / total < *r.min_n1_share - 1e-12))
            continue;
        return &r;
    }
    return nullptr;
}

RuleTable parse_rules(const std::string& text, const std::string& file) {
    Checker ck(file);
    const toml::table root = ck.parse(text);
    ck.known(root, {"rules", "crop_grading", "rule"}, "the rule table");
    RuleTable t;
    t.file = file;
    const toml::table& meta = ck.table(root, "rules", "the rule table");
    ck.known(meta, {"id", "title", "source", "note"}, "[rules]");
    t.id = ck.str(meta, "id", "[rules]", true);
    t.title = ck.str(meta, "title", "[rules]", false);
    t.source = ck.str(meta, "source", "[rules]", false);
    t.note = ck.str(meta, "note", "[rules]", false);
    const toml::table& g = ck.table(root, "crop_grading", "the rule table", false);
    ck.known(g, {"class1_max_ratio", "class2_max_ratio", "nd_class"}, "[crop_grading]");
    t.class1_max_ratio = ck.opt_number(g, "class1_max_ratio", "[crop_grading]", true).value_or(1.0);
    t.class2_max_ratio = ck.opt_number(g, "class2_max_ratio", "[crop_grading]", true).value_or(2.0);
    if (t.class2_max_ratio < t.class1_max_ratio)
        ck.fail(g, "[crop_grading] class2_max_ratio must not be below class1_max_ratio");
    t.nd_class = ck.opt_int(g, "nd_class", "[crop_grading]", 1, 3).value_or(1);

    if (const toml::node* n = root.get("rule")) {
        const toml::array* arr = n->as_array();
        if (!arr || !arr->is_array_of_tables()) ck.fail(*n, "rule must be [[rule]] tables");
        std::set<std::string> ids;
        for (const auto& item : *arr) {
            const toml::table& rt = *item.as_table();
            ck.known(rt,
                     {"id", "from", "to", "min_samples", "max_exceeding", "min_exceeding", "max_n3",
                      "min_n3", "min_n1_share", "description_zh", "description_en"},
                     "[[rule]]");
            RuleTable::Rule r;
            r.id = ck.str(rt, "id", "[[rule]]", true);
            if (!ids.insert(r.id).second) ck.fail(rt, "[[rule]] id '" + r.id + "' appears twice");
            const std::string w = "[[rule]] " + r.id;
            auto from = ck.opt_int(rt, "from", w, 1, 3);
            auto to = ck.opt_int(rt, "to", w, 1, 3);
            if (!from || !to) ck.fail(rt, w + " needs from and to (1, 2 or 3)");
            r.from = *from;
            r.to = *to;
            r.min_samples = ck.opt_int(rt, "min_samples", w, 0, 1000000);
            r.max_exceeding = ck.opt_int(rt, "max_exceeding", w, 0, 1000000);
            r.min_exceeding = ck.opt_int(rt, "min_exceeding", w, 0, 1000000);
            r.max_n3 = ck.opt_int(rt, "max_n3", w, 0, 1000000);
            r.min_n3 = ck.opt_int(rt, "min_n3", w, 0, 1000000);
            r.min_n1_share = ck.opt_number(rt, "min_n1_share", w, false);
            if (r.min_n1_share && *r.min_n1_share > 1)
                ck.fail(rt, w + " min_n1_share is a share from 0 to 1");
            r.description_zh = ck.str(rt, "description_zh", w, false);
            r.description_en = ck.str(rt, "description_en", w, false);
            t.rules.push_back(std::move(r));
        }
    }
    return t;
}

RuleTable load_rules(const fs::path& file) {
    return parse_rules(read_text(file, "rule"), file.string());
}

} // namespace soilrisk::analysis
