#include "monitor.hpp"

#include "state_store.hpp"

#include <berth/common/unique_fd.hpp>

#include <fmt/format.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace berth::host {

namespace fs = std::filesystem;

namespace {

std::optional<std::string> read_small(const fs::path &p) {
    std::ifstream in(p);
    if (!in)
        return std::nullopt;
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

} // namespace

bool MonitorFiles::present() const {
    std::error_code ec;
    return fs::is_directory(dir, ec);
}

std::optional<int> MonitorFiles::exit_status() const {
    auto text = read_small(exit());
    if (!text)
        return std::nullopt;
    try {
        return std::stoi(*text);
    } catch (const std::exception &) {
        return std::nullopt;
    }
}

std::optional<ProcessId> MonitorFiles::monitor() const {
    auto text = read_small(monitor_pid());
    if (!text)
        return std::nullopt;
    std::istringstream in(*text);
    ProcessId id;
    if (!(in >> id.pid >> id.start_time) || id.pid <= 0)
        return std::nullopt;
    return id;
}

bool MonitorFiles::monitor_running() const {
    auto m = monitor();
    return m && process_matches(m->pid, m->start_time);
}

Result<> MonitorFiles::record_monitor(int pid) const {
    auto start = process_start_time(pid);
    if (!start)
        return fail(make_error(BERTH_E_FAILED, "the container's monitor exited early",
                               fmt::format("pid {}", pid)));
    fs::path tmp = monitor_pid();
    tmp += ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << pid << " " << *start << "\n";
        if (!out.flush())
            return fail(sys_error("write", tmp.string()));
    }
    if (::rename(tmp.c_str(), monitor_pid().c_str()) != 0)
        return fail(sys_error("rename", tmp.string()));
    return {};
}

Result<fs::path> find_monitor_binary() {
    std::error_code ec;
    fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    std::vector<fs::path> candidates;
    if (!ec)
        candidates.push_back(
            (exe.parent_path() / ".." / "libexec" / "berth" / "berth-monitor").lexically_normal());
    candidates.push_back(fs::path(BERTH_INSTALL_LIBEXEC_DIR) / "berth-monitor");
    if (!ec)
        candidates.push_back(exe.parent_path() / "berth-monitor");
    std::vector<std::string> tried;
    for (const auto &c : candidates) {
        if (::access(c.c_str(), X_OK) == 0)
            return c;
        tried.push_back(c.string());
    }
    return fail(make_error(BERTH_E_UNAVAILABLE,
                           fmt::format("berth-monitor not found (looked for {})",
                                       fmt::join(tried, ", ")))
                    .with_hint("install berth with its monitor, or run the container in the "
                               "foreground without -d"));
}

bool wait_for_process_exit(int pid, unsigned long long start_time,
                           std::chrono::milliseconds timeout) {
    UniqueFd fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    // The pidfd pins the pid; checking the start time after opening it rules out a process
    // that reused the number.
    if (!fd || !process_matches(pid, start_time))
        return true;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0)
            return false;
        pollfd p{fd.get(), POLLIN, 0};
        int n = ::poll(&p, 1, static_cast<int>(left.count()));
        if (n > 0)
            return true;
        if (n < 0 && errno != EINTR)
            return !process_matches(pid, start_time);
    }
}

bool wait_for_monitor(const MonitorFiles &files, std::chrono::milliseconds timeout) {
    auto m = files.monitor();
    return !m || wait_for_process_exit(m->pid, m->start_time, timeout);
}

} // namespace berth::host
