// create, run, start and delete: the commands that make and remove containers.
#include "commands/bundle.hpp"
#include "commands/commands.hpp"
#include "commands/container_session.hpp"
#include "commands/network_options.hpp"
#include "commands/signal_forwarder.hpp"
#include "feature_check.hpp"

#include <berth/common/scope_guard.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

namespace berth::host {

namespace fs = std::filesystem;

int own_fd(int n) {
    return ::fcntl(n, F_GETFD) == -1 ? -1 : n;
}

Result<> write_pid_file(const fs::path &file, int pid) {
    fs::path tmp = file;
    tmp += ".tmp";
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd)
        return fail(sys_error("create pid file", tmp.string()));
    std::string text = std::to_string(pid);
    if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
        Error e = sys_error("write pid file", tmp.string());
        ::unlink(tmp.c_str());
        return fail(std::move(e));
    }
    fd.reset();
    // Engines poll for the pid file; a rename makes it appear complete.
    if (::rename(tmp.c_str(), file.c_str()) != 0) {
        Error e = sys_error("rename pid file", file.string());
        ::unlink(tmp.c_str());
        return fail(std::move(e));
    }
    return {};
}

namespace {

// Applies the feature gate: fields the driver does not declare are refused, or removed with
// one warning when the configuration allows it.
Result<> gate_features(Context &ctx, LoadedDriver &driver, nlohmann::json &spec,
                       const fs::path &config_file) {
    auto text = driver.features();
    if (!text)
        return fail(std::move(text.error()).in("features of driver " + driver.name()));
    nlohmann::json features = nlohmann::json::parse(*text, nullptr, false);
    if (features.is_discarded())
        return fail(make_error(BERTH_E_FAILED,
                               fmt::format("driver {} returned a features document that is not "
                                           "valid JSON",
                                           driver.name())));
    std::vector<std::string> fields = unsupported_fields(spec, features);
    if (fields.empty())
        return {};
    if (ctx.config.driver(driver.name()).ignore_unsupported) {
        spdlog::warn("driver {} does not support {}; running without them because "
                     "drivers.{}.ignore_unsupported is true",
                     driver.name(), fmt::join(fields, ", "), driver.name());
        strip_fields(spec, fields);
        return {};
    }
    return fail(
        make_error(BERTH_E_NOT_SUPPORTED,
                   fmt::format("driver {} does not support {} (asked for by {})", driver.name(),
                               fmt::join(fields, ", "), config_file.string()))
            .with_hint(fmt::format("remove them from config.json, pick another driver "
                                   "with -e, or set drivers.{}.ignore_unsupported: true "
                                   "in berth.yaml to run without them",
                                   driver.name())));
}

// Removes a container the driver knows nothing of any more, or undoes a create.
void discard(ContainerSession &s, bool destroy) {
    if (destroy) {
        if (auto ok = s.driver().destroy(s.ref(), true); !ok)
            spdlog::warn("container {}: {}", s.record().id, ok.error().render());
    }
    if (auto ok = s.handle().remove(); !ok)
        spdlog::warn("container {}: {}", s.record().id, ok.error().render());
}

} // namespace

Result<ContainerSession> create_container(Context &ctx, const CommandOptions &o, uint32_t flags,
                                          std::array<int, 3> stdio) {
    std::error_code ec;
    fs::path bundle = o.bundle.empty() ? fs::current_path(ec) : fs::absolute(o.bundle, ec);
    bundle = bundle.lexically_normal();
    if (!fs::is_directory(bundle, ec))
        return fail(
            make_error(BERTH_E_NOT_FOUND, "bundle directory does not exist", bundle.string())
                .with_hint("pass the bundle with -b, or run berth in it"));

    auto spec = read_bundle_config(bundle);
    if (!spec)
        return fail(std::move(spec.error()));
    if (auto r = apply_network_options(ctx, o, *spec); !r)
        return fail(std::move(r.error()));

    auto driver = ctx.registry().load(ctx.driver_name());
    if (!driver)
        return fail(std::move(driver.error()));

    if (auto ok = gate_features(ctx, **driver, *spec, bundle / "config.json"); !ok)
        return fail(std::move(ok.error()));

    ContainerRecord rec;
    rec.id = o.id;
    rec.driver = (*driver)->name();
    rec.bundle = bundle;
    if (spec->contains("annotations") && (*spec)["annotations"].is_object())
        for (const auto &[k, v] : (*spec)["annotations"].items())
            if (v.is_string())
                rec.annotations[k] = v.get<std::string>();
    auto handle = ctx.store().create(std::move(rec));
    if (!handle)
        return fail(std::move(handle.error()));
    ContainerSession s(std::move(*handle), std::move(*driver));
    ScopeGuard drop_record([&] { discard(s, false); });

    const std::string config_json = spec->dump();
    berth_create_request req{};
    req.struct_size = sizeof req;
    req.container = s.ref();
    req.config_json = config_json.data();
    req.config_json_len = config_json.size();
    req.stdin_fd = stdio[0];
    req.stdout_fd = stdio[1];
    req.stderr_fd = stdio[2];
    req.console_socket = o.console_socket.empty() ? nullptr : o.console_socket.c_str();
    req.preserve_fds = o.preserve_fds;
    req.flags = flags;
    if (o.no_pivot)
        req.flags |= BERTH_CREATE_NO_PIVOT;
    if (o.no_new_keyring)
        req.flags |= BERTH_CREATE_NO_NEW_KEYRING;
    spdlog::debug("creating container {} with driver {} from {}", o.id, s.driver().name(),
                  bundle.string());
    auto created = s.driver().create(req);
    if (!created)
        return fail(std::move(created.error()).in("create container " + o.id));
    drop_record.cancel();
    ScopeGuard destroy([&] { discard(s, true); });

    s.record().pid = created->pid;
    s.record().pid_start_time = process_start_time(created->pid).value_or(0);
    s.record().status = "created";
    s.refresh();
    if (auto ok = s.handle().save(); !ok)
        return fail(std::move(ok.error()).in("create container " + o.id));
    if (!o.pid_file.empty()) {
        if (auto ok = write_pid_file(fs::absolute(o.pid_file, ec), created->pid); !ok)
            return fail(std::move(ok.error()).in("create container " + o.id));
    }
    destroy.cancel();
    spdlog::debug("container {} created (driver {}, pid {})", o.id, s.driver().name(),
                  created->pid);
    return s;
}

namespace {

// Waits for the container's init, passing on the signals berth receives.
Result<int> wait_for_exit(ContainerSession &s, SignalForwarder &fwd) {
    const int pid = s.record().pid;
    for (;;) {
        int status = 0;
        pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid) {
            if (WIFSIGNALED(status))
                return 128 + WTERMSIG(status);
            return WEXITSTATUS(status);
        }
        if (r < 0 && errno != EINTR)
            return fail(sys_error("wait for the init process of container " + s.record().id,
                                  "pid " + std::to_string(pid))
                            .with_hint(fmt::format("driver {} must create the init process as "
                                                   "a child of berth",
                                                   s.driver().name())));
        // SIGCHLD wakes the poll; the timeout only bounds a wake-up lost to a signal that
        // arrived between waitpid and poll.
        pollfd p{fwd.fd(), POLLIN, 0};
        ::poll(&p, 1, 1000);
        for (int sig : fwd.drain()) {
            if (sig == SIGCHLD)
                continue;
            spdlog::debug("forwarding signal {} to container {}", sig, s.record().id);
            if (auto ok = s.driver().kill(s.ref(), sig, false); !ok)
                spdlog::debug("forward signal {} to container {}: {}", sig, s.record().id,
                              ok.error().render());
        }
    }
}

} // namespace

Result<int> cmd_create(Context &ctx, const CommandOptions &o) {
    auto s = create_container(ctx, o, BERTH_CREATE_DETACHED, {own_fd(0), own_fd(1), own_fd(2)});
    if (!s)
        return fail(std::move(s.error()));
    return 0;
}

Result<int> cmd_run(Context &ctx, const CommandOptions &given) {
    CommandOptions o = given;
    o.default_network = ctx.config.run.network;
    if (o.detach)
        return cmd_run_detached(ctx, o);
    auto fwd = SignalForwarder::install();
    if (!fwd)
        return fail(std::move(fwd.error()));
    auto s = create_container(ctx, o, 0, {own_fd(0), own_fd(1), own_fd(2)});
    if (!s)
        return fail(std::move(s.error()));
    ScopeGuard cleanup([&] { discard(*s, true); });

    if (auto ok = s->driver().start(s->ref()); !ok)
        return fail(std::move(ok.error()).in("start container " + o.id));
    s->record().status = "running";
    if (auto ok = s->handle().save(); !ok)
        return fail(std::move(ok.error()));

    // Other commands (kill, state, ps) may reach the container while it runs.
    s->handle().unlock();
    auto status = wait_for_exit(*s, **fwd);
    if (auto ok = s->handle().relock(); !ok) {
        // Deleted meanwhile by `berth delete`: nothing left for run to remove.
        cleanup.cancel();
        spdlog::debug("{}", ok.error().render());
        return status;
    }
    cleanup.cancel();
    if (!status) {
        discard(*s, true);
        return status;
    }
    s->record().status = "stopped";
    if (auto ok = s->driver().destroy(s->ref(), true); !ok)
        return fail(std::move(ok.error())
                        .in("delete container " + o.id)
                        .with_hint("the record is kept; retry with berth delete --force " + o.id));
    if (auto ok = s->handle().remove(); !ok)
        return fail(std::move(ok.error()));
    return status;
}

Result<int> cmd_start(Context &ctx, const CommandOptions &o) {
    auto s = open_container(ctx, o.id);
    if (!s)
        return fail(std::move(s.error()));
    if (s->record().status != "created")
        return fail(make_error(BERTH_E_STATE, fmt::format("container {} is {}, not created", o.id,
                                                          s->record().status))
                        .with_hint("only a created container can be started"));
    if (auto ok = s->driver().start(s->ref()); !ok)
        return fail(std::move(ok.error()).in("start container " + o.id));
    s->record().status = "running";
    if (auto ok = s->handle().save(); !ok)
        return fail(std::move(ok.error()));
    return 0;
}

Result<int> cmd_delete(Context &ctx, const CommandOptions &o) {
    auto s = open_container(ctx, o.id);
    if (!s) {
        // As runc: --force makes deleting a container that does not exist a success.
        if (o.force && s.error().code == BERTH_E_NOT_FOUND && s.error().context.empty())
            return 0;
        return fail(std::move(s.error()));
    }
    if (auto ok = s->driver().destroy(s->ref(), o.force); !ok) {
        // The driver knows nothing of it (its process and resources are gone): only the
        // record is left to remove.
        if (ok.error().code != BERTH_E_NOT_FOUND)
            return fail(std::move(ok.error()).in("delete container " + o.id));
        spdlog::debug("container {}: {}; removing its record", o.id, ok.error().render());
    }
    if (auto ok = s->handle().remove(); !ok)
        return fail(std::move(ok.error()));
    spdlog::debug("container {} deleted", o.id);
    return 0;
}

} // namespace berth::host
