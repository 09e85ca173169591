#include "driver_registry.hpp"

#include "dll_driver.hpp"

#include <berth/common/unique_fd.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <regex>
#include <set>

namespace berth::host {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// One NAME.so found in a driver directory.
struct FoundFile {
    std::string name; // the file name without ".so"
    fs::path path;
};

bool is_driver_name(const std::string &name) {
    static const std::regex re("[a-z0-9_-]+");
    return std::regex_match(name, re);
}

// Every *.so in the directories, in directory order and by file name within one, from the
// listings alone. A directory that does not exist is no error: the defaults name several.
std::vector<FoundFile> scan(const std::vector<fs::path> &dirs) {
    std::vector<FoundFile> found;
    for (const auto &dir : dirs) {
        std::error_code ec;
        std::vector<FoundFile> here;
        for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
            const fs::path &p = it->path();
            if (p.extension() != ".so" || it->is_directory(ec))
                continue;
            here.push_back({p.stem().string(), p});
        }
        if (ec && ec != std::errc::no_such_file_or_directory)
            spdlog::debug("skipping driver directory `{}`: {}", dir.string(), ec.message());
        std::sort(here.begin(), here.end(),
                  [](const FoundFile &a, const FoundFile &b) { return a.path < b.path; });
        found.insert(found.end(), here.begin(), here.end());
    }
    return found;
}

std::string duration_text(std::chrono::milliseconds d) {
    return d.count() % 1000 == 0 ? fmt::format("{}s", d.count() / 1000)
                                 : fmt::format("{}ms", d.count());
}

// Where a checked driver was when it stopped answering, for the user.
std::string phase_text(const std::string &phase) {
    if (phase == "init")
        return "in init";
    if (phase == "probe")
        return "in probe";
    if (phase == "unloading")
        return "while unloading";
    return "while loading";
}

std::string signal_name(int sig) {
    const char *abbrev = sigabbrev_np(sig);
    return abbrev != nullptr ? fmt::format("SIG{}", abbrev) : fmt::format("signal {}", sig);
}

// Runs in the forked child: loads, initialises and probes one driver, reporting progress and
// the result as lines on `fd`. Never returns.
[[noreturn]] void check_in_child(int fd, const FoundFile &file, const std::string &options) {
    // A broken driver may write to stdio; the parent's stdout is `berth drivers` output.
    int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null_fd >= 0) {
        ::dup2(null_fd, STDIN_FILENO);
        ::dup2(null_fd, STDOUT_FILENO);
        ::dup2(null_fd, STDERR_FILENO);
    }
    auto send = [fd](const std::string &line) {
        std::string s = line + "\n";
        const char *p = s.data();
        size_t left = s.size();
        while (left > 0) {
            ssize_t n = ::write(fd, p, left);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                _exit(3);
            p += n;
            left -= static_cast<size_t>(n);
        }
    };
    try {
        nlohmann::json result;
        auto announce = [&](const char *phase) { send(std::string("phase ") + phase); };
        auto driver = DllDriver::open(file.path, file.name, options, announce);
        if (!driver) {
            result["status"] = "broken";
            result["reason"] = driver.error().render();
            send("result " + result.dump());
            _exit(0);
        }
        result["version"] = (*driver)->version();
        result["description"] = (*driver)->description();
        result["abi_minor"] = (*driver)->abi_minor();
        send("phase probe");
        auto probe = (*driver)->probe();
        if (!probe) {
            result["status"] = "unusable";
            result["reason"] = "probe failed: " + probe.error().render();
        } else {
            result["status"] = probe->empty() ? "usable" : "unusable";
            result["reason"] = *probe;
        }
        send("result " + result.dump());
        send("phase unloading");
        driver->reset();
        _exit(0);
    } catch (...) {
        _exit(4);
    }
}

// A forked checker: killed and reaped when dropped, so no child outlives list().
class Checker {
public:
    Checker(FoundFile file, pid_t pid, UniqueFd fd)
        : file_(std::move(file)), pid_(pid), fd_(std::move(fd)) {}
    Checker(Checker &&o) noexcept
        : file_(std::move(o.file_)), pid_(std::exchange(o.pid_, -1)), fd_(std::move(o.fd_)),
          out_(std::move(o.out_)), status_(o.status_) {}
    Checker &operator=(Checker &&) = delete;
    ~Checker() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
            }
        }
    }

    int fd() const { return fd_.get(); }
    bool reading() const { return static_cast<bool>(fd_); }
    bool reaped() const { return pid_ <= 0; }
    const FoundFile &file() const { return file_; }

    // Reads what is available; closes the pipe at end of file.
    void read_some() {
        char buf[4096];
        ssize_t n = ::read(fd_.get(), buf, sizeof buf);
        if (n > 0)
            out_.append(buf, static_cast<size_t>(n));
        else if (n == 0 || errno != EINTR)
            fd_.reset();
    }

    void try_reap() {
        if (pid_ > 0 && ::waitpid(pid_, &status_, WNOHANG) == pid_)
            pid_ = -1;
    }

    void kill_and_reap() {
        if (pid_ <= 0)
            return;
        ::kill(pid_, SIGKILL);
        while (::waitpid(pid_, &status_, 0) < 0 && errno == EINTR) {
        }
        pid_ = -1;
    }

    // The result the child sent, and the last phase it announced.
    void parse(std::string &phase, nlohmann::json &result) const {
        size_t pos = 0;
        while (pos < out_.size()) {
            size_t nl = out_.find('\n', pos);
            if (nl == std::string::npos)
                break;
            std::string line = out_.substr(pos, nl - pos);
            pos = nl + 1;
            if (line.starts_with("phase "))
                phase = line.substr(6);
            else if (line.starts_with("result "))
                result = nlohmann::json::parse(line.substr(7), nullptr, false);
        }
    }

    int status() const { return status_; }

private:
    FoundFile file_;
    pid_t pid_ = -1;
    UniqueFd fd_;
    std::string out_;
    int status_ = 0;
};

DriverInfo broken(const FoundFile &f, std::string reason) {
    DriverInfo info;
    info.name = f.name;
    info.path = f.path;
    info.status = DriverInfo::Status::broken;
    info.reason = std::move(reason);
    return info;
}

DriverInfo verdict(const Checker &c, bool timed_out, std::chrono::milliseconds timeout) {
    std::string phase = "loading";
    nlohmann::json result;
    c.parse(phase, result);
    const int st = c.status();
    const bool signalled = !timed_out && WIFSIGNALED(st);

    if (timed_out)
        return broken(c.file(), fmt::format("did not answer within {} {}", duration_text(timeout),
                                            phase_text(phase)));
    if (signalled && !(result.is_object() && phase == "unloading"))
        return broken(c.file(), fmt::format("crashed with {} {}", signal_name(WTERMSIG(st)),
                                            phase_text(phase)));
    if (signalled)
        return broken(c.file(), fmt::format("crashed with {} while unloading",
                                            signal_name(WTERMSIG(st))));
    if (!result.is_object())
        return broken(c.file(), fmt::format("exited with status {} {}", WEXITSTATUS(st),
                                            phase_text(phase)));

    DriverInfo info = broken(c.file(), result.value("reason", ""));
    const std::string status = result.value("status", "broken");
    info.status = status == "usable"     ? DriverInfo::Status::usable
                  : status == "unusable" ? DriverInfo::Status::unusable
                                         : DriverInfo::Status::broken;
    if (info.status != DriverInfo::Status::broken) {
        info.version = result.value("version", "");
        info.description = result.value("description", "");
        info.abi_major = BERTH_ABI_MAJOR;
        info.abi_minor = result.value("abi_minor", 0u);
    }
    return info;
}

} // namespace

DriverRegistry::DriverRegistry(RegistryOptions opts) : opts_(std::move(opts)) {}

std::vector<std::string> DriverRegistry::names() const {
    std::set<std::string> names;
    for (const auto &f : scan(opts_.dirs))
        if (is_driver_name(f.name))
            names.insert(f.name);
    return {names.begin(), names.end()};
}

std::vector<DriverInfo> DriverRegistry::list() const {
    const auto files = scan(opts_.dirs);
    std::vector<DriverInfo> infos(files.size());
    std::vector<Checker> checkers;
    std::vector<size_t> slot; // index into infos of each checker
    std::map<std::string, fs::path> first_of;

    for (size_t i = 0; i < files.size(); ++i) {
        const FoundFile &f = files[i];
        if (!is_driver_name(f.name)) {
            infos[i] = broken(f, fmt::format("`{}` is not a driver file name: NAME.so with NAME "
                                             "made of a-z, 0-9, _ and -",
                                             f.path.filename().string()));
            continue;
        }
        auto [it, fresh] = first_of.emplace(f.name, f.path);
        if (!fresh) {
            infos[i] = broken(f, fmt::format("duplicate driver name {}: `{}` is shadowed by `{}`, "
                                             "which berth uses; remove one of them",
                                             f.name, f.path.string(), it->second.string()));
            continue;
        }

        int p[2];
        if (::pipe2(p, O_CLOEXEC) != 0) {
            infos[i] = broken(f, sys_error("pipe2", f.path.string()).render());
            continue;
        }
        UniqueFd rd(p[0]), wr(p[1]);
        auto opt = opts_.driver_options.find(f.name);
        const std::string options = opt != opts_.driver_options.end() ? opt->second : "{}";
        pid_t pid = ::fork();
        if (pid < 0) {
            infos[i] = broken(f, sys_error("fork", f.path.string()).render());
            continue;
        }
        if (pid == 0) {
            rd.reset();
            check_in_child(wr.get(), f, options);
        }
        wr.reset();
        checkers.emplace_back(f, pid, std::move(rd));
        slot.push_back(i);
    }

    // All checkers run at once under one deadline, so a hung driver costs one timeout in
    // total rather than one per file.
    const auto deadline = Clock::now() + opts_.list_timeout;
    for (;;) {
        std::vector<pollfd> fds;
        bool waiting_exit = false;
        for (auto &c : checkers) {
            if (c.reading())
                fds.push_back({c.fd(), POLLIN, 0});
            else if (!c.reaped()) {
                c.try_reap();
                waiting_exit = waiting_exit || !c.reaped();
            }
        }
        if (fds.empty() && !waiting_exit)
            break;
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0)
            break;
        // A child that closed its pipe is about to exit: look again soon.
        int wait_ms = waiting_exit ? std::min<int>(10, static_cast<int>(left.count()))
                                   : static_cast<int>(left.count());
        int n = ::poll(fds.data(), fds.size(), wait_ms);
        if (n < 0 && errno != EINTR)
            break;
        for (const auto &pfd : fds) {
            if (pfd.revents == 0)
                continue;
            for (auto &c : checkers)
                if (c.reading() && c.fd() == pfd.fd)
                    c.read_some();
        }
    }

    for (size_t k = 0; k < checkers.size(); ++k) {
        Checker &c = checkers[k];
        const bool timed_out = !c.reaped();
        c.kill_and_reap();
        infos[slot[k]] = verdict(c, timed_out, opts_.list_timeout);
    }
    return infos;
}

Result<std::unique_ptr<LoadedDriver>> DriverRegistry::load(const std::string &name) const {
    if (is_driver_name(name)) {
        for (const auto &dir : opts_.dirs) {
            fs::path file = dir / (name + ".so");
            std::error_code ec;
            if (!fs::exists(file, ec))
                continue;
            auto opt = opts_.driver_options.find(name);
            auto driver = DllDriver::open(file, name,
                                          opt != opts_.driver_options.end() ? opt->second : "{}");
            if (!driver)
                return fail(std::move(driver.error())
                                .in(fmt::format("load driver {} from `{}`", name, file.string())));
            spdlog::debug("loaded driver {} {} from `{}` (ABI {}.{})", name,
                          (*driver)->version(), file.string(), BERTH_ABI_MAJOR,
                          (*driver)->abi_minor());
            return std::unique_ptr<LoadedDriver>(std::move(*driver));
        }
    }

    auto available = names();
    std::string dirs;
    for (const auto &d : opts_.dirs)
        dirs += (dirs.empty() ? "`" : ", `") + d.string() + "`";
    if (available.empty())
        return fail(make_error(BERTH_E_NOT_FOUND,
                               fmt::format("unknown driver `{}`: no drivers found in {}", name,
                                           dirs.empty() ? "(no directories configured)" : dirs)));
    std::string list;
    for (const auto &n : available)
        list += (list.empty() ? "" : ", ") + n;
    return fail(make_error(BERTH_E_NOT_FOUND,
                           fmt::format("unknown driver `{}` (available: {})", name, list)));
}

} // namespace berth::host
