// The seccomp profile `berth spec` writes into a new config.json (linux.seccomp).
#pragma once

#include <nlohmann/json.hpp>

namespace berth {

// An allow list in the shape of Docker's default profile: every system call not listed fails
// with EPERM; x86_64, x86 and x32 are covered. What stays blocked is what a container with
// the default capability set (berth/common/default_capabilities.hpp) should not reach:
// mounts, namespaces, modules, kernel keyrings, BPF, perf, clock setting, reboot, swap, and
// the like. clone may not create namespaces, and clone3 answers ENOSYS so that C libraries
// fall back to clone, whose flags the filter can inspect.
nlohmann::json default_seccomp_profile();

} // namespace berth
