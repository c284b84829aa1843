// `soilrisk info`: what a vector source holds, as a user needs to know it before an
// analysis (driver, layers, CRS, geometry, counts, extent, fields, encoding, geometry
// checks and, for polygon layers, the total ellipsoidal area).
#pragma once

#include <string>
#include <vector>

#include "soilrisk/core/crs.hpp"
#include "soilrisk/io/vector.hpp"

namespace soilrisk::io {

struct LayerInfo {
    std::string path, driver, layer;
    std::string crs_name; ///< "" when none
    std::optional<int> epsg;
    std::string geometry_type; ///< point / line / polygon / mixed / none
    std::int64_t feature_count = 0;
    Extent extent; ///< native CRS
    Extent extent_lonlat;
    std::vector<FieldDef> fields;
    ReadReport report; ///< encoding, invalid/repaired/empty/duplicate counts
    bool has_area = false;
    double area_m2 = 0;         ///< ellipsoidal, on the layer CRS's own ellipsoid
    std::string area_ellipsoid; ///< name of the geographic CRS the area was measured on
};

/// Describes the chosen layer, or every layer when `input.layer` is empty and the source
/// has several. Geometry is checked (and repaired in memory, never in the file) with the
/// input's invalid policy. Throws as VectorReader does.
std::vector<LayerInfo> describe(const VectorInput& input);

} // namespace soilrisk::io
