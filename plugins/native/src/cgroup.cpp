#include "cgroup.hpp"

#include "cgroup_devices.hpp"
#include "cgroup_files.hpp"
#include "cgroup_layout.hpp"
#include "cgroup_resources.hpp"
#include "cgroup_stats.hpp"
#include "cgroup_v1.hpp"
#include "cgroup_v2.hpp"

#include <berth/common/scope_guard.hpp>

#include <fmt/format.h>

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <thread>

namespace berth::native {

namespace {

using namespace std::chrono_literals;

constexpr auto freeze_timeout = 5s;
constexpr auto destroy_timeout = 10s;

Result<> check_path(const std::string &path) {
    bool bad = path.empty() || path.front() == '/' || path.back() == '/' ||
               path.find("//") != std::string::npos;
    for (size_t pos = 0; !bad && pos <= path.size();) {
        size_t end = std::min(path.find('/', pos), path.size());
        auto part = path.substr(pos, end - pos);
        bad = part == "." || part == "..";
        pos = end + 1;
    }
    if (bad)
        return fail(make_error(BERTH_E_INVALID_SPEC, "invalid cgroup path", path)
                        .with_hint("use a relative path such as berth/c1, without . or .."));
    return {};
}

bool is_dir(const std::string &path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Creates every missing level of `path` under `mount`, recording what it made in `created`.
// The leaf must be new: an existing one belongs to another container or was left behind.
Result<> make_dirs(const std::string &mount, const std::string &path,
                   std::vector<std::string> &created) {
    int restarts = 0;
    for (size_t pos = 0; pos <= path.size();) {
        size_t end = std::min(path.find('/', pos), path.size());
        const std::string dir = mount + "/" + path.substr(0, end);
        const bool leaf = end == path.size();
        if (::mkdir(dir.c_str(), 0755) == 0) {
            created.push_back(dir);
        } else if (errno == ENOENT && pos > 0 && ++restarts < 10) {
            // The last container of another state root removed a parent just made or found.
            pos = 0;
            continue;
        } else if (errno != EEXIST) {
            return fail(sys_error("mkdir", dir));
        } else if (leaf) {
            return fail(make_error(BERTH_E_STATE, "cgroup already exists:", dir)
                            .with_hint("another container uses this cgroupsPath, or one was "
                                       "left behind: remove it with rmdir"));
        }
        pos = end + 1;
    }
    return {};
}

// Where the hierarchies are mounted: each v1 one, then the cgroup2 tree when there is one.
std::vector<std::string> mountpoints(const CgroupLayout &l) {
    std::vector<std::string> out;
    for (const auto &h : l.v1)
        out.push_back(h.mountpoint);
    if (!l.unified.empty())
        out.push_back(l.unified);
    return out;
}

// rmdir, retried while the kernel still counts exiting tasks (EBUSY) until `deadline`.
Result<> remove_dir(const std::string &dir, Deadline deadline) {
    for (;;) {
        if (::rmdir(dir.c_str()) == 0 || errno == ENOENT)
            return {};
        if (errno != EBUSY || std::chrono::steady_clock::now() >= deadline)
            return fail(sys_error("rmdir", dir));
        std::this_thread::sleep_for(5ms);
    }
}

class HostCgroup final : public Cgroup {
public:
    HostCgroup(const CgroupLayout &layout, std::string path, std::vector<std::string> v1_dirs,
               std::string v2_dir)
        : layout_(layout), path_(std::move(path)), v1_dirs_(std::move(v1_dirs)),
          v2_dir_(std::move(v2_dir)) {}

    std::optional<ControllerDir> lookup(std::string_view controller) const {
        switch (layout_.version_of(controller)) {
        case 1:
            for (size_t i = 0; i < layout_.v1.size(); ++i)
                if (layout_.v1[i].has(controller) && !v1_dirs_[i].empty())
                    return ControllerDir{v1_dirs_[i], 1};
            return std::nullopt;
        case 2:
            if (!v2_dir_.empty())
                return ControllerDir{v2_dir_, 2};
            return std::nullopt;
        default:
            return std::nullopt;
        }
    }

    Result<> apply(const CgroupPlan &plan) {
        for (const auto &w : plan.writes) {
            auto c = lookup(w.controller);
            if (!c)
                return fail(make_error(BERTH_E_UNAVAILABLE,
                                       "cgroup controller " + w.controller + " not available")
                                .in("apply linux.resources." + w.field));
            if (auto r = write_cgroup_file(c->dir + "/" + w.file, w.value); !r) {
                Error e = std::move(r.error());
                if (e.sys_errno == ENOENT)
                    e.hint = "this kernel has no " + w.file + "; remove linux.resources." +
                             w.field + " from the spec";
                return fail(std::move(e).in("apply linux.resources." + w.field));
            }
        }
        if (!plan.device_program.empty())
            if (auto r = attach_device_program(v2_dir_, plan.device_program); !r)
                return fail(std::move(r.error()).in("apply linux.resources.devices"));
        return {};
    }

    Result<> add_process(int pid) override {
        for (const auto &dir : directories())
            if (auto r = write_cgroup_file(dir + "/cgroup.procs", std::to_string(pid)); !r)
                return fail(
                    std::move(r.error()).in(fmt::format("move process {} into cgroup", pid)));
        return {};
    }

    Result<> set_frozen(bool frozen) {
        auto c = lookup("freezer");
        if (!c)
            return fail(make_error(BERTH_E_UNAVAILABLE, "cgroup controller freezer not available")
                            .with_hint("mount the v1 freezer controller or use cgroup v2"));
        auto deadline = std::chrono::steady_clock::now() + freeze_timeout;
        return c->version == 1 ? set_frozen_v1(c->dir, frozen, deadline)
                               : set_frozen_v2(c->dir, frozen, deadline);
    }

    Result<> freeze() override { return set_frozen(true); }
    Result<> thaw() override { return set_frozen(false); }

    Result<bool> frozen() override {
        auto c = lookup("freezer");
        if (!c)
            return false;
        return c->version == 1 ? frozen_v1(c->dir) : frozen_v2(c->dir);
    }

    Result<std::vector<int>> pids() override {
        std::set<int> all;
        for (const auto &dir : directories()) {
            auto p = read_cgroup_procs(dir);
            if (!p)
                return fail(std::move(p.error()));
            all.insert(p->begin(), p->end());
        }
        return std::vector<int>(all.begin(), all.end());
    }

    Result<> signal_all(int sig) override {
        if (sig == SIGKILL && !v2_dir_.empty()) {
            auto r = kill_v2(v2_dir_);
            if (!r && r.error().code != BERTH_E_NOT_SUPPORTED)
                return r;
            // A task frozen by the v1 freezer acts on the pending SIGKILL only once thawed.
            if (r) {
                auto freezer = lookup("freezer");
                if (freezer && freezer->version == 1 && frozen().value_or(false))
                    return thaw();
                return r;
            }
        }
        // Frozen, the processes cannot fork between the listing and the signal; a frozen v1
        // task acts on SIGKILL only once thawed. Without a freezer the listing may miss a
        // child forked meanwhile, which destroy() catches by listing again.
        const bool was_frozen = frozen().value_or(false);
        const bool can_freeze = !was_frozen && freeze().has_value();
        auto list = pids();
        Result<> result;
        if (!list) {
            result = fail(std::move(list.error()));
        } else {
            for (int pid : *list)
                if (::kill(pid, sig) < 0 && errno != ESRCH && result)
                    result = fail(sys_error("kill", fmt::format("process {}", pid)));
        }
        if (can_freeze || (was_frozen && sig == SIGKILL))
            if (auto t = thaw(); !t && result)
                result = fail(std::move(t.error()));
        return result;
    }

    Result<bool> oom_killed() override {
        auto c = lookup("memory");
        if (!c)
            return false;
        auto kills = c->version == 1 ? oom_kills_v1(c->dir) : oom_kills_v2(c->dir);
        if (!kills)
            return fail(std::move(kills.error()));
        return *kills > 0;
    }

    Result<nlohmann::json> stats() override {
        return collect_stats([this](std::string_view c) { return lookup(c); }, v2_dir_);
    }

    Result<> destroy() override {
        const auto deadline = std::chrono::steady_clock::now() + destroy_timeout;
        for (;;) {
            auto left = pids();
            if (!left)
                return fail(std::move(left.error()).in("remove cgroup " + path_));
            if (left->empty())
                break;
            if (std::chrono::steady_clock::now() >= deadline)
                return fail(make_error(BERTH_E_FAILED,
                                       fmt::format("{} processes still alive after {}s in cgroup",
                                                   left->size(), destroy_timeout.count()),
                                       path_)
                                .in("remove cgroup " + path_)
                                .with_hint("a process may be stuck in the kernel (D state); "
                                           "retry the delete later"));
            if (auto k = signal_all(SIGKILL); !k)
                return fail(std::move(k.error()).in("remove cgroup " + path_));
            std::this_thread::sleep_for(10ms);
        }
        for (const auto &dir : directories())
            if (auto r = remove_dir(dir, deadline); !r)
                return fail(std::move(r.error()).in("remove cgroup " + path_));
        return {};
    }

    std::vector<std::string> directories() const override {
        std::vector<std::string> out;
        for (const auto &d : v1_dirs_)
            if (!d.empty())
                out.push_back(d);
        if (!v2_dir_.empty())
            out.push_back(v2_dir_);
        return out;
    }

private:
    const CgroupLayout &layout_;
    std::string path_;
    std::vector<std::string> v1_dirs_; // one per layout_.v1 entry; empty when absent
    std::string v2_dir_;               // empty when the host has no cgroup2 tree
};

// v2 controllers to enable down the tree: those the resources use, and on pure v2 the ones
// statistics read. devices and freezer are core v2 features, not controllers.
std::vector<std::string> v2_controllers(const CgroupLayout &layout, const CgroupPlan &plan) {
    std::set<std::string> wanted;
    for (const auto &[c, field] : plan.controllers)
        if (layout.version_of(c) == 2 && c != "devices" && c != "freezer")
            wanted.insert(c);
    if (layout.mode() == CgroupMode::v2)
        for (const char *c : {"cpu", "memory", "pids"})
            if (layout.version_of(c) == 2)
                wanted.insert(c);
    return {wanted.begin(), wanted.end()};
}

} // namespace

Result<std::unique_ptr<Cgroup>> Cgroup::create(const std::string &path,
                                               const nlohmann::json &resources,
                                               std::vector<std::string> *made_parents) {
    const std::string step = "create cgroup " + path;
    if (auto r = check_path(path); !r)
        return fail(std::move(r.error()).in(step));
    auto layout = cgroup_layout();
    if (!layout)
        return fail(std::move(layout.error()).in(step));
    const CgroupLayout &l = **layout;
    auto plan = plan_resources(resources, [&](std::string_view c) { return l.version_of(c); });
    if (!plan)
        return fail(std::move(plan.error()).in(step));

    std::vector<std::string> created;
    ScopeGuard undo([&] {
        for (auto it = created.rbegin(); it != created.rend(); ++it)
            ::rmdir(it->c_str());
    });
    std::vector<std::string> v1_dirs;
    for (const auto &h : l.v1) {
        if (auto r = make_dirs(h.mountpoint, path, created); !r)
            return fail(std::move(r.error()).in(step));
        if (h.has("cpuset"))
            if (auto r = inherit_cpuset_v1(h.mountpoint, path); !r)
                return fail(std::move(r.error()).in(step));
        v1_dirs.push_back(h.mountpoint + "/" + path);
    }
    std::string v2_dir;
    if (!l.unified.empty()) {
        // Enabling a controller in a parent gives its existing children the interface files,
        // so the directories may come first.
        if (auto r = make_dirs(l.unified, path, created); !r)
            return fail(std::move(r.error()).in(step));
        if (auto r = enable_controllers_v2(l.unified, path, v2_controllers(l, *plan)); !r)
            return fail(std::move(r.error()).in(step));
        v2_dir = l.unified + "/" + path;
    }
    auto cgroup = std::make_unique<HostCgroup>(l, path, std::move(v1_dirs), std::move(v2_dir));
    if (auto r = cgroup->apply(*plan); !r)
        return fail(std::move(r.error()).in(step));
    undo.cancel();
    if (made_parents != nullptr) {
        std::set<std::string> parents;
        for (const auto &dir : created)
            for (const auto &mount : mountpoints(l))
                if (dir.starts_with(mount + "/") && dir.size() > mount.size() + 1 &&
                    dir.substr(mount.size() + 1) != path)
                    parents.insert(dir.substr(mount.size() + 1));
        made_parents->insert(made_parents->end(), parents.begin(), parents.end());
    }
    return cgroup;
}

bool Cgroup::remove_if_empty(const std::string &path) {
    if (!check_path(path))
        return false;
    auto layout = cgroup_layout();
    if (!layout)
        return false;
    for (const auto &m : mountpoints(**layout))
        if (::rmdir((m + "/" + path).c_str()) != 0 && errno != ENOENT)
            return false;
    return true;
}

Result<std::unique_ptr<Cgroup>> Cgroup::open(const std::string &path) {
    if (auto r = check_path(path); !r)
        return fail(std::move(r.error()));
    auto layout = cgroup_layout();
    if (!layout)
        return fail(std::move(layout.error()));
    const CgroupLayout &l = **layout;
    bool found = false;
    std::vector<std::string> v1_dirs;
    for (const auto &h : l.v1) {
        std::string dir = h.mountpoint + "/" + path;
        found |= is_dir(dir);
        v1_dirs.push_back(is_dir(dir) ? dir : std::string());
    }
    std::string v2_dir;
    if (!l.unified.empty() && is_dir(l.unified + "/" + path))
        v2_dir = l.unified + "/" + path;
    if (!found && v2_dir.empty())
        return fail(make_error(BERTH_E_NOT_FOUND, "cgroup not found:", path)
                        .with_hint("the container's cgroup was removed; delete the container"));
    return std::make_unique<HostCgroup>(l, path, std::move(v1_dirs), std::move(v2_dir));
}

} // namespace berth::native
