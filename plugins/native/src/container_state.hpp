// What the native driver keeps about one container in its private state_dir, so that later
// berth invocations (start, kill, exec, delete) find the process, its cgroup and namespaces:
//
//   state.json  the record below, replaced atomically (write, then rename)
//   exec.fifo   the start barrier: the init holds it open for reading and blocks until start
//               writes a byte; it exists from create until start
//   oom.reported  marks that an OOM kill was already reported, so it is warned about once
#pragma once

#include <berth/common/error.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace berth::native {

struct ContainerState {
    int pid = 0;             // init, host pid namespace; 0 while creating
    uint64_t start_time = 0; // /proc/PID/stat starttime, to tell a reused pid from ours
    std::string cgroup;      // relative cgroup path (Cgroup::open)
    int namespaces = 0;      // CLONE_NEW* the container has, new or joined (exec joins them)
    nlohmann::json linux_config = nlohmann::json::object(); // the spec's linux (seccomp for exec)
};

std::filesystem::path state_file(const std::filesystem::path &state_dir);
std::filesystem::path fifo_path(const std::filesystem::path &state_dir);
std::filesystem::path oom_marker(const std::filesystem::path &state_dir);

Result<> save_state(const std::filesystem::path &state_dir, const ContainerState &st);

// BERTH_E_NOT_FOUND when create never got as far as writing it.
Result<ContainerState> load_state(const std::filesystem::path &state_dir);

// Removes every file the driver made in state_dir (the host removes the directory).
Result<> remove_state_files(const std::filesystem::path &state_dir);

// The state letter and starttime of /proc/PID/stat, or nullopt when no such process exists.
struct ProcStat {
    char state = '?';
    uint64_t start_time = 0;
};
std::optional<ProcStat> read_proc_stat(int pid);

// True while `pid` is the process recorded in `st` and has not exited (a zombie has).
bool process_alive(const ContainerState &st);

} // namespace berth::native
