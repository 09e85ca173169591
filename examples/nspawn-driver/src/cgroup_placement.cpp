#include "cgroup_placement.hpp"

#include "sys_failure.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <dirent.h>

#include <fstream>
#include <sstream>

namespace nspawn_driver {
namespace {

constexpr const char *parent_name = "berth-nspawn";

// Subdirectories (child cgroups) of `dir`.
std::vector<std::string> child_cgroups(const std::string &dir) {
    std::vector<std::string> children;
    DIR *d = ::opendir(dir.c_str());
    if (d == nullptr)
        return children;
    while (const dirent *e = ::readdir(d)) {
        std::string name = e->d_name;
        if (e->d_type == DT_DIR && name != "." && name != "..")
            children.push_back(dir + "/" + name);
    }
    ::closedir(d);
    return children;
}

} // namespace

std::vector<std::string> nspawn_hierarchies() {
    std::string unified, named_systemd;
    std::ifstream in("/proc/self/mountinfo");
    std::string line;
    while (std::getline(in, line)) {
        // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS
        std::istringstream f(line);
        std::string id, parent, dev, root, mount_point, field;
        f >> id >> parent >> dev >> root >> mount_point;
        while (f >> field && field != "-") {
        }
        std::string fstype, source, super;
        f >> fstype >> source >> super;
        if (root != "/")
            continue; // a bind mount of a subtree, not the hierarchy
        if (fstype == "cgroup2" && unified.empty())
            unified = mount_point;
        if (fstype == "cgroup" && named_systemd.empty() &&
            ("," + super + ",").find(",name=systemd,") != std::string::npos)
            named_systemd = mount_point;
    }
    std::vector<std::string> found;
    for (const auto &m : {named_systemd, unified})
        if (!m.empty())
            found.push_back(m);
    return found;
}

std::vector<std::string> container_cgroups(const std::string &id) {
    std::vector<std::string> dirs;
    for (const auto &h : nspawn_hierarchies())
        dirs.push_back(h + "/" + parent_name + "/" + id);
    return dirs;
}

void create_container_cgroups(const std::vector<std::string> &dirs) {
    std::vector<std::string> made;
    for (const auto &dir : dirs) {
        const std::string parent = dir.substr(0, dir.rfind('/'));
        if (::mkdir(parent.c_str(), 0755) != 0 && errno != EEXIST)
            throw sys_failure("create cgroup", parent);
        if (::mkdir(dir.c_str(), 0755) != 0) {
            auto failure = sys_failure("create cgroup", dir);
            for (const auto &m : made)
                ::rmdir(m.c_str());
            throw failure;
        }
        made.push_back(dir);
    }
}

std::vector<int> cgroup_processes(const std::string &dir) {
    std::vector<int> pids;
    std::ifstream in(dir + "/cgroup.procs");
    int pid = 0;
    while (in >> pid)
        pids.push_back(pid);
    for (const auto &child : child_cgroups(dir))
        for (int p : cgroup_processes(child))
            pids.push_back(p);
    return pids;
}

void remove_cgroup_tree(const std::string &dir) {
    for (const auto &child : child_cgroups(dir))
        remove_cgroup_tree(child);
    if (::rmdir(dir.c_str()) != 0 && errno != ENOENT)
        throw sys_failure("remove cgroup", dir);
}

void remove_container_cgroup(const std::string &dir) {
    remove_cgroup_tree(dir);
    // The parent goes with its last container; another container keeps it (ENOTEMPTY).
    ::rmdir(dir.substr(0, dir.rfind('/')).c_str());
}

} // namespace nspawn_driver
