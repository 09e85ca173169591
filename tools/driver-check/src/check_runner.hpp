// Runs one check in a forked child with a deadline. The child's stdout and stderr are pipes the
// parent reads: whatever a driver writes there fails the check, since in the host those fds may
// be a container's.
#pragma once

#include "check.hpp"

namespace berth::check {

Verdict run_in_child(const Check &check, const Context &ctx);

// Escapes control characters and cuts `s` to about `max` bytes, for quoting driver output in
// a one-line verdict.
std::string quote(std::string_view s, size_t max = 80);

} // namespace berth::check
