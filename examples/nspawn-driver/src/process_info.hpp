// What the driver reads about processes from /proc, and where it finds systemd-nspawn.
#pragma once

#include <optional>
#include <string>

namespace nspawn_driver {

struct ProcStat {
    char state = '?';                // R, S, D, Z, ... (proc(5), field 3)
    unsigned long long start_time{}; // clock ticks after boot (field 22): tells pid reuse apart
    bool ended() const { return state == 'Z' || state == 'X'; }
};

// The status of `pid`, or nothing when no such process exists.
std::optional<ProcStat> read_proc_stat(int pid);

// Whether `pid` is the process that started at `start_time` and has not ended.
bool alive(int pid, unsigned long long start_time);

// The pid `pid` has in the innermost pid namespace it belongs to (the last NSpid entry of
// /proc/PID/status), and how many namespaces deep that is; {0, 0} when it cannot be read.
struct InnerPid {
    int pid = 0;
    int depth = 0;
};
InnerPid innermost_pid(int pid);

// The absolute path of the executable `name` in $PATH (or the usual system directories when
// PATH is unset), or an empty string when there is none.
std::string find_executable(const std::string &name);

} // namespace nspawn_driver
