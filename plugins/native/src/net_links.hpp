// Network interfaces over rtnetlink: the bridge of a network, the veth pair of a container,
// and the queries the setup, its undo and the reconcile pass need.
#pragma once

#include "net_netlink.hpp"

#include <optional>
#include <string>
#include <vector>

namespace berth::native {

struct LinkInfo {
    int index = 0;
    std::string name;
    std::string kind;   // "bridge", "veth", ... ("" for a device without a kind, such as lo)
    int master = 0;     // index of the bridge it is enslaved to, 0 if none
    unsigned flags = 0; // IFF_*
    unsigned mtu = 0;
};

Result<std::vector<LinkInfo>> list_links(NetlinkSocket &nl);

// The link called `name`, or nullopt when there is none.
Result<std::optional<LinkInfo>> find_link(NetlinkSocket &nl, const std::string &name);

// Creates a bridge. The error of an existing name keeps errno EEXIST for the caller to test.
Result<> create_bridge(NetlinkSocket &nl, const std::string &name, unsigned mtu);

// Creates a veth pair in one request: `host_name` stays here, enslaved to the bridge with
// index `master`; its peer is made directly inside the namespace `peer_netns_fd` as
// `peer_name`, so no interface of the container is ever visible on the host.
Result<> create_veth_pair(NetlinkSocket &nl, const std::string &host_name,
                          const std::string &peer_name, int peer_netns_fd, unsigned mtu,
                          int master);

Result<> set_link_up(NetlinkSocket &nl, int index, const std::string &name);

// Deletes the link `name`; false when it did not exist.
Result<bool> delete_link(NetlinkSocket &nl, const std::string &name);

} // namespace berth::native
