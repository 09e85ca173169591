// One driver loaded into the host: owns the shared object and the driver instance, and turns
// each C operation into a Result carrying the driver's own message.
#pragma once

#include <berth/common/error.hpp>
#include <berth/driver.h>

#include <memory>
#include <string>
#include <vector>

namespace berth::host {

class LoadedDriver {
public:
    virtual ~LoadedDriver() = default; // deinit, then unload

    virtual const std::string &name() const = 0;
    virtual const std::string &version() const = 0;
    virtual const std::string &path() const = 0;
    virtual uint32_t abi_minor() const = 0;

    // Empty: usable; otherwise the probe's reason.
    virtual Result<std::string> probe() = 0;
    virtual Result<std::string> features() = 0; // OCI features.json text
    virtual Result<berth_create_result> create(const berth_create_request &req) = 0;
    virtual Result<> start(const berth_container_ref &ref) = 0;
    virtual Result<berth_state_result> state(const berth_container_ref &ref) = 0;
    virtual Result<> kill(const berth_container_ref &ref, int signal, bool all) = 0;
    virtual Result<> destroy(const berth_container_ref &ref, bool force) = 0;
    virtual Result<berth_exec_result> exec(const berth_exec_request &req) = 0;
    virtual Result<> pause(const berth_container_ref &ref) = 0;
    virtual Result<> resume(const berth_container_ref &ref) = 0;
    virtual Result<std::vector<int>> pids(const berth_container_ref &ref) = 0;
    virtual Result<std::string> stats(const berth_container_ref &ref) = 0;
};

} // namespace berth::host
