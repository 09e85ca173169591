// Commands on an existing container that neither make nor remove it.
#include "cli_signal.hpp"
#include "commands/commands.hpp"
#include "commands/container_session.hpp"
#include "spec_template.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <cstdio>

namespace berth::host {

namespace {

void print(const std::string &s) {
    std::fwrite(s.data(), 1, s.size(), stdout);
}

// The status the record implies without asking the driver: a live container whose init is
// gone (or whose pid now belongs to another process) has stopped.
std::string recorded_status(const ContainerRecord &r) {
    if (r.status == "created" || r.status == "running" || r.status == "paused") {
        if (r.pid <= 0 || !process_matches(r.pid, r.pid_start_time))
            return "stopped";
    }
    return r.status;
}

nlohmann::json oci_state(const ContainerRecord &r, const std::string &status, int pid) {
    return {{"ociVersion", oci_version},
            {"id", r.id},
            {"status", status},
            {"pid", pid},
            {"bundle", r.bundle.string()},
            {"created", r.created},
            {"owner", ""},
            {"annotations", r.annotations},
            {"driver", r.driver}};
}

// Runs one driver operation on a container and records the status it leads to.
template <class Op>
Result<int> simple_op(Context &ctx, const std::string &id, const char *what, const char *new_status,
                      Op op) {
    auto s = open_container(ctx, id);
    if (!s)
        return fail(std::move(s.error()));
    if (auto ok = op(*s); !ok)
        return fail(std::move(ok.error()).in(fmt::format("{} container {}", what, id)));
    if (new_status != nullptr) {
        s->record().status = new_status;
        if (auto ok = s->handle().save(); !ok)
            return fail(std::move(ok.error()));
    }
    return 0;
}

} // namespace

Result<int> cmd_state(Context &ctx, const CommandOptions &o) {
    auto s = open_container(ctx, o.id);
    if (!s)
        return fail(std::move(s.error()));
    std::string status;
    int pid = 0;
    auto st = s->driver().state(s->ref());
    if (st) {
        status = status_word(st->status);
        pid = st->pid;
    } else if (st.error().code == BERTH_E_NOT_FOUND) {
        status = "stopped";
    } else {
        return fail(std::move(st.error()).in("state of container " + o.id));
    }
    // A pid that now belongs to another process is not the container's any more.
    if (pid > 0 && pid == s->record().pid && !process_matches(pid, s->record().pid_start_time)) {
        status = "stopped";
        pid = 0;
    }
    if (status == "stopped")
        pid = 0; // as runc: a stopped container has no process to name
    if (status != s->record().status) {
        s->record().status = status;
        if (auto ok = s->handle().save(); !ok)
            return fail(std::move(ok.error()));
    }
    print(oci_state(s->record(), status, pid).dump(2) + "\n");
    return 0;
}

Result<int> cmd_kill(Context &ctx, const CommandOptions &o) {
    auto sig = parse_signal(o.signal);
    if (!sig)
        return fail(std::move(sig.error()));
    return simple_op(ctx, o.id, "signal", nullptr, [&](ContainerSession &s) {
        spdlog::debug("sending {} to container {}{}", signal_name(*sig), o.id,
                      o.all ? " (all processes)" : "");
        return s.driver().kill(s.ref(), *sig, o.all);
    });
}

Result<int> cmd_pause(Context &ctx, const CommandOptions &o) {
    return simple_op(ctx, o.id, "pause", "paused",
                     [](ContainerSession &s) { return s.driver().pause(s.ref()); });
}

Result<int> cmd_resume(Context &ctx, const CommandOptions &o) {
    return simple_op(ctx, o.id, "resume", "running",
                     [](ContainerSession &s) { return s.driver().resume(s.ref()); });
}

Result<int> cmd_ps(Context &ctx, const CommandOptions &o) {
    auto s = open_container(ctx, o.id);
    if (!s)
        return fail(std::move(s.error()));
    auto pids = s->driver().pids(s->ref());
    if (!pids)
        return fail(std::move(pids.error()).in("list processes of container " + o.id));
    if (o.format == "json") {
        print(nlohmann::json(*pids).dump() + "\n");
        return 0;
    }
    std::string out = "PID\n";
    for (int p : *pids)
        out += std::to_string(p) + "\n";
    print(out);
    return 0;
}

Result<int> cmd_list(Context &ctx, const CommandOptions &o) {
    auto records = ctx.store().list();
    if (!records)
        return fail(std::move(records.error()));
    if (o.quiet) {
        std::string out;
        for (const auto &r : *records)
            out += r.id + "\n";
        print(out);
        return 0;
    }
    if (o.format == "json") {
        nlohmann::json out = nlohmann::json::array();
        for (const auto &r : *records) {
            std::string status = recorded_status(r);
            out.push_back(oci_state(r, status, status == "stopped" ? 0 : r.pid));
        }
        print(out.dump(2) + "\n");
        return 0;
    }
    size_t wid = 2, wdrv = 6;
    for (const auto &r : *records) {
        wid = std::max(wid, r.id.size());
        wdrv = std::max(wdrv, r.driver.size());
    }
    std::string out = fmt::format("{:<{}}  {:<7}  {:<8}  {:<{}}  {:<30}  {}\n", "ID", wid, "PID",
                                  "STATUS", "DRIVER", wdrv, "CREATED", "BUNDLE");
    for (const auto &r : *records) {
        std::string status = recorded_status(r);
        out += fmt::format("{:<{}}  {:<7}  {:<8}  {:<{}}  {:<30}  {}\n", r.id, wid,
                           status == "stopped" ? 0 : r.pid, status, r.driver, wdrv, r.created,
                           r.bundle.string());
    }
    print(out);
    return 0;
}

} // namespace berth::host
