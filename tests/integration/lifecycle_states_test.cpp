// A native container through the runtime spec's states (creating, created, running, stopped,
// paused) one berth invocation at a time, as engines drive it, and the errors of transitions
// the spec forbids.
#include "lifecycle_support.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/wait.h>

using namespace berth::test;
using namespace berth::test::lifecycle;

TEST_CASE("berth takes a native container from created to running to stopped and refuses "
          "transitions the runtime spec forbids",
          "[root]") {
    require_native();
    Sandbox sb;
    const std::string id = sb.id("states");
    auto b = bundle(sb, "states", {"sleep", "1000"});

    RunResult created = berth_to_files(sb, {"create", "--bundle", b.string(), id}, "create");
    INFO(created.err);
    REQUIRE(created.exit_code == 0);
    json st = state_of(sb, id);
    CHECK(st["status"] == "created");
    CHECK(st["id"] == id);
    CHECK(st["bundle"] == b.string());
    CHECK(st["ociVersion"].is_string());
    const int pid = st["pid"].get<int>();
    CHECK(pid > 0);

    RunResult paused_early = sb.berth({"pause", id});
    CHECK(paused_early.exit_code == 1);
    CHECK(paused_early.err == "berth: pause container " + id + ": driver native: container " +
                                  id + " is created; only a running container can be paused\n");

    REQUIRE(sb.berth({"start", id}).exit_code == 0);
    st = state_of(sb, id);
    CHECK(st["status"] == "running");
    CHECK(st["pid"] == pid);

    RunResult again = sb.berth({"start", id});
    CHECK(again.exit_code == 1);
    CHECK(again.err == "berth: container " + id +
                           " is running, not created (hint: only a created container can be "
                           "started)\n");

    RunResult resumed = sb.berth({"resume", id});
    CHECK(resumed.exit_code == 1);
    CHECK(resumed.err == "berth: resume container " + id + ": driver native: container " + id +
                             " is running; only a paused container can be resumed\n");

    RunResult refused = sb.berth({"delete", id});
    CHECK(refused.exit_code == 1);
    CHECK(refused.err == "berth: delete container " + id + ": driver native: container " + id +
                             " is running; stop it first or delete it with force\n");
    CHECK(state_of(sb, id)["status"] == "running");

    // sleep is pid 1 of its namespace: SIGTERM has no default action there, SIGKILL does.
    REQUIRE(sb.berth({"kill", id, "KILL"}).exit_code == 0);
    CHECK(wait_for_status(sb, id, "stopped") == "stopped");
    st = state_of(sb, id);
    CHECK(st["pid"] == 0);

    RunResult killed_again = sb.berth({"kill", id, "9"});
    CHECK(killed_again.exit_code == 1);
    CHECK(killed_again.err == "berth: signal container " + id + ": driver native: container " +
                                  id + " is stopped; there is no process to signal\n");

    REQUIRE(sb.berth({"delete", id}).exit_code == 0);
    RunResult gone = sb.berth({"state", id});
    CHECK(gone.exit_code == 1);
    CHECK(gone.err == "berth: container " + id + " does not exist (hint: berth --root " +
                          sb.state_root().string() + " list shows the containers there)\n");
    CHECK(sb.leftovers().empty());
}

TEST_CASE("berth pause freezes every process of a native container and resume thaws them",
          "[root]") {
    require_native();
    Sandbox sb;
    const std::string id = sb.id("freeze");
    // A child keeps counting too: pause must stop the whole container, not only its init.
    auto b = bundle(sb, "freeze", {"sh", "-c", "(while :; do echo c; sleep 0.01; done) & "
                                               "while :; do echo i; sleep 0.01; done"});
    REQUIRE(berth_to_files(sb, {"create", "-b", b.string(), id}, "create").exit_code == 0);
    const fs::path out = sb.dir() / "create.out";
    REQUIRE(sb.berth({"start", id}).exit_code == 0);
    REQUIRE(eventually([&] {
        std::string s = slurp(out);
        return s.find('c') != std::string::npos && s.find('i') != std::string::npos;
    }));

    RunResult paused = sb.berth({"pause", id});
    INFO(paused.err);
    REQUIRE(paused.exit_code == 0);
    CHECK(state_of(sb, id)["status"] == "paused");
    const auto frozen_size = fs::file_size(out);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    CHECK(fs::file_size(out) == frozen_size);

    RunResult again = sb.berth({"pause", id});
    CHECK(again.exit_code == 1);
    CHECK(again.err == "berth: pause container " + id + ": driver native: container " + id +
                           " is paused; only a running container can be paused\n");

    REQUIRE(sb.berth({"resume", id}).exit_code == 0);
    CHECK(state_of(sb, id)["status"] == "running");
    CHECK(eventually([&] { return fs::file_size(out) > frozen_size; }));

    REQUIRE(sb.berth({"delete", "--force", id}).exit_code == 0);
    CHECK(sb.leftovers().empty());
}

TEST_CASE("berth ps lists the container's processes and events --stats reports its usage",
          "[root]") {
    require_native();
    Sandbox sb;
    const std::string id = sb.id("usage");
    auto b = bundle(sb, "usage", {"sh", "-c", "sleep 1000 & exec sleep 1001"});
    REQUIRE(berth_to_files(sb, {"create", "-b", b.string(), id}, "create").exit_code == 0);
    REQUIRE(sb.berth({"start", id}).exit_code == 0);
    const int pid = state_of(sb, id)["pid"].get<int>();

    json pids;
    REQUIRE(eventually([&] {
        RunResult ps = sb.berth({"ps", "--format", "json", id});
        pids = json::parse(ps.out);
        return pids.size() == 2;
    }));
    CHECK(std::find(pids.begin(), pids.end(), pid) != pids.end());

    RunResult ev = sb.berth({"events", "--stats", id});
    INFO(ev.err);
    REQUIRE(ev.exit_code == 0);
    json rec = json::parse(ev.out);
    CHECK(rec["type"] == "stats");
    CHECK(rec["id"] == id);
    CHECK(rec["data"]["pids"]["current"] == 2);

    REQUIRE(sb.berth({"delete", "--force", id}).exit_code == 0);
    CHECK(sb.leftovers().empty());
}

TEST_CASE("berth delete --force removes everything a berth killed with SIGKILL in the middle of "
          "create left behind",
          "[root]") {
    require_native();
    Sandbox sb;
    fs::create_directories(sb.state_root());
    // Many mounts make the driver's part of create long enough to be interrupted in.
    auto b = bundle(sb, "interrupted", {"sleep", "1000"}, [](json &spec) {
        for (int i = 0; i < 40; ++i)
            spec["mounts"].push_back({{"destination", "/tmp/m" + std::to_string(i)},
                                      {"type", "tmpfs"},
                                      {"source", "tmpfs"}});
    });
    bool caught_creating = false;
    for (int attempt = 0; attempt < 10 && !caught_creating; ++attempt) {
        const std::string id = sb.id("interrupted" + std::to_string(attempt));
        const fs::path record = sb.state_root() / id / "state.json";
        pid_t pid = fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            int null = open("/dev/null", O_RDWR);
            dup2(null, 0);
            dup2(null, 1);
            dup2(null, 2);
            execl(berth_binary().c_str(), "berth", "--root", sb.state_root().c_str(), "-c",
                  sb.config_path().c_str(), "create", "-b", b.c_str(), id.c_str(), nullptr);
            _exit(127);
        }
        // The record appears (status creating) before the driver starts its work.
        while (!fs::exists(record) && waitpid(pid, nullptr, WNOHANG) == 0) {
        }
        kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);

        RunResult list = sb.berth({"list", "--format", "json"});
        REQUIRE(list.exit_code == 0);
        json listed = json::parse(list.out);
        for (const auto &c : listed)
            if (c["id"] == id && c["status"] == "creating")
                caught_creating = true;
        RunResult del = sb.berth({"delete", "--force", id});
        INFO(del.err);
        CHECK(del.exit_code == 0);
        CHECK(sb.leftovers().empty());
    }
    CHECK(caught_creating);
}
