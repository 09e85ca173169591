#include "net_setup.hpp"

#include "fnv1a.hpp"
#include "net_addresses.hpp"
#include "net_etc_files.hpp"
#include "net_firewall.hpp"
#include "net_ipam.hpp"
#include "net_links.hpp"
#include "net_lock.hpp"
#include "net_netlink.hpp"
#include "state_root.hpp"

#include <berth/common/unique_fd.hpp>

#include <fmt/format.h>

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <optional>
#include <set>
#include <sstream>

namespace berth::native {

namespace fs = std::filesystem;

namespace {

constexpr const char *record_name = "network.json";
constexpr const char *hosts_name = "hosts";
constexpr const char *resolv_name = "resolv.conf";
// Beside the leases of a network: present when berth made its bridge and so removes it.
constexpr const char *bridge_marker = "bridge-created";
constexpr const char *container_ifname = "eth0";

std::string read_text(const fs::path &p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Replaces the content of an existing file in place: it is bind-mounted into the container,
// and a rename would leave the mount on the old inode.
Result<> write_in_place(const fs::path &p, const std::string &text) {
    UniqueFd fd(open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd)
        return fail(sys_error("open", p.string()));
    if (write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
        return fail(sys_error("write", p.string()));
    return {};
}

Result<> write_sysctl(const std::string &path, const std::string &value) {
    UniqueFd fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd)
        return fail(sys_error("open", path));
    if (write(fd.get(), value.data(), value.size()) != static_cast<ssize_t>(value.size()))
        return fail(sys_error("write", path));
    return {};
}

// What network.json holds: enough to undo every step without the spec or the options.
struct NetworkRecord {
    NetworkConfig network;
    std::string veth;
    std::optional<Ipv4> address;

    nlohmann::json to_json() const {
        nlohmann::json j = {{"network",
                             {{"name", network.name},
                              {"bridge", network.bridge},
                              {"subnet", network.subnet.str()},
                              {"gateway", network.gateway.str()},
                              {"mtu", network.mtu}}},
                            {"veth", veth}};
        if (address)
            j["address"] = address->str();
        return j;
    }
};

Result<std::optional<NetworkRecord>> load_record(const fs::path &state_dir) {
    fs::path file = state_dir / record_name;
    if (access(file.c_str(), F_OK) != 0)
        return std::optional<NetworkRecord>();
    auto j = nlohmann::json::parse(read_text(file), nullptr, false);
    auto bad = [&] {
        return fail(make_error(BERTH_E_FAILED, "unreadable network record", file.string())
                        .with_hint("the container's links and rules may need removing by hand"));
    };
    if (!j.is_object() || !j.contains("network") || !j["network"].is_object())
        return bad();
    const auto &n = j["network"];
    auto subnet = parse_ipv4_prefix(n.value("subnet", ""), "network record subnet");
    auto gateway = parse_ipv4(n.value("gateway", ""));
    if (!subnet || !gateway || !n.contains("name") || !n.contains("bridge"))
        return bad();
    NetworkRecord rec;
    rec.network.name = n["name"];
    rec.network.bridge = n["bridge"];
    rec.network.subnet = *subnet;
    rec.network.gateway = *gateway;
    rec.network.mtu = n.value("mtu", 1500u);
    rec.veth = j.value("veth", "");
    if (j.contains("address"))
        rec.address = parse_ipv4(j.value("address", ""));
    return std::optional<NetworkRecord>(std::move(rec));
}

Result<> save_record(const fs::path &state_dir, const NetworkRecord &rec) {
    fs::path file = state_dir / record_name;
    fs::path tmp = state_dir / (std::string(record_name) + ".tmp");
    if (auto r = write_in_place(tmp, rec.to_json().dump() + "\n"); !r)
        return r;
    if (rename(tmp.c_str(), file.c_str()) != 0)
        return fail(sys_error("rename", file.string()));
    return {};
}

// Every network directory under the root, as found on disk.
std::vector<std::string> network_names(const fs::path &root) {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto &e : fs::directory_iterator(root, ec))
        if (e.is_directory(ec))
            out.push_back(e.path().filename());
    return out;
}

// The bridge of `net`, made on first use. Its address is the gateway's; route_localnet lets
// the host's own connections to 127.0.0.1, DNAT'ed in the output hook, leave through it.
Result<int> ensure_bridge(NetlinkSocket &nl, const NetworkConfig &net, const fs::path &net_dir,
                          const driver::Host &host) {
    auto link = find_link(nl, net.bridge);
    if (!link)
        return fail(std::move(link.error()));
    if (*link && (*link)->kind != "bridge")
        return fail(make_error(BERTH_E_INVALID_ARGUMENT,
                               fmt::format("network {}: interface {} exists and is not a bridge",
                                           net.name, net.bridge),
                               net.bridge)
                        .with_hint("choose another bridge name in berth.yaml"));
    if (!*link) {
        host.debug("network {}: creating bridge {}", net.name, net.bridge);
        // The marker goes first: a crash right after creation still leaves the bridge ours.
        std::error_code ec;
        fs::create_directories(net_dir, ec);
        if (auto r = write_in_place(net_dir / bridge_marker, net.bridge + "\n"); !r)
            return fail(std::move(r.error()));
        if (auto r = create_bridge(nl, net.bridge, net.mtu); !r)
            return fail(std::move(r.error()));
        link = find_link(nl, net.bridge);
        if (!link || !*link)
            return fail(
                make_error(BERTH_E_FAILED, "bridge vanished right after its creation", net.bridge));
    }
    int index = (*link)->index;
    Ipv4Prefix gw{net.gateway, net.subnet.length};
    if (auto r = add_address(nl, index, net.bridge, gw); !r && r.error().sys_errno != EEXIST)
        return fail(std::move(r.error()));
    if (auto r = set_link_up(nl, index, net.bridge); !r)
        return fail(std::move(r.error()));
    if (auto r =
            write_sysctl(fmt::format("/proc/sys/net/ipv4/conf/{}/route_localnet", net.bridge), "1");
        !r)
        return fail(std::move(r.error()).in("let 127.0.0.1 reach published ports"));
    // Forwarding is a host-wide switch that berth leaves to the administrator: containers
    // reach each other and the host without it, only traffic beyond the host needs it.
    if (read_text("/proc/sys/net/ipv4/ip_forward").rfind('0', 0) == 0)
        host.warn("network {}: net.ipv4.ip_forward is 0, so its containers reach only the host "
                  "and each other (set it to 1 for outbound traffic)",
                  net.name);
    return index;
}

// Removes the network's rules and bridge when no lease of it remains, and the table and the
// root when no network remains. Runs under the lock.
Result<> remove_unused(NetworkLock &lock, NetlinkSocket &nl, Firewall &fw,
                       const driver::Host &host) {
    Error first = make_error(BERTH_E_FAILED, "");
    bool failed = false;
    auto keep = [&](Error e) {
        if (!failed)
            first = std::move(e);
        else
            first.attach_cleanup(std::move(e));
        failed = true;
    };
    for (const auto &name : network_names(lock.root())) {
        fs::path dir = lock.root() / name;
        fs::path leases = dir / "leases";
        std::error_code ec;
        if (fs::exists(leases, ec) && !fs::is_empty(leases, ec))
            continue;
        if (auto r = fw.delete_tagged(network_tag(name)); !r)
            keep(std::move(r.error()));
        fs::path marker = dir / bridge_marker;
        if (access(marker.c_str(), F_OK) == 0) {
            std::string bridge = read_text(marker);
            while (!bridge.empty() && bridge.back() == '\n')
                bridge.pop_back();
            host.debug("network {}: removing bridge {}, its last container is gone", name, bridge);
            if (auto r = delete_link(nl, bridge); !r)
                keep(std::move(r.error()));
        }
        fs::remove_all(dir, ec);
        if (ec)
            keep(sys_error("remove network state", dir.string(), ec.value()));
    }
    if (network_names(lock.root()).empty()) {
        if (auto r = fw.delete_table_if_unused(); !r)
            keep(std::move(r.error()));
        lock.remove_root_if_empty();
    }
    if (failed)
        return fail(std::move(first));
    return {};
}

// The undo of one container's steps, in reverse order of setup. Every step tolerates what
// is already gone.
Result<> remove_container(const NetworkContext &ctx, const NetworkRecord &rec, NetlinkSocket &nl,
                          Firewall &fw, const driver::Host &host) {
    host.debug("container {}: removing veth {}, rules and lease", ctx.container_id, rec.veth);
    Result<> out;
    auto keep = [&](Error e) {
        if (out)
            out = fail(std::move(e));
        else
            out.error().attach_cleanup(std::move(e));
    };
    // Deleting one end of a veth pair deletes both.
    if (!rec.veth.empty())
        if (auto r = delete_link(nl, rec.veth); !r)
            keep(std::move(r.error()));
    if (auto r = fw.delete_tagged(container_tag(ctx.container_id)); !r)
        keep(std::move(r.error()));
    if (rec.address) {
        LeaseStore leases(ctx.network_root, rec.network);
        if (auto r = leases.release(*rec.address, ctx.container_id); !r)
            keep(std::move(r.error()));
    }
    return out;
}

Result<> configure_container_side(int init_pid, const NetworkConfig &net, Ipv4 address,
                                  const std::string &id) {
    std::string ns_path = fmt::format("/proc/{}/ns/net", init_pid);
    UniqueFd ns(open(ns_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns)
        return fail(sys_error("open", ns_path));
    auto nl = NetlinkSocket::open_in(ns.get(), fmt::format("container {}", id));
    if (!nl)
        return fail(std::move(nl.error()));
    auto link = find_link(*nl, container_ifname);
    if (!link)
        return fail(std::move(link.error()));
    if (!*link)
        return fail(make_error(BERTH_E_FAILED, "the veth peer did not appear in the container",
                               container_ifname));
    int index = (*link)->index;
    if (auto r = add_address(*nl, index, container_ifname, {address, net.subnet.length}); !r)
        return r;
    if (auto r = set_link_up(*nl, index, container_ifname); !r)
        return r;
    return add_default_route(*nl, index, container_ifname, net.gateway);
}

// The steps of setup_network after the record exists. Each failure returns at once; the
// caller tears down what the record names by then.
Result<> apply(const NetworkRequest &req, const NetworkContext &ctx, NetworkRecord &rec,
               int init_pid, NetworkLock &lock, NetlinkSocket &nl, Firewall &fw,
               const driver::Host &host) {
    const NetworkConfig &net = *req.network;
    auto bridge = ensure_bridge(nl, net, lock.root() / net.name, host);
    if (!bridge)
        return fail(std::move(bridge.error()).in("set up bridge"));

    LeaseStore leases(lock.root(), net);
    Lease lease;
    lease.container = ctx.container_id;
    lease.state_dir = ctx.state_dir;
    lease.veth = rec.veth;
    lease.ports = req.ports;
    auto address = leases.allocate(lease);
    if (!address)
        return fail(std::move(address.error()).in("allocate address"));
    rec.address = *address;
    if (auto r = save_record(ctx.state_dir, rec); !r)
        return fail(std::move(r.error()).in("record network setup"));
    host.debug("container {}: address {} on network {}", ctx.container_id, address->str(),
               net.name);

    // Host ports other containers publish, on any network.
    std::vector<std::pair<std::string, PublishedPort>> taken;
    for (const auto &name : network_names(lock.root())) {
        NetworkConfig other;
        other.name = name;
        auto all = LeaseStore(lock.root(), other).list();
        if (!all)
            return fail(std::move(all.error()).in("publish ports"));
        for (const auto &l : *all)
            if (l.container != ctx.container_id)
                for (const auto &p : l.ports)
                    taken.emplace_back(l.container, p);
    }
    if (auto r = fw.ensure_table(); !r)
        return fail(std::move(r.error()).in("set up firewall"));
    if (auto r = fw.add_network_rules(net); !r)
        return fail(std::move(r.error()).in("set up firewall"));
    if (auto r = fw.add_port_rules(ctx.container_id, *address, req.ports, taken); !r)
        return fail(std::move(r.error()).in("publish ports"));

    std::string ns_path = fmt::format("/proc/{}/ns/net", init_pid);
    UniqueFd ns(open(ns_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns)
        return fail(sys_error("open", ns_path).in("create veth pair"));
    host.debug("container {}: creating veth {} on bridge {}", ctx.container_id, rec.veth,
               net.bridge);
    if (auto r = create_veth_pair(nl, rec.veth, container_ifname, ns.get(), net.mtu, *bridge); !r)
        return fail(std::move(r.error()).in("create veth pair"));
    auto veth = find_link(nl, rec.veth);
    if (!veth || !*veth)
        return fail(make_error(BERTH_E_FAILED, "veth vanished right after its creation", rec.veth));
    if (auto r = set_link_up(nl, (*veth)->index, rec.veth); !r)
        return fail(std::move(r.error()).in("create veth pair"));

    if (auto r = configure_container_side(init_pid, net, *address, ctx.container_id); !r)
        return fail(std::move(r.error()).in("configure eth0 in the container"));

    if (access((ctx.state_dir / hosts_name).c_str(), F_OK) == 0)
        if (auto r =
                write_in_place(ctx.state_dir / hosts_name, render_hosts(req.hostname, *address));
            !r)
            return fail(std::move(r.error()).in("write /etc/hosts"));
    if (access((ctx.state_dir / resolv_name).c_str(), F_OK) == 0) {
        int dropped = 0;
        std::string text = render_resolv_conf(read_text("/etc/resolv.conf"), dropped);
        if (dropped > 0 && text.find("nameserver") == std::string::npos)
            host.warn("container {}: the host's /etc/resolv.conf names only loopback "
                      "nameservers, which the container cannot reach; its resolv.conf has "
                      "none",
                      ctx.container_id);
        if (auto r = write_in_place(ctx.state_dir / resolv_name, text); !r)
            return fail(std::move(r.error()).in("write /etc/resolv.conf"));
    }
    return {};
}

Result<int> reconcile_locked(NetworkLock &lock, NetlinkSocket &nl, Firewall &fw,
                             const driver::Host &host) {
    int freed = 0;
    for (const auto &name : network_names(lock.root())) {
        NetworkConfig net;
        net.name = name;
        LeaseStore leases(lock.root(), net);
        auto all = leases.list();
        if (!all)
            return fail(std::move(all.error()).in("reconcile networks"));
        for (const auto &l : *all) {
            std::error_code ec;
            if (fs::exists(l.state_dir, ec) || ec)
                continue;
            host.warn("network {}: freeing address {} of container {}, which no longer "
                      "exists",
                      name, l.address.str(), l.container);
            NetworkContext ctx{l.container, l.state_dir, lock.root()};
            NetworkRecord rec{net, l.veth, l.address};
            if (auto r = remove_container(ctx, rec, nl, fw, host); !r)
                return fail(std::move(r.error()).in("reconcile networks"));
            ++freed;
        }
    }
    return freed;
}

} // namespace

fs::path network_root_for(const fs::path &state_dir) {
    return state_root_of(state_dir) / ".native-network";
}

std::string host_veth_name(const std::string &id) {
    return fmt::format("vb{:08x}", fnv1a32(id));
}

NetworkContext network_context(const std::string &id, const fs::path &state_dir) {
    return NetworkContext{id, state_dir, network_root_for(state_dir)};
}

Result<> add_network_files(const NetworkRequest &req, const fs::path &state_dir,
                           nlohmann::json &spec) {
    if (req.mode != NetworkMode::bridge)
        return {};
    std::set<std::string> mounted;
    if (auto m = spec.find("mounts"); m != spec.end() && m->is_array())
        for (const auto &e : *m)
            if (e.is_object() && e.contains("destination") && e["destination"].is_string())
                mounted.insert(
                    fs::path(e["destination"].get<std::string>()).lexically_normal().string());
    for (const char *name : {hosts_name, resolv_name}) {
        std::string dest = std::string("/etc/") + name;
        if (mounted.count(dest))
            continue;
        fs::path file = state_dir / name;
        if (auto r = write_in_place(file, ""); !r)
            return fail(std::move(r.error()).in("prepare " + dest));
        if (!spec.contains("mounts") || !spec["mounts"].is_array())
            spec["mounts"] = nlohmann::json::array();
        spec["mounts"].push_back({{"destination", dest},
                                  {"type", "bind"},
                                  {"source", file.string()},
                                  {"options", {"rbind", "ro", "nosuid", "nodev", "noexec"}}});
    }
    return {};
}

Result<> setup_network(const NetworkRequest &req, const NetworkContext &ctx, int init_pid,
                       const driver::Host &host) {
    if (req.mode != NetworkMode::bridge)
        return {};
    auto lock = NetworkLock::acquire(ctx.network_root);
    if (!lock)
        return fail(std::move(lock.error()).in("set up network"));
    auto nl = NetlinkSocket::open();
    if (!nl)
        return fail(std::move(nl.error()).in("set up network"));
    auto fw = Firewall::open();
    if (!fw)
        return fail(std::move(fw.error()).in("set up network"));
    if (auto r = reconcile_locked(*lock, *nl, *fw, host); !r)
        return fail(std::move(r.error()).in("set up network"));

    NetworkRecord rec{*req.network, host_veth_name(ctx.container_id), std::nullopt};
    if (auto r = save_record(ctx.state_dir, rec); !r)
        return fail(std::move(r.error()).in("set up network"));
    auto r = apply(req, ctx, rec, init_pid, *lock, *nl, *fw, host);
    if (r) {
        host.info("container {}: network {}, address {}, veth {}", ctx.container_id,
                  req.network->name, rec.address->str(), rec.veth);
        return {};
    }
    Error cause = std::move(r.error()).in("set up network " + req.network->name);
    if (auto u = remove_container(ctx, rec, *nl, *fw, host); !u)
        cause.attach_cleanup(std::move(u.error()));
    if (auto u = remove_unused(*lock, *nl, *fw, host); !u)
        cause.attach_cleanup(std::move(u.error()));
    unlink((ctx.state_dir / record_name).c_str());
    return fail(std::move(cause));
}

Result<> teardown_network(const NetworkContext &ctx, const driver::Host &host) {
    auto rec = load_record(ctx.state_dir);
    if (!rec)
        return fail(std::move(rec.error()).in("remove network"));
    for (const char *name : {hosts_name, resolv_name})
        unlink((ctx.state_dir / name).c_str());
    if (!*rec)
        return {};
    auto lock = NetworkLock::acquire(ctx.network_root);
    if (!lock)
        return fail(std::move(lock.error()).in("remove network"));
    auto nl = NetlinkSocket::open();
    if (!nl)
        return fail(std::move(nl.error()).in("remove network"));
    auto fw = Firewall::open();
    if (!fw)
        return fail(std::move(fw.error()).in("remove network"));
    if (auto r = remove_container(ctx, **rec, *nl, *fw, host); !r)
        return fail(std::move(r.error()).in("remove network"));
    if (auto r = remove_unused(*lock, *nl, *fw, host); !r)
        return fail(std::move(r.error()).in("remove network"));
    if (unlink((ctx.state_dir / record_name).c_str()) != 0 && errno != ENOENT)
        return fail(sys_error("remove", (ctx.state_dir / record_name).string()));
    return {};
}

Result<int> reconcile_networks(const fs::path &network_root, const driver::Host &host) {
    std::error_code ec;
    if (!fs::exists(network_root, ec))
        return 0;
    auto lock = NetworkLock::acquire(network_root);
    if (!lock)
        return fail(std::move(lock.error()));
    auto nl = NetlinkSocket::open();
    if (!nl)
        return fail(std::move(nl.error()));
    auto fw = Firewall::open();
    if (!fw)
        return fail(std::move(fw.error()));
    auto freed = reconcile_locked(*lock, *nl, *fw, host);
    if (!freed)
        return freed;
    if (auto r = remove_unused(*lock, *nl, *fw, host); !r)
        return fail(std::move(r.error()));
    return freed;
}

} // namespace berth::native
