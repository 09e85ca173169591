#include "native_driver.hpp"

#include "cgroup.hpp"
#include "cgroup_parents.hpp"
#include "console.hpp"
#include "net_setup.hpp"
#include "process.hpp"
#include "process_namespaces.hpp"
#include "rootfs.hpp"
#include "seccomp_cache.hpp"
#include "security.hpp"

#include <berth/common/oci_spec.hpp>
#include <berth/common/scope_guard.hpp>

#include <fmt/format.h>

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/apparmor.h>
#include <sys/capability.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <fstream>

namespace berth::native {
namespace {

namespace fs = std::filesystem;
using driver::ContainerRef;

const char *status_name(berth_container_status s) {
    switch (s) {
    case BERTH_STATUS_CREATING:
        return "creating";
    case BERTH_STATUS_CREATED:
        return "created";
    case BERTH_STATUS_RUNNING:
        return "running";
    case BERTH_STATUS_PAUSED:
        return "paused";
    default:
        return "stopped";
    }
}

Error wrong_state(const ContainerRef &ref, berth_container_status s, const std::string &need) {
    return make_error(BERTH_E_STATE,
                      fmt::format("container {} is {}; {}", ref.id, status_name(s), need));
}

// A pidfd for the container's init that is known to refer to the recorded process: the
// start time is checked after the pidfd pins the pid, so a recycled pid cannot slip in.
Result<UniqueFd> open_init_pidfd(const ContainerState &st) {
    UniqueFd fd(static_cast<int>(syscall(SYS_pidfd_open, st.pid, 0)));
    if (!fd)
        return fail(sys_error("pidfd_open", fmt::format("pid {}", st.pid)));
    if (!process_alive(st))
        return fail(make_error(BERTH_E_STATE, "container process has exited",
                               fmt::format("pid {}", st.pid)));
    return fd;
}

// An fd of the host's /dev/null for stdio the host left unset (-1).
Result<UniqueFd> dev_null_if_needed(const int (&fds)[3]) {
    if (std::none_of(std::begin(fds), std::end(fds), [](int fd) { return fd < 0; }))
        return UniqueFd();
    UniqueFd fd(open("/dev/null", O_RDWR | O_CLOEXEC));
    if (!fd)
        return fail(sys_error("open", "/dev/null"));
    return fd;
}

// Joins a pid namespace given by path for the children of the calling thread only, and
// restores the thread's previous one when destroyed. The container's init must be made by
// clone inside that namespace: a pid namespace cannot be entered by a running process.
class PidNamespaceSwitch {
public:
    Result<> enter(int target_fd, const std::string &path) {
        saved_.reset(open("/proc/thread-self/ns/pid_for_children", O_RDONLY | O_CLOEXEC));
        if (!saved_)
            return fail(sys_error("open", "/proc/thread-self/ns/pid_for_children"));
        if (setns(target_fd, CLONE_NEWPID) != 0)
            return fail(sys_error("setns", path).in("join pid namespace"));
        return {};
    }
    ~PidNamespaceSwitch() {
        if (saved_)
            setns(saved_.get(), CLONE_NEWPID);
    }

private:
    UniqueFd saved_;
};

nlohmann::json capability_names() {
    nlohmann::json names = nlohmann::json::array();
    for (int c = 0; c <= static_cast<int>(cap_max_bits()) - 1; ++c) {
        char *n = cap_to_name(static_cast<cap_value_t>(c));
        if (n == nullptr)
            continue;
        std::string s = n;
        cap_free(n);
        if (s.rfind("cap_", 0) != 0)
            continue; // a number: a capability newer than libcap
        std::transform(s.begin(), s.end(), s.begin(),
                       [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
        names.push_back(s);
    }
    return names;
}

bool has_cgroup_mount() {
    std::ifstream in("/proc/self/mountinfo");
    std::string line;
    while (std::getline(in, line))
        if (line.find(" - cgroup ") != std::string::npos ||
            line.find(" - cgroup2 ") != std::string::npos)
            return true;
    return false;
}

} // namespace

Result<DriverOptions> parse_options(const std::string &json_text) {
    auto j = nlohmann::json::parse(json_text, nullptr, false);
    if (j.is_discarded() || !(j.is_object() || j.is_null()))
        return fail(make_error(BERTH_E_INVALID_ARGUMENT,
                               "driver native: options must be a map of option names to values"));
    DriverOptions opts;
    for (auto it = j.begin(); j.is_object() && it != j.end(); ++it) {
        if (it.key() == "cgroup_parent") {
            if (!it->is_string())
                return fail(make_error(BERTH_E_INVALID_ARGUMENT,
                                       "driver native: option cgroup_parent must be a string"));
            std::string p = *it;
            while (!p.empty() && p.front() == '/')
                p.erase(0, 1);
            while (!p.empty() && p.back() == '/')
                p.pop_back();
            if (p.find("..") != std::string::npos)
                return fail(make_error(BERTH_E_INVALID_ARGUMENT,
                                       "driver native: option cgroup_parent must not contain ..",
                                       p));
            opts.cgroup_parent = p;
            continue;
        }
        if (it.key() == "networks") {
            auto networks = parse_networks(*it);
            if (!networks)
                return fail(std::move(networks.error()));
            opts.networks = std::move(*networks);
            continue;
        }
        if (it.key() == "seccomp_cache") {
            if (!it->is_string() ||
                (!it->get<std::string>().empty() && it->get<std::string>().front() != '/'))
                return fail(make_error(BERTH_E_INVALID_ARGUMENT,
                                       "driver native: option seccomp_cache must be an "
                                       "absolute directory path, or empty for none"));
            opts.seccomp_cache = it->get<std::string>();
            continue;
        }
        return fail(make_error(BERTH_E_INVALID_ARGUMENT,
                               fmt::format("driver native: unknown option {} (known options: "
                                           "cgroup_parent, networks, seccomp_cache)",
                                           it.key())));
    }
    return opts;
}

Result<std::string> cgroup_path_for(const nlohmann::json &spec, const std::string &id,
                                    const DriverOptions &opts) {
    auto join = [&](const std::string &rest) {
        return opts.cgroup_parent.empty() ? rest : opts.cgroup_parent + "/" + rest;
    };
    std::string path;
    if (auto l = spec.find("linux"); l != spec.end() && l->is_object()) {
        if (auto c = l->find("cgroupsPath"); c != l->end() && !c->is_null()) {
            if (!c->is_string())
                return fail(make_error(BERTH_E_INVALID_SPEC,
                                       "config.json: linux.cgroupsPath must be a string"));
            path = *c;
        }
    }
    if (path.find(':') != std::string::npos)
        // TODO(#3): systemd slices ("slice:prefix:name") need the systemd D-Bus API.
        return fail(make_error(BERTH_E_NOT_SUPPORTED,
                               fmt::format("config.json: linux.cgroupsPath {} is a systemd "
                                           "path, which driver native does not support",
                                           path)));
    if (fs::path(path).lexically_normal().string().find("..") != std::string::npos)
        return fail(make_error(BERTH_E_INVALID_SPEC,
                               fmt::format("config.json: linux.cgroupsPath {} must not "
                                           "leave the cgroup tree",
                                           path)));
    if (path.empty())
        return join(id);
    if (path.front() == '/') {
        path = path.substr(path.find_first_not_of('/') == std::string::npos
                               ? path.size()
                               : path.find_first_not_of('/'));
        if (path.empty())
            return fail(make_error(BERTH_E_INVALID_SPEC,
                                   "config.json: linux.cgroupsPath must not be the root cgroup"));
        return path;
    }
    return join(path);
}

NativeDriver::NativeDriver(const berth_host *host, DriverOptions opts)
    : DriverBase(host, "native"), opts_(std::move(opts)) {}

Result<std::string> NativeDriver::probe() {
    if (geteuid() != 0)
        return std::string("driver native needs root: rootless containers are not supported");
    for (const char *ns : {"pid", "mnt", "net", "uts", "ipc", "cgroup", "user"}) {
        std::string p = fmt::format("/proc/self/ns/{}", ns);
        if (access(p.c_str(), F_OK) != 0)
            return fmt::format("the kernel has no {} namespaces ({} is missing)", ns, p);
    }
    if (!has_cgroup_mount())
        return std::string("no cgroup hierarchy is mounted (looked in /proc/self/mountinfo)");
    return std::string();
}

Result<std::string> NativeDriver::features() {
    // Fields this driver reads nowhere, in the notation of the host's feature gate, so a
    // request that uses them is refused instead of silently run without them.
    nlohmann::json unsupported = {"process.selinuxLabel",
                                  "process.ioPriority",
                                  "process.scheduler",
                                  "process.execCPUAffinity",
                                  "linux.mountLabel",
                                  "linux.intelRdt",
                                  "linux.personality",
                                  "linux.timeOffsets",
                                  "linux.memoryPolicy",
                                  "linux.netDevices",
                                  "linux.seccomp.listenerPath",
                                  "linux.namespaces[time]",
                                  "hooks"};
    nlohmann::json doc = {
        {"ociVersionMin", "1.0.0"},
        {"ociVersionMax", "1.2.0"},
        {"hooks", nlohmann::json::array()},
        {"mountOptions", {"async",         "atime",      "bind",       "defaults", "dev",
                          "diratime",      "dirsync",    "exec",       "mand",     "noatime",
                          "nodev",         "nodiratime", "noexec",     "nomand",   "norelatime",
                          "nostrictatime", "nosuid",     "private",    "rbind",    "relatime",
                          "remount",       "ro",         "rprivate",   "rshared",  "rslave",
                          "runbindable",   "rw",         "shared",     "slave",    "strictatime",
                          "suid",          "sync",       "unbindable", "rro",      "rrw"}},
        {"linux",
         {{"namespaces", {"cgroup", "ipc", "mount", "network", "pid", "user", "uts"}},
          {"capabilities", capability_names()},
          {"cgroup",
           {{"v1", true},
            {"v2", true},
            {"systemd", false},
            {"systemdUser", false},
            {"rdma", false}}},
          {"seccomp",
           {{"enabled", true},
            {"actions",
             {"SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
              "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_TRAP", "SCMP_ACT_TRACE"}},
            {"operators",
             {"SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT",
              "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE"}},
            {"archs",
             {"SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64",
              "SCMP_ARCH_ARM"}},
            {"knownFlags", nlohmann::json::array()},
            {"supportedFlags", nlohmann::json::array()}}},
          {"apparmor", {{"enabled", aa_is_enabled() == 1}}},
          {"selinux", {{"enabled", false}}},
          {"intelRdt", {{"enabled", false}}}}},
        {"annotations",
         {{"org.berth.unsupported", unsupported.dump()},
          {"org.berth.native.cgroup_parent", opts_.cgroup_parent}}}};
    return doc.dump(2);
}

namespace {

// After a container's cgroup is gone: the parents berth made for it, when nothing else is in
// them. Best effort: a parent left behind is only an empty directory, found again next time.
void remove_unused_parents(const fs::path &state_dir, const std::string &cgroup) {
    if (auto parents = CgroupParents::lock(CgroupParents::record_for(state_dir)))
        parents->remove_unused(cgroup);
}

// Everything create holds while it runs; undone in reverse order when a step fails.
struct CreateTxn {
    fs::path state_dir;
    bool state_written = false;
    std::unique_ptr<Cgroup> cgroup;
    std::string cgroup_path;
    ChildProcess child;
    // Set once the container's network is up; undoes it after the child is gone.
    std::function<Result<>()> network_teardown;

    // Kills the child, then removes the network, the cgroup and the state files. Errors met on the
    // way are attached to `cause`, which stays the error the user sees.
    Error undo(Error cause) {
        Deadline d = Clock::now() + setup_timeout;
        if (auto r = child.kill_and_reap(d); !r)
            cause.attach_cleanup(std::move(r.error()));
        if (network_teardown)
            if (auto r = network_teardown(); !r)
                cause.attach_cleanup(std::move(r.error()));
        if (cgroup) {
            if (auto r = cgroup->destroy(); !r)
                cause.attach_cleanup(std::move(r.error()));
            else
                remove_unused_parents(state_dir, cgroup_path);
        }
        if (auto r = remove_state_files(state_dir); !r)
            cause.attach_cleanup(std::move(r.error()));
        return cause;
    }
};

} // namespace

Result<int> NativeDriver::create(const driver::CreateRequest &req) {
    const ContainerRef &ref = req.container;
    auto spec = oci::Spec::parse(req.config_json);
    if (!spec)
        return fail(std::move(spec.error()));
    auto process = spec->process();
    if (!process)
        return fail(std::move(process.error()));
    UniqueFd console;
    if (process->terminal) {
        auto c = connect_console_socket(req.console_socket, "config.json");
        if (!c)
            return fail(std::move(c.error()));
        console = std::move(*c);
    }
    const nlohmann::json &j = spec->json();
    fs::path bundle = ref.bundle;
    if (auto r = validate_rootfs(j, bundle); !r)
        return fail(std::move(r.error()));
    auto seccomp = prepare_security(j, opts_.seccomp_cache);
    if (!seccomp)
        return fail(std::move(seccomp.error()));
    if (*seccomp && !(*seccomp)->unknown_syscalls.empty())
        host().info("container {}: linux.seccomp names syscalls libseccomp {} does not know; "
                    "calls to them get the profile's default action: {}",
                    ref.id, seccomp_library_version(),
                    fmt::join((*seccomp)->unknown_syscalls, ", "));
    auto plan = plan_namespaces(j);
    if (!plan)
        return fail(std::move(plan.error()));
    if (!(plan->all_types & CLONE_NEWUTS) && (spec->uses("hostname") || spec->uses("domainname")))
        return fail(make_error(BERTH_E_INVALID_SPEC,
                               "config.json: hostname needs a uts namespace in linux.namespaces"));
    auto net = plan_network(j, opts_.networks);
    if (!net)
        return fail(std::move(net.error()));
    std::string uid_map, gid_map;
    if (plan->new_userns) {
        auto u = id_map_text(j, "uidMappings");
        if (!u)
            return fail(std::move(u.error()));
        auto g = id_map_text(j, "gidMappings");
        if (!g)
            return fail(std::move(g.error()));
        uid_map = *u;
        gid_map = *g;
    }
    auto cgroup_path = cgroup_path_for(j, ref.id, opts_);
    if (!cgroup_path)
        return fail(std::move(cgroup_path.error()));
    if (auto r = open_joined_namespaces(*plan); !r)
        return fail(std::move(r.error()));

    CreateTxn txn;
    txn.state_dir = ref.state_dir;
    auto undo = [&](Error e) { return fail(txn.undo(std::move(e))); };

    ContainerState st;
    st.cgroup = *cgroup_path;
    st.namespaces = plan->all_types;
    if (auto l = j.find("linux"); l != j.end() && l->is_object())
        st.linux_config = *l;
    // Written before anything exists, so that a create interrupted from here on can be
    // deleted: the record names the cgroup to remove.
    if (auto r = save_state(txn.state_dir, st); !r)
        return undo(std::move(r.error()));

    fs::path fifo = fifo_path(txn.state_dir);
    if (mkfifo(fifo.c_str(), 0600) != 0)
        return undo(sys_error("mkfifo", fifo.string()).in("make start barrier"));
    // Read-write, so that opening never blocks and the init's read blocks until start writes.
    UniqueFd barrier(open(fifo.c_str(), O_RDWR | O_CLOEXEC));
    if (!barrier)
        return undo(sys_error("open", fifo.string()).in("make start barrier"));

    int stdio[3] = {req.stdin_fd, req.stdout_fd, req.stderr_fd};
    auto null_fd = dev_null_if_needed(stdio);
    if (!null_fd)
        return undo(std::move(null_fd.error()).in("set up stdio"));
    for (int &fd : stdio)
        if (fd < 0)
            fd = null_fd->get();

    host().debug("container {}: creating cgroup {}", ref.id, st.cgroup);
    {
        auto parents = CgroupParents::lock(CgroupParents::record_for(ref.state_dir));
        if (!parents)
            return undo(std::move(parents.error()).in("create cgroup"));
        std::vector<std::string> made;
        auto cg = Cgroup::create(
            st.cgroup,
            j.value("linux", nlohmann::json::object()).value("resources", nlohmann::json::object()),
            &made);
        if (!cg)
            return undo(std::move(cg.error()).in("create cgroup"));
        txn.cgroup = std::move(*cg);
        txn.cgroup_path = st.cgroup;
        if (auto r = parents->record(made); !r)
            return undo(std::move(r.error()).in("create cgroup"));
    }

    auto sync = make_sync_pair();
    if (!sync)
        return undo(std::move(sync.error()));

    nlohmann::json init_spec = j;
    if (auto r = add_network_files(*net, txn.state_dir, init_spec); !r)
        return undo(std::move(r.error()));

    InitRequest init;
    init.launch.process = std::move(*process);
    init.launch.process_json = j.at("process");
    init.launch.seccomp = std::move(*seccomp);
    std::copy(std::begin(stdio), std::end(stdio), init.launch.stdio);
    init.launch.preserve_fds = req.preserve_fds;
    init.launch.barrier_fd = barrier.get();
    init.launch.console_fd = console.get();
    init.spec = std::move(init_spec);
    init.bundle = bundle;
    init.no_pivot = req.flags & BERTH_CREATE_NO_PIVOT;
    init.new_keyring = !(req.flags & BERTH_CREATE_NO_NEW_KEYRING);
    init.plan = &*plan;

    {
        // A pid namespace given by path is entered by the clone itself, not by the child.
        PidNamespaceSwitch pid_switch;
        auto pid_ns = std::find_if(plan->joined.begin(), plan->joined.end(),
                                   [](const auto &n) { return n.type == CLONE_NEWPID; });
        if (pid_ns != plan->joined.end()) {
            if (auto r = pid_switch.enter(pid_ns->fd.get(), pid_ns->path); !r)
                return undo(std::move(r.error()));
            plan->joined.erase(pid_ns);
        }
        host().debug("container {}: cloning init with namespaces {:#x}", ref.id, plan->clone_flags);
        auto child = spawn_init(init, *sync);
        if (!child)
            return undo(std::move(child.error()));
        txn.child = std::move(*child);
    }
    barrier.reset();
    Deadline deadline = Clock::now() + setup_timeout;

    if (plan->new_userns)
        if (auto r = write_id_maps(txn.child.pid(), uid_map, gid_map); !r)
            return undo(std::move(r.error()));
    // The init enters its namespaces and makes its rootfs while the cgroup and the network
    // are set up here (moving a task between v1 cgroups can wait a whole RCU grace period);
    // it runs nothing of the container's until released.
    if (auto r = send_message(sync->parent.get(), Message{MsgKind::go, 0, {}}); !r)
        return undo(std::move(r.error()).in("release init"));
    if (auto r = txn.cgroup->add_process(txn.child.pid()); !r)
        return undo(std::move(r.error()).in("move init into cgroup"));
    auto net_ctx = network_context(ref.id, ref.state_dir);
    if (auto r = setup_network(*net, net_ctx, txn.child.pid(), host()); !r)
        return undo(std::move(r.error()));
    txn.network_teardown = [this, net_ctx] { return teardown_network(net_ctx, host()); };
    // A init that failed meanwhile has closed the channel: its error is read below.
    auto released = send_message(sync->parent.get(), Message{MsgKind::released, 0, {}});

    auto m = receive_message(sync->parent.get(), deadline, "the container's init to set up");
    if (!m)
        return undo(released ? std::move(m.error())
                             : std::move(released.error()).in("release init"));
    if (m->kind == MsgKind::error)
        return undo(std::move(m->error));
    if (m->kind != MsgKind::ready) {
        int pid = txn.child.pid();
        auto status = txn.child.wait(deadline);
        std::string how =
            status ? (WIFSIGNALED(*status) ? fmt::format("killed by signal {}", WTERMSIG(*status))
                                           : fmt::format("exit status {}", WEXITSTATUS(*status)))
                   : std::string("unknown status");
        return undo(make_error(BERTH_E_FAILED,
                               fmt::format("container init exited during setup ({})", how),
                               fmt::format("pid {}", pid)));
    }

    st.pid = txn.child.pid();
    auto ps = read_proc_stat(st.pid);
    if (!ps)
        return undo(make_error(BERTH_E_FAILED, "container init vanished after setup",
                               fmt::format("pid {}", st.pid)));
    st.start_time = ps->start_time;
    if (auto r = save_state(txn.state_dir, st); !r)
        return undo(std::move(r.error()));

    host().info("container {}: created, init pid {}, cgroup {}", ref.id, st.pid, st.cgroup);
    txn.cgroup.reset();
    return txn.child.release();
}

Result<> NativeDriver::start(const ContainerRef &ref) {
    auto st = load_state(ref.state_dir);
    if (!st)
        return fail(std::move(st.error()));
    fs::path fifo = fifo_path(ref.state_dir);
    UniqueFd fd(open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT)
            return fail(process_alive(*st)
                            ? wrong_state(ref, BERTH_STATUS_RUNNING, "it was already started")
                            : wrong_state(ref, BERTH_STATUS_STOPPED,
                                          "delete it and create it "
                                          "again"));
        if (errno == ENXIO)
            // Nobody holds the fifo open for reading: the init is gone.
            return fail(
                wrong_state(ref, BERTH_STATUS_STOPPED, "its init exited before start; delete it"));
        return fail(sys_error("open", fifo.string()).in("start container"));
    }
    if (write(fd.get(), "0", 1) != 1)
        return fail(sys_error("write", fifo.string()).in("start container"));
    if (unlink(fifo.c_str()) != 0)
        return fail(sys_error("remove", fifo.string()).in("start container"));
    host().info("container {}: started", ref.id);
    return {};
}

bool NativeDriver::report_oom(const ContainerRef &ref, const ContainerState &st) {
    auto cg = Cgroup::open(st.cgroup);
    if (!cg)
        return false;
    auto oom = (*cg)->oom_killed();
    if (!oom || !*oom)
        return false;
    fs::path marker = oom_marker(ref.state_dir);
    if (access(marker.c_str(), F_OK) != 0) {
        host().warn("container {}: the kernel's OOM killer killed a process of it in cgroup {} "
                    "(raise linux.resources.memory.limit)",
                    ref.id, st.cgroup);
        UniqueFd(open(marker.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
    }
    return true;
}

Result<berth_container_status> NativeDriver::status_of(const ContainerRef &ref,
                                                       const ContainerState &st) {
    if (st.pid == 0)
        return BERTH_STATUS_CREATING;
    if (!process_alive(st)) {
        report_oom(ref, st);
        return BERTH_STATUS_STOPPED;
    }
    if (access(fifo_path(ref.state_dir).c_str(), F_OK) == 0)
        return BERTH_STATUS_CREATED;
    auto cg = Cgroup::open(st.cgroup);
    if (cg) {
        auto frozen = (*cg)->frozen();
        if (frozen && *frozen)
            return BERTH_STATUS_PAUSED;
    }
    return BERTH_STATUS_RUNNING;
}

Result<driver::StateInfo> NativeDriver::state(const ContainerRef &ref) {
    auto st = load_state(ref.state_dir);
    if (!st)
        return fail(std::move(st.error()));
    auto s = status_of(ref, *st);
    if (!s)
        return fail(std::move(s.error()));
    driver::StateInfo info;
    info.status = *s;
    info.pid = (*s == BERTH_STATUS_STOPPED) ? 0 : st->pid;
    return info;
}

Result<> NativeDriver::kill(const ContainerRef &ref, int sig, bool all) {
    auto st = load_state(ref.state_dir);
    if (!st)
        return fail(std::move(st.error()));
    auto s = status_of(ref, *st);
    if (!s)
        return fail(std::move(s.error()));
    if (*s == BERTH_STATUS_STOPPED || *s == BERTH_STATUS_CREATING)
        return fail(wrong_state(ref, *s, "there is no process to signal"));
    if (all) {
        auto cg = Cgroup::open(st->cgroup);
        if (!cg)
            return fail(std::move(cg.error()).in("signal all processes"));
        host().debug("container {}: sending signal {} to every process", ref.id, sig);
        return (*cg)->signal_all(sig);
    }
    auto fd = open_init_pidfd(*st);
    if (!fd)
        return fail(std::move(fd.error()).in("signal init"));
    host().debug("container {}: sending signal {} to init {}", ref.id, sig, st->pid);
    if (syscall(SYS_pidfd_send_signal, fd->get(), sig, nullptr, 0) != 0)
        return fail(sys_error("send signal " + std::to_string(sig) + " to",
                              fmt::format("pid {}", st->pid)));
    return {};
}

Result<> NativeDriver::destroy(const ContainerRef &ref, bool force) {
    auto st = load_state(ref.state_dir);
    if (!st) {
        if (st.error().code == BERTH_E_NOT_FOUND)
            return remove_state_files(ref.state_dir); // create stopped before its first step
        return fail(std::move(st.error()));
    }
    auto s = status_of(ref, *st);
    if (!s)
        return fail(std::move(s.error()));
    if (!force && (*s == BERTH_STATUS_RUNNING || *s == BERTH_STATUS_PAUSED))
        return fail(wrong_state(ref, *s, "stop it first or delete it with force"));

    UniqueFd init_fd;
    if (st->pid != 0 && process_alive(*st)) {
        auto fd = open_init_pidfd(*st);
        if (fd) {
            init_fd = std::move(*fd);
            host().debug("container {}: killing init {}", ref.id, st->pid);
            syscall(SYS_pidfd_send_signal, init_fd.get(), SIGKILL, nullptr, 0);
        }
    }
    auto cg = Cgroup::open(st->cgroup);
    if (!cg && cg.error().code != BERTH_E_NOT_FOUND)
        return fail(std::move(cg.error()).in("delete container"));
    if (cg) {
        report_oom(ref, *st);
        // A frozen task cannot die; thawing lets the SIGKILLs land.
        (void)(*cg)->thaw();
        host().debug("container {}: removing cgroup {}", ref.id, st->cgroup);
        if (auto r = (*cg)->destroy(); !r)
            return fail(std::move(r.error()).in("delete container"));
        remove_unused_parents(ref.state_dir, st->cgroup);
    }
    if (init_fd) {
        // The init may not be in the cgroup any more (moved out by hand); wait for it anyway.
        pollfd p{init_fd.get(), POLLIN, 0};
        Deadline d = Clock::now() + setup_timeout;
        while (process_alive(*st) && Clock::now() < d)
            poll(&p, 1, 100);
        if (process_alive(*st))
            return fail(make_error(BERTH_E_FAILED, "container init did not exit after SIGKILL",
                                   fmt::format("pid {}", st->pid))
                            .with_hint("it may be stuck in the kernel (state D); check "
                                       "/proc/PID/stack"));
    }
    if (auto r = teardown_network(network_context(ref.id, ref.state_dir), host()); !r)
        return fail(std::move(r.error()).in("delete container"));
    if (auto r = remove_state_files(ref.state_dir); !r)
        return fail(std::move(r.error()));
    host().info("container {}: deleted", ref.id);
    return {};
}

Result<int> NativeDriver::exec(const driver::ExecRequest &req) {
    const ContainerRef &ref = req.container;
    auto st = load_state(ref.state_dir);
    if (!st)
        return fail(std::move(st.error()));
    auto s = status_of(ref, *st);
    if (!s)
        return fail(std::move(s.error()));
    if (*s != BERTH_STATUS_RUNNING && *s != BERTH_STATUS_CREATED)
        return fail(wrong_state(ref, *s, "exec needs a created or running container"));

    auto pj = nlohmann::json::parse(req.process_json, nullptr, false);
    if (pj.is_discarded() || !pj.is_object())
        return fail(make_error(BERTH_E_INVALID_SPEC, "process.json: not a JSON object"));
    auto process = oci::parse_process(pj, "process.json", "");
    if (!process)
        return fail(std::move(process.error()));
    UniqueFd console;
    if (process->terminal) {
        auto c = connect_console_socket(req.console_socket, "process.json");
        if (!c)
            return fail(std::move(c.error()));
        console = std::move(*c);
    }

    auto pidfd = open_init_pidfd(*st);
    if (!pidfd)
        return fail(std::move(pidfd.error()).in("join container"));
    std::string root = fmt::format("/proc/{}/root", st->pid);
    UniqueFd root_fd(open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root_fd)
        return fail(sys_error("open", root).in("join container"));
    auto cg = Cgroup::open(st->cgroup);
    if (!cg)
        return fail(std::move(cg.error()).in("join container cgroup"));

    Launch launch;
    launch.process = std::move(*process);
    launch.process_json = pj;
    if (const auto &profile = st->linux_config.value("seccomp", nlohmann::json());
        !profile.is_null()) {
        auto program = compile_seccomp_cached(profile, opts_.seccomp_cache);
        if (!program)
            return fail(std::move(program.error()).in("prepare exec"));
        launch.seccomp = std::move(*program);
    }
    int stdio[3] = {req.stdin_fd, req.stdout_fd, req.stderr_fd};
    auto null_fd = dev_null_if_needed(stdio);
    if (!null_fd)
        return fail(std::move(null_fd.error()).in("set up stdio"));
    for (int i = 0; i < 3; ++i)
        launch.stdio[i] = stdio[i] < 0 ? null_fd->get() : stdio[i];
    launch.preserve_fds = req.preserve_fds;
    launch.console_fd = console.get();

    auto sync = make_sync_pair();
    if (!sync)
        return fail(std::move(sync.error()));
    Deadline deadline = Clock::now() + setup_timeout;
    host().debug("container {}: joining namespaces {:#x} of init {}", ref.id, st->namespaces,
                 st->pid);
    auto helper = spawn_exec_helper(launch, pidfd->get(), st->namespaces, root_fd.get(), *sync);
    if (!helper)
        return fail(std::move(helper.error()));
    auto m = receive_message(sync->parent.get(), deadline, "the exec helper to join the container");
    if (!m)
        return fail(std::move(m.error()).in("exec"));
    if (m->kind == MsgKind::error)
        return fail(std::move(m->error));
    if (m->kind != MsgKind::pid)
        return fail(make_error(BERTH_E_FAILED, "exec helper exited without making the process",
                               fmt::format("pid {}", helper->pid())));
    ChildProcess proc(m->value);
    if (auto r = helper->wait(deadline); !r)
        return fail(std::move(r.error()).in("exec"));

    if (auto r = (*cg)->add_process(proc.pid()); !r)
        return fail(std::move(r.error()).in("move exec process into cgroup"));
    if (auto r = send_message(sync->parent.get(), Message{MsgKind::go, 0, {}}); !r)
        return fail(std::move(r.error()).in("release exec process"));
    // The channel is close-on-exec: it closes without a message once execve succeeded.
    auto done = receive_message(sync->parent.get(), deadline, "the exec'd process to start");
    if (!done)
        return fail(std::move(done.error()).in("exec"));
    if (done->kind == MsgKind::error)
        return fail(std::move(done->error));
    host().info("container {}: exec'd {} as pid {}", ref.id, launch.process.args.front(),
                proc.pid());
    return proc.release();
}

Result<> NativeDriver::pause(const ContainerRef &ref) {
    auto st = load_state(ref.state_dir);
    if (!st)
        return fail(std::move(st.error()));
    auto s = status_of(ref, *st);
    if (!s)
        return fail(std::move(s.error()));
    if (*s != BERTH_STATUS_RUNNING)
        return fail(wrong_state(ref, *s, "only a running container can be paused"));
    auto cg = Cgroup::open(st->cgroup);
    if (!cg)
        return fail(std::move(cg.error()).in("pause"));
    return (*cg)->freeze();
}

Result<> NativeDriver::resume(const ContainerRef &ref) {
    auto st = load_state(ref.state_dir);
    if (!st)
        return fail(std::move(st.error()));
    auto s = status_of(ref, *st);
    if (!s)
        return fail(std::move(s.error()));
    if (*s != BERTH_STATUS_PAUSED)
        return fail(wrong_state(ref, *s, "only a paused container can be resumed"));
    auto cg = Cgroup::open(st->cgroup);
    if (!cg)
        return fail(std::move(cg.error()).in("resume"));
    return (*cg)->thaw();
}

Result<std::vector<int>> NativeDriver::pids(const ContainerRef &ref) {
    auto st = load_state(ref.state_dir);
    if (!st)
        return fail(std::move(st.error()));
    auto cg = Cgroup::open(st->cgroup);
    if (!cg) {
        if (cg.error().code == BERTH_E_NOT_FOUND)
            return std::vector<int>();
        return fail(std::move(cg.error()));
    }
    return (*cg)->pids();
}

Result<std::string> NativeDriver::stats(const ContainerRef &ref) {
    auto st = load_state(ref.state_dir);
    if (!st)
        return fail(std::move(st.error()));
    auto cg = Cgroup::open(st->cgroup);
    if (!cg)
        return fail(std::move(cg.error()).in("stats"));
    auto data = (*cg)->stats();
    if (!data)
        return fail(std::move(data.error()));
    return data->dump();
}

namespace {

Result<driver::DriverBase *> make_native(const berth_host *host, const std::string &options) {
    auto opts = parse_options(options);
    if (!opts)
        return fail(std::move(opts.error()));
    return new NativeDriver(host, std::move(*opts));
}

} // namespace

} // namespace berth::native

BERTH_DEFINE_DRIVER("native", "0.1.0",
                    "containers on kernel namespaces, cgroups, capabilities and seccomp",
                    berth::native::make_native)
