#include "seccomp_cache.hpp"

#include "fnv1a.hpp"

#include <berth/common/unique_fd.hpp>

#include <fcntl.h>
#include <seccomp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

namespace berth::native {
namespace {

namespace fs = std::filesystem;

// The first line of an entry: format, the libseccomp that compiled it, flags, sizes.
std::string header(const std::string &text, const SeccompProgram &p) {
    return fmt::format("berth-seccomp 1 libseccomp-{} {} {} {}\n", seccomp_library_version(),
                       p.flags, text.size(), p.code.size());
}

// A filter from the cache goes into containers as it is: only a file and a directory that
// no one but berth's own user can have written are trusted.
bool trusted(const struct stat &st) {
    return st.st_uid == ::geteuid() && (st.st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

std::optional<std::string> read_small_file(const fs::path &file) {
    struct stat dir_st;
    if (::stat(file.parent_path().c_str(), &dir_st) != 0 || !trusted(dir_st))
        return std::nullopt;
    UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd)
        return std::nullopt;
    struct stat st;
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || !trusted(st) ||
        st.st_size > (4 << 20))
        return std::nullopt;
    std::string data(static_cast<size_t>(st.st_size), '\0');
    if (::pread(fd.get(), data.data(), data.size(), 0) != st.st_size)
        return std::nullopt;
    return data;
}

std::optional<SeccompProgram> lookup(const fs::path &file, const std::string &text) {
    auto data = read_small_file(file);
    if (!data)
        return std::nullopt;
    auto nl = data->find('\n');
    if (nl == std::string::npos)
        return std::nullopt;
    unsigned major = 0, minor = 0, micro = 0, flags = 0;
    size_t text_size = 0, code_size = 0;
    if (std::sscanf(data->c_str(), "berth-seccomp 1 libseccomp-%u.%u.%u %u %zu %zu", &major, &minor,
                    &micro, &flags, &text_size, &code_size) != 6)
        return std::nullopt;
    SeccompProgram p;
    p.flags = flags;
    p.code.resize(code_size);
    if (data->substr(0, nl + 1) != header(text, p) ||
        data->size() != nl + 1 + text_size + code_size * sizeof(sock_filter) ||
        data->compare(nl + 1, text_size, text) != 0)
        return std::nullopt;
    std::memcpy(p.code.data(), data->data() + nl + 1 + text_size, code_size * sizeof(sock_filter));
    return p;
}

void drop_oldest(const fs::path &dir, const fs::path &keep) {
    std::error_code ec;
    std::vector<std::pair<fs::file_time_type, fs::path>> entries;
    for (const auto &e : fs::directory_iterator(dir, ec))
        if (e.path().extension() == ".bpf" && e.path() != keep)
            entries.emplace_back(e.last_write_time(ec), e.path());
    if (entries.size() < cache_entries)
        return;
    std::sort(entries.begin(), entries.end());
    for (size_t i = 0; i + cache_entries <= entries.size(); ++i)
        fs::remove(entries[i].second, ec);
}

void store(const fs::path &dir, const fs::path &file, const std::string &text,
           const SeccompProgram &p) {
    std::error_code ec;
    if (fs::create_directories(dir, ec))
        ::chmod(dir.c_str(), 0700);
    if (ec)
        return;
    std::string data = header(text, p) + text;
    data.append(reinterpret_cast<const char *>(p.code.data()), p.code.size() * sizeof(sock_filter));
    fs::path tmp = file;
    tmp += fmt::format(".{}.tmp", ::getpid());
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!fd)
        return;
    bool written = ::write(fd.get(), data.data(), data.size()) == static_cast<ssize_t>(data.size());
    fd.reset();
    if (!written || ::rename(tmp.c_str(), file.c_str()) != 0) {
        ::unlink(tmp.c_str());
        return;
    }
    drop_oldest(dir, file);
}

} // namespace

Result<SeccompProgram> compile_seccomp_cached(const nlohmann::json &profile,
                                              const fs::path &cache_dir) {
    if (cache_dir.empty())
        return compile_seccomp(profile);
    const std::string text = profile.dump();
    const fs::path file = cache_dir / fmt::format("{:016x}.bpf", fnv1a64(text));
    if (auto hit = lookup(file, text))
        return std::move(*hit);
    auto program = compile_seccomp(profile);
    if (program)
        store(cache_dir, file, text, *program);
    return program;
}

} // namespace berth::native
