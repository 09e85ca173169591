// Making the processes of a container. The container's init comes from one clone (clone3
// where the kernel has it) straight into its new namespaces, as a child of the caller of
// create, so that `berth run` can wait for it; an exec'd process is made by a short-lived
// helper that joins the init's namespaces and clones it with CLONE_PARENT, so it too is a
// child of the caller. No berth binary is executed again on either path.
#pragma once

#include "process_namespaces.hpp"
#include "process_sync.hpp"
#include "seccomp.hpp"

#include <berth/common/error.hpp>
#include <berth/common/oci_spec.hpp>
#include <berth/common/unique_fd.hpp>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>

namespace berth::native {

// A child process of the driver's caller. Until release(), the destructor kills it and reaps
// it (with a deadline), so a failed setup never leaves it behind.
class ChildProcess {
public:
    ChildProcess() = default;
    explicit ChildProcess(int pid);
    ChildProcess(ChildProcess &&o) noexcept;
    ChildProcess &operator=(ChildProcess &&o) noexcept;
    ~ChildProcess();

    int pid() const { return pid_; }
    int release();
    // SIGKILL, then wait until it is gone or `deadline` passes.
    Result<> kill_and_reap(Deadline deadline);
    // Waits for a process that is about to exit by itself (the exec helper).
    Result<int> wait(Deadline deadline);

private:
    int pid_ = 0;
    UniqueFd pidfd_;
};

// What the final steps before exec need, for init and exec alike.
struct Launch {
    oci::Process process;
    nlohmann::json process_json;  // the raw object, for the security functions
    std::optional<SeccompProgram> seccomp; // compiled by the parent, loaded by the child
    int stdio[3] = {-1, -1, -1};  // what becomes 0, 1, 2; never -1 here
    unsigned preserve_fds = 0;
    int barrier_fd = -1;          // init: the exec.fifo, read until start writes to it
    int console_fd = -1;          // process.terminal: the connected console socket
};

struct InitRequest {
    Launch launch;
    nlohmann::json spec;
    std::filesystem::path bundle;
    NamespacePlan *plan = nullptr;
    bool no_pivot = false;
    bool new_keyring = true;
};

// Clones the container's init into its namespaces. The child blocks until the driver sends
// MsgKind::go on `sync.parent`, then sets itself up and reports ready or error on it.
Result<ChildProcess> spawn_init(const InitRequest &req, SyncPair &sync);

// Forks a helper that joins the namespaces `ns_types` of the process behind `pidfd`, chroots
// to `root_fd` (the init's /proc/PID/root) and clones the new process into the container.
// The helper sends the new process's pid (MsgKind::pid) on `sync.parent` and exits; the new
// process then waits for MsgKind::go like init does, and execs (the channel closes) or reports
// an error.
Result<ChildProcess> spawn_exec_helper(const Launch &launch, int pidfd, int ns_types, int root_fd,
                                       SyncPair &sync);

} // namespace berth::native
