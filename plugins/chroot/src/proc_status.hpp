// What /proc says about a process: whether it still exists, is the process we started (its
// start time), has ended (zombie), and which session it belongs to.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace berth::chroot {

struct ProcStat {
    char state = '?';                  // R, S, D, Z, X, ...
    int session = 0;
    unsigned long long start_time = 0; // clock ticks after boot (field 22)

    // A zombie or dead process has ended: only its exit status is left for its parent.
    bool ended() const { return state == 'Z' || state == 'X'; }
};

// Parses /proc/PID/stat; nullopt when the process does not exist.
std::optional<ProcStat> read_proc_stat(int pid);

// Parses the text of a stat file. Exposed for tests: the command name may hold spaces and
// parentheses, so fields are counted from the last ')'.
std::optional<ProcStat> parse_proc_stat(const std::string &text);

// Pids of every process in `session`, in ascending order.
std::vector<int> session_members(int session);

// Whether `pid` is still the process that started at `start_time` and has not ended.
bool process_alive(int pid, unsigned long long start_time);

// Whether this process has capability `cap` (CAP_*) in its effective set.
bool has_effective_capability(int cap);

} // namespace berth::chroot
