// The lxc execution driver: berth's ABI operations on liblxc.
#include "cgroup_files.hpp"
#include "config_translation.hpp"
#include "features.hpp"
#include "liblxc.hpp"
#include "monitor_process.hpp"

#include <berth/common/driver_adapter.hpp>
#include <berth/common/scope_guard.hpp>
#include <berth/common/unique_fd.hpp>

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace berth::lxc {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char *kRecordFile = "lxc-driver.json";
constexpr const char *kStartFifo = "start.fifo";
constexpr const char *kStartVerdict = "start.verdict";
constexpr const char *kLogFile = "lxc.log";

// What later berth invocations need to find a container this driver made.
struct Record {
    std::string lxcpath;
    std::string cgroup;
    std::string monitor_cgroup;
    std::string pivot_cgroup;
    int monitor_pid = 0;
    unsigned long long monitor_start = 0;
    json process; // the spec's process, against which exec requests are checked
};

std::string read_text(const fs::path &p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

Result<> write_record(const std::string &state_dir, const Record &r) {
    json j = {{"lxcpath", r.lxcpath},         {"cgroup", r.cgroup},
              {"monitor_cgroup", r.monitor_cgroup}, {"pivot_cgroup", r.pivot_cgroup},
              {"monitor_pid", r.monitor_pid}, {"monitor_start", r.monitor_start},
              {"process", r.process}};
    fs::path tmp = fs::path(state_dir) / (std::string(kRecordFile) + ".tmp");
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << j.dump();
        if (!out)
            return fail(sys_error("write driver record", tmp.string()));
    }
    std::error_code ec;
    fs::rename(tmp, fs::path(state_dir) / kRecordFile, ec);
    if (ec)
        return fail(sys_error("write driver record", tmp.string(), ec.value()));
    return {};
}

Result<Record> read_record(const std::string &state_dir, const std::string &id) {
    fs::path p = fs::path(state_dir) / kRecordFile;
    std::error_code ec;
    if (!fs::exists(p, ec))
        return fail(make_error(BERTH_E_NOT_FOUND, "driver lxc has no container", id));
    json j = json::parse(read_text(p), nullptr, false);
    if (j.is_discarded())
        return fail(make_error(BERTH_E_FAILED, "corrupt driver record", p.string())
                        .with_hint("delete the container with --force"));
    Record r;
    r.lxcpath = j.value("lxcpath", "");
    r.cgroup = j.value("cgroup", "");
    r.monitor_cgroup = j.value("monitor_cgroup", "");
    r.pivot_cgroup = j.value("pivot_cgroup", "");
    r.monitor_pid = j.value("monitor_pid", 0);
    r.monitor_start = j.value("monitor_start", 0ull);
    r.process = j.value("process", json::object());
    return r;
}

// The ERROR lines LXC logged, joined: what a failed start reports.
std::string lxc_log_errors(const std::string &state_dir) {
    std::ifstream in(fs::path(state_dir) / kLogFile);
    std::string line, out;
    while (std::getline(in, line)) {
        auto pos = line.find(" ERROR ");
        if (pos == std::string::npos)
            continue;
        auto msg = line.find(" - ", pos);
        std::string text = msg == std::string::npos ? line.substr(pos + 7) : line.substr(msg + 3);
        out += (out.empty() ? "" : "; ") + text;
    }
    return out;
}

struct ExecPayload {
    std::vector<std::string> args;
    std::vector<std::pair<int, rlimit>> rlimits;
};

// Runs inside the container, in the process attach made; only async-signal-safe work.
int exec_in_container(void *payload) {
    auto *p = static_cast<ExecPayload *>(payload);
    for (const auto &[resource, limit] : p->rlimits)
        if (::setrlimit(resource, &limit) != 0)
            _exit(126);
    std::vector<char *> argv;
    for (const auto &a : p->args)
        argv.push_back(const_cast<char *>(a.c_str()));
    argv.push_back(nullptr);
    // attach has already replaced the environment, so execvp searches the process's PATH.
    ::execvp(argv[0], argv.data());
    _exit(errno == ENOENT ? 127 : 126);
}

int rlimit_resource(const std::string &name) {
    static const std::pair<const char *, int> table[] = {
        {"RLIMIT_CPU", RLIMIT_CPU},         {"RLIMIT_FSIZE", RLIMIT_FSIZE},
        {"RLIMIT_DATA", RLIMIT_DATA},       {"RLIMIT_STACK", RLIMIT_STACK},
        {"RLIMIT_CORE", RLIMIT_CORE},       {"RLIMIT_RSS", RLIMIT_RSS},
        {"RLIMIT_NPROC", RLIMIT_NPROC},     {"RLIMIT_NOFILE", RLIMIT_NOFILE},
        {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK}, {"RLIMIT_AS", RLIMIT_AS},
        {"RLIMIT_LOCKS", RLIMIT_LOCKS},     {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
        {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE},
        {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},   {"RLIMIT_RTTIME", RLIMIT_RTTIME}};
    for (const auto &[n, r] : table)
        if (name == n)
            return r;
    return -1;
}

class LxcDriver : public driver::DriverBase {
public:
    LxcDriver(const berth_host *host, std::string bridge)
        : DriverBase(host, "lxc"), bridge_(std::move(bridge)) {}

    Result<std::string> probe() override {
        auto lib = load_liblxc();
        if (!lib)
            return lib.error().message();
        if (find_lxc_init().empty())
            return std::string("lxc's init /usr/sbin/init.lxc.static not found (install "
                               "Debian's lxc package)");
        if (CgroupLayout::discover().hierarchies().empty())
            return std::string("no cgroup hierarchy is mounted under /sys/fs/cgroup");
        return std::string();
    }

    Result<std::string> features() override { return features_document(); }

    Result<int> create(const driver::CreateRequest &req) override;
    Result<> start(const driver::ContainerRef &ref) override;
    Result<driver::StateInfo> state(const driver::ContainerRef &ref) override;
    Result<> kill(const driver::ContainerRef &ref, int sig, bool all) override;
    Result<> destroy(const driver::ContainerRef &ref, bool force) override;
    Result<int> exec(const driver::ExecRequest &req) override;
    Result<> pause(const driver::ContainerRef &ref) override;
    Result<> resume(const driver::ContainerRef &ref) override;
    Result<std::vector<int>> pids(const driver::ContainerRef &ref) override;
    Result<std::string> stats(const driver::ContainerRef &ref) override;

private:
    std::string bridge_;

    Result<const LibLxc *> library() {
        auto lib = load_liblxc();
        if (!lib)
            return fail(std::move(lib.error()));
        return *lib;
    }
    bool monitor_alive(const Record &r) const {
        return r.monitor_start != 0 && process_start_time(r.monitor_pid) == r.monitor_start;
    }
    Result<> release_resources(const Record &r, int grace_ms);
    Error abandon_start(const driver::ContainerRef &ref, const Record &r, std::string what);
    Result<> remove_everything(const driver::ContainerRef &ref, const Record &r);
};

Result<int> LxcDriver::create(const driver::CreateRequest &req) {
    auto lib = library();
    if (!lib)
        return fail(std::move(lib.error()).in("create container " + req.container.id));
    if (req.preserve_fds > 0)
        // TODO(#6): keep fds 3.. open through LXC's start (want_close_all_fds closes them).
        return fail(make_error(BERTH_E_NOT_SUPPORTED,
                               "driver lxc cannot pass extra file descriptors (--preserve-fds)"));
    if (!req.console_socket.empty())
        return fail(refuse_field("process.terminal", "the lxc driver has no terminal support"));

    json spec = json::parse(req.config_json, nullptr, false);
    if (spec.is_discarded() || !spec.is_object())
        return fail(make_error(BERTH_E_INVALID_SPEC, "config.json is not a JSON object"));

    const std::string &state_dir = req.container.state_dir;
    CgroupLayout cgroups = CgroupLayout::discover();
    TranslateContext ctx{req.container.id, req.container.bundle, state_dir, bridge_, &cgroups};
    auto config = translate_spec(spec, ctx);
    if (!config)
        return fail(std::move(config.error()));

    Record record;
    record.lxcpath = state_dir + "/lxc";
    record.cgroup = config->cgroup_path;
    record.monitor_cgroup = config->monitor_cgroup;
    record.pivot_cgroup = config->pivot_cgroup;
    record.process = spec.value("process", json::object());
    // Anything made below is undone if a later step fails; delete finds it by the record.
    if (auto ok = write_record(state_dir, record); !ok)
        return fail(std::move(ok.error()));
    driver::ContainerRef ref = req.container;
    ScopeGuard undo([&] { (void)remove_everything(ref, record); });

    std::error_code ec;
    fs::create_directories(record.lxcpath, ec);
    fs::create_directories(state_dir + "/rootfs", ec);
    if (ec)
        return fail(sys_error("create directory", record.lxcpath, ec.value()));

    auto c = open_container(**lib, req.container.id, record.lxcpath);
    if (!c)
        return fail(std::move(c.error()));
    for (const auto &[key, value] : config->items) {
        host().debug("set {} = {}", key, value);
        if (!(*c)->set_config_item(c->get(), key.c_str(), value.c_str()))
            return fail(make_error(BERTH_E_NOT_SUPPORTED,
                                   fmt::format("liblxc {} refused config item `{} = {}`",
                                               (*lib)->get_version(), key, value)));
    }
    std::string config_path = record.lxcpath + "/" + req.container.id + "/config";
    fs::create_directories(fs::path(config_path).parent_path(), ec);
    if (!(*c)->save_config(c->get(), config_path.c_str()))
        return fail(make_error(BERTH_E_FAILED, "liblxc could not save", config_path));

    MonitorLaunch launch{.lib = *lib,
                         .name = req.container.id,
                         .lxcpath = record.lxcpath,
                         .argv = config->argv,
                         .start_fifo = state_dir + "/" + kStartFifo,
                         .log_file = state_dir + "/" + kLogFile,
                         .verdict_file = state_dir + "/" + kStartVerdict,
                         .stdin_fd = req.stdin_fd,
                         .stdout_fd = req.stdout_fd,
                         .stderr_fd = req.stderr_fd};
    auto pid = spawn_monitor(launch);
    if (!pid)
        return fail(std::move(pid.error()));
    record.monitor_pid = *pid;
    record.monitor_start = process_start_time(*pid);
    if (auto ok = write_record(state_dir, record); !ok) {
        ::kill(*pid, SIGKILL);
        return fail(std::move(ok.error()));
    }
    undo.cancel();
    host().info("created container {} (lxc monitor pid {})", req.container.id, *pid);
    return *pid;
}

Result<> LxcDriver::start(const driver::ContainerRef &ref) {
    auto lib = library();
    if (!lib)
        return fail(std::move(lib.error()));
    auto r = read_record(ref.state_dir, ref.id);
    if (!r)
        return fail(std::move(r.error()));
    std::string fifo = ref.state_dir + "/" + kStartFifo;
    std::error_code ec;
    if (!fs::exists(fifo, ec))
        return fail(make_error(BERTH_E_STATE, "container was already started", ref.id));
    if (!monitor_alive(*r))
        return fail(make_error(BERTH_E_STATE, "container's held process is gone", ref.id)
                        .with_hint("delete it and create it again"));
    if (auto ok = release_monitor(fifo); !ok)
        return fail(std::move(ok.error()));
    fs::remove(fifo, ec);

    auto c = open_container(**lib, ref.id, r->lxcpath);
    if (!c)
        return fail(std::move(c.error()));
    // Running, or already over (a short program may finish before we look): both are a
    // successful start. The monitor's verdict tells the second from a failed start.
    std::string verdict = ref.state_dir + "/" + kStartVerdict;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (true) {
        // Whether the monitor is gone is asked first: a verdict it wrote is then on disk.
        bool gone = !monitor_alive(*r);
        switch (read_start_verdict(verdict)) {
        case StartVerdict::Ran:
            return {};
        case StartVerdict::Failed:
            return fail(abandon_start(ref, *r, "LXC failed to start container " + ref.id));
        case StartVerdict::Pending:
            break;
        }
        if (gone)
            return fail(abandon_start(ref, *r, "lxc monitor ended before container " + ref.id +
                                                   " started"));
        if ((*c)->is_running(c->get()))
            return {};
        if (std::chrono::steady_clock::now() > deadline)
            return fail(abandon_start(ref, *r,
                                      "container " + ref.id + " did not reach RUNNING within 30s"));
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

Error LxcDriver::abandon_start(const driver::ContainerRef &ref, const Record &r,
                               std::string what) {
    std::string why = lxc_log_errors(ref.state_dir);
    Error e = make_error(BERTH_E_FAILED, why.empty() ? what : what + ": " + why)
                  .with_hint("the full log is " + ref.state_dir + "/" + kLogFile);
    // A failed start leaves nothing running and nothing of LXC's; the record and the log stay
    // for state and for the user until delete.
    if (auto ok = release_resources(r, 5000); !ok)
        e.attach_cleanup(std::move(ok.error()));
    return e;
}

Result<driver::StateInfo> LxcDriver::state(const driver::ContainerRef &ref) {
    auto lib = library();
    if (!lib)
        return fail(std::move(lib.error()));
    auto r = read_record(ref.state_dir, ref.id);
    if (!r)
        return fail(std::move(r.error()));
    driver::StateInfo info;
    bool alive = monitor_alive(*r);
    std::error_code ec;
    if (alive && fs::exists(ref.state_dir + "/" + kStartFifo, ec))
        return driver::StateInfo{BERTH_STATUS_CREATED, r->monitor_pid};
    if (!alive)
        return driver::StateInfo{BERTH_STATUS_STOPPED, 0};
    auto c = open_container(**lib, ref.id, r->lxcpath);
    if (!c)
        return fail(std::move(c.error()));
    std::string s = (*c)->state(c->get());
    pid_t init = (*c)->init_pid(c->get());
    if (s == "FROZEN" || s == "FREEZING")
        return driver::StateInfo{BERTH_STATUS_PAUSED, init};
    if (s == "RUNNING" || s == "THAWED")
        return driver::StateInfo{BERTH_STATUS_RUNNING, init};
    if (s == "STARTING")
        return driver::StateInfo{BERTH_STATUS_CREATING, r->monitor_pid};
    return driver::StateInfo{BERTH_STATUS_STOPPED, 0};
}

Result<> LxcDriver::kill(const driver::ContainerRef &ref, int sig, bool all) {
    auto st = state(ref);
    if (!st)
        return fail(std::move(st.error()));
    if (st->status == BERTH_STATUS_STOPPED)
        return fail(make_error(BERTH_E_STATE, "container is not running", ref.id));
    auto r = read_record(ref.state_dir, ref.id);
    if (!r)
        return fail(std::move(r.error()));
    if (st->status == BERTH_STATUS_CREATED || st->status == BERTH_STATUS_CREATING) {
        // Nothing runs in the container yet: the held monitor stands for it.
        if (::kill(r->monitor_pid, sig) != 0)
            return fail(sys_error("kill", "lxc monitor " + std::to_string(r->monitor_pid)));
        return {};
    }
    if (all) {
        CgroupLayout cgroups = CgroupLayout::discover();
        for (int pid : cgroups.pids(r->cgroup))
            if (::kill(pid, sig) != 0 && errno != ESRCH)
                return fail(sys_error("kill", "process " + std::to_string(pid)));
        return {};
    }
    if (::kill(st->pid, sig) != 0)
        return fail(sys_error("kill", "container init " + std::to_string(st->pid)));
    return {};
}

Result<> LxcDriver::release_resources(const Record &r, int grace_ms) {
    CgroupLayout cgroups = CgroupLayout::discover();
    Error first;
    bool failed = false;
    auto keep = [&](Result<> res) {
        if (res || failed) {
            if (!res)
                first.attach_cleanup(std::move(res.error()));
            return;
        }
        first = std::move(res.error());
        failed = true;
    };
    // The monitor ends on its own once the container's init is gone (or once it has given up
    // a failed start); one still there after `grace_ms`, or a held one, is killed.
    if (monitor_alive(r)) {
        for (int pid : cgroups.pids(r.cgroup))
            ::kill(pid, SIGKILL);
        if (grace_ms == 0 || !wait_process_gone(r.monitor_pid, r.monitor_start, grace_ms))
            ::kill(r.monitor_pid, SIGKILL);
        if (!wait_process_gone(r.monitor_pid, r.monitor_start, 10000))
            keep(fail(make_error(BERTH_E_FAILED, "lxc monitor did not exit",
                                 std::to_string(r.monitor_pid))));
    }
    // LXC's monitor leaves the pivot cgroup (with a child of its own) behind by design: it
    // moves there to let the monitor cgroup go.
    for (const auto &cg : {r.cgroup, r.monitor_cgroup, r.pivot_cgroup})
        if (!cg.empty())
            keep(cgroups.remove(cg));
    if (!r.lxcpath.empty()) {
        std::error_code ec;
        fs::remove_all(r.lxcpath, ec);
        if (ec)
            keep(fail(sys_error("remove", r.lxcpath, ec.value())));
        keep(remove_lock_dir(r.lxcpath));
    }
    if (failed)
        return fail(std::move(first));
    return {};
}

Result<> LxcDriver::remove_everything(const driver::ContainerRef &ref, const Record &r) {
    auto released = release_resources(r, 0);
    std::error_code ec;
    // The verdict's temporary name too: a monitor killed while writing it leaves that.
    for (std::string f : {kStartFifo, kStartVerdict, kLogFile, "rootfs", kRecordFile})
        for (const auto &name : {f, f + ".tmp"})
            fs::remove_all(fs::path(ref.state_dir) / name, ec);
    return released;
}

Result<> LxcDriver::destroy(const driver::ContainerRef &ref, bool force) {
    auto r = read_record(ref.state_dir, ref.id);
    if (!r) {
        if (r.error().code != BERTH_E_NOT_FOUND)
            return fail(std::move(r.error()));
        // A create interrupted before its record: only the LXC directory may exist.
        std::error_code ec;
        fs::remove_all(ref.state_dir + "/lxc", ec);
        return remove_lock_dir(ref.state_dir + "/lxc");
    }
    auto st = state(ref);
    if (!st)
        return fail(std::move(st.error()));
    bool live = st->status == BERTH_STATUS_RUNNING || st->status == BERTH_STATUS_PAUSED;
    if (live && !force)
        return fail(make_error(BERTH_E_STATE, "container is running", ref.id)
                        .with_hint("stop it first or delete with --force"));
    if (live) {
        CgroupLayout cgroups = CgroupLayout::discover();
        auto lib = library();
        // cgroup v1's freezer holds even SIGKILL until thawed.
        if (st->status == BERTH_STATUS_PAUSED && lib)
            if (auto c = open_container(**lib, ref.id, r->lxcpath))
                (*c)->unfreeze(c->get());
        if (st->pid > 0)
            ::kill(st->pid, SIGKILL);
        for (int pid : cgroups.pids(r->cgroup))
            ::kill(pid, SIGKILL);
        if (!wait_process_gone(r->monitor_pid, r->monitor_start, 10000))
            return fail(make_error(BERTH_E_FAILED, "container did not stop after SIGKILL",
                                   ref.id));
    }
    if (auto ok = remove_everything(ref, *r); !ok)
        return fail(std::move(ok.error()).in("delete container " + ref.id));
    host().info("deleted container {}", ref.id);
    return {};
}

Result<int> LxcDriver::exec(const driver::ExecRequest &req) {
    auto lib = library();
    if (!lib)
        return fail(std::move(lib.error()));
    auto r = read_record(req.container.state_dir, req.container.id);
    if (!r)
        return fail(std::move(r.error()));
    auto st = state(req.container);
    if (!st)
        return fail(std::move(st.error()));
    if (st->status != BERTH_STATUS_RUNNING)
        return fail(make_error(BERTH_E_STATE, "container is not running", req.container.id));
    json proc = json::parse(req.process_json, nullptr, false);
    if (proc.is_discarded() || !proc.is_object())
        return fail(make_error(BERTH_E_INVALID_SPEC, "process.json is not a JSON object"));
    if (proc.value("terminal", false) || !req.console_socket.empty())
        return fail(refuse_field("process.terminal", "the lxc driver has no terminal support"));
    if (req.preserve_fds > 0)
        return fail(make_error(BERTH_E_NOT_SUPPORTED,
                               "driver lxc cannot pass extra file descriptors (--preserve-fds)"));
    // attach applies the container's own capabilities, no_new_privs and LSM profile; a
    // process asking for different ones cannot be given them.
    for (const char *field : {"capabilities", "apparmorProfile", "selinuxLabel"}) {
        json want = proc.value(field, json());
        json have = r->process.value(field, json());
        if (!want.is_null() && want != have)
            return fail(refuse_field(std::string("process.") + field,
                                     "lxc attach gives an exec'd process the container's own"));
    }
    for (const char *field : {"ioPriority", "scheduler", "execCPUAffinity"})
        if (proc.contains(field))
            return fail(refuse_field(std::string("process.") + field, "LXC has no setting for it"));
    if (proc.value("user", json::object()).contains("umask"))
        return fail(refuse_field("process.user.umask", "LXC has no setting for it"));

    ExecPayload payload;
    payload.args = proc.value("args", std::vector<std::string>{});
    if (payload.args.empty())
        return fail(make_error(BERTH_E_INVALID_SPEC, "process.json has no args"));
    for (const auto &rl : proc.value("rlimits", json::array())) {
        std::string type = rl.value("type", "");
        int res = rlimit_resource(type);
        if (res < 0)
            return fail(refuse_field("process.rlimits[" + type + "]", "unknown rlimit"));
        payload.rlimits.push_back(
            {res, rlimit{rl.value("soft", 0ul), rl.value("hard", 0ul)}});
    }
    std::vector<std::string> env = proc.value("env", std::vector<std::string>{});
    std::vector<char *> envp;
    for (auto &e : env)
        envp.push_back(e.data());
    envp.push_back(nullptr);
    std::string cwd = proc.value("cwd", "/");
    const json &user = proc.value("user", json::object());
    std::vector<gid_t> groups = user.value("additionalGids", std::vector<gid_t>{});

    UniqueFd null_fd(::open("/dev/null", O_RDWR | O_CLOEXEC));
    auto fd_or_null = [&](int fd) { return fd >= 0 ? fd : null_fd.get(); };
    lxc_attach_options_t opts = LXC_ATTACH_OPTIONS_DEFAULT;
    opts.attach_flags = LXC_ATTACH_DEFAULT;
    if (proc.value("noNewPrivileges", false))
        opts.attach_flags |= LXC_ATTACH_NO_NEW_PRIVS;
    if (!groups.empty()) {
        opts.attach_flags |= LXC_ATTACH_SETGROUPS;
        opts.groups.size = static_cast<int>(groups.size());
        opts.groups.list = groups.data();
    }
    opts.initial_cwd = cwd.data();
    opts.uid = user.value("uid", 0u);
    opts.gid = user.value("gid", 0u);
    opts.env_policy = LXC_ATTACH_CLEAR_ENV;
    opts.extra_env_vars = envp.data();
    opts.stdin_fd = fd_or_null(req.stdin_fd);
    opts.stdout_fd = fd_or_null(req.stdout_fd);
    opts.stderr_fd = fd_or_null(req.stderr_fd);

    auto c = open_container(**lib, req.container.id, r->lxcpath);
    if (!c)
        return fail(std::move(c.error()));
    // attach runs in this process: its errors go to the container's log, which the
    // saved configuration (read by every query) leaves unset.
    std::string log = req.container.state_dir + "/" + kLogFile;
    (*c)->set_config_item(c->get(), "lxc.log.file", log.c_str());
    (*c)->set_config_item(c->get(), "lxc.log.level", "WARN");
    pid_t pid = -1;
    host().debug("attach to container {}: {}", req.container.id, payload.args[0]);
    if ((*c)->attach(c->get(), exec_in_container, &payload, &opts, &pid) != 0 || pid <= 0)
        return fail(make_error(BERTH_E_FAILED, "lxc attach failed for container " +
                                                   req.container.id)
                        .with_hint("see " + log));
    return pid;
}

Result<> LxcDriver::pause(const driver::ContainerRef &ref) {
    auto st = state(ref);
    if (!st)
        return fail(std::move(st.error()));
    if (st->status != BERTH_STATUS_RUNNING)
        return fail(make_error(BERTH_E_STATE, "container is not running", ref.id));
    auto r = read_record(ref.state_dir, ref.id);
    auto c = open_container(**library(), ref.id, r->lxcpath);
    if (!c)
        return fail(std::move(c.error()));
    if (!(*c)->freeze(c->get()))
        return fail(make_error(BERTH_E_FAILED, "lxc could not freeze container", ref.id)
                        .with_hint("is the freezer cgroup controller available?"));
    return {};
}

Result<> LxcDriver::resume(const driver::ContainerRef &ref) {
    auto st = state(ref);
    if (!st)
        return fail(std::move(st.error()));
    if (st->status != BERTH_STATUS_PAUSED)
        return fail(make_error(BERTH_E_STATE, "container is not paused", ref.id));
    auto r = read_record(ref.state_dir, ref.id);
    auto c = open_container(**library(), ref.id, r->lxcpath);
    if (!c)
        return fail(std::move(c.error()));
    if (!(*c)->unfreeze(c->get()))
        return fail(make_error(BERTH_E_FAILED, "lxc could not thaw container", ref.id));
    return {};
}

Result<std::vector<int>> LxcDriver::pids(const driver::ContainerRef &ref) {
    auto r = read_record(ref.state_dir, ref.id);
    if (!r)
        return fail(std::move(r.error()));
    return CgroupLayout::discover().pids(r->cgroup);
}

Result<std::string> LxcDriver::stats(const driver::ContainerRef &ref) {
    auto r = read_record(ref.state_dir, ref.id);
    if (!r)
        return fail(std::move(r.error()));
    CgroupLayout cg = CgroupLayout::discover();
    auto number = [](const std::optional<std::string> &text) -> json {
        if (!text)
            return nullptr;
        try {
            return std::stoull(*text);
        } catch (...) {
            return nullptr; // "max"
        }
    };
    auto v2_stat = [&](const char *controller, const char *file, const char *key) -> json {
        auto text = cg.read(controller, r->cgroup, file);
        if (!text)
            return nullptr;
        std::istringstream in(*text);
        std::string k;
        unsigned long long v;
        while (in >> k >> v)
            if (k == key)
                return v;
        return nullptr;
    };
    json out = json::object();
    bool v1 = cg.version_of("memory") == 1;
    out["memory"]["usage"]["usage"] =
        number(cg.read("memory", r->cgroup, v1 ? "memory.usage_in_bytes" : "memory.current"));
    out["memory"]["usage"]["limit"] =
        number(cg.read("memory", r->cgroup, v1 ? "memory.limit_in_bytes" : "memory.max"));
    if (cg.version_of("cpuacct") == 1)
        out["cpu"]["usage"]["total"] = number(cg.read("cpuacct", r->cgroup, "cpuacct.usage"));
    else if (auto usec = v2_stat("cpu", "cpu.stat", "usage_usec"); !usec.is_null())
        out["cpu"]["usage"]["total"] = usec.get<unsigned long long>() * 1000;
    out["pids"]["current"] = number(cg.read("pids", r->cgroup, "pids.current"));
    out["pids"]["limit"] = number(cg.read("pids", r->cgroup, "pids.max"));
    return out.dump();
}

Result<driver::DriverBase *> make_driver(const berth_host *host, const std::string &options) {
    json opts = json::parse(options, nullptr, false);
    if (opts.is_discarded() || !opts.is_object())
        return fail(make_error(BERTH_E_INVALID_ARGUMENT, "driver options are not a JSON object"));
    std::string bridge;
    for (const auto &[key, value] : opts.items()) {
        if (key == "bridge" && value.is_string()) {
            bridge = value.get<std::string>();
            continue;
        }
        return fail(make_error(BERTH_E_INVALID_ARGUMENT,
                               "unknown option of driver lxc (known: bridge)", key));
    }
    return new LxcDriver(host, bridge);
}

} // namespace

} // namespace berth::lxc

BERTH_DEFINE_DRIVER("lxc", "0.1.0", "LXC containers through liblxc (loaded at run time)",
                    berth::lxc::make_driver)
