// Finding execution drivers on disk and loading the one a request needs.
#pragma once

#include "loaded_driver.hpp"

#include <berth/common/error.hpp>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace berth::host {

// What `berth drivers` shows for one file found in a driver directory.
struct DriverInfo {
    enum class Status { usable, unusable, broken };

    std::string name;        // from the file name NAME.so (and the entry, once loaded)
    std::filesystem::path path;
    Status status = Status::broken;
    std::string reason;      // unusable: the probe's reason; broken: why it failed to load
    std::string version;     // empty when the file could not be loaded
    std::string description;
    uint32_t abi_major = 0;  // as negotiated; 0 when not loaded
    uint32_t abi_minor = 0;
};

struct RegistryOptions {
    std::vector<std::filesystem::path> dirs; // searched in order
    // Per-driver options from berth.yaml, as JSON object text, by driver name.
    std::map<std::string, std::string> driver_options;
    // How long list() waits for a driver file's check before calling it hung.
    std::chrono::milliseconds list_timeout{5000};
};

class DriverRegistry {
public:
    explicit DriverRegistry(RegistryOptions opts);

    // Names of every NAME.so in the directories, without loading any code. A name found in
    // two directories is listed once (the first); list() reports the duplicate.
    std::vector<std::string> names() const;

    // Every driver file found, each loaded and probed in a child process of its own with a
    // deadline, so a file that crashes or hangs in its loader or init is reported as broken
    // and never takes berth down.
    std::vector<DriverInfo> list() const;

    // Loads, negotiates, initialises and returns the driver `name` in this process. Only that
    // one file is opened. Errors name the file and the reason (unknown driver lists the
    // available ones).
    Result<std::unique_ptr<LoadedDriver>> load(const std::string &name) const;

private:
    RegistryOptions opts_;
};

} // namespace berth::host
