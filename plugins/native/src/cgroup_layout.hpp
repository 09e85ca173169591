// Which cgroup hierarchies this host has mounted and which controllers each serves: pure v1,
// pure v2 (unified), or a hybrid of v1 controller mounts beside a cgroup2 tree.
#pragma once

#include <berth/common/error.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace berth::native {

enum class CgroupMode { none, v1, v2, hybrid };

struct CgroupHierarchy {
    std::string mountpoint;               // "/sys/fs/cgroup/cpu,cpuacct"
    std::vector<std::string> controllers; // {"cpu", "cpuacct"}; named ones as "name=systemd"

    bool has(std::string_view controller) const;
};

struct CgroupLayout {
    std::vector<CgroupHierarchy> v1;
    std::string unified;                          // cgroup2 mountpoint, empty when none
    std::vector<std::string> unified_controllers; // the root's cgroup.controllers

    CgroupMode mode() const;

    // The v1 hierarchy serving `controller`, or nullptr.
    const CgroupHierarchy *v1_hierarchy(std::string_view controller) const;

    // 1 or 2 for the version that serves `controller` here, 0 when no hierarchy does. A
    // controller bound to a v1 hierarchy is not available in the cgroup2 tree, so v1 wins.
    // "devices" and "freezer" have no v2 controller: on v2 they are the eBPF device program
    // and the core cgroup.freeze file, so any cgroup2 tree serves them.
    int version_of(std::string_view controller) const;
};

// Parses /proc/self/mountinfo text. unified_controllers stays empty: it comes from the tree.
CgroupLayout parse_cgroup_mountinfo(std::string_view mountinfo);

// The layout of this host, detected once per process from /proc/self/mountinfo and the cgroup2
// root's cgroup.controllers.
Result<const CgroupLayout *> cgroup_layout();

} // namespace berth::native
