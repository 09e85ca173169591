// What only cgroup v2 needs: enabling controllers down the tree, the core freeze and kill
// files, and the memory controller's event counters.
#pragma once

#include "cgroup_v1.hpp" // Deadline

#include <berth/common/error.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace berth::native {

// A v2 controller is usable in a cgroup only when every ancestor lists it in
// cgroup.subtree_control. Enables `controllers` in the root `mount` and every level of `path`
// above the leaf, skipping those already enabled.
Result<> enable_controllers_v2(const std::string &mount, const std::string &path,
                               const std::vector<std::string> &controllers);

// Writes cgroup.freeze and waits until cgroup.events reports the state.
Result<> set_frozen_v2(const std::string &dir, bool frozen, Deadline deadline);
Result<bool> frozen_v2(const std::string &dir);

// "populated" of cgroup.events: a process lives in the cgroup or below.
Result<bool> populated_v2(const std::string &dir);

// SIGKILLs everything in the cgroup through cgroup.kill (Linux 5.14). BERTH_E_NOT_SUPPORTED
// when the kernel has no cgroup.kill.
Result<> kill_v2(const std::string &dir);

// The "oom_kill" count of memory.events.
Result<uint64_t> oom_kills_v2(const std::string &dir);

} // namespace berth::native
