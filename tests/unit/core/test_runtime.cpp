// Memory budget: sizes, the refusal message, the limit set by the user.
#include <catch2/catch.hpp>

#include "soilrisk/core/error.hpp"
#include "soilrisk/core/runtime.hpp"

using namespace soilrisk;

TEST_CASE("sizes parse with binary units", "[core][runtime]") {
    CHECK(parse_bytes("1000", "x") == 1000);
    CHECK(parse_bytes("512M", "x") == 512ull << 20);
    CHECK(parse_bytes("2.5G", "x") == 5ull << 29);
    CHECK(parse_bytes("8GB", "x") == 8ull << 30);
    CHECK(parse_bytes("1 GiB", "x") == 1ull << 30);
    CHECK(parse_bytes("64k", "x") == 64ull << 10);
    CHECK_THROWS_AS(parse_bytes("lots", "--max-memory"), UsageError);
    CHECK_THROWS_WITH(parse_bytes("12Q", "--max-memory"),
                      "--max-memory: '12Q' is not a size (e.g. 8G, 512M)");
    CHECK_THROWS_AS(parse_bytes("-1G", "x"), UsageError);
    CHECK(format_bytes(350ull << 20) == "350 MB");
    CHECK(format_bytes(3ull << 29) == "1.5 GB");
}

TEST_CASE("work over the memory budget is refused with the estimate", "[core][runtime]") {
    set_memory_limit(100ull << 20);
    CHECK(memory_budget() == 100ull << 20);
    CHECK_NOTHROW(require_memory(100ull << 20, "x", "y"));
    CHECK_THROWS_AS(require_memory(101ull << 20, "dem.tif", "clip it"), ResourceError);
    CHECK_THROWS_WITH(require_memory(3ull << 30, "dem.tif: a DEM", "clip it"),
                      "dem.tif: a DEM needs about 3.0 GB of memory, more than the 100 MB "
                      "available (free memory, or --max-memory); clip it");
    set_memory_limit(0);
    CHECK(memory_budget() > 0); // this machine's free memory (or its cgroup's)
}
