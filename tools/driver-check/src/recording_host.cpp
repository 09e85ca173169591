#include "recording_host.hpp"

#include <cstring>

namespace berth::check {
namespace {

RecordingHost &self(void *ctx) {
    return *static_cast<RecordingHost *>(ctx);
}

void log(void *ctx, berth_log_level level, const char *message) {
    if (message == nullptr) {
        self(ctx).misuse.push_back("log was called with a NULL message");
        return;
    }
    self(ctx).logs.push_back({level, message});
}

int32_t log_enabled(void *, berth_log_level) {
    // Everything is enabled so that every log call a driver makes is exercised.
    return 1;
}

void report_error(void *ctx, berth_error *err, berth_status code, int32_t sys_errno,
                  const char *message) {
    self(ctx).errors.push_back({err, code, sys_errno, message ? message : ""});
    if (message == nullptr)
        self(ctx).misuse.push_back("report_error was called with a NULL message");
}

const void *get_extension(void *, const char *) {
    return nullptr;
}

} // namespace

RecordingHost::RecordingHost(uint32_t abi_minor, bool future_size) {
    berth_host &h = wide_.host;
    h.struct_size = future_size ? sizeof(Wide) : sizeof(berth_host);
    h.abi_minor = abi_minor;
    h.host_version = "berth-driver-check";
    h.ctx = this;
    h.log = log;
    h.log_enabled = log_enabled;
    h.report_error = report_error;
    h.get_extension = get_extension;
}

} // namespace berth::check
