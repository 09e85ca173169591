// What only cgroup v1 needs: cpuset inheritance, the freezer controller's states and the
// memory controller's OOM counter.
#pragma once

#include <berth/common/error.hpp>

#include <chrono>
#include <cstdint>
#include <string>

namespace berth::native {

using Deadline = std::chrono::steady_clock::time_point;

// A new v1 cpuset cgroup starts with empty cpuset.cpus and cpuset.mems, and the kernel refuses
// to move a process into it (ENOSPC) until both are set. Copies them from the parent into each
// level of `path` under `mount` that has them empty, top-down.
Result<> inherit_cpuset_v1(const std::string &mount, const std::string &path);

// Writes FROZEN or THAWED to freezer.state and waits until the state is reached.
Result<> set_frozen_v1(const std::string &freezer_dir, bool frozen, Deadline deadline);
Result<bool> frozen_v1(const std::string &freezer_dir);

// The "oom_kill" count of memory.oom_control.
Result<uint64_t> oom_kills_v1(const std::string &memory_dir);

} // namespace berth::native
