// `berth -e chroot run`: the container runs in the foreground on the busybox root filesystem,
// its stdio and exit status are berth's.
#include "chroot_support.hpp"

#include <catch2/catch.hpp>

using namespace berth::test;
using nlohmann::json;

TEST_CASE("berth -e chroot run runs a busybox command passing stdin, stdout and stderr through",
          "[root]") {
    require_root();
    Sandbox sb;
    auto b = chroot::bundle(sb, "stdio", {"sh", "-c", "cat; echo to-stderr >&2"});
    RunResult r = chroot::berth(sb, {"run", "-b", b.string(), sb.id("stdio")}, "from stdin\n");
    CHECK(r.exit_code == 0);
    CHECK(r.out == "from stdin\n");
    CHECK(r.err == "to-stderr\n");
    CHECK(sb.leftovers().empty());
}

TEST_CASE("berth -e chroot run exits with the container's exit status 0, 1 and 7", "[root]") {
    require_root();
    Sandbox sb;
    for (int code : {0, 1, 7}) {
        const std::string name = "exit" + std::to_string(code);
        auto b = chroot::bundle(sb, name, {"sh", "-c", "exit " + std::to_string(code)});
        RunResult r = chroot::berth(sb, {"run", "-b", b.string(), sb.id(name)});
        INFO(r.err);
        CHECK(r.exit_code == code);
        CHECK(r.out == "");
    }
    CHECK(sb.leftovers().empty());
}

TEST_CASE("berth -e chroot run exits with 128+n when the container dies by signal n", "[root]") {
    require_root();
    Sandbox sb;
    for (const auto &[sig, code] : {std::pair{"KILL", 137}, std::pair{"TERM", 143}}) {
        const std::string name = std::string("sig") + sig;
        auto b = chroot::bundle(sb, name, {"sh", "-c", std::string("kill -") + sig + " $$"});
        RunResult r = chroot::berth(sb, {"run", "-b", b.string(), sb.id(name)});
        INFO(r.err);
        CHECK(r.exit_code == code);
    }
    CHECK(sb.leftovers().empty());
}

TEST_CASE("berth -e chroot run applies the spec's env, cwd, uid, gid, additional gids and umask",
          "[root]") {
    require_root();
    Sandbox sb;
    auto b = chroot::bundle(sb, "ids", {"sh", "-c", "id; pwd; umask; env | sort"}, [&](json &s) {
        s["process"]["user"] = {
            {"uid", 1000}, {"gid", 1001}, {"additionalGids", {10, 20}}, {"umask", 077}};
        s["process"]["cwd"] = "/tmp";
        s["process"]["env"] = {"PATH=/bin:/usr/bin", "GREETING=hello world",
                               "BERTH_TEST_SANDBOX=" + sb.prefix()};
    });
    RunResult r = chroot::berth(sb, {"run", "-b", b.string(), sb.id("ids")});
    INFO(r.err);
    CHECK(r.exit_code == 0);
    // The shell adds PWD and SHLVL itself; nothing of berth's own environment gets in.
    CHECK(r.out == "uid=1000 gid=1001 groups=10,20\n"
                   "/tmp\n"
                   "0077\n"
                   "BERTH_TEST_SANDBOX=" + sb.prefix() + "\n"
                   "GREETING=hello world\n"
                   "PATH=/bin:/usr/bin\n"
                   "PWD=/tmp\n"
                   "SHLVL=1\n");
    CHECK(sb.leftovers().empty());
}

TEST_CASE("berth -e chroot run refuses a spec asking for namespaces, naming them", "[root]") {
    require_root();
    Sandbox sb;
    auto b = chroot::bundle(sb, "ns", {"true"}, [](json &s) {
        s["linux"] = {{"namespaces", json::array({{{"type", "pid"}}, {{"type", "network"}}})}};
        s["hostname"] = "box";
    });
    RunResult r = chroot::berth(sb, {"run", "-b", b.string(), sb.id("ns")});
    CHECK(r.exit_code == 1);
    CHECK(r.out == "");
    CHECK(r.err == "berth: driver chroot does not support hostname, linux.namespaces (asked for "
                   "by " + (b / "config.json").string() + ") (hint: remove them from "
                   "config.json, pick another driver with -e, or set "
                   "drivers.chroot.ignore_unsupported: true in berth.yaml to run without "
                   "them)\n");
    CHECK(sb.leftovers().empty());
}

TEST_CASE("berth -e chroot run drops unsupported fields with a warning when the driver's "
          "options allow it",
          "[root]") {
    require_root();
    Sandbox sb;
    sb.set_extra_config("drivers:\n  chroot:\n    ignore_unsupported: true\n");
    auto b = chroot::bundle(sb, "lenient", {"echo", "ran"}, [](json &s) {
        s["linux"] = {{"namespaces", json::array({{{"type", "pid"}}})}};
        s["hostname"] = "box";
    });
    RunResult r = chroot::berth(sb, {"run", "-b", b.string(), sb.id("lenient")});
    CHECK(r.exit_code == 0);
    CHECK(r.out == "ran\n");
    CHECK(r.err == "berth: warning: driver chroot does not support hostname, linux.namespaces; "
                   "running without them because drivers.chroot.ignore_unsupported is true\n");
    CHECK(sb.leftovers().empty());
}

TEST_CASE("berth -e chroot run fails, leaving nothing, when the program is not in the "
          "container's PATH",
          "[root]") {
    require_root();
    Sandbox sb;
    auto b = chroot::bundle(sb, "noexe", {"no-such-program"});
    RunResult r = chroot::berth(sb, {"run", "-b", b.string(), sb.id("noexe")});
    CHECK(r.exit_code == 1);
    CHECK(r.err == "berth: create container " + sb.id("noexe") +
                       ": driver chroot: set up the container's process: config.json: "
                       "process.args[0]: no executable \"no-such-program\" in the container's "
                       "PATH /usr/sbin:/usr/bin:/sbin:/bin: No such file or directory\n");
    CHECK(sb.leftovers().empty());
}
