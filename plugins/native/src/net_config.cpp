#include "net_config.hpp"

#include <fmt/format.h>

#include <charconv>

namespace berth::native {
namespace {

Error bad_option(const std::string &what) {
    return make_error(BERTH_E_INVALID_ARGUMENT, "driver native: option networks: " + what);
}

Error bad_spec(const std::string &what) { return make_error(BERTH_E_INVALID_SPEC, what); }

std::optional<uint16_t> parse_port(std::string_view s) {
    unsigned v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v == 0 || v > 65535)
        return std::nullopt;
    return static_cast<uint16_t>(v);
}

Result<NetworkConfig> parse_network(const std::string &name, const nlohmann::json &j) {
    if (!j.is_object())
        return fail(bad_option(fmt::format("network {} must be a map with bridge, subnet, "
                                           "gateway and mtu",
                                           name)));
    NetworkConfig n;
    n.name = name;
    bool have_subnet = false, have_gateway = false;
    for (auto it = j.begin(); it != j.end(); ++it) {
        const std::string &key = it.key();
        std::string where = fmt::format("network {}: {}", name, key);
        if (key == "mtu") {
            if (!it->is_number_unsigned() || *it < 68 || *it > 65535)
                return fail(bad_option(where + " must be a number from 68 to 65535"));
            n.mtu = it->get<unsigned>();
            continue;
        }
        if (!it->is_string())
            return fail(bad_option(where + " must be a string"));
        std::string v = *it;
        if (key == "bridge") {
            if (v.empty() || v.size() > 15 || v.find_first_of("/ \t:") != std::string::npos)
                return fail(bad_option(where + " must be an interface name of 1 to 15 "
                                               "characters without '/', ':' or spaces"));
            n.bridge = v;
        } else if (key == "subnet") {
            auto p = parse_ipv4_prefix(v, "driver native: option networks: " + where);
            if (!p)
                return fail(std::move(p.error()));
            if (p->length > 30)
                return fail(bad_option(where + " must hold at least a gateway and one "
                                               "container (a /30 or larger)"));
            if (p->network() != p->address)
                return fail(bad_option(fmt::format("{} has host bits set; did you mean {}?",
                                                   where,
                                                   Ipv4Prefix{p->network(), p->length}.str())));
            n.subnet = *p;
            have_subnet = true;
        } else if (key == "gateway") {
            auto g = parse_ipv4(v);
            if (!g)
                return fail(bad_option(where + " must be an IPv4 address such as 10.88.0.1"));
            n.gateway = *g;
            have_gateway = true;
        } else {
            return fail(bad_option(fmt::format("network {}: unknown key {} (known keys: bridge, "
                                               "subnet, gateway, mtu)",
                                               name, key)));
        }
    }
    if (n.bridge.empty() || !have_subnet)
        return fail(bad_option(fmt::format("network {} needs bridge and subnet", name)));
    if (!have_gateway)
        n.gateway = Ipv4{n.subnet.network().value + 1};
    if (!n.subnet.contains(n.gateway) || n.gateway == n.subnet.network() ||
        n.gateway == n.subnet.broadcast())
        return fail(bad_option(fmt::format("network {}: gateway {} must be a host address "
                                           "inside subnet {}",
                                           name, n.gateway.str(), n.subnet.str())));
    return n;
}

} // namespace

Result<NetworkMap> parse_networks(const nlohmann::json &j) {
    if (!j.is_object())
        return fail(bad_option("must be a map of network names to their settings"));
    NetworkMap out;
    std::map<std::string, std::string> bridges;
    for (auto it = j.begin(); it != j.end(); ++it) {
        auto n = parse_network(it.key(), *it);
        if (!n)
            return fail(std::move(n.error()));
        if (auto [b, fresh] = bridges.emplace(n->bridge, n->name); !fresh)
            return fail(bad_option(fmt::format("networks {} and {} both use bridge {}",
                                               b->second, n->name, n->bridge)));
        out.emplace(n->name, std::move(*n));
    }
    return out;
}

std::string PublishedPort::str() const {
    return fmt::format("{}{}:{}/{}", host_ip ? host_ip->str() + ":" : std::string(), host_port,
                       container_port, protocol);
}

Result<std::vector<PublishedPort>> parse_publish(const std::string &text) {
    std::vector<PublishedPort> out;
    size_t pos = 0;
    while (pos <= text.size()) {
        size_t comma = text.find(',', pos);
        std::string item = text.substr(pos, comma == std::string::npos ? std::string::npos
                                                                        : comma - pos);
        pos = comma == std::string::npos ? text.size() + 1 : comma + 1;
        auto bad = [&](const std::string &why) {
            return fail(bad_spec(fmt::format("config.json: annotation {}: \"{}\" {}; write "
                                             "[HOSTIP:]HOSTPORT:CPORT[/tcp|udp]",
                                             publish_annotation, item, why)));
        };
        PublishedPort p;
        std::string rest = item;
        if (auto slash = rest.find('/'); slash != std::string::npos) {
            p.protocol = rest.substr(slash + 1);
            rest.erase(slash);
            if (p.protocol != "tcp" && p.protocol != "udp")
                return bad("names protocol " + p.protocol + ", which is neither tcp nor udp");
        }
        std::vector<std::string> parts;
        for (size_t s = 0;;) {
            size_t colon = rest.find(':', s);
            parts.push_back(rest.substr(s, colon == std::string::npos ? std::string::npos
                                                                       : colon - s));
            if (colon == std::string::npos)
                break;
            s = colon + 1;
        }
        if (parts.size() < 2 || parts.size() > 3)
            return bad("is not a port mapping");
        if (parts.size() == 3) {
            p.host_ip = parse_ipv4(parts[0]);
            if (!p.host_ip)
                return bad("has host address " + parts[0] + ", which is not IPv4");
            parts.erase(parts.begin());
        }
        auto hp = parse_port(parts[0]);
        auto cp = parse_port(parts[1]);
        if (!hp || !cp)
            return bad("has a port outside 1-65535");
        p.host_port = *hp;
        p.container_port = *cp;
        for (const auto &q : out)
            if (q.host_port == p.host_port && q.protocol == p.protocol &&
                (!q.host_ip || !p.host_ip || q.host_ip == p.host_ip))
                return bad(fmt::format("publishes host port {}/{} twice", p.host_port,
                                       p.protocol));
        out.push_back(p);
    }
    return out;
}

Result<NetworkRequest> plan_network(const nlohmann::json &spec, const NetworkMap &networks) {
    NetworkRequest req;
    bool new_netns = false, joined = false;
    if (auto l = spec.find("linux"); l != spec.end() && l->is_object())
        if (auto ns = l->find("namespaces"); ns != l->end() && ns->is_array())
            for (const auto &n : *ns)
                if (n.is_object() && n.value("type", "") == "network") {
                    joined = n.contains("path") && !n["path"].get<std::string>().empty();
                    new_netns = !joined;
                }
    req.mode = new_netns ? NetworkMode::loopback
                         : (joined ? NetworkMode::joined : NetworkMode::host);
    req.hostname = spec.value("hostname", "");

    std::string name, publish;
    if (auto a = spec.find("annotations"); a != spec.end() && a->is_object()) {
        if (auto n = a->find(network_annotation); n != a->end() && n->is_string())
            name = *n;
        if (auto p = a->find(publish_annotation); p != a->end() && p->is_string())
            publish = *p;
    }
    if (!publish.empty()) {
        auto ports = parse_publish(publish);
        if (!ports)
            return fail(std::move(ports.error()));
        req.ports = std::move(*ports);
        if (name.empty())
            return fail(bad_spec(fmt::format("config.json: annotation {} needs a bridge network "
                                             "chosen with annotation {}",
                                             publish_annotation, network_annotation)));
    }
    if (name.empty())
        return req;
    auto it = networks.find(name);
    if (it == networks.end()) {
        std::string known;
        for (const auto &[k, v] : networks)
            known += (known.empty() ? "" : ", ") + k;
        return fail(bad_spec(fmt::format("config.json: annotation {} names network {}, which "
                                         "berth.yaml does not define (defined: {})",
                                         network_annotation, name,
                                         known.empty() ? "none" : known))
                        .with_hint("add it under drivers.native.options.networks"));
    }
    if (!new_netns)
        return fail(bad_spec(fmt::format("config.json: network {} needs a new network namespace "
                                         "(linux.namespaces type network without a path)",
                                         name)));
    req.mode = NetworkMode::bridge;
    req.network = it->second;
    return req;
}

} // namespace berth::native
