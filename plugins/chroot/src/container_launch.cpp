#include "container_launch.hpp"

#include "container_record.hpp"
#include "exec_search.hpp"
#include "proc_status.hpp"
#include "start_barrier.hpp"

#include <berth/common/scope_guard.hpp>
#include <berth/common/unique_fd.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace berth::chroot {
namespace {

// The setup steps of the child, in order. A failing step is sent to the parent by number.
enum class Step : int32_t {
    ready = 0,
    setsid,
    stdio,
    preserve_fds,
    close_fds,
    rlimit,
    oom_score_adj,
    chroot,
    cwd,
    setgroups,
    setgid,
    setuid,
    no_new_privileges,
    parent_death_signal,
    find_executable,
};

// What the child writes to the parent: one record, then either exec or _exit.
struct ChildReport {
    Step step = Step::ready;
    int32_t err = 0;
    int32_t index = 0; // which rlimit or executable candidate
};

// Exit statuses of a child that fails after the barrier, where nobody is listening on the
// pipe any more: the shell's conventions for "cannot execute" and "not found".
constexpr int exit_cannot_execute = 126;
constexpr int exit_not_found = 127;

// Everything the child needs, built before fork: after fork the child only makes system calls
// on these, so it does not allocate or take locks another thread may have held.
struct ChildPlan {
    const char *rootfs;
    const char *cwd;
    std::vector<const char *> argv;
    std::vector<const char *> envp;
    std::vector<const char *> candidates;
    std::vector<gid_t> groups;
    uid_t uid;
    gid_t gid;
    int umask; // -1: keep
    std::vector<std::pair<int, rlimit>> rlimits;
    const char *oom_score_adj; // nullptr: keep
    bool no_new_privileges;
    bool detached;
    pid_t parent;
    int stdio[3];
    unsigned preserve_fds;
    int barrier_dir;
    int report_fd;
};

void report_and_exit(int fd, Step step, int err, int index = 0) noexcept {
    ChildReport r{step, err, index};
    ssize_t n;
    do
        n = ::write(fd, &r, sizeof r);
    while (n < 0 && errno == EINTR);
    ::_exit(1);
}

// Puts the three stdio fds in place. They may themselves be 0, 1 or 2 in another order, so
// each is first copied above the range the container keeps.
int place_stdio(const ChildPlan &p) noexcept {
    int tmp[3];
    const int floor = 3 + static_cast<int>(p.preserve_fds);
    for (int i = 0; i < 3; ++i) {
        tmp[i] = ::fcntl(p.stdio[i], F_DUPFD_CLOEXEC, floor);
        if (tmp[i] < 0)
            return errno;
    }
    for (int i = 0; i < 3; ++i) {
        if (::dup2(tmp[i], i) < 0)
            return errno;
        ::close(tmp[i]);
    }
    return 0;
}

// Closes every fd from `floor` up except `keep_a` and `keep_b` (both at or above `floor`).
int close_other_fds(unsigned floor, int keep_a, int keep_b) noexcept {
    unsigned lo = static_cast<unsigned>(keep_a < keep_b ? keep_a : keep_b);
    unsigned hi = static_cast<unsigned>(keep_a < keep_b ? keep_b : keep_a);
    const std::pair<unsigned, unsigned> ranges[] = {{floor, lo - 1}, {lo + 1, hi - 1},
                                                   {hi + 1, ~0u}};
    for (const auto &[first, last] : ranges)
        if (first <= last && first >= floor && ::syscall(SYS_close_range, first, last, 0) < 0)
            return errno;
    return 0;
}

[[noreturn]] void run_child(const ChildPlan &p) noexcept {
    // Both fds this process still needs go above the range the container keeps before the
    // stdio and preserved fds are put in place over whatever sits there.
    const unsigned floor = 3 + p.preserve_fds;
    const int out = ::fcntl(p.report_fd, F_DUPFD_CLOEXEC, floor);
    if (out < 0)
        ::_exit(1);
    const int barrier_dir = ::fcntl(p.barrier_dir, F_DUPFD_CLOEXEC, floor);
    if (barrier_dir < 0)
        report_and_exit(out, Step::close_fds, errno);

    // A session of its own: kill --all reaches the whole container through it, and it no
    // longer shares the terminal's signals with berth.
    if (::setsid() < 0)
        report_and_exit(out, Step::setsid, errno);

    if (int err = place_stdio(p))
        report_and_exit(out, Step::stdio, err);

    for (unsigned i = 0; i < p.preserve_fds; ++i)
        if (::fcntl(3 + static_cast<int>(i), F_SETFD, 0) < 0)
            report_and_exit(out, Step::preserve_fds, errno, static_cast<int>(i) + 3);

    // Until exec this process holds every fd berth had open, and some carry state: a flock()
    // on the container's record stays held, and other berth commands wait, for as long as
    // any copy of its fd is open. So everything but the two fds still needed is closed now,
    // not merely marked close-on-exec.
    if (int err = close_other_fds(floor, out, barrier_dir))
        report_and_exit(out, Step::close_fds, err);

    for (size_t i = 0; i < p.rlimits.size(); ++i)
        if (::setrlimit(static_cast<__rlimit_resource>(p.rlimits[i].first),
                        &p.rlimits[i].second) < 0)
            report_and_exit(out, Step::rlimit, errno, static_cast<int>(i));

    if (p.oom_score_adj != nullptr) {
        int fd = ::open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
        size_t len = std::strlen(p.oom_score_adj);
        if (fd < 0 || ::write(fd, p.oom_score_adj, len) != static_cast<ssize_t>(len))
            report_and_exit(out, Step::oom_score_adj, errno);
        ::close(fd);
    }

    // chroot(2) leaves the working directory outside the new root; entering it first and
    // chrooting to "." leaves nothing reachable through ".." (the fds kept open above are
    // all CLOEXEC and gone at exec).
    if (::chdir(p.rootfs) < 0 || ::chroot(".") < 0)
        report_and_exit(out, Step::chroot, errno);

    if (::chdir(p.cwd) < 0)
        report_and_exit(out, Step::cwd, errno);

    // Always set, even to an empty list, so root's supplementary groups do not leak in.
    if (::setgroups(p.groups.size(), p.groups.data()) < 0)
        report_and_exit(out, Step::setgroups, errno);

    if (::setresgid(p.gid, p.gid, p.gid) < 0)
        report_and_exit(out, Step::setgid, errno);

    if (::setresuid(p.uid, p.uid, p.uid) < 0)
        report_and_exit(out, Step::setuid, errno);

    if (p.umask >= 0)
        ::umask(static_cast<mode_t>(p.umask));

    if (p.no_new_privileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        report_and_exit(out, Step::no_new_privileges, errno);

    // Set after the credential change, which clears it. A container that `berth run` waits
    // for dies with berth instead of running on unattended.
    if (!p.detached) {
        if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
            report_and_exit(out, Step::parent_death_signal, errno);
        if (::getppid() != p.parent)
            ::_exit(1);
    }

    // Searched as the container's user, inside the chroot, so "not found" fails create.
    int search_err = 0;
    int exe = pick_executable(p.candidates.data(), static_cast<int>(p.candidates.size()),
                              &search_err);
    if (exe < 0)
        report_and_exit(out, Step::find_executable, search_err);

    ChildReport ready{};
    ssize_t n;
    do
        n = ::write(out, &ready, sizeof ready);
    while (n < 0 && errno == EINTR);

    if (wait_at_start_barrier(barrier_dir) != 0)
        ::_exit(exit_cannot_execute);
    ::close(barrier_dir);

    ::execve(p.candidates[exe], const_cast<char *const *>(p.argv.data()),
             const_cast<char *const *>(p.envp.data()));
    ::_exit(errno == ENOENT ? exit_not_found : exit_cannot_execute);
}

// The parent's reading of a child's failure report.
Error describe_failure(const ChildReport &r, const LaunchRequest &req) {
    const auto &proc = req.process;
    switch (r.step) {
    case Step::setsid:
        return sys_error("setsid", "", r.err);
    case Step::stdio:
        return sys_error("set up stdio", "", r.err);
    case Step::preserve_fds:
        return sys_error("keep preserved fd", std::to_string(r.index), r.err)
            .with_hint("pass only fds that are open with --preserve-fds");
    case Step::close_fds:
        return sys_error("close_range", "", r.err);
    case Step::rlimit: {
        const auto &l = proc.rlimits.at(static_cast<size_t>(r.index));
        return sys_error(fmt::format("setrlimit {} soft {} hard {}", l.type, l.soft, l.hard), "",
                         r.err);
    }
    case Step::oom_score_adj:
        return sys_error("write", "/proc/self/oom_score_adj", r.err);
    case Step::chroot:
        return sys_error("chroot", req.rootfs.string(), r.err);
    case Step::cwd:
        return sys_error("config.json: process.cwd: chdir", proc.cwd, r.err)
            .with_hint("create the directory in the root filesystem or change process.cwd");
    case Step::setgroups:
        return sys_error(fmt::format("setgroups [{}]", fmt::join(proc.user.additional_gids, ", ")),
                         "", r.err);
    case Step::setgid:
        return sys_error(fmt::format("setgid {}", proc.user.gid), "", r.err);
    case Step::setuid:
        return sys_error(fmt::format("setuid {}", proc.user.uid), "", r.err);
    case Step::no_new_privileges:
        return sys_error("prctl PR_SET_NO_NEW_PRIVS", "", r.err);
    case Step::parent_death_signal:
        return sys_error("prctl PR_SET_PDEATHSIG", "", r.err);
    case Step::find_executable: {
        const auto &name = proc.args.front();
        if (name.find('/') != std::string::npos)
            return sys_error("config.json: process.args[0]: exec", name, r.err)
                .with_hint("the path is looked up inside the root filesystem");
        return sys_error(fmt::format("config.json: process.args[0]: no executable \"{}\" in the "
                                     "container's PATH {}",
                                     name, proc.getenv("PATH").value_or(default_path)),
                         "", r.err);
    }
    case Step::ready:
        break;
    }
    return make_error(BERTH_E_FAILED, "the container's process reported an unknown failure");
}

// Kills and reaps a child that has not been handed to the caller yet.
class ChildGuard {
public:
    explicit ChildGuard(pid_t pid) : pid_(pid) {}
    ChildGuard(const ChildGuard &) = delete;
    ChildGuard &operator=(const ChildGuard &) = delete;
    ~ChildGuard() {
        if (pid_ <= 0)
            return;
        ::kill(pid_, SIGKILL);
        reap();
    }
    // Waits for a child that ends on its own; returns its wait status.
    int reap() {
        int status = 0;
        while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
        pid_ = -1;
        return status;
    }
    pid_t release() { return std::exchange(pid_, -1); }

private:
    pid_t pid_;
};

} // namespace

Result<int> launch_container(const LaunchRequest &req, const driver::Host &host) {
    const auto &proc = req.process;

    host.debug("container {}: make the start barrier in {}", req.id, req.state_dir.string());
    if (auto r = make_start_barrier(req.state_dir, proc.user.uid, proc.user.gid); !r)
        return fail(std::move(r.error()));
    ScopeGuard remove_barrier([&] { (void)remove_start_barrier(req.state_dir); });

    auto barrier_dir = open_start_barrier_dir(req.state_dir);
    if (!barrier_dir)
        return fail(std::move(barrier_dir.error()));

    UniqueFd dev_null;
    if (req.stdin_fd < 0 || req.stdout_fd < 0 || req.stderr_fd < 0) {
        dev_null.reset(::open("/dev/null", O_RDWR | O_CLOEXEC));
        if (!dev_null)
            return fail(sys_error("open", "/dev/null"));
    }

    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0)
        return fail(sys_error("pipe2", "report pipe"));
    UniqueFd report_read(pipe_fds[0]);
    UniqueFd report_write(pipe_fds[1]);

    const std::string rootfs = req.rootfs.string();
    const std::vector<std::string> candidates = executable_candidates(proc);
    const std::string oom = proc.oom_score_adj ? std::to_string(*proc.oom_score_adj) : "";

    ChildPlan plan{};
    plan.rootfs = rootfs.c_str();
    plan.cwd = proc.cwd.c_str();
    for (const auto &a : proc.args)
        plan.argv.push_back(a.c_str());
    plan.argv.push_back(nullptr);
    for (const auto &e : proc.env)
        plan.envp.push_back(e.c_str());
    plan.envp.push_back(nullptr);
    for (const auto &c : candidates)
        plan.candidates.push_back(c.c_str());
    plan.groups.assign(proc.user.additional_gids.begin(), proc.user.additional_gids.end());
    plan.uid = proc.user.uid;
    plan.gid = proc.user.gid;
    plan.umask = proc.user.umask ? static_cast<int>(*proc.user.umask) : -1;
    for (const auto &l : proc.rlimits)
        plan.rlimits.push_back({l.resource, rlimit{l.soft, l.hard}});
    plan.oom_score_adj = proc.oom_score_adj ? oom.c_str() : nullptr;
    plan.no_new_privileges = proc.no_new_privileges;
    plan.detached = req.detached;
    plan.parent = ::getpid();
    plan.stdio[0] = req.stdin_fd >= 0 ? req.stdin_fd : dev_null.get();
    plan.stdio[1] = req.stdout_fd >= 0 ? req.stdout_fd : dev_null.get();
    plan.stdio[2] = req.stderr_fd >= 0 ? req.stderr_fd : dev_null.get();
    plan.preserve_fds = req.preserve_fds;
    plan.barrier_dir = barrier_dir->get();
    plan.report_fd = report_write.get();

    // The child cannot log through the host after fork, so its privileged steps are logged
    // here, before they run.
    host.debug("container {}: fork; the child will setsid, chroot into {}, chdir to {}, "
               "setgroups [{}], setgid {}, setuid {}, apply {} rlimit(s), then wait at the "
               "start barrier and exec {}",
               req.id, rootfs, proc.cwd, fmt::join(proc.user.additional_gids, ","),
               proc.user.gid, proc.user.uid, proc.rlimits.size(), proc.args.front());
    pid_t pid = ::fork();
    if (pid < 0)
        return fail(sys_error("fork", "container " + req.id));
    if (pid == 0)
        run_child(plan);
    ChildGuard child(pid);
    report_write.reset();

    ChildReport report{};
    ssize_t n;
    do
        n = ::read(report_read.get(), &report, sizeof report);
    while (n < 0 && errno == EINTR);
    if (n != static_cast<ssize_t>(sizeof report)) {
        int status = child.reap();
        std::string how = WIFSIGNALED(status)
                              ? fmt::format("killed by signal {}", WTERMSIG(status))
                              : fmt::format("exited with status {}", WEXITSTATUS(status));
        return fail(make_error(BERTH_E_FAILED,
                               "the container's process " + how + " during setup",
                               "container " + req.id));
    }
    if (report.step != Step::ready) {
        child.reap();
        return fail(describe_failure(report, req).in("set up the container's process"));
    }

    auto st = read_proc_stat(pid);
    if (!st)
        return fail(make_error(BERTH_E_FAILED, "the container's process vanished after setup",
                               "pid " + std::to_string(pid)));
    host.debug("container {}: record pid {} in {}", req.id, pid, req.state_dir.string());
    if (auto r = write_record(req.state_dir, ContainerRecord{pid, st->start_time}); !r)
        return fail(std::move(r.error()));

    remove_barrier.cancel();
    return child.release();
}

} // namespace berth::chroot
