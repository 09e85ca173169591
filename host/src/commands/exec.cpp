// berth exec: another process in a running container. Without --process the new process is
// the container's own process object from config.json with the command, environment, working
// directory, user and terminal of the command line, as runc builds it.
#include "commands/bundle.hpp"
#include "commands/commands.hpp"
#include "commands/container_session.hpp"
#include "commands/signal_forwarder.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

#include <charconv>
#include <fstream>
#include <sstream>

namespace berth::host {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

Result<uint32_t> parse_id_number(std::string_view s, std::string_view what) {
    uint32_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size())
        return fail(make_error(BERTH_E_INVALID_ARGUMENT,
                               fmt::format("exec --user: {} \"{}\" is not a number", what, s))
                        .with_hint("pass --user UID or UID:GID with numeric ids"));
    return v;
}

// --user UID[:GID]. A GID left out keeps the container's.
Result<> apply_user(json &process, const std::string &spec) {
    auto colon = spec.find(':');
    auto uid = parse_id_number(std::string_view(spec).substr(0, colon), "uid");
    if (!uid)
        return fail(std::move(uid.error()));
    json &user = process["user"];
    if (!user.is_object())
        user = json::object();
    user["uid"] = *uid;
    if (!user.contains("gid"))
        user["gid"] = 0;
    if (colon != std::string::npos) {
        auto gid = parse_id_number(std::string_view(spec).substr(colon + 1), "gid");
        if (!gid)
            return fail(std::move(gid.error()));
        user["gid"] = *gid;
    }
    return {};
}

// KEY=VALUE entries replace the process's KEY, or are added after the others.
Result<> apply_env(json &process, const std::vector<std::string> &env) {
    json &list = process["env"];
    if (!list.is_array())
        list = json::array();
    for (const auto &e : env) {
        auto eq = e.find('=');
        if (eq == std::string::npos || eq == 0)
            return fail(make_error(BERTH_E_INVALID_ARGUMENT,
                                   fmt::format("exec --env \"{}\" is not KEY=VALUE", e)));
        std::string key = e.substr(0, eq + 1);
        bool replaced = false;
        for (auto &item : list) {
            if (item.is_string() && item.get<std::string>().rfind(key, 0) == 0) {
                item = e;
                replaced = true;
            }
        }
        if (!replaced)
            list.push_back(e);
    }
    return {};
}

Result<json> read_process_file(const std::string &file) {
    std::ifstream in(file);
    if (!in)
        return fail(sys_error("open process file", file)
                        .with_hint("exec --process takes a JSON file holding an OCI process "
                                   "object"));
    std::stringstream ss;
    ss << in.rdbuf();
    json j = json::parse(ss.str(), nullptr, false);
    if (j.is_discarded() || !j.is_object())
        return fail(make_error(BERTH_E_INVALID_SPEC, "process file is not a JSON object", file));
    return j;
}

// The process object handed to the driver.
Result<json> exec_process(ContainerSession &s, const CommandOptions &o) {
    json process;
    if (!o.process_file.empty()) {
        auto j = read_process_file(o.process_file);
        if (!j)
            return fail(std::move(j.error()));
        process = std::move(*j);
    } else {
        auto spec = read_bundle_config(s.record().bundle);
        if (!spec)
            return fail(std::move(spec.error()).in("read the container's process"));
        process = spec->value("process", json::object());
        process["args"] = o.args;
        process["terminal"] = false;
        // A pty size belongs to the terminal of create, not to this process.
        process.erase("consoleSize");
    }
    if (o.tty)
        process["terminal"] = true;
    if (!o.cwd.empty())
        process["cwd"] = o.cwd;
    if (!o.user.empty())
        if (auto ok = apply_user(process, o.user); !ok)
            return fail(std::move(ok.error()));
    if (auto ok = apply_env(process, o.env); !ok)
        return fail(std::move(ok.error()));
    if (process.value("terminal", false) && o.console_socket.empty())
        return fail(make_error(BERTH_E_INVALID_ARGUMENT,
                               "exec: the process asks for a terminal but no --console-socket "
                               "was given")
                        .with_hint("pass --console-socket SOCKET to receive the pty, or drop "
                                   "-t / process.terminal"));
    return process;
}

// Waits for the exec'd process, berth's child, passing on the signals berth receives.
Result<int> wait_for_child(int pid, SignalForwarder &fwd) {
    for (;;) {
        int status = 0;
        pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
        if (r < 0 && errno != EINTR)
            return fail(sys_error("wait for exec'd process", fmt::format("pid {}", pid)));
        pollfd p{fwd.fd(), POLLIN, 0};
        ::poll(&p, 1, 1000);
        for (int sig : fwd.drain()) {
            // Unreaped, the pid cannot be reused: kill(2) is safe here.
            if (sig != SIGCHLD)
                ::kill(pid, sig);
        }
    }
}

} // namespace

Result<int> cmd_exec(Context &ctx, const CommandOptions &o) {
    std::unique_ptr<SignalForwarder> fwd;
    if (!o.detach) {
        auto f = SignalForwarder::install();
        if (!f)
            return fail(std::move(f.error()));
        fwd = std::move(*f);
    }
    auto s = open_container(ctx, o.id);
    if (!s)
        return fail(std::move(s.error()));
    auto process = exec_process(*s, o);
    if (!process)
        return fail(std::move(process.error()).in("exec in container " + o.id));

    const std::string process_json = process->dump();
    berth_exec_request req{};
    req.struct_size = sizeof req;
    req.container = s->ref();
    req.process_json = process_json.data();
    req.process_json_len = process_json.size();
    req.stdin_fd = own_fd(0);
    req.stdout_fd = own_fd(1);
    req.stderr_fd = own_fd(2);
    req.console_socket = o.console_socket.empty() ? nullptr : o.console_socket.c_str();
    req.preserve_fds = o.preserve_fds;
    spdlog::debug("exec in container {}: {}", o.id, process->value("args", json()).dump());
    auto r = s->driver().exec(req);
    if (!r)
        return fail(std::move(r.error()).in("exec in container " + o.id));
    if (!o.pid_file.empty()) {
        std::error_code ec;
        if (auto ok = write_pid_file(fs::absolute(o.pid_file, ec), r->pid); !ok) {
            ::kill(r->pid, SIGKILL);
            ::waitpid(r->pid, nullptr, 0);
            return fail(std::move(ok.error()).in("exec in container " + o.id));
        }
    }
    if (o.detach)
        return 0;
    // Other commands (kill, stop, delete) may reach the container while the process runs.
    s->handle().unlock();
    return wait_for_child(r->pid, *fwd);
}

} // namespace berth::host
