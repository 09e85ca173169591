// What every command works with: the resolved configuration (berth.yaml plus the command
// line), the driver registry built from it, and the state store.
#pragma once

#include "cli.hpp"
#include "config.hpp"
#include "driver_registry.hpp"
#include "state_store.hpp"

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace berth::host {

struct Context {
    GlobalOptions global;
    Config config; // the file's settings with the command line's on top

    // -e, or the configured default driver.
    std::string driver_name() const;
    DriverRegistry registry() const;
    StateStore store() const { return StateStore(config.state_root); }
};

// Finds and reads the configuration and applies the global flags to it.
Result<Context> make_context(const GlobalOptions &global);

// Applies the global flags to `config`; split out for tests.
Result<> apply_flags(Config &config, const GlobalOptions &global);

// The driver directories in search order: <dir of the berth executable>/../lib/berth/drivers
// (the build tree's when berth runs from build/bin, the installed one otherwise) when it
// exists, then the configured ones, each once.
std::vector<std::filesystem::path> driver_search_dirs(const Config &config,
                                                      const std::filesystem::path &executable);

} // namespace berth::host
