// Checks on operations: every failure carries a message, bad and over-reaching specs are
// refused, and nothing is written to the process's stdout or stderr.
#include "check.hpp"
#include "check_runner.hpp"
#include "driver_session.hpp"
#include "spec_probe.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <functional>

namespace berth::check {
namespace {

using namespace std::chrono_literals;

// A loaded, initialised and usable driver, or the verdict that stops the check.
struct Usable {
    std::optional<Library> lib;
    std::unique_ptr<Instance> inst;
    std::optional<Verdict> stop;
};

Usable open_usable(const Context &ctx) {
    Usable u;
    auto lib = Library::open(ctx.driver);
    if (!lib) {
        u.stop = Verdict::fail(lib.error().render());
        return u;
    }
    u.lib.emplace(std::move(*lib));
    auto inst = Instance::create(*u.lib);
    if (!inst) {
        u.stop = Verdict::fail(inst.error().render());
        return u;
    }
    u.inst = std::move(*inst);
    Call p = u.inst->probe();
    if (p.status == BERTH_E_UNAVAILABLE)
        u.stop = Verdict::skip(fmt::format("the driver is unusable on this host: {}", p.output));
    return u;
}

berth_create_request create_request(const UnknownContainer &c, const std::string &config) {
    berth_create_request req{};
    req.struct_size = sizeof req;
    req.container = c.ref;
    req.config_json = config.data();
    req.config_json_len = config.size();
    req.stdin_fd = req.stdout_fd = req.stderr_fd = -1;
    return req;
}

// Undoes a create the driver should have refused.
void undo_create(Instance &inst, const UnknownContainer &c, int pid) {
    berth_container_ref ref = c.ref;
    ref.pid = pid;
    inst.destroy(ref, true);
    if (pid > 0) {
        ::kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
    }
}

Verdict failure_messages(const Context &ctx) {
    auto lib = Library::open(ctx.driver);
    if (!lib)
        return Verdict::fail(lib.error().render());
    auto made = Instance::create(*lib);
    if (!made)
        return Verdict::fail(made.error().render());
    Instance &inst = **made;
    UnknownContainer c(ctx);

    berth_state_result st{sizeof st, 0, 0};
    Call state = inst.state(c.ref, st);
    if (auto why = state.contract_violation("state"); !why.empty())
        return Verdict::fail(why + " on an unknown container");
    if (state.status != BERTH_E_NOT_FOUND)
        return Verdict::fail(fmt::format("state of an unknown container returned code {} instead "
                                         "of BERTH_E_NOT_FOUND ({})",
                                         state.status, BERTH_E_NOT_FOUND));

    std::string process = R"({"args":["/bin/true"],"cwd":"/","user":{"uid":0,"gid":0}})";
    berth_exec_request ex{};
    ex.struct_size = sizeof ex;
    ex.container = c.ref;
    ex.process_json = process.data();
    ex.process_json_len = process.size();
    ex.stdin_fd = ex.stdout_fd = ex.stderr_fd = -1;
    berth_exec_result exr{sizeof exr, 0};

    // Operations that cannot succeed on a container that does not exist. Signal 0 only probes,
    // so a driver that wrongly signals pid 0 (its own group) harms nothing.
    std::pair<const char *, std::function<Call()>> must_fail[] = {
        {"start", [&] { return inst.start(c.ref); }},
        {"kill", [&] { return inst.kill(c.ref, 0, 0); }},
        {"exec", [&] { return inst.exec(ex, exr); }},
        {"pause", [&] { return inst.pause(c.ref); }},
        {"resume", [&] { return inst.resume(c.ref); }},
    };
    for (auto &[op, call] : must_fail) {
        Call r = call();
        if (r.status == BERTH_OK)
            return Verdict::fail(fmt::format("{} of an unknown container returned BERTH_OK", op));
        if (auto why = r.contract_violation(op); !why.empty())
            return Verdict::fail(why + " on an unknown container");
    }
    // These may answer an empty result or succeed (deleting what does not exist is done), but
    // a failure still needs its message.
    std::pair<const char *, std::function<Call()>> may_fail[] = {
        {"pids", [&] { return inst.pids(c.ref); }},
        {"stats", [&] { return inst.stats(c.ref); }},
        {"delete", [&] { return inst.destroy(c.ref, false); }},
    };
    for (auto &[op, call] : may_fail)
        if (auto why = call().contract_violation(op); !why.empty())
            return Verdict::fail(why + " on an unknown container");
    return Verdict::pass();
}

Verdict invalid_spec(const Context &ctx) {
    Usable u = open_usable(ctx);
    if (u.stop)
        return *u.stop;
    UnknownContainer c(ctx);
    std::string last;
    for (std::string config : {std::string("{ this is not JSON"), std::string("[1, 2, 3]")}) {
        berth_create_request req = create_request(c, config);
        berth_create_result res{sizeof res, 0};
        Call r = u.inst->create(req, res);
        if (r.status == BERTH_OK) {
            undo_create(*u.inst, c, res.pid);
            return Verdict::fail(fmt::format("create accepted the config.json {}", quote(config)));
        }
        if (auto why = r.contract_violation("create"); !why.empty())
            return Verdict::fail(fmt::format("{} for the config.json {}", why, quote(config)));
        if (r.status != BERTH_E_INVALID_SPEC && r.status != BERTH_E_NOT_SUPPORTED)
            return Verdict::fail(fmt::format("create refused the config.json {} with code {} "
                                             "instead of BERTH_E_INVALID_SPEC ({}): {}",
                                             quote(config), r.status, BERTH_E_INVALID_SPEC,
                                             r.message()));
        last = r.message();
    }
    return Verdict::pass("create refused a config.json that is not an object: " + last);
}

Verdict unsupported_field(const Context &ctx) {
    Usable u = open_usable(ctx);
    if (u.stop)
        return *u.stop;
    Call f = u.inst->features();
    nlohmann::json features = nlohmann::json::parse(f.output, nullptr, false);
    if (f.status != BERTH_OK || !features.is_object())
        return Verdict::fail("features gives no JSON object to compare a request with");
    auto field = undeclared_field(features, ctx.scratch / "bundle" / "rootfs");
    if (!field)
        return Verdict::skip("the features document declares every field the checker knows how "
                             "to request");
    std::string config = field->config.dump();
    std::ofstream(ctx.scratch / "bundle" / "config.json") << config;

    UnknownContainer c(ctx);
    berth_create_request req = create_request(c, config);
    berth_create_result res{sizeof res, 0};
    Call r = u.inst->create(req, res);
    if (r.status == BERTH_OK) {
        undo_create(*u.inst, c, res.pid);
        return Verdict::fail(fmt::format("create accepted a config.json with {}, which the "
                                         "features document does not declare (refuse it with "
                                         "BERTH_E_INVALID_SPEC or BERTH_E_NOT_SUPPORTED, naming "
                                         "the field)",
                                         field->path));
    }
    if (auto why = r.contract_violation("create"); !why.empty())
        return Verdict::fail(fmt::format("{} for a config.json with {}", why, field->path));
    if (r.status != BERTH_E_INVALID_SPEC && r.status != BERTH_E_NOT_SUPPORTED)
        return Verdict::fail(fmt::format("create answered a config.json with undeclared {} with "
                                         "code {} instead of BERTH_E_INVALID_SPEC or "
                                         "BERTH_E_NOT_SUPPORTED: {}",
                                         field->path, r.status, r.message()));
    return Verdict::pass(fmt::format("asked for undeclared {}; create answered code {}: {}",
                                     field->path, r.status, r.message()));
}

// fds 1 and 2 of this process replaced by pipes the check itself reads after each step, so a
// write is pinned on the call that made it. Restores nothing: the check process ends after.
class OutputTrap {
public:
    OutputTrap() {
        for (int i = 0; i < 2; ++i) {
            int p[2];
            if (pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0)
                throw std::runtime_error("pipe2 failed");
            std::fflush(nullptr);
            dup2(p[1], i + 1);
            close(p[1]);
            read_[i] = p[0];
        }
    }
    // "stdout: ..." for whatever step `step` wrote, or empty.
    std::string after(const std::string &step) {
        std::fflush(nullptr);
        for (int i = 0; i < 2; ++i) {
            std::string got;
            char buf[1024];
            ssize_t n;
            while ((n = ::read(read_[i], buf, sizeof buf)) > 0)
                got.append(buf, static_cast<size_t>(n));
            if (!got.empty())
                return fmt::format("{} wrote {} bytes to {}: {}", step, got.size(),
                                   i == 0 ? "stdout" : "stderr", quote(got));
        }
        return {};
    }

private:
    int read_[2] = {-1, -1};
};

Verdict quiet(const Context &ctx) {
    OutputTrap trap;
    std::optional<Library> lib;
    if (auto l = Library::open(ctx.driver)) {
        lib.emplace(std::move(*l));
    } else {
        if (auto w = trap.after("loading"); !w.empty())
            return Verdict::fail(w);
        return Verdict::fail(l.error().render());
    }
    if (auto w = trap.after("loading"); !w.empty())
        return Verdict::fail(w);
    auto made = Instance::create(*lib);
    if (auto w = trap.after("init"); !w.empty())
        return Verdict::fail(w);
    if (!made)
        return Verdict::fail(made.error().render());
    Instance &inst = **made;
    UnknownContainer c(ctx);
    berth_state_result st{sizeof st, 0, 0};
    std::string bad = "{ this is not JSON";
    berth_create_request req = create_request(c, bad);
    berth_create_result res{sizeof res, 0};
    std::pair<const char *, std::function<Call()>> steps[] = {
        {"probe", [&] { return inst.probe(); }},
        {"features", [&] { return inst.features(); }},
        {"create", [&] { return inst.create(req, res); }},
        {"state", [&] { return inst.state(c.ref, st); }},
        {"kill", [&] { return inst.kill(c.ref, 0, 0); }},
        {"pids", [&] { return inst.pids(c.ref); }},
        {"stats", [&] { return inst.stats(c.ref); }},
        {"pause", [&] { return inst.pause(c.ref); }},
        {"resume", [&] { return inst.resume(c.ref); }},
        {"delete", [&] { return inst.destroy(c.ref, false); }},
    };
    for (auto &[name, call] : steps) {
        Call r = call();
        if (std::string(name) == "create" && r.status == BERTH_OK)
            undo_create(inst, c, res.pid);
        if (auto w = trap.after(name); !w.empty())
            return Verdict::fail(w);
    }
    for (const auto &rec : inst.host().logs)
        if (rec.message.empty() || rec.message.find('\n') != std::string::npos)
            return Verdict::fail(fmt::format("logged a record that is not one non-empty line: {}",
                                             quote(rec.message)));
    if (!inst.host().misuse.empty())
        return Verdict::fail(inst.host().misuse[0]);
    made->reset();
    if (auto w = trap.after("deinit"); !w.empty())
        return Verdict::fail(w);
    lib.reset();
    if (auto w = trap.after("unloading"); !w.empty())
        return Verdict::fail(w);
    return Verdict::pass();
}

} // namespace

std::vector<Check> operation_checks() {
    return {
        {"failure-messages", Needs::init, 20s, failure_messages},
        {"invalid-spec", Needs::init, 20s, invalid_spec},
        {"unsupported-field", Needs::init, 30s, unsupported_field},
        {"quiet", Needs::init, 20s, quiet},
    };
}

} // namespace berth::check
