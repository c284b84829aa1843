#include "soilrisk/hydro/network.hpp"

#include <algorithm>
#include <cmath>
#include <geos_c.h>
#include <tbb/parallel_for.h>
#include <unordered_map>

#include "soilrisk/core/error.hpp"
#include "soilrisk/core/log.hpp"

namespace soilrisk::hydro {

namespace {

double step_m(const GridGeometry& g, std::size_t a, std::size_t b) {
    return g.distance_m(g.x(g.col_of(a)), g.y(g.row_of(a)), g.x(g.col_of(b)), g.y(g.row_of(b)));
}

// Donors of cell i (neighbours whose direction points at it).
template <class F>
void for_each_donor(const GridGeometry& g, const std::vector<std::uint8_t>& d8, std::size_t i,
                    F&& f) {
    const int r = g.row_of(i), c = g.col_of(i);
    for (int k = 0; k < 8; ++k) {
        const int rr = r + kDy[k], cc = c + kDx[k];
        if (rr < 0 || cc < 0 || rr >= g.height() || cc >= g.width()) continue;
        const std::size_t n = g.index(cc, rr);
        if (d8[n] == ((k + 4) & 7)) f(n);
    }
}

} // namespace

// --- streams --------------------------------------------------------------------

std::vector<StreamSegment> extract_streams(const GridGeometry& g,
                                           const std::vector<std::uint8_t>& d8,
                                           const Accumulation& acc, double min_area_m2) {
    if (!(min_area_m2 > 0))
        throw UsageError("--stream-area: the stream area threshold must be positive");
    const std::size_t n = g.size();
    std::vector<std::size_t> cells;
    if (!acc.area_m2.empty()) {
        if (acc.area_m2.size() != n) throw DataError("accumulated areas do not match the grid");
        const float threshold = static_cast<float>(min_area_m2);
        for (std::size_t i = 0; i < n; ++i)
            if (d8[i] != kNoData && acc.area_m2[i] >= threshold) cells.push_back(i);
    } else {
        if (!g.uniform_cells())
            throw DataError("stream extraction on a geographic grid needs the accumulated "
                            "areas");
        // Uniform cells: compare counts (exact).
        const double min_cells = std::ceil(min_area_m2 / g.cell_area_m2(0) - 1e-9);
        for (std::size_t i = 0; i < n; ++i)
            if (d8[i] != kNoData && acc.cells[i] >= min_cells) cells.push_back(i);
    }
    // `cells` is sorted (row-major scan): positions by binary search, 8 bytes per stream
    // cell instead of a hash map's ~40.
    auto position = [&](std::size_t c) -> std::int64_t {
        const auto it = std::lower_bound(cells.begin(), cells.end(), c);
        return it != cells.end() && *it == c ? std::int64_t(it - cells.begin()) : -1;
    };
    auto stream_down = [&](std::size_t i) -> std::int64_t {
        const auto j = downstream(g, d8, i);
        return j < 0 ? -1 : position(std::size_t(j));
    };
    const std::size_t m = cells.size();
    std::vector<std::int64_t> down(m);
    std::vector<std::uint8_t> donors(m, 0);
    for (std::size_t k = 0; k < m; ++k) {
        down[k] = stream_down(cells[k]);
        if (down[k] >= 0) ++donors[down[k]];
    }
    // Strahler order in topological order (Kahn).
    std::vector<std::uint8_t> remaining = donors;
    std::vector<int> order(m, 0), top(m, 0), top_count(m, 0);
    std::vector<std::uint32_t> queue;
    for (std::uint32_t k = 0; k < m; ++k)
        if (donors[k] == 0) {
            order[k] = 1;
            queue.push_back(k);
        }
    for (std::size_t q = 0; q < queue.size(); ++q) {
        const std::uint32_t k = queue[q];
        const std::int64_t d = down[k];
        if (d < 0) continue;
        if (order[k] > top[d]) {
            top[d] = order[k];
            top_count[d] = 1;
        } else if (order[k] == top[d]) {
            ++top_count[d];
        }
        if (--remaining[d] == 0) {
            order[d] = top_count[d] >= 2 ? top[d] + 1 : top[d];
            queue.push_back(static_cast<std::uint32_t>(d));
        }
    }
    // Segments start at heads and confluences.
    std::vector<StreamSegment> segs;
    std::unordered_map<std::size_t, int> seg_of_start;
    for (std::uint32_t k = 0; k < m; ++k)
        if (donors[k] != 1) {
            StreamSegment s;
            s.id = static_cast<int>(segs.size()) + 1;
            s.cells.push_back(cells[k]);
            seg_of_start.emplace(cells[k], s.id);
            segs.push_back(std::move(s));
        }
    tbb::parallel_for(std::size_t(0), segs.size(), [&](std::size_t si) {
        StreamSegment& s = segs[si];
        auto k = static_cast<std::uint32_t>(position(s.cells.front()));
        s.strahler = order[k];
        for (;;) {
            const std::int64_t d = down[k];
            if (d < 0) break;
            s.cells.push_back(cells[d]);
            if (donors[d] >= 2) break;
            k = static_cast<std::uint32_t>(d);
        }
        const std::size_t last_own = cells[k];
        s.upstream_area_m2 = acc.upstream_area_m2(g, last_own);
        s.upstream_cells = acc.cells[last_own];
        for (std::size_t v = 1; v < s.cells.size(); ++v)
            s.length_m += step_m(g, s.cells[v - 1], s.cells[v]);
    });
    for (auto& s : segs) {
        if (s.cells.size() < 2) continue;
        auto it = seg_of_start.find(s.cells.back());
        if (it != seg_of_start.end() && it->second != s.id) s.downstream_id = it->second;
    }
    return segs;
}

// --- sites ----------------------------------------------------------------------

Site make_site(const GridGeometry& g, const std::vector<float>& z, const std::string& id,
               const geos::Geom* geom) {
    auto* h = geos::ctx();
    Site s;
    s.id = id;
    const int type = GEOSGeomTypeId_r(h, geom);
    auto valid = [&](std::size_t i) { return !std::isnan(z[i]); };
    if (type == GEOS_POINT || type == GEOS_MULTIPOINT) {
        const geos::Geom* p = type == GEOS_POINT ? geom : GEOSGetGeometryN_r(h, geom, 0);
        if (!p || GEOSisEmpty_r(h, p)) throw DataError("site " + id + " has an empty point");
        GEOSGeomGetX_r(h, p, &s.x);
        GEOSGeomGetY_r(h, p, &s.y);
        if (auto c = g.cell_at(s.x, s.y); c && valid(*c)) s.cells.push_back(*c);
        return s;
    }
    if (type != GEOS_POLYGON && type != GEOS_MULTIPOLYGON)
        throw DataError("site " + id + " is a " + std::string(GEOSGeomType_r(h, geom)) +
                        "; give points or polygons");
    s.is_point = false;
    double x0, y0, x1, y1;
    if (!GEOSGeom_getXMin_r(h, geom, &x0) || !GEOSGeom_getYMin_r(h, geom, &y0) ||
        !GEOSGeom_getXMax_r(h, geom, &x1) || !GEOSGeom_getYMax_r(h, geom, &y1))
        return s;
    const auto& gt = g.geotransform();
    auto col_of_x = [&](double x) { return static_cast<int>(std::floor((x - gt[0]) / gt[1])); };
    auto row_of_y = [&](double y) { return static_cast<int>(std::floor((y - gt[3]) / gt[5])); };
    int c0 = col_of_x(x0), c1 = col_of_x(x1), r0 = row_of_y(y1), r1 = row_of_y(y0);
    if (c0 > c1) std::swap(c0, c1);
    if (r0 > r1) std::swap(r0, r1);
    c0 = std::max(c0, 0);
    r0 = std::max(r0, 0);
    c1 = std::min(c1, g.width() - 1);
    r1 = std::min(r1, g.height() - 1);
    geos::PreparedPtr prep(GEOSPrepare_r(h, geom));
    for (int r = r0; r <= r1; ++r)
        for (int c = c0; c <= c1; ++c) {
            const std::size_t i = g.index(c, r);
            if (!valid(i)) continue;
            geos::GeomPtr pt(GEOSGeom_createPointFromXY_r(h, g.x(c), g.y(r)));
            if (GEOSPreparedContains_r(h, prep.get(), pt.get()) == 1) s.cells.push_back(i);
        }
    if (s.cells.empty()) {
        geos::GeomPtr p(GEOSPointOnSurface_r(h, geom));
        double x, y;
        if (p && GEOSGeomGetX_r(h, p.get(), &x) && GEOSGeomGetY_r(h, p.get(), &y))
            if (auto c = g.cell_at(x, y); c && valid(*c)) s.cells.push_back(*c);
    }
    return s;
}

// --- traces ---------------------------------------------------------------------

const char* to_string(StopReason r) {
    switch (r) {
    case StopReason::max_length:
        return "max_length";
    case StopReason::dem_edge:
        return "dem_edge";
    case StopReason::nodata:
        return "nodata";
    case StopReason::outlet:
        return "outlet";
    case StopReason::merged:
        return "merged";
    }
    return "?";
}

std::vector<TracePath> trace_downstream(const GridGeometry& g, const std::vector<std::uint8_t>& d8,
                                        const std::vector<std::uint32_t>& acc_cells,
                                        const std::vector<Site>& sites, double max_length_m) {
    std::vector<const Site*> used;
    for (const Site& s : sites) {
        if (s.cells.empty())
            log_warning("source " + s.id + " lies outside the DEM or on nodata; not traced");
        else
            used.push_back(&s);
    }
    std::vector<TracePath> paths(used.size());
    tbb::parallel_for(std::size_t(0), used.size(), [&](std::size_t p) {
        const Site& s = *used[p];
        TracePath& t = paths[p];
        t.source_id = s.id;
        std::size_t start = s.cells.front();
        for (std::size_t c : s.cells)
            if (acc_cells[c] > acc_cells[start]) start = c;
        t.start_cell = start;
        t.cells.push_back(start);
        t.chainage_m.push_back(0.0);
        std::size_t cur = start;
        for (;;) {
            const std::int64_t j = downstream(g, d8, cur);
            if (j < 0) {
                const int r = g.row_of(cur), c = g.col_of(cur);
                bool nodata = false;
                for (int k = 0; k < 8 && !nodata; ++k) {
                    const int rr = r + kDy[k], cc = c + kDx[k];
                    if (rr >= 0 && cc >= 0 && rr < g.height() && cc < g.width())
                        nodata = d8[g.index(cc, rr)] == kNoData;
                }
                const bool edge = r == 0 || c == 0 || r == g.height() - 1 || c == g.width() - 1;
                t.stop = nodata ? StopReason::nodata
                                : (edge ? StopReason::dem_edge : StopReason::outlet);
                break;
            }
            const double next = t.chainage_m.back() + step_m(g, cur, std::size_t(j));
            if (max_length_m > 0 && next > max_length_m) {
                t.stop = StopReason::max_length;
                break;
            }
            cur = std::size_t(j);
            t.cells.push_back(cur);
            t.chainage_m.push_back(next);
        }
    });
    // Merge in input order: a path ends where it meets an earlier one.
    std::unordered_map<std::size_t, std::size_t> owner;
    for (std::size_t p = 0; p < paths.size(); ++p) {
        TracePath& t = paths[p];
        for (std::size_t v = 0; v < t.cells.size(); ++v) {
            auto it = owner.find(t.cells[v]);
            if (it == owner.end()) continue;
            t.cells.resize(v + 1);
            t.chainage_m.resize(v + 1);
            t.stop = StopReason::merged;
            t.merged_into = paths[it->second].source_id;
            break;
        }
        for (std::size_t c : t.cells)
            owner.emplace(c, p);
    }
    return paths;
}

// --- catchments -----------------------------------------------------------------

Snap snap_to_accumulation(const GridGeometry& g, const std::vector<std::uint32_t>& acc_cells,
                          double x, double y, double radius_m) {
    const auto home = g.cell_at(x, y);
    if (radius_m <= 0) {
        if (!home || acc_cells[*home] == 0)
            throw DataError("point (" + std::to_string(x) + ", " + std::to_string(y) +
                            ") lies outside the DEM or on nodata; move it or give --snap");
        return {*home, g.distance_m(x, y, g.x(g.col_of(*home)), g.y(g.row_of(*home)))};
    }
    const auto& gt = g.geotransform();
    const double fc = (x - gt[0]) / gt[1], fr = (y - gt[3]) / gt[5];
    const int rc = static_cast<int>(std::floor(fr));
    double min_w = 1e300, min_h = 1e300;
    for (int r = std::max(0, rc - 2); r <= std::min(g.height() - 1, rc + 2); ++r) {
        min_w = std::min(min_w, g.cell_width_m(r));
        min_h = std::min(min_h, g.cell_height_m(r));
    }
    if (min_w == 1e300) { // point beyond the grid rows: use the nearest row's sizes
        const int r = std::clamp(rc, 0, g.height() - 1);
        min_w = g.cell_width_m(r) * 0.5;
        min_h = g.cell_height_m(r);
    }
    const int dr = static_cast<int>(std::ceil(radius_m / min_h)) + 1;
    const int dc = static_cast<int>(std::ceil(radius_m / (min_w * 0.9))) + 1;
    const int cc = static_cast<int>(std::floor(fc));
    bool found = false;
    Snap best;
    std::uint32_t best_acc = 0;
    for (int r = std::max(0, rc - dr); r <= std::min(g.height() - 1, rc + dr); ++r)
        for (int c = std::max(0, cc - dc); c <= std::min(g.width() - 1, cc + dc); ++c) {
            const std::size_t i = g.index(c, r);
            const std::uint32_t a = acc_cells[i];
            if (a == 0 || (found && a < best_acc)) continue;
            const double d = g.distance_m(x, y, g.x(c), g.y(r));
            if (d > radius_m) continue;
            if (!found || a > best_acc || d < best.distance_m) {
                found = true;
                best_acc = a;
                best = {i, d};
            }
        }
    if (!found)
        throw DataError("no valid DEM cell within " + std::to_string(radius_m) + " m of (" +
                        std::to_string(x) + ", " + std::to_string(y) + ")");
    return best;
}

std::vector<Catchment> upstream_catchments(const GridGeometry& g,
                                           const std::vector<std::uint8_t>& d8,
                                           const std::vector<Site>& sites) {
    std::vector<const Site*> used;
    for (const Site& s : sites) {
        if (s.cells.empty())
            log_warning("target " + s.id + " lies outside the DEM or on nodata; skipped");
        else
            used.push_back(&s);
    }
    std::vector<Catchment> out(used.size());
    tbb::parallel_for(std::size_t(0), used.size(), [&](std::size_t t) {
        const Site& s = *used[t];
        Catchment& c = out[t];
        c.target_id = s.id;
        c.outlet_cell = s.cells.front();
        std::vector<bool> seen(g.size(), false);
        std::vector<std::size_t> queue;
        for (std::size_t i : s.cells)
            if (!seen[i]) {
                seen[i] = true;
                queue.push_back(i);
            }
        for (std::size_t q = 0; q < queue.size(); ++q)
            for_each_donor(g, d8, queue[q], [&](std::size_t n) {
                if (!seen[n]) {
                    seen[n] = true;
                    queue.push_back(n);
                }
            });
        int c0 = g.width(), c1 = -1, r0 = g.height(), r1 = -1;
        for (std::size_t i : queue) {
            const int r = g.row_of(i), col = g.col_of(i);
            c0 = std::min(c0, col);
            c1 = std::max(c1, col);
            r0 = std::min(r0, r);
            r1 = std::max(r1, r);
            c.area_m2 += g.cell_area_m2(r);
        }
        c.cells = queue.size();
        c.col0 = c0;
        c.row0 = r0;
        c.cols = c1 - c0 + 1;
        c.rows = r1 - r0 + 1;
        c.mask.assign(std::size_t(c.cols) * c.rows, 0);
        for (std::size_t i : queue)
            c.mask[std::size_t(g.row_of(i) - r0) * c.cols + (g.col_of(i) - c0)] = 1;
    });
    return out;
}

} // namespace soilrisk::hydro
