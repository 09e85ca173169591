// IPv4 addresses and prefixes as the network code handles them: host byte order inside,
// dotted quads in configuration, leases and messages.
#pragma once

#include <berth/common/error.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace berth::native {

struct Ipv4 {
    uint32_t value = 0; // host byte order
    auto operator<=>(const Ipv4 &) const = default;
    std::string str() const;
    uint32_t network_order() const;
};

struct Ipv4Prefix {
    Ipv4 address;
    int length = 32;
    auto operator<=>(const Ipv4Prefix &) const = default;
    uint32_t mask() const { return length == 0 ? 0 : ~uint32_t{0} << (32 - length); }
    Ipv4 network() const { return Ipv4{address.value & mask()}; }
    Ipv4 broadcast() const { return Ipv4{network().value | ~mask()}; }
    bool contains(Ipv4 a) const { return (a.value & mask()) == network().value; }
    std::string str() const; // "10.88.0.0/16"
};

std::optional<Ipv4> parse_ipv4(std::string_view text);

// "A.B.C.D/N"; `what` names the setting in the error ("network web: subnet").
Result<Ipv4Prefix> parse_ipv4_prefix(std::string_view text, const std::string &what);

} // namespace berth::native
