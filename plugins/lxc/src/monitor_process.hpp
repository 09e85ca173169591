// The process create returns. LXC's start either daemonises (the container's init then belongs
// to a double-forked monitor, never to the caller) or runs the monitor in the calling process
// until the container ends. The ABI wants a pid that is the caller's child, held until start,
// whose end is the container's end, and a host that returns from create at once. So create
// forks this process: it waits on a FIFO for start, then becomes LXC's monitor with
// daemonize=false and useinit=true (LXC's init is pid 1 in the container and reaps and
// forwards signals), and exits with the container's exit status. Its pid is what create
// returns; state reports the container's own init pid once it runs.
#pragma once

#include "liblxc.hpp"

#include <berth/common/error.hpp>

#include <string>
#include <vector>

namespace berth::lxc {

struct MonitorLaunch {
    const LibLxc *lib = nullptr;
    std::string name;
    std::string lxcpath;
    std::vector<std::string> argv;
    std::string start_fifo; // created here; start writes one byte to it
    std::string log_file;   // LXC's log of the start, read back when it fails
    std::string verdict_file; // written once LXC's start returns: see StartVerdict
    int stdin_fd = -1;      // -1: /dev/null
    int stdout_fd = -1;
    int stderr_fd = -1;
};

// Exit status of the monitor when it ends without starting the container (delete before
// start) or when LXC failed to start it; the reason is in LXC's log.
inline constexpr int kMonitorNotStarted = 125;
inline constexpr int kMonitorStartFailed = 126;

// What the monitor records once LXC's start has returned. start() asks this file rather than
// the container's command socket: a container that ends at once closes that socket while a
// query may be in flight, and the query's failure says nothing about whether it ran.
enum class StartVerdict { Pending, Ran, Failed };
StartVerdict read_start_verdict(const std::string &file);

// Forks the monitor; returns its pid.
Result<int> spawn_monitor(const MonitorLaunch &launch);

// Releases a monitor waiting on `fifo`. ENXIO-style failure when nobody waits any more.
Result<> release_monitor(const std::string &fifo);

// The start time of `pid` (field 22 of /proc/PID/stat), or 0 when there is no such live
// process: with the pid it identifies the monitor across berth invocations despite pid reuse.
unsigned long long process_start_time(int pid);

// Waits up to `timeout_ms` for process `pid` to end (it need not be our child).
bool wait_process_gone(int pid, unsigned long long start_time, int timeout_ms);

} // namespace berth::lxc
