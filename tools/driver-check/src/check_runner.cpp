#include "check_runner.hpp"

#include <berth/common/unique_fd.hpp>

#include <fmt/format.h>

#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>

namespace berth::check {
namespace {

using Clock = std::chrono::steady_clock;

// Output kept per stream; enough to quote, small enough that a chatty driver cannot make the
// checker itself grow.
constexpr size_t kKeepBytes = 4096;

struct Pipe {
    UniqueFd read;
    UniqueFd write;
};

Pipe make_pipe() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        throw std::runtime_error(fmt::format("pipe2: {}", std::strerror(errno)));
    return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

void write_all(int fd, std::string_view s) {
    while (!s.empty()) {
        ssize_t n = ::write(fd, s.data(), s.size());
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        s.remove_prefix(static_cast<size_t>(n));
    }
}

// The child: fds 1 and 2 go to the parent's pipes, stdin is /dev/null, and the verdict goes
// to `result` as "P", "F<reason>" or "S<reason>". Never returns.
[[noreturn]] void child_main(const Check &check, const Context &ctx, Pipe &out, Pipe &err,
                             Pipe &result) {
    // Its own process group, so that a driver signalling "its" group or leaving a process
    // behind reaches neither the checker nor the user's shell; the parent kills the group.
    setpgid(0, 0);
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (devnull >= 0)
        dup2(devnull, 0);
    dup2(out.write.get(), 1);
    dup2(err.write.get(), 2);
    out.read.reset();
    err.read.reset();
    result.read.reset();
    signal(SIGPIPE, SIG_DFL);
    // A crash is a verdict, not a core file in the user's working directory.
    rlimit no_core{0, 0};
    setrlimit(RLIMIT_CORE, &no_core);

    std::string verdict;
    try {
        Verdict v = check.run(ctx);
        const char tag = v.kind == Verdict::Kind::pass   ? 'P'
                         : v.kind == Verdict::Kind::fail ? 'F'
                                                         : 'S';
        verdict.push_back(tag);
        verdict.append(v.reason);
    } catch (const std::exception &e) {
        verdict = std::string("Fchecker error: ") + e.what();
    }
    // Output a driver buffered in stdio must reach the pipes before _exit drops it.
    std::fflush(nullptr);
    write_all(result.write.get(), verdict);
    _exit(0);
}

// Appends what is readable now on `fd` to `keep` (up to kKeepBytes); false at end of file.
bool drain(int fd, std::string &keep, size_t &total) {
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno == EAGAIN;
        if (n == 0)
            return false;
        total += static_cast<size_t>(n);
        if (keep.size() < kKeepBytes)
            keep.append(buf, std::min(static_cast<size_t>(n), kKeepBytes - keep.size()));
    }
}

int remove_entry(const char *path, const struct stat *, int type, struct FTW *) {
    if (type == FTW_DP)
        rmdir(path);
    else
        unlink(path);
    return 0;
}

std::string describe_exit(int status) {
    if (WIFSIGNALED(status))
        return fmt::format("crashed with signal {} ({})", WTERMSIG(status),
                           strsignal(WTERMSIG(status)));
    return fmt::format("exited with status {} before finishing (a driver must never exit the "
                       "process)",
                       WEXITSTATUS(status));
}

} // namespace

std::string quote(std::string_view s, size_t max) {
    std::string q = "\"";
    for (size_t i = 0; i < s.size(); ++i) {
        if (q.size() >= max) {
            q += "...";
            break;
        }
        unsigned char c = static_cast<unsigned char>(s[i]);
        if (c == '\n')
            q += "\\n";
        else if (c == '"' || c == '\\')
            q += std::string("\\") + static_cast<char>(c);
        else if (c < 0x20 || c == 0x7f)
            q += fmt::format("\\x{:02x}", c);
        else
            q += static_cast<char>(c);
    }
    return q + "\"";
}

Verdict run_in_child(const Check &check, const Context &base) {
    const char *tmp = std::getenv("TMPDIR");
    std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/berth-driver-check-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr)
        return Verdict::fail(
            fmt::format("checker error: mkdtemp `{}`: {}", tmpl, std::strerror(errno)));
    Context ctx = base;
    ctx.scratch = tmpl;
    std::filesystem::create_directories(ctx.scratch / "state");
    std::filesystem::create_directories(ctx.scratch / "bundle" / "rootfs");

    Pipe out = make_pipe(), err = make_pipe(), result = make_pipe();
    std::fflush(nullptr);
    pid_t pid = fork();
    if (pid < 0)
        return Verdict::fail(fmt::format("checker error: fork: {}", std::strerror(errno)));
    if (pid == 0)
        child_main(check, ctx, out, err, result);
    setpgid(pid, pid); // also done by the child; whichever runs first wins the race harmlessly
    out.write.reset();
    err.write.reset();
    result.write.reset();
    for (int fd : {out.read.get(), err.read.get(), result.read.get()})
        fcntl(fd, F_SETFL, O_NONBLOCK);

    std::string out_text, err_text, verdict_text;
    size_t out_total = 0, err_total = 0, verdict_total = 0;
    auto deadline = Clock::now() + check.deadline;
    bool timed_out = false;
    // A process the driver started may hold the stdout pipe open after the child exited, so
    // the end of the check is the child's exit, not end of file on the pipes.
    for (;;) {
        siginfo_t info{};
        if (waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
            info.si_pid == pid)
            break;
        if (Clock::now() >= deadline) {
            timed_out = true;
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT);
            break;
        }
        pollfd fds[3] = {{out.read.get(), POLLIN, 0},
                         {err.read.get(), POLLIN, 0},
                         {result.read.get(), POLLIN, 0}};
        poll(fds, 3, 20);
        drain(out.read.get(), out_text, out_total);
        drain(err.read.get(), err_text, err_total);
        drain(result.read.get(), verdict_text, verdict_total);
    }
    // The child is a zombie now, so its pid (and with it the group id) cannot be reused before
    // the group is killed: nothing a check started outlives it.
    kill(-pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    drain(out.read.get(), out_text, out_total);
    drain(err.read.get(), err_text, err_total);
    drain(result.read.get(), verdict_text, verdict_total);

    // Never cross into a file system a misbehaving driver mounted in the scratch directory.
    nftw(ctx.scratch.c_str(), remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);

    Verdict v;
    if (timed_out)
        v = Verdict::fail(fmt::format("did not finish within {} s (a driver call hangs)",
                                      check.deadline.count()));
    else if (verdict_text.empty())
        v = Verdict::fail(describe_exit(status));
    else if (verdict_text[0] == 'P')
        v = Verdict::pass(verdict_text.substr(1));
    else if (verdict_text[0] == 'S')
        v = Verdict::skip(verdict_text.substr(1));
    else
        v = Verdict::fail(verdict_text.substr(1));

    if (v.kind != Verdict::Kind::fail && out_total > 0)
        v = Verdict::fail(fmt::format("wrote {} bytes to stdout: {}", out_total, quote(out_text)));
    else if (v.kind != Verdict::Kind::fail && err_total > 0)
        v = Verdict::fail(fmt::format("wrote {} bytes to stderr: {}", err_total, quote(err_text)));
    return v;
}

} // namespace berth::check
