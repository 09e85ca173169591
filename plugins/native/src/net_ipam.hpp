// Address management for bridge networks: one lease file per address under the network's
// state directory,
//
//     <network state>/<network>/leases/<address>    JSON: container id, its state_dir, the
//                                                    host veth and the published ports
//
// created with O_EXCL so that an address is never handed out twice, even by two berth
// processes. Callers hold the NetworkLock for the sequences that must not interleave.
#pragma once

#include "net_config.hpp"
#include "net_ipv4.hpp"

#include <berth/common/error.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace berth::native {

struct Lease {
    Ipv4 address;
    std::string container;
    std::filesystem::path state_dir; // the container's driver state_dir: gone means stale
    std::string veth;                // host end of its veth pair
    std::vector<PublishedPort> ports;
};

class LeaseStore {
public:
    LeaseStore(const std::filesystem::path &network_root, const NetworkConfig &net);

    // Takes the lowest free address of the subnet (never the network, gateway or broadcast
    // address) for `lease` (its address is filled in) and writes the lease file.
    Result<Ipv4> allocate(Lease &lease);

    // Removes the lease of `address` if `container` holds it; false when it does not (gone
    // already, or freed by a reconcile pass and handed to another container since).
    Result<bool> release(Ipv4 address, const std::string &container);

    // Every lease of this network, in address order.
    Result<std::vector<Lease>> list() const;

    const std::filesystem::path &dir() const { return dir_; }

private:
    std::filesystem::path dir_;
    NetworkConfig net_;
};

nlohmann::json lease_to_json(const Lease &l);
Result<Lease> lease_from_json(const nlohmann::json &j, const std::string &where);

} // namespace berth::native
