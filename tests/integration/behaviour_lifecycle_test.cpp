// The lifecycle and isolation behaviour every driver that claims a feature must show, run
// against each driver of the table through the driver ABI.
#include "behaviour_harness.hpp"

#include <berth/common/unique_fd.hpp>

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

using namespace berth::test;
using nlohmann::json;

namespace {

struct Pipe {
    berth::UniqueFd r, w;
    Pipe() {
        int fds[2];
        REQUIRE(pipe2(fds, O_CLOEXEC) == 0);
        r.reset(fds[0]);
        w.reset(fds[1]);
    }
};

struct Ran {
    int status = -1;
    std::string out, err;
};

// Creates, starts and waits for a container, then deletes it and checks nothing is left.
Ran run_container(AbiDriver &d, Sandbox &sb, const std::string &name, std::vector<std::string> args,
                  const std::function<void(json &)> &edit = {}, const std::string &input = {}) {
    auto bundle = sb.bundle(name, args, [&](json &spec) {
        standard_spec(spec);
        if (edit)
            edit(spec);
        d.strip_unsupported(spec);
    });
    auto c = d.container(sb, name, bundle.string());
    Pipe in, out, err;
    auto created = d.create(c, in.r.get(), out.w.get(), err.w.get());
    INFO(created.message);
    REQUIRE(created);
    in.r.reset();
    out.w.reset();
    err.w.reset();
    auto started = d.start(c);
    INFO(started.message);
    REQUIRE(started);
    if (!input.empty())
        REQUIRE(write(in.w.get(), input.data(), input.size()) ==
                static_cast<ssize_t>(input.size()));
    in.w.reset();
    Ran ran;
    ran.out = read_all(out.r.get());
    ran.err = read_all(err.r.get());
    ran.status = AbiDriver::wait_exit(c.pid);
    auto deleted = d.destroy(c, false);
    INFO(deleted.message);
    REQUIRE(deleted);
    REQUIRE(fs::is_empty(c.state_dir));
    fs::remove(c.state_dir);
    REQUIRE(sb.leftovers().empty());
    return ran;
}

// A container left running `sleep` for tests that act on a live one.
AbiDriver::Container start_sleeper(AbiDriver &d, Sandbox &sb, const std::string &name,
                                   std::vector<std::string> args = {"sleep", "60"},
                                   const std::function<void(json &)> &edit = {}, int out_fd = -1) {
    auto bundle = sb.bundle(name, args, [&](json &spec) {
        standard_spec(spec);
        if (edit)
            edit(spec);
        d.strip_unsupported(spec);
    });
    auto c = d.container(sb, name, bundle.string());
    auto created = d.create(c, -1, out_fd, -1);
    INFO(created.message);
    REQUIRE(created);
    auto started = d.start(c);
    INFO(started.message);
    REQUIRE(started);
    return c;
}

void force_delete(AbiDriver &d, Sandbox &sb, AbiDriver::Container &c) {
    auto deleted = d.destroy(c, true);
    INFO(deleted.message);
    REQUIRE(deleted);
    AbiDriver::wait_exit(c.pid);
    REQUIRE(fs::is_empty(c.state_dir));
    fs::remove(c.state_dir);
    REQUIRE(sb.leftovers().empty());
}

std::string cgroup_file(const std::string &controller, const std::string &rel,
                        const std::string &v1, const std::string &v2) {
    std::ifstream in(fs::path("/sys/fs/cgroup") / controller / rel / v1);
    std::string text;
    if (!in) {
        for (const char *root : {"/sys/fs/cgroup/unified", "/sys/fs/cgroup"}) {
            std::ifstream in2(fs::path(root) / rel / v2);
            if (in2 && std::getline(in2, text))
                return text;
        }
        return {};
    }
    std::getline(in, text);
    return text;
}

} // namespace

#define DRIVERS Drivers::Native, Drivers::Lxc, Drivers::Chroot

TEMPLATE_TEST_CASE("a container's exit status is its process's", "[root]", DRIVERS) {
    auto d = AbiDriver::load_or_skip(TestType::name);
    Sandbox sb;
    auto ran = run_container(*d, sb, "exit", {"sh", "-c", "exit 3"});
    REQUIRE(ran.status == 3);
}

TEMPLATE_TEST_CASE("a container reads stdin and writes stdout and stderr given at create", "[root]",
                   DRIVERS) {
    auto d = AbiDriver::load_or_skip(TestType::name);
    Sandbox sb;
    auto ran =
        run_container(*d, sb, "stdio",
                      {"sh", "-c", "read line; echo out:$line; echo err:$line >&2"}, {}, "hello\n");
    REQUIRE(ran.status == 0);
    REQUIRE(ran.out == "out:hello\n");
    REQUIRE(ran.err == "err:hello\n");
}

TEMPLATE_TEST_CASE("a container gets the spec's hostname", "[root]", DRIVERS) {
    auto d = AbiDriver::load_or_skip(TestType::name);
    d->require_namespace("uts");
    Sandbox sb;
    auto ran = run_container(*d, sb, "uts", {"hostname"});
    REQUIRE(ran.out == "berth-test\n");
}

TEMPLATE_TEST_CASE("a container sees only its own processes in a new pid namespace", "[root]",
                   DRIVERS) {
    auto d = AbiDriver::load_or_skip(TestType::name);
    d->require_namespace("pid");
    Sandbox sb;
    // An init of the driver's (LXC's) may be pid 1 with the program as its child.
    auto ran = run_container(*d, sb, "pidns", {"sh", "-c", "echo $$; ls /proc | grep -c '^[0-9]'"});
    int self = 0, visible = 0;
    REQUIRE(sscanf(ran.out.c_str(), "%d\n%d", &self, &visible) == 2);
    REQUIRE(self <= 2);
    REQUIRE(visible <= 4);
}

TEMPLATE_TEST_CASE("a container's capability sets are the spec's", "[root]", DRIVERS) {
    auto d = AbiDriver::load_or_skip(TestType::name);
    if (d->features().value("linux", json::object()).value("capabilities", json::array()).empty())
        skip(std::string("driver ") + TestType::name + " claims no capabilities");
    Sandbox sb;
    auto ran = run_container(*d, sb, "caps", {"grep", "^Cap[BEP]", "/proc/self/status"});
    // CAP_KILL (5), CAP_NET_BIND_SERVICE (10), CAP_AUDIT_WRITE (29).
    REQUIRE(ran.out == "CapPrm:\t0000000020000420\n"
                       "CapEff:\t0000000020000420\n"
                       "CapBnd:\t0000000020000420\n");
}

TEMPLATE_TEST_CASE("a container's memory limit is set on its cgroup", "[root][cgroup1][cgroup2]",
                   DRIVERS) {
    auto d = AbiDriver::load_or_skip(TestType::name);
    d->require_cgroup_field("linux.resources.memory.limit");
    Sandbox sb;
    auto c = start_sleeper(*d, sb, "mem", {"sleep", "60"}, [](json &spec) {
        spec["linux"]["resources"]["memory"]["limit"] = 64 * 1024 * 1024;
    });
    std::string rel = sb.cgroup_parent() + "/mem"; // the sandbox's absolute cgroupsPath
    REQUIRE(cgroup_file("memory", rel, "memory.limit_in_bytes", "memory.max") == "67108864");
    force_delete(*d, sb, c);
}

TEMPLATE_TEST_CASE("a container's pids limit stops it forking past the limit",
                   "[root][cgroup1][cgroup2]", DRIVERS) {
    auto d = AbiDriver::load_or_skip(TestType::name);
    d->require_cgroup_field("linux.resources.pids.limit");
    Sandbox sb;
    auto ran = run_container(*d, sb, "pids",
                             {"sh", "-c", "for i in 1 2 3 4 5 6 7 8; do sleep 2 & done; wait"},
                             [](json &spec) { spec["linux"]["resources"]["pids"]["limit"] = 4; });
    REQUIRE(ran.err.find("can't fork") != std::string::npos);
}

TEMPLATE_TEST_CASE("exec runs a process inside the running container", "[root]", DRIVERS) {
    auto d = AbiDriver::load_or_skip(TestType::name);
    Sandbox sb;
    auto c = start_sleeper(*d, sb, "exec");
    Pipe out;
    int pid = 0;
    json proc = {{"args", {"sh", "-c", "hostname; exit 4"}},
                 {"env", {"PATH=/bin:/sbin"}},
                 {"cwd", "/"},
                 {"user", {{"uid", 0}, {"gid", 0}}}};
    auto ran = d->exec(c, proc, &pid, -1, out.w.get(), -1);
    if (ran.code == BERTH_E_NOT_SUPPORTED) {
        force_delete(*d, sb, c);
        skip(ran.message);
    }
    INFO(ran.message);
    REQUIRE(ran);
    out.w.reset();
    REQUIRE(AbiDriver::wait_exit(pid) == 4);
    REQUIRE(read_all(out.r.get()) == "berth-test\n");
    force_delete(*d, sb, c);
}

TEMPLATE_TEST_CASE("pause freezes a container and resume thaws it", "[root]", DRIVERS) {
    auto d = AbiDriver::load_or_skip(TestType::name);
    Sandbox sb;
    Pipe out;
    auto c = start_sleeper(*d, sb, "pause", {"sh", "-c", "while true; do echo x; sleep 0.05; done"},
                           {}, out.w.get());
    out.w.reset();
    auto paused = d->pause(c);
    if (paused.code == BERTH_E_NOT_SUPPORTED) {
        force_delete(*d, sb, c);
        skip(paused.message);
    }
    INFO(paused.message);
    REQUIRE(paused);
    berth_state_result st{};
    REQUIRE(d->state(c, &st));
    REQUIRE(st.status == BERTH_STATUS_PAUSED);
    read_all(out.r.get(), 200);
    REQUIRE(read_all(out.r.get(), 500).empty());
    REQUIRE(d->resume(c));
    REQUIRE(d->state(c, &st));
    REQUIRE(st.status == BERTH_STATUS_RUNNING);
    char buf[2];
    REQUIRE(read(out.r.get(), buf, 2) == 2);
    force_delete(*d, sb, c);
}

TEMPLATE_TEST_CASE("kill delivers the signal to the container's process", "[root]", DRIVERS) {
    auto d = AbiDriver::load_or_skip(TestType::name);
    Sandbox sb;
    // A pid namespace's init ignores signals it has no handler for, so the program handles
    // SIGTERM itself, in every driver alike, and says when its handler is in place. It spins
    // rather than sleeps: no child to outlive it, and the trap runs as soon as it arrives.
    Pipe out;
    auto c = start_sleeper(*d, sb, "kill",
                           {"sh", "-c", "trap 'exit 143' TERM; echo ready; while :; do :; done"},
                           {}, out.w.get());
    out.w.reset();
    char ready[6];
    REQUIRE(read(out.r.get(), ready, sizeof ready) == 6);
    std::vector<int> pids;
    REQUIRE(d->pids(c, &pids));
    REQUIRE(!pids.empty());
    auto killed = d->kill(c, SIGTERM);
    INFO(killed.message);
    REQUIRE(killed);
    REQUIRE(AbiDriver::wait_exit(c.pid) == 128 + SIGTERM);
    berth_state_result st{};
    REQUIRE(d->state(c, &st));
    REQUIRE(st.status == BERTH_STATUS_STOPPED);
    REQUIRE(d->destroy(c, false));
    REQUIRE(fs::is_empty(c.state_dir));
    fs::remove(c.state_dir);
    REQUIRE(sb.leftovers().empty());
}

TEMPLATE_TEST_CASE("delete refuses a running container and force-deletes it leaving nothing",
                   "[root]", DRIVERS) {
    auto d = AbiDriver::load_or_skip(TestType::name);
    Sandbox sb;
    auto c = start_sleeper(*d, sb, "del");
    auto refused = d->destroy(c, false);
    REQUIRE(refused.code == BERTH_E_STATE);
    force_delete(*d, sb, c);
}

TEMPLATE_TEST_CASE("a container deleted before start leaves nothing", "[root]", DRIVERS) {
    auto d = AbiDriver::load_or_skip(TestType::name);
    Sandbox sb;
    auto bundle = sb.bundle("unstarted", {"true"}, [&](json &spec) {
        standard_spec(spec);
        d->strip_unsupported(spec);
    });
    auto c = d->container(sb, "unstarted", bundle.string());
    REQUIRE(d->create(c));
    berth_state_result st{};
    REQUIRE(d->state(c, &st));
    REQUIRE(st.status == BERTH_STATUS_CREATED);
    REQUIRE(d->destroy(c, true));
    AbiDriver::wait_exit(c.pid);
    REQUIRE(fs::is_empty(c.state_dir));
    fs::remove(c.state_dir);
    REQUIRE(sb.leftovers().empty());
}
