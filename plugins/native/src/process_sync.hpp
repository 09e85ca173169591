// The channel between the driver and a process it is setting up (container init or exec'd
// process): a SOCK_SEQPACKET socketpair, so each message arrives whole or not at all, and
// every wait on it has a deadline. The child reports a failed step as an Error (code, errno,
// step, object) so the driver can render it exactly as if it had failed itself.
#pragma once

#include <berth/common/error.hpp>
#include <berth/common/unique_fd.hpp>

#include <chrono>
#include <string>

namespace berth::native {

using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;

// How long any one setup (create or exec) may take before the driver gives up on the child.
inline constexpr std::chrono::seconds setup_timeout{30};

enum class MsgKind : int32_t {
    closed = 0, // the other end closed the channel (exited, or exec'd: the fd is close-on-exec)
    go = 1,    // driver -> child: namespaces ready to enter (ids mapped); exec helper: all done
    released = 5, // driver -> init: cgroup joined and network up; the program may run
    ready = 2, // child -> driver: set up, now waiting at the start barrier or about to exec
    error = 3, // child -> driver: a step failed; the payload is the Error
    pid = 4,   // exec helper -> driver: pid (host namespace) of the process it made
};

struct Message {
    MsgKind kind = MsgKind::go;
    int32_t value = 0; // the pid of MsgKind::pid
    Error error;       // MsgKind::error only
};

struct SyncPair {
    UniqueFd parent; // the driver's end
    UniqueFd child;  // the child's end
};

// A close-on-exec socketpair.
Result<SyncPair> make_sync_pair();

Result<> send_message(int fd, const Message &msg);

// Waits for one message until `deadline`; MsgKind::closed when the other end closed. `awaited`
// names what the driver waits for ("the container process to finish its setup") in errors.
Result<Message> receive_message(int fd, Deadline deadline, const std::string &awaited);

// Child side: reports `e` to the driver and ends the process. Never returns.
[[noreturn]] void report_and_exit(int fd, const Error &e);

} // namespace berth::native
