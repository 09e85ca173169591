// The container's root filesystem: everything the container's init does in its new mount
// namespace between clone and exec, plus the checks the parent can make before clone.
//
// These functions run in the child, where stdout/stderr may already be the container's: they
// never log, they return an Error naming the step, the path and errno.
#pragma once

#include <berth/common/error.hpp>

#include <nlohmann/json.hpp>

#include <filesystem>

namespace berth::native {

// Builds the container's view of the filesystem and makes it the root: private propagation,
// the rootfs bound onto itself, the spec's mounts in order, /dev (tmpfs, device nodes, devpts,
// symlinks), pivot_root (or MS_MOVE + chroot when `no_pivot` is set or the root cannot be
// pivoted away from), masked paths, read-only paths, read-only root, rootfs propagation and
// linux.sysctl. `spec` is the whole OCI config; root.path may be relative to `bundle`.
// Runs in the container's init, in its new mount namespace, before exec.
Result<> setup_rootfs(const nlohmann::json &spec, const std::filesystem::path &bundle,
                      bool no_pivot);

// Sets hostname and domainname from the spec (only meaningful in a new uts namespace).
Result<> set_hostname(const nlohmann::json &spec);

// Checks made in the parent before clone, so a bad spec fails before any resource exists:
// the rootfs exists and is a directory, mount entries are well formed (absolute destinations,
// known options), sysctls are namespaced.
Result<> validate_rootfs(const nlohmann::json &spec, const std::filesystem::path &bundle);

} // namespace berth::native
