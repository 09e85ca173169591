// The native driver through its C ABI alone, for the native driver's own tests: the test is
// the host. Everything here has internal linkage, and the host's opaque error slot is a type
// of this file's own (NativeErrorSlot), so nothing clashes with other tests in the binary.
#pragma once

#include "support/test_support.hpp"

#include <berth/driver.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <dlfcn.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace berth::test;
using nlohmann::json;

struct NativeErrorSlot {
    berth_status code = BERTH_OK;
    int sys_errno = 0;
    std::string message;
    int reports = 0;
};

struct NativeOutcome {
    berth_status code = BERTH_OK;
    std::string message;
    explicit operator bool() const { return code == BERTH_OK; }
};

struct NativeContainer {
    std::string id;
    std::string bundle;
    std::string state_dir;
    int pid = 0;
    berth_container_ref ref() const {
        berth_container_ref r{};
        r.struct_size = sizeof r;
        r.id = id.c_str();
        r.bundle = bundle.c_str();
        r.state_dir = state_dir.c_str();
        r.pid = pid;
        return r;
    }
};

// A pipe whose read end the test keeps; the write end goes to a container's stdout.
struct Pipe {
    int r = -1, w = -1;
    Pipe() { REQUIRE(pipe2(&r, O_CLOEXEC) == 0); }
    ~Pipe() {
        close_write();
        if (r >= 0)
            close(r);
    }
    void close_write() {
        if (w >= 0)
            close(w);
        w = -1;
    }
    // Everything until EOF, or what came within `timeout_ms` of silence.
    std::string read_all(int timeout_ms = 10000) {
        std::string s;
        char buf[4096];
        for (;;) {
            pollfd p{r, POLLIN, 0};
            if (poll(&p, 1, timeout_ms) <= 0)
                return s;
            ssize_t n = read(r, buf, sizeof buf);
            if (n <= 0)
                return s;
            s.append(buf, static_cast<size_t>(n));
        }
    }
};

class NativeClient {
public:
    explicit NativeClient(const std::string &options = "{}") {
        auto path = driver_dir() / "native.so";
        lib_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
        INFO("dlopen " << path << ": " << (lib_ ? "" : dlerror()));
        REQUIRE(lib_ != nullptr);
        auto fn = reinterpret_cast<berth_driver_entry_fn>(dlsym(lib_, BERTH_DRIVER_ENTRY_SYMBOL));
        REQUIRE(fn != nullptr);
        entry_ = fn();
        host_.struct_size = sizeof host_;
        host_.abi_minor = BERTH_ABI_MINOR;
        host_.host_version = "test";
        host_.ctx = this;
        host_.log = [](void *ctx, berth_log_level level, const char *msg) {
            static_cast<NativeClient *>(ctx)->logs.push_back({level, msg});
        };
        host_.log_enabled = [](void *, berth_log_level) -> int32_t { return 1; };
        host_.report_error = [](void *, berth_error *err, berth_status code, int32_t e,
                                const char *msg) {
            auto *slot = reinterpret_cast<NativeErrorSlot *>(err);
            slot->code = code;
            slot->sys_errno = e;
            slot->message = msg;
            ++slot->reports;
        };
        host_.get_extension = [](void *, const char *) -> const void * { return nullptr; };
        NativeErrorSlot slot;
        init_status = entry_->init(&host_, options.c_str(), &driver_, as_err(slot));
        init_message = slot.message;
    }
    ~NativeClient() {
        if (driver_)
            entry_->deinit(driver_);
        if (lib_)
            dlclose(lib_);
    }

    berth_status init_status = BERTH_OK;
    std::string init_message;
    std::vector<std::pair<berth_log_level, std::string>> logs;

    bool logged(berth_log_level level, const std::string &part) const {
        for (const auto &[l, m] : logs)
            if (l == level && m.find(part) != std::string::npos)
                return true;
        return false;
    }

    // A container of `sb` whose state dir lives under the sandbox's state root.
    NativeContainer container(Sandbox &sb, const std::string &name,
                              const berth::test::fs::path &bundle) {
        NativeContainer c;
        c.id = sb.id(name);
        c.bundle = bundle.string();
        c.state_dir = (sb.state_root() / c.id).string();
        berth::test::fs::create_directories(c.state_dir);
        return c;
    }

    NativeOutcome create(NativeContainer &c, int in = -1, int out = -1, int err = -1) {
        std::string config = slurp(c.bundle + "/config.json");
        berth_create_request req{};
        req.struct_size = sizeof req;
        req.container = c.ref();
        req.config_json = config.data();
        req.config_json_len = config.size();
        req.stdin_fd = in;
        req.stdout_fd = out;
        req.stderr_fd = err;
        berth_create_result res{};
        res.struct_size = sizeof res;
        return call([&](berth_error *e) {
            berth_status s = driver_->create(driver_->self, &req, &res, e);
            if (s == BERTH_OK)
                c.pid = res.pid;
            return s;
        });
    }
    NativeOutcome start(const NativeContainer &c) {
        auto r = c.ref();
        return call([&](berth_error *e) { return driver_->start(driver_->self, &r, e); });
    }
    NativeOutcome state(const NativeContainer &c, berth_state_result &out) {
        auto r = c.ref();
        out = {};
        out.struct_size = sizeof out;
        return call([&](berth_error *e) { return driver_->state(driver_->self, &r, &out, e); });
    }
    berth_container_status status(const NativeContainer &c) {
        berth_state_result s{};
        auto o = state(c, s);
        INFO(o.message);
        REQUIRE(o);
        return s.status;
    }
    NativeOutcome kill(const NativeContainer &c, int sig, bool all = false) {
        auto r = c.ref();
        return call([&](berth_error *e) {
            return driver_->kill(driver_->self, &r, sig, all ? BERTH_KILL_ALL : 0, e);
        });
    }
    NativeOutcome destroy(const NativeContainer &c, bool force) {
        auto r = c.ref();
        auto o = call([&](berth_error *e) { return driver_->destroy(driver_->self, &r, force, e); });
        if (o) // the host removes the state dir after a delete
            berth::test::fs::remove_all(c.state_dir);
        return o;
    }
    NativeOutcome exec(const NativeContainer &c, const json &process, int &pid, int out = -1) {
        std::string text = process.dump();
        berth_exec_request req{};
        req.struct_size = sizeof req;
        req.container = c.ref();
        req.process_json = text.data();
        req.process_json_len = text.size();
        req.stdin_fd = -1;
        req.stdout_fd = out;
        req.stderr_fd = out;
        berth_exec_result res{};
        res.struct_size = sizeof res;
        return call([&](berth_error *e) {
            berth_status s = driver_->exec(driver_->self, &req, &res, e);
            pid = res.pid;
            return s;
        });
    }
    NativeOutcome pause(const NativeContainer &c) {
        auto r = c.ref();
        return call([&](berth_error *e) { return driver_->pause(driver_->self, &r, e); });
    }
    NativeOutcome resume(const NativeContainer &c) {
        auto r = c.ref();
        return call([&](berth_error *e) { return driver_->resume(driver_->self, &r, e); });
    }
    NativeOutcome pids(const NativeContainer &c, std::vector<int> &out) {
        auto r = c.ref();
        std::string text;
        berth_output o = output(text);
        auto res = call([&](berth_error *e) { return driver_->pids(driver_->self, &r, &o, e); });
        if (res)
            out = json::parse(text).get<std::vector<int>>();
        return res;
    }
    NativeOutcome features(std::string &text) {
        berth_output o = output(text);
        return call([&](berth_error *e) { return driver_->features(driver_->self, &o, e); });
    }
    NativeOutcome probe(std::string &reason) {
        berth_output o = output(reason);
        return call([&](berth_error *e) { return driver_->probe(driver_->self, &o, e); });
    }

    // Waits for a child of the test (init or exec'd process); exit status, or 128+signal.
    static int wait_exit(int pid, int timeout_s = 30) {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
        for (;;) {
            int status = 0;
            pid_t r = waitpid(pid, &status, WNOHANG | __WALL);
            if (r == pid)
                return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            REQUIRE(r == 0);
            if (std::chrono::steady_clock::now() > deadline) {
                ::kill(pid, SIGKILL);
                waitpid(pid, &status, 0);
                FAIL("process " << pid << " did not exit within " << timeout_s << "s");
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    }

private:
    static berth_error *as_err(NativeErrorSlot &s) { return reinterpret_cast<berth_error *>(&s); }
    static berth_output output(std::string &s) {
        berth_output o{};
        o.struct_size = sizeof o;
        o.ctx = &s;
        o.write = [](void *ctx, const char *d, size_t n) {
            static_cast<std::string *>(ctx)->append(d, n);
        };
        return o;
    }
    template <class F> NativeOutcome call(F &&f) {
        REQUIRE(driver_ != nullptr);
        NativeErrorSlot slot;
        berth_status s = f(as_err(slot));
        // A failure must come with exactly one message, a success with none.
        CHECK(slot.reports == (s == BERTH_OK ? 0 : 1));
        if (s != BERTH_OK)
            CHECK(slot.code == s);
        return {s, slot.message};
    }
    static std::string slurp(const std::string &path) {
        std::ifstream in(path);
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }

    void *lib_ = nullptr;
    const berth_driver_entry *entry_ = nullptr;
    const berth_driver *driver_ = nullptr;
    berth_host host_{};
};

// The spec every native test starts from: the usual namespaces and kernel filesystems, the
// cgroup at <sandbox prefix>/<name> from the hierarchy root (so leftovers() sees it), and
// `edit` applied last.
berth::test::fs::path native_bundle(Sandbox &sb, const std::string &name,
                                    const std::vector<std::string> &args,
                                    const std::function<void(json &)> &edit = {}) {
    return sb.bundle(name, args, [&](json &spec) {
        spec["linux"]["cgroupsPath"] = "/" + sb.prefix() + "/" + name;
        spec["linux"]["namespaces"] = json::array(
            {{{"type", "pid"}}, {{"type", "mount"}}, {{"type", "ipc"}}, {{"type", "uts"}},
             {{"type", "network"}}});
        spec["mounts"] = json::array(
            {{{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}},
             {{"destination", "/dev"},
              {"type", "tmpfs"},
              {"source", "tmpfs"},
              {"options", {"nosuid", "strictatime", "mode=755", "size=65536k"}}}});
        if (edit)
            edit(spec);
    });
}

// Skips unless the machine can run native containers at all.
void require_native() {
    require_root();
    if (!berth::test::fs::exists(driver_dir() / "native.so"))
        skip("native.so is not built");
}

} // namespace
