#include "cgroup_parents.hpp"

#include "cgroup.hpp"
#include "state_root.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace berth::native {
namespace {

namespace fs = std::filesystem;

std::string unescape(const std::string &name) {
    std::string out;
    for (size_t i = 0; i < name.size(); ++i) {
        if (name.compare(i, 3, "%25") == 0) {
            out += '%';
            i += 2;
        } else if (name.compare(i, 3, "%2F") == 0) {
            out += '/';
            i += 2;
        } else {
            out += name[i];
        }
    }
    return out;
}

std::string escape(const std::string &path) {
    std::string out;
    for (char c : path) {
        if (c == '%')
            out += "%25";
        else if (c == '/')
            out += "%2F";
        else
            out += c;
    }
    return out;
}

} // namespace

fs::path CgroupParents::record_for(const fs::path &state_dir) {
    return state_root_of(state_dir) / ".native-cgroup-parents";
}

Result<CgroupParents> CgroupParents::lock(const fs::path &record) {
    for (;;) {
        if (::mkdir(record.c_str(), 0700) != 0 && errno != EEXIST)
            return fail(sys_error("mkdir", record.string()).in("record parent cgroups"));
        UniqueFd fd(::open(record.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!fd && errno == ENOENT)
            continue; // removed by its last user in between
        if (!fd)
            return fail(sys_error("open", record.string()).in("record parent cgroups"));
        while (::flock(fd.get(), LOCK_EX) != 0)
            if (errno != EINTR)
                return fail(sys_error("lock", record.string()).in("record parent cgroups"));
        // The holder before us may have removed the record, empty, while we waited.
        struct stat st;
        if (::fstat(fd.get(), &st) == 0 && st.st_nlink > 0)
            return CgroupParents(record, std::move(fd));
    }
}

Result<> CgroupParents::record(const std::vector<std::string> &made) {
    for (const auto &path : made) {
        fs::path marker = dir_ / escape(path);
        UniqueFd fd(::open(marker.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
        if (!fd)
            return fail(sys_error("create", marker.string()).in("record parent cgroups"));
    }
    return {};
}

void CgroupParents::remove_unused(const std::string &path) {
    for (std::string parent = path; parent.find('/') != std::string::npos;) {
        parent.resize(parent.rfind('/'));
        fs::path marker = dir_ / escape(parent);
        if (::access(marker.c_str(), F_OK) != 0)
            break; // not berth's: neither it nor what is above it is removed
        if (!Cgroup::remove_if_empty(parent))
            break;
        ::unlink(marker.c_str());
    }
    // Parents removed by someone else (a busy parent, emptied later by hand) are forgotten.
    std::error_code ec;
    for (const auto &e : fs::directory_iterator(dir_, ec)) {
        auto cg = Cgroup::open(unescape(e.path().filename().string()));
        if (!cg && cg.error().code == BERTH_E_NOT_FOUND)
            ::unlink(e.path().c_str());
    }
    ::rmdir(dir_.c_str()); // when it records nothing any more; the lock orders its reuse
}

} // namespace berth::native
