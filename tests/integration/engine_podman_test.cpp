// podman 4.3 runs containers through berth (`--runtime`), end to end: a busybox image imported
// from a tarball of the build's root filesystem, private podman storage, no network.
#include "lifecycle_support.hpp"

using namespace berth::test;
using namespace berth::test::lifecycle;

namespace {

fs::path find_program(const std::string &name) {
    for (const char *dir : {"/usr/bin", "/usr/sbin", "/usr/local/bin", "/bin"}) {
        fs::path p = fs::path(dir) / name;
        if (access(p.c_str(), X_OK) == 0)
            return p;
    }
    return {};
}

// podman with everything it keeps under the sandbox: storage (vfs: plain directories, no
// mounts left to clean up), run state, events, and its containers' cgroups below the
// sandbox's cgroup parent. The runtime is berth with the sandbox's --root and berth.yaml put
// in front by a two-line script: conmon does not pass the environment on, and podman's
// cleanup process (which deletes the container after it exits) drops --runtime-flag.
struct Podman {
    const Sandbox &sb;
    fs::path podman;
    std::string image;

    fs::path runtime() const { return sb.dir() / "berth-runtime"; }

    RunResult operator()(std::vector<std::string> args, int timeout_s = 120) const {
        std::vector<std::string> argv = {podman.string(),
                                         "--root",
                                         (sb.dir() / "podman-root").string(),
                                         "--runroot",
                                         (sb.dir() / "podman-run").string(),
                                         "--tmpdir",
                                         (sb.dir() / "podman-tmp").string(),
                                         "--storage-driver",
                                         "vfs",
                                         "--cgroup-manager",
                                         "cgroupfs",
                                         "--events-backend",
                                         "file",
                                         "--runtime",
                                         runtime().string()};
        argv.insert(argv.end(), args.begin(), args.end());
        return run(argv, {}, timeout_s);
    }

    // The options every container of the test gets. This machine lacks CAP_SYS_RESOURCE, so
    // podman's default nofile and nproc limits cannot be applied (by any runtime): explicit
    // values within berth's own limits.
    std::vector<std::string> run_options() const {
        return {"--network",       "none",
                "--ulimit",        "nofile=1024:1024",
                "--ulimit",        "nproc=1024:1024",
                "--cgroup-parent", "/" + sb.cgroup_parent()};
    }
};

Podman make_podman(Sandbox &sb) {
    require_native();
    fs::path podman = find_program("podman");
    if (podman.empty())
        skip("podman is not installed (apt-get install podman)");
    Podman p{sb, podman, "localhost/" + sb.prefix() + "-busybox:test"};
    {
        std::ofstream script(p.runtime());
        script << "#!/bin/sh\nexec " << berth_binary().string() << " --root "
               << sb.state_root().string() << " -c " << sb.config_path().string() << " \"$@\"\n";
    }
    fs::permissions(p.runtime(), fs::perms::owner_all);
    const fs::path tarball = sb.dir() / "busybox.tar";
    RunResult tar = run({"/bin/tar", "-C", rootfs_dir().string(), "-cf", tarball.string(), "."});
    REQUIRE(tar.exit_code == 0);
    RunResult imported = p({"import", "--quiet", tarball.string(), p.image});
    INFO(imported.err);
    REQUIRE(imported.exit_code == 0);
    return p;
}

std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string> &b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

// Processes still running with the sandbox's directory in their command line (conmon keeps
// podman's run directory there).
std::vector<std::string> podman_processes(const Sandbox &sb) {
    std::vector<std::string> found;
    std::error_code ec;
    for (const auto &e : fs::directory_iterator("/proc", ec)) {
        const std::string pid = e.path().filename();
        if (pid.find_first_not_of("0123456789") != std::string::npos)
            continue;
        std::string cmdline = slurp(e.path() / "cmdline");
        if (cmdline.find(sb.dir().string()) != std::string::npos)
            found.push_back(pid + " " + slurp(e.path() / "comm"));
    }
    return found;
}

// podman with the cgroupfs manager moves conmon into <cgroup parent>/conmon and leaves that
// cgroup behind when conmon exits; it is podman's, removed here once conmon is gone.
void remove_conmon_cgroups(const Sandbox &sb) {
    std::error_code ec;
    std::vector<fs::path> hierarchies = {"/sys/fs/cgroup"};
    for (const auto &e : fs::directory_iterator("/sys/fs/cgroup", ec))
        if (e.is_directory())
            hierarchies.push_back(e.path());
    for (const auto &h : hierarchies) {
        fs::path conmon = h / sb.cgroup_parent() / "conmon";
        if (fs::exists(conmon, ec))
            CHECK(::rmdir(conmon.c_str()) == 0);
    }
}

// conmon runs `podman container cleanup` when a container exits, in the background; a reset
// racing it finds files appearing in podman's directories. Waits (10 s at most) for it.
void await_podman_cleanup(const Sandbox &sb) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!podman_processes(sb).empty() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

void reset_podman(const Podman &podman) {
    await_podman_cleanup(podman.sb);
    RunResult reset = podman({"system", "reset", "--force"});
    INFO(reset.err);
    CHECK(reset.exit_code == 0);
    remove_conmon_cgroups(podman.sb);
}

} // namespace

TEST_CASE("podman run --rm runs a container through berth and removes it", "[root]") {
    Sandbox sb;
    Podman podman = make_podman(sb);

    RunResult r =
        podman(concat(concat({"run", "--rm"}, podman.run_options()), {podman.image, "sh", "-c",
                                                                      "echo hello from berth; "
                                                                      "cat /proc/1/comm; exit 3"}));
    INFO(r.err);
    CHECK(r.exit_code == 3);
    CHECK(r.out == "hello from berth\nsh\n");
    CHECK(sb.berth({"list", "-q"}).out == "");
    reset_podman(podman);
    CHECK(podman_processes(sb).empty());
    CHECK(sb.leftovers().empty());
}

TEST_CASE("podman run -d, exec, stop and rm drive a berth container", "[root]") {
    Sandbox sb;
    Podman podman = make_podman(sb);
    const std::string name = sb.id("web");

    RunResult started = podman(
        concat(concat({"run", "-d", "--name", name, "--hostname", "web"}, podman.run_options()),
               {podman.image, "sleep", "1000"}));
    INFO(started.err);
    REQUIRE(started.exit_code == 0);
    const std::string cid = started.out.substr(0, started.out.find('\n'));

    // The container is berth's: its record names the driver that runs it.
    RunResult listed = sb.berth({"list", "--format", "json"});
    REQUIRE(listed.exit_code == 0);
    json records = json::parse(listed.out);
    REQUIRE(records.size() == 1);
    CHECK(records[0]["id"] == cid);
    CHECK(records[0]["driver"] == "native");
    CHECK(records[0]["status"] == "running");

    RunResult exec = podman({"exec", name, "sh", "-c", "hostname; cat /proc/1/comm"});
    INFO(exec.err);
    CHECK(exec.exit_code == 0);
    CHECK(exec.out == "web\nsleep\n");
    RunResult exec_status = podman({"exec", name, "sh", "-c", "exit 4"});
    CHECK(exec_status.exit_code == 4);

    RunResult stopped = podman({"stop", "-t", "1", name});
    INFO(stopped.err);
    CHECK(stopped.exit_code == 0);
    RunResult inspect = podman({"inspect", "--format", "{{.State.Status}}", name});
    CHECK(inspect.out == "exited\n");

    RunResult removed = podman({"rm", name});
    INFO(removed.err);
    CHECK(removed.exit_code == 0);
    CHECK(sb.berth({"list", "-q"}).out == "");
    reset_podman(podman);
    CHECK(podman_processes(sb).empty());
    CHECK(sb.leftovers().empty());
}
