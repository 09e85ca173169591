// The host's record of its containers: one directory per container under the state root,
//
//     <root>/<id>/state.json   the record below, replaced atomically (tmp + fsync + rename)
//     <root>/<id>/lock         locked by whoever reads or changes the container
//     <root>/<id>/driver/      the driver's private state_dir
//
// so that later commands find the driver that created a container without -e, and two berth
// processes working on one container take turns.
#pragma once

#include <berth/common/error.hpp>
#include <berth/common/unique_fd.hpp>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::host {

struct ContainerRecord {
    std::string id;
    std::string driver;
    std::filesystem::path bundle;
    int pid = 0;
    // Field 22 of /proc/PID/stat when the record was made: a pid whose start time differs is
    // another process that reused the number.
    unsigned long long pid_start_time = 0;
    std::string status = "creating"; // OCI words: creating, created, running, stopped, paused
    std::string created;             // RFC 3339, UTC
    std::map<std::string, std::string> annotations;

    nlohmann::json to_json() const;
    static Result<ContainerRecord> from_json(const nlohmann::json &j);
};

// Container ids: [A-Za-z0-9][A-Za-z0-9_.-]*, at most 1024 characters.
Result<> validate_container_id(std::string_view id);

// The directory name under the state root for `id`. Ids longer than a file name may be are
// shortened and made unique with a hash of the whole id.
std::string container_dir_name(std::string_view id);

// The current time as RFC 3339 in UTC with nanoseconds.
std::string now_rfc3339();

// Start time (clock ticks after boot, /proc/PID/stat field 22) of a live process.
std::optional<unsigned long long> process_start_time(int pid);

// Whether `pid` is still the process that had `start_time` (false when gone or reused).
bool process_matches(int pid, unsigned long long start_time);

// A container directory held under its lock. Moving the handle moves the lock; destroying it
// releases the lock.
class ContainerHandle {
public:
    ContainerHandle(UniqueFd lock, std::filesystem::path dir, ContainerRecord rec)
        : lock_(std::move(lock)), dir_(std::move(dir)), rec_(std::move(rec)) {}
    ContainerHandle(ContainerHandle &&) = default;
    ContainerHandle &operator=(ContainerHandle &&) = default;

    ContainerRecord &record() { return rec_; }
    const ContainerRecord &record() const { return rec_; }
    const std::filesystem::path &dir() const { return dir_; }
    std::filesystem::path driver_dir() const { return dir_ / "driver"; }

    // Writes the record atomically.
    Result<> save();

    // Removes the container's whole directory; the lock goes with it.
    Result<> remove();

    // Lets other berth processes at the container (while `run` waits for it) and takes the
    // lock back; relock fails when the container was deleted meanwhile.
    void unlock();
    Result<> relock();

private:
    UniqueFd lock_;
    std::filesystem::path dir_;
    ContainerRecord rec_;
};

class StateStore {
public:
    explicit StateStore(std::filesystem::path root) : root_(std::move(root)) {}

    const std::filesystem::path &root() const { return root_; }

    // Makes the directory of a new container (exclusively: an existing id is an error), its
    // driver/ directory and its first record, and returns it locked. Nothing remains on failure.
    Result<ContainerHandle> create(ContainerRecord rec);

    // Locks and reads the record of an existing container.
    Result<ContainerHandle> open(const std::string &id) const;

    // Every container's record, oldest first, without locking; records still being made are
    // left out.
    Result<std::vector<ContainerRecord>> list() const;

private:
    std::filesystem::path root_;
};

} // namespace berth::host
