#include <berth/common/error.hpp>

#include <catch2/catch.hpp>

using berth::Error;

TEST_CASE("an error renders context, operation, path, errno text and hint in order", "[unit]") {
    Error e = berth::sys_error("mount", "/run/berth/c1/rootfs/proc", EACCES)
                  .in("set up rootfs")
                  .with_hint("run as root");
    REQUIRE(e.render() ==
            "set up rootfs: mount `/run/berth/c1/rootfs/proc`: Permission denied (hint: run as root)");
    REQUIRE(e.code == BERTH_E_PERMISSION);
}

TEST_CASE("a cleanup error is kept beside the original cause", "[unit]") {
    Error e = berth::sys_error("write", "/sys/fs/cgroup/pids/x/pids.max", EINVAL);
    e.attach_cleanup(berth::sys_error("rmdir", "/sys/fs/cgroup/pids/x", EBUSY));
    REQUIRE(e.render() == "write `/sys/fs/cgroup/pids/x/pids.max`: Invalid argument; while "
                          "cleaning up: rmdir `/sys/fs/cgroup/pids/x`: Device or resource busy");
}

TEST_CASE("outer steps render outermost first", "[unit]") {
    Error e = berth::make_error(BERTH_E_INVALID_SPEC, "process.args is empty");
    e.in("parse config.json").in("create container c1");
    REQUIRE(e.render() == "create container c1: parse config.json: process.args is empty");
}
