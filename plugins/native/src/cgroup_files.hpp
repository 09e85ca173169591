// Reading and writing cgroup control files. The kernel parses each write(2) to a control file
// as one value, so a value goes out in a single write; errors name the file and errno.
#pragma once

#include <berth/common/error.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::native {

Result<std::string> read_cgroup_file(const std::string &path);

// Writes `value` in one write(2). Failures render as "write `PATH`: Invalid argument".
Result<> write_cgroup_file(const std::string &path, std::string_view value);

// Whitespace-separated words ("cpu memory pids\n" -> {"cpu", "memory", "pids"}).
std::vector<std::string> split_words(std::string_view text);

// "key value" lines (memory.stat, cpu.stat, memory.events, memory.oom_control) as a map;
// lines whose value is not an unsigned number are left out.
std::map<std::string, uint64_t> parse_keyed_values(std::string_view text);

// A single number, or std::nullopt for "max" (v2's way of saying unlimited). Errors name the
// file when the content is neither.
Result<std::optional<uint64_t>> parse_cgroup_number(std::string_view text,
                                                    const std::string &path);

// Reads a single-number file (see parse_cgroup_number).
Result<std::optional<uint64_t>> read_cgroup_number(const std::string &path);

// Pids listed in a cgroup.procs file.
Result<std::vector<int>> read_cgroup_procs(const std::string &dir);

} // namespace berth::native
