#include "cgroup_v1.hpp"

#include "cgroup_files.hpp"

#include <thread>

namespace berth::native {

Result<> inherit_cpuset_v1(const std::string &mount, const std::string &path) {
    std::string parent = mount;
    size_t pos = 0;
    while (pos <= path.size()) {
        size_t end = path.find('/', pos);
        if (end == std::string::npos)
            end = path.size();
        std::string dir = mount + "/" + path.substr(0, end);
        for (const char *file : {"/cpuset.cpus", "/cpuset.mems"}) {
            auto own = read_cgroup_file(dir + file);
            if (!own)
                return fail(std::move(own.error()));
            if (!split_words(*own).empty())
                continue;
            auto inherited = read_cgroup_file(parent + file);
            if (!inherited)
                return fail(std::move(inherited.error()));
            if (auto w = write_cgroup_file(dir + file, *inherited); !w)
                return fail(std::move(w.error()));
        }
        parent = dir;
        pos = end + 1;
    }
    return {};
}

Result<bool> frozen_v1(const std::string &freezer_dir) {
    auto state = read_cgroup_file(freezer_dir + "/freezer.state");
    if (!state)
        return fail(std::move(state.error()));
    auto words = split_words(*state);
    return !words.empty() && words[0] == "FROZEN";
}

Result<> set_frozen_v1(const std::string &freezer_dir, bool frozen, Deadline deadline) {
    const std::string file = freezer_dir + "/freezer.state";
    const char *want = frozen ? "FROZEN" : "THAWED";
    auto pause = std::chrono::milliseconds(1);
    for (;;) {
        // Writing FROZEN again retries tasks that could not be frozen on the last attempt.
        if (auto w = write_cgroup_file(file, want); !w)
            return fail(std::move(w.error()));
        auto state = read_cgroup_file(file);
        if (!state)
            return fail(std::move(state.error()));
        auto words = split_words(*state);
        if (!words.empty() && words[0] == want)
            return {};
        if (std::chrono::steady_clock::now() >= deadline)
            return fail(make_error(BERTH_E_FAILED, frozen ? "freeze" : "thaw", freezer_dir)
                            .with_hint("still " + (words.empty() ? "?" : words[0]) +
                                       "; a process may be stuck in the kernel, retry later"));
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, std::chrono::milliseconds(20));
    }
}

Result<uint64_t> oom_kills_v1(const std::string &memory_dir) {
    auto text = read_cgroup_file(memory_dir + "/memory.oom_control");
    if (!text)
        return fail(std::move(text.error()));
    auto values = parse_keyed_values(*text);
    auto it = values.find("oom_kill");
    return it == values.end() ? 0 : it->second;
}

} // namespace berth::native
