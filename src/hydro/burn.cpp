// Stream burning: river lines to grid cells, lowering the DEM at them.
#include "soilrisk/hydro/burn.hpp"

#include <gdal_priv.h>
#include <geos_c.h>

#include <algorithm>
#include <array>
#include <cmath>

#include "gdal_util.hpp"
#include "soilrisk/core/error.hpp"

namespace soilrisk::hydro {

namespace {

void add_coords(const GridGeometry& g, const GEOSCoordSequence* seq,
                std::vector<std::size_t>& out) {
    const auto c = geos::ctx();
    unsigned n = 0;
    GEOSCoordSeq_getSize_r(c, seq, &n);
    const auto& gt = g.geotransform();
    auto uv = [&](unsigned i) {
        double x = 0, y = 0;
        GEOSCoordSeq_getXY_r(c, seq, i, &x, &y);
        return std::array<double, 2>{(x - gt[0]) / gt[1], (y - gt[3]) / gt[5]};
    };
    auto put = [&](double u, double v) {
        const double fu = std::floor(u), fv = std::floor(v);
        if (!(fu >= 0 && fv >= 0 && fu < g.width() && fv < g.height())) return; // also NaN
        const std::size_t cell = g.index(int(fu), int(fv));
        if (out.empty() || out.back() != cell) out.push_back(cell);
    };
    if (n == 0) return;
    std::array<double, 2> a = uv(0);
    put(a[0], a[1]);
    for (unsigned i = 1; i < n; ++i) {
        const std::array<double, 2> b = uv(i);
        const double du = b[0] - a[0], dv = b[1] - a[1];
        const double span = std::max(std::abs(du), std::abs(dv));
        if (!std::isfinite(span))
            throw DataError("river line with a non-finite coordinate; repair the layer");
        // Samples at most half a cell apart per axis: an 8-connected chain of cells.
        const auto steps = static_cast<std::size_t>(std::max(1.0, std::ceil(2 * span)));
        for (std::size_t k = 1; k <= steps; ++k) {
            const double t = double(k) / double(steps);
            put(a[0] + t * du, a[1] + t * dv);
        }
        a = b;
    }
}

void add_geometry(const GridGeometry& g, const geos::Geom* geom, std::vector<std::size_t>& out) {
    const auto c = geos::ctx();
    switch (GEOSGeomTypeId_r(c, geom)) {
    case GEOS_LINESTRING:
    case GEOS_LINEARRING:
        if (GEOSisEmpty_r(c, geom) != 1) add_coords(g, GEOSGeom_getCoordSeq_r(c, geom), out);
        return;
    case GEOS_MULTILINESTRING:
    case GEOS_GEOMETRYCOLLECTION: {
        const int n = GEOSGetNumGeometries_r(c, geom);
        for (int i = 0; i < n; ++i)
            add_geometry(g, GEOSGetGeometryN_r(c, geom, i), out);
        return;
    }
    default: {
        char* type = GEOSGeomType_r(c, geom);
        const std::string name = type ? type : "geometry";
        GEOSFree_r(c, type);
        throw DataError("a " + name + " is not a line; rivers are burned from their centre lines");
    }
    }
}

} // namespace

std::vector<std::size_t> line_cells(const GridGeometry& g, const geos::Geom* line) {
    std::vector<std::size_t> out;
    if (!line) return out;
    add_geometry(g, line, out);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

void burn_cells(std::vector<float>& z, const std::vector<std::size_t>& cells, double depth) {
    for (const std::size_t i : cells)
        if (i < z.size() && !std::isnan(z[i])) z[i] = static_cast<float>(double(z[i]) - depth);
}

} // namespace soilrisk::hydro
