#include "start_barrier.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace berth::chroot {
namespace {

constexpr const char *dir_name = "barrier";
constexpr const char *fifo_name = "start";

std::filesystem::path dir_of(const std::filesystem::path &state_dir) {
    return state_dir / dir_name;
}
std::filesystem::path fifo_of(const std::filesystem::path &state_dir) {
    return dir_of(state_dir) / fifo_name;
}

} // namespace

Result<> make_start_barrier(const std::filesystem::path &state_dir, uid_t uid, gid_t gid) {
    const auto dir = dir_of(state_dir);
    const auto fifo = fifo_of(state_dir);
    if (::mkdir(dir.c_str(), 0700) != 0)
        return fail(sys_error("create directory", dir.string()));
    if (::mkfifo(fifo.c_str(), 0600) != 0)
        return fail(sys_error("create FIFO", fifo.string()));
    if (::chown(fifo.c_str(), uid, gid) != 0)
        return fail(sys_error("chown", fifo.string()));
    if (::chown(dir.c_str(), uid, gid) != 0)
        return fail(sys_error("chown", dir.string()));
    return {};
}

Result<UniqueFd> open_start_barrier_dir(const std::filesystem::path &state_dir) {
    const auto dir = dir_of(state_dir);
    UniqueFd fd(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!fd)
        return fail(sys_error("open", dir.string()));
    return fd;
}

int wait_at_start_barrier(int barrier_dir_fd) noexcept {
    int fd;
    do
        fd = ::openat(barrier_dir_fd, fifo_name, O_WRONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return errno;
    const char go = '1';
    ssize_t n;
    do
        n = ::write(fd, &go, 1);
    while (n < 0 && errno == EINTR);
    int err = n == 1 ? 0 : (n < 0 ? errno : EIO);
    ::close(fd);
    return err;
}

bool start_barrier_pending(const std::filesystem::path &state_dir) {
    struct stat st;
    return ::lstat(fifo_of(state_dir).c_str(), &st) == 0 && S_ISFIFO(st.st_mode);
}

Result<> release_start_barrier(const std::filesystem::path &state_dir, int pid,
                               unsigned long long start_time, AliveCheck alive,
                               std::chrono::milliseconds timeout) {
    const auto fifo = fifo_of(state_dir);
    // Non-blocking, so a process that is already gone cannot leave start waiting in open();
    // the writer's blocking open completes as soon as this reader exists.
    UniqueFd fd(::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    if (!fd)
        return fail(sys_error("open", fifo.string()));

    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        pollfd p{fd.get(), POLLIN, 0};
        int n = ::poll(&p, 1, 50);
        if (n < 0 && errno != EINTR)
            return fail(sys_error("poll", fifo.string()));
        if (n > 0) {
            char byte = 0;
            ssize_t got = ::read(fd.get(), &byte, 1);
            if (got == 1)
                break;
            if (got < 0 && errno == EAGAIN)
                continue;
            return fail(make_error(BERTH_E_STATE,
                                   "the container's process exited before it was started",
                                   "pid " + std::to_string(pid)));
        }
        if (!alive(pid, start_time))
            return fail(make_error(BERTH_E_STATE,
                                   "the container's process exited before it was started",
                                   "pid " + std::to_string(pid)));
        if (std::chrono::steady_clock::now() > deadline)
            return fail(make_error(BERTH_E_FAILED,
                                   "the container's process did not reach the start barrier "
                                   "in time",
                                   "pid " + std::to_string(pid)));
    }
    return remove_start_barrier(state_dir);
}

Result<> remove_start_barrier(const std::filesystem::path &state_dir) {
    const auto fifo = fifo_of(state_dir);
    const auto dir = dir_of(state_dir);
    if (::unlink(fifo.c_str()) != 0 && errno != ENOENT)
        return fail(sys_error("remove", fifo.string()));
    if (::rmdir(dir.c_str()) != 0 && errno != ENOENT)
        return fail(sys_error("remove directory", dir.string()));
    return {};
}

} // namespace berth::chroot
