// Signal names as `berth kill` accepts them: KILL, SIGKILL, sigkill, 9, RTMIN+3.
#pragma once

#include <berth/common/error.hpp>

#include <string>
#include <string_view>

namespace berth::host {

Result<int> parse_signal(std::string_view text);

// "SIGTERM" for 15; "SIGRTMIN+3" for real-time signals; the number otherwise.
std::string signal_name(int sig);

} // namespace berth::host
