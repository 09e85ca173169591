// linux.seccomp, compiled with libseccomp.
#pragma once

#include <berth/common/error.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace berth::native {

// Compiles the profile without loading it: actions, architectures, operators and flags are
// checked, so a bad profile fails in the parent before anything exists.
Result<> check_seccomp(const nlohmann::json &profile);

// Compiles the profile and loads it into this process. Does not set no_new_privs: without it
// the kernel only accepts a filter from a process holding CAP_SYS_ADMIN.
Result<> load_seccomp(const nlohmann::json &profile);

// Syscall names of the profile this libseccomp does not know. Profiles list syscalls newer
// than the library; the rules for those are skipped, and the caller can log the names.
std::vector<std::string> unknown_syscalls(const nlohmann::json &profile);

} // namespace berth::native
