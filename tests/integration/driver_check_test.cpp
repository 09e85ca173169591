// berth-driver-check against drivers known to keep or to break one rule each (built from
// tests/abi/drivers/reference_driver.c), asserting the exact verdict line for the rule broken,
// that the checker survives a crashing driver, and that it leaves no scratch files behind.
#include "support/test_support.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

namespace {

namespace fs = std::filesystem;
using berth::test::RunResult;

fs::path checker() {
    return fs::path(BERTH_TEST_BUILD_DIR) / "bin" / "berth-driver-check";
}
fs::path test_driver(const std::string &name) {
    return fs::path(BERTH_TEST_BUILD_DIR) / "tests" / "abi" / "drivers" / (name + ".so");
}

std::vector<std::string> lines_of(const std::string &text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);)
        lines.push_back(l);
    return lines;
}

bool has_line(const RunResult &r, const std::string &line) {
    for (const auto &l : lines_of(r.out))
        if (l == line)
            return true;
    return false;
}

bool has_line_starting(const RunResult &r, const std::string &prefix) {
    for (const auto &l : lines_of(r.out))
        if (l.rfind(prefix, 0) == 0)
            return true;
    return false;
}

// Runs the checker with its scratch directories in a private TMPDIR and asserts that it
// removed every one of them.
RunResult check(const fs::path &driver, const std::vector<std::string> &extra = {}) {
    berth::test::Sandbox sandbox;
    fs::path tmp = sandbox.dir() / "tmp";
    fs::create_directories(tmp);
    std::vector<std::string> argv = {"/usr/bin/env", "TMPDIR=" + tmp.string(), checker()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back(driver);
    RunResult r = berth::test::run(argv, {}, 240);
    INFO(r.out);
    REQUIRE(fs::is_empty(tmp));
    return r;
}

void require_failed(const RunResult &r, const std::string &line) {
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 1);
    REQUIRE(has_line(r, line));
    REQUIRE(lines_of(r.out).back().ends_with(" failed"));
    REQUIRE_FALSE(lines_of(r.out).back().ends_with(" 0 failed"));
}

} // namespace

TEST_CASE("driver check passes a driver built against the 1.0 header", "[unit]") {
    RunResult r = check(test_driver("reference"));
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    auto lines = lines_of(r.out);
    REQUIRE(lines.size() == 16);
    for (size_t i = 0; i + 1 < lines.size(); ++i)
        REQUIRE(lines[i].rfind("PASS ", 0) == 0);
    REQUIRE(lines.back() == "15 passed, 0 failed");
    REQUIRE(r.err.empty());
}

TEST_CASE("driver check fails a driver that exports a symbol besides the entry point", "[unit]") {
    require_failed(check(test_driver("bad-extra-symbol")),
                   "FAIL exports: exports 1 symbol besides berth_driver_entry_v1: "
                   "berth_bad_helper (link with the berth-driver.map version script and build "
                   "with hidden visibility)");
}

TEST_CASE("driver check fails a driver that writes to stdout in probe", "[unit]") {
    RunResult r = check(test_driver("bad-noisy-probe"));
    require_failed(r, "FAIL quiet: probe wrote 13 bytes to stdout: \"probe called\\n\"");
    REQUIRE(has_line(r, "FAIL probe: wrote 13 bytes to stdout: \"probe called\\n\""));
}

TEST_CASE("driver check fails a driver whose failures carry no message", "[unit]") {
    RunResult r = check(test_driver("bad-silent-failure"));
    require_failed(r, "FAIL failure-messages: state failed with code 2 without calling "
                      "report_error (every failure must carry a message) on an unknown "
                      "container");
    REQUIRE(has_line(r, "FAIL unknown-option: init failed with code 9 without calling "
                        "report_error (every failure must carry a message)"));
}

TEST_CASE("driver check fails a driver that ignores a field its features do not declare",
          "[unit]") {
    require_failed(check(test_driver("bad-ignores-field")),
                   "FAIL unsupported-field: create accepted a config.json with "
                   "linux.namespaces[pid], which the features document does not declare "
                   "(refuse it with BERTH_E_INVALID_SPEC or BERTH_E_NOT_SUPPORTED, naming the "
                   "field)");
}

TEST_CASE("driver check fails a driver that leaks an fd per init", "[unit]") {
    RunResult r = check(test_driver("bad-leaks-fd"));
    INFO(r.out);
    REQUIRE(r.exit_code == 1);
    REQUIRE(has_line_starting(r, "FAIL load-unload: open fds grew from "));
    REQUIRE(r.out.find(" over 50 load/init/deinit/unload cycles (close every fd by deinit)") !=
            std::string::npos);
}

TEST_CASE("driver check counts leak cycles as told by --iterations", "[unit]") {
    RunResult r =
        check(test_driver("bad-leaks-fd"), {"--iterations", "7", "--only", "load-unload"});
    INFO(r.out);
    REQUIRE(r.exit_code == 1);
    REQUIRE(r.out.find(" over 7 load/init/deinit/unload cycles") != std::string::npos);
    REQUIRE(has_line(r, "SKIP exports: not selected with --only"));
    REQUIRE(lines_of(r.out).back() == "0 passed, 1 failed");
}

TEST_CASE("driver check fails a driver that picks a minor it does not speak", "[unit]") {
    require_failed(check(test_driver("bad-greedy-negotiate")),
                   "FAIL negotiate: a newer host offering [0, 5] got minor 5, outside the "
                   "driver's declared [0, 0]");
}

TEST_CASE("driver check fails a driver that accepts an unknown option", "[unit]") {
    require_failed(check(test_driver("bad-accepts-options")),
                   "FAIL unknown-option: init accepted the unknown option "
                   "\"berth-driver-check-no-such-option\" (an option the driver does not know "
                   "must be BERTH_E_INVALID_ARGUMENT)");
}

TEST_CASE("driver check fails a driver whose entry name differs from its file name", "[unit]") {
    require_failed(check(test_driver("bad-wrong-name")),
                   "FAIL entry: entry name \"some-other-name\" does not match the file name "
                   "bad-wrong-name.so (the host finds drivers by file name)");
}

TEST_CASE("driver check fails a driver with a NULL operation without crashing itself", "[unit]") {
    RunResult r = check(test_driver("bad-null-operation"));
    require_failed(r, "FAIL operations: operation pause is NULL (an operation the driver does not "
                      "implement returns BERTH_E_NOT_SUPPORTED)");
    REQUIRE(has_line(r, "FAIL failure-messages: operation pause is NULL in the driver's table on "
                        "an unknown container"));
}

TEST_CASE("driver check reports a crashing driver per check and keeps going", "[unit]") {
    RunResult r = check(test_driver("bad-crash"));
    require_failed(r, "FAIL probe: crashed with signal 11 (Segmentation fault)");
    REQUIRE(has_line(r, "PASS exports"));
    REQUIRE(lines_of(r.out).back() == "9 passed, 6 failed");
}

TEST_CASE("driver check reports a file that is not a driver and skips what needs it", "[unit]") {
    berth::test::Sandbox sandbox;
    fs::path bogus = sandbox.dir() / "bogus.so";
    std::ofstream(bogus) << "not a shared object\n";
    RunResult r = check(bogus);
    require_failed(r, "FAIL exports: `" + bogus.string() + "` is not an ELF file");
    REQUIRE(has_line_starting(r, "FAIL load: dlopen: "));
    REQUIRE(has_line(r, "SKIP entry: the driver does not load"));
    REQUIRE(has_line(r, "SKIP load-unload: the driver does not load"));
    REQUIRE(lines_of(r.out).back() == "0 passed, 2 failed");
}

TEST_CASE("driver check refuses to run without a readable driver file", "[unit]") {
    RunResult r = berth::test::run({checker(), "/nonexistent/driver.so"});
    REQUIRE(r.exit_code == 2);
    REQUIRE(r.out.empty());
    REQUIRE(lines_of(r.err).front() ==
            "berth-driver-check: cannot read `/nonexistent/driver.so`: No such file or directory");
}

// The loader-level broken drivers of tests/fixtures/bad-drivers, as the checker sees them.
namespace {

fs::path fixture_driver(const std::string &kind) {
    fs::path p = fs::path(BERTH_TEST_BUILD_DIR) / "tests" / "fixtures" / "bad-drivers" / "drivers" /
                 kind / (kind + ".so");
    if (!fs::exists(p))
        berth::test::skip("fixture driver " + p.string() + " is not built");
    return p;
}

} // namespace

TEST_CASE("driver check fails a driver of another ABI major as having no v1 entry", "[unit]") {
    RunResult r = check(fixture_driver("v2_only"));
    require_failed(r, "FAIL exports: berth_driver_entry_v1 is not exported (exported: "
                      "berth_driver_entry_v2)");
    REQUIRE(has_line(r, "FAIL load: no entry point berth_driver_entry_v1 (a driver of another "
                        "ABI major, or not a berth driver)"));
    REQUIRE(has_line(r, "SKIP negotiate: the driver does not load"));
}

TEST_CASE("driver check fails a driver whose entry claims another major", "[unit]") {
    require_failed(check(fixture_driver("major_two")),
                   "FAIL entry: entry abi_major is 2 but the symbol is berth_driver_entry_v1");
}

TEST_CASE("driver check survives a driver that crashes in its constructor", "[unit]") {
    RunResult r = check(fixture_driver("ctor_segv"));
    require_failed(r, "FAIL load: crashed with signal 11 (Segmentation fault)");
    REQUIRE(has_line(r, "PASS exports"));
}

TEST_CASE("driver check fails a driver whose dependency is missing", "[unit]") {
    require_failed(check(fixture_driver("missing_dep")),
                   "FAIL load: dlopen: libberth-fixture-stub.so.1: cannot open shared object "
                   "file: No such file or directory");
}

TEST_CASE("driver check fails a driver built for another architecture", "[unit]") {
    fs::path p = fixture_driver("wrong_arch");
    RunResult r = check(p);
    INFO(r.out);
    REQUIRE(r.exit_code == 1);
    REQUIRE(has_line_starting(r, "FAIL exports: `" + p.string() +
                                     "` is built for ELF machine 183, this host is "));
}

TEST_CASE("the berth host lists a driver built against the 1.0 header as usable", "[unit]") {
    berth::test::Sandbox sandbox;
    fs::path dir = sandbox.dir() / "old-drivers";
    fs::create_directories(dir);
    fs::copy_file(test_driver("reference"), dir / "reference.so");
    fs::path config = sandbox.dir() / "old-drivers.yaml";
    std::ofstream(config) << "driver_dirs:\n  - " << dir.string() << "\nstate_root: "
                          << sandbox.state_root().string() << "\n";
    RunResult r = berth::test::run({berth::test::berth_binary(), "-c", config, "drivers"});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    bool listed = false;
    for (const auto &line : lines_of(r.out)) {
        std::istringstream in(line);
        std::vector<std::string> cols;
        for (std::string c; in >> c;)
            cols.push_back(c);
        if (!cols.empty() && cols[0] == "reference") {
            REQUIRE(cols.size() >= 4);
            REQUIRE(cols[1] == "1.0.0");
            REQUIRE(cols[2] == "1.0");
            REQUIRE(cols[3] == "usable");
            listed = true;
        }
    }
    REQUIRE(listed);
}
