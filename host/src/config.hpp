// berth.yaml: where it is looked up, what it may contain, and the resolved configuration the
// rest of the host works from. Every key is checked: a typo is an error naming file, line and
// column, never a silently ignored setting.
#pragma once

#include <berth/common/error.hpp>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace berth::host {

enum class LogFormat { text, json };

struct LogSettings {
    std::string level = "warn"; // trace, debug, info, warn, error
    LogFormat format = LogFormat::text;
    std::filesystem::path file; // empty: stderr
};

// Defaults of the friendly `berth run` (engines use create, which they never reach).
struct RunSettings {
    // The network a container gets when neither --network nor its config.json chooses one
    // (config.json asks for its own network namespace, names no org.berth.network): a
    // bridge network of the default driver. Empty: loopback only, as config.json says.
    std::string network;
};

struct DriverSettings {
    // Remove the config.json fields the driver's features document does not declare (with one
    // warning naming them) instead of refusing the request.
    bool ignore_unsupported = false;
    std::string options_json = "{}"; // the driver's options map, handed to its init
};

struct Config {
    std::vector<std::filesystem::path> driver_dirs;
    std::string default_driver = "native";
    std::filesystem::path state_root = "/run/berth";
    LogSettings log;
    RunSettings run;
    std::map<std::string, DriverSettings> drivers;
    std::filesystem::path source; // the file it was read from; empty for built-in defaults

    // The settings of driver `name`, defaults when the file has none.
    DriverSettings driver(const std::string &name) const;
};

// The built-in defaults: BERTH_INSTALL_DRIVER_DIR, native, /run/berth, warn, text, stderr.
Config default_config();

// Parses berth.yaml text. `file` names the file in messages and anchors relative paths.
Result<Config> parse_config(const std::string &text, const std::filesystem::path &file);

// Reads and parses one file.
Result<Config> load_config_file(const std::filesystem::path &file);

// Where the configuration comes from: the first of `explicit_path` (-c), `env_path`
// ($BERTH_CONFIG), `system_path` that applies. An explicit or environment path must exist; the
// system path is used only when present. nullopt: use the built-in defaults.
Result<std::optional<std::filesystem::path>>
locate_config(const std::string &explicit_path, const char *env_path,
              const std::filesystem::path &system_path);

// The system-wide file, BERTH_INSTALL_SYSCONF_DIR/berth/berth.yaml.
std::filesystem::path system_config_path();

// Log level names, in increasing severity.
const std::vector<std::string> &log_level_names();
bool is_log_level(const std::string &name);

} // namespace berth::host
