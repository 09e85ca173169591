// The capability set a container gets when `berth spec` writes its config.json: the same
// fourteen capabilities Docker grants by default, enough for ordinary services (changing
// owners and ids, binding low ports, raw sockets for ping) and nothing that administers the
// host.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace berth {

inline constexpr std::array<std::string_view, 14> default_capabilities = {
    "CAP_CHOWN",       "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
    "CAP_MKNOD",       "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
    "CAP_SETFCAP",     "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
    "CAP_KILL",        "CAP_AUDIT_WRITE",
};

// The same names as strings, ready to go into a JSON array.
inline std::vector<std::string> default_capability_names() {
    return {default_capabilities.begin(), default_capabilities.end()};
}

} // namespace berth
