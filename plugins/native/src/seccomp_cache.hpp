// Compiled seccomp filters kept in a cache directory (the native driver's option
// seccomp_cache; the shipped berth.yaml sets /var/cache/berth/seccomp), so that a profile is
// compiled once and not on every create. libseccomp needs about 12 ms for the default profile
// with its three x86 architectures, a third of a container's start; reading the cached program
// takes a few microseconds.
//
// An entry is <cache dir>/<64-bit hash of the profile>.bpf and holds the profile's exact text
// beside the program, so a hash collision or a stale or damaged file is a miss, never a wrong
// filter. An entry or directory that another user could have written is not read. The cache
// keeps at most `cache_entries` files, dropping the oldest.
#pragma once

#include "seccomp.hpp"

#include <berth/common/error.hpp>

#include <nlohmann/json.hpp>

#include <filesystem>

namespace berth::native {

inline constexpr size_t cache_entries = 32;

// compile_seccomp(profile), through the cache in `cache_dir` (none when empty; made, with its
// parents, when missing). Failing to read or write the cache is not an error: the profile is
// compiled instead.
Result<SeccompProgram> compile_seccomp_cached(const nlohmann::json &profile,
                                              const std::filesystem::path &cache_dir);

} // namespace berth::native
