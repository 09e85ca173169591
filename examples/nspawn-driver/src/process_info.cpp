#include "process_info.hpp"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace nspawn_driver {

std::optional<ProcStat> read_proc_stat(int pid) {
    if (pid <= 0)
        return std::nullopt;
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string text;
    if (!std::getline(in, text))
        return std::nullopt;
    // The command name (field 2) may hold spaces and parentheses: fields resume after the
    // last ')'.
    auto close = text.rfind(')');
    if (close == std::string::npos)
        return std::nullopt;
    std::istringstream rest(text.substr(close + 1));
    ProcStat st;
    rest >> st.state;
    std::string skip;
    for (int field = 4; field < 22; ++field)
        rest >> skip;
    rest >> st.start_time;
    if (!rest)
        return std::nullopt;
    return st;
}

bool alive(int pid, unsigned long long start_time) {
    auto st = read_proc_stat(pid);
    return st && st->start_time == start_time && !st->ended();
}

InnerPid innermost_pid(int pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("NSpid:", 0) != 0)
            continue;
        std::istringstream fields(line.substr(6));
        InnerPid inner;
        int value = 0;
        while (fields >> value) {
            inner.pid = value;
            ++inner.depth;
        }
        return inner;
    }
    return {};
}

std::string find_executable(const std::string &name) {
    const char *env = std::getenv("PATH");
    std::string path = env != nullptr && *env != '\0' ? env : "/usr/sbin:/usr/bin:/sbin:/bin";
    std::istringstream dirs(path);
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
        if (dir.empty() || dir.front() != '/')
            continue;
        std::string candidate = dir + "/" + name;
        if (::access(candidate.c_str(), X_OK) == 0)
            return candidate;
    }
    return {};
}

} // namespace nspawn_driver
