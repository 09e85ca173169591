// The native driver's lifecycle, observed from inside real containers on the busybox rootfs:
// create holds the process until start, exit statuses and signals come back to the caller,
// exec runs inside the container, and a setup that fails at any step leaves nothing behind.
#include "native_test_client.hpp"

#include <berth/common/default_seccomp.hpp>

#include <catch2/catch.hpp>

using namespace berth::test;
using Catch::Matchers::EndsWith;
using Catch::Matchers::Equals;
using Catch::Matchers::StartsWith;

TEST_CASE("native driver runs the container's process as pid 1 and shows it no host pid",
          "[root]") {
    require_native();
    Sandbox sb;
    NativeClient d;
    // `for` is a shell builtin: nothing but the shell itself runs while /proc is listed.
    auto b = native_bundle(
        sb, "pid1", {"sh", "-c", "echo $$; for p in /proc/[0-9]*; do echo ${p#/proc/}; done"});
    auto c = d.container(sb, "pid1", b);
    Pipe out;
    auto o = d.create(c, -1, out.w);
    INFO(o.message);
    REQUIRE(o);
    out.close_write();
    REQUIRE(d.start(c));
    CHECK(NativeClient::wait_exit(c.pid) == 0);
    CHECK(out.read_all() == "1\n1\n");
    REQUIRE(d.destroy(c, false));
    CHECK(sb.leftovers().empty());
}

TEST_CASE("native driver holds a created container before the user's program until start",
          "[root]") {
    require_native();
    Sandbox sb;
    NativeClient d;
    auto b = native_bundle(sb, "barrier", {"echo", "started"});
    auto c = d.container(sb, "barrier", b);
    Pipe out;
    REQUIRE(d.create(c, -1, out.w));
    out.close_write();
    CHECK(d.status(c) == BERTH_STATUS_CREATED);
    berth_state_result s{};
    REQUIRE(d.state(c, s));
    CHECK(s.pid == c.pid);
    // Nothing of the program has run yet.
    CHECK(out.read_all(300) == "");
    REQUIRE(d.start(c));
    CHECK(NativeClient::wait_exit(c.pid) == 0);
    CHECK(out.read_all() == "started\n");
    CHECK(d.status(c) == BERTH_STATUS_STOPPED);
    auto again = d.start(c);
    CHECK(again.code == BERTH_E_STATE);
    CHECK(again.message == "container " + c.id + " is stopped; delete it and create it again");
    REQUIRE(d.destroy(c, false));
    CHECK(sb.leftovers().empty());
}

TEST_CASE("native driver returns the container's exit status and the signal that killed it",
          "[root]") {
    require_native();
    Sandbox sb;
    NativeClient d;

    auto b1 = native_bundle(sb, "exit7", {"sh", "-c", "exit 7"});
    auto c1 = d.container(sb, "exit7", b1);
    REQUIRE(d.create(c1));
    REQUIRE(d.start(c1));
    CHECK(NativeClient::wait_exit(c1.pid) == 7);
    REQUIRE(d.destroy(c1, false));

    auto b2 = native_bundle(sb, "killed", {"sleep", "100"});
    auto c2 = d.container(sb, "killed", b2);
    REQUIRE(d.create(c2));
    REQUIRE(d.start(c2));
    CHECK(d.status(c2) == BERTH_STATUS_RUNNING);
    REQUIRE(d.kill(c2, SIGKILL));
    CHECK(NativeClient::wait_exit(c2.pid) == 128 + SIGKILL);
    CHECK(d.status(c2) == BERTH_STATUS_STOPPED);
    auto k = d.kill(c2, SIGTERM);
    CHECK(k.code == BERTH_E_STATE);
    CHECK(k.message == "container " + c2.id + " is stopped; there is no process to signal");
    REQUIRE(d.destroy(c2, false));

    // pid 1 gets only the signals it handles: the shell's trap turns TERM into exit 3.
    auto b3 = native_bundle(sb, "trap",
                            {"sh", "-c",
                             "trap 'exit 3' TERM; echo ready; "
                             "while :; do sleep 0.05; done"});
    auto c3 = d.container(sb, "trap", b3);
    Pipe out;
    REQUIRE(d.create(c3, -1, out.w));
    out.close_write();
    REQUIRE(d.start(c3));
    char ready[6] = {};
    REQUIRE(read(out.r, ready, 6) == 6);
    REQUIRE(d.kill(c3, SIGTERM));
    CHECK(NativeClient::wait_exit(c3.pid) == 3);
    REQUIRE(d.destroy(c3, false));
    CHECK(sb.leftovers().empty());
}

TEST_CASE("native driver refuses to delete a running container without force", "[root]") {
    require_native();
    Sandbox sb;
    NativeClient d;
    auto b = native_bundle(sb, "busy", {"sleep", "100"});
    auto c = d.container(sb, "busy", b);
    REQUIRE(d.create(c));
    REQUIRE(d.start(c));
    auto o = d.destroy(c, false);
    CHECK(o.code == BERTH_E_STATE);
    CHECK(o.message == "container " + c.id + " is running; stop it first or delete it with force");
    REQUIRE(d.destroy(c, true));
    CHECK(NativeClient::wait_exit(c.pid) == 128 + SIGKILL);
    CHECK(sb.leftovers().empty());
}

TEST_CASE("native driver deletes a created container that was never started", "[root]") {
    require_native();
    Sandbox sb;
    NativeClient d;
    auto b = native_bundle(sb, "unstarted", {"true"});
    auto c = d.container(sb, "unstarted", b);
    REQUIRE(d.create(c));
    REQUIRE(d.destroy(c, false));
    CHECK(NativeClient::wait_exit(c.pid) == 128 + SIGKILL);
    CHECK(sb.leftovers().empty());
}

TEST_CASE("native driver execs a process inside the container's pid namespace", "[root]") {
    require_native();
    Sandbox sb;
    NativeClient d;
    auto b = native_bundle(sb, "exec", {"sleep", "100"},
                           [](json &spec) { spec["hostname"] = "exec-box"; });
    auto c = d.container(sb, "exec", b);
    REQUIRE(d.create(c));
    REQUIRE(d.start(c));

    json process = {{"args",
                     {"sh", "-c",
                      "echo $$; cat /proc/1/cmdline | tr '\\0' ' '; hostname; "
                      "echo; pwd"}},
                    {"env", {"PATH=/bin:/usr/bin", "BERTH_TEST_SANDBOX=" + sb.prefix()}},
                    {"cwd", "/tmp"},
                    {"user", {{"uid", 0}, {"gid", 0}}}};
    Pipe out;
    int pid = 0;
    auto o = d.exec(c, process, pid, out.w);
    INFO(o.message);
    REQUIRE(o);
    out.close_write();
    CHECK(NativeClient::wait_exit(pid) == 0);
    std::string text = out.read_all();
    std::istringstream lines(text);
    std::string inner_pid, cmdline, hostname, blank, cwd;
    std::getline(lines, inner_pid);
    std::getline(lines, cmdline);
    std::getline(lines, hostname);
    std::getline(lines, cwd);
    INFO(text);
    CHECK(inner_pid != "1");
    CHECK(std::stoi(inner_pid) < 100); // a pid of the container's namespace, not the host's
    CHECK(cmdline == "sleep 100 exec-box");
    CHECK(cwd == "/tmp");

    json missing = process;
    missing["args"] = {"/bin/no-such-program"};
    auto m = d.exec(c, missing, pid);
    CHECK(m.code == BERTH_E_INVALID_SPEC);
    CHECK(m.message ==
          "prepare process: execute `/bin/no-such-program`: No such file or directory");

    REQUIRE(d.destroy(c, true));
    NativeClient::wait_exit(c.pid);
    CHECK(sb.leftovers().empty());
}

TEST_CASE("native driver pauses and resumes every process of a container", "[root]") {
    require_native();
    Sandbox sb;
    NativeClient d;
    auto b = native_bundle(sb, "pause", {"sh", "-c", "sleep 100 & wait"});
    auto c = d.container(sb, "pause", b);
    REQUIRE(d.create(c));
    REQUIRE(d.start(c));
    std::vector<int> pids;
    for (int i = 0; i < 200 && pids.size() < 2; ++i) {
        REQUIRE(d.pids(c, pids));
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    CHECK(pids.size() == 2);
    auto p = d.pause(c);
    INFO(p.message);
    REQUIRE(p);
    CHECK(d.status(c) == BERTH_STATUS_PAUSED);
    for (int pid : pids) {
        std::ifstream st("/proc/" + std::to_string(pid) + "/stat");
        std::string line;
        std::getline(st, line);
        // A frozen task sleeps in the freezer (state S or D), never runs.
        char state = line[line.rfind(')') + 2];
        CHECK((state == 'S' || state == 'D'));
    }
    auto again = d.pause(c);
    CHECK(again.code == BERTH_E_STATE);
    CHECK(again.message == "container " + c.id +
                               " is paused; only a running container can be "
                               "paused");
    REQUIRE(d.resume(c));
    CHECK(d.status(c) == BERTH_STATUS_RUNNING);
    REQUIRE(d.destroy(c, true));
    NativeClient::wait_exit(c.pid);
    CHECK(sb.leftovers().empty());
}

namespace {

// Creates a container from `bundle` that must fail with `code` and `message`, then checks
// that no process, cgroup, mount or state file of it is left.
template <class Matcher>
void expect_failed_create(Sandbox &sb, NativeClient &d, const std::string &name,
                          const berth::test::fs::path &bundle, berth_status code,
                          const Matcher &message) {
    auto c = d.container(sb, name, bundle);
    auto o = d.create(c);
    CHECK(o.code == code);
    CHECK_THAT(o.message, message);
    CHECK(berth::test::fs::is_empty(c.state_dir));
    berth::test::fs::remove_all(c.state_dir);
    CHECK(sb.leftovers().empty());
}

} // namespace

TEST_CASE("native driver leaves nothing behind when a setup step fails", "[root]") {
    require_native();
    Sandbox sb;
    NativeClient d;
    expect_failed_create(
        sb, d, "badcwd",
        native_bundle(sb, "badcwd", {"true"},
                      [](json &s) { s["process"]["cwd"] = "/nonexistent"; }),
        BERTH_E_INVALID_SPEC,
        Equals("prepare process: change to working directory `/nonexistent`: No such file or "
               "directory (hint: process.cwd must exist in the container's root)"));
    expect_failed_create(sb, d, "noarg0", native_bundle(sb, "noarg0", {"no-such-program"}),
                         BERTH_E_INVALID_SPEC,
                         Equals("prepare process: executable file not found in PATH "
                                "/usr/sbin:/usr/bin:/sbin:/bin: `no-such-program` (hint: check "
                                "process.args[0] and process.env PATH against the rootfs)"));
    expect_failed_create(
        sb, d, "badmount",
        native_bundle(sb, "badmount", {"true"},
                      [&](json &s) {
                          s["mounts"].push_back({{"destination", "/mnt"},
                                                 {"type", "bind"},
                                                 {"source", (sb.dir() / "no-such-dir").string()},
                                                 {"options", {"rbind"}}});
                      }),
        BERTH_E_NOT_FOUND,
        Equals("set up rootfs: stat bind mount source `" + (sb.dir() / "no-such-dir").string() +
               "`: No such file or directory"));
    expect_failed_create(
        sb, d, "badmap",
        native_bundle(sb, "badmap", {"true"},
                      [](json &s) {
                          s["linux"]["namespaces"].push_back({{"type", "user"}});
                          // Two ranges that overlap: the kernel refuses the map.
                          s["linux"]["uidMappings"] = {
                              {{"containerID", 0}, {"hostID", 100000}, {"size", 10}},
                              {{"containerID", 5}, {"hostID", 200000}, {"size", 10}}};
                          s["linux"]["gidMappings"] = {
                              {{"containerID", 0}, {"hostID", 100000}, {"size", 10}}};
                      }),
        // The pid in the path is the one the failed child had.
        BERTH_E_INVALID_ARGUMENT,
        StartsWith("map user namespace ids: write `/proc/") &&
            EndsWith("/uid_map`: Invalid argument (hint: mapped host ids must exist and ranges "
                     "must not overlap)"));
    expect_failed_create(
        sb, d, "badns",
        native_bundle(sb, "badns", {"true"},
                      [](json &s) {
                          s["linux"]["namespaces"].push_back(
                              {{"type", "network"}, {"path", "/proc/self/ns/uts"}});
                      }),
        BERTH_E_INVALID_SPEC, Equals("config.json: linux.namespaces lists network twice"));
    expect_failed_create(sb, d, "nspath",
                         native_bundle(sb, "nspath", {"true"},
                                       [](json &s) {
                                           for (auto &n : s["linux"]["namespaces"])
                                               if (n["type"] == "network")
                                                   n["path"] = 5;
                                       }),
                         BERTH_E_INVALID_SPEC,
                         Equals("config.json: linux.namespaces path of network must be a "
                                "string"));
    // A field read without a check of its own still fails as the request's fault.
    expect_failed_create(
        sb, d, "hosttype",
        native_bundle(sb, "hosttype", {"true"}, [](json &s) { s["hostname"] = 5; }),
        BERTH_E_INVALID_SPEC,
        Equals("the request's JSON has a field of the wrong type: type must "
               "be string, but is number"));
}

TEST_CASE("native driver refuses unknown options naming them", "[unit]") {
    if (!berth::test::fs::exists(driver_dir() / "native.so"))
        skip("native.so is not built");
    NativeClient d(R"({"cgroup_parent": "x", "colour": "blue"})");
    CHECK(d.init_status == BERTH_E_INVALID_ARGUMENT);
    CHECK(d.init_message == "driver native: unknown option colour (known options: "
                            "cgroup_parent, networks, seccomp_cache)");
}

TEST_CASE("native driver keeps compiled seccomp filters where its option seccomp_cache says",
          "[root]") {
    require_native();
    Sandbox sb;
    {
        NativeClient relative(R"({"seccomp_cache": "cache"})");
        CHECK(relative.init_status == BERTH_E_INVALID_ARGUMENT);
        CHECK(relative.init_message == "driver native: option seccomp_cache must be an "
                                       "absolute directory path, or empty for none");
    }
    const auto cache = sb.dir() / "cache" / "seccomp";
    NativeClient d(json({{"seccomp_cache", cache.string()}}).dump());
    REQUIRE(d.init_status == BERTH_OK);
    for (const char *name : {"one", "two"}) {
        auto b = native_bundle(sb, name, {"true"}, [](json &s) {
            s["linux"]["seccomp"] = berth::default_seccomp_profile();
        });
        auto c = d.container(sb, name, b);
        auto o = d.create(c);
        INFO(o.message);
        REQUIRE(o);
        REQUIRE(d.start(c));
        CHECK(NativeClient::wait_exit(c.pid) == 0);
        REQUIRE(d.destroy(c, false));
    }
    // One profile, one entry: the second container found the first one's filter.
    std::vector<berth::test::fs::path> entries;
    for (const auto &e : berth::test::fs::directory_iterator(cache))
        entries.push_back(e.path());
    REQUIRE(entries.size() == 1);
    CHECK(entries[0].extension() == ".bpf");
    CHECK(sb.leftovers().empty());
}

TEST_CASE("native driver declares its namespaces and what it cannot do", "[unit]") {
    if (!berth::test::fs::exists(driver_dir() / "native.so"))
        skip("native.so is not built");
    NativeClient d;
    std::string text;
    REQUIRE(d.features(text));
    auto f = json::parse(text);
    CHECK(f["linux"]["namespaces"] ==
          json({"cgroup", "ipc", "mount", "network", "pid", "user", "uts"}));
    auto unsupported = json::parse(f["annotations"]["org.berth.unsupported"].get<std::string>());
    auto listed = [&](const char *field) {
        return std::find(unsupported.begin(), unsupported.end(), field) != unsupported.end();
    };
    CHECK(listed("process.selinuxLabel"));
    CHECK(listed("hooks"));
    CHECK_FALSE(listed("process.terminal"));
    CHECK(f["linux"]["cgroup"]["v1"] == true);
}

TEST_CASE("native driver reports a container the OOM killer stopped, once", "[root][cgroup1]") {
    require_native();
    Sandbox sb;
    NativeClient d;
    // The shell holds all of /dev/zero's first 256 MiB in a variable: far past the limit.
    auto b = native_bundle(sb, "oom", {"sh", "-c", "x=$(head -c 268435456 /dev/zero | tr '\\0' a)"},
                           [](json &s) {
                               s["linux"]["resources"]["memory"] = {{"limit", 16 * 1024 * 1024},
                                                                    {"swap", 16 * 1024 * 1024}};
                           });
    auto c = d.container(sb, "oom", b);
    auto o = d.create(c);
    INFO(o.message);
    REQUIRE(o);
    REQUIRE(d.start(c));
    CHECK(NativeClient::wait_exit(c.pid, 60) != 0);
    CHECK(d.status(c) == BERTH_STATUS_STOPPED);
    const std::string warning = "container " + c.id +
                                ": the kernel's OOM killer killed a process "
                                "of it in cgroup " +
                                sb.prefix() +
                                "/oom (raise "
                                "linux.resources.memory.limit)";
    CHECK(d.logged(BERTH_LOG_WARN, warning));
    d.logs.clear();
    REQUIRE(d.destroy(c, false));
    CHECK_FALSE(d.logged(BERTH_LOG_WARN, "OOM"));
    CHECK(sb.leftovers().empty());
}
