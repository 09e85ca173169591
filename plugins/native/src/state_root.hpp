// Where the driver keeps what belongs to the whole state root rather than to one container
// (network leases, the record of parent cgroups it made): the host gives the driver each
// container's private directory, <state root>/<id>/driver, and the root is two levels up.
#pragma once

#include <filesystem>

namespace berth::native {

inline std::filesystem::path state_root_of(const std::filesystem::path &state_dir) {
    std::filesystem::path dir = state_dir.lexically_normal();
    if (!dir.has_filename()) // a trailing '/'
        dir = dir.parent_path();
    return dir.parent_path().parent_path();
}

} // namespace berth::native
