// Farmland environmental-quality categories (耕地土壤环境质量类别):
//   1 优先保护类 priority protection, 2 安全利用类 safe utilisation,
//   3 严格管控类 strict control.
// (土壤污染防治法 2018, 农用地 section; 农用地土壤环境质量类别划分技术指南.)
#pragma once

#include <optional>
#include <string>

#include "soilrisk/io/table.hpp"
#include "soilrisk/io/vector.hpp"

namespace soilrisk::analysis {

/// Reads a category value: 1/2/3 (number or text), the Chinese names (优先保护类 …, also
/// without 类), or English words (priority, safe, strict). nullopt for null/unknown.
std::optional<int> parse_category(const io::Value& v);

/// "优先保护类" / "Priority protection" for 1..3; "未分类"/"Unclassified" otherwise.
std::string category_name(int code, io::Lang lang);

/// The one-line message for a feature whose `field` holds no valid category: names the
/// file, layer, feature and field, says whether the value is empty or unknown, and what
/// to do.
std::string category_problem(const io::Layer& layer, const io::Feature& feature, int field);

} // namespace soilrisk::analysis
