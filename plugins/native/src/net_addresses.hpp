// IPv4 addresses and routes of interfaces over rtnetlink.
#pragma once

#include "net_ipv4.hpp"
#include "net_netlink.hpp"

#include <string>
#include <vector>

namespace berth::native {

struct AddressInfo {
    int index = 0; // interface index
    Ipv4Prefix prefix;
};

Result<std::vector<AddressInfo>> list_addresses(NetlinkSocket &nl);

// Adds `prefix` to the interface `index` (named `ifname` in errors). The error of an address
// already present keeps errno EEXIST.
Result<> add_address(NetlinkSocket &nl, int index, const std::string &ifname, Ipv4Prefix prefix);

// Adds the default route via `gateway` out of the interface `index`.
Result<> add_default_route(NetlinkSocket &nl, int index, const std::string &ifname, Ipv4 gateway);

struct RouteInfo {
    Ipv4Prefix destination;
    Ipv4 gateway;
    int oif = 0;
};

// The main table's IPv4 routes.
Result<std::vector<RouteInfo>> list_routes(NetlinkSocket &nl);

} // namespace berth::native
