// Resource usage of one cgroup, shaped like the "data" object of `runc events --stats`, so
// tools that read runc's statistics read berth's.
#pragma once

#include <berth/common/error.hpp>

#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace berth::native {

struct ControllerDir {
    std::string dir;
    int version = 0;
};

// The directory and version serving a controller in this cgroup, or nullopt.
using ControllerLookup = std::function<std::optional<ControllerDir>(std::string_view)>;

// {"cpu": {...}, "memory": {...}, "pids": {...}, "hugetlb": {...}}; a section is left out when
// the host has no controller for it. `unified_dir` is the cgroup's v2 directory (empty when
// none): its core cpu.stat counts CPU time even without the cpu controller.
Result<nlohmann::json> collect_stats(const ControllerLookup &lookup,
                                     const std::string &unified_dir);

// The "cpu" section from v2's cpu.stat text.
nlohmann::json cpu_stats_v2(std::string_view cpu_stat);

// The "cpu" section from v1's cpuacct.usage, cpuacct.usage_percpu and cpuacct.stat (in
// USER_HZ ticks, `ticks_per_second` of them) and cpu.stat (empty when the cpu controller is
// missing).
nlohmann::json cpu_stats_v1(std::string_view usage, std::string_view usage_percpu,
                            std::string_view cpuacct_stat, std::string_view cpu_stat,
                            long ticks_per_second);

} // namespace berth::native
