// The container's namespaces as the spec's linux.namespaces asks for them: which ones clone
// creates, which ones are joined by path, and the steps that must follow creation (id maps,
// the cgroup namespace, the loopback interface).
#pragma once

#include <berth/common/error.hpp>
#include <berth/common/unique_fd.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace berth::native {

struct JoinedNamespace {
    int type = 0;     // CLONE_NEW*
    std::string name; // spec name ("network")
    std::string path;
    UniqueFd fd;      // opened in the driver before clone; the child inherits it
};

struct NamespacePlan {
    // New namespaces the child gets from clone itself. Never CLONE_NEWCGROUP: the cgroup
    // namespace is unshared only after the driver moved the child into its cgroup, because a
    // new cgroup namespace takes its root from the cgroup its creator is in at that moment.
    int clone_flags = 0;
    // New namespaces the child unshares after joining a user namespace by path, so that they
    // belong to that user namespace and not to the host's.
    int unshare_flags = 0;
    bool new_cgroupns = false;
    bool new_userns = false; // the driver writes uid_map and gid_map
    bool new_netns = false;  // the child brings up lo
    bool new_utsns = false;
    bool new_mountns = false;
    std::vector<JoinedNamespace> joined; // user first, so later joins and unshares are its own
    int all_types = 0; // every CLONE_NEW* the container has, new or joined (exec joins these)
};

// Reads linux.namespaces: known types, no duplicates, a path only where it can be joined.
Result<NamespacePlan> plan_namespaces(const nlohmann::json &spec);

// Opens every namespace path of `plan` (O_RDONLY, close-on-exec), checking that each is a
// namespace of the type the spec says.
Result<> open_joined_namespaces(NamespacePlan &plan);

// linux.uidMappings / gidMappings as the text of /proc/PID/uid_map.
Result<std::string> id_map_text(const nlohmann::json &spec, const char *key);

// Writes the maps of a new user namespace; runs in the driver, which holds CAP_SETUID and
// CAP_SETGID in the parent namespace, so setgroups need not be denied.
Result<> write_id_maps(int pid, const std::string &uid_map, const std::string &gid_map);

// Sets the loopback interface of the caller's network namespace up, over rtnetlink.
Result<> bring_loopback_up();

// The spec name of a CLONE_NEW* flag ("network" for CLONE_NEWNET).
const char *namespace_name(int type);

// The /proc/PID/ns/ entry of a CLONE_NEW* flag ("net" for CLONE_NEWNET).
const char *namespace_proc_name(int type);

} // namespace berth::native
