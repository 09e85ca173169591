// One container as the commands handle it: its locked record, the driver that owns it, and the
// berth_container_ref that names it to that driver.
#pragma once

#include "commands/context.hpp"
#include "loaded_driver.hpp"
#include "state_store.hpp"

#include <berth/driver.h>

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

} // namespace berth::host
