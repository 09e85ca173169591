// The lxc driver's start: one LXC could not complete is undone (no process, cgroup of the
// container, LXC's monitor or pivot, LXC directory or liblxc lock tree is left, and the
// container stays known as stopped until delete), and containers started at the same time
// from one process each run and end with their own status.
#include "behaviour_harness.hpp"

#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <thread>

using namespace berth::test;
using nlohmann::json;

namespace {

// liblxc's lock tree mirrors each lxcpath below /run/lxc/lock.
fs::path lock_tree(const Sandbox &sb) {
    return fs::path("/run/lxc/lock") / sb.dir().relative_path();
}

// Everything LXC and the driver make for container `name` outside the sandbox's own checks:
// LXC's directory, its lock tree, and the container's, monitor's and pivot cgroups.
std::vector<fs::path> lxc_paths(const Sandbox &sb, const AbiDriver::Container &c,
                                const std::string &name) {
    std::vector<fs::path> paths = {fs::path(c.state_dir) / "lxc",
                                   fs::path("/run/lxc/lock") /
                                       fs::path(c.state_dir).relative_path() / "lxc"};
    std::vector<fs::path> roots = {"/sys/fs/cgroup"};
    std::error_code ec;
    for (const auto &e : fs::directory_iterator("/sys/fs/cgroup", ec))
        if (e.is_directory(ec))
            roots.push_back(e.path());
    for (const auto &root : roots)
        for (const char *suffix : {"", ".lxc-monitor", ".lxc-pivot"})
            paths.push_back(root / sb.cgroup_parent() / (name + suffix));
    return paths;
}

// Starts a container whose spec `edit` makes LXC fail at start; returns start's message.
std::string failed_start(AbiDriver &d, Sandbox &sb, AbiDriver::Container &c,
                         const std::function<void(json &)> &edit) {
    auto bundle = sb.bundle(c.id.substr(sb.prefix().size() + 1), {"true"}, [&](json &spec) {
        standard_spec(spec);
        edit(spec);
        d.strip_unsupported(spec);
    });
    c.bundle = bundle.string();
    auto created = d.create(c);
    INFO(created.message);
    REQUIRE(created);
    auto started = d.start(c);
    REQUIRE_FALSE(started);
    return started.message;
}

void require_nothing_left(AbiDriver &d, Sandbox &sb, AbiDriver::Container &c,
                          const std::string &name) {
    // The monitor (this process's child) has ended by the time start returns.
    int status = 0;
    REQUIRE(waitpid(c.pid, &status, WNOHANG) == c.pid);
    for (const auto &path : lxc_paths(sb, c, name)) {
        INFO(path);
        CHECK_FALSE(fs::exists(path));
    }
    REQUIRE(sb.leftovers().empty());
    berth_state_result st{};
    REQUIRE(d.state(c, &st));
    REQUIRE(st.status == BERTH_STATUS_STOPPED);
    auto deleted = d.destroy(c, false);
    INFO(deleted.message);
    REQUIRE(deleted);
    REQUIRE(fs::is_empty(c.state_dir));
    fs::remove(c.state_dir);
    REQUIRE_FALSE(fs::exists(lock_tree(sb)));
    REQUIRE(sb.leftovers().empty());
}

} // namespace

TEST_CASE("lxc driver: a start that fails on a missing cwd leaves nothing behind", "[root]") {
    auto d = AbiDriver::load_or_skip("lxc");
    Sandbox sb;
    auto c = d->container(sb, "nocwd", "");
    auto message =
        failed_start(*d, sb, c, [](json &spec) { spec["process"]["cwd"] = "/no/such/dir"; });
    INFO(message);
    REQUIRE(message.rfind("LXC failed to start container " + c.id + ": ", 0) == 0);
    REQUIRE(message.find("/no/such/dir") != std::string::npos);
    require_nothing_left(*d, sb, c, "nocwd");
}

TEST_CASE("lxc driver: a start that fails before the container is cloned leaves nothing behind",
          "[root]") {
    auto d = AbiDriver::load_or_skip("lxc");
    Sandbox sb;
    auto c = d->container(sb, "nons", "");
    // An ipc namespace to join of a process that does not exist: LXC's monitor fails while
    // preparing, after it made its own cgroup but before the container's.
    auto message = failed_start(*d, sb, c, [](json &spec) {
        for (auto &ns : spec["linux"]["namespaces"])
            if (ns["type"] == "ipc")
                ns["path"] = "/proc/999999999/ns/ipc";
    });
    INFO(message);
    REQUIRE(message.rfind("LXC failed to start container " + c.id + ": ", 0) == 0);
    require_nothing_left(*d, sb, c, "nons");
}

TEST_CASE("lxc driver: containers started at the same time each run, exit with their status "
          "and leave nothing",
          "[root]") {
    auto d = AbiDriver::load_or_skip("lxc");
    Sandbox sb;
    constexpr int n = 4;
    std::vector<AbiDriver::Container> cs;
    for (int i = 0; i < n; ++i) {
        std::string name = "c" + std::to_string(i);
        // Some end at once, some after a moment: both race start's look at the container.
        std::string script =
            "sleep 0." + std::to_string(i % 2 * 3) + "; exit " + std::to_string(10 + i);
        auto bundle = sb.bundle(name, {"sh", "-c", script}, [&](json &spec) {
            standard_spec(spec);
            d->strip_unsupported(spec);
        });
        cs.push_back(d->container(sb, name, bundle.string()));
    }
    // Catch2's assertions are not thread-safe: the threads only record outcomes.
    std::vector<Outcome> created(n), started(n);
    {
        std::vector<std::thread> threads;
        for (int i = 0; i < n; ++i)
            threads.emplace_back([&, i] {
                created[i] = d->create(cs[i]);
                if (created[i])
                    started[i] = d->start(cs[i]);
            });
        for (auto &t : threads)
            t.join();
    }
    for (int i = 0; i < n; ++i) {
        INFO(cs[i].id << " create: " << created[i].message << " start: " << started[i].message);
        CHECK(created[i]);
        CHECK(started[i]);
    }
    for (int i = 0; i < n; ++i) {
        if (!created[i])
            continue;
        INFO(cs[i].id);
        CHECK(AbiDriver::wait_exit(cs[i].pid) == 10 + i);
        auto deleted = d->destroy(cs[i], false);
        INFO(deleted.message);
        REQUIRE(deleted);
        for (const auto &path : lxc_paths(sb, cs[i], "c" + std::to_string(i))) {
            INFO(path);
            CHECK_FALSE(fs::exists(path));
        }
        REQUIRE(fs::is_empty(cs[i].state_dir));
        fs::remove(cs[i].state_dir);
    }
    REQUIRE_FALSE(fs::exists(lock_tree(sb)));
    REQUIRE(sb.leftovers().empty());
}
