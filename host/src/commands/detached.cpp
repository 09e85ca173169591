// Detached containers for people: `run -d` starts a container under berth-monitor, which keeps
// its output in a log and its exit status on disk; `logs`, `wait`, `stop` and `rm` work with
// them.
//
// How the processes hang together. berth forks a child that calls setsid and forks again
// (the classic double fork: the monitor is no session leader and no child of the user's
// shell). That grandchild marks itself a child subreaper, forks the creator and execs
// berth-monitor. The creator is this same berth program: it creates and starts the container,
// so the container's init is the creator's child; when the creator exits, the kernel hands
// the init to the nearest subreaper, the monitor, which alone can then collect its exit
// status. The creator reports success, or its error, back to the berth the user ran, which
// renders it.
#include "commands/commands.hpp"
#include "commands/container_session.hpp"
#include "monitor.hpp"
#include "state_store.hpp"

#include <berth/common/scope_guard.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

namespace berth::host {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// What crosses the report pipe: one line each, "M <pid>" from the forking child naming the
// monitor, then "O" from the creator on success or "E <code> <message>" on failure. A pipe
// write of at most PIPE_BUF bytes arrives whole.
constexpr size_t max_report = 4000;

void write_report(int fd, const std::string &line) {
    std::string s = line.substr(0, max_report) + "\n";
    (void)!::write(fd, s.data(), s.size());
}

// The creator's whole job; runs in the forked berth process.
Result<> create_and_start(Context &ctx, const CommandOptions &o, const fs::path &container_dir) {
    // The log must exist before the container does (it is the container's stdout), but the
    // container's directory is made by create; the log starts beside it and moves in.
    fs::path tmp_log = ctx.store().root() /
                       fmt::format(".{}.{}.log", container_dir.filename().string(), ::getpid());
    std::error_code ec;
    fs::create_directories(ctx.store().root(), ec);
    UniqueFd log(::open(tmp_log.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600));
    if (!log)
        return fail(sys_error("create log file", tmp_log.string()));
    ScopeGuard drop_log([&] { ::unlink(tmp_log.c_str()); });

    auto s = create_container(ctx, o, BERTH_CREATE_DETACHED, {-1, log.get(), log.get()});
    if (!s)
        return fail(std::move(s.error()));
    ScopeGuard destroy([&] {
        if (auto ok = s->driver().destroy(s->ref(), true); !ok)
            spdlog::warn("container {}: {}", o.id, ok.error().render());
        if (auto ok = s->handle().remove(); !ok)
            spdlog::warn("container {}: {}", o.id, ok.error().render());
    });

    MonitorFiles files(s->handle().dir());
    if (::mkdir(files.dir.c_str(), 0700) != 0)
        return fail(sys_error("mkdir", files.dir.string()).in("start monitor"));
    if (::rename(tmp_log.c_str(), files.log().c_str()) != 0)
        return fail(sys_error("rename", tmp_log.string()).in("start monitor"));
    drop_log.cancel();
    if (auto ok = write_pid_file(files.init_pid(), s->record().pid); !ok)
        return fail(std::move(ok.error()).in("start monitor"));
    if (auto ok = files.record_monitor(::getppid()); !ok)
        return fail(std::move(ok.error()).in("start monitor"));

    if (auto ok = s->driver().start(s->ref()); !ok)
        return fail(std::move(ok.error()).in("start container " + o.id));
    s->record().status = "running";
    if (auto ok = s->handle().save(); !ok)
        return fail(std::move(ok.error()));
    destroy.cancel();
    spdlog::debug("container {} started under monitor {}", o.id, ::getppid());
    return {};
}

[[noreturn]] void creator_main(Context &ctx, const CommandOptions &o, const fs::path &container_dir,
                               int report_fd) {
    int code = 0;
    {
        auto ok = create_and_start(ctx, o, container_dir);
        if (ok) {
            write_report(report_fd, "O");
        } else {
            write_report(report_fd, fmt::format("E {} {}", static_cast<int>(ok.error().code),
                                                ok.error().render()));
            code = 1;
        }
    }
    spdlog::default_logger()->flush();
    std::fflush(nullptr);
    ::_exit(code);
}

// The forked child: new session, then the monitor with the creator as its child.
[[noreturn]] void detach_main(Context &ctx, const CommandOptions &o, const fs::path &monitor,
                              const fs::path &container_dir, int report_fd) {
    if (::setsid() < 0)
        ::_exit(1);
    pid_t m = ::fork();
    if (m < 0)
        ::_exit(1);
    if (m > 0)
        ::_exit(0); // the monitor is reparented away from the user's berth
    // Must hold before the creator can exit, or its children would go to pid 1.
    if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
        ::_exit(1);
    write_report(report_fd, fmt::format("M {}", ::getpid()));
    pid_t creator = ::fork();
    if (creator < 0)
        ::_exit(1);
    if (creator == 0)
        creator_main(ctx, o, container_dir, report_fd);
    std::string dir = container_dir.string(), child = std::to_string(creator);
    ::execl(monitor.c_str(), "berth-monitor", dir.c_str(), child.c_str(), nullptr);
    // Without its monitor the creator must not leave a container nobody supervises.
    ::kill(creator, SIGKILL);
    ::_exit(127);
}

// Reads the reports until the creator's verdict, or until the monitor is gone without one.
Result<> await_creator(int report_fd) {
    std::string buf;
    int monitor = 0;
    UniqueFd monitor_fd;
    for (;;) {
        pollfd p{report_fd, POLLIN, 0};
        int n = ::poll(&p, 1, 500);
        if (n < 0 && errno != EINTR)
            return fail(sys_error("poll", "report pipe of the container's creator"));
        if (n > 0) {
            char chunk[4096];
            ssize_t r = ::read(report_fd, chunk, sizeof chunk);
            if (r > 0)
                buf.append(chunk, static_cast<size_t>(r));
            else if (r == 0 && buf.find("\nO") == std::string::npos &&
                     buf.find("\nE") == std::string::npos && buf.rfind("O", 0) != 0)
                return fail(make_error(BERTH_E_FAILED,
                                       "the process creating the container exited without "
                                       "saying whether it succeeded")
                                .with_hint("see berth list; remove leftovers with berth "
                                           "delete --force"));
        }
        size_t pos = 0;
        for (size_t nl; (nl = buf.find('\n', pos)) != std::string::npos; pos = nl + 1) {
            std::string line = buf.substr(pos, nl - pos);
            if (line.rfind("M ", 0) == 0) {
                monitor = std::atoi(line.c_str() + 2);
                monitor_fd.reset(static_cast<int>(::syscall(SYS_pidfd_open, monitor, 0)));
            } else if (line == "O") {
                return {};
            } else if (line.rfind("E ", 0) == 0) {
                char *rest = nullptr;
                long code = std::strtol(line.c_str() + 2, &rest, 10);
                std::string msg = rest != nullptr && *rest == ' ' ? rest + 1 : "";
                return fail(make_error(static_cast<berth_status>(code), msg));
            }
        }
        buf.erase(0, pos);
        if (n == 0 && monitor > 0) {
            pollfd m{monitor_fd.get(), POLLIN, 0};
            if (!monitor_fd || ::poll(&m, 1, 0) > 0) {
                // One last look: the verdict may have landed just before the monitor went.
                pollfd last{report_fd, POLLIN, 0};
                if (::poll(&last, 1, 0) > 0)
                    continue;
                return fail(make_error(BERTH_E_FAILED,
                                       "the container's monitor exited before the container "
                                       "started")
                                .with_hint("see berth list; remove leftovers with berth "
                                           "delete --force"));
            }
        }
    }
}

Result<MonitorFiles> monitored(Context &ctx, const std::string &id) {
    auto handle = ctx.store().open(id);
    if (!handle)
        return fail(std::move(handle.error()));
    MonitorFiles files(handle->dir());
    if (!files.present())
        return fail(make_error(BERTH_E_STATE,
                               fmt::format("container {} was not started with berth run -d, so "
                                           "berth keeps no log or exit status for it",
                                           id)));
    return files;
}

void copy_out(int fd, off_t &offset) {
    char buf[65536];
    for (;;) {
        ssize_t n = ::pread(fd, buf, sizeof buf, offset);
        if (n <= 0)
            return;
        offset += n;
        std::fwrite(buf, 1, static_cast<size_t>(n), stdout);
    }
}

} // namespace

Result<int> cmd_run_detached(Context &ctx, const CommandOptions &o) {
    auto monitor = find_monitor_binary();
    if (!monitor)
        return fail(std::move(monitor.error()));
    fs::path container_dir = ctx.store().root() / container_dir_name(o.id);
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0)
        return fail(sys_error("pipe2", "report pipe"));
    UniqueFd report_r(p[0]), report_w(p[1]);

    spdlog::default_logger()->flush();
    std::fflush(nullptr);
    pid_t child = ::fork();
    if (child < 0)
        return fail(sys_error("fork", "container monitor"));
    if (child == 0) {
        report_r.reset();
        detach_main(ctx, o, *monitor, container_dir, report_w.get());
    }
    report_w.reset();
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    if (auto ok = await_creator(report_r.get()); !ok)
        return fail(std::move(ok.error()));
    return 0;
}

Result<int> cmd_logs(Context &ctx, const CommandOptions &o) {
    auto files = monitored(ctx, o.id);
    if (!files)
        return fail(std::move(files.error()));
    UniqueFd fd(::open(files->log().c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd)
        return fail(sys_error("open", files->log().string()));
    off_t offset = 0;
    copy_out(fd.get(), offset);
    while (o.follow && files->monitor_running()) {
        std::fflush(stdout);
        std::this_thread::sleep_for(100ms);
        copy_out(fd.get(), offset);
    }
    copy_out(fd.get(), offset);
    return 0;
}

Result<int> cmd_wait(Context &ctx, const CommandOptions &o) {
    auto files = monitored(ctx, o.id);
    if (!files)
        return fail(std::move(files.error()));
    // Without the container's lock: the monitor takes it to record the status.
    while (!wait_for_monitor(*files, 1h)) {
    }
    auto code = files->exit_status();
    if (!code)
        return fail(make_error(BERTH_E_FAILED,
                               fmt::format("the monitor of container {} exited without recording "
                                           "an exit status",
                                           o.id),
                               files->dir.string()));
    std::printf("%d\n", *code);
    return 0;
}

Result<int> cmd_stop(Context &ctx, const CommandOptions &o) {
    int pid = 0;
    unsigned long long start = 0;
    {
        auto s = open_container(ctx, o.id);
        if (!s)
            return fail(std::move(s.error()));
        auto st = s->driver().state(s->ref());
        if (!st)
            return fail(std::move(st.error()).in("stop container " + o.id));
        if (st->status == BERTH_STATUS_STOPPED || st->status == BERTH_STATUS_CREATING)
            return 0;
        pid = s->record().pid;
        start = s->record().pid_start_time;
        spdlog::debug("stopping container {}: SIGTERM, SIGKILL after {}s", o.id, o.timeout);
        if (auto ok = s->driver().kill(s->ref(), SIGTERM, false); !ok)
            return fail(std::move(ok.error()).in("stop container " + o.id));
        // A frozen process keeps the signal pending; it has to run to act on it.
        if (st->status == BERTH_STATUS_PAUSED)
            if (auto ok = s->driver().resume(s->ref()); !ok)
                return fail(std::move(ok.error()).in("stop container " + o.id));
    }
    if (!wait_for_process_exit(pid, start, std::chrono::seconds(o.timeout))) {
        auto s = open_container(ctx, o.id);
        if (!s)
            return fail(std::move(s.error()));
        spdlog::debug("container {} ignored SIGTERM for {}s; sending SIGKILL", o.id, o.timeout);
        if (auto ok = s->driver().kill(s->ref(), SIGKILL, true); !ok)
            return fail(std::move(ok.error()).in("stop container " + o.id));
    }
    if (!wait_for_process_exit(pid, start, 30s))
        return fail(make_error(BERTH_E_FAILED,
                               fmt::format("container {} did not exit after SIGKILL", o.id),
                               fmt::format("pid {}", pid))
                        .with_hint("it may be stuck in the kernel (state D); check "
                                   "/proc/PID/stack"));
    // Once stop returns, wait and logs see the final state. The lock stays free meanwhile:
    // the monitor takes it to record the exit status.
    wait_for_monitor(MonitorFiles(ctx.store().root() / container_dir_name(o.id)), 10s);
    return 0;
}

Result<int> cmd_rm(Context &ctx, const CommandOptions &o) {
    MonitorFiles files(ctx.store().root() / container_dir_name(o.id));
    // Read before the directory goes.
    auto monitor = files.monitor();
    auto r = cmd_delete(ctx, o);
    if (!r)
        return r;
    // The monitor, left without a container, finds its directory gone and exits.
    if (monitor && !wait_for_process_exit(monitor->pid, monitor->start_time, 10s))
        spdlog::warn("the monitor of container {} is still running after the container was "
                     "removed",
                     o.id);
    return r;
}

} // namespace berth::host
