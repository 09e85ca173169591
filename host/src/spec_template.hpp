// The config.json `berth spec` writes: the same starting point `runc spec` gives, so that
// bundles move between runtimes unchanged.
#pragma once

#include <nlohmann/json.hpp>

namespace berth::host {

// The OCI runtime-spec version berth writes and reports.
inline constexpr const char *oci_version = "1.0.2";

// A default spec: namespaces pid, network, ipc, uts and mount; Docker's default capabilities;
// proc, /dev, devpts, shm, mqueue, read-only sysfs and cgroup mounts; runc's masked and
// read-only paths; root "rootfs"; args ["sh"] on a terminal.
// `rootless`: a user namespace mapping the caller's uid and gid to root instead of a network
// namespace, sysfs bind-mounted, no uid=/gid= mount options and no cgroup resources.
nlohmann::json default_spec(bool rootless, unsigned uid = 0, unsigned gid = 0);

} // namespace berth::host
