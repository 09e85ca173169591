#include "apparmor.hpp"

#include <sys/apparmor.h>

namespace berth::native {

Result<> check_apparmor(const std::string &profile) {
    if (profile.empty() || ::aa_is_enabled() == 1)
        return {};
    return fail(make_error(BERTH_E_NOT_SUPPORTED,
                           "AppArmor is not enabled on this host, cannot apply profile", profile)
                    .with_hint("remove process.apparmorProfile from config.json or run on a "
                               "kernel with AppArmor enabled"));
}

Result<> apply_apparmor(const std::string &profile) {
    if (profile.empty())
        return {};
    auto enabled = check_apparmor(profile);
    if (!enabled)
        return enabled;
    if (::aa_change_onexec(profile.c_str()) != 0)
        return fail(sys_error("set AppArmor exec profile", profile));
    return {};
}

} // namespace berth::native
