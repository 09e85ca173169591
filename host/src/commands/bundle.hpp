// Reading an OCI bundle's config.json with the checks every driver relies on.
#pragma once

#include <berth/common/error.hpp>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

namespace berth::host {

// Parses config.json text; `file` names it in messages ("FILE:LINE:COL: invalid JSON: ...").
// Checks that ociVersion is a string, process.args a non-empty array of strings and root.path a
// non-empty string.
Result<nlohmann::json> parse_bundle_config(const std::string &text,
                                           const std::filesystem::path &file);

// Reads <bundle>/config.json; `bundle` must be an existing directory.
Result<nlohmann::json> read_bundle_config(const std::filesystem::path &bundle);

} // namespace berth::host
