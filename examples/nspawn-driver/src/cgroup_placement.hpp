// Where a container's systemd-nspawn runs in the cgroup tree.
//
// Started with --keep-unit and --register=no, systemd-nspawn asks no service manager for a
// scope: it stays in the cgroup it was started in and, on the unified hierarchy, creates
// "payload" and "supervisor" below it. Started from berth's own cgroup, it would leave those
// two behind there and share them with every other container. So the driver starts it in a
// cgroup of the container's own, berth/ID in each hierarchy systemd-nspawn uses (cgroup2 and
// the v1 name=systemd hierarchy), and delete removes that subtree.
#pragma once

#include <string>
#include <vector>

namespace nspawn_driver {

// Mount points of the hierarchies systemd-nspawn places itself in: the cgroup2 mount and the
// v1 hierarchy named "systemd", those that exist. Empty when neither is mounted.
std::vector<std::string> nspawn_hierarchies();

// The container's cgroup in each of those hierarchies (nothing is created).
std::vector<std::string> container_cgroups(const std::string &id);

// Creates the container's cgroups (and their parent "berth-nspawn" where missing). Throws on
// failure after removing what it made.
void create_container_cgroups(const std::vector<std::string> &dirs);

// Pids of every process in `dir` and the cgroups below it.
std::vector<int> cgroup_processes(const std::string &dir);

// Removes `dir` and every cgroup below it; a missing one is not an error. Throws when one
// cannot be removed (EBUSY while a process is still in it).
void remove_cgroup_tree(const std::string &dir);

// remove_cgroup_tree(dir), then the parent "berth-nspawn" when no other container is in it.
void remove_container_cgroup(const std::string &dir);

} // namespace nspawn_driver
