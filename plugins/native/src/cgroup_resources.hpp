// OCI linux.resources -> the control files that carry them, for v1, v2 or a hybrid where each
// controller lives in one of the two. Pure: no file is touched here.
#pragma once

#include "cgroup_devices.hpp"

#include <berth/common/error.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace berth::native {

struct CgroupWrite {
    std::string controller; // hierarchy the file lives in: "memory", "cpu", ...
    std::string file;       // "memory.limit_in_bytes"
    std::string value;
    std::string field;      // the OCI field it comes from, under linux.resources: "memory.limit"

    bool operator==(const CgroupWrite &) const = default;
};

struct CgroupPlan {
    std::vector<CgroupWrite> writes; // in the order they must be made
    // The device rules for an eBPF program (v2); empty when the rules went into `writes` (v1)
    // or when the host has no way to restrict devices and the spec asked for none.
    std::vector<DeviceRule> device_program;
    // Controllers the resources use, each with the first field that needs it.
    std::map<std::string, std::string> controllers;
};

// Which version serves a controller: 1, 2, or 0 when none (CgroupLayout::version_of).
using ControllerVersion = std::function<int(std::string_view controller)>;

// Translates `resources` (the OCI linux.resources object; null for none). Fields the driver
// cannot honour are errors naming them, never ignored; a controller a field needs but the host
// lacks is a BERTH_E_UNAVAILABLE error naming both.
Result<CgroupPlan> plan_resources(const nlohmann::json &resources,
                                  const ControllerVersion &version_of);

// cpu.shares (v1, 2..262144) <-> cpu.weight (v2, 1..10000), the linear mapping that other OCI
// runtimes and Kubernetes use, so a spec means the same share of CPU on either version.
uint64_t cpu_shares_to_weight(uint64_t shares);
uint64_t cpu_weight_to_shares(uint64_t weight);

// memory.swap.max for OCI memory.swap (memory plus swap, the v1 meaning) and memory.limit:
// -1 for unlimited, 0 for not set, otherwise swap - limit. Errors when the pair has no v2
// meaning.
Result<int64_t> swap_max_v2(int64_t swap, int64_t limit);

} // namespace berth::native
