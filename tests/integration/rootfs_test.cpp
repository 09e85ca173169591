#include "support/test_support.hpp"

#include <catch2/catch.hpp>

using namespace berth::test;

TEST_CASE("the build makes a busybox root filesystem with a static shell", "[unit]") {
    REQUIRE(fs::is_regular_file(rootfs_dir() / "bin/busybox"));
    REQUIRE(fs::is_symlink(rootfs_dir() / "bin/sh"));
    RunResult r = run({(rootfs_dir() / "bin/busybox").string(), "echo", "hello"});
    REQUIRE(r.exit_code == 0);
    REQUIRE(r.out == "hello\n");
}
