// process.apparmorProfile, through libapparmor.
#pragma once

#include <berth/common/error.hpp>

#include <string>

namespace berth::native {

// Fails when `profile` is set but the kernel has AppArmor disabled or absent.
Result<> check_apparmor(const std::string &profile);

// Makes the kernel switch to `profile` at the next execve (aa_change_onexec); nothing for "".
Result<> apply_apparmor(const std::string &profile);

} // namespace berth::native
