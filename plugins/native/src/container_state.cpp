#include "container_state.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace berth::native {

namespace fs = std::filesystem;

fs::path state_file(const fs::path &state_dir) { return state_dir / "state.json"; }
fs::path fifo_path(const fs::path &state_dir) { return state_dir / "exec.fifo"; }
fs::path oom_marker(const fs::path &state_dir) { return state_dir / "oom.reported"; }

Result<> save_state(const fs::path &state_dir, const ContainerState &st) {
    nlohmann::json j = {{"pid", st.pid},
                        {"start_time", st.start_time},
                        {"cgroup", st.cgroup},
                        {"namespaces", st.namespaces},
                        {"linux", st.linux_config}};
    fs::path tmp = state_dir / "state.json.tmp";
    std::string text = j.dump();
    int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return fail(sys_error("create", tmp.string()).in("save container state"));
    bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    int err = errno;
    close(fd);
    if (!ok)
        return fail(sys_error("write", tmp.string(), err).in("save container state"));
    if (rename(tmp.c_str(), state_file(state_dir).c_str()) != 0)
        return fail(sys_error("rename", tmp.string()).in("save container state"));
    return {};
}

Result<ContainerState> load_state(const fs::path &state_dir) {
    fs::path p = state_file(state_dir);
    std::ifstream in(p);
    if (!in)
        return fail(make_error(BERTH_E_NOT_FOUND,
                               "no container state (create did not get far enough)", p.string()));
    std::stringstream ss;
    ss << in.rdbuf();
    auto j = nlohmann::json::parse(ss.str(), nullptr, false);
    if (j.is_discarded() || !j.is_object())
        return fail(make_error(BERTH_E_FAILED, "corrupt container state", p.string())
                        .with_hint("delete the container with --force"));
    ContainerState st;
    st.pid = j.value("pid", 0);
    st.start_time = j.value("start_time", uint64_t{0});
    st.cgroup = j.value("cgroup", std::string());
    st.namespaces = j.value("namespaces", 0);
    if (j.contains("linux") && j["linux"].is_object())
        st.linux_config = j["linux"];
    return st;
}

Result<> remove_state_files(const fs::path &state_dir) {
    for (const auto &p : {state_file(state_dir), fifo_path(state_dir), oom_marker(state_dir),
                          state_dir / "state.json.tmp"}) {
        if (unlink(p.c_str()) != 0 && errno != ENOENT)
            return fail(sys_error("remove", p.string()).in("remove container state"));
    }
    return {};
}

std::optional<ProcStat> read_proc_stat(int pid) {
    if (pid <= 0)
        return std::nullopt;
    std::ifstream in(fmt::format("/proc/{}/stat", pid));
    std::string line;
    if (!std::getline(in, line))
        return std::nullopt;
    // comm may hold spaces and parentheses: the fields after it start past the last ')'.
    auto close = line.rfind(')');
    if (close == std::string::npos)
        return std::nullopt;
    std::istringstream rest(line.substr(close + 2));
    ProcStat ps;
    rest >> ps.state;
    // starttime is field 22; state is field 3.
    std::string skip;
    for (int field = 4; field < 22; ++field)
        rest >> skip;
    rest >> ps.start_time;
    if (!rest)
        return std::nullopt;
    return ps;
}

bool process_alive(const ContainerState &st) {
    auto ps = read_proc_stat(st.pid);
    return ps && ps->start_time == st.start_time && ps->state != 'Z' && ps->state != 'X';
}

} // namespace berth::native
