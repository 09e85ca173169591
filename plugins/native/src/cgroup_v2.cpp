#include "cgroup_v2.hpp"

#include "cgroup_files.hpp"

#include <algorithm>
#include <thread>

namespace berth::native {

Result<> enable_controllers_v2(const std::string &mount, const std::string &path,
                               const std::vector<std::string> &controllers) {
    if (controllers.empty())
        return {};
    std::string dir = mount;
    size_t pos = 0;
    for (;;) {
        const std::string file = dir + "/cgroup.subtree_control";
        auto enabled = read_cgroup_file(file);
        if (!enabled)
            return fail(std::move(enabled.error()));
        auto have = split_words(*enabled);
        for (const auto &c : controllers) {
            if (std::find(have.begin(), have.end(), c) != have.end())
                continue;
            if (auto w = write_cgroup_file(file, "+" + c); !w) {
                Error e = std::move(w.error());
                if (e.sys_errno == EBUSY)
                    e.hint = dir + " holds processes of its own, and cgroup v2 enables "
                                   "controllers only for cgroups without them: choose another "
                                   "cgroup parent";
                return fail(std::move(e));
            }
        }
        size_t end = path.find('/', pos);
        if (end == std::string::npos)
            return {};
        dir = mount + "/" + path.substr(0, end);
        pos = end + 1;
    }
}

namespace {

Result<std::map<std::string, uint64_t>> events(const std::string &dir) {
    auto text = read_cgroup_file(dir + "/cgroup.events");
    if (!text)
        return fail(std::move(text.error()));
    return parse_keyed_values(*text);
}

} // namespace

Result<bool> frozen_v2(const std::string &dir) {
    auto ev = events(dir);
    if (!ev)
        return fail(std::move(ev.error()));
    return ev->contains("frozen") && ev->at("frozen") == 1;
}

Result<bool> populated_v2(const std::string &dir) {
    auto ev = events(dir);
    if (!ev)
        return fail(std::move(ev.error()));
    return ev->contains("populated") && ev->at("populated") == 1;
}

Result<> set_frozen_v2(const std::string &dir, bool frozen, Deadline deadline) {
    if (auto w = write_cgroup_file(dir + "/cgroup.freeze", frozen ? "1" : "0"); !w)
        return fail(std::move(w.error()));
    auto pause = std::chrono::milliseconds(1);
    for (;;) {
        auto now = frozen_v2(dir);
        if (!now)
            return fail(std::move(now.error()));
        if (*now == frozen)
            return {};
        if (std::chrono::steady_clock::now() >= deadline)
            return fail(make_error(BERTH_E_FAILED, frozen ? "freeze" : "thaw", dir)
                            .with_hint("cgroup.events does not report the new state yet; a "
                                       "process may be stuck in the kernel, retry later"));
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, std::chrono::milliseconds(20));
    }
}

Result<> kill_v2(const std::string &dir) {
    auto w = write_cgroup_file(dir + "/cgroup.kill", "1");
    if (!w && w.error().sys_errno == ENOENT)
        return fail(std::move(w.error()).with_code(BERTH_E_NOT_SUPPORTED));
    return w;
}

Result<uint64_t> oom_kills_v2(const std::string &dir) {
    auto text = read_cgroup_file(dir + "/memory.events");
    if (!text)
        return fail(std::move(text.error()));
    auto values = parse_keyed_values(*text);
    auto it = values.find("oom_kill");
    return it == values.end() ? 0 : it->second;
}

} // namespace berth::native
