// containerd's runc shim (io.containerd.runc.v2) runs containers through berth as its
// BinaryName, driven with ctr against a containerd instance private to the test.
#include "lifecycle_support.hpp"

#include <signal.h>
#include <sys/wait.h>

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

// A containerd with its root, state, sockets and configuration under the sandbox, stopped
// (and waited for) when the test ends. The CRI plugin is off: nothing but ctr talks to it.
class Containerd {
public:
    explicit Containerd(const Sandbox &sb) : sb_(sb) {
        fs::path bin = find_program("containerd");
        if (bin.empty() || find_program("ctr").empty() ||
            find_program("containerd-shim-runc-v2").empty())
            skip("containerd is not installed (apt-get install containerd)");
        dir_ = sb.dir() / "containerd";
        fs::create_directories(dir_);
        std::ofstream(dir_ / "config.toml")
            << "version = 2\n"
            << "root = \"" << (dir_ / "root").string() << "\"\n"
            << "state = \"" << (dir_ / "state").string() << "\"\n"
            << "disabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n"
            << "[grpc]\n  address = \"" << address() << "\"\n"
            << "[ttrpc]\n  address = \"" << (dir_ / "ttrpc.sock").string() << "\"\n";
        pid_ = fork();
        REQUIRE(pid_ >= 0);
        if (pid_ == 0) {
            std::string log = (dir_ / "containerd.log").string();
            FILE *f = std::fopen(log.c_str(), "w");
            dup2(fileno(f), 1);
            dup2(fileno(f), 2);
            // The shim and berth find the sandbox's berth.yaml here.
            setenv("BERTH_CONFIG", sb_.config_path().c_str(), 1);
            execl(bin.c_str(), "containerd", "--config", (dir_ / "config.toml").c_str(),
                  nullptr);
            _exit(127);
        }
        bool up = eventually([&] { return ctr({"version"}).exit_code == 0; }, 30000);
        INFO(slurp(dir_ / "containerd.log"));
        REQUIRE(up);
    }
    ~Containerd() {
        kill(pid_, SIGTERM);
        waitpid(pid_, nullptr, 0);
        // The shim keeps berth's state root for the namespace in the runc directory.
        std::error_code ec;
        fs::remove_all(fs::path("/run/containerd/runc") / ns(), ec);
    }

    std::string address() const { return (dir_ / "containerd.sock").string(); }
    std::string ns() const { return sb_.prefix(); }

    RunResult ctr(std::vector<std::string> args, int timeout_s = 120) const {
        std::vector<std::string> argv = {"/usr/bin/ctr", "--address", address(), "--namespace",
                                         ns()};
        argv.insert(argv.end(), args.begin(), args.end());
        return run(argv, {}, timeout_s);
    }

    // berth's view of the shim's containers: the shim keeps them under this state root.
    fs::path berth_root() const { return fs::path("/run/containerd/runc") / ns(); }

private:
    const Sandbox &sb_;
    fs::path dir_;
    pid_t pid_ = -1;
};

} // namespace

TEST_CASE("containerd's runc shim runs a container through berth with ctr", "[root]") {
    require_native();
    Sandbox sb;
    Containerd containerd(sb);
    const std::string id = sb.id("ctr");

    // --rootfs runs on a directory, so no image has to be pulled; the container gets a
    // network namespace with loopback only.
    RunResult r = containerd.ctr(
        {"run", "--rm", "--rootfs", "--runc-binary", berth_binary().string(), "--cgroup",
         "/" + sb.cgroup_parent() + "/" + id, "--env", "BERTH_TEST_SANDBOX=" + sb.prefix(),
         rootfs_dir().string(), id, "/bin/sh", "-c", "echo hello from berth; exit 5"});
    INFO(r.err);
    CHECK(r.out == "hello from berth\n");
    CHECK(r.exit_code == 5);
    CHECK(sb.leftovers().empty());
}

TEST_CASE("containerd starts, execs into, kills and deletes a berth container through ctr",
          "[root]") {
    require_native();
    Sandbox sb;
    Containerd containerd(sb);
    const std::string id = sb.id("task");

    RunResult created = containerd.ctr(
        {"run", "--detach", "--rootfs", "--runc-binary", berth_binary().string(), "--cgroup",
         "/" + sb.cgroup_parent() + "/" + id, "--env", "BERTH_TEST_SANDBOX=" + sb.prefix(),
         rootfs_dir().string(), id, "/bin/sleep", "1000"});
    INFO(created.err);
    REQUIRE(created.exit_code == 0);

    // berth keeps the shim's container under the shim's --root.
    RunResult state = run({berth_binary().string(), "--root", containerd.berth_root().string(),
                           "-c", sb.config_path().string(), "state", id});
    INFO(state.err);
    REQUIRE(state.exit_code == 0);
    json st = json::parse(state.out);
    CHECK(st["status"] == "running");
    CHECK(st["driver"] == "native");

    RunResult exec = containerd.ctr({"task", "exec", "--exec-id", "e1", id, "/bin/sh", "-c",
                                     "cat /proc/1/comm; exit 6"});
    INFO(exec.err);
    CHECK(exec.out == "sleep\n");
    CHECK(exec.exit_code == 6);

    RunResult killed = containerd.ctr({"task", "kill", "--signal", "SIGKILL", id});
    INFO(killed.err);
    CHECK(killed.exit_code == 0);
    CHECK(eventually([&] {
        return containerd.ctr({"task", "ls"}).out.find("STOPPED") != std::string::npos;
    }));
    RunResult deleted = containerd.ctr({"task", "delete", id});
    INFO(deleted.err);
    CHECK(deleted.exit_code == 0);
    CHECK(containerd.ctr({"container", "delete", id}).exit_code == 0);
    CHECK(sb.leftovers().empty());
}
