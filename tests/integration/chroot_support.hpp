// Helpers shared by the chroot driver's integration tests that go through the berth binary.
#pragma once

#include "support/test_support.hpp"

#include <functional>
#include <string>
#include <vector>

namespace berth::test::chroot {

// A bundle the chroot driver accepts: the sandbox's spec without the linux object (it asks
// for a cgroup) and with a writable root (a read-only one needs a mount).
inline fs::path bundle(Sandbox &sb, const std::string &name, const std::vector<std::string> &args,
                       const std::function<void(nlohmann::json &)> &edit = {}) {
    return sb.bundle(name, args, [&](nlohmann::json &spec) {
        spec.erase("linux");
        spec["root"]["readonly"] = false;
        if (edit)
            edit(spec);
    });
}

// `berth --log-level warn -e chroot <args...>`: lifecycle info lines stay out of stderr, so
// the container's own stderr can be compared exactly.
inline RunResult berth(const Sandbox &sb, std::vector<std::string> args,
                       const std::string &input = {}) {
    args.insert(args.begin(), {"--log-level", "warn", "-e", "chroot"});
    return sb.berth(args, input);
}

} // namespace berth::test::chroot
