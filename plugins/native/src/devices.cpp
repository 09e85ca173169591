#include "devices.hpp"

#include "mounts.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

namespace berth::native {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct Device {
    std::string path;
    mode_t type = S_IFCHR; // S_IFCHR, S_IFBLK or S_IFIFO
    unsigned major = 0;
    unsigned minor = 0;
    mode_t mode = 0666;
    uid_t uid = 0;
    gid_t gid = 0;
};

// What every container gets, as the OCI runtime-spec's "default devices".
std::vector<Device> default_devices() {
    return {{"/dev/null", S_IFCHR, 1, 3},    {"/dev/zero", S_IFCHR, 1, 5},
            {"/dev/full", S_IFCHR, 1, 7},    {"/dev/random", S_IFCHR, 1, 8},
            {"/dev/urandom", S_IFCHR, 1, 9}, {"/dev/tty", S_IFCHR, 5, 0}};
}

Result<Device> parse_device(const json &d) {
    Device dev;
    dev.path = d.value("path", "");
    if (dev.path.empty() || dev.path[0] != '/')
        return fail(make_error(BERTH_E_INVALID_SPEC, "linux.devices entry needs an absolute path",
                               dev.path));
    std::string type = d.value("type", "");
    if (type == "c" || type == "u")
        dev.type = S_IFCHR;
    else if (type == "b")
        dev.type = S_IFBLK;
    else if (type == "p")
        dev.type = S_IFIFO;
    else
        return fail(make_error(BERTH_E_INVALID_SPEC, "linux.devices type must be c, b, u or p",
                               dev.path));
    dev.major = d.value("major", 0u);
    dev.minor = d.value("minor", 0u);
    dev.mode = d.value("fileMode", 0666u) & 07777;
    dev.uid = d.value("uid", 0u);
    dev.gid = d.value("gid", 0u);
    return dev;
}

Result<> make_node(int root_fd, const fs::path &rootfs, const Device &dev, bool from_host) {
    fs::path p(dev.path);
    std::string shown = (rootfs / p.relative_path()).string();
    auto parent = resolve_in_root(root_fd, p.parent_path().string(), Create::directory);
    if (!parent)
        return fail(std::move(parent.error()));
    std::string name = p.filename().string();

    // A node left in an on-disk /dev (no tmpfs mounted there) is replaced, so its type and
    // numbers are what the spec says.
    if (::unlinkat(parent->get(), name.c_str(), 0) != 0 && errno != ENOENT)
        return fail(sys_error("remove old device node", shown));
    if (from_host) {
        int fd = ::openat(parent->get(), name.c_str(),
                          O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
            return fail(sys_error("create device mount point", shown));
        ::close(fd);
        auto target = resolve_in_root(root_fd, dev.path, Create::none);
        if (!target)
            return fail(std::move(target.error()));
        if (::mount(dev.path.c_str(), fd_path(target->get()).c_str(), nullptr, MS_BIND,
                    nullptr) != 0)
            return fail(sys_error("bind mount host device `" + dev.path + "` on", shown));
        return {};
    }
    if (::mknodat(parent->get(), name.c_str(), dev.type | 0600, makedev(dev.major, dev.minor)) !=
        0)
        return fail(sys_error("mknod", shown));
    // mknod's mode passes through the umask: the exact mode is set afterwards.
    if (::fchmodat(parent->get(), name.c_str(), dev.mode, 0) != 0)
        return fail(sys_error("chmod", shown));
    if (::fchownat(parent->get(), name.c_str(), dev.uid, dev.gid, AT_SYMLINK_NOFOLLOW) != 0)
        return fail(sys_error("chown", shown));
    return {};
}

Result<> replace_with_symlink(int dev_fd, const std::string &name, const std::string &target,
                              const fs::path &rootfs) {
    std::string shown = (rootfs / "dev" / name).string();
    if (::unlinkat(dev_fd, name.c_str(), 0) != 0 && errno != ENOENT)
        return fail(sys_error("remove", shown));
    if (::symlinkat(target.c_str(), dev_fd, name.c_str()) != 0)
        return fail(sys_error("create symlink", shown));
    return {};
}

} // namespace

Result<> create_devices(int root_fd, const fs::path &rootfs, const json &spec, bool from_host) {
    std::vector<Device> devices;
    const json empty = json::array();
    const json &listed = spec.contains("linux") && spec["linux"].contains("devices")
                             ? spec["linux"]["devices"]
                             : empty;
    for (const auto &d : listed) {
        auto dev = parse_device(d);
        if (!dev)
            return fail(std::move(dev.error()));
        devices.push_back(std::move(*dev));
    }
    for (auto &dev : default_devices())
        if (std::none_of(devices.begin(), devices.end(),
                         [&](const Device &d) { return d.path == dev.path; }))
            devices.push_back(std::move(dev));
    for (const auto &dev : devices) {
        auto r = make_node(root_fd, rootfs, dev, from_host);
        if (!r)
            return r;
    }
    return {};
}

Result<> create_dev_symlinks(int root_fd, const fs::path &rootfs) {
    auto dev = resolve_in_root(root_fd, "/dev", Create::directory);
    if (!dev)
        return fail(std::move(dev.error()));
    const std::pair<const char *, const char *> links[] = {
        {"fd", "/proc/self/fd"},          {"stdin", "/proc/self/fd/0"},
        {"stdout", "/proc/self/fd/1"},    {"stderr", "/proc/self/fd/2"},
        {"ptmx", "pts/ptmx"},
    };
    for (const auto &[name, target] : links) {
        auto r = replace_with_symlink(dev->get(), name, target, rootfs);
        if (!r)
            return r;
    }
    return {};
}

} // namespace berth::native
