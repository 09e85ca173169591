// Checking a driver's entry struct and agreeing on the ABI minor both sides speak.
#pragma once

#include <berth/common/error.hpp>
#include <berth/driver.h>

#include <cstdint>
#include <string>

namespace berth::host {

// An inclusive range of ABI minors of major BERTH_ABI_MAJOR.
struct MinorRange {
    uint32_t min = 0;
    uint32_t max = BERTH_ABI_MINOR;
};

// The minors this build of berth speaks.
constexpr MinorRange host_minor_range() { return MinorRange{0, BERTH_ABI_MINOR}; }

// Checks that `entry` is a complete 1.x entry of the right major with every field set, then
// offers `host` to the driver's negotiate and checks its answer. Returns the agreed minor.
// `name` is the driver's name as the user knows it (its file name), used in messages.
Result<uint32_t> negotiate(const berth_driver_entry *entry, const std::string &name,
                           MinorRange host = host_minor_range());

} // namespace berth::host
