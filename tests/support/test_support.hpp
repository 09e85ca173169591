// What every berth test needs: running the berth binary, a private state root and cgroup
// parent per test, bundles on the busybox root filesystem the build makes, and checks that
// nothing of a test's containers is left on the machine.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace berth::test {

namespace fs = std::filesystem;

// Reports the test as skipped (ctest SKIP_RETURN_CODE 77) with `why` and ends the process.
[[noreturn]] void skip(const std::string &why);

// Skips unless running as root.
void require_root();

struct RunResult {
    int exit_code = -1; // exit status, or 128+signal when killed by a signal
    std::string out;
    std::string err;
};

// Runs `argv` (argv[0] is a path) with `input` on stdin, collecting stdout and stderr. Kills it
// after `timeout_s` seconds (and fails the test) so a hung command never hangs the suite.
RunResult run(const std::vector<std::string> &argv, const std::string &input = {},
              int timeout_s = 60);

// One test's private world: a unique name prefix, a state root, a berth.yaml pointing at the
// build tree's drivers, and a cgroup parent; everything is removed by the destructor, which
// also fails the test if a container of this sandbox left a process, mount or cgroup behind.
class Sandbox {
public:
    Sandbox();
    ~Sandbox();
    Sandbox(const Sandbox &) = delete;
    Sandbox &operator=(const Sandbox &) = delete;

    const std::string &prefix() const { return prefix_; } // "berth-t<pid>-<n>"
    fs::path dir() const { return dir_; }                 // scratch directory of this test
    fs::path state_root() const { return dir_ / "state"; }
    fs::path config_path() const { return dir_ / "berth.yaml"; }
    // The cgroup parent, below each hierarchy root.
    std::string cgroup_parent() const { return prefix_; }
    std::string id(const std::string &name) const { return prefix_ + "-" + name; }

    // Extra YAML appended to the generated berth.yaml (e.g. driver options); rewrites it.
    void set_extra_config(const std::string &yaml);

    // Makes a bundle directory under dir() whose config.json is `berth spec` output for the
    // busybox rootfs (root.path absolute, read-only), with process.args = args and
    // linux.cgroupsPath set under cgroup_parent(); returns the bundle path. `edit` may change
    // the spec before it is written.
    fs::path bundle(const std::string &name, const std::vector<std::string> &args,
                    const std::function<void(nlohmann::json &)> &edit = {});

    // Runs `berth --root STATE -c CONFIG <args...>`.
    RunResult berth(const std::vector<std::string> &args, const std::string &input = {},
                    int timeout_s = 60) const;

    // Things of this sandbox still on the machine: mounts, cgroups, processes whose command
    // line or cgroup names prefix(), and anything under the state root. Empty when clean.
    std::vector<std::string> leftovers() const;

    // Kills the sandbox's processes and removes its mounts, cgroups and scratch directory.
    void clean_up() const;

private:
    std::string prefix_;
    fs::path dir_;
    std::string extra_config_;
    void write_config() const;
};

// Paths the build gives the tests.
fs::path berth_binary();
fs::path driver_dir();
fs::path rootfs_dir(); // the busybox root filesystem

} // namespace berth::test
