// Parallel Priority-Flood over horizontal strips, after R. Barnes, "Parallel
// Priority-Flood depression filling for trillion cell digital elevation models", Computers
// & Geosciences 96 (2016) 56-68:
//
//  1. Each strip is flooded on its own (in parallel) from its outlets (the DEM's edge and,
//     in outlet mode, cells next to nodata) and from its cut rows (the rows it shares
//     with the strips above and below), each cut-row cell a label of its own. Every cell
//     takes a label; where two labels meet, the lowest spill elevation between them is
//     kept.
//  2. The spill graph of labels (plus the edges across the cuts) is flooded from the
//     outlets: each label gets the level the water in its cells must reach to leave.
//  3. Each cell's filled elevation is max(its strip-local fill, its label's level). This
//     is exactly the serial flood's surface (proof in the notes of fill_and_direct_strips).
//  4. Directions: steepest descent where the filled surface falls; the remaining flat
//     cells drain by breadth-first search toward the flat's exits, first within each
//     strip (in parallel), then across the cuts.
//
// Only the directions over flats can differ from the serial flood's (both drain every
// cell); the strip count depends on the grid alone, so results do not depend on the
// number of threads.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <memory>
#include <queue>
#include <string>
#include <tbb/parallel_for.h>

#include "flood_common.hpp"
#include "memory.hpp"
#include "soilrisk/core/error.hpp"

namespace soilrisk::hydro::detail {

namespace {

constexpr std::uint32_t kOutletLabel = 0;
// Cell states of the strip flood: reached by rising terrain or as a seed (kVisited), or
// reached within a depression or flat: the direction k (0..7) to the cell that reached
// it, plus kRaisedBit when the flood raised it.
constexpr std::uint8_t kVisited = 12;
constexpr std::uint8_t kRaisedBit = 0x10;
// Directions: no lower neighbour and not an outlet (kFlat); a depression cell's flood
// direction not yet known to lead out (kTentative + k).
constexpr std::uint8_t kFlat = 14;
constexpr std::uint8_t kTentative = 0x20;

// Lowest spill elevation per unordered pair of labels (open addressing).
class SpillMap {
  public:
    SpillMap() { rehash(1u << 12); }

    void add(std::uint32_t a, std::uint32_t b, float z) {
        if (a > b) std::swap(a, b);
        const std::uint64_t k = (std::uint64_t(a) << 32) | b;
        if (k == last_key_) { // labels meet along lines: the same pair comes in runs
            vals_[last_slot_] = std::min(vals_[last_slot_], z);
            return;
        }
        if ((size_ + 1) * 2 > keys_.size()) rehash(keys_.size() * 2);
        std::size_t s = slot(k);
        if (keys_[s] == kEmpty) {
            keys_[s] = k;
            vals_[s] = z;
            ++size_;
        } else {
            vals_[s] = std::min(vals_[s], z);
        }
        last_key_ = k;
        last_slot_ = s;
    }
    template <class F> void for_each(F f) const {
        for (std::size_t s = 0; s < keys_.size(); ++s)
            if (keys_[s] != kEmpty)
                f(static_cast<std::uint32_t>(keys_[s] >> 32), static_cast<std::uint32_t>(keys_[s]),
                  vals_[s]);
    }
    std::size_t size() const { return size_; }

  private:
    static constexpr std::uint64_t kEmpty = ~std::uint64_t(0);
    std::size_t slot(std::uint64_t k) const {
        std::size_t s = static_cast<std::size_t>((k * 0x9E3779B97F4A7C15ull) >> 20) & mask_;
        while (keys_[s] != kEmpty && keys_[s] != k)
            s = (s + 1) & mask_;
        return s;
    }
    void rehash(std::size_t cap) {
        std::vector<std::uint64_t> keys(cap, kEmpty);
        std::vector<float> vals(cap);
        keys.swap(keys_);
        vals.swap(vals_);
        mask_ = cap - 1;
        size_ = 0;
        last_key_ = kEmpty;
        for (std::size_t s = 0; s < keys.size(); ++s)
            if (keys[s] != kEmpty) {
                const std::size_t t = slot(keys[s]);
                keys_[t] = keys[s];
                vals_[t] = vals[s];
                ++size_;
            }
    }
    std::vector<std::uint64_t> keys_;
    std::vector<float> vals_;
    std::size_t mask_ = 0, size_ = 0;
    std::uint64_t last_key_ = kEmpty;
    std::size_t last_slot_ = 0;
};

// Priority-Flood of rows [r0, r1) with labels; the serial Flood's algorithm (radix queue,
// FIFO queue for depression cells, Zhou et al. 2016 tracing of rising terrain) confined
// to the strip, with no directions.
class StripFlood {
  public:
    StripFlood(int w, int h, int r0, int r1, float* z, std::uint8_t* state, std::uint32_t* label,
               float* label_min_z)
        : w_(w), h_(h), r0_(r0), r1_(r1), z_(z), state_(state), label_(label),
          label_min_z_(label_min_z) {
        for (int k = 0; k < 8; ++k)
            off_[k] = std::ptrdiff_t(kDy[k]) * w_ + kDx[k];
    }

    // Seeds: outlets (label 0) and cut-row cells (label `first_label` + position).
    // `row_nodata[r]`: whether row r has a nodata cell (rows away from any have seeds
    // only at their ends).
    void seed(std::uint32_t first_label, const char* row_nodata) {
        pit.reserve(std::size_t(r1_ - r0_) * std::size_t(w_) / 8);
        for (int r = r0_; r < r1_; ++r) {
            const bool perimeter_row = r == r0_ || r == r1_ - 1;
            const bool near_nodata =
                row_nodata[r] || (r > 0 && row_nodata[r - 1]) || (r + 1 < h_ && row_nodata[r + 1]);
            const int step = perimeter_row || near_nodata ? 1 : std::max(1, w_ - 1);
            for (int c = 0; c < w_; c += step) {
                const std::size_t i = std::size_t(r) * w_ + c;
                if (state_[i] == kNoData) continue;
                const bool dem_edge = r == 0 || c == 0 || r == h_ - 1 || c == w_ - 1;
                bool outlet = dem_edge;
                // Nodata by the elevations: other strips' states change meanwhile.
                for (int k = 0; k < 8 && !outlet; ++k)
                    outlet = std::isnan(z_[i + off_[k]]);
                std::uint32_t l;
                if (outlet)
                    l = kOutletLabel;
                else if (perimeter_row)
                    l = first_label + std::uint32_t(r == r0_ ? 0 : w_) + std::uint32_t(c);
                else
                    continue;
                label_[i] = l;
                note_z(l, z_[i]);
                state_[i] = kVisited;
                heap_.push(RadixQueue::key(z_[i], static_cast<std::uint32_t>(i)));
            }
        }
    }

    void run() {
        float level = -std::numeric_limits<float>::infinity();
        for (;;) {
            if (pit_head_ < pit.size() &&
                (heap_.empty() || RadixQueue::elevation(heap_.top()) > level)) {
                expand<false>(pit[pit_head_++]); // never on the perimeter
            } else if (!heap_.empty()) {
                const std::uint64_t k = heap_.pop();
                level = RadixQueue::elevation(k);
                expand<true>(RadixQueue::cell(k)); // seeds are
            } else {
                break;
            }
        }
    }

    // Where labels meet, after the flood (a row-order pass over the strip, cheaper than
    // comparing labels during it): adjacent cells of two labels let water spill between
    // them at the higher of their local fills. E, SE, S and SW cover every pair once.
    void find_spills() {
        for (int r = r0_; r < r1_; ++r) {
            const bool last = r == r1_ - 1;
            for (int c = 0; c < w_; ++c) {
                const std::size_t i = std::size_t(r) * w_ + c;
                if (state_[i] == kNoData) continue;
                const std::uint32_t l = label_[i];
                const float zi = z_[i];
                auto pair = [&](std::size_t m) {
                    if (state_[m] != kNoData && label_[m] != l)
                        spills.add(l, label_[m], std::max(zi, z_[m]));
                };
                if (c + 1 < w_) pair(i + 1);
                if (last) continue;
                if (c > 0) pair(i + std::size_t(w_) - 1);
                pair(i + std::size_t(w_));
                if (c + 1 < w_) pair(i + std::size_t(w_) + 1);
            }
        }
    }

    SpillMap spills;
    // Depression and flat cells in the order the flood reached them (kept whole after
    // the flood: a cell comes after the cell its direction points to).
    std::vector<std::uint32_t> pit;
    std::size_t raised = 0, heap_pushes = 0;
    double max_raise = 0;

  private:
    bool interior(std::uint32_t c, int& row, int& col) const {
        std::uint64_t r = static_cast<std::uint64_t>(double(c) * inv_w_);
        if (r * std::uint64_t(w_) > c)
            --r;
        else if ((r + 1) * std::uint64_t(w_) <= c)
            ++r;
        row = static_cast<int>(r);
        col = static_cast<int>(c - r * std::uint64_t(w_));
        return row > r0_ && col > 0 && row < r1_ - 1 && col < w_ - 1;
    }
    bool inside(int row, int col, int k) const {
        const int r = row + kDy[k], q = col + kDx[k];
        return r >= r0_ && q >= 0 && r < r1_ && q < w_;
    }
    void note_z(std::uint32_t l, float z) {
        if (l != kOutletLabel) label_min_z_[l] = std::min(label_min_z_[l], z);
    }
    void take(std::uint32_t n, std::uint32_t l) {
        label_[n] = l;
        note_z(l, z_[n]);
    }

    template <bool MaybePerimeter> void expand(std::uint32_t c) {
        const float zc = z_[c];
        const std::uint32_t lc = label_[c];
        int row = 0, col = 0;
        const bool in = !MaybePerimeter || interior(c, row, col);
        for (int k = 0; k < 8; ++k) {
            if (!in && !inside(row, col, k)) continue;
            const std::uint32_t n = static_cast<std::uint32_t>(c + off_[k]);
            const std::uint8_t s = state_[n];
            if (s != kUnvisited) continue; // visited or nodata
            take(n, lc);
            const float zn = z_[n];
            if (zn <= zc) {
                std::uint8_t st = static_cast<std::uint8_t>((k + 4) & 7);
                if (zn < zc) {
                    ++raised;
                    max_raise = std::max(max_raise, double(zc) - double(zn));
                    z_[n] = zc;
                    st |= kRaisedBit;
                }
                state_[n] = st;
                pit.push_back(n);
            } else {
                state_[n] = kVisited;
                trace(n);
            }
        }
    }

    // Cells that were unvisited when met are never on the strip's perimeter (its first and
    // last rows and the DEM's side columns are all seeds, unless nodata): trace and the
    // two tests below look at all eight neighbours without bounds checks.

    // A visited neighbour strictly lower than unvisited cell m, or -1: then m is final at
    // its own elevation and drains through that neighbour, whose label it takes.
    std::int64_t lower_visited(std::uint32_t m) const {
        const float zm = z_[m];
        for (int k = 0; k < 8; ++k) {
            const std::uint32_t q = static_cast<std::uint32_t>(m + off_[k]);
            const std::uint8_t s = state_[q];
            if (s != kNoData && s != kUnvisited && z_[q] < zm) return q;
        }
        return -1;
    }

    void trace(std::uint32_t start) {
        stack_.push_back(start);
        while (!stack_.empty()) {
            const std::uint32_t t = stack_.back();
            stack_.pop_back();
            const float zt = z_[t];
            const std::uint32_t lt = label_[t];
            bool low = false;
            for (int k = 0; k < 8; ++k) {
                const std::uint32_t m = static_cast<std::uint32_t>(t + off_[k]);
                const std::uint8_t s = state_[m];
                if (s != kUnvisited) continue; // visited or nodata
                if (z_[m] > zt) {
                    take(m, lt);
                } else if (const std::int64_t q = lower_visited(m); q >= 0) {
                    take(m, label_[q]);
                } else {
                    low = true;
                    continue;
                }
                state_[m] = kVisited;
                stack_.push_back(m);
            }
            if (low) deferred_.push_back(t);
        }
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
            if (state_[m] == kUnvisited && z_[m] <= zt) return true;
        }
        return false;
    }

    int w_, h_, r0_, r1_;
    double inv_w_ = 1.0 / w_;
    float* z_;
    std::uint8_t* state_;
    std::uint32_t* label_;
    float* label_min_z_;
    std::ptrdiff_t off_[8];
    RadixQueue heap_;
    std::size_t pit_head_ = 0;
    std::vector<std::uint32_t> stack_, deferred_;
};

struct Edge {
    std::uint32_t a, b;
    float z;
};

// Level of every label: the lowest elevation at which water in it reaches an outlet
// (minimax paths over the spill graph from label 0; a Dijkstra with max for +).
std::vector<float> label_levels(std::size_t labels, std::vector<Edge>& edges) {
    std::vector<std::uint32_t> start(labels + 1, 0);
    for (const Edge& e : edges) {
        ++start[e.a + 1];
        ++start[e.b + 1];
    }
    for (std::size_t l = 0; l < labels; ++l)
        start[l + 1] += start[l];
    std::vector<std::pair<std::uint32_t, float>> adj(start.back());
    {
        std::vector<std::uint32_t> at(start.begin(), start.end() - 1);
        for (const Edge& e : edges) {
            adj[at[e.a]++] = {e.b, e.z};
            adj[at[e.b]++] = {e.a, e.z};
        }
    }
    std::vector<Edge>().swap(edges);
    std::vector<float> level(labels, std::numeric_limits<float>::infinity());
    using Item = std::pair<float, std::uint32_t>;
    std::priority_queue<Item, std::vector<Item>, std::greater<>> q;
    level[kOutletLabel] = -std::numeric_limits<float>::infinity();
    q.push({level[kOutletLabel], kOutletLabel});
    while (!q.empty()) {
        const auto [lv, l] = q.top();
        q.pop();
        if (lv > level[l]) continue;
        for (std::uint32_t j = start[l]; j < start[l + 1]; ++j) {
            const auto [m, z] = adj[j];
            const float nl = std::max(lv, z);
            if (nl < level[m]) {
                level[m] = nl;
                q.push({nl, m});
            }
        }
    }
    return level;
}

// Breadth-first drainage of flat cells (kFlat) toward equal cells that already drain,
// over rows [r0, r1). `cells` lists the flat cells in row order; those left flat stay
// in it. Returns the number of cells directed.
std::size_t drain_flats(int w, int r0, int r1, const float* z, std::uint8_t* dir,
                        std::vector<std::uint32_t>& cells) {
    std::vector<std::uint32_t> queue;
    auto col_row = [w](std::uint32_t i, int& r, int& c) {
        r = static_cast<int>(i / std::uint32_t(w));
        c = static_cast<int>(i - std::uint32_t(r) * std::uint32_t(w));
    };
    for (const std::uint32_t i : cells) {
        int r, c;
        col_row(i, r, c);
        for (int k = 0; k < 8; ++k) {
            const int rr = r + kDy[k], cc = c + kDx[k];
            if (rr < r0 || rr >= r1 || cc < 0 || cc >= w) continue;
            const std::size_t m = std::size_t(rr) * w + cc;
            if (dir[m] <= kOutlet && z[m] == z[i]) {
                dir[i] = static_cast<std::uint8_t>(k);
                queue.push_back(i);
                break;
            }
        }
    }
    for (std::size_t q = 0; q < queue.size(); ++q) {
        const std::uint32_t i = queue[q];
        int r, c;
        col_row(i, r, c);
        for (int k = 0; k < 8; ++k) {
            const int rr = r + kDy[k], cc = c + kDx[k];
            if (rr < r0 || rr >= r1 || cc < 0 || cc >= w) continue;
            const std::size_t m = std::size_t(rr) * w + cc;
            if (dir[m] == kFlat && z[m] == z[i]) {
                dir[m] = static_cast<std::uint8_t>((k + 4) & 7);
                queue.push_back(static_cast<std::uint32_t>(m));
            }
        }
    }
    std::erase_if(cells, [&](std::uint32_t i) { return dir[i] != kFlat; });
    return queue.size();
}

} // namespace

// Why max(local fill, label level) is the serial flood's surface F. Write L(c) for the
// strip-local fill and l(c) for c's label. (P) Every cell c has a path to its label's
// seed whose elevations do not exceed L(c): a cell takes the label of the cell that
// reached it, which is not higher than it on the local fill (for a rising cell met while
// tracing from a higher one, the lower visited neighbour's label is taken instead).
// Edges join labels of adjacent cells x, y with weight max(L(x), L(y)).
//  - F(c) <= max(L(c), level(l(c))): follow c's path to its seed, then the graph path
//    to the outlets, joining each edge's cells to their seeds by (P).
//  - F(c) >= L(c): every path to an outlet first reaches a strip seed.
//  - F(c) >= level(l(c)): along c's best path to an outlet, each cell x has L(x) <=
//    F(c) (its own suffix reaches a seed), so consecutive cells of different labels
//    give graph edges no higher than F(c), leading to label 0.
std::vector<std::uint8_t> fill_and_direct_strips(Dem& dem, int strips, Progress progress,
                                                 FloodStats* stats,
                                                 const std::function<void()>& on_filled) {
    const GridGeometry& g = dem.geometry;
    const int w = g.width(), h = g.height();
    const std::size_t n = g.size();
    float* z = dem.z.data();
    strips = std::clamp(strips, 1, std::max(1, h / 2));
    std::vector<int> row0(strips + 1);
    for (int s = 0; s <= strips; ++s)
        row0[s] = static_cast<int>(std::int64_t(h) * s / strips);
    const std::size_t labels = 1 + std::size_t(strips) * 2 * std::size_t(w);
    if (labels >= std::numeric_limits<std::uint32_t>::max())
        throw DataError(dem.source + ": too many columns for the strip flood");

    std::vector<std::uint8_t> dir;
    assign_huge(dir, n, std::uint8_t(0));
    // Labels, uninitialised: the floods give every valid cell one (nodata cells' are
    // never read), and the pages are first touched by the parallel floods.
    std::unique_ptr<std::uint32_t[]> label(new std::uint32_t[n]);
    advise_huge_pages(label.get(), n * sizeof(std::uint32_t));
    std::vector<float> label_min_z(labels, std::numeric_limits<float>::infinity());
    const Progress p_flood = progress.part(0.0, 0.75), p_fill = progress.part(0.75, 0.8),
                   p_dir = progress.part(0.8, 1.0);

    // 1. Nodata marks (all first: seeds look at neighbours across the cuts), then the
    //    strips' floods.
    std::vector<char> row_nodata(h, 0);
    tbb::parallel_for(0, strips, [&](int s) {
        for (int r = row0[s]; r < row0[s + 1]; ++r) {
            bool any = false;
            for (std::size_t i = std::size_t(r) * w; i < std::size_t(r + 1) * w; ++i) {
                const bool nd = std::isnan(z[i]);
                dir[i] = nd ? kNoData : kUnvisited;
                any |= nd;
            }
            row_nodata[r] = any;
        }
    });
    std::vector<SpillMap> spills(strips);
    std::vector<std::vector<std::uint32_t>> pits(strips);
    std::vector<std::size_t> raised(strips), pushes(strips);
    std::vector<double> max_raise(strips);
    // Every strip is seeded before any is flooded: seeding reads elevations across the
    // cuts, which the floods raise.
    std::vector<std::unique_ptr<StripFlood>> floods(strips);
    tbb::parallel_for(0, strips, [&](int s) {
        floods[s] = std::make_unique<StripFlood>(w, h, row0[s], row0[s + 1], z, dir.data(),
                                                 label.get(), label_min_z.data());
        floods[s]->seed(1 + std::uint32_t(s) * 2 * std::uint32_t(w), row_nodata.data());
    });
    std::atomic<int> floods_done{0};
    tbb::parallel_for(
        0, strips,
        [&](int s) {
            StripFlood& f = *floods[s];
            f.run();
            f.find_spills();
            spills[s] = std::move(f.spills);
            pits[s] = std::move(f.pit);
            raised[s] = f.raised;
            pushes[s] = f.heap_pushes;
            max_raise[s] = f.max_raise;
            floods[s].reset();
            p_flood(double(++floods_done) / strips, "filling depressions");
        },
        tbb::simple_partitioner{});

    // 2. The spill graph: edges within strips, and across each cut between the bottom
    //    row of one strip and the top row of the next (cut-row cells are seeds, so their
    //    local fill is their elevation).
    std::vector<Edge> edges;
    for (const SpillMap& m : spills)
        m.for_each([&](std::uint32_t a, std::uint32_t b, float e) { edges.push_back({a, b, e}); });
    std::vector<SpillMap>().swap(spills);
    for (int s = 0; s + 1 < strips; ++s) {
        const int rb = row0[s + 1] - 1, rt = row0[s + 1];
        for (int c = 0; c < w; ++c) {
            const std::size_t i = std::size_t(rb) * w + c;
            if (dir[i] == kNoData) continue;
            for (int dc = -1; dc <= 1; ++dc) {
                const int cc = c + dc;
                if (cc < 0 || cc >= w) continue;
                const std::size_t j = std::size_t(rt) * w + cc;
                if (dir[j] == kNoData || label[i] == label[j]) continue;
                edges.push_back({label[i], label[j], std::max(z[i], z[j])});
            }
        }
    }
    const std::vector<float> level = label_levels(labels, edges);
    // Every label that cells carry reaches the outlets (each region of valid cells has an
    // outlet cell, and labels that touch are joined); a label that did not would raise its
    // cells to infinity.
    for (std::size_t l = 1; l < labels; ++l)
        if (std::isfinite(label_min_z[l]) && !std::isfinite(level[l]))
            throw DataError(dem.source + ": the strip flood found a region with no way out "
                                         "(internal error); report it with the DEM");

    // 3. The filled surface.
    std::vector<std::size_t> raised_more(strips, 0);
    tbb::parallel_for(0, strips, [&](int s) {
        std::size_t count = 0;
        for (std::size_t i = std::size_t(row0[s]) * w; i < std::size_t(row0[s + 1]) * w; ++i) {
            if (dir[i] == kNoData) continue;
            const float lv = level[label[i]];
            if (lv > z[i]) {
                count += (dir[i] & kRaisedBit) == 0;
                z[i] = lv;
            }
        }
        raised_more[s] = count;
    });
    double max_raise_all = 0;
    for (std::size_t l = 1; l < labels; ++l)
        if (std::isfinite(label_min_z[l]) && std::isfinite(level[l]))
            max_raise_all = std::max(max_raise_all, double(level[l]) - double(label_min_z[l]));
    for (int s = 0; s < strips; ++s)
        max_raise_all = std::max(max_raise_all, max_raise[s]);
    label.reset();
    p_fill(1.0, "filling depressions");
    if (on_filled) on_filled();

    // 4. Directions. Steepest descent where the filled surface falls; else a depression
    //    cell keeps its flood direction (towards an equal cell) if that leads out: cells
    //    come after the cell they point to in the flood order, so one pass in that order
    //    settles them. What is left are flats, drained breadth-first towards their exits.
    std::vector<std::vector<std::uint32_t>> flats(strips);
    std::vector<std::size_t> outlets(strips, 0), drained(strips, 0);
    tbb::parallel_for(0, strips, [&](int s) {
        for (int r = row0[s]; r < row0[s + 1]; ++r) {
            const DescentRow row(g, r);
            for (int c = 0; c < w; ++c) {
                const std::size_t i = std::size_t(r) * w + c;
                const std::uint8_t st = dir[i];
                if (st == kNoData) continue;
                std::uint8_t d = row.best(z, c);
                if (d == kOutlet) {
                    if (st < kRaisedBit + 8 && st != kVisited) {
                        d = static_cast<std::uint8_t>(kTentative | (st & 7));
                    } else {
                        bool outlet = r == 0 || c == 0 || r == h - 1 || c == w - 1;
                        for (int k = 0; k < 8 && !outlet; ++k)
                            outlet = std::isnan(z[i + std::ptrdiff_t(kDy[k]) * w + kDx[k]]);
                        if (outlet) {
                            ++outlets[s];
                        } else {
                            d = kFlat;
                            flats[s].push_back(static_cast<std::uint32_t>(i));
                        }
                    }
                }
                dir[i] = d;
            }
        }
    });
    std::ptrdiff_t off[8];
    for (int k = 0; k < 8; ++k)
        off[k] = std::ptrdiff_t(kDy[k]) * w + kDx[k];
    tbb::parallel_for(0, strips, [&](int s) {
        for (const std::uint32_t i : pits[s]) {
            const std::uint8_t d = dir[i];
            if (!(d & kTentative)) continue;
            if (dir[i + off[d & 7]] <= kOutlet) {
                dir[i] = d & 7;
                ++drained[s];
            } else {
                dir[i] = kFlat;
                flats[s].push_back(i);
            }
        }
        std::vector<std::uint32_t>().swap(pits[s]);
        drained[s] += drain_flats(w, row0[s], row0[s + 1], z, dir.data(), flats[s]);
    });
    std::vector<std::uint32_t> rest;
    for (auto& f : flats) {
        rest.insert(rest.end(), f.begin(), f.end());
        std::vector<std::uint32_t>().swap(f);
    }
    std::size_t flat = drain_flats(w, 0, h, z, dir.data(), rest);
    if (!rest.empty())
        throw DataError(dem.source + ": " + std::to_string(rest.size()) +
                        " flat cells found no way out after filling (internal error of the "
                        "strip flood); report it with the DEM");
    p_dir(1.0, "flow directions");

    if (stats) {
        *stats = FloodStats{};
        for (int s = 0; s < strips; ++s) {
            stats->raised_cells += raised[s] + raised_more[s];
            stats->queued_cells += pushes[s];
            stats->outlets += outlets[s];
            flat += drained[s];
        }
        stats->flat_cells = flat;
        stats->max_raise_m = max_raise_all;
        std::size_t valid = 0;
        for (std::size_t i = 0; i < n; ++i)
            valid += dir[i] != kNoData;
        stats->valid_cells = valid;
    }
    return dir;
}

} // namespace soilrisk::hydro::detail
