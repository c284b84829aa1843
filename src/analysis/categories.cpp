#include "soilrisk/analysis/categories.hpp"

#include <algorithm>
#include <cctype>

namespace soilrisk::analysis {

std::optional<int> parse_category(const io::Value& v) {
    if (auto n = io::Layer::number(v)) {
        if (*n == 1.0 || *n == 2.0 || *n == 3.0) return static_cast<int>(*n);
        return std::nullopt;
    }
    if (!std::holds_alternative<std::string>(v)) return std::nullopt;
    std::string s = std::get<std::string>(v);
    s.erase(std::remove_if(s.begin(), s.end(),
                           [](char c) { return std::isspace(static_cast<unsigned char>(c)); }),
            s.end());
    std::string low = s;
    for (char& c : low)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (s.rfind("优先保护", 0) == 0 || low.rfind("priority", 0) == 0) return 1;
    if (s.rfind("安全利用", 0) == 0 || low.rfind("safe", 0) == 0) return 2;
    if (s.rfind("严格管控", 0) == 0 || low.rfind("strict", 0) == 0) return 3;
    return std::nullopt;
}

std::string category_name(int code, io::Lang lang) {
    const bool zh = lang == io::Lang::zh;
    switch (code) {
    case 1:
        return zh ? "优先保护类" : "Priority protection";
    case 2:
        return zh ? "安全利用类" : "Safe utilisation";
    case 3:
        return zh ? "严格管控类" : "Strict control";
    default:
        return zh ? "未分类" : "Unclassified";
    }
}

std::string category_problem(const io::Layer& layer, const io::Feature& feature, int field) {
    const io::Value& v = feature.values[field];
    const std::string where = layer.where(feature.fid) + ", field " + layer.fields[field].name;
    const std::string opt =
        layer.role.empty() || layer.role == "input" ? "--" : "--" + layer.role + "-";
    const std::string fix = "; fix the value, filter the layer (" + opt +
                            "where) or map the right field with " + opt + "field category=NAME";
    const std::string text = io::Layer::text(v);
    if (std::holds_alternative<std::monostate>(v) ||
        text.find_first_not_of(" \t") == std::string::npos)
        return where + ": has no category (empty); categories are 1, 2 or 3 (优先保护类, " +
               "安全利用类, 严格管控类)" + fix;
    return where + ": category '" + text +
           "' is not 1, 2 or 3 (优先保护类, 安全利用类, 严格管控类)" + fix;
}

} // namespace soilrisk::analysis
