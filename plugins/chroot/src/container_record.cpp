#include "container_record.hpp"

#include <berth/common/unique_fd.hpp>

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

namespace berth::chroot {
namespace {

constexpr const char *record_name = "container.json";

} // namespace

Result<> write_record(const std::filesystem::path &state_dir, const ContainerRecord &rec) {
    const auto path = state_dir / record_name;
    const auto tmp = state_dir / (std::string(record_name) + ".tmp");
    const std::string text =
        nlohmann::json{{"pid", rec.pid}, {"start_time", rec.start_time}}.dump() + "\n";

    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!fd)
        return fail(sys_error("create", tmp.string()));
    // Renamed into place, not synced: the record names a process, which no reboot keeps.
    if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
        Error e = sys_error("write", tmp.string());
        ::unlink(tmp.c_str());
        return fail(std::move(e));
    }
    fd.reset();

    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        Error e = sys_error("rename", tmp.string());
        ::unlink(tmp.c_str());
        return fail(std::move(e));
    }
    return {};
}

Result<std::optional<ContainerRecord>> read_record(const std::filesystem::path &state_dir) {
    const auto path = state_dir / record_name;
    std::ifstream in(path);
    if (!in) {
        if (errno == ENOENT)
            return std::nullopt;
        return fail(sys_error("open", path.string()));
    }
    std::stringstream ss;
    ss << in.rdbuf();
    auto j = nlohmann::json::parse(ss.str(), nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("pid") ||
        !j["pid"].is_number_integer() || !j.contains("start_time") ||
        !j["start_time"].is_number_unsigned())
        return fail(make_error(BERTH_E_FAILED, "the chroot driver's record is damaged",
                               path.string())
                        .with_hint("delete the container with --force"));
    return ContainerRecord{j["pid"].get<int>(), j["start_time"].get<unsigned long long>()};
}

Result<> remove_record(const std::filesystem::path &state_dir) {
    const auto path = state_dir / record_name;
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
        return fail(sys_error("remove", path.string()));
    return {};
}

} // namespace berth::chroot
