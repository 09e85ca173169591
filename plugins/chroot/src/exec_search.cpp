#include "exec_search.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace berth::chroot {

std::vector<std::string> executable_candidates(const oci::Process &process) {
    const std::string &name = process.args.front();
    if (name.find('/') != std::string::npos)
        return {name};
    const std::string path = process.getenv("PATH").value_or(default_path);
    std::vector<std::string> out;
    size_t pos = 0;
    for (;;) {
        size_t colon = path.find(':', pos);
        std::string dir = path.substr(pos, colon == std::string::npos ? colon : colon - pos);
        out.push_back(dir.empty() ? name : dir + "/" + name);
        if (colon == std::string::npos)
            break;
        pos = colon + 1;
    }
    return out;
}

int pick_executable(const char *const *candidates, int count, int *err) noexcept {
    *err = ENOENT;
    for (int i = 0; i < count; ++i) {
        struct stat st;
        if (::stat(candidates[i], &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (::access(candidates[i], X_OK) == 0)
            return i;
        *err = EACCES;
    }
    return -1;
}

} // namespace berth::chroot
