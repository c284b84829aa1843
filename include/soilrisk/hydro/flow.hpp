// Depression filling, D8 flow directions and flow accumulation over a DEM grid.
//
// Algorithm. One Priority-Flood pass (R. Barnes, C. Lehman, D. Mulla, "Priority-Flood:
// An optimal depression-filling and watershed-labeling algorithm", Computers &
// Geosciences 62 (2014) 117–127) with the plain FIFO queue for cells inside depressions
// and flats (Barnes et al. 2014, "improved" variant) and the trace of rising slopes past
// the priority queue of G. Zhou, Z. Sun, S. Fu, "An efficient variant of the
// Priority-Flood algorithm for filling depressions in raster digital elevation models",
// Computers & Geosciences 90 (2016) 87–96:
//   - seeds: every valid cell on the DEM edge and, with NodataAs::outlet, every valid
//     cell with a nodata neighbour (8-connected);
//   - a cell reached from a cell at spill level L and not higher than L is raised to L
//     (depression or flat) and gets the D8 direction towards the cell that reached it.
//     The flood visits a flat breadth-first from all its spill cells at once, so every
//     flat and filled depression drains along shortest (in D8 steps) paths to its spill
//     cells — this is the flat resolution; the filled surface itself stays exactly flat
//     (no epsilon gradient is added);
//   - every other cell keeps its elevation and drains by steepest descent on the filled
//     surface: the neighbour maximising (z − z_n) / d_n, d_n = true cell width, height or
//     hypot(width, height) for diagonals (√2 × cell size on square cells); ties go to
//     the first neighbour in the order E, SE, S, SW, W, NW, N, NE.
//   Seeds without a strictly lower valid neighbour are outlets (water leaves the DEM).
//   With NodataAs::wall, a valid region that does not touch the DEM edge drains to an
//   outlet at its lowest cell (ties: first in row-major order).
// Result: every valid cell drains, through strictly decreasing (filled elevation, flood
// order), to an outlet — no cycles, no interior pits.
//
// Accumulation counts, for every cell, the cells draining through it including itself,
// and sums their true areas (m², per-row cell areas on geographic grids). It runs in
// topological order without recursion: in-degrees are counted, then walks start at the
// cells nobody drains into and continue into a receiver once its last donor is done
// (parallel over row stripes with atomic in-degrees; each cell's values are pulled from
// its donors in a fixed order, so results do not depend on the thread count).
//
// Memory: filled 4 + directions 1 + accumulated cells 4 + accumulated area 4 + in-degree
// 1 (temporary) = 14 bytes per cell, plus the flood's queues (proportional to the flood
// front, not the grid).
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "soilrisk/core/progress.hpp"
#include "soilrisk/hydro/grid.hpp"

namespace soilrisk::hydro {

/// Internal D8 codes held in memory (one byte per cell): 0..7 = E, SE, S, SW, W, NW,
/// N, NE (clockwise from east; column/row offsets in kDx/kDy), kOutlet = the cell
/// drains out of the DEM, kNoData = nodata cell.
inline constexpr std::uint8_t kOutlet = 8;
inline constexpr std::uint8_t kNoData = 255;
inline constexpr int kDx[8] = {1, 1, 0, -1, -1, -1, 0, 1};
inline constexpr int kDy[8] = {0, 1, 1, 1, 0, -1, -1, -1};

/// Encodings of D8 rasters on disk. In all three, 0 = outlet (drains out of the DEM)
/// and 255 = nodata.
///   esri:   1=E, 2=SE, 4=S, 8=SW, 16=W, 32=NW, 64=N, 128=NE (ArcGIS Flow Direction,
///           pysheds default).
///   grass:  1=NE, 2=N, 3=NW, 4=W, 5=SW, 6=S, 7=SE, 8=E: the r.watershed "drainage"
///           coding, code × 45° = direction counter-clockwise from east (r.watershed
///           itself marks outflow with negative codes; here it is 0).
///   taudem: 1=E, 2=NE, 3=N, 4=NW, 5=W, 6=SW, 7=S, 8=SE (TauDEM D8FlowDir "p" grid).
enum class D8Encoding { esri, grass, taudem };

/// Parses "esri" / "grass" / "taudem"; throws UsageError otherwise.
D8Encoding parse_d8_encoding(std::string_view text);
const char* to_string(D8Encoding e);
/// Internal code -> encoded byte, and back (throws DataError for a byte that is not a
/// code of `e`).
std::uint8_t encode_d8(std::uint8_t internal, D8Encoding e);
std::uint8_t decode_d8(std::uint8_t encoded, D8Encoding e);

/// How nodata cells act: outlet (water may leave the DEM into them: sea, voids,
/// outside the basin) or wall (water never enters them).
enum class NodataAs { outlet, wall };
NodataAs parse_nodata_as(std::string_view text);
const char* to_string(NodataAs n);

struct FloodStats {
    std::size_t valid_cells = 0;
    std::size_t raised_cells = 0; ///< cells raised by filling (depressions)
    std::size_t flat_cells = 0;   ///< cells directed by the flood (depressions + flats)
    std::size_t outlets = 0;
    std::size_t islands = 0;      ///< wall mode: enclosed regions given an outlet
    std::size_t queued_cells = 0; ///< cells that went through the priority queue
    double max_raise_m = 0;
};

/// Fills depressions of `dem` in place (dem.z becomes the filled surface) and returns
/// the D8 directions (internal codes, one byte per cell). Thread-safe for distinct DEMs.
///
/// `strips`: 0 chooses. Large grids in outlet mode (2^21 cells or more, 1024 rows or
/// more) are flooded in parallel in an even number of horizontal strips of 512 to 1024
/// rows (Barnes 2016), the others in one piece. The filled surface is the same either way;
/// directions over flats may differ (each drains every cell). The choice depends on the
/// grid alone, not on the number of threads. 1 forces the serial flood; n > 1 forces n
/// strips (outlet mode only; wall mode is always serial).
///
/// `on_filled`, when given, is called once dem.z holds the final filled surface, while
/// the directions are still being worked out (which only read it): a caller may start
/// writing the surface meanwhile.
std::vector<std::uint8_t> fill_and_direct(Dem& dem, NodataAs nodata_as = NodataAs::outlet,
                                          Progress progress = {}, FloodStats* stats = nullptr,
                                          int strips = 0,
                                          const std::function<void()>& on_filled = {});

/// The strip count fill_and_direct chooses for a grid (1 = serial).
int flood_strips(const GridGeometry& g, NodataAs nodata_as);

/// Accumulated cells and areas.
struct Accumulation {
    std::vector<std::uint32_t> cells; ///< cells draining through each cell, incl. itself
                                      ///< (0 on nodata cells)
    std::vector<float> area_m2;       ///< their summed true area (m²); empty when not
                                      ///< asked for. float32: relative rounding ~1e-6

    /// Upstream area of cell i in m²: the accumulated area when computed, else cells ×
    /// the cell area, which is exact on grids of uniform cells (projected CRS; see
    /// GridGeometry::uniform_cells) and throws DataError on the others.
    double upstream_area_m2(const GridGeometry& g, std::size_t i) const;
};

/// Flow accumulation over D8 directions (internal codes) of a grid. Throws DataError
/// when the directions contain a cycle or point off the grid (only possible for
/// directions read from a file).
Accumulation accumulate(const GridGeometry& geometry, const std::vector<std::uint8_t>& d8,
                        bool with_area = true, Progress progress = {});

/// The cell that `index` drains into, or -1 for an outlet or nodata cell (or a direction
/// pointing off the grid).
inline std::int64_t downstream(const GridGeometry& g, const std::vector<std::uint8_t>& d8,
                               std::size_t index) {
    const std::uint8_t d = d8[index];
    if (d >= 8) return -1;
    const int col = g.col_of(index) + kDx[d], row = g.row_of(index) + kDy[d];
    if (col < 0 || row < 0 || col >= g.width() || row >= g.height()) return -1;
    return static_cast<std::int64_t>(g.index(col, row));
}

} // namespace soilrisk::hydro
