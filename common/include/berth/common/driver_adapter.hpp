// Turns a C++ driver class into the C operation table of berth/driver.h. In-tree drivers
// derive from DriverBase, override what they implement, and define their entry point with
// BERTH_DEFINE_DRIVER. Exceptions and berth::Error stop here: the C side sees only status
// codes and messages handed to the host's error sink.
#pragma once

#include <berth/common/error.hpp>
#include <berth/driver.h>

#include <fmt/format.h>

#include <string>
#include <string_view>
#include <vector>

namespace berth::driver {

// The host's services as a driver sees them.
class Host {
public:
    explicit Host(const berth_host *h) : h_(h) {}
    const berth_host *raw() const { return h_; }

    bool enabled(berth_log_level level) const { return h_->log_enabled(h_->ctx, level) != 0; }
    void log(berth_log_level level, const std::string &msg) const {
        h_->log(h_->ctx, level, msg.c_str());
    }
    template <class... A>
    void logf(berth_log_level level, fmt::format_string<A...> f, A &&...a) const {
        if (enabled(level))
            log(level, fmt::format(f, std::forward<A>(a)...));
    }
    template <class... A> void trace(fmt::format_string<A...> f, A &&...a) const {
        logf(BERTH_LOG_TRACE, f, std::forward<A>(a)...);
    }
    template <class... A> void debug(fmt::format_string<A...> f, A &&...a) const {
        logf(BERTH_LOG_DEBUG, f, std::forward<A>(a)...);
    }
    template <class... A> void info(fmt::format_string<A...> f, A &&...a) const {
        logf(BERTH_LOG_INFO, f, std::forward<A>(a)...);
    }
    template <class... A> void warn(fmt::format_string<A...> f, A &&...a) const {
        logf(BERTH_LOG_WARN, f, std::forward<A>(a)...);
    }

private:
    const berth_host *h_;
};

struct ContainerRef {
    std::string id;
    std::string bundle;
    std::string state_dir;
    int pid = 0;
};

struct CreateRequest {
    ContainerRef container;
    std::string config_json;
    int stdin_fd = -1;
    int stdout_fd = -1;
    int stderr_fd = -1;
    std::string console_socket; // empty when none
    unsigned preserve_fds = 0;
    uint32_t flags = 0;
};

struct ExecRequest {
    ContainerRef container;
    std::string process_json;
    int stdin_fd = -1;
    int stdout_fd = -1;
    int stderr_fd = -1;
    std::string console_socket;
    unsigned preserve_fds = 0;
};

struct StateInfo {
    berth_container_status status = BERTH_STATUS_STOPPED;
    int pid = 0;
};

class DriverBase {
public:
    DriverBase(const berth_host *host, std::string name) : host_(host), name_(std::move(name)) {}
    virtual ~DriverBase() = default;

    const Host &host() const { return host_; }
    const std::string &name() const { return name_; }

    // Empty string: usable. Otherwise the reason it is not.
    virtual Result<std::string> probe() { return std::string(); }
    virtual Result<std::string> features() = 0;
    virtual Result<int> create(const CreateRequest &req) { return unsupported("create"); }
    virtual Result<> start(const ContainerRef &ref) { return unsupported("start"); }
    virtual Result<StateInfo> state(const ContainerRef &ref) { return unsupported("state"); }
    virtual Result<> kill(const ContainerRef &ref, int sig, bool all) {
        return unsupported("kill");
    }
    virtual Result<> destroy(const ContainerRef &ref, bool force) {
        return unsupported("delete");
    }
    virtual Result<int> exec(const ExecRequest &req) { return unsupported("exec"); }
    virtual Result<> pause(const ContainerRef &ref) { return unsupported("pause"); }
    virtual Result<> resume(const ContainerRef &ref) { return unsupported("resume"); }
    virtual Result<std::vector<int>> pids(const ContainerRef &ref) {
        return unsupported("pids");
    }
    virtual Result<std::string> stats(const ContainerRef &ref) { return unsupported("stats"); }
    virtual const void *extension(std::string_view id) { return nullptr; }

protected:
    std::unexpected<Error> unsupported(std::string_view op) const {
        return fail(make_error(BERTH_E_NOT_SUPPORTED,
                               fmt::format("{} is not supported by driver {}", op, name_)));
    }

private:
    Host host_;
    std::string name_;
};

// Builds a driver instance from the host and the options map (JSON text); throws nothing.
using Factory = Result<DriverBase *> (*)(const berth_host *host, const std::string &options);

// The static entry of one driver. `factory` creates the instance.
struct EntryInfo {
    const char *name;
    const char *version;
    const char *description;
    Factory factory;
};

// Fills `entry` with trampolines that call into the instance the factory makes. Call once
// from the exported entry function (BERTH_DEFINE_DRIVER does).
const berth_driver_entry *make_entry(const EntryInfo &info);

} // namespace berth::driver

// Defines the exported entry point of a driver built from a DriverBase subclass.
#define BERTH_DEFINE_DRIVER(NAME, VERSION, DESCRIPTION, FACTORY)                                \
    extern "C" BERTH_EXPORT const berth_driver_entry *berth_driver_entry_v1(void) {            \
        static const ::berth::driver::EntryInfo info{NAME, VERSION, DESCRIPTION, FACTORY};     \
        return ::berth::driver::make_entry(info);                                              \
    }
