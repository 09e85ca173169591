// Failures of system calls, as the SDK's exception type: "STEP `OBJECT`: strerror".
#pragma once

#include <berth/driver_helpers.hpp>

#include <cerrno>
#include <cstring>
#include <string>

namespace nspawn_driver {

inline berth::sdk::Failure sys_failure(const std::string &step, const std::string &object,
                                       int err = errno) {
    const berth_status code = err == EPERM || err == EACCES ? BERTH_E_PERMISSION : BERTH_E_FAILED;
    return berth::sdk::Failure(code, step + " `" + object + "`: " + std::strerror(err), err);
}

} // namespace nspawn_driver
