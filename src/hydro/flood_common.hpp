// Private to src/hydro: the pieces the serial Priority-Flood (flow.cpp) and the
// parallel strip flood (strip_flood.cpp) share.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "soilrisk/hydro/flow.hpp"

namespace soilrisk::hydro::detail {

constexpr std::uint8_t kUnvisited = 254;
constexpr std::uint8_t kIsland = 253; // unvisited, already found in an island search
constexpr std::uint8_t kPending = 9;  // visited; direction by steepest descent later

// Priority queue of the flood: a radix heap (R. K. Ahuja, K. Mehlhorn, J. Orlin, R. E.
// Tarjan, "Faster algorithms for the shortest path problem", J. ACM 37 (1990)). The flood
// is monotone (nothing is pushed below the last popped key), which is all a radix heap
// needs; its pushes are appends and its pops scan short vectors, far cheaper than a
// binary heap's cache misses. Keys are (elevation, cell index) packed into 64 bits so
// that ties go to the first cell in row-major order, as with a sorted queue.
class RadixQueue {
  public:
    static std::uint64_t key(float z, std::uint32_t i) {
        std::uint32_t u = std::bit_cast<std::uint32_t>(z + 0.0f); // -0 -> +0
        u = (u & 0x80000000u) ? ~u : (u | 0x80000000u);           // order-preserving
        return (std::uint64_t(u) << 32) | i;
    }
    static std::uint32_t cell(std::uint64_t k) { return static_cast<std::uint32_t>(k); }
    static float elevation(std::uint64_t k) {
        std::uint32_t u = static_cast<std::uint32_t>(k >> 32);
        u = (u & 0x80000000u) ? (u & 0x7fffffffu) : ~u;
        return std::bit_cast<float>(u);
    }

    bool empty() const { return size_ == 0; }
    std::size_t size() const { return size_; }
    void push(std::uint64_t k) {
        if (size_ == 0 && k < last_) last_ = 0; // a fresh start (islands)
        buckets_[bucket_of(k)].push_back(k);
        ++size_;
        if (peeked_) peek_ = std::min(peek_, k);
    }
    // The smallest key, without committing to it: pushes between a peek and the next
    // pop may still be smaller than the peeked key (but never below the last pop).
    std::uint64_t top() {
        if (!peeked_) {
            if (!buckets_[0].empty()) {
                peek_ = buckets_[0].back();
            } else {
                int i = 1;
                while (buckets_[i].empty())
                    ++i;
                peek_ = *std::min_element(buckets_[i].begin(), buckets_[i].end());
            }
            peeked_ = true;
        }
        return peek_;
    }
    std::uint64_t pop() {
        refill();
        const std::uint64_t k = buckets_[0].back();
        buckets_[0].pop_back();
        --size_;
        peeked_ = false;
        return k;
    }

  private:
    int bucket_of(std::uint64_t k) const {
        return k == last_ ? 0 : 64 - std::countl_zero(k ^ last_);
    }
    void refill() {
        if (!buckets_[0].empty()) return;
        int i = 1;
        while (buckets_[i].empty())
            ++i;
        auto& b = buckets_[i];
        last_ = *std::min_element(b.begin(), b.end());
        for (std::uint64_t k : b)
            buckets_[bucket_of(k)].push_back(k);
        b.clear();
    }
    std::array<std::vector<std::uint64_t>, 65> buckets_;
    std::uint64_t last_ = 0;
    std::uint64_t peek_ = 0;
    bool peeked_ = false;
    std::size_t size_ = 0;
};

struct Node {
    float z;
    std::uint32_t i;
};
// Order of the island search: lowest, then first cell.
struct NodeAfter {
    bool operator()(const Node& a, const Node& b) const {
        return a.z > b.z || (a.z == b.z && a.i > b.i);
    }
};

inline bool unvisited(std::uint8_t d) {
    return d == kUnvisited || d == kIsland;
}

/// Steepest descent for the cells of one row: slopes over true cell distances (diagonal
/// = hypot of the row's cell width and height).
class DescentRow {
  public:
    DescentRow(const GridGeometry& g, int row) : r_(row), w_(g.width()), h_(g.height()) {
        const double cw = g.cell_width_m(row), ch = g.cell_height_m(row);
        const double dd = std::hypot(cw, ch);
        const double inv[8] = {1 / cw, 1 / dd, 1 / ch, 1 / dd, 1 / cw, 1 / dd, 1 / ch, 1 / dd};
        std::copy(inv, inv + 8, inv_);
        for (int k = 0; k < 8; ++k)
            off_[k] = std::ptrdiff_t(kDy[k]) * w_ + kDx[k];
        edge_row_ = row == 0 || row == h_ - 1;
    }
    /// The direction (0..7) of the steepest strictly lower valid neighbour of the cell in
    /// column `col`, or kOutlet when none is lower.
    std::uint8_t best(const float* z, int col) const {
        const std::size_t i = std::size_t(r_) * w_ + col;
        if (edge_row_ || col == 0 || col == w_ - 1) return best_edge(z, i, col);
        // Interior cells: every slope computed, the steepest kept without branches (the
        // comparisons are unpredictable on rough terrain). A nodata neighbour's slope is
        // NaN and never wins; the first of equal slopes wins, as in best_edge.
        const double zc = z[i];
        double best_s = 0;
        int best = kOutlet;
        for (int k = 0; k < 8; ++k) {
            const double s = (zc - double(z[i + off_[k]])) * inv_[k];
            const bool steeper = s > best_s;
            best = steeper ? k : best;
            best_s = steeper ? s : best_s;
        }
        return static_cast<std::uint8_t>(best);
    }

  private:
    std::uint8_t best_edge(const float* z, std::size_t i, int col) const {
        const float zc = z[i];
        std::uint8_t best = kOutlet;
        double best_s = 0;
        for (int k = 0; k < 8; ++k) {
            const int rr = r_ + kDy[k], cc = col + kDx[k];
            if (rr < 0 || cc < 0 || rr >= h_ || cc >= w_) continue;
            const float zn = z[i + off_[k]];
            if (!(zn < zc)) continue; // also skips NaN (nodata)
            const double s = (double(zc) - double(zn)) * inv_[k];
            if (s > best_s) {
                best_s = s;
                best = static_cast<std::uint8_t>(k);
            }
        }
        return best;
    }

    int r_, w_, h_;
    double inv_[8];
    std::ptrdiff_t off_[8];
    bool edge_row_;
};

/// Steepest descent on the filled surface `z` (slopes over true cell distances) for
/// every cell whose `dir` is kPending; a cell without a lower neighbour becomes kOutlet.
/// Returns the number of those.
std::size_t steepest_descent(const GridGeometry& g, const float* z, std::uint8_t* dir,
                             Progress progress);

/// fill_and_direct in `strips` horizontal strips flooded in parallel (strip_flood.cpp;
/// outlet mode only). The filled surface is the serial flood's exactly.
std::vector<std::uint8_t> fill_and_direct_strips(Dem& dem, int strips, Progress progress,
                                                 FloodStats* stats,
                                                 const std::function<void()>& on_filled);

} // namespace soilrisk::hydro::detail
