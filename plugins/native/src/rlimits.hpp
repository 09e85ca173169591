// process.rlimits and process.oomScoreAdj.
#pragma once

#include <berth/common/error.hpp>

#include <nlohmann/json.hpp>

#include <string>

namespace berth::native {

// The resource number of a spec rlimit name ("RLIMIT_NOFILE"); unknown names are an error.
Result<int> rlimit_from_name(const std::string &name);

// Checks every entry of process.rlimits (names, soft <= hard) without applying anything.
Result<> check_rlimits(const nlohmann::json &process);

// Applies process.rlimits to this process with setrlimit(2).
Result<> set_rlimits(const nlohmann::json &process);

// Writes process.oomScoreAdj, when present, to /proc/self/oom_score_adj.
Result<> write_oom_score_adj(const nlohmann::json &process);

} // namespace berth::native
