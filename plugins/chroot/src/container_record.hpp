// The driver's own record of a container, kept in its state_dir between berth invocations:
// which process it started and when, so that a later command can tell that process from an
// unrelated one that reused the pid.
#pragma once

#include <berth/common/error.hpp>

#include <filesystem>
#include <optional>

namespace berth::chroot {

struct ContainerRecord {
    int pid = 0;
    unsigned long long start_time = 0; // /proc/PID/stat field 22 when create recorded it
};

// Writes state_dir/container.json atomically (temporary file, fsync, rename).
Result<> write_record(const std::filesystem::path &state_dir, const ContainerRecord &rec);

// Reads the record; nullopt when create never got as far as writing one.
Result<std::optional<ContainerRecord>> read_record(const std::filesystem::path &state_dir);

// Removes the record file; a missing file is not an error.
Result<> remove_record(const std::filesystem::path &state_dir);

} // namespace berth::chroot
