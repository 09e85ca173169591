// create, start, state, kill and delete of a chroot container, each a berth invocation of its
// own, as runc-style callers use them.
#include "chroot_support.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

using namespace berth::test;
using nlohmann::json;

namespace {

// `berth create` with its stdio on files: the created container keeps create's stdio as its
// own, so pipes to the test would stay open until the container ends.
RunResult create_detached(const Sandbox &sb, const fs::path &bundle, const std::string &id) {
    const auto out = sb.dir() / (id + ".create.out");
    RunResult r = run({"/bin/sh", "-c", "exec \"$@\" </dev/null >\"$0\" 2>&1", out.string(),
                       berth_binary().string(), "--root", sb.state_root().string(), "-c",
                       sb.config_path().string(), "--log-level", "warn", "-e", "chroot",
                       "create", "-b", bundle.string(), id});
    std::ifstream in(out);
    std::stringstream ss;
    ss << in.rdbuf();
    r.err = ss.str();
    return r;
}

json state_of(const Sandbox &sb, const std::string &id) {
    RunResult r = chroot::berth(sb, {"state", id});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    return json::parse(r.out);
}

// The container's process is no longer berth's child after create exits, so its end is
// observed through state.
std::string wait_for_status(const Sandbox &sb, const std::string &id, const std::string &want) {
    std::string status;
    for (int i = 0; i < 1000; ++i) {
        status = state_of(sb, id)["status"].get<std::string>();
        if (status == want)
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return status;
}

} // namespace

TEST_CASE("chroot container goes through create, start, state, kill and delete as separate "
          "berth invocations",
          "[root]") {
    require_root();
    Sandbox sb;
    const std::string id = sb.id("life");
    auto b = chroot::bundle(sb, "life", {"sleep", "1000"});

    RunResult created = create_detached(sb, b, id);
    INFO(created.err);
    REQUIRE(created.exit_code == 0);
    json st = state_of(sb, id);
    CHECK(st["status"] == "created");
    CHECK(st["id"] == id);
    CHECK(st["driver"] == "chroot");
    const int pid = st["pid"].get<int>();
    CHECK(pid > 0);

    RunResult started = chroot::berth(sb, {"start", id});
    INFO(started.err);
    REQUIRE(started.exit_code == 0);
    st = state_of(sb, id);
    CHECK(st["status"] == "running");
    CHECK(st["pid"] == pid);

    RunResult killed = chroot::berth(sb, {"kill", id, "TERM"});
    INFO(killed.err);
    REQUIRE(killed.exit_code == 0);
    CHECK(wait_for_status(sb, id, "stopped") == "stopped");

    RunResult deleted = chroot::berth(sb, {"delete", id});
    INFO(deleted.err);
    CHECK(deleted.exit_code == 0);
    CHECK(sb.leftovers().empty());
}

TEST_CASE("berth delete refuses a running chroot container without --force and removes it with "
          "--force",
          "[root]") {
    require_root();
    Sandbox sb;
    const std::string id = sb.id("busy");
    auto b = chroot::bundle(sb, "busy", {"sleep", "1000"});
    REQUIRE(create_detached(sb, b, id).exit_code == 0);
    REQUIRE(chroot::berth(sb, {"start", id}).exit_code == 0);

    RunResult refused = chroot::berth(sb, {"delete", id});
    CHECK(refused.exit_code == 1);
    CHECK(refused.err == "berth: delete container " + id + ": driver chroot: container " + id +
                             " is running (hint: stop it with `berth kill` first, or use "
                             "`berth delete --force`)\n");
    CHECK(state_of(sb, id)["status"] == "running");

    RunResult forced = chroot::berth(sb, {"delete", "--force", id});
    INFO(forced.err);
    CHECK(forced.exit_code == 0);
    CHECK(sb.leftovers().empty());
}

TEST_CASE("berth delete removes a created chroot container that never started", "[root]") {
    require_root();
    Sandbox sb;
    const std::string id = sb.id("unstarted");
    auto b = chroot::bundle(sb, "unstarted", {"sleep", "1000"});
    REQUIRE(create_detached(sb, b, id).exit_code == 0);
    REQUIRE(state_of(sb, id)["status"] == "created");

    RunResult deleted = chroot::berth(sb, {"delete", id});
    INFO(deleted.err);
    CHECK(deleted.exit_code == 0);
    CHECK(sb.leftovers().empty());
}
