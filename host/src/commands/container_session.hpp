// One container as the commands handle it: its locked record, the driver that owns it, and the
// berth_container_ref that names it to that driver.
#pragma once

#include "commands/context.hpp"
#include "loaded_driver.hpp"
#include "state_store.hpp"

#include <berth/driver.h>

#include <array>
#include <filesystem>
#include <memory>
#include <string>

namespace berth::host {

class ContainerSession {
public:
    ContainerSession(ContainerHandle handle, std::unique_ptr<LoadedDriver> driver);
    ContainerSession(ContainerSession &&o) noexcept;
    ContainerSession &operator=(ContainerSession &&) = delete;

    ContainerHandle &handle() { return handle_; }
    ContainerRecord &record() { return handle_.record(); }
    LoadedDriver &driver() { return *driver_; }

    // Valid until the session is moved or destroyed, or the record's pid changes (refresh()).
    const berth_container_ref &ref() const { return ref_; }
    void refresh();

private:
    ContainerHandle handle_;
    std::unique_ptr<LoadedDriver> driver_;
    std::string id_, bundle_, state_dir_;
    berth_container_ref ref_{};
};

// Locks an existing container and loads the driver that created it. A -e naming another driver
// is an error: the record decides.
Result<ContainerSession> open_container(Context &ctx, const std::string &id);

// The OCI status word for a driver's status code.
const char *status_word(berth_container_status s);

// berth's own fd n, or -1 (the driver's /dev/null) when berth was started without it.
int own_fd(int n);

// Writes `pid` to `file` through a temporary file and a rename, so that an engine polling for
// it never reads a partial number.
Result<> write_pid_file(const std::filesystem::path &file, int pid);

// The steps shared by create and run (also detached), up to a container held before its
// program runs. `stdio` becomes the container's fds 0, 1 and 2 (-1: /dev/null); `flags` are
// BERTH_CREATE_* bits, to which the options' --no-pivot and --no-new-keyring are added.
Result<ContainerSession> create_container(Context &ctx, const CommandOptions &o, uint32_t flags,
                                          std::array<int, 3> stdio);

} // namespace berth::host
