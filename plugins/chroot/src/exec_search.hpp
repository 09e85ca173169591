// Finding process.args[0] the way execvp would, but in the container's PATH (process.env), not
// the host's: the candidates are built before fork and tried inside the chroot.
#pragma once

#include <berth/common/oci_spec.hpp>

#include <string>
#include <vector>

namespace berth::chroot {

// PATH used when process.env sets none, as most container runtimes default it.
inline constexpr const char *default_path =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// The paths to try, in order: args[0] itself when it holds a '/', else args[0] under each
// PATH entry (an empty entry is the working directory).
std::vector<std::string> executable_candidates(const oci::Process &process);

// In the container's process (async-signal-safe): the index of the first candidate that is a
// regular file the caller may execute, or -1 with `*err` set to EACCES when one exists but may
// not be executed, else ENOENT.
int pick_executable(const char *const *candidates, int count, int *err) noexcept;

} // namespace berth::chroot
