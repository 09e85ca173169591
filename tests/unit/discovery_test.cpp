#include "dll_driver.hpp"
#include "driver_registry.hpp"
#include "support/test_support.hpp"

#include <catch2/catch.hpp>
#include <sys/utsname.h>
#include <sys/wait.h>

#include <algorithm>

using berth::host::DriverInfo;
using berth::host::DriverRegistry;
using berth::host::RegistryOptions;

namespace {

namespace fs = std::filesystem;

fs::path kind_dir(const std::string &kind) { return fs::path(BERTH_BAD_DRIVER_DIR) / kind; }

fs::path kind_file(const std::string &kind) { return kind_dir(kind) / (kind + ".so"); }

DriverRegistry registry_of(std::vector<std::string> kinds,
                           std::map<std::string, std::string> options = {}) {
    RegistryOptions opts;
    for (const auto &k : kinds)
        opts.dirs.push_back(kind_dir(k));
    opts.driver_options = std::move(options);
    opts.list_timeout = std::chrono::milliseconds(1000);
    return DriverRegistry(std::move(opts));
}

// The message load() gives for the fixture `kind`, which must fail.
std::string load_failure(const std::string &kind) {
    auto r = registry_of({kind}).load(kind);
    REQUIRE_FALSE(r.has_value());
    return r.error().render();
}

std::string prefix(const std::string &kind) {
    return "load driver " + kind + " from `" + kind_file(kind).string() + "`: ";
}

// No child of this process may outlive list().
void require_no_children() {
    errno = 0;
    REQUIRE(::waitpid(-1, nullptr, WNOHANG) == -1);
    REQUIRE(errno == ECHILD);
}

berth_container_ref ref_of(const char *id) {
    berth_container_ref ref{};
    ref.struct_size = sizeof ref;
    ref.id = id;
    ref.bundle = "/nonexistent";
    ref.state_dir = "/nonexistent";
    return ref;
}

} // namespace

TEST_CASE("the good C driver loads, negotiates and answers through the host's wrappers",
          "[unit]") {
    auto r = registry_of({"good"}).load("good");
    REQUIRE(r.has_value());
    auto &d = **r;
    REQUIRE(d.name() == "good");
    REQUIRE(d.version() == "0.0.1");
    REQUIRE(d.path() == kind_file("good").string());
    REQUIRE(d.abi_minor() == 0);
    REQUIRE(d.probe().value() == "");
    REQUIRE(d.features().value() == "{\"ociVersionMin\": \"1.0.0\", \"ociVersionMax\": \"1.2.0\", "
                                    "\"linux\": {\"namespaces\": []}}");
    auto ref = ref_of("c1");
    REQUIRE(d.pids(ref).value() == std::vector<int>{1, 2, 3});
    REQUIRE(d.stats(ref).value() == "{\"pids\": {\"current\": 3}}");
}

TEST_CASE("a driver's failure keeps its code, errno and message, prefixed with its name",
          "[unit]") {
    auto r = registry_of({"good"}).load("good");
    REQUIRE(r.has_value());
    auto ref = ref_of("c1");
    auto k = (*r)->kill(ref, 9, false);
    REQUIRE_FALSE(k.has_value());
    REQUIRE(k.error().code == BERTH_E_NOT_FOUND);
    REQUIRE(k.error().sys_errno == ESRCH);
    REQUIRE(k.error().render() == "driver good: no container with that id: No such process");
    auto p = (*r)->pause(ref);
    REQUIRE(p.error().code == BERTH_E_NOT_SUPPORTED);
    REQUIRE(p.error().render() == "driver good: pause is not supported by driver good");
}

TEST_CASE("a failing operation without an error message is reported as a driver bug",
          "[unit]") {
    auto r = registry_of({"good"}, {{"good", "{\"silent_failures\": true}"}}).load("good");
    REQUIRE(r.has_value());
    auto ref = ref_of("c1");
    auto p = (*r)->pause(ref);
    REQUIRE_FALSE(p.has_value());
    REQUIRE(p.error().render() ==
            "driver good failed in pause without an error message (a driver bug)");
}

TEST_CASE("a text file named .so is not an ELF shared object", "[unit]") {
    REQUIRE(load_failure("not_elf") == prefix("not_elf") + "not an ELF shared object");
}

TEST_CASE("a driver built for another architecture names both machines", "[unit]") {
    utsname u{};
    ::uname(&u);
    if (std::string(u.machine) != "x86_64")
        berth::test::skip("the expected text names x86_64 as this host");
    REQUIRE(load_failure("wrong_arch") ==
            prefix("wrong_arch") + "built for aarch64, this host is x86_64");
}

TEST_CASE("a missing dependency is reported with the loader's text", "[unit]") {
    REQUIRE(load_failure("missing_dep") ==
            prefix("missing_dep") +
                "missing dependency: libberth-fixture-stub.so.1: cannot open shared object "
                "file: No such file or directory");
}

TEST_CASE("a shared object without the entry point is not a driver", "[unit]") {
    REQUIRE(load_failure("no_entry") ==
            prefix("no_entry") + "does not export berth_driver_entry_v1");
}

TEST_CASE("a driver exporting only another major's entry shows both majors", "[unit]") {
    REQUIRE(load_failure("v2_only") ==
            prefix("v2_only") + "exports berth_driver_entry_v2 (ABI major 2), this berth speaks "
                                "ABI major 1 (berth_driver_entry_v1): install a build of the "
                                "driver for ABI 1");
}

TEST_CASE("an entry of another major shows both majors", "[unit]") {
    REQUIRE(load_failure("major_two") ==
            prefix("major_two") + "driver major_two speaks ABI major 2, this berth speaks ABI "
                                  "major 1: install a build of the driver for ABI 1");
}

TEST_CASE("a driver with no minor in common shows both ranges", "[unit]") {
    REQUIRE(load_failure("minor_range") ==
            prefix("minor_range") + "driver minor_range speaks ABI 1.3-1.5, this berth speaks "
                                    "1.0-1.0: use a driver and a berth with a common ABI "
                                    "version");
}

TEST_CASE("an init failure shows the driver's own message", "[unit]") {
    auto r = registry_of({"init_fails"}).load("init_fails");
    REQUIRE_FALSE(r.has_value());
    REQUIRE(r.error().code == BERTH_E_UNAVAILABLE);
    REQUIRE(r.error().sys_errno == ENOENT);
    REQUIRE(r.error().render() ==
            prefix("init_fails") +
                "init failed: open `/run/fixture.sock`: No such file or directory (start "
                "fixtured)");
}

TEST_CASE("an init failure without a message is reported as a driver bug", "[unit]") {
    REQUIRE(load_failure("init_silent") ==
            prefix("init_silent") +
                "driver init_silent failed in init without an error message (a driver bug)");
}

TEST_CASE("an entry whose name differs from the file name is refused", "[unit]") {
    REQUIRE(load_failure("name_mismatch") ==
            prefix("name_mismatch") + "its entry point names it `other` but the file is "
                                      "name_mismatch.so: a driver's file name must be its name");
}

TEST_CASE("an unknown driver names the available ones", "[unit]") {
    auto r = registry_of({"good", "not_elf"}).load("nope");
    REQUIRE_FALSE(r.has_value());
    REQUIRE(r.error().code == BERTH_E_NOT_FOUND);
    REQUIRE(r.error().render() == "unknown driver `nope` (available: good, not_elf)");
}

TEST_CASE("names() reads listings only, so a crashing constructor does not run", "[unit]") {
    // Loading ctor_segv in this process would kill the test.
    auto names = registry_of({"ctor_segv", "good", "duplicate", "init_hangs"}).names();
    REQUIRE(names == std::vector<std::string>{"ctor_segv", "good", "init_hangs"});
}

TEST_CASE("load() takes the first directory's file of a duplicated name", "[unit]") {
    auto r = registry_of({"duplicate", "good"}).load("good");
    REQUIRE(r.has_value());
    REQUIRE((*r)->path() == (kind_dir("duplicate") / "good.so").string());
}

TEST_CASE("list() reports every broken kind with its reason while good drivers stay usable",
          "[unit]") {
    const std::vector<std::string> kinds = {
        "good",        "ctor_segv",   "duplicate",   "init_fails",  "init_hangs",
        "init_silent", "major_two",   "minor_range", "missing_dep", "name_mismatch",
        "no_entry",    "not_elf",     "v2_only",     "wrong_arch"};
    auto infos = registry_of(kinds).list();
    require_no_children();

    std::map<std::string, DriverInfo> by_path;
    for (const auto &i : infos)
        by_path[i.path.string()] = i;
    REQUIRE(infos.size() == kinds.size());

    const auto &good = by_path.at(kind_file("good").string());
    REQUIRE(good.status == DriverInfo::Status::usable);
    REQUIRE(good.reason == "");
    REQUIRE(good.version == "0.0.1");
    REQUIRE(good.description == "test fixture");
    REQUIRE(good.abi_major == 1);
    REQUIRE(good.abi_minor == 0);

    auto reason = [&](const std::string &kind) {
        const auto &i = by_path.at(kind_file(kind).string());
        CHECK(i.status == DriverInfo::Status::broken);
        CHECK(i.name == kind);
        return i.reason;
    };
    CHECK(reason("ctor_segv") == "crashed with SIGSEGV while loading");
    CHECK(reason("init_hangs") == "did not answer within 1s in init");
    CHECK(reason("init_fails") ==
          "init failed: open `/run/fixture.sock`: No such file or directory (start fixtured)");
    CHECK(reason("init_silent") ==
          "driver init_silent failed in init without an error message (a driver bug)");
    CHECK(reason("major_two") == "driver major_two speaks ABI major 2, this berth speaks ABI "
                                 "major 1: install a build of the driver for ABI 1");
    CHECK(reason("minor_range") == "driver minor_range speaks ABI 1.3-1.5, this berth speaks "
                                   "1.0-1.0: use a driver and a berth with a common ABI version");
    CHECK(reason("missing_dep") == "missing dependency: libberth-fixture-stub.so.1: cannot open "
                                   "shared object file: No such file or directory");
    CHECK(reason("name_mismatch") == "its entry point names it `other` but the file is "
                                     "name_mismatch.so: a driver's file name must be its name");
    CHECK(reason("no_entry") == "does not export berth_driver_entry_v1");
    CHECK(reason("not_elf") == "not an ELF shared object");
    CHECK(reason("v2_only") == "exports berth_driver_entry_v2 (ABI major 2), this berth speaks "
                               "ABI major 1 (berth_driver_entry_v1): install a build of the "
                               "driver for ABI 1");
    CHECK(reason("wrong_arch").starts_with("built for aarch64, this host is "));

    const auto &dup = by_path.at((kind_dir("duplicate") / "good.so").string());
    CHECK(dup.status == DriverInfo::Status::broken);
    CHECK(dup.reason == "duplicate driver name good: `" +
                            (kind_dir("duplicate") / "good.so").string() + "` is shadowed by `" +
                            kind_file("good").string() + "`, which berth uses; remove one of them");

    // The listing did not load anything into this process: the good driver still loads.
    REQUIRE(registry_of(kinds).load("good").has_value());
}
