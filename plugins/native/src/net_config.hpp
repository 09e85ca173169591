// What a container's networking should be: the bridge networks the driver's options define
// (berth.yaml, drivers.native.options.networks) and the choice a config.json makes through
// its namespaces and annotations:
//
//   no network namespace                 host networking, nothing to set up
//   a new network namespace              loopback only (init brings lo up)
//     + "org.berth.network": "NAME"      a veth into bridge network NAME, address, route
//     + "org.berth.publish": "[HOSTIP:]HOSTPORT:CPORT[/tcp|udp],..."   DNAT to the container
//   a network namespace given by path    joined as it is, nothing to set up
#pragma once

#include "net_ipv4.hpp"

#include <berth/common/error.hpp>

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace berth::native {

inline constexpr const char *network_annotation = "org.berth.network";
inline constexpr const char *publish_annotation = "org.berth.publish";

struct NetworkConfig {
    std::string name;
    std::string bridge;   // interface name, at most 15 characters
    Ipv4Prefix subnet;    // network address and length: 10.88.0.0/16
    Ipv4 gateway;         // the bridge's own address, inside subnet
    unsigned mtu = 1500;
};

using NetworkMap = std::map<std::string, NetworkConfig>;

// Reads the `networks` option: a map of names to {bridge, subnet, gateway, mtu}. Every error
// names the network and the key.
Result<NetworkMap> parse_networks(const nlohmann::json &j);

struct PublishedPort {
    std::optional<Ipv4> host_ip; // nullopt: every local address, 127.0.0.1 included
    uint16_t host_port = 0;
    uint16_t container_port = 0;
    std::string protocol = "tcp"; // "tcp" or "udp"
    bool operator==(const PublishedPort &) const = default;
    std::string str() const; // as written: "127.0.0.1:8080:80/tcp"
};

// Parses "[HOSTIP:]HOSTPORT:CPORT[/tcp|udp]" items separated by commas.
Result<std::vector<PublishedPort>> parse_publish(const std::string &text);

enum class NetworkMode { host, loopback, bridge, joined };

struct NetworkRequest {
    NetworkMode mode = NetworkMode::host;
    std::optional<NetworkConfig> network; // set in bridge mode
    std::vector<PublishedPort> ports;
    std::string hostname; // for /etc/hosts
};

// Decides the mode from linux.namespaces and the annotations, refusing a network name the
// options do not define and a network or published port without a new network namespace.
Result<NetworkRequest> plan_network(const nlohmann::json &spec, const NetworkMap &networks);

} // namespace berth::native
