// The parent cgroups berth made: "berth" for the default cgroup_parent, or "a/b" for a
// container whose cgroupsPath is "a/b/c1". They are recorded under the state root when made,
// and the last container below one removes it. A parent berth did not make (one an
// administrator made, with limits for every container below it) is never removed.
//
// The record is a directory of empty files, one per parent, named by the parent's path with
// '%' and '/' escaped. A lock on the directory orders creates against deletes of one state
// root; between state roots, a create that finds its parent removed under it makes it again.
#pragma once

#include <berth/common/error.hpp>
#include <berth/common/unique_fd.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace berth::native {

class CgroupParents {
public:
    // The record of the state root a container's driver state dir (<root>/<id>/driver) is in.
    static std::filesystem::path record_for(const std::filesystem::path &state_dir);

    // Takes the record's lock (making the record when missing), held until destruction.
    static Result<CgroupParents> lock(const std::filesystem::path &record);

    // Records `made` (relative cgroup paths) as parents berth made.
    Result<> record(const std::vector<std::string> &made);

    // Removes the recorded ancestors of the cgroup `path` that hold nothing any more, the
    // deepest first, and forgets them; stops at the first one still in use. The record
    // itself goes when it names no parent any more.
    void remove_unused(const std::string &path);

private:
    explicit CgroupParents(std::filesystem::path dir, UniqueFd lock)
        : dir_(std::move(dir)), lock_(std::move(lock)) {}
    std::filesystem::path dir_;
    UniqueFd lock_;
};

} // namespace berth::native
