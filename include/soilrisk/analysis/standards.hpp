// Threshold tables as data: soil risk values (GB 15618-2018), food contaminant limits
// (GB 2762, by edition) and the rule table that combines soil class with crop results.
//
// The shipped tables live in data/standards/ (gb15618-2018.toml, gb2762.toml,
// classify-rules.toml); each file documents its schema and cites its source. Users may
// supply their own table (a provincial or newer standard) with the same schema. Loading
// validates the schema: an unknown key, a missing required key, a wrong array length, a
// non-positive or non-finite value or a duplicate element is a DataError naming the file
// and the key. All concentrations are mg/kg.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace soilrisk::analysis {

/// The folder of the shipped standards tables (the repository's data/standards).
std::filesystem::path standards_dir();

/// Land-use keys used by the soil table: "paddy" (水田), "orchard" (果园, only Cu
/// differs), "other" (旱地, 水浇地, other 园地), "rotation" (水旱轮作: the stricter of
/// paddy and other, GB 15618 Table 1 footnote b).
inline constexpr const char* kLandUses[] = {"paddy", "orchard", "other", "rotation"};

/// GB 15618-2018 Table 1 (screening, 风险筛选值) and Table 3 (intervention, 风险管制值).
class SoilStandard {
  public:
    std::string id;      ///< e.g. "GB 15618-2018"
    std::string title;   ///< Chinese title
    std::string source;  ///< URL or citation
    std::string version; ///< recorded on every result
    std::string file;    ///< where it was loaded from
    /// Upper pH band edges, inclusive (5.5, 6.5, 7.5): band 0 is pH <= 5.5, band 3 pH > 7.5.
    std::vector<double> ph_edges;

    struct Row {
        std::string element; ///< lower-case symbol, e.g. "cd"
        std::string name_zh; ///< e.g. "镉"
        /// land use ("paddy", "orchard", "other", "all") -> one value per pH band
        std::map<std::string, std::vector<double>> values;
    };
    std::vector<Row> screening;
    std::vector<Row> intervention;
    /// DLBM code prefix -> land use (longest prefix wins).
    std::map<std::string, std::string> dlbm_landuse;
    /// Text in a land-use column (lower-cased ASCII, Chinese as is) -> land use.
    std::map<std::string, std::string> name_landuse;

    /// pH band index (0-based) with inclusive upper edges. Precondition: finite pH.
    int ph_band(double ph) const;
    /// Human-readable band, e.g. "pH<=5.5", "5.5<pH<=6.5", "pH>7.5".
    std::string band_label(int band) const;
    /// Elements with a screening value, in table order.
    std::vector<std::string> elements() const;
    const Row* screening_row(const std::string& element) const;
    const Row* intervention_row(const std::string& element) const;
    /// Screening value for an element, land use and pH (nullopt: element not in the
    /// table). Land use falls back to "other", then "all"; "rotation" takes the lower of
    /// the paddy and other values.
    std::optional<double> screening_value(const std::string& element, const std::string& landuse,
                                          double ph) const;
    /// Intervention value (nullopt for Cu, Ni, Zn: no intervention value exists).
    std::optional<double> intervention_value(const std::string& element, double ph) const;
    /// Land use from a 三调 DLBM code ("0101", "0201K"); nullopt when no prefix matches.
    std::optional<std::string> landuse_from_dlbm(const std::string& dlbm) const;
    /// Land use from a name (水田, 旱地, 果园, paddy, …); nullopt when unknown.
    std::optional<std::string> landuse_from_name(const std::string& name) const;
};

/// Loads a soil standard table; throws IoError (unreadable) or DataError (schema).
SoilStandard load_soil_standard(const std::filesystem::path& file);
/// Parses table text; `file` names it in messages.
SoilStandard parse_soil_standard(const std::string& text, const std::string& file);

/// GB 2762 limits of one edition.
class FoodStandard {
  public:
    std::string edition; ///< "2017", "2022", "2025"
    std::string source;
    std::string confidence;
    std::string file;
    struct Food {
        std::string key;                      ///< "rice"
        std::string name_zh;                  ///< "稻谷（糙米）"
        std::map<std::string, double> limits; ///< element -> mg/kg
    };
    std::map<std::string, Food> foods;
    /// Text in a crop column (lower-cased ASCII, Chinese as is) -> food key.
    std::map<std::string, std::string> names;

    /// Food key for a crop name or key ("水稻", "rice"); nullopt when unknown.
    std::optional<std::string> food_for(const std::string& crop) const;
    /// Limit in mg/kg; nullopt when the food has none for the element.
    std::optional<double> limit(const std::string& food, const std::string& element) const;
};

/// Loads one edition ("" = the file's default_edition). Throws DataError listing the
/// editions when `edition` is not in the file.
FoodStandard load_food_standard(const std::filesystem::path& file, const std::string& edition);
FoodStandard parse_food_standard(const std::string& text, const std::string& file,
                                 const std::string& edition);

/// The soil × crop decision rules (see data/standards/classify-rules.toml).
struct RuleTable {
    std::string id, title, source, note, file;
    double class1_max_ratio = 1.0; ///< crop r <= this -> class 1
    double class2_max_ratio = 2.0; ///< crop r <= this -> class 2, else 3
    int nd_class = 1;              ///< class of a below-detection crop result

    struct Rule {
        std::string id;
        int from = 0, to = 0;
        std::optional<int> min_samples, max_exceeding, min_exceeding, max_n3, min_n3;
        std::optional<double> min_n1_share;
        std::string description_zh, description_en;
    };
    std::vector<Rule> rules;

    /// Class (1..3) of one crop element result from its ratio to the food limit.
    int crop_class(double ratio) const;
    /// The first rule that applies to a unit of soil class `soil_class` with crop counts
    /// n1, n2, n3 (per class); nullptr when none does (the soil class stands).
    const Rule* match(int soil_class, int n1, int n2, int n3) const;
};

RuleTable load_rules(const std::filesystem::path& file);
RuleTable parse_rules(const std::string& text, const std::string& file);

} // namespace soilrisk::analysis
