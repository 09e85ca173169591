// Building a config.json that asks for something the driver's features document does not
// declare, to see the driver refuse it instead of ignoring it.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>
#include <string>

namespace berth::check {

// A minimal valid config.json for `rootfs`, using only what `features` declares.
nlohmann::json base_config(const nlohmann::json &features, const std::filesystem::path &rootfs);

struct UndeclaredField {
    std::string path;      // in the host's field-path notation, e.g. "linux.namespaces[time]"
    nlohmann::json config; // base_config plus that field
};

// The first field, in a fixed order, that `features` leaves undeclared and the checker knows
// how to ask for: fields the driver lists as unsupported (annotation org.berth.unsupported),
// then namespaces, capabilities, security modules, mount options and hooks it omits.
std::optional<UndeclaredField> undeclared_field(const nlohmann::json &features,
                                                const std::filesystem::path &rootfs);

} // namespace berth::check
