#include "process_namespaces.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/nsfs.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstring>

namespace berth::native {
namespace {

struct NsType {
    const char *spec;
    const char *proc;
    int flag;
};

constexpr std::array<NsType, 7> ns_types{{
    {"user", "user", CLONE_NEWUSER},
    {"pid", "pid", CLONE_NEWPID},
    {"mount", "mnt", CLONE_NEWNS},
    {"network", "net", CLONE_NEWNET},
    {"ipc", "ipc", CLONE_NEWIPC},
    {"uts", "uts", CLONE_NEWUTS},
    {"cgroup", "cgroup", CLONE_NEWCGROUP},
}};

const NsType *find_type(const std::string &name) {
    for (const auto &t : ns_types)
        if (name == t.spec)
            return &t;
    return nullptr;
}

Error invalid(const std::string &what) {
    return make_error(BERTH_E_INVALID_SPEC, what);
}

} // namespace

const char *namespace_name(int type) {
    for (const auto &t : ns_types)
        if (t.flag == type)
            return t.spec;
    return "unknown";
}

const char *namespace_proc_name(int type) {
    for (const auto &t : ns_types)
        if (t.flag == type)
            return t.proc;
    return "unknown";
}

Result<NamespacePlan> plan_namespaces(const nlohmann::json &spec) {
    NamespacePlan plan;
    const nlohmann::json *list = nullptr;
    if (auto l = spec.find("linux"); l != spec.end() && l->is_object())
        if (auto n = l->find("namespaces"); n != l->end() && !n->is_null())
            list = &*n;
    if (list != nullptr && !list->is_array())
        return fail(invalid("config.json: linux.namespaces must be an array"));
    int seen = 0;
    int new_flags = 0;
    bool join_user = false;
    for (const auto &entry : list ? *list : nlohmann::json::array()) {
        if (!entry.is_object() || !entry.contains("type") || !entry["type"].is_string())
            return fail(invalid("config.json: linux.namespaces entries need a string type"));
        std::string name = entry["type"];
        const NsType *t = find_type(name);
        if (t == nullptr)
            return fail(invalid(fmt::format(
                "config.json: linux.namespaces type {} is not supported by driver native "
                "(known: user, pid, mount, network, ipc, uts, cgroup)",
                name)));
        if (seen & t->flag)
            return fail(invalid(fmt::format("config.json: linux.namespaces lists {} twice", name)));
        seen |= t->flag;
        if (entry.contains("path") && !entry["path"].is_string())
            return fail(invalid(
                fmt::format("config.json: linux.namespaces path of {} must be a string", name)));
        std::string path = entry.value("path", std::string());
        if (path.empty()) {
            new_flags |= t->flag;
            continue;
        }
        if (path[0] != '/')
            return fail(invalid(fmt::format(
                "config.json: linux.namespaces path of {} must be absolute, not {}", name, path)));
        JoinedNamespace j;
        j.type = t->flag;
        j.name = name;
        j.path = path;
        if (t->flag == CLONE_NEWUSER) {
            join_user = true;
            plan.joined.insert(plan.joined.begin(), std::move(j));
        } else {
            plan.joined.push_back(std::move(j));
        }
    }
    if (!(seen & CLONE_NEWNS))
        return fail(invalid("config.json: linux.namespaces must include mount: driver native "
                            "always gives a container its own root filesystem"));
    if (join_user && (new_flags & CLONE_NEWPID))
        // TODO(#3): needs a helper process that joins the user namespace before the clone.
        return fail(make_error(BERTH_E_NOT_SUPPORTED,
                               "config.json: a new pid namespace inside a user namespace joined "
                               "by path is not supported by driver native"));
    plan.new_cgroupns = new_flags & CLONE_NEWCGROUP;
    plan.new_userns = new_flags & CLONE_NEWUSER;
    plan.new_netns = new_flags & CLONE_NEWNET;
    plan.new_utsns = new_flags & CLONE_NEWUTS;
    plan.new_mountns = new_flags & CLONE_NEWNS;
    int rest = new_flags & ~CLONE_NEWCGROUP;
    if (join_user)
        plan.unshare_flags = rest;
    else
        plan.clone_flags = rest;
    plan.all_types = seen;
    return plan;
}

Result<> open_joined_namespaces(NamespacePlan &plan) {
    for (auto &j : plan.joined) {
        j.fd.reset(open(j.path.c_str(), O_RDONLY | O_CLOEXEC));
        if (!j.fd)
            return fail(sys_error("open", j.path).in("join " + j.name + " namespace"));
        int type = ioctl(j.fd.get(), NS_GET_NSTYPE);
        if (type < 0)
            return fail(sys_error("query namespace type of", j.path)
                            .in("join " + j.name + " namespace")
                            .with_hint("the path must be a /proc/PID/ns/ entry or a bind mount "
                                       "of one"));
        if (type != j.type)
            return fail(make_error(BERTH_E_INVALID_SPEC,
                                   fmt::format("config.json: linux.namespaces path {} is a {} "
                                               "namespace, not {}",
                                               j.path, namespace_name(type), j.name)));
    }
    return {};
}

Result<std::string> id_map_text(const nlohmann::json &spec, const char *key) {
    std::string text;
    const nlohmann::json &linux_obj = spec.at("linux");
    auto it = linux_obj.find(key);
    if (it == linux_obj.end() || !it->is_array() || it->empty())
        return fail(invalid(fmt::format("config.json: linux.{} must list at least one mapping "
                                        "when a new user namespace is requested",
                                        key)));
    for (const auto &m : *it) {
        if (!m.is_object() || !m.contains("containerID") || !m.contains("hostID") ||
            !m.contains("size") || !m["containerID"].is_number_unsigned() ||
            !m["hostID"].is_number_unsigned() || !m["size"].is_number_unsigned())
            return fail(invalid(fmt::format("config.json: linux.{} entries need unsigned "
                                            "containerID, hostID and size",
                                            key)));
        text += fmt::format("{} {} {}\n", m["containerID"].get<uint32_t>(),
                            m["hostID"].get<uint32_t>(), m["size"].get<uint32_t>());
    }
    return text;
}

Result<> write_id_maps(int pid, const std::string &uid_map, const std::string &gid_map) {
    for (auto [file, text] : {std::pair{"uid_map", &uid_map}, std::pair{"gid_map", &gid_map}}) {
        std::string path = fmt::format("/proc/{}/{}", pid, file);
        UniqueFd fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
        if (!fd)
            return fail(sys_error("open", path).in("map user namespace ids"));
        // The kernel takes a map in one write only.
        if (write(fd.get(), text->data(), text->size()) != static_cast<ssize_t>(text->size()))
            return fail(sys_error("write", path)
                            .in("map user namespace ids")
                            .with_hint("mapped host ids must exist and ranges must not overlap"));
    }
    return {};
}

Result<> bring_loopback_up() {
    UniqueFd sock(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
    if (!sock)
        return fail(sys_error("socket", "NETLINK_ROUTE").in("bring up lo"));
    unsigned index = if_nametoindex("lo");
    if (index == 0)
        return fail(sys_error("find interface", "lo").in("bring up lo"));

    struct {
        nlmsghdr hdr;
        ifinfomsg info;
    } req{};
    req.hdr.nlmsg_len = sizeof(req);
    req.hdr.nlmsg_type = RTM_NEWLINK;
    req.hdr.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    req.hdr.nlmsg_seq = 1;
    req.info.ifi_family = AF_UNSPEC;
    req.info.ifi_index = static_cast<int>(index);
    req.info.ifi_flags = IFF_UP;
    req.info.ifi_change = IFF_UP;
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    if (sendto(sock.get(), &req, sizeof(req), 0, reinterpret_cast<sockaddr *>(&kernel),
               sizeof(kernel)) < 0)
        return fail(sys_error("send RTM_NEWLINK for", "lo").in("bring up lo"));

    // The kernel answers with one NLMSG_ERROR whose error is 0 on success.
    alignas(nlmsghdr) char buf[4096];
    ssize_t n = recv(sock.get(), buf, sizeof(buf), 0);
    if (n < 0)
        return fail(sys_error("receive the RTM_NEWLINK answer for", "lo").in("bring up lo"));
    auto *hdr = reinterpret_cast<nlmsghdr *>(buf);
    if (!NLMSG_OK(hdr, static_cast<unsigned>(n)) || hdr->nlmsg_type != NLMSG_ERROR)
        return fail(
            make_error(BERTH_E_FAILED, "unexpected rtnetlink answer for", "lo").in("bring up lo"));
    auto *err = static_cast<nlmsgerr *>(NLMSG_DATA(hdr));
    if (err->error != 0)
        return fail(sys_error("set up", "lo", -err->error).in("bring up lo"));
    return {};
}

} // namespace berth::native
