// What the driver can honour of an OCI config.json, and the systemd-nspawn command line that
// honours it.
#pragma once

#include <string>
#include <vector>

namespace nspawn_driver {

// Field paths (berth's feature-gate notation) systemd-nspawn cannot give as the spec means
// them; the features document lists them in the "org.berth.unsupported" annotation.
const std::vector<std::string> &unsupported_fields();

// The driver's OCI features document (runtime-spec features.json) as JSON text.
std::string features_document();

struct NspawnCommand {
    std::string rootfs;            // absolute
    std::vector<std::string> argv; // argv[0] is the systemd-nspawn binary
};

// Parses `config_json`, refuses (naming the fields) what the driver cannot honour, checks the
// root filesystem, and builds the command that runs the container as machine `id`. Throws
// berth::sdk::Failure.
NspawnCommand nspawn_command(const std::string &config_json, const std::string &bundle,
                             const std::string &id, const std::string &nspawn_binary);

} // namespace nspawn_driver
