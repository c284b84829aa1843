// Building blocks for placing sample points: a portable random number generator, Halton
// sequences, a minimum-distance index and a frame of polygons to draw points from.
//
// Reproducibility. Plans must be reproducible bit for bit from a seed on any machine and
// library version, so nothing here uses <random>'s distributions (their algorithms are
// not specified by the standard and differ between libstdc++, libc++ and MSVC). The
// generator is SplitMix64 (G. L. Steele, D. Lea, C. H. Flood, "Fast splittable
// pseudorandom number generators", OOPSLA 2014; the constants of Java 8's
// SplittableRandom), uniform reals take the top 53 bits, bounded integers use rejection
// (no modulo bias). All arithmetic is integer or exactly rounded IEEE double, so the
// sequence is the same everywhere. Nothing here is thread-parallel: results cannot depend
// on the thread count.
//
// Coordinates are in one projected, metric CRS (the run's working CRS); distances in
// metres.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "soilrisk/core/geos.hpp"

namespace soilrisk::spatial {

/// SplitMix64. `stream` selects an independent sequence for the same seed (e.g. one per
/// replicate), by mixing it into the state.
class Rng {
  public:
    explicit Rng(std::uint64_t seed, std::uint64_t stream = 0);
    std::uint64_t next();
    /// Uniform in [0, 1), multiples of 2^-53.
    double uniform();
    /// Uniform integer in [0, n) (n > 0), without modulo bias.
    std::uint64_t below(std::uint64_t n);

  private:
    std::uint64_t state_;
};

/// Radical inverse of `k` in `base` (the van der Corput / Halton coordinate), in [0, 1).
/// Exact up to double rounding of the digit sum; identical on every IEEE platform.
double radical_inverse(std::uint64_t k, unsigned base);

/// Points with a query "is anything within d of (x, y)?" (a uniform hash grid of cell
/// `cell_m`; each query looks at the 3×3 neighbouring cells, so d must be <= cell_m).
class PointIndex {
  public:
    /// `cell_m` > 0.
    explicit PointIndex(double cell_m);
    void add(double x, double y, int id);
    /// Id of a point closer than `d` (strictly) to (x, y), or nullopt. d <= cell size.
    std::optional<int> any_within(double x, double y, double d) const;
    std::size_t size() const { return xs_.size(); }

  private:
    std::int64_t key(double x, double y) const;
    double cell_;
    std::vector<double> xs_, ys_;
    std::vector<int> ids_;
    std::unordered_map<std::int64_t, std::vector<int>> cells_;
};

/// A sampling frame: polygons (not owned; they must outlive the frame) with an R-tree
/// over their envelopes (Boost.Geometry, packed) and prepared geometries for point tests.
class PolygonFrame {
  public:
    /// `polygons[i]` non-null (Polygon/MultiPolygon); `weights[i]` >= 0 is the relative
    /// probability of drawing from polygon i (normally its area); empty = planar areas.
    explicit PolygonFrame(std::vector<const geos::Geom*> polygons,
                          std::vector<double> weights = {});
    ~PolygonFrame();
    PolygonFrame(PolygonFrame&&) noexcept;
    PolygonFrame& operator=(PolygonFrame&&) noexcept;

    std::size_t size() const;
    const geos::Geom* polygon(std::size_t i) const;
    /// Planar area of polygon i (m²) and the sum.
    double area(std::size_t i) const;
    double total_area() const;
    double total_weight() const;
    /// Bounding box of all polygons: min_x, min_y, max_x, max_y (zeros when empty).
    std::array<double, 4> bounds() const;

    /// Lowest index of a polygon that covers (x, y) (boundary included), or -1.
    int locate(double x, double y) const;
    /// Indices of polygons whose envelope meets the box, ascending.
    std::vector<int> query(double min_x, double min_y, double max_x, double max_y) const;

    /// A point uniformly distributed over the frame, polygons drawn by weight, then
    /// rejection in the polygon's envelope (at most `tries` per polygon draw, 3 draws).
    /// nullopt when every try missed (sliver polygons) or the frame has no weight.
    struct Draw {
        double x, y;
        int polygon;
    };
    std::optional<Draw> random_point(Rng& rng, int tries = 1000) const;
    /// The same, in polygon i only.
    std::optional<Draw> random_point_in(Rng& rng, std::size_t i, int tries = 1000) const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// Upper bound on the number of points at least `d` apart that fit in a set of polygons
/// with total area `area_m2`, total perimeter `perimeter_m` and `parts` parts: disks of
/// radius r = d/2 around such points are disjoint and lie in the r-neighbourhood of the
/// polygons, whose area is at most A + L·r + parts·π·r² (Steiner's formula, an upper
/// bound for non-convex parts). Infinite when d = 0 and the area is positive.
double max_points_bound(double area_m2, double perimeter_m, std::size_t parts, double d);

/// GRTS hierarchical addresses (D. L. Stevens, A. R. Olsen, "Spatially balanced sampling
/// of natural resources", JASA 99 (2004) 262–278): the square around `bounds` is split
/// into quadrants `levels` times (levels <= 30); at every split the four quadrant digits
/// are randomly permuted, independently per parent cell (hierarchical randomisation; the
/// permutation comes from a hash of seed, level and cell, so it is portable). Returns per
/// point its address (level-1 digit most significant) and its reverse-hierarchical key
/// (the same digits reversed: consecutive keys lie in different top-level quadrants, so
/// every run of consecutive points in that order is spread over the whole area).
struct GrtsAddress {
    std::uint64_t address = 0, reverse = 0;
};
std::vector<GrtsAddress> grts_addresses(const std::vector<std::pair<double, double>>& pts,
                                        const std::array<double, 4>& bounds, int levels,
                                        std::uint64_t seed);

/// Nearest point of polygon `g` to (x, y) (the point itself when inside).
std::pair<double, double> nearest_point(const geos::Geom* g, double x, double y);

} // namespace soilrisk::spatial
