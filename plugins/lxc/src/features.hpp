// The lxc driver's OCI features document (runtime-spec features.json).
#pragma once

#include <string>

namespace berth::lxc {

// What the driver can honour, with the fields it refuses listed in the
// "org.berth.unsupported" annotation for the host's feature gate.
std::string features_document();

} // namespace berth::lxc
