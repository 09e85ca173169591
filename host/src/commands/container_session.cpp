#include "commands/container_session.hpp"

#include <fmt/format.h>

namespace berth::host {

ContainerSession::ContainerSession(ContainerHandle handle, std::unique_ptr<LoadedDriver> driver)
    : handle_(std::move(handle)), driver_(std::move(driver)) {
    refresh();
}

ContainerSession::ContainerSession(ContainerSession &&o) noexcept
    : handle_(std::move(o.handle_)), driver_(std::move(o.driver_)) {
    refresh();
}

void ContainerSession::refresh() {
    id_ = handle_.record().id;
    bundle_ = handle_.record().bundle.string();
    state_dir_ = handle_.driver_dir().string();
    ref_ = berth_container_ref{};
    ref_.struct_size = sizeof(berth_container_ref);
    ref_.id = id_.c_str();
    ref_.bundle = bundle_.c_str();
    ref_.state_dir = state_dir_.c_str();
    ref_.pid = handle_.record().pid;
}

Result<ContainerSession> open_container(Context &ctx, const std::string &id) {
    auto handle = ctx.store().open(id);
    if (!handle)
        return fail(std::move(handle.error()));
    const std::string &recorded = handle->record().driver;
    if (!ctx.global.driver.empty() && ctx.global.driver != recorded)
        return fail(make_error(BERTH_E_INVALID_ARGUMENT,
                               fmt::format("container {} belongs to driver {}, not {}", id,
                                           recorded, ctx.global.driver))
                        .with_hint("omit -e: berth finds the driver from its record"));
    auto driver = ctx.registry().load(recorded);
    if (!driver)
        return fail(std::move(driver.error()).in("container " + id));
    return ContainerSession(std::move(*handle), std::move(*driver));
}

const char *status_word(berth_container_status s) {
    switch (s) {
    case BERTH_STATUS_CREATING:
        return "creating";
    case BERTH_STATUS_CREATED:
        return "created";
    case BERTH_STATUS_RUNNING:
        return "running";
    case BERTH_STATUS_PAUSED:
        return "paused";
    default:
        return "stopped";
    }
}

} // namespace berth::host
