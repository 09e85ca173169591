// The one error type shared by the host and the in-tree drivers. It never crosses the driver
// ABI: drivers turn it into berth_host.report_error at their edge.
#pragma once

#include <berth/driver.h>

#include <cerrno>
#include <expected>
#include <string>
#include <vector>

namespace berth {

struct Error {
    berth_status code = BERTH_E_FAILED;
    int sys_errno = 0;           // errno behind the failure, 0 if none
    // The message already carries the errno's text (a driver's own message, copied by the
    // host), so render() must not append strerror again.
    bool errno_in_message = false;
    std::string op;              // what failed: "mount", "open", "parse config.json"
    std::string object;          // on which path or object; rendered in backquotes
    std::vector<std::string> context; // outer steps, innermost first ("set up rootfs")
    std::string hint;            // what the user can do about it
    std::vector<Error> cleanup;  // errors met while undoing, kept beside the cause

    // "set up rootfs: mount `/x/proc`: Permission denied (hint: ...)"
    std::string render() const;

    // The message without outer context and without strerror, as drivers hand it to the host.
    std::string message() const;

    Error &&in(std::string step) &&;
    Error &in(std::string step) &;
    Error &&with_hint(std::string h) &&;
    Error &&with_code(berth_status c) &&;
    void attach_cleanup(Error e) { cleanup.push_back(std::move(e)); }
};

template <class T = void>
using Result = std::expected<T, Error>;

// A failed system call: op is the call ("mount"), object what it was called on.
Error sys_error(std::string op, std::string object = {}, int err = errno);

// A failure that has no errno behind it.
Error make_error(berth_status code, std::string message, std::string object = {});

// Maps an errno to the closest ABI status code (EPERM/EACCES -> permission, ENOENT ->
// not found, ...).
berth_status status_from_errno(int err);

inline std::unexpected<Error> fail(Error e) { return std::unexpected<Error>(std::move(e)); }

} // namespace berth
