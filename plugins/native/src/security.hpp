// The container process's privileges: the last steps before exec, in the container's init and
// in every exec'd process, plus the checks the parent can make before clone.
//
// These functions run in the child, where stdout/stderr may already be the container's: they
// never log, they return an Error naming the step, the object and errno.
#pragma once

#include "seccomp.hpp"

#include <berth/common/error.hpp>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>

namespace berth::native {

// Applies process.rlimits. Raising a hard limit above the current one needs CAP_SYS_RESOURCE;
// without it the error names the limit.
Result<> apply_rlimits(const nlohmann::json &process);

// Writes process.oomScoreAdj (when present) to /proc/self/oom_score_adj.
Result<> set_oom_score_adj(const nlohmann::json &process);

// In this order: additional groups, gid, uid (keeping capabilities across the switch), umask,
// the five capability sets (bounding, effective, permitted, inheritable, ambient), the
// AppArmor exec profile, no_new_privs, and the seccomp filter (when not null) last so that
// it does not have to allow the setup's own system calls.
Result<> apply_user_and_security(const nlohmann::json &process,
                                 const SeccompProgram *seccomp = nullptr);

// Checks made in the parent before clone: capability names are known, an AppArmor profile is
// only requested where AppArmor is enabled, rlimit names are known; and compiles the spec's
// linux.seccomp profile (nullopt without one) through the cache in `seccomp_cache` (none when
// empty), so the child only loads it.
Result<std::optional<SeccompProgram>>
prepare_security(const nlohmann::json &spec, const std::filesystem::path &seccomp_cache = {});

} // namespace berth::native
