#include "net_firewall.hpp"

#include "fnv1a.hpp"

#include <fmt/format.h>

#include <nftables/libnftables.h>

namespace berth::native {
namespace {

// The first line of libnftables' error text, which names the problem ("Error: Could not
// process rule: No such file or directory"); the rest repeats the command with carets.
std::string first_line(const char *text) {
    std::string s = text ? text : "";
    auto nl = s.find('\n');
    return nl == std::string::npos ? s : s.substr(0, nl);
}

} // namespace

std::string container_tag(const std::string &id) {
    std::string tag = "container:" + id;
    if (tag.size() <= 100)
        return tag;
    return fmt::format("container:{}~{:016x}", id.substr(0, 70), fnv1a64(id));
}

std::string network_tag(const std::string &name) {
    std::string tag = "network:" + name;
    if (tag.size() <= 100)
        return tag;
    return fmt::format("network:{}~{:016x}", name.substr(0, 70), fnv1a64(name));
}

void Firewall::Free::operator()(nft_ctx *c) const {
    nft_ctx_free(c);
}

Result<Firewall> Firewall::open() {
    nft_ctx *c = nft_ctx_new(NFT_CTX_DEFAULT);
    if (c == nullptr)
        return fail(
            make_error(BERTH_E_UNAVAILABLE, "libnftables could not make a context", "nftables"));
    Firewall fw(c);
    if (nft_ctx_buffer_output(c) != 0 || nft_ctx_buffer_error(c) != 0)
        return fail(
            make_error(BERTH_E_FAILED, "libnftables could not buffer its output", "nftables"));
    nft_ctx_output_set_flags(c, NFT_CTX_OUTPUT_JSON | NFT_CTX_OUTPUT_HANDLE);
    return fw;
}

Result<std::string> Firewall::run(const std::string &commands, const std::string &what) {
    // libnftables applies one buffer as one kernel transaction: all of it or nothing.
    if (nft_run_cmd_from_buffer(ctx_.get(), commands.c_str()) != 0) {
        Error e = make_error(
            BERTH_E_FAILED,
            fmt::format("{}: {}", what, first_line(nft_ctx_get_error_buffer(ctx_.get()))),
            fmt::format("table ip {}", firewall_table));
        if (e.op.find("Operation not permitted") != std::string::npos)
            e.code = BERTH_E_PERMISSION;
        return fail(std::move(e));
    }
    const char *out = nft_ctx_get_output_buffer(ctx_.get());
    return std::string(out ? out : "");
}

Result<std::optional<std::vector<FirewallRule>>> Firewall::list() {
    auto out = run(fmt::format("list table ip {}", firewall_table), "list rules");
    if (!out) {
        if (out.error().op.find("No such file or directory") != std::string::npos)
            return std::optional<std::vector<FirewallRule>>();
        return fail(std::move(out.error()));
    }
    auto j = nlohmann::json::parse(*out, nullptr, false);
    if (j.is_discarded() || !j.contains("nftables"))
        return fail(make_error(BERTH_E_FAILED,
                               "list rules: libnftables answered with "
                               "something other than its JSON schema",
                               fmt::format("table ip {}", firewall_table)));
    std::vector<FirewallRule> rules;
    for (const auto &item : j["nftables"]) {
        auto r = item.find("rule");
        if (r == item.end())
            continue;
        FirewallRule rule;
        rule.chain = r->value("chain", "");
        rule.handle = r->value("handle", uint64_t{0});
        rule.comment = r->value("comment", "");
        rules.push_back(std::move(rule));
    }
    return std::optional<std::vector<FirewallRule>>(std::move(rules));
}

Result<> Firewall::ensure_table() {
    auto rules = list();
    if (!rules)
        return fail(std::move(rules.error()));
    if (*rules)
        return {};
    // Only local destinations go to publish: traffic that merely passes through the host
    // towards a container keeps its address.
    std::string t = firewall_table;
    std::string cmds =
        fmt::format("add table ip {t}\n"
                    "add chain ip {t} prerouting {{ type nat hook prerouting priority -100; "
                    "policy accept; }}\n"
                    "add chain ip {t} output {{ type nat hook output priority -100; "
                    "policy accept; }}\n"
                    "add chain ip {t} postrouting {{ type nat hook postrouting priority 100; "
                    "policy accept; }}\n"
                    "add chain ip {t} publish\n"
                    "add rule ip {t} prerouting fib daddr type local jump publish\n"
                    "add rule ip {t} output fib daddr type local jump publish\n",
                    fmt::arg("t", t));
    if (auto r = run(cmds, "create table"); !r)
        return fail(std::move(r.error()));
    return {};
}

Result<> Firewall::add_network_rules(const NetworkConfig &net) {
    auto rules = list();
    if (!rules)
        return fail(std::move(rules.error()));
    std::string tag = network_tag(net.name);
    if (*rules)
        for (const auto &r : **rules)
            if (r.comment == tag)
                return {};
    std::string cmds =
        fmt::format("add rule ip {t} postrouting ip saddr {subnet} oifname != \"{br}\" masquerade "
                    "comment \"{tag}\"\n"
                    "add rule ip {t} postrouting ip saddr 127.0.0.0/8 oifname \"{br}\" masquerade "
                    "comment \"{tag}\"\n",
                    fmt::arg("t", firewall_table), fmt::arg("subnet", net.subnet.str()),
                    fmt::arg("br", net.bridge), fmt::arg("tag", tag));
    if (auto r = run(cmds, fmt::format("add masquerade rules of network {}", net.name)); !r)
        return fail(std::move(r.error()));
    return {};
}

Result<> Firewall::add_port_rules(const std::string &container_id, Ipv4 address,
                                  const std::vector<PublishedPort> &ports,
                                  const std::vector<std::pair<std::string, PublishedPort>> &taken) {
    if (ports.empty())
        return {};
    std::string cmds;
    std::string tag = container_tag(container_id);
    for (const auto &p : ports) {
        for (const auto &[owner, q] : taken)
            if (q.host_port == p.host_port && q.protocol == p.protocol &&
                (!q.host_ip || !p.host_ip || q.host_ip == p.host_ip))
                return fail(make_error(BERTH_E_INVALID_SPEC,
                                       fmt::format("publish {}: host port {}/{} is already "
                                                   "published by container {}",
                                                   p.str(), p.host_port, p.protocol, owner),
                                       fmt::format("table ip {}", firewall_table))
                                .with_hint("choose another host port or delete that "
                                           "container"));
        std::string match = p.host_ip ? fmt::format("ip daddr {} ", p.host_ip->str()) : "";
        cmds += fmt::format("add rule ip {} publish {}{} dport {} dnat to {}:{} comment "
                            "\"{}\"\n",
                            firewall_table, match, p.protocol, p.host_port, address.str(),
                            p.container_port, tag);
    }
    if (auto r = run(cmds, fmt::format("publish ports of container {}", container_id)); !r)
        return fail(std::move(r.error()));
    return {};
}

Result<int> Firewall::delete_tagged(const std::string &tag) {
    auto rules = list();
    if (!rules)
        return fail(std::move(rules.error()));
    if (!*rules)
        return 0;
    std::string cmds;
    int n = 0;
    for (const auto &r : **rules)
        if (r.comment == tag) {
            cmds +=
                fmt::format("delete rule ip {} {} handle {}\n", firewall_table, r.chain, r.handle);
            ++n;
        }
    if (n == 0)
        return 0;
    if (auto r = run(cmds, fmt::format("delete rules tagged {}", tag)); !r)
        return fail(std::move(r.error()));
    return n;
}

Result<bool> Firewall::delete_table_if_unused() {
    auto rules = list();
    if (!rules)
        return fail(std::move(rules.error()));
    if (!*rules)
        return false;
    // The table is shared by every state root on the host: another one's rules keep it.
    std::string cmds;
    for (const auto &r : **rules) {
        if (!r.comment.empty())
            return false;
        cmds += fmt::format("delete rule ip {} {} handle {}\n", firewall_table, r.chain, r.handle);
    }
    // Chains, not the table, are deleted first: the kernel refuses to delete a chain that
    // still holds rules, so a rule another process added since the listing aborts the whole
    // transaction instead of being lost with the table.
    for (const char *chain : {"prerouting", "output", "postrouting", "publish"})
        cmds += fmt::format("delete chain ip {} {}\n", firewall_table, chain);
    cmds += fmt::format("delete table ip {}\n", firewall_table);
    if (auto r = run(cmds, "delete table"); !r) {
        if (r.error().op.find("Device or resource busy") != std::string::npos)
            return false;
        return fail(std::move(r.error()));
    }
    return true;
}

} // namespace berth::native
