#include "soilrisk/spatial/index.hpp"

#include <algorithm>
#include <boost/geometry.hpp>
#include <boost/geometry/index/rtree.hpp>
#include <boost/iterator/function_output_iterator.hpp>
#include <geos_c.h>

namespace soilrisk::spatial {

namespace bg = boost::geometry;
namespace bgi = boost::geometry::index;

namespace {
using Point = bg::model::point<double, 2, bg::cs::cartesian>;
using Box = bg::model::box<Point>;
using Value = std::pair<Box, std::uint32_t>;
using Tree = bgi::rtree<Value, bgi::rstar<16>>;
} // namespace

Extent envelope(const geos::Geom* g) {
    Extent e{1, 1, 0, 0};
    if (!g || GEOSisEmpty_r(geos::ctx(), g) != 0) return e;
    if (GEOSGeom_getExtent_r(geos::ctx(), g, &e.min_x, &e.min_y, &e.max_x, &e.max_y) != 1)
        return Extent{1, 1, 0, 0};
    return e;
}

struct EnvelopeIndex::Impl {
    Tree tree;
    std::size_t size = 0;
};

EnvelopeIndex::EnvelopeIndex() : impl_(std::make_unique<Impl>()) {}

EnvelopeIndex::EnvelopeIndex(const std::vector<Extent>& boxes) {
    std::vector<Value> values;
    values.reserve(boxes.size());
    for (std::size_t i = 0; i < boxes.size(); ++i) {
        const Extent& e = boxes[i];
        if (!e.valid()) continue;
        values.emplace_back(Box(Point(e.min_x, e.min_y), Point(e.max_x, e.max_y)),
                            static_cast<std::uint32_t>(i));
    }
    impl_ = std::make_unique<Impl>();
    impl_->size = values.size();
    impl_->tree = Tree(values.begin(), values.end()); // packing constructor
}

EnvelopeIndex::~EnvelopeIndex() = default;
EnvelopeIndex::EnvelopeIndex(EnvelopeIndex&&) noexcept = default;
EnvelopeIndex& EnvelopeIndex::operator=(EnvelopeIndex&&) noexcept = default;

EnvelopeIndex EnvelopeIndex::of(const std::vector<const geos::Geom*>& geoms) {
    std::vector<Extent> boxes(geoms.size(), Extent{1, 1, 0, 0});
    for (std::size_t i = 0; i < geoms.size(); ++i)
        boxes[i] = envelope(geoms[i]);
    return EnvelopeIndex(boxes);
}

std::vector<std::uint32_t> EnvelopeIndex::query(const Extent& e) const {
    std::vector<std::uint32_t> out;
    if (!e.valid()) return out;
    const Box box(Point(e.min_x, e.min_y), Point(e.max_x, e.max_y));
    impl_->tree.query(bgi::intersects(box), boost::make_function_output_iterator(
                                                [&](const Value& v) { out.push_back(v.second); }));
    std::sort(out.begin(), out.end());
    return out;
}

std::size_t EnvelopeIndex::size() const {
    return impl_->size;
}

} // namespace soilrisk::spatial
