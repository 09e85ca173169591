#include "behaviour_harness.hpp"

#include <catch2/catch.hpp>

#include <dlfcn.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

struct berth_error {
    berth_status code = BERTH_OK;
    std::string message;
};

namespace berth::test {

namespace {

void host_log(void *, berth_log_level level, const char *message) {
    if (level >= BERTH_LOG_WARN)
        UNSCOPED_INFO("driver log: " << message);
}
int32_t host_log_enabled(void *, berth_log_level level) {
    return level >= BERTH_LOG_INFO;
}
void host_report(void *, berth_error *err, berth_status code, int32_t, const char *message) {
    err->code = code;
    err->message = message ? message : "";
}
const void *host_extension(void *, const char *) {
    return nullptr;
}

void collect(void *ctx, const char *data, size_t len) {
    static_cast<std::string *>(ctx)->append(data, len);
}

Outcome outcome(berth_status st, const berth_error &e) {
    if (st != BERTH_OK && e.message.empty())
        FAIL("driver failed with " << st << " without a message");
    return Outcome{st, e.message};
}

} // namespace

std::unique_ptr<AbiDriver> AbiDriver::load_or_skip(const std::string &name,
                                                   const std::string &options) {
    require_root();
    fs::path so = driver_dir() / (name + ".so");
    if (!fs::exists(so))
        skip("driver " + name + " is not built (" + so.string() + ")");
    std::unique_ptr<AbiDriver> d(new AbiDriver);
    d->name_ = name;
    d->handle_ = dlopen(so.c_str(), RTLD_NOW | RTLD_LOCAL);
    REQUIRE(d->handle_ != nullptr);
    auto entry_fn =
        reinterpret_cast<berth_driver_entry_fn>(dlsym(d->handle_, BERTH_DRIVER_ENTRY_SYMBOL));
    REQUIRE(entry_fn != nullptr);
    d->entry_ = entry_fn();
    int32_t minor = d->entry_->negotiate(0, BERTH_ABI_MINOR);
    REQUIRE(minor >= 0);
    d->host_ = std::make_unique<berth_host>();
    *d->host_ = berth_host{sizeof(berth_host), static_cast<uint32_t>(minor),
                           "0.1.0-test",       nullptr,
                           host_log,           host_log_enabled,
                           host_report,        host_extension};
    berth_error err;
    berth_status st = d->entry_->init(d->host_.get(), options.c_str(), &d->driver_, &err);
    INFO(err.message);
    REQUIRE(st == BERTH_OK);
    std::string reason;
    if (!d->probe(&reason))
        skip("driver " + name + " is unusable here: " + reason);
    return d;
}

AbiDriver::~AbiDriver() {
    if (driver_ != nullptr)
        entry_->deinit(driver_);
    // The driver stays mapped: libraries it loaded may have left threads or handlers behind.
}

Outcome AbiDriver::probe(std::string *reason) {
    std::string text;
    berth_output out{sizeof(berth_output), &text, collect};
    berth_error err;
    berth_status st = driver_->probe(driver_->self, &out, &err);
    if (reason != nullptr)
        *reason = text.empty() ? err.message : text;
    return Outcome{st, text.empty() ? err.message : text};
}

nlohmann::json AbiDriver::features() {
    std::string text;
    berth_output out{sizeof(berth_output), &text, collect};
    berth_error err;
    REQUIRE(driver_->features(driver_->self, &out, &err) == BERTH_OK);
    return nlohmann::json::parse(text);
}

bool AbiDriver::lists_unsupported(const std::string &field) {
    auto f = features();
    auto ann = f.value("annotations", nlohmann::json::object());
    if (!ann.contains("org.berth.unsupported"))
        return false;
    auto v = ann["org.berth.unsupported"];
    auto list = v.is_string() ? nlohmann::json::parse(v.get<std::string>()) : v;
    for (const auto &item : list)
        if (item == field || field.rfind(item.get<std::string>() + ".", 0) == 0)
            return true;
    return false;
}

void AbiDriver::strip_unsupported(nlohmann::json &spec) {
    auto ann = features().value("annotations", nlohmann::json::object());
    if (!ann.contains("org.berth.unsupported"))
        return;
    auto v = ann["org.berth.unsupported"];
    auto list = v.is_string() ? nlohmann::json::parse(v.get<std::string>()) : v;
    for (const auto &item : list) {
        const std::string path = item.get<std::string>();
        nlohmann::json *parent = &spec;
        std::string key = path;
        for (auto dot = key.find('.'); dot != std::string::npos && parent != nullptr;
             dot = key.find('.')) {
            auto it = parent->find(key.substr(0, dot));
            parent = it != parent->end() && it->is_object() ? &*it : nullptr;
            key = key.substr(dot + 1);
        }
        if (parent != nullptr)
            parent->erase(key);
    }
}

void AbiDriver::require_namespace(const std::string &ns) {
    auto list = features()
                    .value("linux", nlohmann::json::object())
                    .value("namespaces", nlohmann::json::array());
    for (const auto &n : list)
        if (n == ns)
            return;
    skip("driver " + name_ + " does not claim the " + ns + " namespace");
}

void AbiDriver::require_cgroup_field(const std::string &field) {
    auto cg = features()
                  .value("linux", nlohmann::json::object())
                  .value("cgroup", nlohmann::json::object());
    if (!cg.value("v1", false) && !cg.value("v2", false))
        skip("driver " + name_ + " claims no cgroup support");
    if (lists_unsupported(field))
        skip("driver " + name_ + " lists " + field + " as unsupported");
}

berth_container_ref AbiDriver::Container::ref() const {
    return berth_container_ref{sizeof(berth_container_ref), id.c_str(), bundle.c_str(),
                               state_dir.c_str(), pid};
}

AbiDriver::Container AbiDriver::container(Sandbox &sb, const std::string &name,
                                          const std::string &bundle) {
    Container c;
    c.id = sb.id(name);
    c.bundle = bundle;
    c.state_dir = (sb.dir() / "driver-state" / c.id).string();
    fs::create_directories(c.state_dir);
    return c;
}

Outcome AbiDriver::create(Container &c, int in, int out, int err_fd) {
    std::string config;
    {
        std::ifstream f(fs::path(c.bundle) / "config.json");
        std::stringstream ss;
        ss << f.rdbuf();
        config = ss.str();
    }
    berth_create_request req{};
    req.struct_size = sizeof(req);
    req.container = c.ref();
    req.config_json = config.data();
    req.config_json_len = config.size();
    req.stdin_fd = in;
    req.stdout_fd = out;
    req.stderr_fd = err_fd;
    berth_create_result res{sizeof(res), 0};
    berth_error err;
    berth_status st = driver_->create(driver_->self, &req, &res, &err);
    if (st == BERTH_OK)
        c.pid = res.pid;
    return outcome(st, err);
}

#define BERTH_TEST_REF_OP(NAME, ...)                                                               \
    berth_container_ref r = c.ref();                                                               \
    berth_error err;                                                                               \
    return outcome(driver_->NAME(driver_->self, &r, ##__VA_ARGS__, &err), err)

Outcome AbiDriver::start(const Container &c) {
    BERTH_TEST_REF_OP(start);
}
Outcome AbiDriver::state(const Container &c, berth_state_result *out) {
    out->struct_size = sizeof(*out);
    BERTH_TEST_REF_OP(state, out);
}
Outcome AbiDriver::kill(const Container &c, int sig, bool all) {
    BERTH_TEST_REF_OP(kill, sig, all ? uint32_t{BERTH_KILL_ALL} : 0u);
}
Outcome AbiDriver::destroy(const Container &c, bool force) {
    BERTH_TEST_REF_OP(destroy, force ? 1 : 0);
}
Outcome AbiDriver::pause(const Container &c) {
    BERTH_TEST_REF_OP(pause);
}
Outcome AbiDriver::resume(const Container &c) {
    BERTH_TEST_REF_OP(resume);
}

Outcome AbiDriver::pids(const Container &c, std::vector<int> *out) {
    std::string text;
    berth_output o{sizeof(berth_output), &text, collect};
    berth_container_ref r = c.ref();
    berth_error err;
    auto res = outcome(driver_->pids(driver_->self, &r, &o, &err), err);
    if (res)
        *out = nlohmann::json::parse(text).get<std::vector<int>>();
    return res;
}

Outcome AbiDriver::exec(const Container &c, const nlohmann::json &process, int *pid, int in,
                        int out, int err_fd) {
    std::string text = process.dump();
    berth_exec_request req{};
    req.struct_size = sizeof(req);
    req.container = c.ref();
    req.process_json = text.data();
    req.process_json_len = text.size();
    req.stdin_fd = in;
    req.stdout_fd = out;
    req.stderr_fd = err_fd;
    berth_exec_result res{sizeof(res), 0};
    berth_error err;
    berth_status st = driver_->exec(driver_->self, &req, &res, &err);
    *pid = res.pid;
    return outcome(st, err);
}

int AbiDriver::wait_exit(int pid, int timeout_s) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
    int status = 0;
    while (true) {
        pid_t got = waitpid(pid, &status, WNOHANG);
        if (got == pid)
            break;
        REQUIRE(got == 0);
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            FAIL("process " << pid << " did not exit within " << timeout_s << "s");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void standard_spec(nlohmann::json &spec) {
    std::vector<std::string> caps = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
    spec["hostname"] = "berth-test";
    spec["process"]["capabilities"] = {
        {"bounding", caps}, {"effective", caps}, {"permitted", caps}};
    spec["mounts"] =
        nlohmann::json::array({{{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}},
                               {{"destination", "/dev"},
                                {"type", "tmpfs"},
                                {"source", "tmpfs"},
                                {"options", {"nosuid", "strictatime", "mode=755", "size=65536k"}}},
                               {{"destination", "/sys"},
                                {"type", "sysfs"},
                                {"source", "sysfs"},
                                {"options", {"nosuid", "noexec", "nodev", "ro"}}}});
    spec["linux"]["namespaces"] = nlohmann::json::array({{{"type", "pid"}},
                                                         {{"type", "network"}},
                                                         {{"type", "ipc"}},
                                                         {{"type", "uts"}},
                                                         {{"type", "mount"}}});
}

std::string read_all(int fd, int timeout_ms) {
    std::string out;
    pollfd p{fd, POLLIN, 0};
    while (poll(&p, 1, timeout_ms) > 0) {
        char buf[4096];
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0)
            break;
        out.append(buf, static_cast<size_t>(n));
    }
    return out;
}

} // namespace berth::test
