#include "features.hpp"

#include "config_translation.hpp"

#include <nlohmann/json.hpp>

#include <linux/capability.h>

namespace berth::lxc {

namespace {

std::vector<std::string> capability_names() {
    static const char *names[] = {
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
        "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
        "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
        "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
        "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
        "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
        "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
        "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
        "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE"};
    return {std::begin(names), std::end(names)};
}

} // namespace

std::string features_document() {
    using nlohmann::json;
    json doc = {
        {"ociVersionMin", "1.0.0"},
        {"ociVersionMax", "1.2.0"},
        {"hooks", json::array()},
        {"mountOptions",
         {"async",      "atime",      "bind",        "defaults",   "dev",
          "diratime",   "dirsync",    "exec",        "mand",       "noatime",
          "nodev",      "nodiratime", "noexec",      "nomand",     "norelatime",
          "nostrictatime", "nosuid",  "private",     "rbind",      "relatime",
          "remount",    "ro",         "rprivate",    "rshared",    "rslave",
          "runbindable", "rw",        "shared",      "slave",      "strictatime",
          "suid",       "sync",       "unbindable"}},
        {"linux",
         {{"namespaces", {"cgroup", "ipc", "mount", "network", "pid", "user", "uts"}},
          {"capabilities", capability_names()},
          {"cgroup",
           {{"v1", true}, {"v2", true}, {"systemd", false}, {"systemdUser", false},
            {"rdma", false}}},
          {"seccomp", {{"enabled", false}}},
          {"apparmor", {{"enabled", true}}},
          {"selinux", {{"enabled", true}}},
          {"intelRdt", {{"enabled", false}}}}},
        {"annotations",
         {{"org.berth.unsupported", json(unsupported_fields()).dump()},
          {"org.berth.driver", "lxc"}}}};
    return doc.dump(2);
}

} // namespace berth::lxc
