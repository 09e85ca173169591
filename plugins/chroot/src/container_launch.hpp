// Starting the container's process: fork, then in the child chroot, credentials, rlimits and
// stdio, held at the start barrier before exec. Failures in the child before the barrier come
// back to the caller over a pipe and fail create with nothing left behind.
#pragma once

#include <berth/common/driver_adapter.hpp>
#include <berth/common/oci_spec.hpp>

#include <filesystem>

namespace berth::chroot {

struct LaunchRequest {
    std::string id;
    std::filesystem::path rootfs; // resolved, on the host
    std::filesystem::path state_dir;
    oci::Process process;
    int stdin_fd = -1; // -1: /dev/null
    int stdout_fd = -1;
    int stderr_fd = -1;
    unsigned preserve_fds = 0;
    bool detached = false; // the caller will not wait, so the process must outlive it
};

// Forks the container's process and waits until it is set up and held at the start barrier.
// Returns its pid: a child of the calling process. On failure the child is killed and reaped
// and the barrier removed.
Result<int> launch_container(const LaunchRequest &req, const driver::Host &host);

} // namespace berth::chroot
