#include "commands/signal_forwarder.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace berth::host {

namespace {

// The handler may only touch async-signal-safe state: a plain int and write(2).
volatile sig_atomic_t g_write_fd = -1;

extern "C" void on_signal(int sig) {
    int saved = errno;
    unsigned char b = static_cast<unsigned char>(sig);
    if (g_write_fd >= 0)
        (void)!::write(g_write_fd, &b, 1);
    errno = saved;
}

} // namespace

Result<std::unique_ptr<SignalForwarder>> SignalForwarder::install() {
    int p[2];
    if (::pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0)
        return fail(sys_error("pipe2", "signal pipe"));
    std::unique_ptr<SignalForwarder> f(new SignalForwarder());
    f->read_.reset(p[0]);
    f->write_.reset(p[1]);
    g_write_fd = p[1];

    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    // SA_RESTART: the driver's blocking calls during create must not see EINTR because the
    // terminal was resized.
    sa.sa_flags = SA_RESTART;
    std::vector<int> sigs(forwarded.begin(), forwarded.end());
    sigs.push_back(SIGCHLD);
    for (int sig : sigs) {
        struct sigaction old {};
        struct sigaction act = sa;
        if (sig == SIGCHLD)
            act.sa_flags |= SA_NOCLDSTOP;
        if (::sigaction(sig, &act, &old) != 0)
            return fail(sys_error("sigaction", std::to_string(sig)));
        f->previous_.emplace_back(sig, old);
    }
    return f;
}

SignalForwarder::~SignalForwarder() {
    for (auto it = previous_.rbegin(); it != previous_.rend(); ++it)
        ::sigaction(it->first, &it->second, nullptr);
    g_write_fd = -1;
}

std::vector<int> SignalForwarder::drain() {
    std::vector<int> out;
    unsigned char buf[64];
    for (;;) {
        ssize_t n = ::read(read_.get(), buf, sizeof buf);
        if (n > 0) {
            out.insert(out.end(), buf, buf + n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        break;
    }
    return out;
}

} // namespace berth::host
