#include "cli.hpp"
#include "cli_signal.hpp"
#include "state_store.hpp"

#include <catch2/catch.hpp>

#include <signal.h>

using namespace berth::host;

namespace {

std::string error_of(const std::vector<std::string> &args) {
    auto inv = parse_command_line(args);
    REQUIRE_FALSE(inv);
    return inv.error().render();
}

} // namespace

TEST_CASE("runc's global flags and the run options are parsed", "[unit]") {
    auto inv = parse_command_line({"-e",
                                   "chroot",
                                   "-c",
                                   "/etc/b.yaml",
                                   "--log-level",
                                   "warn",
                                   "--log-format",
                                   "json",
                                   "--log",
                                   "/tmp/l",
                                   "--debug",
                                   "--root",
                                   "/tmp/r",
                                   "run",
                                   "-b",
                                   "/srv/bundle",
                                   "--pid-file",
                                   "/tmp/p",
                                   "--console-socket",
                                   "/tmp/s",
                                   "--no-pivot",
                                   "--no-new-keyring",
                                   "--preserve-fds",
                                   "2",
                                   "c1"});
    REQUIRE(inv);
    CHECK(inv->command == "run");
    CHECK(inv->global.driver == "chroot");
    CHECK(inv->global.config == "/etc/b.yaml");
    CHECK(inv->global.log_level == "warn");
    CHECK(inv->global.log_format == "json");
    CHECK(inv->global.log_file == "/tmp/l");
    CHECK(inv->global.debug);
    CHECK(inv->global.root == "/tmp/r");
    CHECK(inv->options.bundle == "/srv/bundle");
    CHECK(inv->options.pid_file == "/tmp/p");
    CHECK(inv->options.console_socket == "/tmp/s");
    CHECK(inv->options.no_pivot);
    CHECK(inv->options.no_new_keyring);
    CHECK(inv->options.preserve_fds == 2);
    CHECK(inv->options.id == "c1");
}

TEST_CASE("the bundle defaults to the current directory", "[unit]") {
    auto inv = parse_command_line({"create", "c1"});
    REQUIRE(inv);
    CHECK(inv->command == "create");
    CHECK(inv->options.bundle.empty());
}

TEST_CASE("kill takes an optional signal after the id and --all", "[unit]") {
    auto plain = parse_command_line({"kill", "c1"});
    REQUIRE(plain);
    CHECK(plain->options.signal == "SIGTERM");
    CHECK_FALSE(plain->options.all);
    auto named = parse_command_line({"kill", "--all", "c1", "KILL"});
    REQUIRE(named);
    CHECK(named->options.signal == "KILL");
    CHECK(named->options.all);
    CHECK(error_of({"kill", "c1", "BOGUS"}) ==
          "unknown signal \"BOGUS\" (use a name such as TERM, SIGKILL or RTMIN+2, or a number "
          "from 1 to " +
              std::to_string(SIGRTMAX) + ")");
}

TEST_CASE("signals are accepted by name, with or without SIG, in any case, and by number",
          "[unit]") {
    CHECK(parse_signal("TERM").value() == SIGTERM);
    CHECK(parse_signal("SIGTERM").value() == SIGTERM);
    CHECK(parse_signal("sigkill").value() == SIGKILL);
    CHECK(parse_signal("hup").value() == SIGHUP);
    CHECK(parse_signal("9").value() == 9);
    CHECK(parse_signal("WINCH").value() == SIGWINCH);
    CHECK(parse_signal("RTMIN").value() == SIGRTMIN);
    CHECK(parse_signal("SIGRTMIN+2").value() == SIGRTMIN + 2);
    CHECK(parse_signal("RTMAX-1").value() == SIGRTMAX - 1);
    CHECK_FALSE(parse_signal("0"));
    CHECK_FALSE(parse_signal(std::to_string(SIGRTMAX + 1)));
    CHECK_FALSE(parse_signal("-9"));
    CHECK_FALSE(parse_signal("RTMIN-1"));
    CHECK_FALSE(parse_signal(""));
    CHECK(signal_name(SIGTERM) == "SIGTERM");
    CHECK(signal_name(SIGRTMIN + 3) == "SIGRTMIN+3");
}

TEST_CASE("container ids follow [A-Za-z0-9][A-Za-z0-9_.-]* up to 1024 characters", "[unit]") {
    CHECK(validate_container_id("c1"));
    CHECK(validate_container_id("A.b_c-9"));
    CHECK(validate_container_id(std::string(1024, 'x')));
    CHECK(validate_container_id(".hidden").error().render() ==
          "invalid container id \".hidden\": it must start with a letter or digit and contain "
          "only letters, digits, '_', '.' and '-'");
    CHECK_FALSE(validate_container_id("a/b"));
    CHECK_FALSE(validate_container_id("-a"));
    CHECK_FALSE(validate_container_id("a b"));
    CHECK(validate_container_id("").error().render() == "container id is empty");
    CHECK(validate_container_id(std::string(1025, 'x')).error().render() ==
          "container id is 1025 characters long (at most 1024)");
    CHECK(error_of({"state", "../etc"}) ==
          "invalid container id \"../etc\": it must start with a letter or digit and contain "
          "only letters, digits, '_', '.' and '-'");
}

TEST_CASE("an unknown command is named with the list of commands", "[unit]") {
    const std::string commands =
        "(commands: create, delete, drivers, events, exec, features, kill, list, logs, pause, ps, "
        "resume, rm, run, spec, start, state, stop, version, wait) (hint: run berth --help for the "
        "commands and options)";
    CHECK(error_of({"frobnicate"}) == "unknown command \"frobnicate\" " + commands);
    CHECK(error_of({}) == "no command given " + commands);
}

TEST_CASE("an unknown flag, a bad value or a missing id is a usage error", "[unit]") {
    CHECK(error_of({"--bogus", "list"}) ==
          "unknown option --bogus (hint: run berth --help for the commands and options)");
    CHECK(error_of({"run", "--bogus", "c1"}) ==
          "the following argument was not expected: --bogus (hint: run berth --help for the "
          "commands and options)");
    CHECK(error_of({"--log-level", "loud", "list"}) ==
          "--log-level: loud not in {trace,debug,info,warn,error} (hint: run berth --help for "
          "the commands and options)");
    CHECK(error_of({"start"}) ==
          "container-id is required (hint: run berth --help for the commands and options)");
}

TEST_CASE("--help and --version produce output and no command", "[unit]") {
    auto help = parse_command_line({"--help"});
    REQUIRE(help);
    CHECK(help->command.empty());
    CHECK(help->output.find("--systemd-cgroup") != std::string::npos);
    auto run_help = parse_command_line({"run", "--help"});
    REQUIRE(run_help);
    CHECK(run_help->output.find("--preserve-fds") != std::string::npos);
    auto version = parse_command_line({"--version"});
    REQUIRE(version);
    CHECK(version->output == std::string("berth version ") + BERTH_VERSION + "\n");
}
