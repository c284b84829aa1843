#include "soilrisk/hydro/flow.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cmath>
#include <limits>
#include <string>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/parallel_reduce.h>

#include "flood_common.hpp"
#include "memory.hpp"
#include "soilrisk/core/error.hpp"

namespace soilrisk::hydro {

// --- encodings -------------------------------------------------------------------

D8Encoding parse_d8_encoding(std::string_view text) {
    if (text == "esri") return D8Encoding::esri;
    if (text == "grass") return D8Encoding::grass;
    if (text == "taudem") return D8Encoding::taudem;
    throw UsageError("--d8-encoding: '" + std::string(text) +
                     "' is not an encoding; use esri, grass or taudem");
}

const char* to_string(D8Encoding e) {
    switch (e) {
    case D8Encoding::esri:
        return "esri";
    case D8Encoding::grass:
        return "grass";
    case D8Encoding::taudem:
        return "taudem";
    }
    return "?";
}

std::uint8_t encode_d8(std::uint8_t d, D8Encoding e) {
    if (d == kNoData) return 255;
    if (d >= 8) return 0;
    switch (e) {
    case D8Encoding::esri:
        return static_cast<std::uint8_t>(1u << d);
    case D8Encoding::grass:
        return static_cast<std::uint8_t>(8 - d);
    case D8Encoding::taudem:
        return static_cast<std::uint8_t>(d == 0 ? 1 : 9 - d);
    }
    return 0;
}

std::uint8_t decode_d8(std::uint8_t v, D8Encoding e) {
    if (v == 255) return kNoData;
    if (v == 0) return kOutlet;
    switch (e) {
    case D8Encoding::esri:
        if ((v & (v - 1)) == 0) return static_cast<std::uint8_t>(std::countr_zero(unsigned(v)));
        break;
    case D8Encoding::grass:
        if (v <= 8) return static_cast<std::uint8_t>(8 - v);
        break;
    case D8Encoding::taudem:
        if (v <= 8) return static_cast<std::uint8_t>(v == 1 ? 0 : 9 - v);
        break;
    }
    throw DataError("D8 value " + std::to_string(v) + " is not a " + to_string(e) +
                    " direction code; check --d8-encoding");
}

NodataAs parse_nodata_as(std::string_view text) {
    if (text == "outlet") return NodataAs::outlet;
    if (text == "wall") return NodataAs::wall;
    throw UsageError("--nodata-as: '" + std::string(text) + "' is not known; use outlet or wall");
}

const char* to_string(NodataAs n) {
    return n == NodataAs::outlet ? "outlet" : "wall";
}

// --- Priority-Flood with directions ----------------------------------------------

namespace {

using detail::kIsland;
using detail::kPending;
using detail::kUnvisited;
using detail::Node;
using detail::NodeAfter;
using detail::RadixQueue;
using detail::unvisited;

class Flood {
  public:
    Flood(const GridGeometry& g, float* z, std::uint8_t* dir, Progress progress, std::size_t valid)
        : w_(g.width()), h_(g.height()), z_(z), dir_(dir), progress_(progress), valid_(valid) {
        for (int k = 0; k < 8; ++k)
            off_[k] = std::ptrdiff_t(kDy[k]) * w_ + kDx[k];
    }

    void seed(std::vector<Node> seeds) {
        for (const Node& n : seeds)
            heap_.push(RadixQueue::key(n.z, n.i));
    }
    void push_seed(std::uint32_t i) { heap_.push(RadixQueue::key(z_[i], i)); }

    void run() {
        float level = -std::numeric_limits<float>::infinity();
        for (;;) {
            std::uint32_t c;
            bool maybe_edge = false;
            if (pit_head_ < pit_.size() &&
                (heap_.empty() || RadixQueue::elevation(heap_.top()) > level)) {
                c = pit_[pit_head_++];
                if (pit_head_ == pit_.size()) {
                    pit_.clear();
                    pit_head_ = 0;
                } else if (pit_head_ > (1u << 20) && pit_head_ * 2 > pit_.size()) {
                    pit_.erase(pit_.begin(), pit_.begin() + std::ptrdiff_t(pit_head_));
                    pit_head_ = 0;
                }
            } else if (!heap_.empty()) {
                const std::uint64_t k = heap_.pop();
                c = RadixQueue::cell(k);
                level = RadixQueue::elevation(k);
                maybe_edge = true; // seeds are on the edge
            } else {
                break;
            }
            expand(c, level, maybe_edge);
        }
    }

    std::size_t raised = 0, flat = 0, heap_pushes = 0;
    double max_raise = 0;

  private:
    bool interior(std::uint32_t c, int& row, int& col) const {
        // Division by multiplication (an integer division per cell costs ~10% here).
        std::uint64_t r = static_cast<std::uint64_t>(double(c) * inv_w_);
        if (r * std::uint64_t(w_) > c)
            --r;
        else if ((r + 1) * std::uint64_t(w_) <= c)
            ++r;
        row = static_cast<int>(r);
        col = static_cast<int>(c - r * std::uint64_t(w_));
        return row > 0 && col > 0 && row < h_ - 1 && col < w_ - 1;
    }
    bool inside(int row, int col, int k) const {
        const int r = row + kDy[k], q = col + kDx[k];
        return r >= 0 && q >= 0 && r < h_ && q < w_;
    }

    void count() {
        if ((++processed_ & ((1u << 20) - 1)) == 0)
            progress_(double(processed_) / double(std::max<std::size_t>(valid_, 1)),
                      "filling depressions");
    }

    // Expands a cell popped from the priority queue or the pit queue.
    // Cells that were unvisited when met are never on the DEM's edge (every valid edge
    // cell is a seed): only seeds need bounds checks, and trace and the two tests below
    // look at all eight neighbours without them.
    void expand(std::uint32_t c, float zc, bool maybe_edge) {
        count();
        int row = 0, col = 0;
        const bool in = !maybe_edge || interior(c, row, col);
        for (int k = 0; k < 8; ++k) {
            if (!in && !inside(row, col, k)) continue;
            const std::uint32_t n = static_cast<std::uint32_t>(c + off_[k]);
            if (!unvisited(dir_[n])) continue;
            const float zn = z_[n];
            if (zn <= zc) {
                if (zn < zc) {
                    ++raised;
                    max_raise = std::max(max_raise, double(zc) - double(zn));
                    z_[n] = zc;
                }
                ++flat;
                dir_[n] = static_cast<std::uint8_t>((k + 4) & 7);
                pit_.push_back(n);
            } else {
                dir_[n] = kPending;
                trace(n);
            }
        }
    }

    // Whether cell m (unvisited) is strictly higher than one of its finished neighbours:
    // then its spill level is below its elevation and it is finished as it is.
    bool above_finished(std::uint32_t m) const {
        const float zm = z_[m];
        for (int k = 0; k < 8; ++k) {
            const std::uint32_t q = static_cast<std::uint32_t>(m + off_[k]);
            const std::uint8_t dq = dir_[q];
            if (dq != kNoData && !unvisited(dq) && z_[q] < zm) return true;
        }
        return false;
    }

    // Zhou et al. (2016): a cell higher than a finished cell is finished at its own
    // elevation; follow rising terrain without the priority queue, and queue only the
    // cells that border unvisited cells not higher than themselves.
    void trace(std::uint32_t start) {
        stack_.push_back(start);
        while (!stack_.empty()) {
            const std::uint32_t t = stack_.back();
            stack_.pop_back();
            if (t != start) count();
            const float zt = z_[t];
            bool low = false;
            for (int k = 0; k < 8; ++k) {
                const std::uint32_t m = static_cast<std::uint32_t>(t + off_[k]);
                if (!unvisited(dir_[m])) continue;
                if (z_[m] > zt || above_finished(m)) {
                    dir_[m] = kPending;
                    stack_.push_back(m);
                } else {
                    low = true;
                }
            }
            if (low) deferred_.push_back(t);
        }
        // Cells that had a lower unvisited neighbour go to the queue only if the trace
        // did not reach that neighbour after all (most are reached; pushing them all
        // would cost a cache miss per useless pop later).
        for (const std::uint32_t t : deferred_) {
            if (!has_unvisited_low(t)) continue;
            ++heap_pushes;
            heap_.push(RadixQueue::key(z_[t], t));
        }
        deferred_.clear();
    }

    bool has_unvisited_low(std::uint32_t t) const {
        const float zt = z_[t];
        for (int k = 0; k < 8; ++k) {
            const std::uint32_t m = static_cast<std::uint32_t>(t + off_[k]);
            if (unvisited(dir_[m]) && z_[m] <= zt) return true;
        }
        return false;
    }

    int w_, h_;
    double inv_w_ = 1.0 / w_;
    float* z_;
    std::uint8_t* dir_;
    Progress progress_;
    std::size_t valid_;
    std::ptrdiff_t off_[8];
    RadixQueue heap_;
    std::vector<std::uint32_t> pit_;
    std::size_t pit_head_ = 0;
    std::vector<std::uint32_t> stack_, deferred_;
    std::size_t processed_ = 0;
};

constexpr int kRowChunk = 64;

} // namespace

namespace detail {

std::size_t steepest_descent(const GridGeometry& g, const float* z, std::uint8_t* dir,
                             Progress progress) {
    const int w = g.width(), h = g.height();
    const int chunks = (h + kRowChunk - 1) / kRowChunk;
    std::atomic<std::size_t> outlets{0};
    tbb::parallel_for(0, chunks, [&](int ch) {
        const int r0 = ch * kRowChunk, r1 = std::min(h, r0 + kRowChunk);
        std::size_t local_outlets = 0;
        for (int r = r0; r < r1; ++r) {
            const DescentRow row(g, r);
            for (int c = 0; c < w; ++c) {
                const std::size_t i = std::size_t(r) * w + c;
                if (dir[i] != kPending) continue;
                dir[i] = row.best(z, c);
                local_outlets += dir[i] == kOutlet;
            }
        }
        outlets += local_outlets;
        if (ch % 16 == 0) progress(double(r1) / h, "flow directions");
    });
    return outlets;
}

} // namespace detail

int flood_strips(const GridGeometry& g, NodataAs nodata_as) {
    if (nodata_as != NodataAs::outlet || g.size() < (std::size_t(1) << 21) || g.height() < 1024)
        return 1;
    return 2 * std::clamp(g.height() / 1024, 1, 32);
}

std::vector<std::uint8_t> fill_and_direct(Dem& dem, NodataAs nodata_as, Progress progress,
                                          FloodStats* stats, int strips,
                                          const std::function<void()>& on_filled) {
    const GridGeometry& g = dem.geometry;
    const int w = g.width(), h = g.height();
    const std::size_t n = g.size();
    if (dem.z.size() != n) throw DataError(dem.source + ": DEM values do not match its size");
    if (n >= std::numeric_limits<std::uint32_t>::max())
        throw DataError(dem.source + ": more than 4.29 billion cells; split the DEM into tiles");
    if (strips <= 0) strips = flood_strips(g, nodata_as);
    if (nodata_as != NodataAs::outlet) strips = 1;
    if (strips > 1 && h >= 2 * strips)
        return detail::fill_and_direct_strips(dem, strips, progress, stats, on_filled);
    float* z = dem.z.data();
    std::vector<std::uint8_t> dir;
    assign_huge(dir, n, std::uint8_t(0));
    const bool outlet = nodata_as == NodataAs::outlet;
    const Progress p_seed = progress.part(0.0, 0.05), p_flood = progress.part(0.05, 0.9),
                   p_dir = progress.part(0.9, 1.0);

    // Nodata marks and seeds, in row chunks (seeds concatenated in row order).
    const int chunks = (h + kRowChunk - 1) / kRowChunk;
    std::vector<std::vector<Node>> chunk_seeds(chunks);
    std::vector<std::size_t> chunk_valid(chunks, 0);
    tbb::parallel_for(0, chunks, [&](int ch) {
        const int r0 = ch * kRowChunk, r1 = std::min(h, r0 + kRowChunk);
        for (int r = r0; r < r1; ++r)
            for (int c = 0; c < w; ++c) {
                const std::size_t i = std::size_t(r) * w + c;
                dir[i] = std::isnan(z[i]) ? kNoData : kUnvisited;
            }
        std::size_t valid = 0;
        for (int r = r0; r < r1; ++r)
            for (int c = 0; c < w; ++c) {
                const std::size_t i = std::size_t(r) * w + c;
                if (std::isnan(z[i])) continue;
                ++valid;
                bool seed = r == 0 || c == 0 || r == h - 1 || c == w - 1;
                for (int k = 0; k < 8 && !seed && outlet; ++k)
                    seed = std::isnan(z[i + std::ptrdiff_t(kDy[k]) * w + kDx[k]]);
                if (seed) chunk_seeds[ch].push_back({z[i], static_cast<std::uint32_t>(i)});
            }
        chunk_valid[ch] = valid;
    });
    std::vector<Node> seeds;
    std::size_t valid = 0;
    for (int ch = 0; ch < chunks; ++ch) {
        valid += chunk_valid[ch];
        seeds.insert(seeds.end(), chunk_seeds[ch].begin(), chunk_seeds[ch].end());
        std::vector<Node>().swap(chunk_seeds[ch]);
    }
    for (const Node& s : seeds)
        dir[s.i] = kPending;
    p_seed(1.0, "seeding");

    Flood flood(g, z, dir.data(), p_flood, valid);
    flood.seed(std::move(seeds));
    flood.run();

    // Wall mode: regions enclosed by nodata drain to an outlet at their lowest cell.
    std::size_t islands = 0;
    if (!outlet) {
        std::vector<std::uint32_t> queue;
        for (std::size_t i = 0; i < n; ++i) {
            if (dir[i] != kUnvisited) continue;
            Node low{z[i], static_cast<std::uint32_t>(i)};
            queue.assign(1, static_cast<std::uint32_t>(i));
            dir[i] = kIsland;
            for (std::size_t q = 0; q < queue.size(); ++q) {
                const std::uint32_t c = queue[q];
                if (NodeAfter{}(low, Node{z[c], c})) low = {z[c], c};
                const int row = g.row_of(c), col = g.col_of(c);
                for (int k = 0; k < 8; ++k) {
                    const int rr = row + kDy[k], cc = col + kDx[k];
                    if (rr < 0 || cc < 0 || rr >= h || cc >= w) continue;
                    const std::size_t m = g.index(cc, rr);
                    if (dir[m] != kUnvisited) continue;
                    dir[m] = kIsland;
                    queue.push_back(static_cast<std::uint32_t>(m));
                }
            }
            dir[low.i] = kPending;
            flood.push_seed(low.i);
            ++islands;
        }
        if (islands) flood.run();
    }

    if (on_filled) on_filled();
    // Steepest descent on the filled surface for every cell not directed by the flood.
    const std::size_t outlets = detail::steepest_descent(g, z, dir.data(), p_dir);
    // Flood-directed cells that are outlets: island outlets already marked pending above.
    if (stats) {
        stats->valid_cells = valid;
        stats->raised_cells = flood.raised;
        stats->flat_cells = flood.flat;
        stats->max_raise_m = flood.max_raise;
        stats->outlets = outlets;
        stats->islands = islands;
        stats->queued_cells = flood.heap_pushes;
    }
    p_dir(1.0, "flow directions");
    return dir;
}

// --- accumulation ----------------------------------------------------------------

double Accumulation::upstream_area_m2(const GridGeometry& g, std::size_t i) const {
    if (!area_m2.empty()) return area_m2[i];
    if (!g.uniform_cells())
        throw DataError("upstream areas on a geographic grid need the accumulated areas "
                        "(accumulate with_area)");
    return double(cells[i]) * g.cell_area_m2(0);
}

namespace {
constexpr std::uint8_t kSource = 0x80; // in-degree marker of cells nobody drains into
}

Accumulation accumulate(const GridGeometry& g, const std::vector<std::uint8_t>& d8, bool with_area,
                        Progress progress) {
    const int w = g.width(), h = g.height();
    const std::size_t n = g.size();
    if (d8.size() != n) throw DataError("flow directions do not match the grid size");
    Accumulation acc;
    assign_huge(acc.cells, n, std::uint32_t(0));
    if (with_area) assign_huge(acc.area_m2, n, 0.0f);
    std::vector<std::uint8_t> indeg;
    assign_huge(indeg, n, std::uint8_t(0));
    const int chunks = (h + kRowChunk - 1) / kRowChunk;
    std::ptrdiff_t off[8];
    for (int k = 0; k < 8; ++k)
        off[k] = std::ptrdiff_t(kDy[k]) * w + kDx[k];

    auto inside = [&](int r, int c, int k) {
        const int rr = r + kDy[k], cc = c + kDx[k];
        return rr >= 0 && cc >= 0 && rr < h && cc < w;
    };

    // In-degrees by scatter: each cell adds one to the cell it drains to (and directions
    // must stay on valid cells). The first and last rows of a chunk are also reached from
    // the neighbouring chunks: counts there are atomic.
    auto shared_row = [&](int r) {
        const int q = r % kRowChunk;
        return q == 0 || q == kRowChunk - 1;
    };
    tbb::parallel_for(0, chunks, [&](int ch) {
        const int r0 = ch * kRowChunk, r1 = std::min(h, r0 + kRowChunk);
        for (int r = r0; r < r1; ++r)
            for (int c = 0; c < w; ++c) {
                const std::size_t i = std::size_t(r) * w + c;
                const std::uint8_t d = d8[i];
                if (d >= 8) continue; // outlet or nodata
                if (!inside(r, c, d) || d8[i + off[d]] == kNoData)
                    throw DataError("flow direction at row " + std::to_string(r) + ", column " +
                                    std::to_string(c) +
                                    " points off the grid or into nodata; the D8 raster is not "
                                    "consistent with its DEM");
                const std::size_t j = i + off[d];
                if (shared_row(r + kDy[d]))
                    std::atomic_ref<std::uint8_t>(indeg[j]).fetch_add(1, std::memory_order_relaxed);
                else
                    ++indeg[j];
            }
    });
    std::uint32_t* cells = acc.cells.data();
    float* area = with_area ? acc.area_m2.data() : nullptr;
    // Cells nobody drains into start the walks; without areas every cell starts at 1.
    tbb::parallel_for(0, chunks, [&](int ch) {
        const std::size_t b = std::size_t(ch) * kRowChunk * w,
                          e = std::min(n, b + std::size_t(kRowChunk) * w);
        for (std::size_t i = b; i < e; ++i) {
            if (d8[i] == kNoData) continue;
            if (indeg[i] == 0) indeg[i] = kSource;
            if (!area) cells[i] = 1;
        }
    });
    progress(0.2, "flow accumulation");

    // With areas, a cell whose donors are all done pulls their totals in the fixed order
    // E..NE (float sums in the same order every run); counts alone are pushed downstream
    // with atomic adds (integer sums: the order does not matter).
    auto pull = [&](std::size_t i, int r, int c) {
        std::uint32_t s = 1;
        float a = 0;
        const bool interior = r > 0 && c > 0 && r < h - 1 && c < w - 1;
        for (int k = 0; k < 8; ++k) {
            if (!interior && !inside(r, c, k)) continue;
            const std::size_t m = i + off[k];
            if (d8[m] == ((k + 4) & 7)) {
                s += cells[m];
                a += area[m];
            }
        }
        cells[i] = s;
        area[i] = static_cast<float>(g.cell_area_m2(r)) + a;
    };
    tbb::parallel_for(0, chunks, [&](int ch) {
        const int r0 = ch * kRowChunk, r1 = std::min(h, r0 + kRowChunk);
        for (int r = r0; r < r1; ++r)
            for (int c = 0; c < w; ++c) {
                std::size_t i = std::size_t(r) * w + c;
                if (indeg[i] != kSource) continue;
                int ri = r, ci = c;
                if (area) pull(i, ri, ci);
                for (;;) {
                    const std::uint8_t d = d8[i];
                    if (d >= 8) break;
                    const std::size_t j = i + off[d];
                    if (!area)
                        std::atomic_ref<std::uint32_t>(cells[j]).fetch_add(
                            cells[i], std::memory_order_relaxed);
                    std::atomic_ref<std::uint8_t> in(indeg[j]);
                    if (in.fetch_sub(1, std::memory_order_acq_rel) != 1) break;
                    i = j;
                    ri += kDy[d];
                    ci += kDx[d];
                    if (area) pull(i, ri, ci);
                }
            }
        if (ch % 16 == 0) progress(0.2 + 0.8 * double(r1) / h, "flow accumulation");
    });
    // Cells still waiting for a donor lie on a cycle.
    const std::size_t stuck = tbb::parallel_reduce(
        tbb::blocked_range<std::size_t>(0, n), std::size_t(0),
        [&](const tbb::blocked_range<std::size_t>& rg, std::size_t s) {
            for (std::size_t i = rg.begin(); i != rg.end(); ++i)
                s += d8[i] != kNoData && indeg[i] != kSource && indeg[i] != 0;
            return s;
        },
        std::plus<>());
    if (stuck)
        throw DataError(std::to_string(stuck) +
                        " cells lie on flow-direction cycles; the D8 raster is not a valid "
                        "drainage (was it written with another --d8-encoding?)");
    progress(1.0, "flow accumulation");
    return acc;
}

} // namespace soilrisk::hydro
