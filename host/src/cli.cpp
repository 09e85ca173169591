#include "cli.hpp"

#include "cli_signal.hpp"
#include "commands/commands.hpp"
#include "commands/context.hpp"
#include "config.hpp"
#include "logging.hpp"
#include "state_store.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <sstream>
#include <utility>

namespace berth::host {

namespace {

using CommandFn = Result<int> (*)(Context &, const CommandOptions &);

const std::map<std::string, CommandFn> &command_table() {
    static const std::map<std::string, CommandFn> table = {
        {"create", cmd_create},     {"delete", cmd_delete},   {"drivers", cmd_drivers},
        {"features", cmd_features}, {"kill", cmd_kill},       {"list", cmd_list},
        {"pause", cmd_pause},       {"ps", cmd_ps},           {"resume", cmd_resume},
        {"run", cmd_run},           {"spec", cmd_spec},       {"start", cmd_start},
        {"state", cmd_state},       {"version", cmd_version}, {"exec", cmd_exec},
        {"events", cmd_events},     {"logs", cmd_logs},       {"wait", cmd_wait},
        {"stop", cmd_stop},         {"rm", cmd_rm},
    };
    return table;
}

Error usage_error(std::string msg) {
    return make_error(BERTH_E_INVALID_ARGUMENT, std::move(msg))
        .with_hint("run berth --help for the commands and options");
}

void add_id(CLI::App *sub, CommandOptions &o) {
    sub->add_option("container-id", o.id, "Container id")->required();
}

void add_create_options(CLI::App *sub, CommandOptions &o) {
    sub->add_option("-b,--bundle", o.bundle,
                    "Bundle directory holding config.json (default: the current directory)");
    sub->add_option("--pid-file", o.pid_file, "Write the container's init pid to this file");
    sub->add_option("--console-socket", o.console_socket,
                    "AF_UNIX socket that receives the pty master when process.terminal is true");
    sub->add_flag("--no-pivot", o.no_pivot, "Do not use pivot_root to enter the rootfs");
    sub->add_flag("--no-new-keyring", o.no_new_keyring, "Do not create a new session keyring");
    sub->add_option("--preserve-fds", o.preserve_fds,
                    "Pass this many extra fds (from 3 on) to the container");
    sub->add_option("--network", o.network,
                    "host, none (loopback only), container:ID, or a bridge network of "
                    "berth.yaml (default: as config.json says)");
    sub->add_option("-p,--publish", o.publish,
                    "Publish a port of a bridged container: [HOSTIP:]HOSTPORT:CPORT[/tcp|udp]");
    add_id(sub, o);
}

void add_format(CLI::App *sub, CommandOptions &o) {
    sub->add_option("-f,--format", o.format, "Output format")
        ->check(CLI::IsMember({"table", "json"}));
}

// CLI11's messages start upper-case; berth's lines read "berth: lower-case sentence".
std::string lower_first(std::string s) {
    if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z' && !(s.size() > 1 && s[1] >= 'A' && s[1] <= 'Z'))
        s[0] = static_cast<char>(s[0] - 'A' + 'a');
    return s;
}

} // namespace

const std::vector<std::string> &command_names() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> n;
        for (const auto &[name, fn] : command_table())
            n.push_back(name);
        return n;
    }();
    return names;
}

Result<Invocation> parse_command_line(const std::vector<std::string> &args) {
    Invocation inv;
    GlobalOptions &g = inv.global;
    CommandOptions &o = inv.options;

    CLI::App app("berth: an OCI container runtime with pluggable execution drivers", "berth");
    app.set_version_flag("-v,--version", fmt::format("berth version {}", BERTH_VERSION));
    app.add_option("-e,--driver", g.driver, "Execution driver to use (default: from berth.yaml)");
    app.add_option("-c,--config", g.config,
                   "Configuration file (default: $BERTH_CONFIG, then the system berth.yaml)");
    app.add_option("--log-level", g.log_level, "Least severity logged")
        ->check(CLI::IsMember(log_level_names()));
    app.add_option("--log-format", g.log_format, "Log as text or JSON lines")
        ->check(CLI::IsMember({"text", "json"}));
    app.add_option("--log", g.log_file, "Log to this file instead of stderr");
    app.add_flag("--debug", g.debug, "Same as --log-level debug");
    app.add_option("--root", g.root, "Directory of the container records (default /run/berth)");
    app.add_flag("--systemd-cgroup", g.systemd_cgroup, "Not supported by berth");
    app.require_subcommand(0, 1);

    add_format(app.add_subcommand("drivers", "List the execution drivers found, with their "
                                             "status"),
               o);

    auto *spec = app.add_subcommand("spec", "Write a default config.json into the bundle");
    spec->add_option("-b,--bundle", o.bundle, "Bundle directory (default: current directory)");
    spec->add_flag("--rootless", o.rootless, "A spec for a container started without root");

    auto *run = app.add_subcommand("run", "Create and start a container, wait for it, delete "
                                          "it, and exit with its status");
    run->add_flag("-d,--detach", o.detach,
                  "Leave the container running under a monitor that logs its output and keeps "
                  "its exit status (see logs, wait, stop, rm)");
    add_create_options(run, o);
    add_create_options(app.add_subcommand("create", "Create a container, held before its "
                                                    "program runs"),
                       o);
    add_id(app.add_subcommand("start", "Run the program of a created container"), o);
    add_id(app.add_subcommand("state", "Print the OCI state of a container"), o);

    auto *kill = app.add_subcommand("kill", "Send a signal to a container (default SIGTERM)");
    kill->add_flag("-a,--all", o.all, "Signal every process of the container");
    add_id(kill, o);
    kill->add_option("signal", o.signal, "Signal name (TERM, SIGKILL) or number");

    auto *del = app.add_subcommand("delete", "Remove a container and everything it holds");
    del->add_flag("-f,--force", o.force, "Kill a running container first");
    add_id(del, o);

    auto *list = app.add_subcommand("list", "List the containers under the state root");
    add_format(list, o);
    list->add_flag("-q,--quiet", o.quiet, "Print the ids only");

    auto *ps = app.add_subcommand("ps", "List the processes of a container");
    add_format(ps, o);
    add_id(ps, o);

    add_id(app.add_subcommand("pause", "Freeze every process of a container"), o);
    add_id(app.add_subcommand("resume", "Thaw a paused container"), o);
    app.add_subcommand("features", "Print the driver's OCI features document");

    auto *exec = app.add_subcommand("exec", "Run another process in a running container");
    exec->add_option("-p,--process", o.process_file,
                     "JSON file holding the OCI process object to run (instead of a command)");
    exec->add_flag("-t,--tty", o.tty, "Give the process a pty (needs --console-socket)");
    exec->add_flag("-d,--detach", o.detach, "Do not wait for the process");
    exec->add_option("-e,--env", o.env, "Set KEY=VALUE in the process's environment");
    exec->add_option("--cwd", o.cwd, "Working directory of the process");
    exec->add_option("-u,--user", o.user, "UID[:GID] to run the process as");
    exec->add_option("--pid-file", o.pid_file, "Write the process's pid to this file");
    exec->add_option("--console-socket", o.console_socket,
                     "AF_UNIX socket that receives the pty master with --tty");
    exec->add_option("--preserve-fds", o.preserve_fds,
                     "Pass this many extra fds (from 3 on) to the process");
    add_id(exec, o);
    // runc's way: everything after the container id is the command, options included.
    exec->prefix_command();

    auto *events = app.add_subcommand("events", "Print resource usage records of a container");
    events->add_flag("--stats", o.stats, "Print one record and exit");
    events->add_option("--interval", o.interval, "Seconds between records (default 5)");
    add_id(events, o);

    auto *logs = app.add_subcommand("logs", "Print the output of a container started with "
                                            "run -d");
    logs->add_flag("-f,--follow", o.follow, "Keep printing until the container stops");
    add_id(logs, o);
    add_id(app.add_subcommand("wait", "Wait for a container started with run -d to stop and "
                                      "print its exit status"),
           o);
    auto *stop = app.add_subcommand("stop", "Stop a container: SIGTERM, then SIGKILL after a "
                                            "grace period");
    stop->add_option("-t,--time", o.timeout, "Seconds to wait before SIGKILL (default 10)");
    add_id(stop, o);
    auto *rm = app.add_subcommand("rm", "Remove a stopped container with its log");
    rm->add_flag("-f,--force", o.force, "Kill a running container first");
    add_id(rm, o);
    app.add_subcommand("version", "Print berth's version, OCI spec and driver ABI versions");

    // Set after the subcommands exist so that they do not inherit it: only the top level
    // collects strays, which are then reported as an unknown command or option.
    app.allow_extras();

    std::vector<std::string> reversed(args.rbegin(), args.rend());
    try {
        app.parse(reversed);
    } catch (const CLI::CallForHelp &e) {
        std::ostringstream out, err;
        app.exit(e, out, err);
        inv.output = out.str();
        return inv;
    } catch (const CLI::CallForAllHelp &e) {
        std::ostringstream out, err;
        app.exit(e, out, err);
        inv.output = out.str();
        return inv;
    } catch (const CLI::CallForVersion &e) {
        inv.output = fmt::format("berth version {}\n", BERTH_VERSION);
        return inv;
    } catch (const CLI::ParseError &e) {
        return fail(usage_error(lower_first(e.what())));
    }

    std::vector<std::string> extras = app.remaining();
    auto subs = app.get_subcommands();
    if (!subs.empty() && subs.front() == exec) {
        o.args = exec->remaining();
        // After `--`, CLI11 leaves the command to the top level.
        if (o.args.empty())
            o.args = std::exchange(extras, {});
    }
    if (!extras.empty()) {
        const std::string &first = extras.front();
        if (!first.empty() && first[0] == '-')
            return fail(usage_error(fmt::format("unknown option {}", first)));
        if (subs.empty())
            return fail(usage_error(fmt::format("unknown command \"{}\" (commands: {})", first,
                                                fmt::join(command_names(), ", "))));
        return fail(usage_error(fmt::format("unexpected argument \"{}\"", first)));
    }
    if (subs.empty())
        return fail(usage_error(
            fmt::format("no command given (commands: {})", fmt::join(command_names(), ", "))));
    inv.command = subs.front()->get_name();
    if (!o.id.empty()) {
        if (auto ok = validate_container_id(o.id); !ok)
            return fail(std::move(ok.error()));
    }
    if (inv.command == "exec" && o.args.empty() == o.process_file.empty())
        return fail(usage_error(o.args.empty() ? "exec needs a command after the container id, "
                                                 "or --process FILE"
                                               : "exec takes either --process FILE or a command, "
                                                 "not both"));
    if (inv.command == "kill") {
        if (auto sig = parse_signal(o.signal); !sig)
            return fail(std::move(sig.error()));
    }
    return inv;
}

int cli_main(int argc, char **argv) {
    // Until the configuration is known, errors go to stderr as text.
    (void)setup_logging(LogSettings{});

    std::vector<std::string> args(argv + 1, argv + argc);
    auto inv = parse_command_line(args);
    if (!inv) {
        spdlog::error(inv.error().render());
        return 2;
    }
    if (inv->command.empty()) {
        std::fwrite(inv->output.data(), 1, inv->output.size(), stdout);
        return 0;
    }
    try {
        auto ctx = make_context(inv->global);
        if (!ctx) {
            spdlog::error(ctx.error().render());
            return 1;
        }
        if (auto ok = setup_logging(ctx->config.log); !ok) {
            spdlog::error(ok.error().render());
            return 1;
        }
        auto fn = command_table().at(inv->command);
        auto status = fn(*ctx, inv->options);
        std::fflush(stdout);
        if (!status) {
            spdlog::error(status.error().render());
            return 1;
        }
        return *status;
    } catch (const std::exception &e) {
        spdlog::error("internal error: {} (please report this as a bug)", e.what());
        return 1;
    }
}

} // namespace berth::host
