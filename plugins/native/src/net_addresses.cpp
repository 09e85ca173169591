#include "net_addresses.hpp"

#include <fmt/format.h>

#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

namespace berth::native {

Result<std::vector<AddressInfo>> list_addresses(NetlinkSocket &nl) {
    NetlinkMessage msg(RTM_GETADDR, 0, sizeof(ifaddrmsg));
    msg.extra_as<ifaddrmsg>()->ifa_family = AF_INET;
    std::vector<AddressInfo> out;
    auto r = nl.dump(
        msg,
        [&](const nlmsghdr *nlh) {
            if (nlh->nlmsg_type != RTM_NEWADDR)
                return;
            auto *ifa = static_cast<const ifaddrmsg *>(mnl_nlmsg_get_payload(nlh));
            if (ifa->ifa_family != AF_INET)
                return;
            AddressInfo a;
            a.index = static_cast<int>(ifa->ifa_index);
            a.prefix.length = ifa->ifa_prefixlen;
            for_each_attr(nlh, sizeof(*ifa), [&](const nlattr *attr) {
                if (mnl_attr_get_type(attr) == IFA_LOCAL ||
                    (mnl_attr_get_type(attr) == IFA_ADDRESS && a.prefix.address.value == 0))
                    a.prefix.address.value = ntohl(mnl_attr_get_u32(attr));
            });
            out.push_back(a);
        },
        fmt::format("addresses of the {} network namespace", nl.where()));
    if (!r)
        return fail(std::move(r.error()));
    return out;
}

Result<> add_address(NetlinkSocket &nl, int index, const std::string &ifname, Ipv4Prefix prefix) {
    NetlinkMessage msg(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, sizeof(ifaddrmsg));
    auto *ifa = msg.extra_as<ifaddrmsg>();
    ifa->ifa_family = AF_INET;
    ifa->ifa_prefixlen = static_cast<unsigned char>(prefix.length);
    ifa->ifa_scope = RT_SCOPE_UNIVERSE;
    ifa->ifa_index = static_cast<unsigned>(index);
    nlmsghdr *nlh = msg.header();
    mnl_attr_put_u32(nlh, IFA_LOCAL, prefix.address.network_order());
    mnl_attr_put_u32(nlh, IFA_ADDRESS, prefix.address.network_order());
    if (prefix.length < 31)
        mnl_attr_put_u32(nlh, IFA_BROADCAST, prefix.broadcast().network_order());
    return nl.request(msg, fmt::format("add address {} to", prefix.str()), ifname);
}

Result<> add_default_route(NetlinkSocket &nl, int index, const std::string &ifname,
                           Ipv4 gateway) {
    NetlinkMessage msg(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, sizeof(rtmsg));
    auto *rt = msg.extra_as<rtmsg>();
    rt->rtm_family = AF_INET;
    rt->rtm_dst_len = 0;
    rt->rtm_table = RT_TABLE_MAIN;
    rt->rtm_protocol = RTPROT_STATIC;
    rt->rtm_scope = RT_SCOPE_UNIVERSE;
    rt->rtm_type = RTN_UNICAST;
    nlmsghdr *nlh = msg.header();
    mnl_attr_put_u32(nlh, RTA_GATEWAY, gateway.network_order());
    mnl_attr_put_u32(nlh, RTA_OIF, static_cast<uint32_t>(index));
    return nl.request(msg, fmt::format("add default route via {} on", gateway.str()), ifname);
}

Result<std::vector<RouteInfo>> list_routes(NetlinkSocket &nl) {
    NetlinkMessage msg(RTM_GETROUTE, 0, sizeof(rtmsg));
    msg.extra_as<rtmsg>()->rtm_family = AF_INET;
    std::vector<RouteInfo> out;
    auto r = nl.dump(
        msg,
        [&](const nlmsghdr *nlh) {
            if (nlh->nlmsg_type != RTM_NEWROUTE)
                return;
            auto *rt = static_cast<const rtmsg *>(mnl_nlmsg_get_payload(nlh));
            if (rt->rtm_family != AF_INET || rt->rtm_table != RT_TABLE_MAIN)
                return;
            RouteInfo route;
            route.destination.length = rt->rtm_dst_len;
            for_each_attr(nlh, sizeof(*rt), [&](const nlattr *attr) {
                switch (mnl_attr_get_type(attr)) {
                case RTA_DST:
                    route.destination.address.value = ntohl(mnl_attr_get_u32(attr));
                    break;
                case RTA_GATEWAY:
                    route.gateway.value = ntohl(mnl_attr_get_u32(attr));
                    break;
                case RTA_OIF:
                    route.oif = static_cast<int>(mnl_attr_get_u32(attr));
                    break;
                default:
                    break;
                }
            });
            out.push_back(route);
        },
        fmt::format("routes of the {} network namespace", nl.where()));
    if (!r)
        return fail(std::move(r.error()));
    return out;
}

} // namespace berth::native
