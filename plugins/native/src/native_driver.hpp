// The native driver: containers on the kernel's own APIs (namespaces, cgroups, capabilities,
// seccomp, AppArmor, netlink), with no other userland program on the path.
#pragma once

#include "container_state.hpp"
#include "net_config.hpp"

#include <berth/common/driver_adapter.hpp>

#include <filesystem>
#include <string>

namespace berth::native {

struct DriverOptions {
    // Where containers' cgroups go unless the spec names an absolute cgroupsPath. Relative to
    // each hierarchy's root; "" puts them at the root itself.
    std::string cgroup_parent = "berth";
    // Bridge networks containers choose with the annotation org.berth.network.
    NetworkMap networks;
    // A directory for compiled seccomp filters (seccomp_cache.hpp); empty: every create
    // compiles its profile.
    std::filesystem::path seccomp_cache;
};

// Reads the driver's options map (JSON object text). An unknown key is an error naming it.
Result<DriverOptions> parse_options(const std::string &json_text);

// The cgroup path of a container: linux.cgroupsPath when set (relative: below cgroup_parent;
// absolute: below the hierarchy roots), else cgroup_parent/id.
Result<std::string> cgroup_path_for(const nlohmann::json &spec, const std::string &id,
                                    const DriverOptions &opts);

class NativeDriver final : public driver::DriverBase {
public:
    NativeDriver(const berth_host *host, DriverOptions opts);

    Result<std::string> probe() override;
    Result<std::string> features() override;
    Result<int> create(const driver::CreateRequest &req) override;
    Result<> start(const driver::ContainerRef &ref) override;
    Result<driver::StateInfo> state(const driver::ContainerRef &ref) override;
    Result<> kill(const driver::ContainerRef &ref, int sig, bool all) override;
    Result<> destroy(const driver::ContainerRef &ref, bool force) override;
    Result<int> exec(const driver::ExecRequest &req) override;
    Result<> pause(const driver::ContainerRef &ref) override;
    Result<> resume(const driver::ContainerRef &ref) override;
    Result<std::vector<int>> pids(const driver::ContainerRef &ref) override;
    Result<std::string> stats(const driver::ContainerRef &ref) override;

private:
    // Warns once per container when its cgroup saw an OOM kill; true if it did.
    bool report_oom(const driver::ContainerRef &ref, const ContainerState &st);
    Result<berth_container_status> status_of(const driver::ContainerRef &ref,
                                             const ContainerState &st);

    DriverOptions opts_;
};

} // namespace berth::native
