// Large grid buffers backed by transparent huge pages where the kernel allows it
// (private to src/hydro). The flood and the accumulation touch their grids in an
// order that jumps across rows; with 4 KiB pages nearly every jump is a TLB miss and
// the first touch of each page is a page fault. madvise(MADV_HUGEPAGE) before the first
// touch (the kernel's "madvise" THP mode, Debian's default) removes most of both.
#pragma once

#include <cstddef>
#include <cstdint>
#include <sys/mman.h>
#include <vector>

namespace soilrisk::hydro {

inline void advise_huge_pages(void* p, std::size_t bytes) {
    constexpr std::uintptr_t huge = std::uintptr_t(2) << 20;
    const auto a = (reinterpret_cast<std::uintptr_t>(p) + huge - 1) & ~(huge - 1);
    const auto b = (reinterpret_cast<std::uintptr_t>(p) + bytes) & ~(huge - 1);
    if (b > a) madvise(reinterpret_cast<void*>(a), b - a, MADV_HUGEPAGE);
}

/// v = n copies of value, with the storage advised to use huge pages before it is
/// first touched.
template <class T> void assign_huge(std::vector<T>& v, std::size_t n, const T& value) {
    std::vector<T>().swap(v);
    v.reserve(n);
    advise_huge_pages(v.data(), n * sizeof(T));
    v.assign(n, value);
}

} // namespace soilrisk::hydro
