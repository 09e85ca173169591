#include "mounts.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <string_view>

namespace berth::native {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct FlagOption {
    std::string_view name;
    unsigned long set;
    unsigned long clear;
};

// The OCI runtime-spec mount options that map to mount(2) flags.
constexpr FlagOption flag_options[] = {
    {"async", 0, MS_SYNCHRONOUS},     {"atime", 0, MS_NOATIME},
    {"defaults", 0, 0},               {"dev", 0, MS_NODEV},
    {"diratime", 0, MS_NODIRATIME},   {"dirsync", MS_DIRSYNC, 0},
    {"exec", 0, MS_NOEXEC},           {"iversion", MS_I_VERSION, 0},
    {"lazytime", MS_LAZYTIME, 0},     {"loud", 0, MS_SILENT},
    {"mand", MS_MANDLOCK, 0},         {"noatime", MS_NOATIME, 0},
    {"nodev", MS_NODEV, 0},           {"nodiratime", MS_NODIRATIME, 0},
    {"noexec", MS_NOEXEC, 0},         {"noiversion", 0, MS_I_VERSION},
    {"nolazytime", 0, MS_LAZYTIME},   {"nomand", 0, MS_MANDLOCK},
    {"norelatime", 0, MS_RELATIME},   {"nostrictatime", 0, MS_STRICTATIME},
    {"nosuid", MS_NOSUID, 0},         {"nosymfollow", MS_NOSYMFOLLOW, 0},
    {"relatime", MS_RELATIME, 0},     {"remount", MS_REMOUNT, 0},
    {"ro", MS_RDONLY, 0},             {"rw", 0, MS_RDONLY},
    {"silent", MS_SILENT, 0},         {"strictatime", MS_STRICTATIME, 0},
    {"suid", 0, MS_NOSUID},           {"symfollow", 0, MS_NOSYMFOLLOW},
    {"sync", MS_SYNCHRONOUS, 0},
};

struct PropagationOption {
    std::string_view name;
    unsigned long flags;
};

constexpr PropagationOption propagation_options[] = {
    {"private", MS_PRIVATE},           {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},             {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},               {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE},     {"runbindable", MS_UNBINDABLE | MS_REC},
};

struct AttrOption {
    std::string_view name;
    uint64_t set;
    uint64_t clear;
};

// Recursive options, applied to a whole mount tree with mount_setattr(2).
constexpr AttrOption attr_options[] = {
    {"rro", MOUNT_ATTR_RDONLY, 0},
    {"rrw", 0, MOUNT_ATTR_RDONLY},
    {"rnosuid", MOUNT_ATTR_NOSUID, 0},
    {"rsuid", 0, MOUNT_ATTR_NOSUID},
    {"rnodev", MOUNT_ATTR_NODEV, 0},
    {"rdev", 0, MOUNT_ATTR_NODEV},
    {"rnoexec", MOUNT_ATTR_NOEXEC, 0},
    {"rexec", 0, MOUNT_ATTR_NOEXEC},
    {"rnodiratime", MOUNT_ATTR_NODIRATIME, 0},
    {"rdiratime", 0, MOUNT_ATTR_NODIRATIME},
    {"rnosymfollow", MOUNT_ATTR_NOSYMFOLLOW, 0},
    {"rsymfollow", 0, MOUNT_ATTR_NOSYMFOLLOW},
    // The atime mode is one field: clearing MOUNT_ATTR__ATIME selects it.
    {"rrelatime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME},
    {"rnorelatime", MOUNT_ATTR_NOATIME, MOUNT_ATTR__ATIME},
    {"rnoatime", MOUNT_ATTR_NOATIME, MOUNT_ATTR__ATIME},
    {"ratime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME},
    {"rstrictatime", MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME},
    {"rnostrictatime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME},
};

constexpr unsigned long atime_flags = MS_NOATIME | MS_RELATIME | MS_STRICTATIME;

bool has_magic_proc() {
    struct stat st;
    return ::stat("/proc/self/fd", &st) == 0;
}

int sys_openat2(int dirfd, const char *path, open_how *how) {
    return static_cast<int>(::syscall(SYS_openat2, dirfd, path, how, sizeof *how));
}

std::vector<std::string> split_path(const std::string &path) {
    std::vector<std::string> parts;
    std::istringstream in(path);
    std::string part;
    while (std::getline(in, part, '/'))
        if (!part.empty() && part != ".")
            parts.push_back(part);
    return parts;
}

std::string join(const std::vector<std::string> &parts, size_t n) {
    std::string out;
    for (size_t i = 0; i < n && i < parts.size(); ++i)
        out += (i ? "/" : "") + parts[i];
    return out.empty() ? "." : out;
}

// Resolves `rel` inside root_fd on kernels without openat2 (before 5.6): walks the path one
// component at a time, reading symlinks and restarting absolute ones at root_fd, with ".."
// stopping at root_fd. Returns a symlink-free path relative to root_fd. Unlike openat2 this
// races with concurrent renames in the rootfs; nothing else runs in the container yet.
Result<std::string> resolve_by_walk(int root_fd, const std::string &rel) {
    std::vector<std::string> todo = split_path(rel);
    std::reverse(todo.begin(), todo.end());
    std::vector<std::string> done;
    int links = 0;
    while (!todo.empty()) {
        std::string part = todo.back();
        todo.pop_back();
        if (part == "..") {
            if (!done.empty())
                done.pop_back();
            continue;
        }
        done.push_back(part);
        std::string here = join(done, done.size());
        struct stat st;
        if (::fstatat(root_fd, here.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno != ENOENT)
                return fail(sys_error("stat", here));
            for (auto it = todo.rbegin(); it != todo.rend(); ++it)
                done.push_back(*it);
            return join(done, done.size());
        }
        if (!S_ISLNK(st.st_mode))
            continue;
        if (++links > 40)
            return fail(sys_error("resolve", rel, ELOOP));
        char buf[4096];
        ssize_t n = ::readlinkat(root_fd, here.c_str(), buf, sizeof buf - 1);
        if (n < 0)
            return fail(sys_error("readlink", here));
        std::string target(buf, static_cast<size_t>(n));
        done.pop_back();
        if (!target.empty() && target[0] == '/')
            done.clear();
        auto more = split_path(target);
        for (auto it = more.rbegin(); it != more.rend(); ++it)
            todo.push_back(*it);
    }
    return join(done, done.size());
}

// Opens `rel` inside root_fd with O_PATH; errno is kept for the caller to branch on ENOENT.
Result<UniqueFd> open_in_root(int root_fd, const std::string &rel) {
    open_how how{};
    how.flags = O_PATH | O_CLOEXEC;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    for (;;) {
        int fd = sys_openat2(root_fd, rel.c_str(), &how);
        if (fd >= 0)
            return UniqueFd(fd);
        // EAGAIN: a rename raced with RESOLVE_IN_ROOT's ".." checks; the walk is retried.
        if (errno == EINTR || errno == EAGAIN)
            continue;
        if (errno != ENOSYS)
            return fail(sys_error("open", rel));
        auto walked = resolve_by_walk(root_fd, rel);
        if (!walked)
            return fail(std::move(walked.error()));
        fd = ::openat(root_fd, walked->c_str(), O_PATH | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
            return fail(sys_error("open", rel));
        return UniqueFd(fd);
    }
}

Result<> create_in(int parent_fd, const std::string &name, bool directory,
                   const std::string &shown) {
    if (directory) {
        if (::mkdirat(parent_fd, name.c_str(), 0755) != 0 && errno != EEXIST)
            return fail(sys_error("create mount point directory", shown));
        return {};
    }
    int fd = ::openat(parent_fd, name.c_str(),
                      O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0 && errno != EEXIST)
        return fail(sys_error("create mount point file", shown));
    if (fd >= 0)
        ::close(fd);
    return {};
}

fs::path shown_path(const MountContext &ctx, const std::string &dest) {
    return ctx.rootfs / fs::path(dest).relative_path();
}

// Propagation and recursive attributes apply to the mount now on `dest`, so the target is
// resolved again: the fd from before the mount names the covered directory.
Result<> finish_mount(const MountContext &ctx, const std::string &dest, const MountOptions &o) {
    if (o.propagation == 0 && o.attr_set == 0 && o.attr_clr == 0)
        return {};
    auto fd = resolve_in_root(ctx.root_fd, dest, Create::none);
    if (!fd)
        return fail(std::move(fd.error()));
    std::string shown = shown_path(ctx, dest).string();
    if (o.propagation != 0 &&
        ::mount(nullptr, fd_path(fd->get()).c_str(), nullptr, o.propagation, nullptr) != 0)
        return fail(sys_error("set mount propagation of", shown));
    if (o.attr_set != 0 || o.attr_clr != 0) {
        mount_attr attr{};
        attr.attr_set = o.attr_set;
        attr.attr_clr = o.attr_clr;
        if (::mount_setattr(fd->get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) != 0)
            return fail(sys_error("set recursive mount attributes of", shown));
    }
    return {};
}

Result<> mount_bind(const MountContext &ctx, const std::string &dest, const std::string &source,
                    const MountOptions &o) {
    fs::path src = source;
    if (src.is_relative())
        src = ctx.bundle / src;
    struct stat st;
    if (::stat(src.c_str(), &st) != 0)
        return fail(sys_error("stat bind mount source", src.string()));
    auto target = resolve_in_root(ctx.root_fd, dest, S_ISDIR(st.st_mode) ? Create::directory
                                                                          : Create::file);
    if (!target)
        return fail(std::move(target.error()));
    std::string shown = shown_path(ctx, dest).string();
    unsigned long flags = MS_BIND | (o.recursive ? MS_REC : 0);
    if (::mount(src.c_str(), fd_path(target->get()).c_str(), nullptr, flags, nullptr) != 0)
        return fail(sys_error("bind mount `" + src.string() + "` on", shown));

    // MS_BIND ignores every other flag: ro, nosuid, ... need a remount of the new mount.
    unsigned long extra = o.flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
    if (extra != 0 || o.cleared != 0) {
        auto mounted = resolve_in_root(ctx.root_fd, dest, Create::none);
        if (!mounted)
            return fail(std::move(mounted.error()));
        auto r = remount_bind(fd_path(mounted->get()), extra, o.cleared);
        if (!r)
            return fail(std::move(r.error().in("remount " + shown)));
    }
    return finish_mount(ctx, dest, o);
}

// "4:cpu,cpuacct:/berth/c1" lines of /proc/self/cgroup: controllers -> path.
std::vector<std::pair<std::string, std::string>> own_cgroups() {
    std::vector<std::pair<std::string, std::string>> out;
    std::ifstream in("/proc/self/cgroup");
    std::string line;
    while (std::getline(in, line)) {
        auto a = line.find(':');
        auto b = line.find(':', a + 1);
        if (a == std::string::npos || b == std::string::npos)
            continue;
        out.emplace_back(line.substr(a + 1, b - a - 1), line.substr(b + 1));
    }
    return out;
}

std::vector<std::string> split(const std::string &s, char sep) {
    std::vector<std::string> out;
    std::istringstream in(s);
    std::string part;
    while (std::getline(in, part, sep))
        if (!part.empty())
            out.push_back(part);
    return out;
}

bool has_option(const std::string &options, const std::string &opt) {
    auto all = split(options, ',');
    return std::find(all.begin(), all.end(), opt) != all.end();
}

// The /proc/self/cgroup entry of hierarchy `m`: the v2 one ("0::/path") for cgroup2, else the
// one whose controllers all appear in the mount's options.
const std::pair<std::string, std::string> *
cgroup_of(const MountInfo &m, const std::vector<std::pair<std::string, std::string>> &own) {
    for (const auto &entry : own) {
        if (m.fstype == "cgroup2") {
            if (entry.first.empty())
                return &entry;
            continue;
        }
        if (entry.first.empty())
            continue;
        auto names = split(entry.first, ',');
        if (std::all_of(names.begin(), names.end(),
                        [&](const std::string &n) { return has_option(m.super_options, n); }))
            return &entry;
    }
    return nullptr;
}

// One hierarchy under the cgroup tmpfs: a fresh cgroup mount when the container has its own
// cgroup namespace (the kernel roots it at the container's cgroup), else a bind of the
// container's cgroup directory from the host's hierarchy.
Result<> mount_hierarchy(const MountContext &ctx, int tmpfs_fd, const std::string &shown_dir,
                         const MountInfo &m, const std::pair<std::string, std::string> &own,
                         const MountOptions &o) {
    std::string name = fs::path(m.mount_point).filename().string();
    std::string shown = shown_dir + "/" + name;
    if (::mkdirat(tmpfs_fd, name.c_str(), 0755) != 0 && errno != EEXIST)
        return fail(sys_error("create cgroup mount point", shown));
    UniqueFd sub(::openat(tmpfs_fd, name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!sub)
        return fail(sys_error("open cgroup mount point", shown));
    unsigned long flags = o.flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | atime_flags);
    if (ctx.new_cgroupns) {
        std::string data = m.fstype == "cgroup2" ? "" : own.first;
        if (::mount(m.fstype.c_str(), fd_path(sub.get()).c_str(), m.fstype.c_str(), flags,
                    data.empty() ? nullptr : data.c_str()) != 0)
            return fail(sys_error("mount " + m.fstype + " on", shown));
    } else {
        std::string rel = own.second;
        if (m.root != "/" && rel.starts_with(m.root))
            rel = rel.substr(m.root.size());
        fs::path src = fs::path(m.mount_point) / fs::path(rel).relative_path();
        if (::mount(src.c_str(), fd_path(sub.get()).c_str(), nullptr, MS_BIND | MS_REC,
                    nullptr) != 0)
            return fail(sys_error("bind mount `" + src.string() + "` on", shown));
        UniqueFd mounted(::openat(tmpfs_fd, name.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!mounted)
            return fail(sys_error("open cgroup mount", shown));
        auto r = remount_bind(fd_path(mounted.get()), flags);
        if (!r)
            return fail(std::move(r.error().in("remount " + shown)));
    }
    // Co-mounted controllers ("cpu,cpuacct") are also reachable by each name, as on the host.
    if (name.find(',') != std::string::npos) {
        for (const auto &alias : split(name, ','))
            if (::symlinkat(name.c_str(), tmpfs_fd, alias.c_str()) != 0 && errno != EEXIST)
                return fail(sys_error("create symlink", shown_dir + "/" + alias));
    }
    return {};
}

// The "cgroup" mount type: the container's own view of each cgroup hierarchy. On a pure v2
// host that is one cgroup2 mount; on v1 and hybrid hosts it is a tmpfs holding one mount per
// hierarchy, named like the host's (/sys/fs/cgroup/memory, /sys/fs/cgroup/unified, ...).
Result<> mount_cgroup(const MountContext &ctx, const std::string &dest, const MountOptions &o) {
    auto mounts = read_mountinfo();
    if (!mounts)
        return fail(std::move(mounts.error()));
    std::vector<MountInfo> hierarchies;
    bool v1 = false;
    for (const auto &m : *mounts) {
        if (m.fstype == "cgroup" || m.fstype == "cgroup2") {
            v1 = v1 || m.fstype == "cgroup";
            hierarchies.push_back(m);
        }
    }
    std::string shown = shown_path(ctx, dest).string();
    auto target = resolve_in_root(ctx.root_fd, dest, Create::directory);
    if (!target)
        return fail(std::move(target.error()));
    unsigned long flags = o.flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | atime_flags);
    if (!v1) {
        if (::mount("cgroup2", fd_path(target->get()).c_str(), "cgroup2", flags, nullptr) != 0)
            return fail(sys_error("mount cgroup2 on", shown));
        return finish_mount(ctx, dest, o);
    }

    // The tmpfs stays writable until every hierarchy is in place.
    if (::mount("tmpfs", fd_path(target->get()).c_str(), "tmpfs", flags & ~MS_RDONLY,
                "mode=755") != 0)
        return fail(sys_error("mount tmpfs on", shown));
    auto tmpfs = resolve_in_root(ctx.root_fd, dest, Create::none);
    if (!tmpfs)
        return fail(std::move(tmpfs.error()));
    auto own = own_cgroups();
    for (const auto &m : hierarchies) {
        const auto *entry = cgroup_of(m, own);
        if (entry == nullptr)
            continue; // a hierarchy this process is not in (a foreign named hierarchy)
        auto r = mount_hierarchy(ctx, tmpfs->get(), shown, m, *entry, o);
        if (!r)
            return r;
    }
    if (flags & MS_RDONLY) {
        auto r = remount_bind(fd_path(tmpfs->get()), flags);
        if (!r)
            return fail(std::move(r.error().in("remount " + shown)));
    }
    return finish_mount(ctx, dest, o);
}

std::string unescape_mountinfo(const std::string &s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 3 < s.size()) {
            int v = 0;
            bool ok = true;
            for (size_t j = 1; j <= 3; ++j) {
                if (s[i + j] < '0' || s[i + j] > '7') {
                    ok = false;
                    break;
                }
                v = v * 8 + (s[i + j] - '0');
            }
            if (ok) {
                out += static_cast<char>(v);
                i += 3;
                continue;
            }
        }
        out += s[i];
    }
    return out;
}

} // namespace

Result<MountOptions> parse_mount_options(const json &options) {
    MountOptions o;
    if (options.is_null())
        return o;
    if (!options.is_array())
        return fail(make_error(BERTH_E_INVALID_SPEC, "mount options must be an array of strings"));
    for (const auto &item : options) {
        if (!item.is_string())
            return fail(
                make_error(BERTH_E_INVALID_SPEC, "mount options must be an array of strings"));
        const std::string opt = item.get<std::string>();
        if (opt == "bind" || opt == "rbind") {
            o.bind = true;
            o.recursive = o.recursive || opt == "rbind";
            continue;
        }
        if (opt == "tmpcopyup" || opt == "idmap" || opt == "ridmap")
            return fail(make_error(BERTH_E_NOT_SUPPORTED, "mount option", opt)
                            .with_hint("remove it from the mount's options"));
        auto f = std::find_if(std::begin(flag_options), std::end(flag_options),
                              [&](const FlagOption &x) { return x.name == opt; });
        if (f != std::end(flag_options)) {
            o.flags = (o.flags & ~f->clear) | f->set;
            o.cleared = (o.cleared & ~f->set) | f->clear;
            continue;
        }
        auto p = std::find_if(std::begin(propagation_options), std::end(propagation_options),
                              [&](const PropagationOption &x) { return x.name == opt; });
        if (p != std::end(propagation_options)) {
            o.propagation = p->flags;
            continue;
        }
        auto a = std::find_if(std::begin(attr_options), std::end(attr_options),
                              [&](const AttrOption &x) { return x.name == opt; });
        if (a != std::end(attr_options)) {
            o.attr_clr = (o.attr_clr & ~a->set) | a->clear;
            o.attr_set = (o.attr_set & ~a->clear) | a->set;
            continue;
        }
        o.data += (o.data.empty() ? "" : ",") + opt;
    }
    return o;
}

Result<unsigned long> parse_propagation(const std::string &name) {
    if (name.empty())
        return 0UL;
    for (const auto &p : propagation_options)
        if (p.name == name)
            return p.flags;
    return fail(make_error(BERTH_E_INVALID_SPEC, "unknown linux.rootfsPropagation", name)
                    .with_hint("use shared, slave, private or unbindable (r-prefixed for the "
                               "whole tree)"));
}

std::string fd_path(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

namespace {

Result<UniqueFd> resolve_creating(int root_fd, const std::string &path, Create create,
                                  int depth) {
    auto parts = split_path(fs::path(path).lexically_normal().string());
    auto whole = open_in_root(root_fd, join(parts, parts.size()));
    if (whole || whole.error().sys_errno != ENOENT || create == Create::none)
        return whole;
    if (depth > 40)
        return fail(sys_error("resolve", path, ELOOP));

    // Make what is missing one component at a time, each resolved inside the root again, so
    // a symlink met halfway is followed the same confined way; a dangling one gets its
    // target made, inside the root.
    UniqueFd parent;
    for (size_t i = 0; i <= parts.size(); ++i) {
        auto here = open_in_root(root_fd, join(parts, i));
        if (!here && here.error().sys_errno == ENOENT && i > 0 && parent) {
            bool last = i == parts.size();
            Create kind = last ? create : Create::directory;
            const std::string &name = parts[i - 1];
            struct stat st;
            char link[4096];
            ssize_t n = -1;
            if (::fstatat(parent.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                S_ISLNK(st.st_mode))
                n = ::readlinkat(parent.get(), name.c_str(), link, sizeof link - 1);
            if (n > 0) {
                std::string target(link, static_cast<size_t>(n));
                if (target[0] != '/')
                    target = "/" + join(parts, i - 1) + "/" + target;
                auto made = resolve_creating(root_fd, target, kind, depth + 1);
                if (!made)
                    return fail(std::move(made.error()));
            } else {
                auto made = create_in(parent.get(), name, kind == Create::directory,
                                      "/" + join(parts, i));
                if (!made)
                    return fail(std::move(made.error()));
            }
            here = open_in_root(root_fd, join(parts, i));
        }
        if (!here)
            return fail(std::move(here.error()));
        parent = std::move(*here);
    }
    return parent;
}

} // namespace

Result<UniqueFd> resolve_in_root(int root_fd, const std::string &path, Create create) {
    return resolve_creating(root_fd, path, create, 0);
}

Result<> remount_bind(const std::string &target, unsigned long flags, unsigned long cleared) {
    struct statvfs sv;
    if (::statvfs(target.c_str(), &sv) != 0)
        return fail(sys_error("statvfs", target));
    unsigned long keep = 0;
    if (sv.f_flag & ST_RDONLY)
        keep |= MS_RDONLY;
    if (sv.f_flag & ST_NOSUID)
        keep |= MS_NOSUID;
    if (sv.f_flag & ST_NODEV)
        keep |= MS_NODEV;
    if (sv.f_flag & ST_NOEXEC)
        keep |= MS_NOEXEC;
    if ((flags & atime_flags) == 0) {
        if (sv.f_flag & ST_NOATIME)
            keep |= MS_NOATIME;
        if (sv.f_flag & ST_RELATIME)
            keep |= MS_RELATIME;
    }
    if (sv.f_flag & ST_NODIRATIME)
        keep |= MS_NODIRATIME;
    keep &= ~cleared;
    unsigned long all = MS_BIND | MS_REMOUNT | ((flags | keep) & ~(MS_BIND | MS_REC));
    if (::mount(nullptr, target.c_str(), nullptr, all, nullptr) != 0)
        return fail(sys_error("remount", target));
    return {};
}

Result<> mount_entry(const MountContext &ctx, const json &entry) {
    if (!has_magic_proc())
        return fail(sys_error("open", "/proc/self/fd", ENOENT)
                        .with_hint("berth needs /proc mounted on the host"));
    const std::string dest = entry.value("destination", "");
    const std::string type = entry.value("type", "");
    const std::string source = entry.value("source", "");
    auto o = parse_mount_options(entry.value("options", json::array()));
    if (!o)
        return fail(std::move(o.error().in("mount " + dest)));
    if (o->bind || type == "bind")
        return mount_bind(ctx, dest, source, *o);
    if (type == "cgroup" || type == "cgroup2")
        return mount_cgroup(ctx, dest, *o);

    // A sysfs of the host's network namespace shows the host's devices: read-only, always.
    if (type == "sysfs" && !ctx.new_netns)
        o->flags |= MS_RDONLY;
    auto target = resolve_in_root(ctx.root_fd, dest, Create::directory);
    if (!target)
        return fail(std::move(target.error()));
    const char *src = source.empty() ? type.c_str() : source.c_str();
    if (::mount(src, fd_path(target->get()).c_str(), type.c_str(), o->flags & ~MS_REMOUNT,
                o->data.empty() ? nullptr : o->data.c_str()) != 0) {
        // Without its own network namespace, a container in a user namespace may not mount
        // sysfs (the kernel ties sysfs to the netns owner): it gets the host's, read-only.
        if (type == "sysfs" && errno == EPERM && ctx.userns) {
            MountOptions ro = *o;
            ro.bind = ro.recursive = true;
            ro.flags |= MS_RDONLY;
            return mount_bind(ctx, dest, "/sys", ro);
        }
        return fail(sys_error("mount " + type + " on", shown_path(ctx, dest).string()));
    }
    return finish_mount(ctx, dest, *o);
}

Result<std::vector<MountInfo>> read_mountinfo() {
    std::ifstream in("/proc/self/mountinfo");
    if (!in)
        return fail(sys_error("open", "/proc/self/mountinfo"));
    std::vector<MountInfo> out;
    std::string line;
    while (std::getline(in, line)) {
        // id parent major:minor root mount-point options [optional...] - fstype source super
        std::istringstream ls(line);
        std::string id, parent, dev, root, point;
        ls >> id >> parent >> dev >> root >> point;
        auto dash = line.find(" - ");
        if (dash == std::string::npos)
            continue;
        std::istringstream rest(line.substr(dash + 3));
        MountInfo m;
        std::string source;
        rest >> m.fstype >> source >> m.super_options;
        m.root = unescape_mountinfo(root);
        m.mount_point = unescape_mountinfo(point);
        out.push_back(std::move(m));
    }
    return out;
}

} // namespace berth::native
