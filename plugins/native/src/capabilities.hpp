// Linux capabilities by their spec names ("CAP_NET_ADMIN") and the five sets of a process.
#pragma once

#include <berth/common/error.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace berth::native {

// The five capability sets of process.capabilities as bit masks (bit n = capability n).
struct CapabilitySets {
    uint64_t bounding = 0;
    uint64_t effective = 0;
    uint64_t permitted = 0;
    uint64_t inheritable = 0;
    uint64_t ambient = 0;
};

// The capability number for a spec name; an unknown name is an error naming it.
Result<int> capability_from_name(const std::string &name);

// Parses process.capabilities. A set the object leaves out is empty, as the spec says.
Result<CapabilitySets> parse_capabilities(const nlohmann::json &caps);

// Drops every capability outside `sets.bounding` from the bounding set. Needs CAP_SETPCAP, so
// it runs before the process switches to the container's user.
Result<> drop_bounding_set(const CapabilitySets &sets);

// Sets effective, permitted and inheritable with capset(2), then the ambient set (which the
// kernel only accepts for capabilities already permitted and inheritable).
Result<> set_capabilities(const CapabilitySets &sets);

} // namespace berth::native
