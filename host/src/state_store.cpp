#include "state_store.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>

namespace berth::host {

namespace fs = std::filesystem;

namespace {

constexpr size_t max_id_length = 1024;
// NAME_MAX is 255; leave room for the hash suffix.
constexpr size_t max_plain_dir_name = 200;

bool id_char(char c, bool first) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
        return true;
    return !first && (c == '_' || c == '.' || c == '-');
}

Error not_found(const std::string &id, const fs::path &root) {
    return make_error(BERTH_E_NOT_FOUND, fmt::format("container {} does not exist", id))
        .with_hint(fmt::format("berth --root {} list shows the containers there", root.string()));
}

Result<std::string> read_text(const fs::path &p) {
    UniqueFd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd)
        return fail(sys_error("open", p.string()));
    std::string out;
    char buf[8192];
    for (;;) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return fail(sys_error("read", p.string()));
        }
        if (n == 0)
            break;
        out.append(buf, static_cast<size_t>(n));
    }
    return out;
}

Result<ContainerRecord> read_record(const fs::path &file) {
    auto text = read_text(file);
    if (!text)
        return fail(std::move(text.error()));
    nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
    if (j.is_discarded())
        return fail(make_error(BERTH_E_FAILED, "container record is not valid JSON", file.string())
                        .with_hint("remove the container's directory by hand"));
    auto rec = ContainerRecord::from_json(j);
    if (!rec)
        return fail(std::move(rec.error()).in("read " + file.string()));
    return rec;
}

// Writes `data` to `file` so that readers see either the old or the new content in full,
// also when berth is killed halfway: a temporary file renamed over the old one. No fsync: a
// record describes processes, which a power loss ends anyway (and the default state root is
// a tmpfs), so durability would only slow every container's start.
Result<> write_atomically(const fs::path &file, const std::string &data) {
    fs::path tmp = file;
    tmp += ".tmp";
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!fd)
        return fail(sys_error("create", tmp.string()));
    size_t off = 0;
    while (off < data.size()) {
        ssize_t n = ::write(fd.get(), data.data() + off, data.size() - off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            Error e = sys_error("write", tmp.string());
            ::unlink(tmp.c_str());
            return fail(std::move(e));
        }
        off += static_cast<size_t>(n);
    }
    fd.reset();
    if (::rename(tmp.c_str(), file.c_str()) != 0) {
        Error e = sys_error("rename", tmp.string());
        ::unlink(tmp.c_str());
        return fail(std::move(e));
    }
    return {};
}

// POSIX record locks rather than flock(2): a flock belongs to the open file description, which
// the driver's forked init process shares until it execs, so a container held before start
// would keep its own record locked against every later command. Record locks belong to the
// process and are not inherited by fork(2). The price: any close of this file by this process
// drops the lock, so the lock file is opened once per container and never elsewhere.
Result<> lock_fd(int fd, const fs::path &path) {
    struct flock fl {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    while (::fcntl(fd, F_SETLKW, &fl) != 0) {
        if (errno != EINTR)
            return fail(sys_error("lock", path.string()));
    }
    return {};
}

void unlock_fd(int fd) {
    struct flock fl {};
    fl.l_type = F_UNLCK;
    fl.l_whence = SEEK_SET;
    ::fcntl(fd, F_SETLK, &fl);
}

// After taking the lock: is the lock file still the one in the directory? A deleter removes
// the directory while holding the lock, so a waiter can wake up holding an orphaned file.
bool lock_still_current(int fd, const fs::path &path) {
    struct stat a {
    }, b{};
    if (::fstat(fd, &a) != 0 || ::stat(path.c_str(), &b) != 0)
        return false;
    return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

} // namespace

nlohmann::json ContainerRecord::to_json() const {
    return {{"id", id},
            {"driver", driver},
            {"bundle", bundle.string()},
            {"pid", pid},
            {"pid_start_time", pid_start_time},
            {"status", status},
            {"created", created},
            {"annotations", annotations}};
}

Result<ContainerRecord> ContainerRecord::from_json(const nlohmann::json &j) {
    try {
        ContainerRecord r;
        r.id = j.at("id").get<std::string>();
        r.driver = j.at("driver").get<std::string>();
        r.bundle = j.at("bundle").get<std::string>();
        r.pid = j.at("pid").get<int>();
        r.pid_start_time = j.at("pid_start_time").get<unsigned long long>();
        r.status = j.at("status").get<std::string>();
        r.created = j.at("created").get<std::string>();
        r.annotations = j.value("annotations", std::map<std::string, std::string>{});
        return r;
    } catch (const nlohmann::json::exception &e) {
        return fail(
            make_error(BERTH_E_FAILED, fmt::format("container record is damaged: {}", e.what())));
    }
}

Result<> validate_container_id(std::string_view id) {
    if (id.empty())
        return fail(make_error(BERTH_E_INVALID_ARGUMENT, "container id is empty"));
    if (id.size() > max_id_length)
        return fail(make_error(BERTH_E_INVALID_ARGUMENT,
                               fmt::format("container id is {} characters long (at most {})",
                                           id.size(), max_id_length)));
    for (size_t i = 0; i < id.size(); ++i) {
        if (!id_char(id[i], i == 0))
            return fail(make_error(BERTH_E_INVALID_ARGUMENT,
                                   fmt::format("invalid container id \"{}\": it must start with a "
                                               "letter or digit and contain only letters, "
                                               "digits, '_', '.' and '-'",
                                               id)));
    }
    return {};
}

std::string container_dir_name(std::string_view id) {
    if (id.size() <= max_plain_dir_name)
        return std::string(id);
    // FNV-1a: stable across builds and hosts, enough to tell long ids with a common prefix
    // apart; '~' cannot occur in an id, so a shortened name never equals a real one.
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : id) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return fmt::format("{}~{:016x}", id.substr(0, max_plain_dir_name - 20), h);
}

std::string now_rfc3339() {
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
    std::time_t secs = static_cast<std::time_t>(ns / 1000000000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[64];
    size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(buf + n, sizeof buf - n, ".%09lldZ", static_cast<long long>(ns % 1000000000));
    return buf;
}

std::optional<unsigned long long> process_start_time(int pid) {
    if (pid <= 0)
        return std::nullopt;
    auto text = read_text(fmt::format("/proc/{}/stat", pid));
    if (!text)
        return std::nullopt;
    // The command name (field 2) may contain spaces and parentheses; fields after the last
    // ')' are plain numbers and words.
    auto close = text->rfind(')');
    if (close == std::string::npos)
        return std::nullopt;
    std::istringstream fields(text->substr(close + 1));
    std::string f;
    for (int field = 3; fields >> f; ++field) {
        if (field == 22) {
            try {
                return std::stoull(f);
            } catch (const std::exception &) {
                return std::nullopt;
            }
        }
    }
    return std::nullopt;
}

bool process_matches(int pid, unsigned long long start_time) {
    auto st = process_start_time(pid);
    return st && *st == start_time;
}

Result<> ContainerHandle::save() {
    return write_atomically(dir_ / "state.json", rec_.to_json().dump(2) + "\n");
}

Result<> ContainerHandle::remove() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
    if (ec)
        return fail(sys_error("remove container directory", dir_.string(), ec.value())
                        .with_hint("remove it by hand once nothing uses it"));
    lock_.reset();
    return {};
}

void ContainerHandle::unlock() {
    if (lock_)
        unlock_fd(lock_.get());
}

Result<> ContainerHandle::relock() {
    fs::path lock_path = dir_ / "lock";
    if (auto ok = lock_fd(lock_.get(), lock_path); !ok)
        return ok;
    if (!lock_still_current(lock_.get(), lock_path))
        return fail(
            make_error(BERTH_E_NOT_FOUND,
                       fmt::format("container {} was deleted by another command", rec_.id)));
    return {};
}

Result<ContainerHandle> StateStore::create(ContainerRecord rec) {
    if (auto ok = validate_container_id(rec.id); !ok)
        return fail(std::move(ok.error()));
    std::error_code ec;
    fs::create_directories(root_, ec);
    if (ec)
        return fail(sys_error("create state root", root_.string(), ec.value())
                        .with_hint("pass a writable directory with --root"));
    fs::path dir = root_ / container_dir_name(rec.id);
    // mkdir is the exclusive step: of two creators of one id, exactly one gets here.
    if (::mkdir(dir.c_str(), 0700) != 0) {
        if (errno == EEXIST)
            return fail(
                make_error(BERTH_E_STATE, fmt::format("container {} already exists", rec.id))
                    .with_hint("choose another id, or remove it with berth delete " + rec.id));
        return fail(sys_error("mkdir", dir.string()));
    }
    auto undo = [&] { fs::remove_all(dir, ec); };

    fs::path lock_path = dir / "lock";
    UniqueFd lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!lock) {
        Error e = sys_error("create", lock_path.string());
        undo();
        return fail(std::move(e));
    }
    if (auto ok = lock_fd(lock.get(), lock_path); !ok) {
        undo();
        return fail(std::move(ok.error()));
    }
    if (::mkdir((dir / "driver").c_str(), 0700) != 0) {
        Error e = sys_error("mkdir", (dir / "driver").string());
        undo();
        return fail(std::move(e));
    }
    if (rec.created.empty())
        rec.created = now_rfc3339();
    ContainerHandle h(std::move(lock), dir, std::move(rec));
    if (auto ok = h.save(); !ok) {
        undo();
        return fail(std::move(ok.error()));
    }
    return h;
}

Result<ContainerHandle> StateStore::open(const std::string &id) const {
    if (auto ok = validate_container_id(id); !ok)
        return fail(std::move(ok.error()));
    fs::path dir = root_ / container_dir_name(id);
    fs::path lock_path = dir / "lock";
    UniqueFd lock(::open(lock_path.c_str(), O_RDWR | O_CLOEXEC));
    if (!lock) {
        if (errno == ENOENT || errno == ENOTDIR)
            return fail(not_found(id, root_));
        return fail(sys_error("open", lock_path.string()));
    }
    if (auto ok = lock_fd(lock.get(), lock_path); !ok)
        return fail(std::move(ok.error()));
    if (!lock_still_current(lock.get(), lock_path))
        return fail(not_found(id, root_));
    auto rec = read_record(dir / "state.json");
    if (!rec)
        return fail(std::move(rec.error()));
    if (rec->id != id)
        return fail(make_error(BERTH_E_FAILED,
                               fmt::format("container record under {} belongs to {}, not {}",
                                           dir.string(), rec->id, id)));
    return ContainerHandle(std::move(lock), dir, std::move(*rec));
}

Result<std::vector<ContainerRecord>> StateStore::list() const {
    std::vector<ContainerRecord> out;
    std::error_code ec;
    if (!fs::exists(root_, ec))
        return out;
    fs::directory_iterator it(root_, ec);
    if (ec)
        return fail(sys_error("list state root", root_.string(), ec.value()));
    for (const auto &entry : it) {
        if (!entry.is_directory(ec))
            continue;
        fs::path file = entry.path() / "state.json";
        if (!fs::exists(file, ec))
            continue; // being created, or being removed
        auto rec = read_record(file);
        if (!rec) {
            if (!fs::exists(file, ec))
                continue; // removed while we read it
            return fail(std::move(rec.error()));
        }
        out.push_back(std::move(*rec));
    }
    std::sort(out.begin(), out.end(), [](const ContainerRecord &a, const ContainerRecord &b) {
        return std::tie(a.created, a.id) < std::tie(b.created, b.id);
    });
    return out;
}

} // namespace berth::host
