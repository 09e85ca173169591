#include "monitor_process.hpp"

#include <berth/common/unique_fd.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <stdio_ext.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

namespace berth::lxc {

namespace {

// Moves `fd` to `target`; -1 stands for /dev/null. Sources are first lifted above 2 so that
// one assignment never clobbers another's source.
int lift(int fd) {
    if (fd < 0)
        return ::open("/dev/null", O_RDWR);
    return ::fcntl(fd, F_DUPFD, 3);
}

constexpr char kRan = 'R';
constexpr char kFailed = 'F';

// Written to a temporary name and renamed, so a reader sees no verdict or a whole one.
void write_verdict(const std::string &file, char verdict) {
    std::string tmp = file + ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return;
    bool ok = ::write(fd, &verdict, 1) == 1;
    ::close(fd);
    if (ok)
        ::rename(tmp.c_str(), file.c_str());
}

[[noreturn]] void start_failed(const MonitorLaunch &l) {
    write_verdict(l.verdict_file, kFailed);
    _exit(kMonitorStartFailed);
}

[[noreturn]] void run_monitor(const MonitorLaunch &l, int fifo_fd) {
    // The caller's unflushed stdio belongs to the caller; liblxc's children may exit()
    // and would otherwise write it into the container's stdout.
    __fpurge(stdout);
    __fpurge(stderr);
    int in = lift(l.stdin_fd), out = lift(l.stdout_fd), err = lift(l.stderr_fd);
    if (in < 0 || out < 0 || err < 0 || ::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 ||
        ::dup2(err, 2) < 0)
        start_failed(l);
    // A session of its own: terminal signals aimed at the caller's job must not reach the
    // container, and a detached container outlives the berth process that made it.
    ::setsid();
    char go = 0;
    ssize_t n;
    do
        n = ::read(fifo_fd, &go, 1);
    while (n < 0 && errno == EINTR);
    ::close(fifo_fd);
    if (n != 1)
        _exit(kMonitorNotStarted);

    // The container's environment is exactly lxc.environment (plus LXC's container=lxc);
    // nothing of the host's leaks in through the monitor.
    ::clearenv();
    lxc_container *c = new_container(*l.lib, l.name, l.lxcpath);
    if (c == nullptr)
        start_failed(l);
    // Only the monitor logs to the container's log: the saved configuration names no log
    // file, so other berth processes' queries (which fail harmlessly while the container
    // ends) never read there as errors of the start.
    if (!c->set_config_item(c, "lxc.log.file", l.log_file.c_str()) ||
        !c->set_config_item(c, "lxc.log.level", "WARN"))
        start_failed(l);
    c->want_daemonize(c, false);
    c->want_close_all_fds(c, true);
    std::vector<char *> argv;
    for (const auto &a : l.argv)
        argv.push_back(const_cast<char *>(a.c_str()));
    argv.push_back(nullptr);
    bool started = c->start(c, 1, argv.data());
    // error_num is init's wait status; a failed setup leaves it without an exit status.
    int status = c->error_num;
    l.lib->container_put(c);
    if (!started)
        start_failed(l);
    write_verdict(l.verdict_file, kRan);
    if (WIFSIGNALED(status))
        _exit(128 + WTERMSIG(status));
    _exit(WEXITSTATUS(status));
}

} // namespace

Result<int> spawn_monitor(const MonitorLaunch &l) {
    if (::mkfifo(l.start_fifo.c_str(), 0600) != 0)
        return fail(sys_error("create start FIFO", l.start_fifo));
    // Opened read-write before the fork: the monitor is a reader from the moment create
    // returns, so start never races it, and its own write end keeps read() blocking.
    UniqueFd fifo(::open(l.start_fifo.c_str(), O_RDWR | O_CLOEXEC));
    if (!fifo)
        return fail(sys_error("open start FIFO", l.start_fifo));
    pid_t pid = ::fork();
    if (pid < 0)
        return fail(sys_error("fork the lxc monitor"));
    if (pid == 0)
        run_monitor(l, fifo.release());
    return pid;
}

StartVerdict read_start_verdict(const std::string &file) {
    UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
    char verdict = 0;
    if (!fd || ::read(fd.get(), &verdict, 1) != 1)
        return StartVerdict::Pending;
    return verdict == kRan ? StartVerdict::Ran : StartVerdict::Failed;
}

Result<> release_monitor(const std::string &fifo) {
    UniqueFd fd(::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
    if (!fd)
        return fail(sys_error("open start FIFO", fifo));
    char go = 1;
    if (::write(fd.get(), &go, 1) != 1)
        return fail(sys_error("write start FIFO", fifo));
    return {};
}

unsigned long long process_start_time(int pid) {
    if (pid <= 0)
        return 0;
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat;
    if (!std::getline(in, stat))
        return 0;
    // comm may hold spaces and parentheses: the fields after it start past the last ')'.
    auto close = stat.rfind(')');
    if (close == std::string::npos)
        return 0;
    std::istringstream rest(stat.substr(close + 2));
    std::string field;
    char state = 0;
    rest >> state;
    if (state == 'Z' || state == 'X')
        return 0;
    for (int i = 4; i <= 22 && rest >> field; ++i)
        if (i == 22)
            return std::stoull(field);
    return 0;
}

bool wait_process_gone(int pid, unsigned long long start_time, int timeout_ms) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    while (std::chrono::steady_clock::now() < deadline) {
        if (process_start_time(pid) != start_time)
            return true;
        if (pidfd) {
            pollfd p{pidfd.get(), POLLIN, 0};
            ::poll(&p, 1, 50);
        } else {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }
    return process_start_time(pid) != start_time;
}

} // namespace berth::lxc
