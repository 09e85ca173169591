#include "rootfs.hpp"

#include "devices.hpp"
#include "mounts.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <climits>
#include <cstdlib>

namespace berth::native {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const json &field(const json &obj, const char *key) {
    static const json null;
    if (!obj.is_object())
        return null;
    auto it = obj.find(key);
    return it == obj.end() ? null : *it;
}

// The linux.namespaces entry of `type`, or nullptr when the container shares the host's.
const json *find_namespace(const json &spec, const std::string &type) {
    for (const auto &ns : field(field(spec, "linux"), "namespaces"))
        if (ns.is_object() && ns.value("type", "") == type)
            return &ns;
    return nullptr;
}

bool new_namespace(const json &spec, const std::string &type) {
    const json *ns = find_namespace(spec, type);
    return ns != nullptr && ns->value("path", "").empty();
}

Result<fs::path> rootfs_path(const json &spec, const fs::path &bundle) {
    const json &root = field(spec, "root");
    std::string path = field(root, "path").is_string() ? field(root, "path").get<std::string>()
                                                        : "";
    if (path.empty())
        return fail(make_error(BERTH_E_INVALID_SPEC, "config.json has no root.path"));
    fs::path p = path;
    if (p.is_relative())
        p = bundle / p;
    char real[PATH_MAX];
    if (::realpath(p.c_str(), real) == nullptr)
        return fail(sys_error("resolve rootfs", p.string()));
    struct stat st;
    if (::stat(real, &st) != 0)
        return fail(sys_error("stat rootfs", real));
    if (!S_ISDIR(st.st_mode))
        return fail(sys_error("use rootfs", real, ENOTDIR));
    return fs::path(real);
}

// pivot_root refuses to work when the parent mount of the new root is shared; with a shared
// rootfsPropagation that is the case, so the parent mount alone is made private.
Result<> make_parent_mount_private(const fs::path &rootfs) {
    auto mounts = read_mountinfo();
    if (!mounts)
        return fail(std::move(mounts.error()));
    std::string parent = rootfs.parent_path().string();
    std::string best = "/";
    for (const auto &m : *mounts) {
        const std::string &p = m.mount_point;
        bool contains = p == "/" || parent == p || parent.starts_with(p + "/");
        if (contains && p.size() > best.size())
            best = p;
    }
    if (::mount(nullptr, best.c_str(), nullptr, MS_PRIVATE, nullptr) != 0)
        return fail(sys_error("make mount private", best));
    return {};
}

bool root_is_initramfs() {
    auto mounts = read_mountinfo();
    if (!mounts)
        return false;
    for (const auto &m : *mounts)
        if (m.mount_point == "/" && m.fstype == "rootfs")
            return true;
    return false;
}

// pivot_root(".", ".") stacks the old root on top of the new one; it is then made a slave (so
// the unmount does not propagate to the host) and detached. See pivot_root(2), NOTES.
Result<> pivot_to(const fs::path &rootfs) {
    UniqueFd old_root(::open("/", O_DIRECTORY | O_PATH | O_CLOEXEC));
    if (!old_root)
        return fail(sys_error("open", "/"));
    if (::chdir(rootfs.c_str()) != 0)
        return fail(sys_error("chdir", rootfs.string()));
    if (::syscall(SYS_pivot_root, ".", ".") != 0)
        return fail(sys_error("pivot_root", rootfs.string()));
    if (::fchdir(old_root.get()) != 0)
        return fail(sys_error("chdir", "old root"));
    if (::mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr) != 0)
        return fail(sys_error("make old root a slave", "/"));
    if (::umount2(".", MNT_DETACH) != 0)
        return fail(sys_error("detach old root", "/"));
    if (::chdir("/") != 0)
        return fail(sys_error("chdir", "/"));
    return {};
}

// The fallback for --no-pivot and for an initramfs root, which pivot_root cannot leave
// (EINVAL): the rootfs is moved over "/" and chrooted into. The host's mounts stay in the
// namespace beneath it, so a process with CAP_SYS_CHROOT can climb out; containers run this
// way should not keep that capability.
Result<> move_root_to(const fs::path &rootfs) {
    if (::chdir(rootfs.c_str()) != 0)
        return fail(sys_error("chdir", rootfs.string()));
    if (::mount(rootfs.c_str(), "/", nullptr, MS_MOVE, nullptr) != 0)
        return fail(sys_error("move rootfs onto /", rootfs.string()));
    if (::chroot(".") != 0)
        return fail(sys_error("chroot", rootfs.string()));
    if (::chdir("/") != 0)
        return fail(sys_error("chdir", "/"));
    return {};
}

Result<> enter_root(const fs::path &rootfs, bool no_pivot) {
    if (no_pivot)
        return move_root_to(rootfs);
    auto r = pivot_to(rootfs);
    if (!r && r.error().sys_errno == EINVAL && root_is_initramfs())
        return move_root_to(rootfs);
    return r;
}

// Sysctls the kernel keeps per namespace, and the namespace each needs.
struct SysctlRule {
    std::string_view key; // exact key, or a prefix when it ends with "."
    const char *ns;
};

constexpr SysctlRule namespaced_sysctls[] = {
    {"kernel.msgmax", "ipc"},        {"kernel.msgmnb", "ipc"},      {"kernel.msgmni", "ipc"},
    {"kernel.sem", "ipc"},           {"kernel.shmall", "ipc"},      {"kernel.shmmax", "ipc"},
    {"kernel.shmmni", "ipc"},        {"kernel.shm_rmid_forced", "ipc"},
    {"fs.mqueue.", "ipc"},           {"net.", "network"},
    {"kernel.hostname", "uts"},      {"kernel.domainname", "uts"},
};

std::string sysctl_key(std::string key) {
    for (auto &c : key)
        if (c == '/')
            c = '.';
    return key;
}

Result<> check_sysctl(const json &spec, const std::string &raw) {
    std::string key = sysctl_key(raw);
    for (const auto &rule : namespaced_sysctls) {
        bool match = rule.key.ends_with('.') ? key.starts_with(rule.key) : key == rule.key;
        if (!match)
            continue;
        if (find_namespace(spec, rule.ns) != nullptr)
            return {};
        return fail(make_error(BERTH_E_INVALID_SPEC, "set sysctl", raw)
                        .with_hint(std::string("it belongs to the ") + rule.ns +
                                   " namespace, which this container shares with the host; "
                                   "add that namespace to linux.namespaces"));
    }
    return fail(make_error(BERTH_E_INVALID_SPEC, "refuse host-wide sysctl", raw)
                    .with_hint("only namespaced sysctls (kernel.msg*, kernel.sem, kernel.shm*, "
                               "fs.mqueue.*, net.*) can be set for a container; set it on the "
                               "host or remove it from linux.sysctl"));
}

// Runs after pivot_root, so /proc/sys is the container's.
Result<> write_sysctls(const json &spec) {
    for (const auto &[raw, value] : field(field(spec, "linux"), "sysctl").items()) {
        auto ok = check_sysctl(spec, raw);
        if (!ok)
            return ok;
        std::string path = "/proc/sys/" + raw;
        if (raw.find('/') == std::string::npos)
            for (size_t i = 10; i < path.size(); ++i)
                if (path[i] == '.')
                    path[i] = '/';
        std::string text = value.is_string() ? value.get<std::string>() : value.dump();
        UniqueFd fd(::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
        if (!fd)
            return fail(sys_error("open sysctl", path));
        if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
            return fail(sys_error("write sysctl", path));
    }
    return {};
}

std::vector<std::string> string_list(const json &list) {
    std::vector<std::string> out;
    for (const auto &item : list)
        if (item.is_string())
            out.push_back(item.get<std::string>());
    return out;
}

// After pivot_root: the paths are the container's and cannot resolve outside of it.
Result<> make_readonly_paths(const json &spec) {
    for (const auto &p : string_list(field(field(spec, "linux"), "readonlyPaths"))) {
        if (::mount(p.c_str(), p.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
            if (errno == ENOENT)
                continue;
            return fail(sys_error("bind mount read-only path", p));
        }
        auto r = remount_bind(p, MS_RDONLY);
        if (!r)
            return fail(std::move(r.error().in("make `" + p + "` read-only")));
    }
    return {};
}

// Files are covered by /dev/null, directories by an empty read-only tmpfs.
Result<> mask_paths(const json &spec) {
    for (const auto &p : string_list(field(field(spec, "linux"), "maskedPaths"))) {
        struct stat st;
        if (::stat(p.c_str(), &st) != 0) {
            if (errno == ENOENT)
                continue;
            return fail(sys_error("stat masked path", p));
        }
        int rc = S_ISDIR(st.st_mode)
                     ? ::mount("tmpfs", p.c_str(), "tmpfs", MS_RDONLY, "mode=0500")
                     : ::mount("/dev/null", p.c_str(), nullptr, MS_BIND, nullptr);
        if (rc != 0)
            return fail(sys_error("mask path", p));
    }
    return {};
}

Result<> setup(const json &spec, const fs::path &bundle, bool no_pivot) {
    auto rootfs = rootfs_path(spec, bundle);
    if (!rootfs)
        return fail(std::move(rootfs.error()));
    const json &linux_config = field(spec, "linux");
    std::string propagation_name = field(linux_config, "rootfsPropagation").is_string()
                                       ? linux_config["rootfsPropagation"].get<std::string>()
                                       : "";
    auto propagation = parse_propagation(propagation_name);
    if (!propagation)
        return fail(std::move(propagation.error()));

    // Slave by default: host mounts still reach the container, nothing flows back.
    unsigned long root_flags = *propagation != 0 ? (*propagation | MS_REC) : MS_SLAVE | MS_REC;
    if (::mount(nullptr, "/", nullptr, root_flags, nullptr) != 0)
        return fail(sys_error("set propagation of", "/"));

    // pivot_root needs the new root to be a mount point.
    if (::mount(rootfs->c_str(), rootfs->c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0)
        return fail(sys_error("bind mount rootfs onto itself", rootfs->string()));

    if (*propagation & MS_SHARED) {
        auto r = make_parent_mount_private(*rootfs);
        if (!r)
            return r;
    }

    UniqueFd root_fd(::open(rootfs->c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root_fd)
        return fail(sys_error("open rootfs", rootfs->string()));

    MountContext ctx;
    ctx.root_fd = root_fd.get();
    ctx.rootfs = *rootfs;
    ctx.bundle = bundle;
    ctx.new_netns = new_namespace(spec, "network");
    ctx.userns = find_namespace(spec, "user") != nullptr;
    ctx.new_cgroupns = new_namespace(spec, "cgroup");
    for (const auto &entry : field(spec, "mounts")) {
        auto r = mount_entry(ctx, entry);
        if (!r)
            return r;
    }

    auto devices = create_devices(root_fd.get(), *rootfs, spec, ctx.userns);
    if (!devices)
        return devices;

    auto links = create_dev_symlinks(root_fd.get(), *rootfs);
    if (!links)
        return links;

    root_fd.reset();
    auto entered = enter_root(*rootfs, no_pivot);
    if (!entered)
        return entered;

    // Before the read-only paths: the default spec makes /proc/sys one of them.
    auto sysctls = write_sysctls(spec);
    if (!sysctls)
        return sysctls;

    auto readonly = make_readonly_paths(spec);
    if (!readonly)
        return readonly;

    auto masked = mask_paths(spec);
    if (!masked)
        return masked;

    if (field(field(spec, "root"), "readonly") == true) {
        auto r = remount_bind("/", MS_RDONLY);
        if (!r)
            return fail(std::move(r.error().in("make root read-only")));
    }

    if (*propagation != 0 && ::mount(nullptr, "/", nullptr, *propagation, nullptr) != 0)
        return fail(sys_error("set rootfs propagation `" + propagation_name + "` of", "/"));
    return {};
}

} // namespace

Result<> setup_rootfs(const json &spec, const fs::path &bundle, bool no_pivot) {
    auto r = setup(spec, bundle, no_pivot);
    if (!r)
        return fail(std::move(r.error().in("set up rootfs")));
    return {};
}

Result<> set_hostname(const json &spec) {
    const json &hostname = field(spec, "hostname");
    if (hostname.is_string()) {
        auto name = hostname.get<std::string>();
        if (::sethostname(name.data(), name.size()) != 0)
            return fail(sys_error("set hostname", name));
    }
    const json &domainname = field(spec, "domainname");
    if (domainname.is_string()) {
        auto name = domainname.get<std::string>();
        if (::setdomainname(name.data(), name.size()) != 0)
            return fail(sys_error("set domainname", name));
    }
    return {};
}

Result<> validate_rootfs(const json &spec, const fs::path &bundle) {
    auto rootfs = rootfs_path(spec, bundle);
    if (!rootfs)
        return fail(std::move(rootfs.error()));
    const json &linux_config = field(spec, "linux");
    if (field(linux_config, "rootfsPropagation").is_string()) {
        auto p = parse_propagation(linux_config["rootfsPropagation"].get<std::string>());
        if (!p)
            return fail(std::move(p.error()));
    }
    for (const auto &entry : field(spec, "mounts")) {
        std::string dest = entry.is_object() ? entry.value("destination", "") : "";
        if (dest.empty() || dest[0] != '/')
            return fail(make_error(BERTH_E_INVALID_SPEC,
                                   "mount destination must be an absolute path", dest));
        auto o = parse_mount_options(field(entry, "options"));
        if (!o)
            return fail(std::move(o.error().in("mount " + dest)));
    }
    for (const auto &[key, value] : field(linux_config, "sysctl").items()) {
        auto r = check_sysctl(spec, key);
        if (!r)
            return r;
    }
    bool names = field(spec, "hostname").is_string() || field(spec, "domainname").is_string();
    if (names && find_namespace(spec, "uts") == nullptr)
        return fail(make_error(BERTH_E_INVALID_SPEC,
                               "set hostname without a private uts namespace")
                        .with_hint("add {\"type\": \"uts\"} to linux.namespaces or remove "
                                   "hostname/domainname"));
    return {};
}

} // namespace berth::native
