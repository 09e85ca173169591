#include "container_files.hpp"

#include "process_info.hpp"
#include "sys_failure.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

namespace nspawn_driver {
namespace {

std::string record_path(const std::string &state_dir) {
    return state_dir + "/record";
}

} // namespace

std::optional<Record> read_record(const std::string &state_dir) {
    std::ifstream in(record_path(state_dir));
    Record rec;
    if (!(in >> rec.pid >> rec.start_time) || rec.pid <= 0)
        return std::nullopt;
    return rec;
}

void write_record(const std::string &state_dir, const Record &rec) {
    // Written next to its final name and renamed, so a reader never sees half a record.
    const std::string path = record_path(state_dir);
    const std::string tmp = path + ".new";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << rec.pid << ' ' << rec.start_time << '\n';
        if (!out.flush())
            throw sys_failure("write", tmp);
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        auto failure = sys_failure("rename", tmp);
        ::unlink(tmp.c_str());
        throw failure;
    }
}

std::string barrier_path(const std::string &state_dir) {
    return state_dir + "/start";
}

void make_barrier(const std::string &state_dir) {
    const std::string fifo = barrier_path(state_dir);
    if (::mkfifo(fifo.c_str(), 0600) != 0)
        throw sys_failure("create FIFO", fifo);
}

bool barrier_pending(const std::string &state_dir) {
    struct stat st;
    return ::lstat(barrier_path(state_dir).c_str(), &st) == 0 && S_ISFIFO(st.st_mode);
}

int wait_at_barrier(const char *fifo) noexcept {
    int fd;
    do
        fd = ::open(fifo, O_WRONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return errno;
    const char go = '1';
    ssize_t n;
    do
        n = ::write(fd, &go, 1);
    while (n < 0 && errno == EINTR);
    const int err = n == 1 ? 0 : (n < 0 ? errno : EIO);
    ::close(fd);
    return err;
}

void release_barrier(const std::string &state_dir, const Record &rec,
                     std::chrono::milliseconds timeout) {
    const std::string fifo = barrier_path(state_dir);
    // Non-blocking, so a process that is already gone cannot leave start waiting in open();
    // the writer's blocking open returns as soon as this reader exists.
    const int fd = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        throw sys_failure("open", fifo);
    const std::string who = "pid " + std::to_string(rec.pid);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        pollfd p{fd, POLLIN, 0};
        const int ready = ::poll(&p, 1, 50);
        if (ready < 0 && errno != EINTR) {
            auto failure = sys_failure("poll", fifo);
            ::close(fd);
            throw failure;
        }
        if (ready > 0) {
            char byte = 0;
            const ssize_t got = ::read(fd, &byte, 1);
            if (got == 1)
                break;
            if (got < 0 && errno == EAGAIN)
                continue;
            ::close(fd);
            throw berth::sdk::Failure(BERTH_E_STATE, "the container's process (" + who +
                                                         ") exited before it was started");
        }
        if (!alive(rec.pid, rec.start_time)) {
            ::close(fd);
            throw berth::sdk::Failure(BERTH_E_STATE, "the container's process (" + who +
                                                         ") exited before it was started");
        }
        if (std::chrono::steady_clock::now() > deadline) {
            ::close(fd);
            throw berth::sdk::Failure(BERTH_E_FAILED, "the container's process (" + who +
                                                          ") did not reach the start barrier "
                                                          "in time");
        }
    }
    ::close(fd);
    if (::unlink(fifo.c_str()) != 0 && errno != ENOENT)
        throw sys_failure("remove", fifo);
}

void remove_container_files(const std::string &state_dir) {
    for (const auto &path :
         {barrier_path(state_dir), record_path(state_dir), record_path(state_dir) + ".new"})
        if (::unlink(path.c_str()) != 0 && errno != ENOENT)
            throw sys_failure("remove", path);
}

} // namespace nspawn_driver
