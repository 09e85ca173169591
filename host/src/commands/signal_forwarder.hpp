// Catches the signals `berth run` passes on to the container (INT, TERM, HUP, QUIT, USR1, USR2,
// WINCH) and SIGCHLD, through a self-pipe that the wait loop polls. Installed before the
// driver's create, so that a ^C during setup reaches berth's cleanup instead of killing berth
// halfway; removed (previous handlers back) when the object dies.
#pragma once

#include <berth/common/error.hpp>
#include <berth/common/unique_fd.hpp>

#include <signal.h>

#include <array>
#include <memory>
#include <vector>

namespace berth::host {

class SignalForwarder {
public:
    static inline constexpr std::array<int, 7> forwarded = {SIGINT,  SIGTERM, SIGHUP,  SIGQUIT,
                                                            SIGUSR1, SIGUSR2, SIGWINCH};

    // One instance at a time per process.
    static Result<std::unique_ptr<SignalForwarder>> install();
    ~SignalForwarder();
    SignalForwarder(const SignalForwarder &) = delete;
    SignalForwarder &operator=(const SignalForwarder &) = delete;

    // Readable once a signal has arrived.
    int fd() const { return read_.get(); }

    // The signals caught since the last call, in arrival order (SIGCHLD included).
    std::vector<int> drain();

private:
    SignalForwarder() = default;
    UniqueFd read_, write_;
    std::vector<std::pair<int, struct sigaction>> previous_;
};

} // namespace berth::host
