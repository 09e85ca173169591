// The container process's privileges: the last steps before exec, in the container's init and
// in every exec'd process, plus the checks the parent can make before clone.
//
// These functions run in the child, where stdout/stderr may already be the container's: they
// never log, they return an Error naming the step, the object and errno.
#pragma once

#include <berth/common/error.hpp>

#include <nlohmann/json.hpp>

namespace berth::native {

// Applies process.rlimits. Raising a hard limit above the current one needs CAP_SYS_RESOURCE;
// without it the error names the limit.
Result<> apply_rlimits(const nlohmann::json &process);

// Writes process.oomScoreAdj (when present) to /proc/self/oom_score_adj.
Result<> set_oom_score_adj(const nlohmann::json &process);

// In this order: additional groups, gid, uid (keeping capabilities across the switch), umask,
// the five capability sets (bounding, effective, permitted, inheritable, ambient), the
// AppArmor exec profile, no_new_privs, and seccomp last so that the filter does not have to
// allow the setup's own system calls.
//
// The OCI spec keeps the seccomp profile outside `process`, in `linux.seccomp`: pass the
// spec's `linux` object as `linux_config` (init and exec alike), or the profile is not loaded.
// Calling with a null `linux_config` is only right for a spec without `linux.seccomp`.
Result<> apply_user_and_security(const nlohmann::json &process,
                                 const nlohmann::json &linux_config = nlohmann::json());

// Checks made in the parent before clone: capability names are known, an AppArmor profile is
// only requested where AppArmor is enabled, the seccomp profile compiles (actions,
// architectures, operators), rlimit names are known.
Result<> validate_security(const nlohmann::json &spec);

} // namespace berth::native
