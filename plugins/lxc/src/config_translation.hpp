// Turns an OCI runtime-spec config.json into LXC configuration items (today's key names) and
// the argv LXC's init runs. Every spec field is either expressed in LXC's terms or refused
// with its path named: nothing in the spec is ever silently left out.
#pragma once

#include "cgroup_files.hpp"

#include <berth/common/error.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

namespace berth::lxc {

struct TranslateContext {
    std::string id;
    std::string bundle;      // absolute; root.path and relative bind sources resolve here
    std::string state_dir;   // the rootfs mount point lives here
    std::string bridge;      // driver option: veth peer goes onto this bridge; empty: no veth
    const CgroupLayout *cgroups = nullptr;
};

struct LxcConfig {
    std::vector<std::pair<std::string, std::string>> items; // in the order LXC must see them
    std::vector<std::string> argv;
    std::string cgroup_path;     // the container's cgroup, relative to each hierarchy root
    std::string monitor_cgroup;  // LXC's monitor and the cgroup it leaves to on exit
    std::string pivot_cgroup;
};

// Fields the driver refuses whatever their value, as paths for the features document.
const std::vector<std::string> &unsupported_fields();

Result<LxcConfig> translate_spec(const nlohmann::json &spec, const TranslateContext &ctx);

// The error every refusal uses, so messages name the field the same way everywhere.
Error refuse_field(const std::string &field, const std::string &why);

} // namespace berth::lxc
