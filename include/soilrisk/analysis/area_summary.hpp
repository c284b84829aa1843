// Farmland area by category × county (or any fields): the basic table of every report.
#pragma once

#include <string>
#include <vector>

#include "soilrisk/core/area.hpp"
#include "soilrisk/core/progress.hpp"
#include "soilrisk/io/table.hpp"
#include "soilrisk/io/vector.hpp"

namespace soilrisk::analysis {

struct AreaSummaryOptions {
    /// Roles (or field names) to group by, in order, e.g. {"category", "county"}.
    std::vector<std::string> by = {"category", "county"};
    AreaMode mode = AreaMode::ellipsoidal;
    io::Lang lang = io::Lang::zh;
};

/// Groups the polygons of `layer` and sums their areas (m², 亩, ha) and parcel counts.
/// Columns: one per group field (named after the role), then `category_name` when
/// grouping by category, `parcels`, `area_m2`, `area_mu`, `area_ha`. Rows are sorted by
/// the group values (numbers numerically); a subtotal per first-level group and a grand
/// total follow, marked with the value `all` in the remaining group columns.
/// A `category` value that is not 1/2/3 is an error naming the feature (DataError).
io::Table area_summary(const io::Layer& layer, const AreaSummaryOptions& options,
                       Progress progress = {});

} // namespace soilrisk::analysis
