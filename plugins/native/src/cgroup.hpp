// One container's cgroup, on cgroup v1, v2 or a hybrid of both. The layout is detected once
// per process from /proc/self/mountinfo; every operation below works on all three.
#pragma once

#include <berth/common/error.hpp>

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

namespace berth::native {

class Cgroup {
public:
    // Creates the cgroup `path` (relative to the hierarchy roots, e.g. "berth/c1", never
    // starting with "/") in every hierarchy the container needs, and applies the OCI
    // `linux.resources` object. A controller the resources need but the host lacks is an
    // error naming it. On failure nothing is left behind.
    // The parent directories it had to make (relative paths, e.g. "berth") are added to
    // `made_parents` when given.
    static Result<std::unique_ptr<Cgroup>> create(const std::string &path,
                                                  const nlohmann::json &resources,
                                                  std::vector<std::string> *made_parents = nullptr);

    // Removes the cgroup `path` in every hierarchy if nothing is in it: true when it is gone
    // everywhere, false when it holds processes or child cgroups (or cannot be removed).
    static bool remove_if_empty(const std::string &path);

    // Opens the cgroup of an existing container (later commands: kill, pause, delete).
    // BERTH_E_NOT_FOUND when it does not exist in any hierarchy.
    static Result<std::unique_ptr<Cgroup>> open(const std::string &path);

    virtual ~Cgroup() = default; // never removes anything: destroy() does

    // Moves `pid` into the cgroup in every hierarchy.
    virtual Result<> add_process(int pid) = 0;

    virtual Result<> freeze() = 0;
    virtual Result<> thaw() = 0;
    virtual Result<bool> frozen() = 0;

    // Pids of every process in the cgroup (host pid namespace).
    virtual Result<std::vector<int>> pids() = 0;

    // Sends `sig` to every process in the cgroup (cgroup.kill on v2 for SIGKILL).
    virtual Result<> signal_all(int sig) = 0;

    // True once the kernel OOM-killed a process of this cgroup (memory.events oom_kill on v2,
    // memory.oom_control oom_kill on v1).
    virtual Result<bool> oom_killed() = 0;

    // runc `events --stats` shaped "data" object: cpu, memory, pids (and hugetlb when present).
    virtual Result<nlohmann::json> stats() = 0;

    // Kills what is left (SIGKILL, waiting with a deadline until the cgroup is empty) and
    // removes the cgroup directory in every hierarchy.
    virtual Result<> destroy() = 0;

    // The directories this cgroup occupies, one per hierarchy (for logs and tests).
    virtual std::vector<std::string> directories() const = 0;
};

} // namespace berth::native
