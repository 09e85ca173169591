#include "net_links.hpp"

#include <fmt/format.h>

#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

namespace berth::native {
namespace {

struct LinkAttrs {
    const nlattr *name = nullptr;
    const nlattr *kind = nullptr;
    const nlattr *master = nullptr;
    const nlattr *mtu = nullptr;
};

int link_attr(const nlattr *a, void *data) {
    auto *out = static_cast<LinkAttrs *>(data);
    switch (mnl_attr_get_type(a)) {
    case IFLA_IFNAME:
        out->name = a;
        break;
    case IFLA_MASTER:
        out->master = a;
        break;
    case IFLA_MTU:
        out->mtu = a;
        break;
    case IFLA_LINKINFO:
        mnl_attr_parse_nested(
            a,
            [](const nlattr *in, void *d) {
                if (mnl_attr_get_type(in) == IFLA_INFO_KIND)
                    static_cast<LinkAttrs *>(d)->kind = in;
                return MNL_CB_OK;
            },
            data);
        break;
    default:
        break;
    }
    return MNL_CB_OK;
}

LinkInfo parse_link(const nlmsghdr *nlh) {
    auto *ifi = static_cast<const ifinfomsg *>(mnl_nlmsg_get_payload(nlh));
    LinkAttrs attrs;
    mnl_attr_parse(nlh, sizeof(*ifi), link_attr, &attrs);
    LinkInfo l;
    l.index = ifi->ifi_index;
    l.flags = ifi->ifi_flags;
    if (attrs.name)
        l.name = mnl_attr_get_str(attrs.name);
    if (attrs.kind)
        l.kind = mnl_attr_get_str(attrs.kind);
    if (attrs.master)
        l.master = static_cast<int>(mnl_attr_get_u32(attrs.master));
    if (attrs.mtu)
        l.mtu = mnl_attr_get_u32(attrs.mtu);
    return l;
}

} // namespace

Result<std::vector<LinkInfo>> list_links(NetlinkSocket &nl) {
    NetlinkMessage msg(RTM_GETLINK, 0, sizeof(ifinfomsg));
    msg.extra_as<ifinfomsg>()->ifi_family = AF_UNSPEC;
    std::vector<LinkInfo> out;
    auto r = nl.dump(
        msg,
        [&](const nlmsghdr *nlh) {
            if (nlh->nlmsg_type == RTM_NEWLINK)
                out.push_back(parse_link(nlh));
        },
        fmt::format("links of the {} network namespace", nl.where()));
    if (!r)
        return fail(std::move(r.error()));
    return out;
}

Result<std::optional<LinkInfo>> find_link(NetlinkSocket &nl, const std::string &name) {
    // One link by name, not a listing of all: no dump for other links' changes to interrupt.
    NetlinkMessage msg(RTM_GETLINK, 0, sizeof(ifinfomsg));
    msg.extra_as<ifinfomsg>()->ifi_family = AF_UNSPEC;
    mnl_attr_put_strz(msg.header(), IFLA_IFNAME, name.c_str());
    std::optional<LinkInfo> found;
    auto r = nl.get(
        msg,
        [&](const nlmsghdr *nlh) {
            if (nlh->nlmsg_type == RTM_NEWLINK)
                found = parse_link(nlh);
        },
        "look up link", name);
    if (!r) {
        if (r.error().sys_errno == ENODEV)
            return std::optional<LinkInfo>();
        return fail(std::move(r.error()));
    }
    return found;
}

Result<> create_bridge(NetlinkSocket &nl, const std::string &name, unsigned mtu) {
    NetlinkMessage msg(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof(ifinfomsg));
    msg.extra_as<ifinfomsg>()->ifi_family = AF_UNSPEC;
    nlmsghdr *nlh = msg.header();
    mnl_attr_put_strz(nlh, IFLA_IFNAME, name.c_str());
    mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
    nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
    mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
    mnl_attr_nest_end(nlh, info);
    return nl.request(msg, "create bridge", name);
}

Result<> create_veth_pair(NetlinkSocket &nl, const std::string &host_name,
                          const std::string &peer_name, int peer_netns_fd, unsigned mtu,
                          int master) {
    NetlinkMessage msg(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof(ifinfomsg));
    msg.extra_as<ifinfomsg>()->ifi_family = AF_UNSPEC;
    nlmsghdr *nlh = msg.header();
    mnl_attr_put_strz(nlh, IFLA_IFNAME, host_name.c_str());
    mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
    mnl_attr_put_u32(nlh, IFLA_MASTER, static_cast<uint32_t>(master));
    nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
    mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
    nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
    // The peer is described by an ifinfomsg of its own followed by its attributes.
    nlattr *peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
    auto *peer_ifi = static_cast<ifinfomsg *>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
    peer_ifi->ifi_family = AF_UNSPEC;
    mnl_attr_put_strz(nlh, IFLA_IFNAME, peer_name.c_str());
    mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
    mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, static_cast<uint32_t>(peer_netns_fd));
    mnl_attr_nest_end(nlh, peer);
    mnl_attr_nest_end(nlh, data);
    mnl_attr_nest_end(nlh, info);
    return nl.request(msg, "create veth pair",
                      fmt::format("{} ({} in the container)", host_name, peer_name));
}

Result<> set_link_up(NetlinkSocket &nl, int index, const std::string &name) {
    NetlinkMessage msg(RTM_NEWLINK, 0, sizeof(ifinfomsg));
    auto *ifi = msg.extra_as<ifinfomsg>();
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_index = index;
    ifi->ifi_flags = IFF_UP;
    ifi->ifi_change = IFF_UP;
    return nl.request(msg, "set link up", name);
}

Result<bool> delete_link(NetlinkSocket &nl, const std::string &name) {
    NetlinkMessage msg(RTM_DELLINK, 0, sizeof(ifinfomsg));
    msg.extra_as<ifinfomsg>()->ifi_family = AF_UNSPEC;
    mnl_attr_put_strz(msg.header(), IFLA_IFNAME, name.c_str());
    auto r = nl.request(msg, "delete link", name);
    if (!r) {
        if (r.error().sys_errno == ENODEV)
            return false;
        return fail(std::move(r.error()));
    }
    return true;
}

} // namespace berth::native
