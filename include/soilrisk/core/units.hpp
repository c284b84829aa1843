// Units of area and length used in reports.
//
// 1 亩 (mu) = 10000/15 m² exactly (2000/3 m²); 1 ha = 10000 m² = 15 亩.
// Areas are kept in m² as doubles and converted only for display; totals are summed
// from unrounded values.
#pragma once

#include <string_view>
#include <vector>

namespace soilrisk {

inline constexpr double kSquareMetresPerMu = 10000.0 / 15.0;
inline constexpr double kSquareMetresPerHectare = 10000.0;

constexpr double m2_to_mu(double m2) {
    return m2 * 15.0 / 10000.0;
}
constexpr double m2_to_ha(double m2) {
    return m2 / kSquareMetresPerHectare;
}
constexpr double mu_to_m2(double mu) {
    return mu * 10000.0 / 15.0;
}
constexpr double ha_to_m2(double ha) {
    return ha * kSquareMetresPerHectare;
}

/// Parses a length with an optional unit: "500", "500m", "500 m", "1.5km", "10 km".
/// Bare numbers are metres. Throws UsageError naming `what` (e.g. "--reach") when the
/// text is not a finite non-negative length.
double parse_length(std::string_view text, std::string_view what);

/// Parses a positive area with an optional unit: "1km2", "50 ha", "500000m2", "1500mu" /
/// "1500亩" (also km², m²). Bare numbers are m². Throws UsageError naming `what`.
double parse_area_m2(std::string_view text, std::string_view what);

/// Parses a comma-separated list of lengths ("0,500,1000,2km"), each as parse_length.
/// Throws UsageError when empty or when values are not strictly increasing.
std::vector<double> parse_length_list(std::string_view text, std::string_view what);

} // namespace soilrisk
