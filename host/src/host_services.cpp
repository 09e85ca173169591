#include "host_services.hpp"

#include <spdlog/spdlog.h>

namespace berth::host {
namespace {

// Unknown levels from a newer driver are logged rather than lost.
spdlog::level::level_enum to_spdlog(berth_log_level level) {
    switch (level) {
    case BERTH_LOG_TRACE:
        return spdlog::level::trace;
    case BERTH_LOG_DEBUG:
        return spdlog::level::debug;
    case BERTH_LOG_INFO:
        return spdlog::level::info;
    case BERTH_LOG_WARN:
        return spdlog::level::warn;
    case BERTH_LOG_ERROR:
        return spdlog::level::err;
    default:
        return level < BERTH_LOG_TRACE ? spdlog::level::trace : spdlog::level::err;
    }
}

} // namespace

HostServices::HostServices(std::string driver_name, uint32_t abi_minor)
    : name_(std::move(driver_name)) {
    table_.struct_size = sizeof(berth_host);
    table_.abi_minor = abi_minor;
    table_.host_version = BERTH_VERSION;
    table_.ctx = this;
    table_.log = &HostServices::log;
    table_.log_enabled = &HostServices::log_enabled;
    table_.report_error = &HostServices::report_error;
    table_.get_extension = &HostServices::get_extension;
}

void HostServices::log(void *ctx, berth_log_level level, const char *message) {
    auto *self = static_cast<HostServices *>(ctx);
    auto logger = spdlog::default_logger();
    auto lvl = to_spdlog(level);
    if (self == nullptr || !logger->should_log(lvl))
        return;
    // Exceptions must not unwind into the driver's C frames.
    try {
        logger->log(lvl, "driver {}: {}", self->name_, message != nullptr ? message : "");
    } catch (...) {
    }
}

int32_t HostServices::log_enabled(void *ctx, berth_log_level level) {
    return spdlog::default_logger()->should_log(to_spdlog(level)) ? 1 : 0;
}

void HostServices::report_error(void *ctx, berth_error *err, berth_status code,
                                int32_t sys_errno, const char *message) {
    if (err == nullptr)
        return;
    // The first report of an operation is its cause; a second one is a driver bug that must
    // not hide it.
    if (err->reported)
        return;
    try {
        err->reported = true;
        err->code = code == BERTH_OK ? BERTH_E_FAILED : code;
        err->sys_errno = sys_errno;
        err->message = message != nullptr ? message : "";
    } catch (...) {
    }
}

const void *HostServices::get_extension(void *ctx, const char *id) {
    // ABI 1.0 defines no host extensions.
    return nullptr;
}

} // namespace berth::host
