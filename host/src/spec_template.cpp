#include "spec_template.hpp"

#include <berth/common/default_capabilities.hpp>
#include <berth/common/default_seccomp.hpp>

#include <string>
#include <vector>

namespace berth::host {

namespace {

using nlohmann::json;

json mount(const std::string &dest, const std::string &type, const std::string &source,
           std::vector<std::string> options) {
    json m = {{"destination", dest}, {"type", type}, {"source", source}};
    if (!options.empty())
        m["options"] = options;
    return m;
}

json default_mounts() {
    return json::array({
        mount("/proc", "proc", "proc", {}),
        mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}),
        mount("/dev/pts", "devpts", "devpts",
              {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}),
        mount("/dev/shm", "tmpfs", "shm",
              {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}),
        mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}),
        mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}),
        mount("/sys/fs/cgroup", "cgroup", "cgroup",
              {"nosuid", "noexec", "nodev", "relatime", "ro"}),
    });
}

// Without privileges a sysfs cannot be mounted in a user namespace that does not own the
// network namespace, and uid=/gid= options name ids the namespace may not map.
void make_rootless(json &spec, unsigned uid, unsigned gid) {
    json namespaces = json::array();
    for (const auto &ns : spec["linux"]["namespaces"])
        if (ns["type"] != "network" && ns["type"] != "user")
            namespaces.push_back(ns);
    namespaces.push_back({{"type", "user"}});
    spec["linux"]["namespaces"] = namespaces;
    spec["linux"]["uidMappings"] =
        json::array({{{"containerID", 0}, {"hostID", uid}, {"size", 1}}});
    spec["linux"]["gidMappings"] =
        json::array({{{"containerID", 0}, {"hostID", gid}, {"size", 1}}});

    json mounts = json::array();
    for (auto m : spec["mounts"]) {
        if (m["destination"] == "/sys") {
            mounts.push_back(
                mount("/sys", "none", "/sys", {"rbind", "nosuid", "noexec", "nodev", "ro"}));
            continue;
        }
        if (m.contains("options")) {
            json kept = json::array();
            for (const auto &o : m["options"]) {
                const std::string s = o.get<std::string>();
                if (s.rfind("uid=", 0) != 0 && s.rfind("gid=", 0) != 0)
                    kept.push_back(s);
            }
            m["options"] = kept;
        }
        mounts.push_back(m);
    }
    spec["mounts"] = mounts;
    spec["linux"].erase("resources");
}

} // namespace

nlohmann::json default_spec(bool rootless, unsigned uid, unsigned gid) {
    json caps = default_capability_names();
    json spec = {
        {"ociVersion", oci_version},
        {"process",
         {{"terminal", true},
          {"user", {{"uid", 0}, {"gid", 0}}},
          {"args", {"sh"}},
          {"env",
           {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"}},
          {"cwd", "/"},
          {"capabilities", {{"bounding", caps}, {"effective", caps}, {"permitted", caps}}},
          {"rlimits", json::array({{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}})},
          {"noNewPrivileges", true}}},
        {"root", {{"path", "rootfs"}, {"readonly", true}}},
        {"hostname", "berth"},
        {"mounts", default_mounts()},
        {"linux",
         {{"resources", {{"devices", json::array({{{"allow", false}, {"access", "rwm"}}})}}},
          {"namespaces", json::array({{{"type", "pid"}},
                                      {{"type", "network"}},
                                      {{"type", "ipc"}},
                                      {{"type", "uts"}},
                                      {{"type", "mount"}}})},
          {"maskedPaths",
           {"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
            "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
            "/proc/scsi"}},
          {"readonlyPaths",
           {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}},
          {"seccomp", default_seccomp_profile()}}}};
    if (rootless)
        make_rootless(spec, uid, gid);
    return spec;
}

} // namespace berth::host
