// Optional header-only helpers for writing a berth execution driver in C++ (C++17 or later).
// Nothing here is part of the ABI: it only wraps berth/driver.h, so a driver using it loads in
// any berth host of the same ABI major. It depends on the standard library alone.
//
// What it gives:
//   berth::sdk::Host         logging and error reporting through the host's berth_host
//   berth::sdk::Failure      an exception carrying a status code and a message
//   berth::sdk::guard()      the exception barrier every operation needs at the C edge
//   berth::sdk::write()      writing text to a host-owned berth_output
//   berth::sdk::negotiate()  picking a minor from the host's offer and the driver's own range
#ifndef BERTH_DRIVER_HELPERS_HPP
#define BERTH_DRIVER_HELPERS_HPP

#include <berth/driver.h>

#include <exception>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace berth::sdk {

// Thrown inside guard() to fail the current operation with `code` and `message`.
class Failure : public std::exception {
public:
    Failure(berth_status code, std::string message, int sys_errno = 0)
        : code_(code == BERTH_OK ? BERTH_E_FAILED : code), errno_(sys_errno),
          message_(std::move(message)) {}
    berth_status code() const noexcept { return code_; }
    int sys_errno() const noexcept { return errno_; }
    const char *what() const noexcept override { return message_.c_str(); }

private:
    berth_status code_;
    int errno_;
    std::string message_;
};

// The host's services for one driver instance. Cheap to copy; valid until deinit returns.
class Host {
public:
    explicit Host(const berth_host *host) : host_(host) {}
    const berth_host *raw() const { return host_; }

    bool enabled(berth_log_level level) const { return host_->log_enabled(host_->ctx, level) != 0; }
    void log(berth_log_level level, const std::string &message) const {
        if (enabled(level))
            host_->log(host_->ctx, level, message.c_str());
    }

    // Records the failure in the host's error slot and returns `code`, so an operation can
    // end with `return host.report(err, BERTH_E_NOT_FOUND, "...")`.
    berth_status report(berth_error *err, berth_status code, const std::string &message,
                        int sys_errno = 0) const {
        if (code == BERTH_OK)
            code = BERTH_E_FAILED;
        // The host shows the message as one line: fold any line break the text picked up.
        std::string line = message.empty() ? std::string("failed without details") : message;
        for (char &c : line)
            if (c == '\n' || c == '\r')
                c = ' ';
        host_->report_error(host_->ctx, err, code, sys_errno, line.c_str());
        return code;
    }

    // The answer for an operation the driver does not implement.
    berth_status not_supported(berth_error *err, std::string_view op,
                               std::string_view driver) const {
        return report(err, BERTH_E_NOT_SUPPORTED,
                      std::string(op) + " is not supported by driver " + std::string(driver));
    }

private:
    const berth_host *host_;
};

// Runs `body` (returning berth_status, or void for BERTH_OK) and turns a Failure or any other
// exception into a reported error: no exception may cross into the host.
template <class F> berth_status guard(const Host &host, berth_error *err, F &&body) noexcept {
    try {
        if constexpr (std::is_void_v<decltype(body())>) {
            body();
            return BERTH_OK;
        } else {
            return body();
        }
    } catch (const Failure &f) {
        return host.report(err, f.code(), f.what(), f.sys_errno());
    } catch (const std::exception &e) {
        return host.report(err, BERTH_E_FAILED, std::string("internal error: ") + e.what());
    } catch (...) {
        return host.report(err, BERTH_E_FAILED, "internal error: unknown exception");
    }
}

// Hands `text` to a host-owned sink; the host copies it before returning.
inline void write(berth_output *out, std::string_view text) {
    if (out != nullptr && out->write != nullptr && !text.empty())
        out->write(out->ctx, text.data(), text.size());
}

// The newest minor both sides speak, or -1 when the ranges do not meet. A driver built
// against this header usually speaks [0, BERTH_ABI_MINOR].
constexpr int32_t negotiate(uint32_t host_min, uint32_t host_max, uint32_t ours_min = 0,
                            uint32_t ours_max = BERTH_ABI_MINOR) {
    if (host_min > host_max)
        return -1;
    uint32_t lo = host_min > ours_min ? host_min : ours_min;
    uint32_t hi = host_max < ours_max ? host_max : ours_max;
    return lo <= hi ? static_cast<int32_t>(hi) : -1;
}

} // namespace berth::sdk

#endif // BERTH_DRIVER_HELPERS_HPP
