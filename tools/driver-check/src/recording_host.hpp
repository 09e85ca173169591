// The host side of the ABI as the checker plays it: a berth_host whose services record every
// call, so a check can assert what the driver reported and logged.
#pragma once

#include <berth/driver.h>

#include <string>
#include <vector>

// The host owns the error slot type; drivers only ever see pointers to it.
struct berth_error {
    int serial;
};

namespace berth::check {

struct ReportedError {
    const berth_error *slot;
    berth_status code;
    int32_t sys_errno;
    std::string message;
};

struct LogRecord {
    berth_log_level level;
    std::string message;
};

class RecordingHost {
public:
    // `future_bytes` > 0 plays a newer host whose berth_host has grown by that much (zeroed),
    // which a driver built against an older header must accept.
    explicit RecordingHost(uint32_t abi_minor = BERTH_ABI_MINOR, bool future_size = false);
    RecordingHost(const RecordingHost &) = delete;
    RecordingHost &operator=(const RecordingHost &) = delete;

    const berth_host *raw() const { return &wide_.host; }

    std::vector<ReportedError> errors;
    std::vector<LogRecord> logs;
    std::vector<std::string> misuse; // host services called wrongly (NULL message, ...)

private:
    struct Wide {
        berth_host host;
        unsigned char future[64];
    };
    Wide wide_{};
};

} // namespace berth::check
