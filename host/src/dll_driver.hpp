// A driver loaded from a shared object with Boost.DLL: the file checks, the dlopen, ABI
// negotiation and init that make it usable, and the wrappers that turn each C operation into a
// Result carrying the driver's own message.
#pragma once

#include "host_services.hpp"
#include "loaded_driver.hpp"

#include <boost/dll/shared_library.hpp>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

namespace berth::host {

class DllDriver final : public LoadedDriver {
public:
    // Opens `file` and makes a driver instance of it, expecting the entry to call itself
    // `name` and handing it `options_json`. On failure the error's message is the bare
    // reason, without the file ("not an ELF shared object"): the caller says which file.
    // `on_phase`, when set, hears "loading" before the dynamic loader runs the file's code and
    // "init" before the driver's init, so a watcher can say where a driver crashed or hung.
    static Result<std::unique_ptr<DllDriver>>
    open(const std::filesystem::path &file, const std::string &name,
         const std::string &options_json,
         const std::function<void(const char *phase)> &on_phase = {});

    ~DllDriver() override;
    DllDriver(const DllDriver &) = delete;
    DllDriver &operator=(const DllDriver &) = delete;

    const std::string &name() const override { return name_; }
    const std::string &version() const override { return version_; }
    const std::string &path() const override { return path_; }
    uint32_t abi_minor() const override { return abi_minor_; }
    const std::string &description() const { return description_; }

    Result<std::string> probe() override;
    Result<std::string> features() override;
    Result<berth_create_result> create(const berth_create_request &req) override;
    Result<> start(const berth_container_ref &ref) override;
    Result<berth_state_result> state(const berth_container_ref &ref) override;
    Result<> kill(const berth_container_ref &ref, int signal, bool all) override;
    Result<> destroy(const berth_container_ref &ref, bool force) override;
    Result<berth_exec_result> exec(const berth_exec_request &req) override;
    Result<> pause(const berth_container_ref &ref) override;
    Result<> resume(const berth_container_ref &ref) override;
    Result<std::vector<int>> pids(const berth_container_ref &ref) override;
    Result<std::string> stats(const berth_container_ref &ref) override;

private:
    DllDriver() = default;

    // Turns a status and what the driver reported into a Result.
    Result<> check(const char *op, berth_status status, const berth_error &err) const;
    // Fails when a result struct the driver filled is too small to hold `needed` bytes.
    Result<> check_size(const char *op, uint32_t struct_size, size_t needed) const;

    // Declared first so that it is destroyed last: the code deinit runs lives in it.
    boost::dll::shared_library lib_;
    std::unique_ptr<HostServices> services_;
    const berth_driver_entry *entry_ = nullptr;
    const berth_driver *table_ = nullptr;
    std::string name_;
    std::string version_;
    std::string description_;
    std::string path_;
    uint32_t abi_minor_ = 0;
};

} // namespace berth::host
