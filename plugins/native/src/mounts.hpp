// Mount helpers for building a container's root filesystem: OCI mount options turned into
// mount(2) flags, mount targets resolved without leaving the rootfs, one OCI mount entry
// mounted, bind remounts that keep the flags the kernel locks.
#pragma once

#include <berth/common/error.hpp>
#include <berth/common/unique_fd.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace berth::native {

// One OCI mount entry's options split the way the kernel takes them.
struct MountOptions {
    unsigned long flags = 0;       // MS_* the options set
    unsigned long cleared = 0;     // MS_* the options clear explicitly (rw, suid, dev, exec)
    unsigned long propagation = 0; // MS_SHARED/SLAVE/PRIVATE/UNBINDABLE, MS_REC for r*
    bool bind = false;
    bool recursive = false;        // rbind
    uint64_t attr_set = 0;         // MOUNT_ATTR_* for the whole tree (rro, rnosuid, ...)
    uint64_t attr_clr = 0;
    std::string data;              // filesystem options passed on ("mode=755,size=65536k")
};

// Fails on an option berth knows but cannot honour (tmpcopyup, idmap); anything unknown is a
// filesystem option and goes to data.
Result<MountOptions> parse_mount_options(const nlohmann::json &options);

// Propagation flags for linux.rootfsPropagation ("rslave", "private", ...); 0 for "".
Result<unsigned long> parse_propagation(const std::string &name);

enum class Create { none, directory, file };

// Opens `path` (absolute or relative, taken relative to root either way) inside the directory
// `root_fd` as an O_PATH fd. Symlinks on the way resolve as if root_fd were "/", so a crafted
// rootfs cannot point a mount outside itself. Missing components are made as directories,
// the last one as `create` says.
Result<UniqueFd> resolve_in_root(int root_fd, const std::string &path, Create create);

// "/proc/self/fd/N": how mount(2) is aimed at a target resolved to an fd.
std::string fd_path(int fd);

// What mounting the spec's entries needs to know about the container.
struct MountContext {
    int root_fd = -1;                 // the rootfs directory
    std::filesystem::path rootfs;     // its path, for messages
    std::filesystem::path bundle;     // relative bind sources resolve against it
    bool new_netns = false;           // sysfs is read-only without one
    bool userns = false;              // device nodes and some mounts come from the host
    bool new_cgroupns = false;        // cgroup mounts are fresh, not binds of the host's
};

// Mounts one entry of the spec's `mounts` array under the rootfs.
Result<> mount_entry(const MountContext &ctx, const nlohmann::json &entry);

// Applies `flags` (MS_RDONLY, MS_NOSUID, ...) to the existing mount at `target` with a bind
// remount, keeping nosuid/nodev/noexec and the atime mode the mount already has unless
// `cleared` names them: the kernel refuses to drop those when they are locked (user
// namespaces), and a remount that omits them would drop them.
Result<> remount_bind(const std::string &target, unsigned long flags, unsigned long cleared = 0);

struct MountInfo {
    std::string mount_point;
    std::string root;          // the mount's root inside its filesystem
    std::string fstype;
    std::string super_options;
};

// The mounts of this process's mount namespace, from /proc/self/mountinfo.
Result<std::vector<MountInfo>> read_mountinfo();

} // namespace berth::native
