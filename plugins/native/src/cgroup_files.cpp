#include "cgroup_files.hpp"

#include <berth/common/unique_fd.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <charconv>

namespace berth::native {

Result<std::string> read_cgroup_file(const std::string &path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd)
        return fail(sys_error("open", path));
    std::string out;
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return fail(sys_error("read", path));
        if (n == 0)
            return out;
        out.append(buf, static_cast<size_t>(n));
    }
}

Result<> write_cgroup_file(const std::string &path, std::string_view value) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd)
        return fail(sys_error("write", path));
    ssize_t n;
    do {
        n = ::write(fd.get(), value.data(), value.size());
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return fail(sys_error("write", path));
    if (static_cast<size_t>(n) != value.size())
        return fail(sys_error("write", path, EIO));
    return {};
}

std::vector<std::string> split_words(std::string_view text) {
    std::vector<std::string> out;
    size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i])))
            ++i;
        size_t start = i;
        while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i])))
            ++i;
        if (i > start)
            out.emplace_back(text.substr(start, i - start));
    }
    return out;
}

namespace {

std::optional<uint64_t> to_u64(std::string_view s) {
    uint64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size())
        return std::nullopt;
    return v;
}

} // namespace

std::map<std::string, uint64_t> parse_keyed_values(std::string_view text) {
    std::map<std::string, uint64_t> out;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string_view::npos)
            end = text.size();
        auto words = split_words(text.substr(pos, end - pos));
        if (words.size() == 2)
            if (auto v = to_u64(words[1]))
                out[words[0]] = *v;
        pos = end + 1;
    }
    return out;
}

Result<std::optional<uint64_t>> parse_cgroup_number(std::string_view text,
                                                    const std::string &path) {
    auto words = split_words(text);
    if (words.size() == 1 && words[0] == "max")
        return std::optional<uint64_t>();
    if (words.size() == 1)
        if (auto v = to_u64(words[0]))
            return std::optional<uint64_t>(*v);
    return fail(make_error(BERTH_E_FAILED, "parse number in", path)
                    .with_hint("the file holds `" + std::string(text.substr(0, 40)) + "`"));
}

Result<std::optional<uint64_t>> read_cgroup_number(const std::string &path) {
    auto text = read_cgroup_file(path);
    if (!text)
        return fail(std::move(text.error()));
    return parse_cgroup_number(*text, path);
}

Result<std::vector<int>> read_cgroup_procs(const std::string &dir) {
    auto text = read_cgroup_file(dir + "/cgroup.procs");
    if (!text)
        return fail(std::move(text.error()));
    std::vector<int> pids;
    for (const auto &w : split_words(*text))
        if (auto v = to_u64(w))
            pids.push_back(static_cast<int>(*v));
    return pids;
}

} // namespace berth::native
