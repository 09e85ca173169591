// Holds a created container's process until `berth start`, which may be another invocation of
// berth: the process opens a FIFO for writing, which blocks in the kernel until start opens it
// for reading, then writes one byte that start reads as proof the process got past the open.
//
// The FIFO lives in state_dir/barrier/, a directory owned by the container's uid and gid.
// The process has already chrooted and dropped its credentials when it reaches the barrier, so
// it reaches the FIFO through a directory fd opened before chroot, and only that directory and
// the FIFO need to be accessible to the container's user (not state_dir or its parents).
#pragma once

#include <berth/common/error.hpp>
#include <berth/common/unique_fd.hpp>

#include <sys/types.h>

#include <chrono>
#include <filesystem>

namespace berth::chroot {

// Creates the barrier directory and FIFO for a process that will run as uid:gid.
Result<> make_start_barrier(const std::filesystem::path &state_dir, uid_t uid, gid_t gid);

// An O_PATH fd of the barrier directory, for the container's process to keep across chroot.
Result<UniqueFd> open_start_barrier_dir(const std::filesystem::path &state_dir);

// In the container's process (after fork, so only async-signal-safe calls): blocks until
// start opens the FIFO, then writes the byte. Returns 0 or the errno that stopped it.
int wait_at_start_barrier(int barrier_dir_fd) noexcept;

// Whether the barrier still stands: the container was created and not yet started.
bool start_barrier_pending(const std::filesystem::path &state_dir);

// Lets the process through. `alive` is asked while waiting, so a process that died at the
// barrier turns into an error instead of a hang; `timeout` bounds the wait for its byte.
using AliveCheck = bool (*)(int pid, unsigned long long start_time);
Result<> release_start_barrier(const std::filesystem::path &state_dir, int pid,
                               unsigned long long start_time, AliveCheck alive,
                               std::chrono::milliseconds timeout);

// Removes the FIFO and its directory; missing ones are not an error.
Result<> remove_start_barrier(const std::filesystem::path &state_dir);

} // namespace berth::chroot
