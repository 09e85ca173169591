#include "config_translation.hpp"

#include <sys/stat.h>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <set>

namespace berth::lxc {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class Builder {
public:
    explicit Builder(const TranslateContext &ctx) : ctx_(ctx) {}

    Result<LxcConfig> run(const json &spec);

private:
    const TranslateContext &ctx_;
    LxcConfig out_;
    std::set<std::string> namespaces_; // OCI names the spec asks to create
    std::string rootfs_;
    std::string rootfs_mount_;

    void add(std::string key, std::string value) {
        out_.items.emplace_back(std::move(key), std::move(value));
    }

    Result<> check_known(const json &obj, const std::string &prefix,
                         std::initializer_list<const char *> known);
    Result<> root(const json &spec);
    Result<> namespaces(const json &linux);
    Result<> id_mappings(const json &linux);
    Result<> process(const json &proc, const json &spec);
    Result<> capabilities(const json &caps, bool root_user);
    Result<> mounts(const json &spec);
    Result<> masked_and_readonly(const json &linux);
    Result<> devices(const json &linux);
    Result<> resources(const json &res);
    Result<> cgroup_item(const std::string &controller, const std::string &v1_key,
                         const std::string &v1_value, const std::string &v2_key,
                         const std::string &v2_value, const std::string &field);
};

bool has_space(const std::string &s) {
    return std::any_of(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c); });
}

bool non_empty(const json &v) {
    if (v.is_null())
        return false;
    if (v.is_array() || v.is_object() || v.is_string())
        return !v.empty();
    return true;
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

// OCI namespace names onto the identifiers of /proc/PID/ns that LXC's keys use.
const std::map<std::string, std::string> &namespace_names() {
    static const std::map<std::string, std::string> names = {
        {"pid", "pid"}, {"network", "net"}, {"mount", "mnt"},    {"ipc", "ipc"},
        {"uts", "uts"}, {"user", "user"},   {"cgroup", "cgroup"}};
    return names;
}

std::string join(const std::vector<std::string> &v, const char *sep) {
    std::string out;
    for (const auto &s : v)
        out += (out.empty() ? "" : sep) + s;
    return out;
}

} // namespace

Error refuse_field(const std::string &field, const std::string &why) {
    return make_error(BERTH_E_NOT_SUPPORTED,
                      fmt::format("driver lxc cannot honour spec field `{}`: {}", field, why));
}

const std::vector<std::string> &unsupported_fields() {
    // Fields LXC has no setting for; refused whatever their value.
    static const std::vector<std::string> fields = {
        "domainname",
        "hooks",
        "linux.intelRdt",
        "linux.personality",
        "linux.timeOffsets",
        "linux.memoryPolicy",
        "linux.netDevices",
        "linux.rootfsPropagation",
        "linux.mountLabel",
        "linux.seccomp",
        "linux.namespaces[time]",
        "linux.resources.blockIO",
        "linux.resources.hugepageLimits",
        "linux.resources.network",
        "linux.resources.rdma",
        "linux.resources.memory.kernel",
        "linux.resources.memory.kernelTCP",
        "linux.resources.cpu.realtimeRuntime",
        "linux.resources.cpu.realtimePeriod",
        "linux.resources.cpu.idle",
        "process.user.additionalGids",
        "process.user.umask",
        "process.user.username",
        "process.capabilities.ambient",
        "process.capabilities.inheritable",
        "process.ioPriority",
        "process.scheduler",
        "process.execCPUAffinity",
        "process.commandLine",
        "solaris",
        "windows",
        "vm",
        "zos",
    };
    return fields;
}

Result<> Builder::check_known(const json &obj, const std::string &prefix,
                              std::initializer_list<const char *> known) {
    if (!obj.is_object())
        return {};
    for (const auto &[key, value] : obj.items()) {
        std::string path = prefix.empty() ? key : prefix + "." + key;
        bool handled =
            std::any_of(known.begin(), known.end(), [&](const char *k) { return key == k; });
        if (handled || !non_empty(value))
            continue;
        bool listed = std::find(unsupported_fields().begin(), unsupported_fields().end(), path) !=
                      unsupported_fields().end();
        return fail(refuse_field(path, listed ? "LXC has no setting for it"
                                              : "the lxc driver does not know this field"));
    }
    return {};
}

Result<> Builder::root(const json &spec) {
    const json &r = spec.value("root", json::object());
    if (auto ok = check_known(r, "root", {"path", "readonly"}); !ok)
        return ok;
    std::string path = r.value("path", "");
    if (path.empty())
        return fail(make_error(BERTH_E_INVALID_SPEC, "config.json has no root.path"));
    fs::path p(path);
    if (p.is_relative())
        p = fs::path(ctx_.bundle) / p;
    rootfs_ = p.lexically_normal().string();
    if (has_space(rootfs_) || has_space(ctx_.state_dir))
        return fail(refuse_field("root.path", "LXC's configuration cannot hold paths with "
                                              "whitespace"));
    struct stat st {};
    if (::stat(rootfs_.c_str(), &st) != 0)
        return fail(sys_error("root filesystem", rootfs_).with_code(BERTH_E_INVALID_SPEC));
    add("lxc.rootfs.path", "dir:" + rootfs_);
    // The root is mounted below the state directory inside the container's own mount
    // namespace, so the host never sees it and masked or read-only paths can name it.
    rootfs_mount_ = ctx_.state_dir + "/rootfs";
    add("lxc.rootfs.mount", rootfs_mount_);
    if (r.value("readonly", false))
        add("lxc.rootfs.options", "ro");
    return {};
}

Result<> Builder::namespaces(const json &linux) {
    const json &list = linux.value("namespaces", json::array());
    std::vector<std::string> clone;
    for (const auto &ns : list) {
        std::string type = ns.value("type", "");
        auto it = namespace_names().find(type);
        if (it == namespace_names().end())
            return fail(refuse_field("linux.namespaces[" + type + "]",
                                     "LXC cannot create this namespace type"));
        std::string path = ns.value("path", "");
        if (!path.empty()) {
            // LXC joins another process's namespace by pid; a /proc/PID/ns/TYPE path names
            // one, any other nsfs path (a bind mount) has no LXC equivalent.
            unsigned pid = 0;
            char kind[32] = {};
            if (std::sscanf(path.c_str(), "/proc/%u/ns/%31s", &pid, kind) != 2 || pid == 0 ||
                it->second != kind)
                return fail(
                    refuse_field("linux.namespaces[" + type + "].path",
                                 "LXC joins namespaces only as /proc/PID/ns/" + it->second));
            add("lxc.namespace.share." + it->second, std::to_string(pid));
            continue;
        }
        namespaces_.insert(type);
        clone.push_back(it->second);
    }
    if (!namespaces_.contains("mount"))
        return fail(refuse_field("linux.namespaces[mount]",
                                 "LXC always sets the root filesystem up in a new mount "
                                 "namespace; add {\"type\": \"mount\"}"));
    add("lxc.namespace.clone", join(clone, " "));
    // With an explicit clone list LXC creates exactly those namespaces and the container
    // stays in the caller's for the rest, which is what an OCI spec without them means.
    if (namespaces_.contains("network")) {
        if (ctx_.bridge.empty()) {
            add("lxc.net.0.type", "empty");
        } else {
            add("lxc.net.0.type", "veth");
            add("lxc.net.0.link", ctx_.bridge);
            add("lxc.net.0.flags", "up");
        }
    }
    return {};
}

Result<> Builder::id_mappings(const json &linux) {
    bool any = non_empty(linux.value("uidMappings", json::array())) ||
               non_empty(linux.value("gidMappings", json::array()));
    if (!any)
        return {};
    if (!namespaces_.contains("user"))
        return fail(refuse_field("linux.uidMappings", "id mappings need a user namespace"));
    for (const auto &[field, letter] : {std::pair{"uidMappings", "u"}, {"gidMappings", "g"}})
        for (const auto &m : linux.value(field, json::array()))
            add("lxc.idmap", fmt::format("{} {} {} {}", letter, m.value("containerID", 0u),
                                         m.value("hostID", 0u), m.value("size", 0u)));
    return {};
}

Result<> Builder::capabilities(const json &caps, bool root_user) {
    // LXC shapes only the bounding set; the kernel then gives a root init every bounding
    // capability as effective and permitted, and a non-root one none. Specs asking for any
    // other combination cannot be expressed.
    std::vector<std::string> bounding = caps.value("bounding", std::vector<std::string>{});
    for (const char *set : {"effective", "permitted"}) {
        if (!caps.contains(set))
            continue;
        auto wanted = caps[set].get<std::vector<std::string>>();
        auto expect = root_user ? bounding : std::vector<std::string>{};
        std::sort(wanted.begin(), wanted.end());
        std::sort(expect.begin(), expect.end());
        if (wanted != expect)
            return fail(refuse_field(
                std::string("process.capabilities.") + set,
                root_user ? "LXC gives a root process its bounding set as this set; make "
                            "it equal to process.capabilities.bounding"
                          : "LXC gives a non-root process no capabilities; leave it empty"));
    }
    std::vector<std::string> keep;
    for (const auto &cap : bounding) {
        if (cap.rfind("CAP_", 0) != 0)
            return fail(refuse_field("process.capabilities[" + cap + "]", "not a capability name"));
        keep.push_back(lower(cap.substr(4)));
    }
    add("lxc.cap.keep", keep.empty() ? "none" : join(keep, " "));
    return {};
}

Result<> Builder::process(const json &proc, const json &spec) {
    if (auto ok = check_known(proc, "process",
                              {"terminal", "consoleSize", "user", "args", "env", "cwd",
                               "capabilities", "rlimits", "noNewPrivileges", "apparmorProfile",
                               "oomScoreAdj", "selinuxLabel"});
        !ok)
        return ok;
    if (proc.value("terminal", false))
        // TODO(#6): hand a pty master to console_socket through lxc's terminal API.
        return fail(refuse_field("process.terminal", "the lxc driver has no terminal support"));
    out_.argv = proc.value("args", std::vector<std::string>{});
    if (out_.argv.empty())
        return fail(make_error(BERTH_E_INVALID_SPEC, "config.json has no process.args"));
    for (const auto &e : proc.value("env", std::vector<std::string>{}))
        add("lxc.environment", e);
    add("lxc.init.cwd", proc.value("cwd", "/"));

    const json &user = proc.value("user", json::object());
    if (auto ok = check_known(user, "process.user", {"uid", "gid"}); !ok)
        return ok;
    unsigned uid = user.value("uid", 0u);
    add("lxc.init.uid", std::to_string(uid));
    add("lxc.init.gid", std::to_string(user.value("gid", 0u)));

    if (proc.contains("capabilities")) {
        const json &caps = proc["capabilities"];
        if (auto ok =
                check_known(caps, "process.capabilities", {"bounding", "effective", "permitted"});
            !ok)
            return ok;
        if (auto ok = capabilities(caps, uid == 0); !ok)
            return ok;
    } else {
        add("lxc.cap.keep", "none");
    }

    for (const auto &rl : proc.value("rlimits", json::array())) {
        std::string type = rl.value("type", "");
        if (type.rfind("RLIMIT_", 0) != 0)
            return fail(refuse_field("process.rlimits[" + type + "]", "not an rlimit name"));
        add("lxc.prlimit." + lower(type.substr(7)),
            fmt::format("{}:{}", rl.value("soft", 0ull), rl.value("hard", 0ull)));
    }
    if (proc.value("noNewPrivileges", false))
        add("lxc.no_new_privs", "1");
    if (proc.contains("oomScoreAdj"))
        add("lxc.proc.oom_score_adj", std::to_string(proc["oomScoreAdj"].get<int>()));

    std::string profile = proc.value("apparmorProfile", "");
    if (!profile.empty()) {
        struct stat st {};
        if (::stat("/sys/kernel/security/apparmor", &st) != 0)
            return fail(
                refuse_field("process.apparmorProfile", "AppArmor is not enabled on this host"));
        add("lxc.apparmor.profile", profile);
    } else {
        // No profile in the spec means unconfined; LXC would otherwise pick its own.
        add("lxc.apparmor.profile", "unconfined");
    }
    std::string label = proc.value("selinuxLabel", "");
    if (!label.empty())
        add("lxc.selinux.context", label);
    return {};
}

Result<> Builder::mounts(const json &spec) {
    std::vector<std::string> autos;
    for (const auto &m : spec.value("mounts", json::array())) {
        std::string dest = m.value("destination", "");
        std::string field = "mounts[" + dest + "]";
        if (auto ok = check_known(m, field, {"destination", "source", "type", "options"}); !ok)
            return ok;
        if (dest.empty() || dest[0] != '/')
            return fail(make_error(BERTH_E_INVALID_SPEC,
                                   "mount destination must be an absolute path", dest));
        std::string type = m.value("type", "");
        std::string source = m.value("source", "");
        auto options = m.value("options", std::vector<std::string>{});
        if (has_space(dest) || has_space(source))
            return fail(refuse_field(field, "LXC's mount entries cannot hold whitespace"));
        bool ro = std::find(options.begin(), options.end(), "ro") != options.end();
        if (dest == "/dev" && type == "tmpfs") {
            // LXC's autodev mounts a tmpfs on /dev and fills it with the standard nodes.
            add("lxc.autodev", "1");
            continue;
        }
        if (type == "cgroup" || type == "cgroup2") {
            autos.push_back(ro ? "cgroup:ro" : "cgroup:rw");
            continue;
        }
        if (dest == "/dev/pts" && type == "devpts") {
            // A pty limit makes LXC mount a private devpts instance.
            add("lxc.pty.max", "1024");
            continue;
        }
        bool bind = type == "bind" ||
                    std::any_of(options.begin(), options.end(),
                                [](const std::string &o) { return o == "bind" || o == "rbind"; });
        if (bind && !source.empty() && source[0] != '/')
            source = (fs::path(ctx_.bundle) / source).lexically_normal().string();
        if (bind && std::find(options.begin(), options.end(), "rbind") == options.end() &&
            std::find(options.begin(), options.end(), "bind") == options.end())
            options.push_back("bind");
        std::string rel = dest.substr(1);
        std::error_code ec;
        if (!fs::exists(fs::path(rootfs_) / rel, ec)) {
            bool file = bind && fs::exists(source, ec) && !fs::is_directory(source, ec);
            options.push_back(file ? "create=file" : "create=dir");
        }
        add("lxc.mount.entry",
            fmt::format("{} {} {} {} 0 0", source.empty() ? type : source, rel,
                        bind ? "none" : type, options.empty() ? "defaults" : join(options, ",")));
    }
    if (!autos.empty())
        add("lxc.mount.auto", join(autos, " "));
    return {};
}

Result<> Builder::masked_and_readonly(const json &linux) {
    for (const auto &p : linux.value("readonlyPaths", std::vector<std::string>{})) {
        if (p.empty() || p[0] != '/' || has_space(p))
            return fail(refuse_field("linux.readonlyPaths[" + p + "]",
                                     "needs an absolute path without whitespace"));
        add("lxc.mount.entry",
            fmt::format("{}{} {} none rbind,ro,optional 0 0", rootfs_mount_, p, p.substr(1)));
    }
    for (const auto &p : linux.value("maskedPaths", std::vector<std::string>{})) {
        if (p.empty() || p[0] != '/' || has_space(p))
            return fail(refuse_field("linux.maskedPaths[" + p + "]",
                                     "needs an absolute path without whitespace"));
        // What sits there decides the mask: /proc and /sys look as on the host, the rest as
        // in the root filesystem. A path that exists in neither has nothing to hide.
        bool host_view = p.rfind("/proc/", 0) == 0 || p.rfind("/sys/", 0) == 0;
        fs::path probe = host_view ? fs::path(p) : fs::path(rootfs_) / p.substr(1);
        std::error_code ec;
        if (!fs::exists(probe, ec))
            continue;
        if (fs::is_directory(probe, ec))
            add("lxc.mount.entry", fmt::format("tmpfs {} tmpfs ro,optional 0 0", p.substr(1)));
        else
            add("lxc.mount.entry", fmt::format("/dev/null {} none bind,optional 0 0", p.substr(1)));
    }
    return {};
}

Result<> Builder::devices(const json &linux) {
    // autodev creates these; any other node would need a mknod LXC cannot be asked for.
    static const std::set<std::string> standard = {"/dev/null",   "/dev/zero",    "/dev/full",
                                                   "/dev/random", "/dev/urandom", "/dev/tty"};
    for (const auto &d : linux.value("devices", json::array())) {
        std::string path = d.value("path", "");
        if (!standard.contains(path))
            return fail(refuse_field("linux.devices[" + path + "]",
                                     "LXC creates only /dev/null, zero, full, random, urandom "
                                     "and tty"));
    }
    return {};
}

Result<> Builder::cgroup_item(const std::string &controller, const std::string &v1_key,
                              const std::string &v1_value, const std::string &v2_key,
                              const std::string &v2_value, const std::string &field) {
    int version = ctx_.cgroups->version_of(controller);
    if (version == 1 && !v1_key.empty())
        add("lxc.cgroup." + v1_key, v1_value);
    else if (version == 2 && !v2_key.empty())
        add("lxc.cgroup2." + v2_key, v2_value);
    else
        return fail(refuse_field(field, "cgroup controller " + controller +
                                            " is not available on this host"));
    return {};
}

Result<> Builder::resources(const json &res) {
    if (auto ok =
            check_known(res, "linux.resources", {"devices", "memory", "cpu", "pids", "unified"});
        !ok)
        return ok;
    for (const auto &d : res.value("devices", json::array())) {
        bool allow = d.value("allow", false);
        std::string type = d.value("type", "a");
        auto num = [&](const char *k) {
            return d.contains(k) && !d[k].is_null() ? std::to_string(d[k].get<long long>())
                                                    : std::string("*");
        };
        std::string rule = type == "a" ? "a"
                                       : fmt::format("{} {}:{} {}", type, num("major"),
                                                     num("minor"), d.value("access", "rwm"));
        int v = ctx_.cgroups->version_of("devices");
        // cgroup2 has no devices controller file: LXC emulates it with a BPF program.
        std::string prefix = v == 1 ? "lxc.cgroup." : "lxc.cgroup2.";
        add(prefix + (allow ? "devices.allow" : "devices.deny"), rule);
    }
    const json &mem = res.value("memory", json::object());
    if (auto ok = check_known(mem, "linux.resources.memory",
                              {"limit", "reservation", "swap", "swappiness", "disableOOMKiller"});
        !ok)
        return ok;
    auto limit_text = [](long long v) { return v < 0 ? std::string("max") : std::to_string(v); };
    if (mem.contains("limit")) {
        long long v = mem["limit"];
        if (auto ok = cgroup_item("memory", "memory.limit_in_bytes", v < 0 ? "-1" : limit_text(v),
                                  "memory.max", limit_text(v), "linux.resources.memory.limit");
            !ok)
            return ok;
    }
    if (mem.contains("reservation")) {
        long long v = mem["reservation"];
        if (auto ok =
                cgroup_item("memory", "memory.soft_limit_in_bytes", v < 0 ? "-1" : limit_text(v),
                            "memory.low", limit_text(v), "linux.resources.memory.reservation");
            !ok)
            return ok;
    }
    if (mem.contains("swap")) {
        // OCI's swap is memory plus swap, which is v1's memsw; v2 limits swap alone.
        long long swap = mem["swap"];
        long long limit = mem.value("limit", -1ll);
        std::string v2 = swap < 0 || limit < 0 ? "max" : std::to_string(swap - limit);
        if (auto ok = cgroup_item("memory", "memory.memsw.limit_in_bytes",
                                  swap < 0 ? "-1" : std::to_string(swap), "memory.swap.max", v2,
                                  "linux.resources.memory.swap");
            !ok)
            return ok;
    }
    if (mem.contains("swappiness"))
        if (auto ok = cgroup_item("memory", "memory.swappiness",
                                  std::to_string(mem["swappiness"].get<unsigned long long>()), "",
                                  "", "linux.resources.memory.swappiness");
            !ok)
            return ok;
    if (mem.value("disableOOMKiller", false))
        if (auto ok = cgroup_item("memory", "memory.oom_control", "1", "", "",
                                  "linux.resources.memory.disableOOMKiller");
            !ok)
            return ok;

    const json &cpu = res.value("cpu", json::object());
    if (auto ok =
            check_known(cpu, "linux.resources.cpu", {"shares", "quota", "period", "cpus", "mems"});
        !ok)
        return ok;
    if (cpu.contains("shares")) {
        unsigned long long shares = cpu["shares"];
        // The conversion runc and crun use for cpu.weight.
        unsigned long long weight = shares < 2 ? 1 : 1 + ((shares - 2) * 9999) / 262142;
        if (auto ok = cgroup_item("cpu", "cpu.shares", std::to_string(shares), "cpu.weight",
                                  std::to_string(weight), "linux.resources.cpu.shares");
            !ok)
            return ok;
    }
    if (cpu.contains("quota") || cpu.contains("period")) {
        long long quota = cpu.value("quota", -1ll);
        unsigned long long period = cpu.value("period", 100000ull);
        if (cpu.contains("period"))
            if (auto ok = cgroup_item(
                    "cpu", "cpu.cfs_period_us", std::to_string(period), "cpu.max",
                    fmt::format("{} {}", quota < 0 ? "max" : std::to_string(quota), period),
                    "linux.resources.cpu.period");
                !ok)
                return ok;
        if (cpu.contains("quota") && ctx_.cgroups->version_of("cpu") != 2)
            if (auto ok = cgroup_item("cpu", "cpu.cfs_quota_us", std::to_string(quota), "", "",
                                      "linux.resources.cpu.quota");
                !ok)
                return ok;
        if (cpu.contains("quota") && !cpu.contains("period") &&
            ctx_.cgroups->version_of("cpu") == 2)
            add("lxc.cgroup2.cpu.max",
                fmt::format("{} {}", quota < 0 ? "max" : std::to_string(quota), period));
    }
    for (const char *k : {"cpus", "mems"})
        if (!cpu.value(k, "").empty())
            if (auto ok = cgroup_item("cpuset", std::string("cpuset.") + k, cpu[k],
                                      std::string("cpuset.") + k, cpu[k],
                                      std::string("linux.resources.cpu.") + k);
                !ok)
                return ok;

    const json &pids = res.value("pids", json::object());
    if (pids.contains("limit")) {
        long long v = pids["limit"];
        std::string text = v <= 0 ? "max" : std::to_string(v);
        if (auto ok = cgroup_item("pids", "pids.max", text, "pids.max", text,
                                  "linux.resources.pids.limit");
            !ok)
            return ok;
    }
    // Held in a variable: items() of a temporary would outlive it in the loop.
    const json unified = res.value("unified", json::object());
    for (const auto &[key, value] : unified.items()) {
        if (ctx_.cgroups->version_of(key.substr(0, key.find('.'))) != 2)
            return fail(refuse_field("linux.resources.unified[" + key + "]",
                                     "its controller is not on the cgroup2 hierarchy here"));
        add("lxc.cgroup2." + key, value.get<std::string>());
    }
    return {};
}

Result<LxcConfig> Builder::run(const json &spec) {
    if (auto ok = check_known(
            spec, "",
            {"ociVersion", "process", "root", "hostname", "mounts", "linux", "annotations"});
        !ok)
        return fail(std::move(ok.error()));
    const json &linux = spec.value("linux", json::object());
    if (auto ok = check_known(linux, "linux",
                              {"namespaces", "uidMappings", "gidMappings", "devices", "cgroupsPath",
                               "resources", "sysctl", "maskedPaths", "readonlyPaths"});
        !ok)
        return fail(std::move(ok.error()));

    // No log file here: the monitor alone sets one (monitor_process.cpp). No console: stdio
    // is the caller's, handed to init as fds 0-2.
    add("lxc.console.path", "none");
    add("lxc.tty.max", "0");
    add("lxc.autodev", "0");

    if (auto ok = root(spec); !ok)
        return fail(std::move(ok.error()));
    if (auto ok = namespaces(linux); !ok)
        return fail(std::move(ok.error()));
    if (auto ok = id_mappings(linux); !ok)
        return fail(std::move(ok.error()));

    std::string hostname = spec.value("hostname", "");
    if (!hostname.empty()) {
        if (!namespaces_.contains("uts"))
            return fail(make_error(BERTH_E_INVALID_SPEC,
                                   "hostname needs a uts namespace in linux.namespaces"));
        add("lxc.uts.name", hostname);
    }
    if (auto ok = process(spec.value("process", json::object()), spec); !ok)
        return fail(std::move(ok.error()));
    if (auto ok = mounts(spec); !ok)
        return fail(std::move(ok.error()));
    if (auto ok = masked_and_readonly(linux); !ok)
        return fail(std::move(ok.error()));
    if (auto ok = devices(linux); !ok)
        return fail(std::move(ok.error()));
    const json sysctl = linux.value("sysctl", json::object());
    for (const auto &[key, value] : sysctl.items())
        add("lxc.sysctl." + key, value.get<std::string>());

    // The container's cgroup is exactly cgroupsPath; LXC's monitor gets siblings of it so
    // that delete finds and removes all three.
    std::string cg = linux.value("cgroupsPath", "");
    size_t start = cg.find_first_not_of('/');
    cg = start == std::string::npos ? "berth/" + ctx_.id : cg.substr(start);
    if (cg.find(':') != std::string::npos)
        return fail(refuse_field("linux.cgroupsPath",
                                 "systemd slice:prefix:name paths need a systemd cgroup "
                                 "manager, which LXC does not offer"));
    out_.cgroup_path = cg;
    out_.monitor_cgroup = cg + ".lxc-monitor";
    out_.pivot_cgroup = cg + ".lxc-pivot";
    add("lxc.cgroup.dir.container", out_.cgroup_path);
    add("lxc.cgroup.dir.monitor", out_.monitor_cgroup);
    add("lxc.cgroup.dir.monitor.pivot", out_.pivot_cgroup);
    if (auto ok = resources(linux.value("resources", json::object())); !ok)
        return fail(std::move(ok.error()));
    return std::move(out_);
}

Result<LxcConfig> translate_spec(const nlohmann::json &spec, const TranslateContext &ctx) {
    return Builder(ctx).run(spec);
}

} // namespace berth::lxc
