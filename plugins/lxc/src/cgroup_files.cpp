#include "cgroup_files.hpp"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace berth::lxc {

namespace {

std::vector<std::string> split(const std::string &s, char sep) {
    std::vector<std::string> out;
    std::stringstream ss(s);
    std::string item;
    while (std::getline(ss, item, sep))
        if (!item.empty())
            out.push_back(item);
    return out;
}

std::optional<std::string> slurp(const fs::path &p) {
    std::ifstream in(p);
    if (!in)
        return std::nullopt;
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// cgroupsPath may be absolute ("/a/b", from the hierarchy root) or relative; LXC as root
// places the container below each hierarchy's root either way.
std::string relative(const std::string &rel) {
    size_t start = rel.find_first_not_of('/');
    return start == std::string::npos ? std::string() : rel.substr(start);
}

} // namespace

CgroupLayout CgroupLayout::discover() {
    CgroupLayout layout;
    std::ifstream in("/proc/self/mountinfo");
    std::string line;
    while (std::getline(in, line)) {
        auto dash = line.find(" - ");
        if (dash == std::string::npos)
            continue;
        std::istringstream head(line.substr(0, dash));
        std::string field, mount;
        for (int i = 0; i < 5 && head >> field; ++i)
            mount = field;
        std::istringstream tail(line.substr(dash + 3));
        std::string type, source, options;
        tail >> type >> source >> options;
        if (type == "cgroup2") {
            Hierarchy h{mount, true, {}};
            if (auto c = slurp(fs::path(mount) / "cgroup.controllers"))
                for (auto &name : split(*c, ' '))
                    h.controllers.push_back(name.substr(0, name.find('\n')));
            layout.hierarchies_.push_back(std::move(h));
        } else if (type == "cgroup") {
            Hierarchy h{mount, false, {}};
            for (auto &opt : split(options, ','))
                if (opt != "rw" && opt != "ro" && opt.find('=') == std::string::npos)
                    h.controllers.push_back(opt);
            layout.hierarchies_.push_back(std::move(h));
        }
    }
    return layout;
}

const Hierarchy *CgroupLayout::carrying(std::string_view controller) const {
    // A controller bound to a v1 hierarchy is unavailable in v2 (kernel: a controller lives in
    // one hierarchy at a time), so the first match is the only one.
    for (const auto &h : hierarchies_)
        if (std::find(h.controllers.begin(), h.controllers.end(), controller) !=
            h.controllers.end())
            return &h;
    return nullptr;
}

int CgroupLayout::version_of(std::string_view controller) const {
    const Hierarchy *h = carrying(controller);
    return h == nullptr ? 0 : (h->v2 ? 2 : 1);
}

std::optional<std::string> CgroupLayout::read(std::string_view controller,
                                              const std::string &rel,
                                              const std::string &file) const {
    const Hierarchy *h = carrying(controller);
    if (h == nullptr)
        return std::nullopt;
    return slurp(h->mount / relative(rel) / file);
}

std::vector<int> CgroupLayout::pids(const std::string &rel) const {
    const Hierarchy *h = carrying("pids");
    if (h == nullptr)
        h = carrying("freezer");
    if (h == nullptr)
        for (const auto &candidate : hierarchies_)
            if (candidate.v2)
                h = &candidate;
    std::vector<int> out;
    if (h == nullptr)
        return out;
    fs::path top = h->mount / relative(rel);
    std::error_code ec;
    if (!fs::is_directory(top, ec))
        return out;
    std::vector<fs::path> dirs{top};
    for (auto it = fs::recursive_directory_iterator(top, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
        if (it->is_directory(ec))
            dirs.push_back(it->path());
    for (const auto &d : dirs)
        if (auto procs = slurp(d / "cgroup.procs"))
            for (auto &p : split(*procs, '\n'))
                out.push_back(std::stoi(p));
    std::sort(out.begin(), out.end());
    return out;
}

Result<> CgroupLayout::remove(const std::string &rel) const {
    std::string r = relative(rel);
    if (r.empty())
        return {};
    for (const auto &h : hierarchies_) {
        fs::path top = h.mount / r;
        std::error_code ec;
        if (!fs::is_directory(top, ec))
            continue;
        // rmdir works on a cgroup only once its children are gone: deepest first.
        std::vector<fs::path> dirs{top};
        for (auto it = fs::recursive_directory_iterator(top, ec);
             !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
            if (it->is_directory(ec))
                dirs.push_back(it->path());
        std::sort(dirs.begin(), dirs.end(), [](const fs::path &a, const fs::path &b) {
            return a.string().size() > b.string().size();
        });
        for (const auto &d : dirs)
            if (::rmdir(d.c_str()) != 0 && errno != ENOENT)
                return fail(sys_error("remove cgroup", d.string()));
    }
    return {};
}

} // namespace berth::lxc
