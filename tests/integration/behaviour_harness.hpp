// Drives an execution driver through its C ABI with a minimal host of the test's own, so the
// behaviour suite runs against every driver in the table (native, lxc, chroot) exactly as the
// berth host would call it. A driver that is not built, not usable here, or does not claim a
// feature in its features document makes the test skip with the reason.
#pragma once

#include "support/test_support.hpp"

#include <berth/driver.h>

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

namespace berth::test {

struct Drivers {
    struct Native { static constexpr const char *name = "native"; };
    struct Lxc { static constexpr const char *name = "lxc"; };
    struct Chroot { static constexpr const char *name = "chroot"; };
};

struct Outcome {
    berth_status code = BERTH_OK;
    std::string message;
    explicit operator bool() const { return code == BERTH_OK; }
};

class AbiDriver {
public:
    // Loads NAME.so from the build's driver directory; skips the test when it is missing or
    // its probe says it is unusable here.
    static std::unique_ptr<AbiDriver> load_or_skip(const std::string &name,
                                                   const std::string &options = "{}");
    ~AbiDriver();

    const std::string &name() const { return name_; }
    nlohmann::json features();
    // Skips unless the features document claims namespace `ns`.
    void require_namespace(const std::string &ns);
    // Skips unless the driver claims cgroup support and does not list `field` as unsupported.
    void require_cgroup_field(const std::string &field);
    bool lists_unsupported(const std::string &field);
    // Removes from `spec` every field the driver lists as unsupported, as the host does for a
    // driver configured with ignore_unsupported: the driver is asked for what it claims.
    void strip_unsupported(nlohmann::json &spec);

    Outcome probe(std::string *reason = nullptr);

    // One container: id, state dir under the sandbox, bundle.
    struct Container {
        std::string id;
        std::string bundle;
        std::string state_dir;
        int pid = 0;
        berth_container_ref ref() const;
    };
    Container container(Sandbox &sb, const std::string &name, const std::string &bundle);

    Outcome create(Container &c, int in = -1, int out = -1, int err = -1);
    Outcome start(const Container &c);
    Outcome state(const Container &c, berth_state_result *out);
    Outcome kill(const Container &c, int sig, bool all = false);
    Outcome destroy(const Container &c, bool force);
    Outcome exec(const Container &c, const nlohmann::json &process, int *pid, int in = -1,
                 int out = -1, int err = -1);
    Outcome pause(const Container &c);
    Outcome resume(const Container &c);
    Outcome pids(const Container &c, std::vector<int> *out);

    // Waits for a child (container init or exec'd process); 128+signal when killed.
    static int wait_exit(int pid, int timeout_s = 30);

private:
    AbiDriver() = default;
    std::string name_;
    void *handle_ = nullptr;
    const berth_driver *driver_ = nullptr;
    const berth_driver_entry *entry_ = nullptr;
    std::unique_ptr<berth_host> host_;
};

// `berth spec`-like defaults for a bundle: the usual namespaces, mounts, capabilities and
// hostname, so a behaviour test asks each driver for the same ordinary container.
void standard_spec(nlohmann::json &spec);

// Reads everything from `fd` until EOF or `timeout_ms` of silence.
std::string read_all(int fd, int timeout_ms = 10000);

} // namespace berth::test
