// The example third-party driver, examples/nspawn-driver, as its author and a user would meet
// it: berth installed into a fresh prefix, the example built out of tree against that prefix's
// SDK alone and installed into its driver directory, then the installed berth running a
// busybox container through it and the installed checker passing it.
#include "support/test_support.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <fstream>
#include <sstream>

using namespace berth::test;

namespace {

fs::path find_program(const std::string &name) {
    const char *path = std::getenv("PATH");
    std::stringstream dirs(path != nullptr ? path : "/usr/sbin:/usr/bin:/sbin:/bin");
    for (std::string dir; std::getline(dirs, dir, ':');) {
        fs::path p = fs::path(dir) / name;
        if (!dir.empty() && ::access(p.c_str(), X_OK) == 0)
            return p;
    }
    return {};
}

// Directories systemd-nspawn may make in a cgroup hierarchy it runs in with --keep-unit.
std::vector<fs::path> nspawn_cgroup_dirs() {
    std::vector<fs::path> found;
    std::error_code ec;
    for (const auto &root : {"/sys/fs/cgroup", "/sys/fs/cgroup/unified", "/sys/fs/cgroup/systemd"})
        for (const auto &parent : {fs::path(root), fs::path(root) / "berth-nspawn"})
            for (const char *name : {"payload", "supervisor"})
                if (fs::exists(parent / name, ec))
                    found.push_back(parent / name);
    return found;
}

// Removes the scratch directory however the test ends.
struct ScratchDir {
    fs::path path;
    ~ScratchDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

} // namespace

TEST_CASE("the nspawn example driver builds against the installed SDK alone and runs a "
          "container under an installed berth",
          "[root][sdk]") {
    require_root();
    if (find_program("systemd-nspawn").empty())
        skip("systemd-nspawn not found (Debian package systemd-container)");

    Sandbox sb;
    ScratchDir work{fs::path("/tmp") / ("berth-sdk-nspawn-" + std::to_string(::getpid()))};
    const fs::path nspawn_run_dir = "/run/systemd/nspawn";
    const bool had_nspawn_run_dir = fs::exists(nspawn_run_dir);
    const auto cgroups_before = nspawn_cgroup_dirs();

    // Install berth and build the example against it.
    RunResult built = run({"/usr/bin/env", "cmake", "-DBUILD_DIR=" BERTH_TEST_BUILD_DIR,
                           "-DSOURCE_DIR=" BERTH_TEST_SOURCE_DIR "/examples/nspawn-driver",
                           "-DWORK_DIR=" + work.path.string(), "-P",
                           BERTH_TEST_SOURCE_DIR "/tests/abi/nspawn_example_install.cmake"},
                          {}, 240);
    INFO("install and build: " << built.out << built.err);
    REQUIRE(built.exit_code == 0);
    const fs::path prefix = work.path / "stage/opt/berth";
    const fs::path driver = prefix / "lib/berth/drivers/nspawn.so";
    REQUIRE(fs::exists(driver));

    // The installed berth finds the driver in its own prefix; no other directory is searched.
    const fs::path config = work.path / "berth.yaml";
    std::ofstream(config) << "driver_dirs: []\nstate_root: " << sb.state_root().string() << "\n";
    auto berth = [&](std::vector<std::string> args) {
        std::vector<std::string> argv = {(prefix / "bin/berth").string(), "-c", config.string()};
        argv.insert(argv.end(), args.begin(), args.end());
        return run(argv, {}, 60);
    };

    RunResult listed = berth({"drivers", "--format", "json"});
    INFO("berth drivers: " << listed.out << listed.err);
    REQUIRE(listed.exit_code == 0);
    auto drivers = nlohmann::json::parse(listed.out);
    auto nspawn = std::find_if(drivers.begin(), drivers.end(),
                               [](const nlohmann::json &d) { return d["name"] == "nspawn"; });
    REQUIRE(nspawn != drivers.end());
    CHECK((*nspawn)["status"] == "usable");
    CHECK((*nspawn)["path"] == driver.string());

    // systemd-nspawn accepts a directory only with an os-release file, which the shared busybox
    // root lacks: the container gets a copy with one.
    const fs::path rootfs = sb.dir() / "rootfs";
    REQUIRE(run({"/bin/cp", "-a", rootfs_dir().string(), rootfs.string()}).exit_code == 0);
    fs::create_directories(rootfs / "usr/lib");
    std::ofstream(rootfs / "usr/lib/os-release") << "ID=busybox\nNAME=busybox\n";

    const std::string id = sb.id("nspawn");
    fs::path bundle = sb.bundle(
        "nspawn", {"/bin/sh", "-c", "echo \"$GREETING from $(hostname) as pid $$\"; exit 7"},
        [&](nlohmann::json &spec) {
            spec["root"]["path"] = rootfs.string();
            spec["hostname"] = "nspawned";
            spec["process"]["env"].push_back("GREETING=hello");
            spec["linux"].erase("cgroupsPath"); // the driver refuses it, by name
        });

    RunResult ran = berth({"-e", "nspawn", "run", "-b", bundle.string(), id});
    INFO("berth run: " << ran.out << ran.err);
    CHECK(ran.exit_code == 7);
    CHECK(ran.out == "hello from nspawned as pid 2\n");

    // A field the driver lists as unsupported is refused, naming it, before anything runs.
    fs::path refused = sb.bundle("refused", {"/bin/true"}, [&](nlohmann::json &spec) {
        spec["root"]["path"] = rootfs.string();
    });
    RunResult no = berth({"-e", "nspawn", "run", "-b", refused.string(), sb.id("refused")});
    CHECK(no.exit_code != 0);
    CHECK(no.err.find("linux.cgroupsPath") != std::string::npos);

    RunResult checked =
        run({(prefix / "bin/berth-driver-check").string(), driver.string()}, {}, 120);
    INFO("berth-driver-check: " << checked.out << checked.err);
    CHECK(checked.exit_code == 0);

    // Nothing of systemd-nspawn's stays: no cgroup it split off, no machine directory, and
    // no parent cgroup of the driver's once its last container is gone.
    CHECK(nspawn_cgroup_dirs() == cgroups_before);
    for (const char *root : {"/sys/fs/cgroup", "/sys/fs/cgroup/unified", "/sys/fs/cgroup/systemd"})
        CHECK_FALSE(fs::exists(fs::path(root) / "berth-nspawn"));
    CHECK_FALSE(fs::exists(nspawn_run_dir / "propagate" / id));
    if (!had_nspawn_run_dir)
        fs::remove_all(nspawn_run_dir);
}
