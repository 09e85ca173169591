// The services the host hands a driver (berth_host): logging into the host's logger and the
// error sink each operation reports its failure into.
#pragma once

#include <berth/driver.h>

#include <cstdint>
#include <string>

// The host side of the opaque error slot of driver.h. Drivers fill it only through
// berth_host.report_error, so its layout is the host's alone and may change freely.
struct berth_error {
    bool reported = false;
    berth_status code = BERTH_OK;
    int32_t sys_errno = 0;
    std::string message;
};

namespace berth::host {

// One driver's view of the host. The berth_host table points back at this object, so it must
// not move while the driver holds the table: DllDriver keeps it behind a unique_ptr.
class HostServices {
public:
    HostServices(std::string driver_name, uint32_t abi_minor);
    HostServices(const HostServices &) = delete;
    HostServices &operator=(const HostServices &) = delete;

    const berth_host *table() const { return &table_; }
    const std::string &driver_name() const { return name_; }

private:
    static void log(void *ctx, berth_log_level level, const char *message);
    static int32_t log_enabled(void *ctx, berth_log_level level);
    static void report_error(void *ctx, berth_error *err, berth_status code, int32_t sys_errno,
                             const char *message);
    static const void *get_extension(void *ctx, const char *id);

    std::string name_;
    berth_host table_{};
};

} // namespace berth::host
