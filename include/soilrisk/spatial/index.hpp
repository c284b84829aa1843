// A static spatial index of envelopes: Boost.Geometry's R-tree built in one go with the
// packing (sort-tile-recursive) constructor, which gives a better tree than inserting one
// by one and builds in O(n log n). Queries return item numbers in increasing order, so
// that callers iterate in a stable order whatever the tree's layout.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "soilrisk/core/crs.hpp"
#include "soilrisk/core/geos.hpp"

namespace soilrisk::spatial {

/// Envelope of a geometry (invalid Extent for an empty geometry).
Extent envelope(const geos::Geom* g);

class EnvelopeIndex {
  public:
    EnvelopeIndex();
    /// Indexes `boxes[i]` as item i (invalid extents are left out).
    explicit EnvelopeIndex(const std::vector<Extent>& boxes);
    ~EnvelopeIndex();
    EnvelopeIndex(EnvelopeIndex&&) noexcept;
    EnvelopeIndex& operator=(EnvelopeIndex&&) noexcept;

    /// Builds from the envelopes of geometries (null or empty ones are left out).
    static EnvelopeIndex of(const std::vector<const geos::Geom*>& geoms);

    /// Items whose envelope intersects `box` (closed boxes: touching counts), ascending.
    std::vector<std::uint32_t> query(const Extent& box) const;
    std::size_t size() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace soilrisk::spatial
