// The host's side of detached containers (berth run -d): where berth-monitor lives, the files
// it shares with berth under the container's directory, and waiting for it.
//
//     <root>/<id>/monitor/container.log  the container's stdout and stderr
//     <root>/<id>/monitor/init.pid       the init's pid, for the monitor to know which child
//                                        to wait for
//     <root>/<id>/monitor/monitor.pid    "PID START_TIME" of the monitor
//     <root>/<id>/monitor/exit           the init's exit status, written once by the monitor
#pragma once

#include <berth/common/error.hpp>

#include <chrono>
#include <filesystem>
#include <optional>

namespace berth::host {

// A process as berth records it: a pid whose start time differs is another process.
struct ProcessId {
    int pid = 0;
    unsigned long long start_time = 0;
};

struct MonitorFiles {
    std::filesystem::path dir; // <container dir>/monitor

    explicit MonitorFiles(const std::filesystem::path &container_dir)
        : dir(container_dir / "monitor") {}
    std::filesystem::path log() const { return dir / "container.log"; }
    std::filesystem::path init_pid() const { return dir / "init.pid"; }
    std::filesystem::path monitor_pid() const { return dir / "monitor.pid"; }
    std::filesystem::path exit() const { return dir / "exit"; }

    // Whether the container was started under a monitor at all.
    bool present() const;
    // The recorded exit status, once the monitor has written it.
    std::optional<int> exit_status() const;
    // The monitor as recorded, whether or not it still runs.
    std::optional<ProcessId> monitor() const;
    // Whether the recorded monitor still runs.
    bool monitor_running() const;
    // Records the calling process's parent as the monitor.
    Result<> record_monitor(int pid) const;
};

// The berth-monitor program: <dir of berth>/../libexec/berth, the install directory, then
// beside berth itself (the build tree).
Result<std::filesystem::path> find_monitor_binary();

// Waits until the process `pid` (started at `start_time`) has exited or `timeout` passed;
// true when it is gone. Works for processes that are not berth's children.
bool wait_for_process_exit(int pid, unsigned long long start_time,
                           std::chrono::milliseconds timeout);

// Waits for the monitor of `files` to exit, up to `timeout`; true when it is gone (or was
// never there).
bool wait_for_monitor(const MonitorFiles &files, std::chrono::milliseconds timeout);

} // namespace berth::host
