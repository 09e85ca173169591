#include "nspawn_command.hpp"

#include "sys_failure.hpp"

#include <nlohmann/json.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <sstream>

namespace nspawn_driver {
namespace {

using berth::sdk::Failure;
using nlohmann::json;

// systemd-nspawn always gives the container these; "network" only with --private-network.
const std::vector<std::string> always_namespaces = {"mount", "pid", "uts", "ipc"};

// The value at a dotted path, or null.
const json &at_path(const json &j, const std::string &path) {
    static const json none;
    const json *cur = &j;
    std::istringstream parts(path);
    std::string key;
    while (std::getline(parts, key, '.')) {
        if (!cur->is_object())
            return none;
        auto it = cur->find(key);
        if (it == cur->end())
            return none;
        cur = &*it;
    }
    return *cur;
}

// Absent, null, false and empty values ask for nothing (the host's rule as well).
bool is_used(const json &v) {
    if (v.is_null() || (v.is_boolean() && !v.get<bool>()))
        return false;
    if (v.is_string() || v.is_array() || v.is_object())
        return !v.empty();
    return true;
}

std::string join(const std::vector<std::string> &items) {
    std::string out;
    for (const auto &i : items)
        out += (out.empty() ? "" : ", ") + i;
    return out;
}

Failure invalid(const std::string &what) {
    return Failure(BERTH_E_INVALID_SPEC, "config.json: " + what);
}

void refuse_unsupported(const json &spec) {
    std::vector<std::string> used;
    for (const auto &f : unsupported_fields())
        if (is_used(at_path(spec, f)))
            used.push_back(f);
    for (const auto &ns : at_path(spec, "linux.namespaces")) {
        const std::string type = ns.is_object() ? ns.value("type", "") : "";
        const bool known = type == "network" ||
                           std::find(always_namespaces.begin(), always_namespaces.end(), type) !=
                               always_namespaces.end();
        if (!known)
            used.push_back("linux.namespaces[" + type + "]");
        else if (ns.is_object() && is_used(ns.value("path", json())))
            used.push_back("linux.namespaces[" + type + "].path");
    }
    if (!used.empty())
        throw Failure(BERTH_E_NOT_SUPPORTED,
                      "config.json asks for " + join(used) +
                          ", which driver nspawn cannot provide through systemd-nspawn (hint: "
                          "remove them from the spec, or use driver native)");
}

std::string rootfs_of(const json &spec, const std::string &bundle) {
    const json &path = at_path(spec, "root.path");
    if (!path.is_string() || path.get<std::string>().empty())
        throw invalid("root.path is missing or not a string");
    std::string rootfs = path.get<std::string>();
    if (rootfs.front() != '/')
        rootfs = bundle + "/" + rootfs;
    struct stat st;
    if (::stat(rootfs.c_str(), &st) != 0)
        throw sys_failure("config.json: root.path", rootfs);
    if (!S_ISDIR(st.st_mode))
        throw invalid("root.path `" + rootfs + "` is not a directory");
    // systemd-nspawn accepts a directory as an OS tree only with an os-release file.
    if (::access((rootfs + "/etc/os-release").c_str(), F_OK) != 0 &&
        ::access((rootfs + "/usr/lib/os-release").c_str(), F_OK) != 0)
        throw Failure(BERTH_E_INVALID_SPEC,
                      "config.json: root.path `" + rootfs +
                          "` has neither /etc/os-release nor /usr/lib/os-release, which "
                          "systemd-nspawn requires of a container's root (hint: add one, e.g. "
                          "a line ID=NAME)");
    return rootfs;
}

// systemd-nspawn takes the user by name from the container's user database and sets its
// primary group from it, so the spec's uid and gid must be one passwd entry.
std::string user_option(const json &user, const std::string &rootfs) {
    const auto uid = user.is_object() ? user.value("uid", std::int64_t{0}) : 0;
    const auto gid = user.is_object() ? user.value("gid", std::int64_t{0}) : 0;
    if (uid == 0 && gid == 0)
        return {};
    const std::string passwd = rootfs + "/etc/passwd";
    std::ifstream in(passwd);
    std::string line;
    while (std::getline(in, line)) {
        std::vector<std::string> f;
        std::istringstream fields(line);
        std::string field;
        while (std::getline(fields, field, ':'))
            f.push_back(field);
        if (f.size() >= 4 && f[2] == std::to_string(uid) && f[3] == std::to_string(gid))
            return "--user=" + f[0];
    }
    throw Failure(BERTH_E_NOT_SUPPORTED,
                  "config.json: process.user: uid " + std::to_string(uid) + " with gid " +
                      std::to_string(gid) + " is not an entry of `" + passwd +
                      "`; systemd-nspawn selects users by name from the container's user "
                      "database (hint: add the user there, or use its primary group)");
}

std::string rlimit_value(const json &v) {
    if (!v.is_number_unsigned() && !v.is_number_integer())
        throw invalid("process.rlimits: soft and hard must be numbers");
    const auto n = v.get<std::uint64_t>();
    return n == UINT64_MAX ? std::string("infinity") : std::to_string(n);
}

void add_process_options(const json &process, const std::string &rootfs,
                         std::vector<std::string> &argv) {
    const json &cwd = at_path(process, "cwd");
    if (cwd.is_string()) {
        if (cwd.get<std::string>().empty() || cwd.get<std::string>().front() != '/')
            throw invalid("process.cwd must be an absolute path");
        argv.push_back("--chdir=" + cwd.get<std::string>());
    }

    for (const auto &e : at_path(process, "env")) {
        if (!e.is_string() || e.get<std::string>().find('=') == std::string::npos)
            throw invalid("process.env entries must be strings NAME=VALUE");
        argv.push_back("--setenv=" + e.get<std::string>());
    }

    if (auto user = user_option(at_path(process, "user"), rootfs); !user.empty())
        argv.push_back(user);

    for (const auto &l : at_path(process, "rlimits")) {
        if (!l.is_object() || !l.value("type", json()).is_string())
            throw invalid("process.rlimits entries need a type");
        argv.push_back("--rlimit=" + l["type"].get<std::string>() + "=" +
                       rlimit_value(l.value("soft", json())) + ":" +
                       rlimit_value(l.value("hard", json())));
    }

    if (is_used(at_path(process, "noNewPrivileges")))
        argv.push_back("--no-new-privileges=yes");

    const json &oom = at_path(process, "oomScoreAdj");
    if (oom.is_number_integer())
        argv.push_back("--oom-score-adjust=" + std::to_string(oom.get<int>()));
}

bool is_machine_name(const std::string &id) {
    return !id.empty() && id.size() <= 64 && id.front() != '.' && id.front() != '-' &&
           std::all_of(id.begin(), id.end(), [](char c) {
               return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.';
           });
}

} // namespace

const std::vector<std::string> &unsupported_fields() {
    static const std::vector<std::string> fields = {
        "domainname",
        "mounts",
        "hooks",
        "process.terminal",
        "process.consoleSize",
        "process.capabilities",
        "process.apparmorProfile",
        "process.selinuxLabel",
        "process.scheduler",
        "process.ioPriority",
        "process.execCPUAffinity",
        "process.user.additionalGids",
        "process.user.umask",
        "process.user.username",
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
    json doc = {{"ociVersionMin", "1.0.0"},
                {"ociVersionMax", "1.2.0"},
                {"hooks", json::array()},
                {"mountOptions", json::array()},
                {"linux",
                 {{"namespaces", {"mount", "pid", "uts", "ipc", "network"}},
                  {"capabilities", json::array()},
                  {"cgroup",
                   {{"v1", false},
                    {"v2", false},
                    {"systemd", false},
                    {"systemdUser", false},
                    {"rdma", false}}},
                  {"seccomp", {{"enabled", false}}},
                  {"apparmor", {{"enabled", false}}},
                  {"selinux", {{"enabled", false}}},
                  {"intelRdt", {{"enabled", false}}},
                  {"mountExtensions", {{"idmap", {{"enabled", false}}}}}}},
                {"annotations",
                 {{"org.berth.unsupported", json(unsupported_fields()).dump()},
                  {"org.berth.isolation",
                   "systemd-nspawn: the container always gets mount, pid, uts and ipc namespaces "
                   "(a network namespace only when the spec lists one), systemd-nspawn's own "
                   "capability set, device list and /proc, /sys, /dev mounts; its user's "
                   "supplementary groups come from the container's /etc/group"}}}};
    return doc.dump(2) + "\n";
}

NspawnCommand nspawn_command(const std::string &config_json, const std::string &bundle,
                             const std::string &id, const std::string &nspawn_binary) {
    json spec = json::parse(config_json, nullptr, false);
    if (spec.is_discarded() || !spec.is_object())
        throw invalid("not a JSON object");

    refuse_unsupported(spec);

    if (!is_machine_name(id))
        throw Failure(BERTH_E_INVALID_ARGUMENT,
                      "container id `" + id +
                          "` is not a valid systemd-nspawn machine name "
                          "(letters, digits, '-', '_' and '.', at most 64, not starting with "
                          "'-' or '.')");

    const json &process = at_path(spec, "process");
    const json &args = at_path(process, "args");
    if (!args.is_array() || args.empty())
        throw invalid("process.args is missing or empty");

    NspawnCommand cmd;
    cmd.rootfs = rootfs_of(spec, bundle);
    auto &argv = cmd.argv;
    // No service manager is asked for anything (--register=no, --keep-unit), no host
    // settings file or host file is copied into the root (--settings, --resolv-conf,
    // --timezone, --link-journal), and the container's stdio is the caller's (--console).
    argv = {nspawn_binary,
            "--quiet",
            "--register=no",
            "--keep-unit",
            "--as-pid2",
            "--settings=no",
            "--console=pipe",
            "--resolv-conf=off",
            "--timezone=off",
            "--link-journal=no",
            "--directory=" + cmd.rootfs,
            "--machine=" + id};
    if (is_used(at_path(spec, "root.readonly")))
        argv.push_back("--read-only");
    if (const json &h = at_path(spec, "hostname"); is_used(h) && h.is_string())
        argv.push_back("--hostname=" + h.get<std::string>());
    for (const auto &ns : at_path(spec, "linux.namespaces"))
        if (ns.value("type", "") == "network")
            argv.push_back("--private-network");

    add_process_options(process, cmd.rootfs, argv);

    argv.push_back("--");
    for (const auto &a : args) {
        if (!a.is_string())
            throw invalid("process.args entries must be strings");
        argv.push_back(a.get<std::string>());
    }
    return cmd;
}

} // namespace nspawn_driver
