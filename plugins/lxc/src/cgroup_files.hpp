// The host's cgroup hierarchies as the lxc driver needs them: which version serves a controller
// (to pick lxc.cgroup.* or lxc.cgroup2.* keys), the processes of a container's cgroup, counters
// for stats, and removal of the cgroups LXC made once the container is gone.
#pragma once

#include <berth/common/error.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::lxc {

namespace fs = std::filesystem;

struct Hierarchy {
    fs::path mount;                       // e.g. /sys/fs/cgroup/memory
    bool v2 = false;
    std::vector<std::string> controllers; // v1: from the mount options; v2: cgroup.controllers
};

class CgroupLayout {
public:
    // Reads /proc/self/mountinfo and the v2 root's cgroup.controllers.
    static CgroupLayout discover();

    // 1 or 2 for the version whose hierarchy carries `controller`, 0 when none does.
    int version_of(std::string_view controller) const;

    // Reads `file` of cgroup `rel` in the hierarchy that carries `controller`.
    std::optional<std::string> read(std::string_view controller, const std::string &rel,
                                    const std::string &file) const;

    // Every pid in cgroup `rel` and below, taken from one hierarchy that holds all the
    // container's processes (pids, freezer or the v2 tree). Empty when the cgroup is gone.
    std::vector<int> pids(const std::string &rel) const;

    // Removes cgroup `rel` and the cgroups below it from every hierarchy. Missing ones are
    // fine; a cgroup that still holds processes is an error naming it.
    Result<> remove(const std::string &rel) const;

    const std::vector<Hierarchy> &hierarchies() const { return hierarchies_; }

private:
    std::vector<Hierarchy> hierarchies_;
    const Hierarchy *carrying(std::string_view controller) const;
};

} // namespace berth::lxc
