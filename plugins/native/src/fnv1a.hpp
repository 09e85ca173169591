// FNV-1a, the short stable hash the driver names things with: veth names, nftables tags and
// seccomp cache entries. Not for anything an attacker chooses to collide: each use checks
// what it found or bounds what a collision can do.
#pragma once

#include <cstdint>
#include <string_view>

namespace berth::native {

inline uint64_t fnv1a64(std::string_view s) {
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : s) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return h;
}

inline uint32_t fnv1a32(std::string_view s) {
    uint32_t h = 2166136261u;
    for (unsigned char c : s) {
        h ^= c;
        h *= 16777619u;
    }
    return h;
}

} // namespace berth::native
