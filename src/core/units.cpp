#include "soilrisk/core/units.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <string>

#include "soilrisk/core/error.hpp"

namespace soilrisk {

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
        s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
        s.remove_suffix(1);
    return s;
}

} // namespace

double parse_length(std::string_view text, std::string_view what) {
    const std::string_view t = trim(text);
    double value = 0;
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
    std::string_view unit = trim(std::string_view(end, t.data() + t.size() - end));
    double scale = 0;
    if (unit.empty() || unit == "m")
        scale = 1.0;
    else if (unit == "km")
        scale = 1000.0;
    if (ec != std::errc() || scale == 0 || !std::isfinite(value) || value < 0)
        throw UsageError(std::string(what) + ": '" + std::string(text) +
                         "' is not a length; write metres or kilometres, e.g. 500, 500m or 2km");
    return value * scale;
}

double parse_area_m2(std::string_view text, std::string_view what) {
    const std::string_view t = trim(text);
    double value = 0;
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
    const std::string_view unit = trim(std::string_view(end, t.data() + t.size() - end));
    double scale = 0;
    if (unit.empty() || unit == "m2" || unit == "m²")
        scale = 1.0;
    else if (unit == "km2" || unit == "km²")
        scale = 1e6;
    else if (unit == "ha")
        scale = kSquareMetresPerHectare;
    else if (unit == "mu" || unit == "亩")
        scale = kSquareMetresPerMu;
    if (ec != std::errc() || scale == 0 || !std::isfinite(value) || value <= 0)
        throw UsageError(std::string(what) + ": '" + std::string(text) +
                         "' is not an area; write e.g. 1km2, 50ha, 500000m2 or 1500mu");
    return value * scale;
}

std::vector<double> parse_length_list(std::string_view text, std::string_view what) {
    std::vector<double> out;
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t comma = text.find(',', start);
        const std::string_view item = text.substr(
            start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
        out.push_back(parse_length(item, what));
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    for (std::size_t i = 1; i < out.size(); ++i)
        if (!(out[i] > out[i - 1]))
            throw UsageError(std::string(what) + ": '" + std::string(text) +
                             "' must list increasing distances, e.g. 0,500,1000,2000");
    return out;
}

} // namespace soilrisk
