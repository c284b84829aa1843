// AtomicOutput: whole-or-nothing outputs, --overwrite, signal-time cleanup.
#include <catch2/catch.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

#include "soilrisk/core/error.hpp"
#include "soilrisk/io/output.hpp"

namespace fs = std::filesystem;
using soilrisk::io::AtomicOutput;

namespace {

/// A fresh, empty scratch folder removed at the end of the test.
struct ScratchDir {
    fs::path path;
    explicit ScratchDir(const std::string& name) {
        path = fs::temp_directory_path() /
               ("soilrisk-test-" + name + "-" + std::to_string(::getpid()));
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~ScratchDir() { fs::remove_all(path); }
    std::string file(const std::string& name) const { return (path / name).string(); }
    std::size_t count() const {
        return static_cast<std::size_t>(std::distance(fs::directory_iterator(path), {}));
    }
};

void write_text(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
}

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

} // namespace

TEST_CASE("AtomicOutput writes to a hidden temporary in the same folder and renames on commit",
          "[io][output]") {
    ScratchDir dir("atomic-commit");
    const std::string final_path = dir.file("result.csv");
    AtomicOutput out(final_path, false);
    const fs::path temp(out.temp_path());
    CHECK(temp.parent_path() == dir.path);
    CHECK(temp.extension() == ".csv");
    CHECK(temp.filename().string().front() == '.');
    CHECK(out.final_path() == final_path);

    write_text(out.temp_path(), "a,b\r\n");
    CHECK_FALSE(fs::exists(final_path));
    out.commit();
    CHECK(read_text(final_path) == "a,b\r\n");
    CHECK_FALSE(fs::exists(temp));
    CHECK(dir.count() == 1);
    CHECK_THROWS_AS(out.commit(), std::logic_error);
}

TEST_CASE("AtomicOutput refuses an existing output without overwrite and leaves it untouched",
          "[io][output]") {
    ScratchDir dir("atomic-exists");
    const std::string final_path = dir.file("result.csv");
    write_text(final_path, "old");
    try {
        AtomicOutput out(final_path, false);
        FAIL("no exception");
    } catch (const soilrisk::OutputExistsError& e) {
        CHECK_THAT(e.what(), Catch::Contains("output '" + final_path + "' exists"));
        CHECK_THAT(e.what(), Catch::Contains("--overwrite"));
    }
    CHECK(read_text(final_path) == "old");
    CHECK(dir.count() == 1);
}

TEST_CASE("AtomicOutput with overwrite replaces the output only on commit", "[io][output]") {
    ScratchDir dir("atomic-overwrite");
    const std::string final_path = dir.file("result.csv");
    write_text(final_path, "old");
    AtomicOutput out(final_path, true);
    write_text(out.temp_path(), "new");
    CHECK(read_text(final_path) == "old");
    out.commit();
    CHECK(read_text(final_path) == "new");
    CHECK(dir.count() == 1);
}

TEST_CASE("AtomicOutput replaces a large output and removes the old file on another thread",
          "[io][output]") {
    ScratchDir dir("atomic-large");
    const std::string final_path = dir.file("pieces.gpkg");
    const std::string old_text(20 << 20, 'o'); // over the 16 MiB threshold
    write_text(final_path, old_text);
    AtomicOutput out(final_path, true);
    write_text(out.temp_path(), "new");
    CHECK(read_text(final_path) == old_text);
    out.commit();
    CHECK(read_text(final_path) == "new");
    soilrisk::io::wait_for_replaced_outputs();
    CHECK(dir.count() == 1); // the old file's second name is gone
    CHECK(fs::file_size(final_path) == 3);
}

TEST_CASE("AtomicOutput destroyed before commit removes its temporary and keeps the old output",
          "[io][output]") {
    ScratchDir dir("atomic-fail");
    const std::string final_path = dir.file("result.gpkg");
    write_text(final_path, "old");
    std::string temp;
    try {
        AtomicOutput out(final_path, true);
        temp = out.temp_path();
        write_text(out.temp_path(), "half-written");
        write_text(out.temp_path() + "-journal", "sqlite journal");
        throw std::runtime_error("failure while writing");
    } catch (const std::runtime_error& e) {
        CHECK(std::string(e.what()) == "failure while writing");
    }
    CHECK_FALSE(temp.empty());
    CHECK_FALSE(fs::exists(temp));
    CHECK_FALSE(fs::exists(temp + "-journal"));
    CHECK(read_text(final_path) == "old");
    CHECK(dir.count() == 1);
}

TEST_CASE("AtomicOutput into a missing folder is an IoError naming the folder", "[io][output]") {
    ScratchDir dir("atomic-nofolder");
    const std::string missing = dir.file("no-such-folder");
    try {
        AtomicOutput out(missing + "/result.csv", false);
        FAIL("no exception");
    } catch (const soilrisk::OutputExistsError&) {
        FAIL("wrong error type");
    } catch (const soilrisk::IoError& e) {
        CHECK_THAT(e.what(), Catch::Contains("'" + missing + "'"));
        CHECK_THAT(e.what(), Catch::Contains("does not exist"));
    }
}

TEST_CASE("AtomicOutput rejects an output path that is a folder", "[io][output]") {
    ScratchDir dir("atomic-isdir");
    fs::create_directory(dir.path / "sub");
    CHECK_THROWS_AS(AtomicOutput(dir.file("sub"), true), soilrisk::IoError);
}

TEST_CASE("AtomicOutput move transfers the pending temporary", "[io][output]") {
    ScratchDir dir("atomic-move");
    const std::string final_path = dir.file("result.txt");
    AtomicOutput a(final_path, false);
    write_text(a.temp_path(), "x");
    AtomicOutput b(std::move(a));
    CHECK(fs::exists(b.temp_path()));
    b.commit();
    CHECK(read_text(final_path) == "x");
}

TEST_CASE("remove_pending_outputs unlinks uncommitted temporaries", "[io][output]") {
    ScratchDir dir("atomic-pending");
    AtomicOutput committed(dir.file("done.txt"), false);
    write_text(committed.temp_path(), "kept");
    committed.commit();

    AtomicOutput pending(dir.file("pending.gpkg"), false);
    write_text(pending.temp_path(), "partial");
    write_text(pending.temp_path() + "-wal", "wal");
    soilrisk::io::remove_pending_outputs();
    CHECK_FALSE(fs::exists(pending.temp_path()));
    CHECK_FALSE(fs::exists(pending.temp_path() + "-wal"));
    CHECK(read_text(dir.file("done.txt")) == "kept");
    CHECK(dir.count() == 1);
    // Nothing is left to commit.
    CHECK_THROWS_AS(pending.commit(), soilrisk::IoError);
}

namespace {
extern "C" void on_sigterm(int) {
    soilrisk::io::remove_pending_outputs();
    _exit(3);
}
} // namespace

TEST_CASE("a SIGTERM handler calling remove_pending_outputs leaves no temporary behind",
          "[io][output]") {
    ScratchDir dir("atomic-signal");
    const std::string final_path = dir.file("result.csv");
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        std::signal(SIGTERM, on_sigterm);
        AtomicOutput out(final_path, false);
        write_text(out.temp_path(), "partial");
        std::raise(SIGTERM);
        _exit(0); // not reached
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 3);
    CHECK(dir.count() == 0);
}
