#include "spec_probe.hpp"

#include <map>
#include <vector>

namespace berth::check {
namespace {

using nlohmann::json;

// A value for each spec member the checker can ask for by path: valid by the OCI schema, so a
// driver that refuses it refuses the field, not a malformed value.
const std::map<std::string, json> &samples() {
    static const std::map<std::string, json> m = {
        {"hostname", "berth-check"},
        {"domainname", "berth-check"},
        {"mounts",
         json::array({{{"destination", "/mnt"}, {"type", "tmpfs"}, {"source", "tmpfs"}}})},
        {"hooks", {{"prestart", json::array({{{"path", "/bin/true"}}})}}},
        {"process.terminal", true},
        {"process.consoleSize", {{"height", 24}, {"width", 80}}},
        {"process.rlimits",
         json::array({{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}})},
        {"process.noNewPrivileges", true},
        {"process.oomScoreAdj", 100},
        {"process.apparmorProfile", "berth-driver-check"},
        {"process.selinuxLabel", "system_u:system_r:container_t:s0"},
        {"process.capabilities", {{"bounding", json::array({"CAP_KILL"})}}},
        {"process.ioPriority", {{"class", "IOPRIO_CLASS_IDLE"}, {"priority", 0}}},
        {"process.scheduler", {{"policy", "SCHED_OTHER"}}},
        {"process.execCPUAffinity", {{"initial", "0"}}},
        {"process.user.additionalGids", json::array({1})},
        {"process.user.umask", 18},
        {"linux.sysctl", {{"kernel.shmmni", "4096"}}},
        {"linux.resources", {{"pids", {{"limit", 64}}}}},
        {"linux.resources.memory", {{"limit", 67108864}}},
        {"linux.resources.cpu", {{"shares", 512}}},
        {"linux.resources.pids", {{"limit", 64}}},
        {"linux.resources.blockIO", {{"weight", 100}}},
        {"linux.resources.hugepageLimits", json::array({{{"pageSize", "2MB"}, {"limit", 0}}})},
        {"linux.resources.devices", json::array({{{"allow", false}, {"access", "rwm"}}})},
        {"linux.resources.network", {{"classID", 1}}},
        {"linux.resources.unified", {{"pids.max", "64"}}},
        {"linux.devices",
         json::array({{{"path", "/dev/berth-check"}, {"type", "c"}, {"major", 1}, {"minor", 3}}})},
        {"linux.uidMappings",
         json::array({{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}})},
        {"linux.gidMappings",
         json::array({{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}})},
        {"linux.maskedPaths", json::array({"/proc/kcore"})},
        {"linux.readonlyPaths", json::array({"/proc/sys"})},
        {"linux.rootfsPropagation", "private"},
        {"linux.mountLabel", "system_u:object_r:container_file_t:s0"},
        {"linux.seccomp", {{"defaultAction", "SCMP_ACT_ALLOW"}}},
        {"linux.intelRdt", {{"closID", "berth-check"}}},
        {"linux.personality", {{"domain", "LINUX"}}},
        {"linux.timeOffsets", {{"monotonic", {{"secs", 1}, {"nanosecs", 0}}}}},
    };
    return m;
}

const char *const kNamespaces[] = {"pid",   "network", "ipc",    "uts",
                                   "mount", "user",    "cgroup", "time"};
const char *const kCapabilities[] = {"CAP_SYS_ADMIN", "CAP_NET_ADMIN", "CAP_SYS_MODULE",
                                     "CAP_SYS_TIME",  "CAP_BPF",       "CAP_PERFMON",
                                     "CAP_KILL"};
const char *const kMountOptions[] = {"rro",          "idmap",       "ridmap", "nosymfollow",
                                     "rnosymfollow", "strictatime", "ratime"};
const char *const kHooks[] = {"prestart",       "createRuntime", "createContainer",
                              "startContainer", "poststart",     "poststop"};

void set_path(json &doc, const std::string &path, const json &value) {
    json *at = &doc;
    size_t start = 0;
    for (;;) {
        size_t dot = path.find('.', start);
        std::string key = path.substr(start, dot == std::string::npos ? dot : dot - start);
        if (dot == std::string::npos) {
            (*at)[key] = value;
            return;
        }
        if (!(*at)[key].is_object())
            (*at)[key] = json::object();
        at = &(*at)[key];
        start = dot + 1;
    }
}

bool lists(const json &features, const json::json_pointer &where, const std::string &item) {
    if (!features.contains(where) || !features.at(where).is_array())
        return true; // not declared as a list: no basis to call the item undeclared
    for (const auto &v : features.at(where))
        if (v.is_string() && v.get<std::string>() == item)
            return true;
    return false;
}

bool disabled(const json &features, const json::json_pointer &where) {
    return features.contains(where) && features.at(where).is_boolean() &&
           !features.at(where).get<bool>();
}

std::optional<json> add_namespace(json config, const std::string &ns) {
    config["linux"]["namespaces"].push_back({{"type", ns}});
    return config;
}

// Builds a config asking for `path` (field-path notation), or nothing when the checker has no
// sample for it.
std::optional<json> with_path(const json &base, const std::string &path) {
    const std::string ns_prefix = "linux.namespaces[";
    const std::string cap_prefix = "process.capabilities[";
    if (path.starts_with(ns_prefix) && path.ends_with("]"))
        return add_namespace(base,
                             path.substr(ns_prefix.size(), path.size() - ns_prefix.size() - 1));
    if (path.starts_with(cap_prefix) && path.ends_with("]")) {
        std::string cap = path.substr(cap_prefix.size(), path.size() - cap_prefix.size() - 1);
        json config = base;
        for (const char *set : {"bounding", "effective", "permitted"})
            config["process"]["capabilities"][set] = json::array({cap});
        return config;
    }
    if (path.starts_with("hooks.")) {
        json config = base;
        config["hooks"][path.substr(6)] = json::array({{{"path", "/bin/true"}}});
        return config;
    }
    auto it = samples().find(path);
    if (it == samples().end())
        return std::nullopt;
    json config = base;
    set_path(config, path, it->second);
    return config;
}

std::vector<std::string> listed_unsupported(const json &features) {
    std::vector<std::string> out;
    json::json_pointer where("/annotations/org.berth.unsupported");
    if (!features.contains(where))
        return out;
    json list = features.at(where);
    if (list.is_string())
        list = json::parse(list.get<std::string>(), nullptr, false);
    if (!list.is_array())
        return out;
    for (const auto &v : list)
        if (v.is_string())
            out.push_back(v.get<std::string>());
    return out;
}

} // namespace

json base_config(const json &features, const std::filesystem::path &rootfs) {
    std::string version = "1.0.2";
    if (features.contains("ociVersionMax") && features["ociVersionMax"].is_string())
        version = features["ociVersionMax"].get<std::string>();
    json config = {
        {"ociVersion", version},
        {"root", {{"path", rootfs.string()}, {"readonly", true}}},
        {"process",
         {{"terminal", false},
          {"user", {{"uid", 0}, {"gid", 0}}},
          {"args", json::array({"/bin/true"})},
          {"env", json::array({"PATH=/usr/sbin:/usr/bin:/sbin:/bin"})},
          {"cwd", "/"}}},
        {"linux", {{"namespaces", json::array()}}},
    };
    if (lists(features, json::json_pointer("/linux/namespaces"), "mount"))
        config["linux"]["namespaces"].push_back({{"type", "mount"}});
    return config;
}

std::optional<UndeclaredField> undeclared_field(const json &features,
                                                const std::filesystem::path &rootfs) {
    const json base = base_config(features, rootfs);
    for (const auto &path : listed_unsupported(features))
        if (auto config = with_path(base, path))
            return UndeclaredField{path, std::move(*config)};

    for (const char *ns : kNamespaces)
        if (!lists(features, json::json_pointer("/linux/namespaces"), ns))
            return UndeclaredField{std::string("linux.namespaces[") + ns + "]",
                                   *add_namespace(base, ns)};
    for (const char *cap : kCapabilities)
        if (!lists(features, json::json_pointer("/linux/capabilities"), cap))
            return UndeclaredField{
                std::string("process.capabilities[") + cap + "]",
                *with_path(base, std::string("process.capabilities[") + cap + "]")};
    if (disabled(features, json::json_pointer("/linux/seccomp/enabled")))
        return UndeclaredField{"linux.seccomp", *with_path(base, "linux.seccomp")};
    if (disabled(features, json::json_pointer("/linux/apparmor/enabled")))
        return UndeclaredField{"process.apparmorProfile",
                               *with_path(base, "process.apparmorProfile")};
    if (disabled(features, json::json_pointer("/linux/selinux/enabled")))
        return UndeclaredField{"process.selinuxLabel", *with_path(base, "process.selinuxLabel")};
    for (const char *opt : kMountOptions)
        if (!lists(features, json::json_pointer("/mountOptions"), opt)) {
            json config = base;
            config["mounts"] = json::array({{{"destination", "/mnt"},
                                             {"type", "tmpfs"},
                                             {"source", "tmpfs"},
                                             {"options", json::array({opt})}}});
            return UndeclaredField{std::string("mounts[/mnt].options[") + opt + "]", config};
        }
    for (const char *hook : kHooks)
        if (!lists(features, json::json_pointer("/hooks"), hook))
            return UndeclaredField{std::string("hooks.") + hook,
                                   *with_path(base, std::string("hooks.") + hook)};
    return std::nullopt;
}

} // namespace berth::check
