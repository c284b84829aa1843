// Private to the analyses: where a layer that should hold polygons holds something else.
#pragma once

#include <geos_c.h>
#include <string>

#include "soilrisk/core/geos.hpp"
#include "soilrisk/io/vector.hpp"

namespace soilrisk::analysis::detail {

/// " (feature 7 is a point)" for the first feature that is not polygonal; "" if none.
inline std::string first_non_polygon(const io::Layer& layer) {
    auto h = geos::ctx();
    for (const auto& f : layer.features) {
        const int t = GEOSGeomTypeId_r(h, f.geom.get());
        if (t == GEOS_POLYGON || t == GEOS_MULTIPOLYGON) continue;
        const char* what =
            t == GEOS_POINT || t == GEOS_MULTIPOINT ? "a point"
            : t == GEOS_LINESTRING || t == GEOS_MULTILINESTRING || t == GEOS_LINEARRING
                ? "a line"
                : "a geometry collection";
        return " (feature " + std::to_string(f.fid) + " is " + what + ")";
    }
    return "";
}

} // namespace soilrisk::analysis::detail
