// berth's nftables table, driven through libnftables (a library call into the kernel's
// nf_tables netlink API, not the nft program):
//
//   table ip berth
//     chain prerouting   nat hook prerouting: traffic to a local address -> publish
//     chain output       nat hook output: the host's own traffic to a local address,
//                        127.0.0.1 included -> publish
//     chain publish      one DNAT rule per published port, tagged "container:<id>"
//     chain postrouting  per network: masquerade of the subnet leaving through another
//                        interface, and of 127.0.0.0/8 leaving through the bridge (the
//                        host's own connections to 127.0.0.1 that output DNAT'ed), both
//                        tagged "network:<name>"
//
// Every rule carries its tag as a comment, so a container's or a network's rules are found
// and removed by tag, also by a reconcile pass after a crash.
#pragma once

#include "net_config.hpp"
#include "net_ipv4.hpp"

#include <berth/common/error.hpp>

#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

struct nft_ctx;

namespace berth::native {

inline constexpr const char *firewall_table = "berth";

// The comment of a container's rules. nftables keeps at most 128 bytes of comment, so a
// long id is shortened and made unique with a hash of the whole.
std::string container_tag(const std::string &id);
std::string network_tag(const std::string &name);

struct FirewallRule {
    std::string chain;
    uint64_t handle = 0;
    std::string comment;
};

class Firewall {
public:
    static Result<Firewall> open();

    // The rules of berth's table, or nullopt when the table does not exist.
    Result<std::optional<std::vector<FirewallRule>>> list();

    // Creates the table with its chains and jumps unless it exists already.
    Result<> ensure_table();

    // Adds the masquerade rules of `net` unless rules tagged with it exist.
    Result<> add_network_rules(const NetworkConfig &net);

    // Adds the DNAT rules of a container at `address`. Refuses a host port another rule of
    // the table already publishes, naming the container that holds it.
    Result<> add_port_rules(const std::string &container_id, Ipv4 address,
                            const std::vector<PublishedPort> &ports,
                            const std::vector<std::pair<std::string, PublishedPort>> &taken);

    // Deletes every rule whose comment is `tag`; returns how many there were.
    Result<int> delete_tagged(const std::string &tag);

    // Deletes the table when no rule of any container or network is left in it (another
    // state root's containers may use it); false when it was kept or did not exist.
    Result<bool> delete_table_if_unused();

private:
    struct Free {
        void operator()(nft_ctx *c) const;
    };
    explicit Firewall(nft_ctx *c) : ctx_(c) {}
    Result<std::string> run(const std::string &commands, const std::string &what);

    std::unique_ptr<nft_ctx, Free> ctx_;
};

} // namespace berth::native
