// The lock that serialises every change to bridge networks on this host: leases, bridges
// and the nftables table. Network setup is short, so one exclusive lock over all networks
// keeps "first container creates, last container removes" free of races between berth
// processes without any finer protocol.
#pragma once

#include <berth/common/error.hpp>
#include <berth/common/unique_fd.hpp>

#include <filesystem>

namespace berth::native {

class NetworkLock {
public:
    // Creates `root` if needed and takes the lock on it, waiting at most a few seconds. The
    // directory may be removed by the holder of the lock (the last lease gone); a waiter
    // that then got a removed directory starts over with a new one.
    static Result<NetworkLock> acquire(const std::filesystem::path &root);

    const std::filesystem::path &root() const { return root_; }

    // Removes `root` when nothing is left in it. Call last, while still holding the lock.
    void remove_root_if_empty();

private:
    NetworkLock(UniqueFd fd, std::filesystem::path root)
        : fd_(std::move(fd)), root_(std::move(root)) {}
    UniqueFd fd_;
    std::filesystem::path root_;
};

} // namespace berth::native
