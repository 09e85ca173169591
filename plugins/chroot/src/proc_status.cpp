#include "proc_status.hpp"

#include <dirent.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>

namespace berth::chroot {

std::optional<ProcStat> parse_proc_stat(const std::string &text) {
    auto close = text.rfind(')');
    if (close == std::string::npos)
        return std::nullopt;
    std::istringstream in(text.substr(close + 1));
    // After the command name: state ppid pgrp session tty_nr tpgid flags minflt cminflt
    // majflt cmajflt utime stime cutime cstime priority nice num_threads itrealvalue starttime
    std::vector<std::string> f;
    std::string word;
    while (f.size() < 20 && in >> word)
        f.push_back(word);
    if (f.size() < 20 || f[0].size() != 1)
        return std::nullopt;
    ProcStat st;
    st.state = f[0][0];
    st.session = std::atoi(f[3].c_str());
    st.start_time = std::strtoull(f[19].c_str(), nullptr, 10);
    return st;
}

std::optional<ProcStat> read_proc_stat(int pid) {
    if (pid <= 0)
        return std::nullopt;
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    if (!in)
        return std::nullopt;
    std::stringstream ss;
    ss << in.rdbuf();
    return parse_proc_stat(ss.str());
}

std::vector<int> session_members(int session) {
    std::vector<int> pids;
    std::unique_ptr<DIR, int (*)(DIR *)> dir(opendir("/proc"), closedir);
    if (!dir)
        return pids;
    while (dirent *e = readdir(dir.get())) {
        char *end = nullptr;
        long pid = std::strtol(e->d_name, &end, 10);
        if (pid <= 0 || *end != '\0')
            continue;
        auto st = read_proc_stat(static_cast<int>(pid));
        if (st && st->session == session)
            pids.push_back(static_cast<int>(pid));
    }
    std::sort(pids.begin(), pids.end());
    return pids;
}

bool process_alive(int pid, unsigned long long start_time) {
    auto st = read_proc_stat(pid);
    return st && st->start_time == start_time && !st->ended();
}

bool has_effective_capability(int cap) {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
    if (::syscall(SYS_capget, &header, data) != 0)
        return false;
    return (data[cap / 32].effective & (1u << (cap % 32))) != 0;
}

} // namespace berth::chroot
