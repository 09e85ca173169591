// Device access rules of a container: the OCI linux.resources.devices list, written to the v1
// devices controller or compiled into an eBPF program of type BPF_PROG_TYPE_CGROUP_DEVICE for
// cgroup v2, which has no devices controller.
#pragma once

#include <berth/common/error.hpp>

#include <nlohmann/json.hpp>

#include <linux/bpf.h>

#include <cstdint>
#include <string>
#include <vector>

namespace berth::native {

struct DeviceRule {
    bool allow = false;
    char type = 'a';          // 'a' (all), 'b' or 'c'
    int64_t major = -1;       // -1: any
    int64_t minor = -1;       // -1: any
    std::string access = "rwm";

    bool operator==(const DeviceRule &) const = default;
};

// Parses linux.resources.devices (`devices` may be null). Errors name the entry's index.
Result<std::vector<DeviceRule>> parse_device_rules(const nlohmann::json &devices);

// The rules a container gets: deny everything, then the spec's rules in order, then the device
// nodes every container's /dev holds (null, zero, full, random, urandom, tty, console, ptmx,
// pts) and mknod of any node. The standard nodes come last, as with other OCI runtimes, so a
// spec cannot take /dev/null away from a container whose /dev has it.
std::vector<DeviceRule> container_device_rules(const std::vector<DeviceRule> &spec_rules);

// One v1 write: to devices.allow or devices.deny.
struct DeviceWrite {
    std::string file;  // "devices.allow" or "devices.deny"
    std::string value; // "c 1:3 rwm", "a"
};

// The v1 writes that leave a fresh cgroup with `rules` (applied in order, last match wins).
std::vector<DeviceWrite> device_writes_v1(const std::vector<DeviceRule> &rules);

// The eBPF program that answers like `rules` (last match wins, default deny).
std::vector<bpf_insn> device_program(const std::vector<DeviceRule> &rules);

// Loads device_program(rules) and attaches it to the cgroup2 directory `dir` with
// BPF_F_ALLOW_MULTI. The attachment keeps the program alive until the cgroup is removed.
Result<> attach_device_program(const std::string &dir, const std::vector<DeviceRule> &rules);

} // namespace berth::native
