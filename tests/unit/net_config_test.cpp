#include "net_config.hpp"

#include <catch2/catch.hpp>

using namespace berth::native;
using nlohmann::json;

TEST_CASE("a published port list parses host address, ports and protocol", "[unit]") {
    auto ports = parse_publish("8080:80,127.0.0.1:5353:53/udp");
    REQUIRE(ports);
    REQUIRE(ports->size() == 2);
    CHECK_FALSE((*ports)[0].host_ip);
    CHECK((*ports)[0].host_port == 8080);
    CHECK((*ports)[0].container_port == 80);
    CHECK((*ports)[0].protocol == "tcp");
    CHECK((*ports)[1].host_ip->str() == "127.0.0.1");
    CHECK((*ports)[1].protocol == "udp");
    CHECK((*ports)[1].str() == "127.0.0.1:5353:53/udp");
}

TEST_CASE("a published port outside 1-65535 is refused naming the item", "[unit]") {
    auto ports = parse_publish("70000:80");
    REQUIRE_FALSE(ports);
    CHECK(ports.error().code == BERTH_E_INVALID_SPEC);
    CHECK(ports.error().render() ==
          "config.json: annotation org.berth.publish: \"70000:80\" has a port outside "
          "1-65535; write [HOSTIP:]HOSTPORT:CPORT[/tcp|udp]");
}

TEST_CASE("a published port with an unknown protocol or a host port twice is refused",
          "[unit]") {
    auto proto = parse_publish("80:80/sctp");
    REQUIRE_FALSE(proto);
    CHECK(proto.error().render() ==
          "config.json: annotation org.berth.publish: \"80:80/sctp\" names protocol sctp, "
          "which is neither tcp nor udp; write [HOSTIP:]HOSTPORT:CPORT[/tcp|udp]");
    auto twice = parse_publish("80:80,80:81");
    REQUIRE_FALSE(twice);
    CHECK(twice.error().render() ==
          "config.json: annotation org.berth.publish: \"80:81\" publishes host port 80/tcp "
          "twice; write [HOSTIP:]HOSTPORT:CPORT[/tcp|udp]");
    CHECK(parse_publish("80:80/tcp,80:80/udp"));
}

TEST_CASE("a network definition takes its gateway from the subnet when none is given",
          "[unit]") {
    auto n = parse_networks(json::parse(R"({"web": {"bridge": "br-web",
                                                    "subnet": "10.88.0.0/16"}})"));
    REQUIRE(n);
    const NetworkConfig &web = n->at("web");
    CHECK(web.bridge == "br-web");
    CHECK(web.subnet.str() == "10.88.0.0/16");
    CHECK(web.gateway.str() == "10.88.0.1");
    CHECK(web.mtu == 1500);
}

TEST_CASE("network definitions with mistakes are refused naming network and key", "[unit]") {
    auto host_bits = parse_networks(json::parse(R"({"a": {"bridge": "b", "subnet":
                                                         "10.88.0.1/16"}})"));
    REQUIRE_FALSE(host_bits);
    CHECK(host_bits.error().render() ==
          "driver native: option networks: network a: subnet has host bits set; did you mean "
          "10.88.0.0/16?");
    auto outside = parse_networks(json::parse(R"({"a": {"bridge": "b", "subnet":
                                                       "10.88.0.0/24", "gateway": "10.9.0.1"}})"));
    REQUIRE_FALSE(outside);
    CHECK(outside.error().render() ==
          "driver native: option networks: network a: gateway 10.9.0.1 must be a host address "
          "inside subnet 10.88.0.0/24");
    auto unknown = parse_networks(json::parse(R"({"a": {"bridge": "b", "subnet":
                                                       "10.88.0.0/24", "dns": "x"}})"));
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().render() ==
          "driver native: option networks: network a: unknown key dns (known keys: bridge, "
          "subnet, gateway, mtu)");
    auto long_name = parse_networks(json::parse(R"({"a": {"bridge": "a-very-long-bridge",
                                                         "subnet": "10.88.0.0/24"}})"));
    REQUIRE_FALSE(long_name);
    CHECK(long_name.error().render() ==
          "driver native: option networks: network a: bridge must be an interface name of 1 "
          "to 15 characters without '/', ':' or spaces");
    auto shared = parse_networks(json::parse(R"({"a": {"bridge": "b", "subnet": "10.1.0.0/24"},
                                                 "c": {"bridge": "b", "subnet": "10.2.0.0/24"}})"));
    REQUIRE_FALSE(shared);
    CHECK(shared.error().render() == "driver native: option networks: networks a and c both "
                                     "use bridge b");
}

namespace {

json spec_with(const json &namespaces, const json &annotations) {
    return {{"linux", {{"namespaces", namespaces}}}, {"annotations", annotations},
            {"hostname", "web1"}};
}

NetworkMap one_network() {
    return *parse_networks(json::parse(R"({"web": {"bridge": "br-web",
                                                   "subnet": "10.88.0.0/24"}})"));
}

} // namespace

TEST_CASE("the network mode follows the network namespace and the annotations", "[unit]") {
    auto host = plan_network(spec_with(json::array(), json::object()), one_network());
    REQUIRE(host);
    CHECK(host->mode == NetworkMode::host);
    auto lo = plan_network(spec_with({{{"type", "network"}}}, json::object()), one_network());
    REQUIRE(lo);
    CHECK(lo->mode == NetworkMode::loopback);
    auto joined = plan_network(
        spec_with({{{"type", "network"}, {"path", "/proc/1/ns/net"}}}, json::object()),
        one_network());
    REQUIRE(joined);
    CHECK(joined->mode == NetworkMode::joined);
    auto bridge = plan_network(spec_with({{{"type", "network"}}},
                                         {{"org.berth.network", "web"},
                                          {"org.berth.publish", "8080:80"}}),
                               one_network());
    REQUIRE(bridge);
    CHECK(bridge->mode == NetworkMode::bridge);
    CHECK(bridge->network->bridge == "br-web");
    CHECK(bridge->ports.size() == 1);
    CHECK(bridge->hostname == "web1");
}

TEST_CASE("a network the options do not define or without its own namespace is refused",
          "[unit]") {
    auto unknown = plan_network(spec_with({{{"type", "network"}}}, {{"org.berth.network", "db"}}),
                                one_network());
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().render() ==
          "config.json: annotation org.berth.network names network db, which berth.yaml does "
          "not define (defined: web) (hint: add it under drivers.native.options.networks)");
    auto no_ns = plan_network(spec_with(json::array(), {{"org.berth.network", "web"}}),
                              one_network());
    REQUIRE_FALSE(no_ns);
    CHECK(no_ns.error().render() ==
          "config.json: network web needs a new network namespace (linux.namespaces type "
          "network without a path)");
    auto ports_only = plan_network(spec_with({{{"type", "network"}}},
                                             {{"org.berth.publish", "80:80"}}),
                                   one_network());
    REQUIRE_FALSE(ports_only);
    CHECK(ports_only.error().render() ==
          "config.json: annotation org.berth.publish needs a bridge network chosen with "
          "annotation org.berth.network");
}
