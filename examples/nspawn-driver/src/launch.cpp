#include "launch.hpp"

#include "process_info.hpp"
#include "sys_failure.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

namespace nspawn_driver {
namespace {

// The child's setup steps; a failing one is sent to the parent by number with its errno.
enum Step : int {
    step_ready = 0,
    step_setsid,
    step_stdio,
    step_close_fds,
    step_cgroup,
    step_parent_death_signal,
};

const char *step_name(int step) {
    switch (step) {
    case step_setsid:
        return "start a session";
    case step_stdio:
        return "set up stdin, stdout and stderr";
    case step_close_fds:
        return "close inherited file descriptors";
    case step_cgroup:
        return "join the container's cgroup";
    case step_parent_death_signal:
        return "set the parent-death signal";
    default:
        return "set up the container's process";
    }
}

struct Report {
    int step = step_ready;
    int err = 0;
    int index = 0; // which cgroup
};

// Everything the child uses, built before fork: after fork it only makes system calls on
// these, so it neither allocates nor takes a lock another thread might have held.
struct ChildPlan {
    std::vector<std::string> cgroup_procs;
    std::vector<char *> argv;
    std::vector<char *> envp;
    const char *fifo;
    int stdio[3];
    bool detached;
    pid_t parent;
    int report_fd;
};

[[noreturn]] void report_and_exit(int fd, int step, int err, int index = 0) noexcept {
    Report r{step, err, index};
    ssize_t n;
    do
        n = ::write(fd, &r, sizeof r);
    while (n < 0 && errno == EINTR);
    ::_exit(1);
}

[[noreturn]] void run_child(const ChildPlan &p) noexcept {
    // The report pipe goes above 2 before stdio is put in place over whatever sits there.
    const int out = ::fcntl(p.report_fd, F_DUPFD_CLOEXEC, 3);
    if (out < 0)
        ::_exit(1);

    // A session of its own: the terminal's signals are berth's, not the container's.
    if (::setsid() < 0)
        report_and_exit(out, step_setsid, errno);

    // The three fds may themselves be 0, 1 or 2 in another order: copy them up first.
    int tmp[3];
    for (int i = 0; i < 3; ++i)
        if ((tmp[i] = ::fcntl(p.stdio[i], F_DUPFD_CLOEXEC, 3)) < 0)
            report_and_exit(out, step_stdio, errno);
    for (int i = 0; i < 3; ++i)
        if (::dup2(tmp[i], i) < 0)
            report_and_exit(out, step_stdio, errno);

    // Every other fd berth had open is closed now, not at exec: some carry locks (the
    // container record's flock) that other berth commands wait on while any copy is open.
    if (out > 3 && ::syscall(SYS_close_range, 3, out - 1, 0) < 0)
        report_and_exit(out, step_close_fds, errno);
    if (::syscall(SYS_close_range, out + 1, ~0u, 0) < 0)
        report_and_exit(out, step_close_fds, errno);

    for (size_t i = 0; i < p.cgroup_procs.size(); ++i) {
        const int fd = ::open(p.cgroup_procs[i].c_str(), O_WRONLY | O_CLOEXEC);
        if (fd < 0 || ::write(fd, "0", 1) != 1)
            report_and_exit(out, step_cgroup, errno, static_cast<int>(i));
        ::close(fd);
    }

    // A container that `berth run` waits for dies with berth instead of running unattended.
    if (!p.detached) {
        if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
            report_and_exit(out, step_parent_death_signal, errno);
        if (::getppid() != p.parent)
            ::_exit(1);
    }

    // Held here: the parent learns setup went well, and start opens the FIFO.
    Report ready{};
    if (::write(out, &ready, sizeof ready) != sizeof ready)
        ::_exit(1);
    ::close(out);
    if (wait_at_barrier(p.fifo) != 0)
        ::_exit(1);

    ::execve(p.argv[0], p.argv.data(), p.envp.data());
    // Past the barrier nobody reads a report: the shell's "cannot execute" status says it.
    ::_exit(126);
}

} // namespace

Record launch(const LaunchPlan &plan) {
    // systemd-nspawn gets a clean environment: variables of berth's (SYSTEMD_NSPAWN_*,
    // SYSTEMD_LOG_*, ...) would change what it does.
    static char path_env[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
    const std::string fifo = barrier_path(plan.state_dir);

    ChildPlan p{};
    for (const auto &cg : plan.cgroups)
        p.cgroup_procs.push_back(cg + "/cgroup.procs");
    for (const auto &a : plan.command.argv)
        p.argv.push_back(const_cast<char *>(a.c_str()));
    p.argv.push_back(nullptr);
    p.envp = {path_env, nullptr};
    p.fifo = fifo.c_str();
    p.detached = plan.detached;
    p.parent = ::getpid();

    const int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null_fd < 0)
        throw sys_failure("open", "/dev/null");
    for (int i = 0; i < 3; ++i)
        p.stdio[i] = plan.stdio[i] >= 0 ? plan.stdio[i] : null_fd;

    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
        auto failure = sys_failure("create pipe", "report of the container's process");
        ::close(null_fd);
        throw failure;
    }
    p.report_fd = pipe_fds[1];

    const pid_t pid = ::fork();
    if (pid == 0)
        run_child(p);
    const int fork_errno = errno;
    ::close(pipe_fds[1]);
    ::close(null_fd);
    if (pid < 0) {
        ::close(pipe_fds[0]);
        throw sys_failure("fork", "the container's process", fork_errno);
    }

    Report r{};
    ssize_t n;
    do
        n = ::read(pipe_fds[0], &r, sizeof r);
    while (n < 0 && errno == EINTR);
    ::close(pipe_fds[0]);
    if (n != sizeof r || r.step != step_ready) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        if (n != sizeof r)
            throw berth::sdk::Failure(BERTH_E_FAILED, "the container's process (pid " +
                                                          std::to_string(pid) +
                                                          ") ended during setup without a report");
        throw berth::sdk::Failure(r.err == EPERM || r.err == EACCES ? BERTH_E_PERMISSION
                                                                    : BERTH_E_FAILED,
                                  std::string("container process: ") + step_name(r.step) +
                                      (r.step == step_cgroup && r.index >= 0 &&
                                               static_cast<size_t>(r.index) < p.cgroup_procs.size()
                                           ? " `" + p.cgroup_procs[r.index] + "`"
                                           : std::string()) +
                                      ": " + std::strerror(r.err),
                                  r.err);
    }

    auto st = read_proc_stat(pid);
    if (!st) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        throw berth::sdk::Failure(BERTH_E_FAILED, "cannot read /proc/" + std::to_string(pid) +
                                                      "/stat of the container's process");
    }
    return Record{pid, st->start_time};
}

} // namespace nspawn_driver
