// libFuzzer target: bytes -> the project-file (TOML) parser, then the typed parameter
// accessors the steps use (lengths, lists, numbers, tables). soilrisk::Error (UsageError,
// DataError, …) is an expected outcome; crashes, sanitizer reports and hangs are bugs.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "soilrisk/core/error.hpp"
#include "soilrisk/core/units.hpp"
#include "soilrisk/io/vector.hpp"
#include "soilrisk/pipeline/project.hpp"

using namespace soilrisk;

namespace {

template <class F> void expect_errors(F&& f) {
    try {
        f();
    } catch (const Error&) {
    }
}

void exercise(const pipeline::Params& p) {
    for (const std::string& key : p.keys()) {
        expect_errors([&] { (void)p.string(key); });
        expect_errors([&] { (void)p.length(key); });
        expect_errors([&] { (void)p.lengths_or(key, {}); });
        expect_errors([&] { (void)p.number_or(key, 0); });
        expect_errors([&] { (void)p.integer_or(key, 0); });
        expect_errors([&] { (void)p.bool_or(key, false); });
        expect_errors([&] { (void)p.strings(key); });
        expect_errors([&] { (void)p.table(key); });
        (void)p.text(key);
    }
    expect_errors([&] { p.check_keys({"type", "name", "farmland", "sources", "rings"}); });
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        const pipeline::Project project =
            pipeline::parse_project(text, "/nonexistent/fuzz/project.toml");
        for (const auto& step : project.steps)
            exercise(step.params);
        for (const auto& entry : project.layers) {
            const io::VectorInput& layer = entry.second;
            expect_errors([&] { (void)parse_length(layer.where, "where"); });
            expect_errors([&] { (void)parse_length_list(layer.layer, "layer"); });
            expect_errors([&] { (void)io::parse_invalid_policy(layer.encoding); });
        }
        expect_errors([&] { (void)parse_length(project.name, "name"); });
    } catch (const Error& e) {
        if (std::getenv("FUZZ_VERBOSE")) std::fprintf(stderr, "soilrisk error: %s\n", e.what());
        // Bad TOML, unknown keys, wrong types: reported to the user, not a bug.
    }
    return 0;
}
