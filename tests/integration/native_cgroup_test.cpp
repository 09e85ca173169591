// The native driver's cgroups on this host's real hierarchies: each test makes its cgroups
// under its sandbox's cgroup parent, moves forked children into them and checks what the
// kernel does, then removes everything, the parent included.
#include "cgroup.hpp"
#include "cgroup_devices.hpp"
#include "cgroup_files.hpp"
#include "cgroup_layout.hpp"
#include "cgroup_v2.hpp"
#include "support/test_support.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <thread>

using namespace berth::native;
using namespace berth::test;
using nlohmann::json;

namespace {

const CgroupLayout &layout() {
    require_root();
    auto l = cgroup_layout();
    if (!l)
        skip("no cgroup layout: " + l.error().render());
    return **l;
}

const CgroupLayout &require_v1(std::initializer_list<const char *> controllers) {
    const CgroupLayout &l = layout();
    for (const char *c : controllers)
        if (!l.v1_hierarchy(c))
            skip(std::string("needs the cgroup v1 ") + c + " controller");
    return l;
}

const CgroupLayout &require_v2() {
    const CgroupLayout &l = layout();
    if (l.unified.empty())
        skip("needs a cgroup2 tree");
    return l;
}

std::string contents(const std::string &path) {
    auto r = read_cgroup_file(path);
    REQUIRE(r);
    auto words = split_words(*r);
    std::string out;
    for (const auto &w : words)
        out += (out.empty() ? "" : " ") + w;
    return out;
}

bool exists(const std::string &path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

std::vector<std::string> roots(const CgroupLayout &l) {
    std::vector<std::string> out;
    for (const auto &h : l.v1)
        out.push_back(h.mountpoint);
    if (!l.unified.empty())
        out.push_back(l.unified);
    return out;
}

// The cgroup parent is the test's own: remove it from every hierarchy and check it is gone.
void remove_parent(const CgroupLayout &l, const Sandbox &s) {
    for (const auto &root : roots(l)) {
        const std::string dir = root + "/" + s.cgroup_parent();
        if (::rmdir(dir.c_str()) != 0)
            CHECK(errno == ENOENT);
        CHECK_FALSE(exists(dir));
    }
}

// A forked process that waits until go(), then exits with what `action` returns. Killed and
// reaped when the test ends early.
class Child {
public:
    explicit Child(std::function<int()> action) {
        int fds[2];
        REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
        pid_ = ::fork();
        REQUIRE(pid_ >= 0);
        if (pid_ == 0) {
            ::close(fds[1]);
            char c;
            if (::read(fds[0], &c, 1) != 1)
                ::_exit(120);
            ::_exit(action());
        }
        ::close(fds[0]);
        go_ = fds[1];
    }
    ~Child() {
        if (go_ >= 0)
            ::close(go_);
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }
    int pid() const { return pid_; }
    void go() {
        REQUIRE(::write(go_, "x", 1) == 1);
        ::close(go_);
        go_ = -1;
    }
    // The wait status once the child ended.
    int wait() {
        int status = 0;
        REQUIRE(::waitpid(pid_, &status, 0) == pid_);
        pid_ = -1;
        return status;
    }

private:
    int pid_ = -1;
    int go_ = -1;
};

int sleep_forever() {
    for (;;)
        ::pause();
}

// 0 when open(2) of `path` with `flags` succeeds, otherwise its errno.
int open_errno(const char *path, int flags) {
    int fd = ::open(path, flags | O_CLOEXEC);
    if (fd < 0)
        return errno;
    ::close(fd);
    return 0;
}

std::unique_ptr<Cgroup> create(const std::string &path, const json &resources) {
    auto cg = Cgroup::create(path, resources);
    if (!cg)
        FAIL(cg.error().render());
    return std::move(*cg);
}

void destroy(Cgroup &cg) {
    auto dirs = cg.directories();
    auto r = cg.destroy();
    if (!r)
        FAIL(r.error().render());
    for (const auto &d : dirs)
        CHECK_FALSE(exists(d));
}

} // namespace

TEST_CASE("a new cgroup carries the spec's memory, cpu and pids settings in the v1 files",
          "[root][cgroup1]") {
    const auto &l = require_v1({"memory", "cpu", "cpuset", "pids", "devices"});
    Sandbox s;
    const std::string path = s.cgroup_parent() + "/limits";
    const std::string memory = l.v1_hierarchy("memory")->mountpoint + "/" + path;
    const bool memsw =
        exists(l.v1_hierarchy("memory")->mountpoint + "/memory.memsw.limit_in_bytes");
    json resources = {
        {"memory", {{"limit", 64 << 20}, {"reservation", 32 << 20}}},
        {"cpu",
         {{"shares", 512}, {"quota", 20000}, {"period", 100000}, {"cpus", "0"}, {"mems", "0"}}},
        {"pids", {{"limit", 50}}}};
    if (memsw)
        resources["memory"]["swap"] = 128 << 20;
    auto cg = create(path, resources);

    REQUIRE(contents(memory + "/memory.limit_in_bytes") == "67108864");
    REQUIRE(contents(memory + "/memory.soft_limit_in_bytes") == "33554432");
    if (memsw)
        REQUIRE(contents(memory + "/memory.memsw.limit_in_bytes") == "134217728");
    const std::string cpu = l.v1_hierarchy("cpu")->mountpoint + "/" + path;
    REQUIRE(contents(cpu + "/cpu.shares") == "512");
    REQUIRE(contents(cpu + "/cpu.cfs_quota_us") == "20000");
    REQUIRE(contents(cpu + "/cpu.cfs_period_us") == "100000");
    REQUIRE(contents(l.v1_hierarchy("cpuset")->mountpoint + "/" + path + "/cpuset.cpus") == "0");
    REQUIRE(contents(l.v1_hierarchy("pids")->mountpoint + "/" + path + "/pids.max") == "50");
    auto devices = contents(l.v1_hierarchy("devices")->mountpoint + "/" + path + "/devices.list");
    REQUIRE(devices.find("c 1:3 rwm") != std::string::npos);
    REQUIRE(devices.find("a *:* rwm") == std::string::npos);
    REQUIRE(cg->directories().size() == roots(l).size());

    destroy(*cg);
    remove_parent(l, s);
}

TEST_CASE("a process in the cgroup is listed, frozen, thawed and killed by destroy",
          "[root][cgroup1]") {
    const auto &l = require_v1({"freezer"});
    Sandbox s;
    const std::string path = s.cgroup_parent() + "/freeze";
    auto cg = create(path, json());
    Child child(sleep_forever);
    REQUIRE(cg->add_process(child.pid()));
    child.go();

    REQUIRE(cg->pids().value() == std::vector<int>{child.pid()});
    if (!l.unified.empty()) // hybrid: the cgroup2 tree tracks the process too
        REQUIRE(contents(l.unified + "/" + path + "/cgroup.procs") == std::to_string(child.pid()));
    REQUIRE(cg->freeze());
    REQUIRE(cg->frozen().value());
    REQUIRE(contents(l.v1_hierarchy("freezer")->mountpoint + "/" + path + "/freezer.state") ==
            "FROZEN");
    REQUIRE(cg->thaw());
    REQUIRE_FALSE(cg->frozen().value());
    REQUIRE(cg->freeze()); // destroy must kill a frozen cgroup's processes as well

    destroy(*cg);
    int status = child.wait();
    REQUIRE(WIFSIGNALED(status));
    REQUIRE(WTERMSIG(status) == SIGKILL);
    remove_parent(l, s);
}

TEST_CASE("a pids limit stops a fork bomb in the cgroup", "[root][cgroup1]") {
    const auto &l = require_v1({"pids"});
    Sandbox s;
    auto cg = create(s.cgroup_parent() + "/forks", {{"pids", {{"limit", 4}}}});
    Child child([] {
        for (int n = 0; n < 50; ++n) {
            pid_t p = ::fork();
            if (p == 0)
                sleep_forever();
            if (p < 0)
                return errno == EAGAIN ? 100 + n : 1;
        }
        return 2;
    });
    REQUIRE(cg->add_process(child.pid()));
    child.go();
    int status = child.wait();
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 103); // itself plus three children reach the limit of 4
    REQUIRE(cg->pids().value().size() == 3);

    destroy(*cg); // kills the three orphans
    remove_parent(l, s);
}

TEST_CASE("a memory limit leads to an OOM kill that the cgroup reports", "[root][cgroup1]") {
    const auto &l = require_v1({"memory"});
    Sandbox s;
    json memory = {{"limit", 32 << 20}};
    if (exists(l.v1_hierarchy("memory")->mountpoint + "/memory.memsw.limit_in_bytes"))
        memory["swap"] = 32 << 20; // no swap, so the limit cannot be dodged
    else if (contents("/proc/swaps").find('\n') != std::string::npos)
        skip("swap is on and the kernel has no swap accounting to forbid it");
    auto cg = create(s.cgroup_parent() + "/oom", {{"memory", memory}});
    REQUIRE_FALSE(cg->oom_killed().value());
    Child child([] {
        const size_t size = 256 << 20;
        auto *p = static_cast<char *>(
            ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
        if (p == MAP_FAILED)
            return 1;
        for (size_t i = 0; i < size; i += 4096)
            p[i] = 1;
        return 0;
    });
    REQUIRE(cg->add_process(child.pid()));
    child.go();
    int status = child.wait();
    REQUIRE(WIFSIGNALED(status));
    REQUIRE(WTERMSIG(status) == SIGKILL);
    REQUIRE(cg->oom_killed().value());

    destroy(*cg);
    remove_parent(l, s);
}

TEST_CASE("devices outside the v1 allow list cannot be opened", "[root][cgroup1]") {
    const auto &l = require_v1({"devices"});
    if (!exists("/dev/kmsg") || !exists("/dev/null"))
        skip("needs /dev/kmsg and /dev/null on the host");
    Sandbox s;
    // /dev/kmsg (c 1:11) readable only; everything else beyond the standard nodes denied.
    json devices = json::array(
        {{{"allow", true}, {"type", "c"}, {"major", 1}, {"minor", 11}, {"access", "r"}}});
    auto cg = create(s.cgroup_parent() + "/devices", {{"devices", devices}});
    Child child([] {
        if (open_errno("/dev/null", O_RDWR) != 0)
            return 1;
        if (open_errno("/dev/kmsg", O_RDONLY) != 0)
            return 2;
        if (open_errno("/dev/kmsg", O_WRONLY) != EPERM)
            return 3;
        if (exists("/dev/mem") && open_errno("/dev/mem", O_RDONLY) != EPERM)
            return 4;
        return 0;
    });
    REQUIRE(cg->add_process(child.pid()));
    child.go();
    int status = child.wait();
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);

    destroy(*cg);
    remove_parent(l, s);
}

TEST_CASE("a controller the host lacks is an error naming it, and nothing is left behind",
          "[root][cgroup1][cgroup2]") {
    const auto &l = layout();
    if (l.version_of("io") != 0)
        skip("this host has the io controller");
    Sandbox s;
    const std::string path = s.cgroup_parent() + "/noio";
    auto cg = Cgroup::create(path, {{"unified", {{"io.max", "8:0 rbps=1048576"}}}});
    REQUIRE_FALSE(cg);
    REQUIRE(cg.error().code == BERTH_E_UNAVAILABLE);
    REQUIRE(cg.error().render() ==
            "create cgroup " + path +
                ": cgroup controller io not available (linux.resources.unified.io.max needs it) "
                "(hint: enable the io controller on this host or remove "
                "linux.resources.unified.io.max from the spec)");
    for (const auto &root : roots(l))
        REQUIRE_FALSE(exists(root + "/" + s.cgroup_parent()));
}

TEST_CASE("a setting the kernel refuses fails create with the file and errno, leaving nothing",
          "[root][cgroup1]") {
    const auto &l = require_v1({"cpuset"});
    Sandbox s;
    const std::string path = s.cgroup_parent() + "/badcpus";
    auto cg = Cgroup::create(path, {{"cpu", {{"cpus", "x"}}}});
    REQUIRE_FALSE(cg);
    REQUIRE(cg.error().render() == "create cgroup " + path +
                                       ": apply linux.resources.cpu.cpus: write `" +
                                       l.v1_hierarchy("cpuset")->mountpoint + "/" + path +
                                       "/cpuset.cpus`: Invalid argument");
    // The parent was made by this create, so it went too.
    for (const auto &root : roots(l))
        REQUIRE_FALSE(exists(root + "/" + s.cgroup_parent()));
}

TEST_CASE("stats report the cgroup's cpu time, memory and pids", "[root][cgroup1]") {
    const auto &l = require_v1({"cpuacct", "memory", "pids"});
    Sandbox s;
    auto cg = create(s.cgroup_parent() + "/stats",
                     {{"memory", {{"limit", 64 << 20}}}, {"pids", {{"limit", 10}}}});
    int ready[2];
    REQUIRE(::pipe2(ready, O_CLOEXEC) == 0);
    Child child([&] {
        auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(50);
        volatile unsigned long spin = 0;
        while (std::chrono::steady_clock::now() < until)
            spin = spin + 1;
        if (::write(ready[1], "x", 1) != 1)
            return 1;
        return sleep_forever();
    });
    ::close(ready[1]);
    REQUIRE(cg->add_process(child.pid()));
    child.go();
    char c;
    REQUIRE(::read(ready[0], &c, 1) == 1);
    ::close(ready[0]);

    auto st = cg->stats();
    REQUIRE(st);
    INFO(st->dump());
    REQUIRE((*st)["cpu"]["usage"]["total"].get<uint64_t>() >= 10'000'000);
    REQUIRE((*st)["memory"]["usage"]["limit"] == 64 << 20);
    REQUIRE((*st)["memory"]["usage"]["usage"].get<uint64_t>() > 0);
    REQUIRE((*st)["pids"]["current"] == 1);
    REQUIRE((*st)["pids"]["limit"] == 10);

    destroy(*cg);
    remove_parent(l, s);
}

TEST_CASE("an existing cgroup opens with the same directories, a missing one is not found",
          "[root][cgroup1][cgroup2]") {
    const auto &l = layout();
    Sandbox s;
    const std::string path = s.cgroup_parent() + "/reopen";
    auto cg = create(path, json());
    auto again = Cgroup::open(path);
    REQUIRE(again);
    REQUIRE((*again)->directories() == cg->directories());

    auto missing = Cgroup::open(s.cgroup_parent() + "/none");
    REQUIRE_FALSE(missing);
    REQUIRE(missing.error().code == BERTH_E_NOT_FOUND);
    REQUIRE(missing.error().render() == "cgroup not found: `" + s.cgroup_parent() +
                                            "/none` (hint: the container's cgroup was removed; "
                                            "delete the container)");
    auto invalid = Cgroup::open("../escape");
    REQUIRE(invalid.error().render() == "invalid cgroup path `../escape` (hint: use a relative "
                                        "path such as berth/c1, without . or ..)");

    destroy(**again);
    remove_parent(l, s);
}

TEST_CASE("the cgroup2 tree freezes, thaws and kills a process through its core files",
          "[root][cgroup2]") {
    const auto &l = require_v2();
    if (!exists(l.unified + "/cgroup.kill") && !exists(l.unified + "/cgroup.procs"))
        skip("the cgroup2 tree lacks core files");
    Sandbox s;
    const std::string parent = l.unified + "/" + s.cgroup_parent();
    const std::string dir = parent + "/core";
    REQUIRE(::mkdir(parent.c_str(), 0755) == 0);
    REQUIRE(::mkdir(dir.c_str(), 0755) == 0);
    {
        Child child(sleep_forever);
        REQUIRE(write_cgroup_file(dir + "/cgroup.procs", std::to_string(child.pid())));
        child.go();
        REQUIRE(populated_v2(dir).value());
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        REQUIRE(set_frozen_v2(dir, true, deadline));
        REQUIRE(frozen_v2(dir).value());
        REQUIRE(set_frozen_v2(dir, false, deadline));
        REQUIRE_FALSE(frozen_v2(dir).value());
        REQUIRE(set_frozen_v2(dir, true, deadline));

        REQUIRE(kill_v2(dir)); // cgroup.kill reaches a frozen cgroup too
        int status = child.wait();
        REQUIRE(WIFSIGNALED(status));
        REQUIRE(WTERMSIG(status) == SIGKILL);
        REQUIRE_FALSE(populated_v2(dir).value());
    }
    REQUIRE(::rmdir(dir.c_str()) == 0);
    REQUIRE(::rmdir(parent.c_str()) == 0);
}

TEST_CASE("an eBPF device program on a cgroup2 directory refuses devices outside its rules",
          "[root][cgroup2]") {
    const auto &l = require_v2();
    if (!exists("/dev/kmsg"))
        skip("needs /dev/kmsg on the host");
    Sandbox s;
    const std::string parent = l.unified + "/" + s.cgroup_parent();
    const std::string dir = parent + "/bpf";
    REQUIRE(::mkdir(parent.c_str(), 0755) == 0);
    REQUIRE(::mkdir(dir.c_str(), 0755) == 0);
    {
        auto attached =
            attach_device_program(dir, container_device_rules({{true, 'c', 1, 11, "r"}}));
        if (!attached)
            FAIL(attached.error().render());
        Child child([] {
            if (open_errno("/dev/null", O_RDWR) != 0)
                return 1;
            if (open_errno("/dev/kmsg", O_RDONLY) != 0)
                return 2;
            if (open_errno("/dev/kmsg", O_WRONLY) != EPERM)
                return 3;
            if (exists("/dev/mem") && open_errno("/dev/mem", O_RDONLY) != EPERM)
                return 4;
            return 0;
        });
        REQUIRE(write_cgroup_file(dir + "/cgroup.procs", std::to_string(child.pid())));
        child.go();
        int status = child.wait();
        REQUIRE(WIFEXITED(status));
        REQUIRE(WEXITSTATUS(status) == 0);
    }
    REQUIRE(::rmdir(dir.c_str()) == 0);
    REQUIRE(::rmdir(parent.c_str()) == 0);
}

TEST_CASE("hugetlb limits go to the cgroup2 tree on a hybrid host", "[root][cgroup2]") {
    const auto &l = require_v2();
    if (l.mode() != CgroupMode::hybrid || l.version_of("hugetlb") != 2)
        skip("needs a hybrid host whose cgroup2 tree has hugetlb");
    if (!exists("/sys/kernel/mm/hugepages/hugepages-2048kB"))
        skip("needs 2MB huge pages");
    const std::string root_control = l.unified + "/cgroup.subtree_control";
    const bool was_enabled = contents(root_control).find("hugetlb") != std::string::npos;
    Sandbox s;
    const std::string path = s.cgroup_parent() + "/huge";
    {
        auto cg = create(path, {{"hugepageLimits", {{{"pageSize", "2MB"}, {"limit", 4 << 20}}}}});
        REQUIRE(contents(l.unified + "/" + path + "/hugetlb.2MB.max") == "4194304");
        auto st = cg->stats();
        REQUIRE(st);
        REQUIRE((*st)["hugetlb"]["2MB"]["usage"] == 0);
        destroy(*cg);
    }
    remove_parent(l, s);
    if (!was_enabled) // leave the machine's root as it was
        REQUIRE(write_cgroup_file(root_control, "-hugetlb"));
}
