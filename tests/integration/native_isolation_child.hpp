// Runs a piece of the native driver's in-container setup in a forked child inside fresh
// namespaces, the way the container's init runs it, and brings back what the child observed.
// The child's mount namespace dies with it, so its mounts cannot outlive the test.
#pragma once

#include "support/test_support.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>

namespace berth::test {

struct ChildOutcome {
    int exit_code = -1; // 0 when the body returned, 128+signal when killed
    std::string report; // what the body returned
};

// `flags` go to unshare(2) (CLONE_NEWNS is always added). The body must not use Catch2
// macros: it runs in another process; it returns its observations as text.
inline ChildOutcome run_in_child(int flags, const std::function<std::string()> &body,
                                 int timeout_s = 20) {
    int fds[2];
    REQUIRE(pipe2(fds, O_CLOEXEC) == 0);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        std::string out;
        if (unshare(CLONE_NEWNS | flags) != 0)
            out = std::string("unshare: ") + strerror(errno);
        else
            out = body();
        size_t off = 0;
        while (off < out.size()) {
            ssize_t n = write(fds[1], out.data() + off, out.size() - off);
            if (n <= 0)
                break;
            off += static_cast<size_t>(n);
        }
        _exit(0);
    }
    close(fds[1]);
    ChildOutcome o;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
    bool timed_out = false;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            timed_out = true;
            break;
        }
        pollfd p{fds[0], POLLIN, 0};
        if (poll(&p, 1, static_cast<int>(left.count())) < 0 && errno != EINTR)
            break;
        char buf[4096];
        ssize_t n = read(fds[0], buf, sizeof buf);
        if (n > 0)
            o.report.append(buf, static_cast<size_t>(n));
        else if (n == 0 || errno != EINTR)
            break;
    }
    close(fds[0]);
    if (timed_out)
        kill(pid, SIGKILL);
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    REQUIRE_FALSE(timed_out);
    o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return o;
}

inline std::string slurp(const std::string &path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Mount points of this process's namespace under `prefix` (tests assert none remain).
inline std::vector<std::string> mounts_under(const std::string &prefix) {
    std::vector<std::string> out;
    std::istringstream in(slurp("/proc/self/mountinfo"));
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        std::string f, point;
        for (int i = 0; i < 5 && ls >> f; ++i)
            point = f;
        if (point.rfind(prefix, 0) == 0)
            out.push_back(point);
    }
    return out;
}

} // namespace berth::test
