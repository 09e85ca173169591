#include "spec_support.hpp"

#include "proc_status.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <linux/capability.h>
#include <sys/resource.h>

namespace berth::chroot {
namespace {

// Members that are booleans: only `true` asks for something (false is the default).
bool asks_for(const oci::Spec &spec, const std::string &field) {
    if (field == "root.readonly" || field == "process.terminal") {
        auto dot = field.find('.');
        const auto &j = spec.json();
        auto outer = j.find(field.substr(0, dot));
        if (outer == j.end() || !outer->is_object())
            return false;
        auto inner = outer->find(field.substr(dot + 1));
        return inner != outer->end() && !(inner->is_boolean() && !inner->get<bool>()) &&
               !inner->is_null();
    }
    return spec.uses(field);
}

std::string limit_text(rlim_t v) {
    return v == RLIM_INFINITY ? std::string("unlimited") : std::to_string(v);
}

} // namespace

const std::vector<std::string> &unsupported_fields() {
    static const std::vector<std::string> fields = {
        "hostname",
        "domainname",
        "mounts",
        "hooks",
        "root.readonly",
        "process.terminal",
        "process.consoleSize",
        "process.capabilities",
        "process.apparmorProfile",
        "process.selinuxLabel",
        "process.scheduler",
        "process.ioPriority",
        "process.execCPUAffinity",
        "linux.namespaces",
        "linux.uidMappings",
        "linux.gidMappings",
        "linux.timeOffsets",
        "linux.devices",
        "linux.cgroupsPath",
        "linux.resources",
        "linux.rootfsPropagation",
        "linux.seccomp",
        "linux.sysctl",
        "linux.maskedPaths",
        "linux.readonlyPaths",
        "linux.mountLabel",
        "linux.intelRdt",
        "linux.personality",
        "linux.netDevices",
        "linux.memoryPolicy",
        "solaris",
        "windows",
        "vm",
        "zos",
    };
    return fields;
}

std::string features_document() {
    using nlohmann::json;
    json doc = {
        {"ociVersionMin", "1.0.0"},
        {"ociVersionMax", "1.2.0"},
        {"hooks", json::array()},
        {"mountOptions", json::array()},
        {"linux",
         {{"namespaces", json::array()},
          {"capabilities", json::array()},
          {"cgroup",
           {{"v1", false}, {"v2", false}, {"systemd", false}, {"systemdUser", false},
            {"rdma", false}}},
          {"seccomp", {{"enabled", false}}},
          {"apparmor", {{"enabled", false}}},
          {"selinux", {{"enabled", false}}},
          {"intelRdt", {{"enabled", false}}},
          {"mountExtensions", {{"idmap", {{"enabled", false}}}}}}},
        {"annotations",
         {{"org.berth.unsupported", json(unsupported_fields()).dump()},
          {"org.berth.isolation",
           "none: the container shares the host's namespaces, cgroups, devices and "
           "capabilities; only the root directory, credentials, rlimits and environment "
           "change"}}}};
    return doc.dump(2) + "\n";
}

Result<> refuse_unsupported(const oci::Spec &spec) {
    std::vector<std::string> used;
    for (const auto &f : unsupported_fields())
        if (asks_for(spec, f))
            used.push_back(f);
    if (used.empty())
        return {};
    return fail(make_error(BERTH_E_NOT_SUPPORTED,
                           fmt::format("{} asks for {}, which driver chroot cannot provide (it "
                                       "gives no isolation)",
                                       spec.doc(), fmt::join(used, ", ")))
                    .with_hint("remove them from the spec, or set "
                               "drivers.chroot.ignore_unsupported: true in berth.yaml to run "
                               "without them"));
}

Result<> check_rlimits(const oci::Process &process) {
    const bool may_raise = has_effective_capability(CAP_SYS_RESOURCE);
    for (const auto &l : process.rlimits) {
        rlimit cur{};
        if (::getrlimit(l.resource, &cur) != 0)
            return fail(sys_error("getrlimit", l.type));
        if (may_raise || cur.rlim_max == RLIM_INFINITY || l.hard <= cur.rlim_max)
            continue;
        return fail(make_error(BERTH_E_PERMISSION,
                               fmt::format("{}: process.rlimits: cannot raise the hard limit of "
                                           "{} from {} to {} without CAP_SYS_RESOURCE",
                                           "config.json", l.type, limit_text(cur.rlim_max),
                                           limit_text(l.hard)))
                        .with_hint("lower the hard limit in config.json, or run berth with "
                                   "CAP_SYS_RESOURCE"));
    }
    return {};
}

} // namespace berth::chroot
