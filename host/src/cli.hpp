// berth's command line: runc's global flags and commands, parsed into plain structs so that the
// commands never see CLI11 and the parser can be tested without running anything.
#pragma once

#include <berth/common/error.hpp>

#include <string>
#include <vector>

namespace berth::host {

struct GlobalOptions {
    std::string driver;     // -e; empty: the configured default
    std::string config;     // -c; empty: $BERTH_CONFIG, then the system file
    std::string log_level;  // empty: from the configuration
    std::string log_format; // empty: from the configuration
    std::string log_file;   // empty: from the configuration
    std::string root;       // empty: from the configuration
    bool debug = false;
    bool systemd_cgroup = false;
};

// The options of every command in one struct; each command reads the ones it defines.
struct CommandOptions {
    std::string id;
    std::string bundle; // empty: the current directory
    std::string pid_file;
    std::string console_socket;
    std::string signal = "SIGTERM";
    std::string format = "table";
    unsigned preserve_fds = 0;
    bool all = false;
    bool force = false;
    bool quiet = false;
    bool rootless = false;
    bool no_pivot = false;
    bool no_new_keyring = false;
    std::string network;              // run/create --network: host, none, container:ID, NAME
    std::vector<std::string> publish; // run/create -p: [HOSTIP:]HOSTPORT:CPORT[/PROTO]
    std::string default_network;      // run: berth.yaml's run.network, when nothing chooses

    // run -d, exec -d; exec's process (--process FILE, or the arguments after the id).
    bool detach = false;
    bool tty = false;
    std::string process_file;
    std::vector<std::string> args;
    std::vector<std::string> env; // exec --env KEY=VALUE, in order
    std::string cwd;
    std::string user; // UID[:GID]

    unsigned timeout = 10; // stop -t: seconds between SIGTERM and SIGKILL
    unsigned interval = 5; // events --interval: seconds between stats records
    bool stats = false;    // events --stats: one record, then exit
    bool follow = false;   // logs -f
};

struct Invocation {
    GlobalOptions global;
    std::string command; // empty when `output` is all there is to do (--help, --version)
    CommandOptions options;
    std::string output;
};

// The command names, as `berth --help` lists them.
const std::vector<std::string> &command_names();

// Parses the arguments after argv[0].
Result<Invocation> parse_command_line(const std::vector<std::string> &args);

// The whole program: parse, configure, run the command, report an error once. Returns the
// process exit status.
int cli_main(int argc, char **argv);

} // namespace berth::host
