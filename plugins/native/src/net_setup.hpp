// A container's networking from create to delete, as one transaction: every step is recorded
// in the container's state_dir (network.json) before it runs, and one idempotent teardown
// removes whatever the record names. A failed setup, `berth delete`, and the reconcile pass
// after a crash all end in that same teardown.
#pragma once

#include "net_config.hpp"

#include <berth/common/driver_adapter.hpp>
#include <berth/common/error.hpp>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

namespace berth::native {

struct NetworkContext {
    std::string container_id;
    std::filesystem::path state_dir;    // the container's driver state_dir
    std::filesystem::path network_root; // leases and the lock, shared by all containers
};

// Where the driver keeps leases: beside the host's container directories, under the state
// root, in a directory whose leading dot no container id can produce.
// TODO(#5): the ABI hands drivers a state_dir per container only; a driver-wide state
// directory would make this independent of the host's layout.
std::filesystem::path network_root_for(const std::filesystem::path &state_dir);

// The host end of a container's veth pair: derived from the id, so a leftover is found again
// from the lease alone, and short enough for IFNAMSIZ.
std::string host_veth_name(const std::string &id);

// The context of a container with the driver's state_dir `state_dir`.
NetworkContext network_context(const std::string &id, const std::filesystem::path &state_dir);

// Before the container's init is cloned: makes empty /etc/hosts and /etc/resolv.conf files in
// state_dir and adds their bind mounts to `spec`, unless the spec mounts those paths itself.
// They are filled by setup_network, in place, so the mounts see the content.
Result<> add_network_files(const NetworkRequest &req, const std::filesystem::path &state_dir,
                           nlohmann::json &spec);

// After the init was cloned into its new network namespace and before it runs anything:
// bridge, lease, firewall rules, veth pair, eth0 with address and default route. On failure
// everything done so far is removed before the error returns.
Result<> setup_network(const NetworkRequest &req, const NetworkContext &ctx, int init_pid,
                       const driver::Host &host);

// Removes everything the record in state_dir names (veth, rules, lease, and the bridge and
// table once nobody uses them). Succeeds with nothing to do when there is no record.
Result<> teardown_network(const NetworkContext &ctx, const driver::Host &host);

// Frees every lease whose container's state_dir is gone, with its veth and rules, then
// removes networks and the table nobody uses. Returns the number of leases freed.
Result<int> reconcile_networks(const std::filesystem::path &network_root,
                               const driver::Host &host);

} // namespace berth::native
