// What the driver keeps of a container in its state directory, so that berth commands run
// later (start, state, kill, delete) find it:
//
//   record   "PID START_TIME": the process create made, which becomes systemd-nspawn
//   start    a FIFO: the start barrier. The created process opens it for writing, which
//            blocks until start opens it for reading; its one byte proves the process got
//            past the open. The FIFO exists from create until start.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace nspawn_driver {

struct Record {
    int pid = 0;
    unsigned long long start_time = 0;
};

std::optional<Record> read_record(const std::string &state_dir);
void write_record(const std::string &state_dir, const Record &rec);

std::string barrier_path(const std::string &state_dir);
void make_barrier(const std::string &state_dir);
bool barrier_pending(const std::string &state_dir);

// In the created process after fork (async-signal-safe): blocks until start opens the FIFO,
// then writes the byte. Returns 0 or the errno that stopped it.
int wait_at_barrier(const char *fifo) noexcept;

// Lets the process through and removes the FIFO. Fails when the process ends first or does
// not reach the barrier within `timeout`.
void release_barrier(const std::string &state_dir, const Record &rec,
                     std::chrono::milliseconds timeout);

// Removes the record and the FIFO; missing ones are not an error.
void remove_container_files(const std::string &state_dir);

} // namespace nspawn_driver
