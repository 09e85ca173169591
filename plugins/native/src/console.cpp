#include "console.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>

namespace berth::native {

namespace {

// runc's receivers (and containerd's, podman's conmon) read one message whose payload is the
// pty's name and whose control data is the master fd; they do not care about the name's
// exact text but expect a non-empty payload.
Result<> send_fd(int socket_fd, int fd, const std::string &name) {
    iovec iov{};
    iov.iov_base = const_cast<char *>(name.data());
    iov.iov_len = name.size();
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &fd, sizeof(int));
    ssize_t n;
    do
        n = sendmsg(socket_fd, &msg, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return fail(sys_error("send pty master over", "console socket"));
    return {};
}

} // namespace

Result<UniqueFd> connect_console_socket(const std::string &path, const std::string &doc) {
    if (path.empty())
        return fail(make_error(BERTH_E_INVALID_ARGUMENT,
                               fmt::format("{}: process.terminal is true but no console socket "
                                           "was given to receive the pty",
                                           doc))
                        .with_hint("pass --console-socket SOCKET, or set process.terminal to "
                                   "false"));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path)
        return fail(make_error(BERTH_E_INVALID_ARGUMENT,
                               fmt::format("console socket path is longer than {} bytes",
                                           sizeof addr.sun_path - 1),
                               path));
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd)
        return fail(sys_error("socket", "AF_UNIX"));
    if (connect(fd.get(), reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0)
        return fail(sys_error("connect to console socket", path)
                        .with_hint("the socket must be listening before create or exec"));
    return fd;
}

Result<> attach_console(int socket_fd, const oci::Process &process) {
    UniqueFd master(open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!master)
        return fail(sys_error("open", "/dev/ptmx")
                        .with_hint("mount devpts on /dev/pts with newinstance,ptmxmode=0666"));
    int unlock = 0;
    if (ioctl(master.get(), TIOCSPTLCK, &unlock) != 0)
        return fail(sys_error("unlock pty", "/dev/ptmx"));
    // TIOCGPTPEER opens the slave through the master, so no path lookup in /dev/pts can be
    // redirected to another file.
    UniqueFd slave(ioctl(master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!slave)
        return fail(sys_error("open pty slave of", "/dev/ptmx"));
    unsigned number = 0;
    if (ioctl(master.get(), TIOCGPTN, &number) != 0)
        return fail(sys_error("get pty number of", "/dev/ptmx"));
    if (process.console_size) {
        winsize ws{};
        ws.ws_row = static_cast<unsigned short>(process.console_size->height);
        ws.ws_col = static_cast<unsigned short>(process.console_size->width);
        if (ioctl(slave.get(), TIOCSWINSZ, &ws) != 0)
            return fail(sys_error("set pty size", fmt::format("/dev/pts/{}", number)));
    }
    if (fchown(slave.get(), process.user.uid, static_cast<gid_t>(-1)) != 0)
        return fail(sys_error("chown", fmt::format("/dev/pts/{}", number)));

    if (auto r = send_fd(socket_fd, master.get(), fmt::format("/dev/pts/{}", number)); !r)
        return r;
    master.reset();
    close(socket_fd);

    if (setsid() < 0)
        return fail(sys_error("setsid").in("make the pty the controlling terminal"));
    if (ioctl(slave.get(), TIOCSCTTY, 0) != 0)
        return fail(sys_error("make controlling terminal", fmt::format("/dev/pts/{}", number)));
    for (int fd = 0; fd < 3; ++fd)
        if (dup2(slave.get(), fd) < 0)
            return fail(sys_error("dup2", fmt::format("pty onto fd {}", fd)));
    return {};
}

} // namespace berth::native
