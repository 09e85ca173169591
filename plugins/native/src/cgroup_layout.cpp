#include "cgroup_layout.hpp"

#include "cgroup_files.hpp"

#include <algorithm>
#include <array>
#include <sstream>

namespace berth::native {

namespace {

// v1 controllers the kernel knows; every other super option of a cgroup mount (rw,
// clone_children, release_agent=..., noprefix, xattr, ...) is a mount flag.
constexpr std::array known_controllers = {
    "cpuset", "cpu",     "cpuacct", "io",   "blkio", "memory", "devices", "freezer",
    "net_cls", "perf_event", "net_prio", "hugetlb", "pids", "rdma",  "misc",   "debug"};

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape(std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 3 < s.size() &&
            std::all_of(s.begin() + i + 1, s.begin() + i + 4,
                        [](char c) { return c >= '0' && c <= '7'; })) {
            out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 +
                                     (s[i + 3] - '0'));
            i += 3;
        } else {
            out += s[i];
        }
    }
    return out;
}

std::vector<std::string> split(std::string_view s, char sep) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= s.size()) {
        size_t end = s.find(sep, start);
        if (end == std::string_view::npos)
            end = s.size();
        if (end > start)
            out.emplace_back(s.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

std::vector<std::string> v1_controllers(std::string_view super_options) {
    std::vector<std::string> out;
    for (auto &opt : split(super_options, ',')) {
        bool known = std::find(known_controllers.begin(), known_controllers.end(), opt) !=
                     known_controllers.end();
        if (known || opt.starts_with("name="))
            out.push_back(opt);
    }
    return out;
}

} // namespace

bool CgroupHierarchy::has(std::string_view controller) const {
    return std::find(controllers.begin(), controllers.end(), controller) != controllers.end();
}

CgroupMode CgroupLayout::mode() const {
    if (v1.empty())
        return unified.empty() ? CgroupMode::none : CgroupMode::v2;
    return unified.empty() ? CgroupMode::v1 : CgroupMode::hybrid;
}

const CgroupHierarchy *CgroupLayout::v1_hierarchy(std::string_view controller) const {
    for (const auto &h : v1)
        if (h.has(controller))
            return &h;
    return nullptr;
}

int CgroupLayout::version_of(std::string_view controller) const {
    if (v1_hierarchy(controller))
        return 1;
    if (unified.empty())
        return 0;
    if (controller == "devices" || controller == "freezer")
        return 2;
    bool listed = std::find(unified_controllers.begin(), unified_controllers.end(), controller) !=
                  unified_controllers.end();
    return listed ? 2 : 0;
}

CgroupLayout parse_cgroup_mountinfo(std::string_view mountinfo) {
    CgroupLayout layout;
    for (const auto &line : split(mountinfo, '\n')) {
        // id parent major:minor root mountpoint options [optional...] - fstype source super
        auto dash = line.find(" - ");
        if (dash == std::string::npos)
            continue;
        auto head = split(std::string_view(line).substr(0, dash), ' ');
        auto tail = split(std::string_view(line).substr(dash + 3), ' ');
        if (head.size() < 5 || tail.size() < 3)
            continue;
        const std::string mountpoint = unescape(head[4]);
        const std::string &fstype = tail[0];
        if (fstype == "cgroup2") {
            if (layout.unified.empty())
                layout.unified = mountpoint;
        } else if (fstype == "cgroup") {
            auto controllers = v1_controllers(tail[2]);
            if (controllers.empty())
                continue;
            // The same hierarchy mounted twice (a bind mount) keeps its first mountpoint.
            bool seen = std::any_of(layout.v1.begin(), layout.v1.end(),
                                    [&](const auto &h) { return h.controllers == controllers; });
            if (!seen)
                layout.v1.push_back({mountpoint, std::move(controllers)});
        }
    }
    return layout;
}

namespace {

Result<CgroupLayout> detect() {
    auto text = read_cgroup_file("/proc/self/mountinfo");
    if (!text)
        return fail(std::move(text.error()).in("detect cgroup layout"));
    CgroupLayout layout = parse_cgroup_mountinfo(*text);
    if (layout.mode() == CgroupMode::none)
        return fail(make_error(BERTH_E_UNAVAILABLE, "no cgroup hierarchy is mounted")
                        .with_hint("mount cgroup2 on /sys/fs/cgroup or the v1 controllers"));
    if (!layout.unified.empty()) {
        auto controllers = read_cgroup_file(layout.unified + "/cgroup.controllers");
        if (!controllers)
            return fail(std::move(controllers.error()).in("detect cgroup layout"));
        layout.unified_controllers = split_words(*controllers);
    }
    return layout;
}

} // namespace

Result<const CgroupLayout *> cgroup_layout() {
    static const Result<CgroupLayout> layout = detect();
    if (!layout)
        return fail(layout.error());
    return &*layout;
}

} // namespace berth::native
