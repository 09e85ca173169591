// The container's /dev: the standard device nodes, the spec's linux.devices, /dev/ptmx and
// the /dev/fd, stdin, stdout, stderr symlinks.
#pragma once

#include <berth/common/error.hpp>

#include <nlohmann/json.hpp>

#include <filesystem>

namespace berth::native {

// Creates, under the rootfs open as `root_fd` (shown as `rootfs` in errors), the device
// nodes null, zero, full, random, urandom and tty plus linux.devices. In a user namespace the
// kernel refuses mknod, so each node is the host's device bind-mounted onto an empty file.
Result<> create_devices(int root_fd, const std::filesystem::path &rootfs,
                        const nlohmann::json &spec, bool from_host);

// /dev/ptmx as a symlink to pts/ptmx (the devpts instance of the container), and /dev/fd,
// /dev/stdin, /dev/stdout, /dev/stderr pointing into /proc/self/fd.
Result<> create_dev_symlinks(int root_fd, const std::filesystem::path &rootfs);

} // namespace berth::native
