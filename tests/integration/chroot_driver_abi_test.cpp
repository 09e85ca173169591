// The chroot driver through its C ABI alone: the test is the host, loads chroot.so with
// dlopen, and drives real containers on the busybox root filesystem.
#include "support/test_support.hpp"

#include <berth/driver.h>

#include <catch2/catch.hpp>

#include <dlfcn.h>
#include <linux/capability.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

// The host owns the error slot; the test is the host here.
struct berth_error {
    berth_status code = BERTH_OK;
    int sys_errno = 0;
    std::string message;
    int reports = 0;
};

using namespace berth::test;
using nlohmann::json;

namespace {

struct TestHost {
    berth_host host{};
    std::vector<std::string> logs;

    TestHost() {
        host.struct_size = sizeof host;
        host.abi_minor = BERTH_ABI_MINOR;
        host.host_version = "test";
        host.ctx = this;
        host.log = [](void *ctx, berth_log_level, const char *msg) {
            static_cast<TestHost *>(ctx)->logs.emplace_back(msg);
        };
        host.log_enabled = [](void *, berth_log_level) -> int32_t { return 1; };
        host.report_error = [](void *, berth_error *err, berth_status code, int32_t sys_errno,
                               const char *msg) {
            err->code = code;
            err->sys_errno = sys_errno;
            err->message = msg;
            ++err->reports;
        };
        host.get_extension = [](void *, const char *) -> const void * { return nullptr; };
    }
};

berth_output string_output(std::string &s) {
    berth_output out{};
    out.struct_size = sizeof out;
    out.ctx = &s;
    out.write = [](void *ctx, const char *data, size_t len) {
        static_cast<std::string *>(ctx)->append(data, len);
    };
    return out;
}

// chroot.so loaded and initialised for one test.
class Driver {
public:
    explicit Driver(const std::string &options = "{}") {
        auto path = driver_dir() / "chroot.so";
        lib_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
        INFO(dlerror());
        REQUIRE(lib_ != nullptr);
        auto entry_fn =
            reinterpret_cast<berth_driver_entry_fn>(dlsym(lib_, BERTH_DRIVER_ENTRY_SYMBOL));
        REQUIRE(entry_fn != nullptr);
        entry_ = entry_fn();
        REQUIRE(entry_->negotiate(0, BERTH_ABI_MINOR) == BERTH_ABI_MINOR);
        init_status_ = entry_->init(&host_.host, options.c_str(), &drv_, &init_error_);
    }
    ~Driver() {
        if (drv_ != nullptr)
            entry_->deinit(drv_);
        dlclose(lib_);
    }
    Driver(const Driver &) = delete;
    Driver &operator=(const Driver &) = delete;

    const berth_driver_entry &entry() const { return *entry_; }
    const berth_driver &operator*() const {
        REQUIRE(drv_ != nullptr);
        return *drv_;
    }
    const berth_driver *operator->() const { return &**this; }
    berth_status init_status() const { return init_status_; }
    const berth_error &init_error() const { return init_error_; }
    const std::vector<std::string> &logs() const { return host_.logs; }

private:
    TestHost host_;
    void *lib_ = nullptr;
    const berth_driver_entry *entry_ = nullptr;
    const berth_driver *drv_ = nullptr;
    berth_status init_status_ = BERTH_E_FAILED;
    berth_error init_error_;
};

// One container's request data, kept alive for the calls that point into it.
struct Container {
    std::string id;
    std::string bundle;
    std::string state_dir;
    std::string config;
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

// A bundle the chroot driver accepts: the sandbox's spec without what it cannot honour.
Container make_container(Sandbox &sb, const std::string &name, std::vector<std::string> args,
                         const std::function<void(json &)> &edit = {}) {
    Container c;
    c.id = sb.id(name);
    c.bundle = sb.bundle(name, args, [&](json &spec) {
        spec.erase("linux");
        spec["root"]["readonly"] = false;
        if (edit)
            edit(spec);
    });
    c.state_dir = (sb.dir() / ("driver-state-" + name)).string();
    fs::create_directories(c.state_dir);
    std::ifstream in(fs::path(c.bundle) / "config.json");
    std::stringstream ss;
    ss << in.rdbuf();
    c.config = ss.str();
    return c;
}

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
    std::string drain() {
        close_write();
        std::string s;
        char buf[4096];
        ssize_t n;
        while ((n = read(r, buf, sizeof buf)) > 0)
            s.append(buf, static_cast<size_t>(n));
        return s;
    }
};

berth_status create(const Driver &d, Container &c, int in, int out, int err,
                    berth_error &e, uint32_t flags = 0) {
    berth_create_request req{};
    req.struct_size = sizeof req;
    req.container = c.ref();
    req.config_json = c.config.data();
    req.config_json_len = c.config.size();
    req.stdin_fd = in;
    req.stdout_fd = out;
    req.stderr_fd = err;
    req.flags = flags;
    berth_create_result res{};
    res.struct_size = sizeof res;
    berth_status st = d->create(d->self, &req, &res, &e);
    if (st == BERTH_OK)
        c.pid = res.pid;
    return st;
}

berth_state_result state_of(const Driver &d, const Container &c) {
    berth_state_result s{};
    s.struct_size = sizeof s;
    berth_error e;
    auto ref = c.ref();
    REQUIRE(d->state(d->self, &ref, &s, &e) == BERTH_OK);
    return s;
}

int wait_exit(int pid) {
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

bool state_dir_empty(const Container &c) { return fs::is_empty(c.state_dir); }

} // namespace

TEST_CASE("chroot driver is named, describes itself as giving no isolation and speaks ABI 1.0",
          "[unit]") {
    Driver d;
    REQUIRE(d.init_status() == BERTH_OK);
    CHECK(std::string(d.entry().name) == "chroot");
    CHECK(std::string(d.entry().description).find("NO isolation") != std::string::npos);
    CHECK(d.entry().negotiate(0, 5) == 0);
    CHECK(d.entry().negotiate(1, 5) == -1);
}

TEST_CASE("chroot driver rejects an unknown option naming it", "[unit]") {
    Driver d(R"({"ignore_unsupported": true, "colour": "blue"})");
    CHECK(d.init_status() == BERTH_E_INVALID_ARGUMENT);
    CHECK(d.init_error().message ==
          "driver chroot: unknown option \"colour\" (known: ignore_unsupported)");
}

TEST_CASE("chroot driver's features document declares no namespaces, cgroups or LSMs and lists "
          "the fields it cannot honour",
          "[unit]") {
    Driver d;
    std::string text;
    berth_output out = string_output(text);
    berth_error e;
    REQUIRE(d->features(d->self, &out, &e) == BERTH_OK);
    json f = json::parse(text);
    CHECK(f["linux"]["namespaces"] == json::array());
    CHECK(f["linux"]["cgroup"]["v1"] == false);
    CHECK(f["linux"]["cgroup"]["v2"] == false);
    CHECK(f["linux"]["seccomp"]["enabled"] == false);
    CHECK(f["linux"]["apparmor"]["enabled"] == false);
    CHECK(f["linux"]["selinux"]["enabled"] == false);
    json unsupported = json::parse(f["annotations"]["org.berth.unsupported"].get<std::string>());
    for (const char *field : {"hostname", "mounts", "linux.namespaces", "linux.sysctl",
                              "linux.maskedPaths", "linux.readonlyPaths", "linux.resources",
                              "linux.devices", "linux.uidMappings", "linux.gidMappings",
                              "process.apparmorProfile", "process.capabilities", "linux.seccomp"})
        CHECK(std::find(unsupported.begin(), unsupported.end(), field) != unsupported.end());
    CHECK(f["annotations"]["org.berth.isolation"].get<std::string>().rfind("none: ", 0) == 0);
}

TEST_CASE("chroot driver answers pause, resume, exec and stats as not supported", "[unit]") {
    Driver d;
    berth_container_ref ref{};
    ref.struct_size = sizeof ref;
    ref.id = "x";
    ref.bundle = "/nonexistent";
    ref.state_dir = "/nonexistent";
    berth_error e1, e2, e3, e4;
    CHECK(d->pause(d->self, &ref, &e1) == BERTH_E_NOT_SUPPORTED);
    CHECK(e1.message == "pause is not supported by driver chroot");
    CHECK(d->resume(d->self, &ref, &e2) == BERTH_E_NOT_SUPPORTED);
    CHECK(e2.message == "resume is not supported by driver chroot");
    berth_exec_request req{};
    req.struct_size = sizeof req;
    req.container = ref;
    berth_exec_result res{};
    CHECK(d->exec(d->self, &req, &res, &e3) == BERTH_E_NOT_SUPPORTED);
    CHECK(e3.message == "exec is not supported by driver chroot");
    std::string text;
    berth_output out = string_output(text);
    CHECK(d->stats(d->self, &ref, &out, &e4) == BERTH_E_NOT_SUPPORTED);
    CHECK(e4.message == "stats is not supported by driver chroot");
}

TEST_CASE("chroot driver refuses a spec asking for namespaces, mounts and a hostname, naming "
          "each field",
          "[unit]") {
    Sandbox sb;
    Driver d;
    // The sandbox's spec as `berth spec` would make it, with namespaces and a hostname.
    Container c = make_container(sb, "refused", {"true"}, [](json &spec) {
        spec["hostname"] = "box";
        spec["mounts"] = json::array({{{"destination", "/proc"}, {"type", "proc"}}});
        spec["linux"] = {{"namespaces", json::array({{{"type", "pid"}}, {{"type", "mount"}}})}};
    });
    berth_error e;
    CHECK(create(d, c, -1, -1, -1, e) == BERTH_E_NOT_SUPPORTED);
    CHECK(e.reports == 1);
    CHECK(e.message ==
          "config.json asks for hostname, mounts, linux.namespaces, which driver chroot cannot "
          "provide (it gives no isolation) (hint: remove them from the spec, or set "
          "drivers.chroot.ignore_unsupported: true in berth.yaml to run without them)");
    CHECK(state_dir_empty(c));
}

TEST_CASE("chroot driver refuses a read-only root but accepts readonly false", "[unit]") {
    Sandbox sb;
    Driver d;
    Container c = make_container(sb, "ro", {"true"}, [](json &spec) {
        spec["root"]["readonly"] = true;
    });
    berth_error e;
    CHECK(create(d, c, -1, -1, -1, e) == BERTH_E_NOT_SUPPORTED);
    CHECK(e.message.rfind("config.json asks for root.readonly, which driver chroot", 0) == 0);
}

TEST_CASE("chroot driver reports a malformed process naming the field", "[unit]") {
    Sandbox sb;
    Driver d;
    Container c = make_container(sb, "badargs", {"true"}, [](json &spec) {
        spec["process"]["args"] = json::array();
    });
    berth_error e;
    CHECK(create(d, c, -1, -1, -1, e) == BERTH_E_INVALID_SPEC);
    CHECK(e.message == "config.json: process.args must be a non-empty array of strings");
    CHECK(state_dir_empty(c));
}

TEST_CASE("chroot driver runs a busybox command with the spec's env, cwd, uid, gids and umask",
          "[root]") {
    require_root();
    Sandbox sb;
    Driver d;
    Container c = make_container(
        sb, "ids", {"sh", "-c", "id; pwd; umask; echo \"$GREETING\"; ulimit -n; cat"},
        [](json &spec) {
            spec["process"]["user"] = {
                {"uid", 1000}, {"gid", 1001}, {"additionalGids", {10, 20}}, {"umask", 027}};
            spec["process"]["cwd"] = "/tmp";
            spec["process"]["env"].push_back("GREETING=hello there");
            spec["process"]["rlimits"] =
                json::array({{{"type", "RLIMIT_NOFILE"}, {"soft", 100}, {"hard", 200}}});
        });
    Pipe in, out, err;
    berth_error e;
    REQUIRE(create(d, c, in.r, out.w, err.w, e) == BERTH_OK);
    INFO(e.message);
    CHECK(state_of(d, c).status == BERTH_STATUS_CREATED);
    CHECK(state_of(d, c).pid == c.pid);

    auto ref = c.ref();
    REQUIRE(d->start(d->self, &ref, &e) == BERTH_OK);
    REQUIRE(write(in.w, "from stdin\n", 11) == 11);
    in.close_write();
    CHECK(wait_exit(c.pid) == 0);
    CHECK(out.drain() == "uid=1000 gid=1001 groups=10,20\n/tmp\n0027\nhello there\n100\n"
                         "from stdin\n");
    CHECK(err.drain() == "");
    CHECK(state_of(d, c).status == BERTH_STATUS_STOPPED);
    CHECK(state_of(d, c).pid == 0);

    REQUIRE(d->destroy(d->self, &ref, 0, &e) == BERTH_OK);
    CHECK(state_dir_empty(c));
}

TEST_CASE("chroot driver passes the exit status and the environment exactly as the spec gives "
          "them",
          "[root]") {
    require_root();
    Sandbox sb;
    Driver d;
    Container c = make_container(sb, "env", {"sh", "-c", "env | sort; exit 7"}, [&](json &spec) {
        spec["process"]["env"] = {"PATH=/bin", "A=1", "BERTH_TEST_SANDBOX=" + sb.prefix()};
    });
    Pipe out;
    berth_error e;
    REQUIRE(create(d, c, -1, out.w, -1, e) == BERTH_OK);
    auto ref = c.ref();
    REQUIRE(d->start(d->self, &ref, &e) == BERTH_OK);
    CHECK(wait_exit(c.pid) == 7);
    // sh adds PWD and SHLVL of its own; nothing of berth's environment reaches it.
    CHECK(out.drain() == "A=1\nBERTH_TEST_SANDBOX=" + sb.prefix() + "\nPATH=/bin\nPWD=/\n"
                         "SHLVL=1\n");
    REQUIRE(d->destroy(d->self, &ref, 0, &e) == BERTH_OK);
}

TEST_CASE("chroot driver fails create when the program is not in the container's PATH, leaving "
          "nothing",
          "[root]") {
    require_root();
    Sandbox sb;
    Driver d;
    Container c = make_container(sb, "noexe", {"no-such-program"});
    berth_error e;
    CHECK(create(d, c, -1, -1, -1, e) == BERTH_E_NOT_FOUND);
    CHECK(e.message == "set up the container's process: config.json: process.args[0]: no "
                       "executable \"no-such-program\" in the container's PATH "
                       "/usr/sbin:/usr/bin:/sbin:/bin: No such file or directory");
    CHECK(state_dir_empty(c));
    CHECK(waitpid(-1, nullptr, WNOHANG) == -1); // no child left to reap
}

TEST_CASE("chroot driver fails create when process.cwd is missing in the root filesystem",
          "[root]") {
    require_root();
    Sandbox sb;
    Driver d;
    Container c = make_container(sb, "nocwd", {"true"}, [](json &spec) {
        spec["process"]["cwd"] = "/does/not/exist";
    });
    berth_error e;
    CHECK(create(d, c, -1, -1, -1, e) == BERTH_E_NOT_FOUND);
    CHECK(e.message == "set up the container's process: config.json: process.cwd: chdir "
                       "`/does/not/exist`: No such file or directory (hint: create the "
                       "directory in the root filesystem or change process.cwd)");
    CHECK(state_dir_empty(c));
}

TEST_CASE("chroot driver's delete refuses a running container without force and kills it with "
          "force",
          "[root]") {
    require_root();
    Sandbox sb;
    Driver d;
    Container c = make_container(sb, "busy", {"sleep", "1000"});
    berth_error e;
    REQUIRE(create(d, c, -1, -1, -1, e, BERTH_CREATE_DETACHED) == BERTH_OK);
    auto ref = c.ref();
    REQUIRE(d->start(d->self, &ref, &e) == BERTH_OK);
    CHECK(state_of(d, c).status == BERTH_STATUS_RUNNING);

    berth_error refused;
    CHECK(d->destroy(d->self, &ref, 0, &refused) == BERTH_E_STATE);
    CHECK(refused.message == "container " + c.id + " is running (hint: stop it with `berth "
                                                   "kill` first, or use `berth delete --force`)");
    CHECK(state_of(d, c).status == BERTH_STATUS_RUNNING);

    berth_error forced;
    REQUIRE(d->destroy(d->self, &ref, 1, &forced) == BERTH_OK);
    CHECK(wait_exit(c.pid) == 128 + SIGKILL);
    CHECK(state_dir_empty(c));
}

TEST_CASE("chroot driver's kill with all signals every process of the container", "[root]") {
    require_root();
    Sandbox sb;
    Driver d;
    Container c = make_container(sb, "tree", {"sh", "-c", "sleep 1000 | sleep 1000; echo"});
    berth_error e;
    REQUIRE(create(d, c, -1, -1, -1, e) == BERTH_OK);
    auto ref = c.ref();
    REQUIRE(d->start(d->self, &ref, &e) == BERTH_OK);

    // Both sleeps are forked by sh shortly after start (seconds on a loaded machine). A
    // pipeline, because busybox sh runs a lone foreground sleep without forking and gives a
    // background job /dev/null, which a chroot without mounts lacks.
    std::string pids;
    for (int i = 0; i < 3000; ++i) {
        pids.clear();
        berth_output out = string_output(pids);
        REQUIRE(d->pids(d->self, &ref, &out, &e) == BERTH_OK);
        if (json::parse(pids).size() == 3)
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    json listed = json::parse(pids);
    REQUIRE(listed.size() == 3);
    CHECK(listed[0] == c.pid);

    REQUIRE(d->kill(d->self, &ref, SIGTERM, BERTH_KILL_ALL, &e) == BERTH_OK);
    CHECK(wait_exit(c.pid) == 128 + SIGTERM);
    // The sleeps were reparented away from us; wait until the kernel has ended them.
    for (int i = 0; i < 3000 && !sb.leftovers().empty(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    CHECK(sb.leftovers().empty());

    berth_error not_running;
    CHECK(d->kill(d->self, &ref, SIGTERM, 0, &not_running) == BERTH_E_STATE);
    CHECK(not_running.message == "container " + c.id + " is not running");
    REQUIRE(d->destroy(d->self, &ref, 0, &e) == BERTH_OK);
}

TEST_CASE("chroot driver reports a created container whose process died as stopped, and start "
          "fails",
          "[root]") {
    require_root();
    Sandbox sb;
    Driver d;
    Container c = make_container(sb, "died", {"true"});
    berth_error e;
    REQUIRE(create(d, c, -1, -1, -1, e) == BERTH_OK);
    REQUIRE(kill(c.pid, SIGKILL) == 0);
    CHECK(wait_exit(c.pid) == 128 + SIGKILL);
    CHECK(state_of(d, c).status == BERTH_STATUS_STOPPED);

    auto ref = c.ref();
    berth_error failed;
    CHECK(d->start(d->self, &ref, &failed) == BERTH_E_STATE);
    CHECK(failed.message == "start container " + c.id + ": the container's process exited "
                            "before it was started `pid " + std::to_string(c.pid) + "`");
    REQUIRE(d->destroy(d->self, &ref, 0, &e) == BERTH_OK);
    CHECK(state_dir_empty(c));
}

namespace {

// Clears one capability from this process's effective set (keeping it permitted) until the
// end of the scope, so a test can see what the driver does without it.
class WithoutEffectiveCapability {
public:
    explicit WithoutEffectiveCapability(int cap) {
        REQUIRE(syscall(SYS_capget, &header_, saved_) == 0);
        __user_cap_data_struct reduced[_LINUX_CAPABILITY_U32S_3];
        std::copy(std::begin(saved_), std::end(saved_), reduced);
        reduced[cap / 32].effective &= ~(1u << (cap % 32));
        REQUIRE(syscall(SYS_capset, &header_, reduced) == 0);
    }
    ~WithoutEffectiveCapability() { syscall(SYS_capset, &header_, saved_); }

private:
    __user_cap_header_struct header_{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct saved_[_LINUX_CAPABILITY_U32S_3] = {};
};

} // namespace

TEST_CASE("chroot driver refuses to raise a hard rlimit without CAP_SYS_RESOURCE, naming the "
          "limit",
          "[root]") {
    require_root();
    Sandbox sb;
    Driver d;
    rlimit cur{};
    REQUIRE(getrlimit(RLIMIT_NOFILE, &cur) == 0);
    if (cur.rlim_max == RLIM_INFINITY)
        skip("RLIMIT_NOFILE has no hard limit here to raise");
    const auto raised = cur.rlim_max + 1;
    Container c = make_container(sb, "rlimit", {"true"}, [&](json &spec) {
        spec["process"]["rlimits"] =
            json::array({{{"type", "RLIMIT_NOFILE"}, {"soft", 1}, {"hard", raised}}});
    });
    berth_error e;
    {
        WithoutEffectiveCapability drop(CAP_SYS_RESOURCE);
        CHECK(create(d, c, -1, -1, -1, e) == BERTH_E_PERMISSION);
    }
    CHECK(e.message == "config.json: process.rlimits: cannot raise the hard limit of "
                       "RLIMIT_NOFILE from " + std::to_string(cur.rlim_max) + " to " +
                       std::to_string(raised) + " without CAP_SYS_RESOURCE (hint: lower the "
                       "hard limit in config.json, or run berth with CAP_SYS_RESOURCE)");
    CHECK(state_dir_empty(c));
}

TEST_CASE("chroot driver's probe reports it usable as root and names the missing capability "
          "otherwise",
          "[root]") {
    require_root();
    Driver d;
    std::string reason;
    berth_output out = string_output(reason);
    berth_error e;
    CHECK(d->probe(d->self, &out, &e) == BERTH_OK);
    CHECK(reason == "");
    {
        WithoutEffectiveCapability drop(CAP_SYS_CHROOT);
        CHECK(d->probe(d->self, &out, &e) == BERTH_E_UNAVAILABLE);
    }
    CHECK(reason == "needs root: berth runs as uid 0 without CAP_SYS_CHROOT");
}
