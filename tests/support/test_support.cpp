#include "support/test_support.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

namespace berth::test {

namespace {

std::string read_file(const fs::path &p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void write_file(const fs::path &p, const std::string &s) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << s;
    if (!out)
        throw std::runtime_error("cannot write " + p.string());
}

// Hierarchy roots under /sys/fs/cgroup: each v1 controller mount and the v2 tree.
std::vector<fs::path> cgroup_roots() {
    std::vector<fs::path> roots;
    std::ifstream in("/proc/self/mountinfo");
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        std::string f, mnt;
        for (int i = 0; i < 5 && ls >> f; ++i)
            mnt = f;
        auto dash = line.find(" - ");
        if (dash == std::string::npos)
            continue;
        std::istringstream rest(line.substr(dash + 3));
        std::string type;
        rest >> type;
        if (type == "cgroup" || type == "cgroup2")
            roots.emplace_back(mnt);
    }
    return roots;
}

// Sandboxes alive now: skip() ends the process without unwinding, so it cleans them up.
std::vector<Sandbox *> &live_sandboxes() {
    static std::vector<Sandbox *> live;
    return live;
}

} // namespace

void clean_up_live_sandboxes();

void skip(const std::string &why) {
    std::cout << "SKIPPED: " << why << std::endl;
    std::cerr << "SKIPPED: " << why << std::endl;
    clean_up_live_sandboxes();
    std::_Exit(77);
}

void require_root() {
    if (geteuid() != 0)
        skip("needs root");
}

fs::path berth_binary() {
    return BERTH_TEST_BINARY;
}
fs::path driver_dir() {
    return BERTH_TEST_DRIVER_DIR;
}
fs::path rootfs_dir() {
    return BERTH_TEST_ROOTFS;
}

RunResult run(const std::vector<std::string> &argv, const std::string &input, int timeout_s) {
    int in[2], out[2], err[2];
    REQUIRE(pipe2(in, O_CLOEXEC) == 0);
    REQUIRE(pipe2(out, O_CLOEXEC) == 0);
    REQUIRE(pipe2(err, O_CLOEXEC) == 0);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        dup2(err[1], 2);
        std::vector<char *> args;
        for (const auto &a : argv)
            args.push_back(const_cast<char *>(a.c_str()));
        args.push_back(nullptr);
        execv(args[0], args.data());
        dprintf(2, "exec %s: %s\n", args[0], strerror(errno));
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    close(err[1]);
    // Feed stdin fully (tests pass small inputs), then close it so the child sees EOF.
    signal(SIGPIPE, SIG_IGN);
    size_t off = 0;
    while (off < input.size()) {
        ssize_t n = write(in[1], input.data() + off, input.size() - off);
        if (n <= 0)
            break;
        off += static_cast<size_t>(n);
    }
    close(in[1]);

    RunResult r;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
    pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
    int open_fds = 2;
    bool timed_out = false;
    while (open_fds > 0) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            timed_out = true;
            break;
        }
        if (poll(fds, 2, static_cast<int>(left.count())) < 0 && errno != EINTR)
            break;
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            char buf[4096];
            ssize_t n = read(fds[i].fd, buf, sizeof buf);
            if (n > 0) {
                (i == 0 ? r.out : r.err).append(buf, static_cast<size_t>(n));
            } else {
                close(fds[i].fd);
                fds[i].fd = -1;
                --open_fds;
            }
        }
    }
    for (auto &f : fds)
        if (f.fd >= 0)
            close(f.fd);
    if (timed_out)
        kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    if (timed_out)
        FAIL("command timed out after " << timeout_s << "s: " << argv[0] << "\nstdout: " << r.out
                                        << "\nstderr: " << r.err);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return r;
}

Sandbox::Sandbox() {
    static std::atomic<int> counter{0};
    prefix_ = "berth-t" + std::to_string(getpid()) + "-" + std::to_string(++counter);
    dir_ = fs::temp_directory_path() / prefix_;
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    write_config();
    live_sandboxes().push_back(this);
}

void Sandbox::write_config() const {
    std::string yaml = "driver_dirs:\n  - " + driver_dir().string() + "\n" +
                       "state_root: " + state_root().string() + "\n" + extra_config_;
    write_file(config_path(), yaml);
}

void Sandbox::set_extra_config(const std::string &yaml) {
    extra_config_ = yaml;
    write_config();
}

fs::path Sandbox::bundle(const std::string &name, const std::vector<std::string> &args,
                         const std::function<void(nlohmann::json &)> &edit) {
    fs::path b = dir_ / ("bundle-" + name);
    fs::create_directories(b);
    nlohmann::json spec = {
        {"ociVersion", "1.0.2"},
        {"process",
         {{"terminal", false},
          {"user", {{"uid", 0}, {"gid", 0}}},
          {"args", args},
          // The marker lets leftovers() find any process of this sandbox's containers.
          {"env", {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "BERTH_TEST_SANDBOX=" + prefix_}},
          {"cwd", "/"}}},
        {"root", {{"path", rootfs_dir().string()}, {"readonly", true}}},
        {"linux", {{"cgroupsPath", "/" + prefix_ + "/" + name}}}};
    if (edit)
        edit(spec);
    write_file(b / "config.json", spec.dump(2));
    return b;
}

RunResult Sandbox::berth(const std::vector<std::string> &args, const std::string &input,
                         int timeout_s) const {
    std::vector<std::string> argv = {berth_binary().string(), "--root", state_root().string(), "-c",
                                     config_path().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, input, timeout_s);
}

std::vector<std::string> Sandbox::leftovers() const {
    std::vector<std::string> found;
    {
        std::ifstream in("/proc/self/mountinfo");
        std::string line;
        while (std::getline(in, line))
            if (line.find(prefix_) != std::string::npos)
                found.push_back("mount: " + line);
    }
    for (const auto &root : cgroup_roots()) {
        std::error_code ec;
        fs::path parent = root / prefix_;
        if (fs::exists(parent, ec))
            for (const auto &e : fs::directory_iterator(parent, ec))
                if (e.is_directory())
                    found.push_back("cgroup: " + e.path().string());
        // Containers without a cgroupsPath land below the drivers' default parent, by id.
        for (const auto &e : fs::directory_iterator(root / "berth", ec))
            if (e.is_directory() && e.path().filename().string().rfind(prefix_ + "-", 0) == 0)
                found.push_back("cgroup: " + e.path().string());
    }
    const std::string marker = "BERTH_TEST_SANDBOX=" + prefix_;
    std::error_code ec;
    for (const auto &e : fs::directory_iterator("/proc", ec)) {
        const std::string pid = e.path().filename();
        if (pid.find_first_not_of("0123456789") != std::string::npos)
            continue;
        std::string env = read_file(e.path() / "environ");
        // environ is NUL-separated; look for the exact marker entry.
        for (size_t pos = 0; pos < env.size();) {
            size_t end = env.find('\0', pos);
            if (end == std::string::npos)
                end = env.size();
            if (env.compare(pos, end - pos, marker) == 0) {
                found.push_back("process: " + pid + " " + read_file(e.path() / "comm"));
                break;
            }
            pos = end + 1;
        }
    }
    // The native driver's record of the parent cgroups it made belongs to the state root, not
    // to a container (a parent another program still used when its last container went stays
    // recorded until it is gone): tests of its own check it.
    if (fs::exists(state_root(), ec))
        for (const auto &e : fs::directory_iterator(state_root(), ec))
            if (e.path().filename() != ".native-cgroup-parents")
                found.push_back("state: " + e.path().string());
    return found;
}

void clean_up_live_sandboxes() {
    for (Sandbox *sb : live_sandboxes())
        sb->clean_up();
}

Sandbox::~Sandbox() {
    auto left = leftovers();
    for (const auto &l : left)
        UNSCOPED_INFO("left behind: " << l);
    CHECK(left.empty());
    clean_up();
    std::erase(live_sandboxes(), this);
}

void Sandbox::clean_up() const {
    // Whatever a failing test left, so one failure does not leak into the machine. Killed
    // processes leave their cgroups only once they are gone: wait (2 s at most) for that.
    auto processes = [&] {
        std::vector<int> pids;
        for (const auto &l : leftovers())
            if (l.rfind("process: ", 0) == 0)
                pids.push_back(std::stoi(l.substr(9)));
        return pids;
    };
    for (int pid : processes())
        kill(pid, SIGKILL);
    for (int i = 0; i < 200 && !processes().empty(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::ifstream in("/proc/self/mountinfo");
    std::string line;
    std::vector<std::string> mounts;
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        std::string f, mnt;
        for (int i = 0; i < 5 && ls >> f; ++i)
            mnt = f;
        if (mnt.find(prefix_) != std::string::npos)
            mounts.push_back(mnt);
    }
    for (auto it = mounts.rbegin(); it != mounts.rend(); ++it)
        umount2(it->c_str(), MNT_DETACH);
    for (const auto &l : leftovers())
        if (l.rfind("cgroup: ", 0) == 0)
            rmdir(l.substr(8).c_str());
    for (const auto &root : cgroup_roots())
        rmdir((root / prefix_).c_str());
    std::error_code ec;
    fs::remove_all(dir_, ec);
}

} // namespace berth::test
