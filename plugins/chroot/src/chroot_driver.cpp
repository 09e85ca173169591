// The chroot driver: runs a container's process chrooted into its root filesystem with the
// spec's credentials, rlimits and environment, and nothing else. It isolates nothing: the
// process shares the host's namespaces, cgroups, devices and, as root, its capabilities.

#include "container_launch.hpp"
#include "container_record.hpp"
#include "proc_status.hpp"
#include "spec_support.hpp"
#include "start_barrier.hpp"

#include <berth/common/driver_adapter.hpp>
#include <berth/common/oci_spec.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <linux/capability.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <thread>

namespace berth::chroot {
namespace {

constexpr const char *driver_name = "chroot";

// How long start waits for a created process to pass the barrier, and delete --force for a
// killed container to end: both are a few scheduler ticks normally.
constexpr std::chrono::milliseconds start_timeout{10000};
constexpr std::chrono::milliseconds kill_timeout{10000};

Error no_record(const driver::ContainerRef &ref) {
    return make_error(BERTH_E_NOT_FOUND,
                      fmt::format("driver chroot has no process recorded for container {} "
                                  "(its create did not finish)",
                                  ref.id))
        .with_hint("delete the container");
}

class ChrootDriver final : public driver::DriverBase {
public:
    explicit ChrootDriver(const berth_host *host) : DriverBase(host, driver_name) {}

    Result<std::string> probe() override {
        // chroot(2) needs CAP_SYS_CHROOT; switching to the spec's user needs CAP_SETUID and
        // CAP_SETGID. Root has all three unless berth runs with a reduced capability set.
        const std::pair<int, const char *> needed[] = {{CAP_SYS_CHROOT, "CAP_SYS_CHROOT"},
                                                      {CAP_SETUID, "CAP_SETUID"},
                                                      {CAP_SETGID, "CAP_SETGID"}};
        for (const auto &[cap, cap_name] : needed)
            if (!has_effective_capability(cap))
                return fmt::format("needs root: berth runs as uid {} without {}", ::geteuid(),
                                   cap_name);
        return std::string();
    }

    Result<std::string> features() override { return features_document(); }

    Result<int> create(const driver::CreateRequest &req) override {
        auto spec = oci::Spec::parse(req.config_json);
        if (!spec)
            return fail(std::move(spec.error()));

        if (auto r = refuse_unsupported(*spec); !r)
            return fail(std::move(r.error()));

        auto process = spec->process();
        if (!process)
            return fail(std::move(process.error()));

        auto root = spec->root();
        if (!root)
            return fail(std::move(root.error()));

        auto rootfs = root->resolve(req.container.bundle);
        if (auto r = check_rootfs(rootfs); !r)
            return fail(std::move(r.error()));

        if (auto r = check_rlimits(*process); !r)
            return fail(std::move(r.error()));

        LaunchRequest launch;
        launch.id = req.container.id;
        launch.rootfs = rootfs;
        launch.state_dir = req.container.state_dir;
        launch.process = std::move(*process);
        launch.stdin_fd = req.stdin_fd;
        launch.stdout_fd = req.stdout_fd;
        launch.stderr_fd = req.stderr_fd;
        launch.preserve_fds = req.preserve_fds;
        launch.detached = (req.flags & BERTH_CREATE_DETACHED) != 0;
        auto pid = launch_container(launch, host());
        if (!pid)
            return fail(std::move(pid.error()));

        host().info("container {}: created, pid {} held before exec (no isolation)",
                    req.container.id, *pid);
        return *pid;
    }

    Result<> start(const driver::ContainerRef &ref) override {
        auto rec = read_record(ref.state_dir);
        if (!rec)
            return fail(std::move(rec.error()));
        if (!*rec)
            return fail(no_record(ref));

        if (!start_barrier_pending(ref.state_dir))
            return fail(make_error(BERTH_E_STATE,
                                   fmt::format("container {} was already started", ref.id)));

        host().debug("container {}: release pid {} at the start barrier", ref.id, (*rec)->pid);
        auto r = release_start_barrier(ref.state_dir, (*rec)->pid, (*rec)->start_time,
                                       process_alive, start_timeout);
        if (!r)
            return fail(std::move(r.error()).in(fmt::format("start container {}", ref.id)));

        host().info("container {}: started", ref.id);
        return {};
    }

    Result<driver::StateInfo> state(const driver::ContainerRef &ref) override {
        auto rec = read_record(ref.state_dir);
        if (!rec)
            return fail(std::move(rec.error()));
        if (!*rec)
            return fail(no_record(ref));

        auto st = read_proc_stat((*rec)->pid);
        if (!st || st->start_time != (*rec)->start_time)
            return driver::StateInfo{BERTH_STATUS_STOPPED, 0};
        if (st->ended())
            return driver::StateInfo{BERTH_STATUS_STOPPED, (*rec)->pid};
        if (start_barrier_pending(ref.state_dir))
            return driver::StateInfo{BERTH_STATUS_CREATED, (*rec)->pid};
        return driver::StateInfo{BERTH_STATUS_RUNNING, (*rec)->pid};
    }

    Result<> kill(const driver::ContainerRef &ref, int sig, bool all) override {
        auto rec = read_record(ref.state_dir);
        if (!rec)
            return fail(std::move(rec.error()));
        if (!*rec)
            return fail(no_record(ref));

        auto targets = processes_of(**rec, all);
        if (targets.empty())
            return fail(make_error(BERTH_E_STATE,
                                   fmt::format("container {} is not running", ref.id)));

        for (int pid : targets) {
            host().debug("container {}: kill pid {} with signal {}", ref.id, pid, sig);
            if (::kill(pid, sig) != 0 && errno != ESRCH)
                return fail(sys_error(fmt::format("kill (signal {})", sig),
                                      "pid " + std::to_string(pid)));
        }
        return {};
    }

    Result<> destroy(const driver::ContainerRef &ref, bool force) override {
        auto rec = read_record(ref.state_dir);
        if (!rec)
            return fail(std::move(rec.error()));

        if (*rec && !processes_of(**rec, true).empty()) {
            // A created container never ran the user's program, so deleting it without force
            // is fine, as with other runtimes.
            if (!force && !start_barrier_pending(ref.state_dir))
                return fail(make_error(BERTH_E_STATE,
                                       fmt::format("container {} is running", ref.id))
                                .with_hint("stop it with `berth kill` first, or use `berth "
                                           "delete --force`"));
            if (auto r = kill_and_wait(ref, **rec); !r)
                return fail(std::move(r.error()).in(fmt::format("delete container {}", ref.id)));
        }

        host().debug("container {}: remove the driver's files in {}", ref.id, ref.state_dir);
        if (auto r = remove_start_barrier(ref.state_dir); !r)
            return fail(std::move(r.error()));
        if (auto r = remove_record(ref.state_dir); !r)
            return fail(std::move(r.error()));
        return {};
    }

    Result<std::vector<int>> pids(const driver::ContainerRef &ref) override {
        auto rec = read_record(ref.state_dir);
        if (!rec)
            return fail(std::move(rec.error()));
        if (!*rec)
            return fail(no_record(ref));
        return processes_of(**rec, true);
    }

private:
    static Result<> check_rootfs(const std::filesystem::path &rootfs) {
        struct stat st;
        if (::stat(rootfs.c_str(), &st) != 0)
            return fail(sys_error("config.json: root.path", rootfs.string())
                            .with_hint("root.path is relative to the bundle unless absolute"));
        if (!S_ISDIR(st.st_mode))
            return fail(make_error(BERTH_E_INVALID_SPEC,
                                   "config.json: root.path is not a directory", rootfs.string()));
        return {};
    }

    // Live processes of the container: its init alone, or with `all` every process of the
    // session init made, which outlives init for as long as any member does.
    static std::vector<int> processes_of(const ContainerRecord &rec, bool all) {
        auto init = read_proc_stat(rec.pid);
        const bool init_is_ours = init && init->start_time == rec.start_time;
        if (!all)
            return init_is_ours && !init->ended() ? std::vector<int>{rec.pid}
                                                   : std::vector<int>{};
        // The kernel keeps a session id allocated while any member lives, so when init is gone
        // its pid cannot name another process's session yet.
        if (init && !init_is_ours)
            return {};
        std::vector<int> live;
        for (int pid : session_members(rec.pid)) {
            auto st = read_proc_stat(pid);
            if (st && !st->ended())
                live.push_back(pid);
        }
        return live;
    }

    Result<> kill_and_wait(const driver::ContainerRef &ref, const ContainerRecord &rec) {
        const auto deadline = std::chrono::steady_clock::now() + kill_timeout;
        for (;;) {
            auto live = processes_of(rec, true);
            if (live.empty())
                return {};
            if (std::chrono::steady_clock::now() > deadline)
                return fail(make_error(BERTH_E_FAILED,
                                       fmt::format("{} process(es) still alive {} ms after "
                                                   "SIGKILL",
                                                   live.size(), kill_timeout.count()),
                                       "pid " + std::to_string(live.front())));
            for (int pid : live) {
                host().debug("container {}: kill pid {} with SIGKILL", ref.id, pid);
                if (::kill(pid, SIGKILL) != 0 && errno != ESRCH)
                    return fail(sys_error("kill (SIGKILL)", "pid " + std::to_string(pid)));
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }
};

Result<driver::DriverBase *> make_driver(const berth_host *host, const std::string &options) {
    auto opts = nlohmann::json::parse(options, nullptr, false);
    if (opts.is_discarded() || !opts.is_object())
        return fail(make_error(BERTH_E_INVALID_ARGUMENT,
                               "driver chroot: its options must be a JSON object"));
    for (const auto &[key, value] : opts.items()) {
        // The host itself acts on ignore_unsupported (it strips the fields and warns); the
        // driver only checks that the key is well-formed.
        if (key == "ignore_unsupported") {
            if (!value.is_boolean())
                return fail(make_error(BERTH_E_INVALID_ARGUMENT,
                                       "driver chroot: option ignore_unsupported must be true "
                                       "or false"));
            continue;
        }
        return fail(make_error(BERTH_E_INVALID_ARGUMENT,
                               fmt::format("driver chroot: unknown option \"{}\" (known: "
                                           "ignore_unsupported)",
                                           key)));
    }
    return new ChrootDriver(host);
}

} // namespace
} // namespace berth::chroot

BERTH_DEFINE_DRIVER("chroot", "0.1.0",
                    "chroot + credentials, rlimits and environment; provides NO isolation "
                    "(no namespaces, cgroups, seccomp or LSM)",
                    berth::chroot::make_driver)
