// linux.seccomp, compiled with libseccomp.
#pragma once

#include <berth/common/error.hpp>

#include <nlohmann/json.hpp>

#include <linux/filter.h>

#include <string>
#include <vector>

namespace berth::native {

// A compiled filter: the BPF program libseccomp generated and the seccomp(2) flags the
// profile asked for. Compiled once, in the parent; the child only hands it to the kernel.
struct SeccompProgram {
    std::vector<sock_filter> code;
    unsigned flags = 0;
    // Syscall names of the profile this libseccomp does not know, skipped (see
    // unknown_syscalls()); filled when compiled, empty when read from a cache.
    std::vector<std::string> unknown_syscalls;
};

// Compiles the profile: actions, architectures, operators and flags are checked, so a bad
// profile fails in the parent before anything exists.
Result<SeccompProgram> compile_seccomp(const nlohmann::json &profile);

// Loads a compiled filter into this process with seccomp(2): no allocation, no library call,
// safe in the cloned child. Does not set no_new_privs: without it the kernel only accepts a
// filter from a process holding CAP_SYS_ADMIN.
Result<> load_seccomp(const SeccompProgram &program);

// The version of the libseccomp berth runs with, as "2.5.4".
std::string seccomp_library_version();

// Syscall names of the profile this libseccomp does not know. Profiles list syscalls newer
// than the library; the rules for those are skipped, and the caller can log the names.
std::vector<std::string> unknown_syscalls(const nlohmann::json &profile);

} // namespace berth::native
