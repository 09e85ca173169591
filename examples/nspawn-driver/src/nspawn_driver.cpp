// The nspawn driver: runs each container under systemd-nspawn. An example of a driver built
// outside berth's tree against the installed SDK alone: berth/driver.h for the ABI and
// berth/driver_helpers.hpp for error reporting and the exception barrier.
//
// create   forks a process that joins the container's cgroups, waits at a FIFO (the start
//          barrier) and then execs systemd-nspawn; that process is the container's pid
// start    opens the FIFO, which lets the process through
// state    from that process (/proc) and the barrier
// kill     signals the container's program (its pid 2) or every process of its cgroups
// delete   kills what is left, removes the cgroups and the driver's files
#include "cgroup_placement.hpp"
#include "container_files.hpp"
#include "launch.hpp"
#include "nspawn_command.hpp"
#include "process_info.hpp"
#include "sys_failure.hpp"

#include <berth/driver.h>
#include <berth/driver_helpers.hpp>

#include <nlohmann/json.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace nspawn_driver {
namespace {

using berth::sdk::Failure;

constexpr const char *driver_name = "nspawn";
constexpr const char *nspawn_binary = "systemd-nspawn";

// How long start waits for the held process to pass the barrier, and delete for a killed
// container to end: a few scheduler ticks normally.
constexpr std::chrono::milliseconds start_timeout{10000};
constexpr std::chrono::milliseconds kill_timeout{10000};

struct Driver {
    berth_driver table{}; // first member: deinit finds the instance from the table
    berth::sdk::Host host;
    explicit Driver(const berth_host *h) : host(h) {}

    void log(berth_log_level level, const std::string &message) const { host.log(level, message); }
};

Driver &self_of(void *self) {
    return *static_cast<Driver *>(self);
}

Record record_of(const berth_container_ref &ref) {
    auto rec = read_record(ref.state_dir);
    if (!rec)
        throw Failure(BERTH_E_NOT_FOUND, std::string("driver nspawn has no container `") + ref.id +
                                             "` (no record in " + ref.state_dir + ")");
    return *rec;
}

// Every process in the container's cgroups (systemd-nspawn, its stub init, the program and
// whatever that started), plus the recorded process while it lives.
std::vector<int> container_processes(const berth_container_ref &ref,
                                     const std::optional<Record> &rec) {
    std::vector<int> pids;
    if (rec && alive(rec->pid, rec->start_time))
        pids.push_back(rec->pid);
    for (const auto &cg : container_cgroups(ref.id))
        for (int pid : cgroup_processes(cg))
            if (std::find(pids.begin(), pids.end(), pid) == pids.end())
                pids.push_back(pid);
    return pids;
}

// What kill signals. Before start: the held process. After: the container's program, which
// is pid 2 of the container's pid namespace (--as-pid2), or with `all` every process inside;
// systemd-nspawn itself only when nothing inside is left to signal.
std::vector<int> kill_targets(const berth_container_ref &ref, const Record &rec, bool all) {
    if (barrier_pending(ref.state_dir))
        return alive(rec.pid, rec.start_time) ? std::vector<int>{rec.pid} : std::vector<int>{};
    std::vector<int> inside;
    for (int pid : container_processes(ref, rec)) {
        if (pid == rec.pid)
            continue;
        const auto inner = innermost_pid(pid);
        if (all ? inner.depth >= 2 : (inner.depth >= 2 && inner.pid == 2))
            inside.push_back(pid);
    }
    if (inside.empty() && alive(rec.pid, rec.start_time))
        inside.push_back(rec.pid);
    return inside;
}

void kill_and_wait(const Driver &d, const berth_container_ref &ref,
                   const std::optional<Record> &rec) {
    const auto deadline = std::chrono::steady_clock::now() + kill_timeout;
    for (;;) {
        auto live = container_processes(ref, rec);
        if (live.empty())
            return;
        if (std::chrono::steady_clock::now() > deadline)
            throw Failure(BERTH_E_FAILED,
                          "delete container " + std::string(ref.id) + ": " +
                              std::to_string(live.size()) + " process(es) still alive " +
                              std::to_string(kill_timeout.count()) + " ms after SIGKILL, pid " +
                              std::to_string(live.front()));
        for (int pid : live) {
            d.log(BERTH_LOG_DEBUG, "container " + std::string(ref.id) + ": kill pid " +
                                       std::to_string(pid) + " with SIGKILL");
            if (::kill(pid, SIGKILL) != 0 && errno != ESRCH)
                throw sys_failure("kill (SIGKILL)", "pid " + std::to_string(pid));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

// ---- operations ----------------------------------------------------------------------------

berth_status probe(void *, berth_output *reason, berth_error *) {
    std::string why;
    if (find_executable(nspawn_binary).empty())
        why = "systemd-nspawn not found in PATH (Debian: apt-get install systemd-container)";
    else if (::geteuid() != 0)
        why = "needs root: systemd-nspawn runs containers as root only (berth runs as uid " +
              std::to_string(::geteuid()) + ")";
    else if (nspawn_hierarchies().empty())
        why = "neither a cgroup2 nor a v1 name=systemd cgroup hierarchy is mounted, and "
              "systemd-nspawn needs one";
    if (why.empty())
        return BERTH_OK;
    berth::sdk::write(reason, why);
    return BERTH_E_UNAVAILABLE;
}

berth_status features(void *self, berth_output *out, berth_error *err) {
    return berth::sdk::guard(self_of(self).host, err,
                             [&] { berth::sdk::write(out, features_document()); });
}

berth_status create(void *self, const berth_create_request *req, berth_create_result *result,
                    berth_error *err) {
    Driver &d = self_of(self);
    return berth::sdk::guard(d.host, err, [&] {
        const berth_container_ref &ref = req->container;
        const std::string binary = find_executable(nspawn_binary);
        LaunchPlan plan;
        plan.command = nspawn_command(std::string(req->config_json, req->config_json_len),
                                      ref.bundle, ref.id, binary);
        if (binary.empty())
            throw Failure(BERTH_E_UNAVAILABLE, "systemd-nspawn not found in PATH (Debian: "
                                               "apt-get install systemd-container)");
        if (req->preserve_fds > 0)
            throw Failure(BERTH_E_NOT_SUPPORTED, "preserve-fds: systemd-nspawn hands no "
                                                 "file descriptors but stdio to a container");
        plan.state_dir = ref.state_dir;
        plan.cgroups = container_cgroups(ref.id);
        if (plan.cgroups.empty())
            throw Failure(BERTH_E_UNAVAILABLE, "no cgroup2 or v1 name=systemd hierarchy is "
                                               "mounted for systemd-nspawn");
        plan.stdio[0] = req->stdin_fd;
        plan.stdio[1] = req->stdout_fd;
        plan.stdio[2] = req->stderr_fd;
        plan.detached = (req->flags & BERTH_CREATE_DETACHED) != 0;

        d.log(BERTH_LOG_DEBUG, "container " + std::string(ref.id) +
                                   ": create the start "
                                   "barrier and cgroups");
        make_barrier(ref.state_dir);
        try {
            create_container_cgroups(plan.cgroups);
        } catch (...) {
            remove_container_files(ref.state_dir);
            throw;
        }
        Record rec;
        try {
            rec = launch(plan);
            write_record(ref.state_dir, rec);
        } catch (...) {
            if (rec.pid > 0) {
                ::kill(rec.pid, SIGKILL);
                ::waitpid(rec.pid, nullptr, 0);
            }
            for (const auto &cg : plan.cgroups)
                ::rmdir(cg.c_str());
            remove_container_files(ref.state_dir);
            throw;
        }
        result->pid = rec.pid;
        d.log(BERTH_LOG_INFO, "container " + std::string(ref.id) + ": created, pid " +
                                  std::to_string(rec.pid) + " held before systemd-nspawn");
    });
}

berth_status start(void *self, const berth_container_ref *ref, berth_error *err) {
    Driver &d = self_of(self);
    return berth::sdk::guard(d.host, err, [&] {
        const Record rec = record_of(*ref);
        if (!barrier_pending(ref->state_dir))
            throw Failure(BERTH_E_STATE,
                          "container " + std::string(ref->id) + " was already started");
        d.log(BERTH_LOG_DEBUG, "container " + std::string(ref->id) + ": release pid " +
                                   std::to_string(rec.pid) + " at the start barrier");
        release_barrier(ref->state_dir, rec, start_timeout);
        d.log(BERTH_LOG_INFO, "container " + std::string(ref->id) + ": started");
    });
}

berth_status state(void *self, const berth_container_ref *ref, berth_state_result *out,
                   berth_error *err) {
    return berth::sdk::guard(self_of(self).host, err, [&] {
        const Record rec = record_of(*ref);
        if (!alive(rec.pid, rec.start_time)) {
            out->status = BERTH_STATUS_STOPPED;
            out->pid = 0;
        } else {
            out->status =
                barrier_pending(ref->state_dir) ? BERTH_STATUS_CREATED : BERTH_STATUS_RUNNING;
            out->pid = rec.pid;
        }
    });
}

berth_status kill(void *self, const berth_container_ref *ref, int32_t signal, uint32_t flags,
                  berth_error *err) {
    Driver &d = self_of(self);
    return berth::sdk::guard(d.host, err, [&] {
        const Record rec = record_of(*ref);
        const auto targets = kill_targets(*ref, rec, (flags & BERTH_KILL_ALL) != 0);
        if (targets.empty())
            throw Failure(BERTH_E_STATE, "container " + std::string(ref->id) + " is not running");
        for (int pid : targets) {
            d.log(BERTH_LOG_DEBUG, "container " + std::string(ref->id) + ": kill pid " +
                                       std::to_string(pid) + " with signal " +
                                       std::to_string(signal));
            if (::kill(pid, signal) != 0 && errno != ESRCH)
                throw sys_failure("kill (signal " + std::to_string(signal) + ")",
                                  "pid " + std::to_string(pid));
        }
    });
}

berth_status destroy(void *self, const berth_container_ref *ref, int32_t force, berth_error *err) {
    Driver &d = self_of(self);
    return berth::sdk::guard(d.host, err, [&] {
        // No record is a create that stopped halfway: what it made is removed all the same.
        const auto rec = read_record(ref->state_dir);
        if (!container_processes(*ref, rec).empty()) {
            // A created container never ran the user's program: deleting it needs no force.
            if (!force && !barrier_pending(ref->state_dir))
                throw Failure(BERTH_E_STATE,
                              "container " + std::string(ref->id) +
                                  " is running (hint: stop "
                                  "it with `berth kill` first, or use `berth delete --force`)");
            kill_and_wait(d, *ref, rec);
        }
        for (const auto &cg : container_cgroups(ref->id)) {
            d.log(BERTH_LOG_DEBUG, "container " + std::string(ref->id) + ": remove cgroup " + cg);
            remove_container_cgroup(cg);
        }
        remove_container_files(ref->state_dir);
    });
}

berth_status pids(void *self, const berth_container_ref *ref, berth_output *out, berth_error *err) {
    return berth::sdk::guard(self_of(self).host, err, [&] {
        const Record rec = record_of(*ref);
        berth::sdk::write(out, nlohmann::json(container_processes(*ref, rec)).dump());
    });
}

berth_status exec(void *self, const berth_exec_request *, berth_exec_result *, berth_error *err) {
    return self_of(self).host.not_supported(err, "exec", driver_name);
}
berth_status pause(void *self, const berth_container_ref *, berth_error *err) {
    return self_of(self).host.not_supported(err, "pause", driver_name);
}
berth_status resume(void *self, const berth_container_ref *, berth_error *err) {
    return self_of(self).host.not_supported(err, "resume", driver_name);
}
berth_status stats(void *self, const berth_container_ref *, berth_output *, berth_error *err) {
    return self_of(self).host.not_supported(err, "stats", driver_name);
}
const void *get_extension(void *, const char *) {
    return nullptr;
}

// ---- entry ---------------------------------------------------------------------------------

int32_t negotiate(uint32_t host_min, uint32_t host_max) {
    return berth::sdk::negotiate(host_min, host_max);
}

void check_options(const char *options_json) {
    auto opts = nlohmann::json::parse(options_json ? options_json : "{}", nullptr, false);
    if (opts.is_discarded() || !opts.is_object())
        throw Failure(BERTH_E_INVALID_ARGUMENT, "driver nspawn: its options must be a JSON "
                                                "object");
    for (const auto &[key, value] : opts.items()) {
        // berth itself acts on ignore_unsupported; the driver only checks its type.
        if (key == "ignore_unsupported" && value.is_boolean())
            continue;
        if (key == "ignore_unsupported")
            throw Failure(BERTH_E_INVALID_ARGUMENT, "driver nspawn: option ignore_unsupported "
                                                    "must be true or false");
        throw Failure(BERTH_E_INVALID_ARGUMENT,
                      "driver nspawn: unknown option \"" + key + "\" (known: ignore_unsupported)");
    }
}

berth_status init(const berth_host *host, const char *options_json, const berth_driver **out,
                  berth_error *err) {
    if (host == nullptr || out == nullptr || !BERTH_HAS_FIELD(host, berth_host, get_extension))
        return BERTH_E_INVALID_ARGUMENT;
    berth::sdk::Host h(host);
    return berth::sdk::guard(h, err, [&] {
        check_options(options_json);
        auto d = std::make_unique<Driver>(host);
        berth_driver &t = d->table;
        t.struct_size = sizeof t;
        t.self = d.get();
        t.probe = probe;
        t.features = features;
        t.create = create;
        t.start = start;
        t.state = state;
        t.kill = kill;
        t.destroy = destroy;
        t.exec = exec;
        t.pause = pause;
        t.resume = resume;
        t.pids = pids;
        t.stats = stats;
        t.get_extension = get_extension;
        *out = &d.release()->table;
    });
}

void deinit(const berth_driver *table) {
    delete reinterpret_cast<const Driver *>(table);
}

const berth_driver_entry entry = {
    sizeof(berth_driver_entry),
    BERTH_ABI_MAJOR,
    driver_name,
    NSPAWN_DRIVER_VERSION,
    "systemd-nspawn: mount, pid, uts and ipc namespaces from systemd's container tool "
    "(example driver built against the berth SDK)",
    negotiate,
    0,
    BERTH_ABI_MINOR,
    init,
    deinit,
};

} // namespace
} // namespace nspawn_driver

extern "C" BERTH_EXPORT const berth_driver_entry *berth_driver_entry_v1(void) {
    return &nspawn_driver::entry;
}
