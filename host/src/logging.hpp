// The host's log: spdlog's default logger, so that driver records arriving through the host
// services land in the same place, in the same format, as the host's own.
#pragma once

#include "config.hpp"

#include <berth/common/error.hpp>

namespace berth::host {

// Points the default logger at stderr or settings.file, in text ("berth: warning: ...") or
// JSON lines ({"level":..,"msg":..,"time":..}, as runc writes them, so that container engines
// can read berth's errors). May be called again to replace the previous setup.
Result<> setup_logging(const LogSettings &settings);

// The JSON line for one record; exposed for tests.
std::string json_log_line(const std::string &level, const std::string &msg,
                          const std::string &time);

} // namespace berth::host
