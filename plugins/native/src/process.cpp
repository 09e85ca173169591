#include "process.hpp"

#include "console.hpp"
#include "rootfs.hpp"
#include "security.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <thread>
#include <utility>

namespace berth::native {
namespace {

// The first version of struct clone_args (CLONE_ARGS_SIZE_VER0); defined here because
// <linux/sched.h> clashes with glibc's <sched.h>.
struct CloneArgs {
    uint64_t flags;
    uint64_t pidfd;
    uint64_t child_tid;
    uint64_t parent_tid;
    uint64_t exit_signal;
    uint64_t stack;
    uint64_t stack_size;
    uint64_t tls;
};

constexpr unsigned keyctl_join_session_keyring = 1;
constexpr unsigned close_range_cloexec = 1u << 2;

// clone3 where the kernel has it (5.3+), the classic clone otherwise. Like fork, but the
// child starts in the namespaces of `flags`. With CLONE_PARENT the exit signal is the
// caller's own, which the kernel takes over by itself.
long clone_process(uint64_t flags) {
    CloneArgs args{};
    args.flags = flags;
    args.exit_signal = (flags & CLONE_PARENT) ? 0 : SIGCHLD;
    long pid = syscall(SYS_clone3, &args, sizeof(args));
    if (pid >= 0 || errno != ENOSYS)
        return pid;
    // x86_64 argument order: flags, stack, parent_tid, child_tid, tls.
    return syscall(SYS_clone, flags | args.exit_signal, nullptr, nullptr, nullptr, nullptr);
}

// The caller's signal handlers and mask must not reach the container: ignored signals stay
// ignored across execve, and a handler of the host would run in the child before exec.
void reset_signals() {
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig)
        if (sig != SIGKILL && sig != SIGSTOP)
            sigaction(sig, &dfl, nullptr);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
}

Deadline child_deadline() {
    return Clock::now() + setup_timeout;
}

[[noreturn]] void child_fail(int fd, Error e) {
    report_and_exit(fd, e);
}

// `step` names the step in the error, unless the callee already does (nullptr).
template <class T> T child_check(int fd, Result<T> r, const char *step) {
    if (!r)
        child_fail(fd, step ? std::move(r.error()).in(step) : std::move(r.error()));
    if constexpr (!std::is_void_v<T>)
        return std::move(*r);
}

void child_check(int fd, Result<> r, const char *step) {
    if (!r)
        child_fail(fd, step ? std::move(r.error()).in(step) : std::move(r.error()));
}

// PATH lookup as execvp would do it, but with the container's PATH, in its root.
Result<std::string> resolve_executable(const oci::Process &p) {
    const std::string &arg0 = p.args.front();
    auto usable = [](const std::string &path) {
        struct stat st {};
        return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
               access(path.c_str(), X_OK) == 0;
    };
    if (arg0.find('/') != std::string::npos) {
        if (usable(arg0))
            return arg0;
        return fail(sys_error("execute", arg0).with_code(BERTH_E_INVALID_SPEC));
    }
    std::string path =
        p.getenv("PATH").value_or("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    size_t pos = 0;
    while (pos <= path.size()) {
        size_t end = path.find(':', pos);
        if (end == std::string::npos)
            end = path.size();
        std::string dir = path.substr(pos, end - pos);
        std::string candidate = (dir.empty() ? "." : dir) + "/" + arg0;
        if (usable(candidate))
            return candidate;
        pos = end + 1;
    }
    return fail(make_error(BERTH_E_INVALID_SPEC,
                           fmt::format("executable file not found in PATH {}:", path), arg0)
                    .with_hint("check process.args[0] and process.env PATH against the rootfs"));
}

// Puts the three stdio fds on 0, 1, 2. They are first copied above every fd the process
// keeps, so that one target never overwrites another source.
Result<> install_stdio(const Launch &l) {
    int high[3];
    for (int i = 0; i < 3; ++i) {
        high[i] = fcntl(l.stdio[i], F_DUPFD_CLOEXEC, 3 + static_cast<int>(l.preserve_fds));
        if (high[i] < 0)
            return fail(sys_error("duplicate", fmt::format("stdio fd {}", l.stdio[i])));
    }
    for (int i = 0; i < 3; ++i) {
        if (dup2(high[i], i) < 0)
            return fail(sys_error("dup2", fmt::format("fd {}", i)));
        close(high[i]);
    }
    return {};
}

// The last steps of every container process; never returns.
[[noreturn]] void launch(const Launch &l, int sync_fd) {
    if (chdir(l.process.cwd.c_str()) != 0)
        child_fail(sync_fd, sys_error("change to working directory", l.process.cwd)
                                .with_code(BERTH_E_INVALID_SPEC)
                                .in("prepare process")
                                .with_hint("process.cwd must exist in the container's root"));
    child_check(sync_fd, apply_rlimits(l.process_json), nullptr);
    child_check(sync_fd, set_oom_score_adj(l.process_json), nullptr);
    // Before the user switch: the pty is opened as root and then given to the user.
    if (l.console_fd >= 0)
        child_check(sync_fd, attach_console(l.console_fd, l.process), "set up console");
    child_check(sync_fd, apply_user_and_security(l.process_json, l.seccomp ? &*l.seccomp : nullptr),
                nullptr);
    std::string exe = child_check(sync_fd, resolve_executable(l.process), "prepare process");
    if (l.console_fd < 0)
        child_check(sync_fd, install_stdio(l), "set up stdio");

    std::vector<char *> argv, envp;
    for (const auto &a : l.process.args)
        argv.push_back(const_cast<char *>(a.c_str()));
    argv.push_back(nullptr);
    for (const auto &e : l.process.env)
        envp.push_back(const_cast<char *>(e.c_str()));
    envp.push_back(nullptr);

    // The container must outlive a caller that exits after create (berth create, then start).
    prctl(PR_SET_PDEATHSIG, 0);
    // Every fd beyond stdio and the preserved ones closes at exec; the channel and the
    // barrier are still needed until then.
    if (syscall(SYS_close_range, 3 + l.preserve_fds, ~0U, close_range_cloexec) != 0)
        child_fail(sync_fd, sys_error("close_range").in("close inherited fds"));

    if (l.barrier_fd >= 0) {
        Message ready;
        ready.kind = MsgKind::ready;
        if (!send_message(sync_fd, ready))
            _exit(1);
        close(sync_fd);
        // The start barrier: blocks until `start` writes a byte. It has no deadline by
        // design: a created container waits for start as long as the user wants.
        char byte;
        ssize_t n;
        do
            n = read(l.barrier_fd, &byte, 1);
        while (n < 0 && errno == EINTR);
        if (n != 1)
            _exit(1);
        close(l.barrier_fd);
        execve(exe.c_str(), argv.data(), envp.data());
        // Nobody waits on the channel any more: the exit status is all that is left.
        _exit(127);
    }
    execve(exe.c_str(), argv.data(), envp.data());
    child_fail(sync_fd, sys_error("execute", exe).in("start process"));
}

void await(int sync_fd, MsgKind kind) {
    auto m = receive_message(sync_fd, child_deadline(), "the driver to finish its setup");
    if (!m || m->kind != kind)
        _exit(1); // the driver is gone or gave up, and kills us anyway
}

void await_go(int sync_fd) {
    await(sync_fd, MsgKind::go);
}

[[noreturn]] void init_main(const InitRequest &req, int sync_fd) {
    const NamespacePlan &plan = *req.plan;
    await_go(sync_fd);

    if (plan.new_userns) {
        // Until now the child had overflow ids; the driver has written the maps meanwhile.
        if (setresgid(0, 0, 0) != 0 || setresuid(0, 0, 0) != 0)
            child_fail(sync_fd, sys_error("become root of", "user namespace")
                                    .in("set up user namespace")
                                    .with_hint("linux.uidMappings and gidMappings must map "
                                               "container id 0"));
        // A change of credentials clears the parent-death signal.
        prctl(PR_SET_PDEATHSIG, SIGKILL);
    }
    for (const auto &j : plan.joined)
        if (setns(j.fd.get(), j.type) != 0)
            child_fail(sync_fd, sys_error("setns", j.path).in("join " + j.name + " namespace"));
    if (plan.unshare_flags != 0 && unshare(plan.unshare_flags) != 0)
        child_fail(sync_fd, sys_error("unshare", "namespaces").in("create namespaces"));
    // The driver moves us into the container's cgroup and sets up the network while the rootfs
    // is made here; a cgroup namespace is rooted where we are when it is made, so it waits.
    bool released = false;
    if (plan.new_cgroupns) {
        await(sync_fd, MsgKind::released);
        released = true;
        if (unshare(CLONE_NEWCGROUP) != 0)
            child_fail(sync_fd, sys_error("unshare", "cgroup namespace").in("create namespaces"));
    }
    if (plan.new_netns)
        child_check(sync_fd, bring_loopback_up(), "set up network namespace");
    if (plan.new_utsns)
        child_check(sync_fd, set_hostname(req.spec), "set hostname");
    if (req.new_keyring && syscall(SYS_keyctl, keyctl_join_session_keyring, nullptr) < 0 &&
        errno != ENOSYS)
        child_fail(sync_fd, sys_error("join new session keyring").in("set up keyring"));
    if (plan.new_mountns)
        child_check(sync_fd, setup_rootfs(req.spec, req.bundle, req.no_pivot), nullptr);
    if (!released)
        await(sync_fd, MsgKind::released);
    launch(req.launch, sync_fd);
}

} // namespace

ChildProcess::ChildProcess(int pid) : pid_(pid) {
    pidfd_.reset(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
}

ChildProcess::ChildProcess(ChildProcess &&o) noexcept
    : pid_(std::exchange(o.pid_, 0)), pidfd_(std::move(o.pidfd_)) {}

ChildProcess &ChildProcess::operator=(ChildProcess &&o) noexcept {
    if (this != &o) {
        if (pid_ > 0)
            (void)kill_and_reap(Clock::now() + setup_timeout);
        pid_ = std::exchange(o.pid_, 0);
        pidfd_ = std::move(o.pidfd_);
    }
    return *this;
}

ChildProcess::~ChildProcess() {
    if (pid_ > 0)
        (void)kill_and_reap(Clock::now() + setup_timeout);
}

int ChildProcess::release() {
    pidfd_.reset();
    return std::exchange(pid_, 0);
}

Result<int> ChildProcess::wait(Deadline deadline) {
    for (;;) {
        int status = 0;
        pid_t r = waitpid(pid_, &status, WNOHANG | __WALL);
        if (r == pid_) {
            pid_ = 0;
            pidfd_.reset();
            return status;
        }
        if (r < 0 && errno != EINTR)
            return fail(sys_error("waitpid", fmt::format("pid {}", pid_)));
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0)
            return fail(make_error(BERTH_E_FAILED, "timed out waiting for process to exit",
                                   fmt::format("pid {}", pid_)));
        if (pidfd_) {
            // The pidfd becomes readable when the process exits.
            pollfd p{pidfd_.get(), POLLIN, 0};
            poll(&p, 1, static_cast<int>(std::min<long>(left.count(), 1000)));
        } else {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    }
}

Result<> ChildProcess::kill_and_reap(Deadline deadline) {
    if (pid_ <= 0)
        return {};
    if (pidfd_)
        syscall(SYS_pidfd_send_signal, pidfd_.get(), SIGKILL, nullptr, 0);
    else
        ::kill(pid_, SIGKILL);
    auto r = wait(deadline);
    if (!r)
        return fail(std::move(r.error()).in("kill container process"));
    return {};
}

Result<ChildProcess> spawn_init(const InitRequest &req, SyncPair &sync) {
    long pid = clone_process(static_cast<uint64_t>(req.plan->clone_flags));
    if (pid < 0)
        return fail(sys_error("clone3", fmt::format("namespaces {:#x}", req.plan->clone_flags))
                        .in("create container process"));
    if (pid == 0) {
        reset_signals();
        // If the driver dies during setup, so does the half-made container.
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        sync.parent.reset();
        init_main(req, sync.child.get());
    }
    sync.child.reset();
    return ChildProcess(static_cast<int>(pid));
}

Result<ChildProcess> spawn_exec_helper(const Launch &launch_req, int pidfd, int ns_types,
                                       int root_fd, SyncPair &sync) {
    pid_t helper = fork();
    if (helper < 0)
        return fail(sys_error("fork").in("start exec helper"));
    if (helper == 0) {
        reset_signals();
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        sync.parent.reset();
        int fd = sync.child.get();
        // One setns with a pidfd joins all namespaces at once (Linux 5.8).
        if (ns_types != 0 && setns(pidfd, ns_types) != 0)
            child_fail(fd, sys_error("setns", "container namespaces").in("join container"));
        if (fchdir(root_fd) != 0 || chroot(".") != 0)
            child_fail(fd, sys_error("chroot", "container root").in("join container"));
        long pid = clone_process(CLONE_PARENT);
        if (pid < 0)
            child_fail(fd, sys_error("clone", "exec process").in("join container"));
        if (pid == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            await_go(fd);
            launch(launch_req, fd);
        }
        Message m;
        m.kind = MsgKind::pid;
        m.value = static_cast<int32_t>(pid);
        _exit(send_message(fd, m) ? 0 : 1);
    }
    sync.child.reset();
    return ChildProcess(helper);
}

} // namespace berth::native
