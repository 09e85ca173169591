#include "net_lock.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <chrono>
#include <thread>

namespace berth::native {

namespace fs = std::filesystem;

Result<NetworkLock> NetworkLock::acquire(const fs::path &root) {
    using namespace std::chrono;
    auto deadline = steady_clock::now() + seconds(30);
    for (;;) {
        std::error_code ec;
        fs::create_directories(root, ec);
        if (ec)
            return fail(sys_error("create network state directory", root.string(), ec.value()));
        UniqueFd fd(open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!fd) {
            if (errno == ENOENT)
                continue; // removed between mkdir and open by the last holder
            return fail(sys_error("open network state directory", root.string()));
        }
        while (flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
            if (errno != EWOULDBLOCK)
                return fail(sys_error("lock network state directory", root.string()));
            if (steady_clock::now() > deadline)
                return fail(make_error(BERTH_E_FAILED,
                                       "lock network state directory: still held by another "
                                       "berth process after 30s",
                                       root.string())
                                .with_hint("look for a hung berth process"));
            std::this_thread::sleep_for(milliseconds(2));
        }
        struct stat st{};
        if (fstat(fd.get(), &st) != 0)
            return fail(sys_error("stat network state directory", root.string()));
        if (st.st_nlink > 0)
            return NetworkLock(std::move(fd), root);
        // The previous holder removed it while we waited; ours is a dead directory.
    }
}

void NetworkLock::remove_root_if_empty() {
    // rmdir refuses a directory that is not empty, which is exactly the condition.
    if (rmdir(root_.c_str()) == 0)
        fd_.reset();
}

} // namespace berth::native
