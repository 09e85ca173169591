// Starting a container: a child of the calling process that waits at the start barrier and
// then becomes systemd-nspawn.
#pragma once

#include "container_files.hpp"
#include "nspawn_command.hpp"

#include <string>
#include <vector>

namespace nspawn_driver {

struct LaunchPlan {
    NspawnCommand command;
    std::string state_dir;
    std::vector<std::string> cgroups; // the container's cgroups, created already
    int stdio[3] = {-1, -1, -1};      // -1: /dev/null
    bool detached = false;
};

// Forks the container's process and waits until it is held at the barrier (so every setup
// failure is reported here). Returns its pid and start time. Throws berth::sdk::Failure after
// reaping the child when it failed.
Record launch(const LaunchPlan &plan);

} // namespace nspawn_driver
