// Small text helpers shared by every layer.
#pragma once

#include <string>
#include <string_view>

namespace soilrisk {

/// `s` with ASCII letters in lower case (other bytes, e.g. UTF-8 Chinese, unchanged): for
/// case-insensitive names, extensions and keywords.
std::string ascii_lower(std::string_view s);

} // namespace soilrisk
