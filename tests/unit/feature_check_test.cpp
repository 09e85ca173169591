#include "feature_check.hpp"

#include <catch2/catch.hpp>

using berth::host::strip_fields;
using berth::host::unsupported_fields;
using nlohmann::json;

namespace {

// A spec shaped like `runc spec` output, trimmed to what the checks look at.
json default_spec() {
    return json::parse(R"({
      "ociVersion": "1.0.2",
      "process": {
        "args": ["sh"],
        "capabilities": {
          "bounding": ["CAP_AUDIT_WRITE", "CAP_KILL"],
          "effective": ["CAP_AUDIT_WRITE", "CAP_KILL"],
          "permitted": ["CAP_AUDIT_WRITE", "CAP_KILL"]
        }
      },
      "hostname": "berth",
      "mounts": [
        {"destination": "/proc", "type": "proc", "source": "proc"},
        {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
         "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]}
      ],
      "linux": {
        "resources": {"devices": [{"allow": false, "access": "rwm"}]},
        "namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "mount"}],
        "maskedPaths": ["/proc/kcore"]
      }
    })");
}

// What a full-featured driver declares for the spec above.
json full_features() {
    return json::parse(R"({
      "ociVersionMin": "1.0.0",
      "ociVersionMax": "1.2.0",
      "hooks": ["prestart", "poststop"],
      "mountOptions": ["nosuid", "strictatime", "ro"],
      "linux": {
        "namespaces": ["pid", "network", "mount", "user"],
        "capabilities": ["CAP_AUDIT_WRITE", "CAP_KILL"],
        "cgroup": {"v1": true, "v2": true},
        "seccomp": {"enabled": true, "actions": ["SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO"],
                    "operators": ["SCMP_CMP_EQ"], "archs": ["SCMP_ARCH_X86_64"]},
        "apparmor": {"enabled": true},
        "selinux": {"enabled": false}
      }
    })");
}

} // namespace

TEST_CASE("a spec within the declared features passes", "[unit]") {
    REQUIRE(unsupported_fields(default_spec(), full_features()).empty());
}

TEST_CASE("undeclared namespaces, capabilities and mount options are named", "[unit]") {
    json features = full_features();
    features["linux"]["namespaces"] = {"mount"};
    features["linux"]["capabilities"] = {"CAP_KILL"};
    features["mountOptions"] = {"strictatime"};
    REQUIRE(unsupported_fields(default_spec(), features) ==
            std::vector<std::string>{"mounts[/dev].options[nosuid]", "linux.namespaces[pid]",
                                     "linux.namespaces[network]",
                                     "process.capabilities[CAP_AUDIT_WRITE]"});
}

TEST_CASE("a driver without features declares nothing: everything asked for is named",
          "[unit]") {
    json features = {{"ociVersionMin", "1.0.0"}, {"ociVersionMax", "1.2.0"}};
    REQUIRE(unsupported_fields(default_spec(), features) ==
            std::vector<std::string>{
                "mounts[/dev].options[nosuid]", "mounts[/dev].options[strictatime]",
                "linux.namespaces[pid]", "linux.namespaces[network]", "linux.namespaces[mount]",
                "process.capabilities[CAP_AUDIT_WRITE]", "process.capabilities[CAP_KILL]",
                "linux.resources.devices"});
}

TEST_CASE("cgroup resources need cgroup v1 or v2, unified needs v2", "[unit]") {
    json spec = default_spec();
    spec["linux"]["resources"]["memory"] = {{"limit", 1048576}};
    spec["linux"]["resources"]["unified"] = {{"memory.high", "1M"}};
    json features = full_features();
    features["linux"]["cgroup"] = {{"v1", true}, {"v2", false}};
    REQUIRE(unsupported_fields(spec, features) ==
            std::vector<std::string>{"linux.resources.unified"});
    features["linux"]["cgroup"] = nullptr;
    REQUIRE(unsupported_fields(spec, features) ==
            std::vector<std::string>{"linux.resources.devices", "linux.resources.memory",
                                     "linux.resources.unified"});
}

TEST_CASE("seccomp, AppArmor, SELinux and hooks are checked against the features", "[unit]") {
    json spec = default_spec();
    spec["linux"]["seccomp"] = json::parse(R"({"defaultAction": "SCMP_ACT_ERRNO",
        "architectures": ["SCMP_ARCH_X86_64"],
        "syscalls": [{"names": ["ptrace"], "action": "SCMP_ACT_TRACE",
                      "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_GT"}]}]})");
    spec["process"]["apparmorProfile"] = "berth-default";
    spec["process"]["selinuxLabel"] = "system_u:system_r:container_t:s0";
    spec["hooks"] = json::parse(R"({"prestart": [{"path": "/bin/true"}],
                                    "createRuntime": [{"path": "/bin/true"}]})");
    json features = full_features();
    REQUIRE(unsupported_fields(spec, features) ==
            std::vector<std::string>{"hooks.createRuntime", "linux.seccomp.action[SCMP_ACT_TRACE]",
                                     "linux.seccomp.operator[SCMP_CMP_GT]",
                                     "process.selinuxLabel"});
    features["linux"]["seccomp"]["enabled"] = false;
    features["linux"]["apparmor"] = nullptr;
    REQUIRE(unsupported_fields(spec, features) ==
            std::vector<std::string>{"hooks.createRuntime", "linux.seccomp",
                                     "process.apparmorProfile", "process.selinuxLabel"});
}

TEST_CASE("fields a driver disowns in org.berth.unsupported are named when the spec uses them",
          "[unit]") {
    json features = full_features();
    features["annotations"]["org.berth.unsupported"] =
        R"(["hostname", "linux.sysctl", "linux.maskedPaths", "linux.namespaces"])";
    REQUIRE(unsupported_fields(default_spec(), features) ==
            std::vector<std::string>{"hostname", "linux.maskedPaths", "linux.namespaces"});
}

TEST_CASE("a disowned field replaces the details found below it", "[unit]") {
    json features = full_features();
    features["linux"]["namespaces"] = json::array();
    features["annotations"]["org.berth.unsupported"] = json::array({"linux.namespaces"});
    REQUIRE(unsupported_fields(default_spec(), features) ==
            std::vector<std::string>{"linux.namespaces"});
}

TEST_CASE("a spec of a newer OCI minor than the driver knows is named", "[unit]") {
    json spec = default_spec();
    spec["ociVersion"] = "1.3.0";
    REQUIRE(unsupported_fields(spec, full_features()) == std::vector<std::string>{"ociVersion"});
    spec["ociVersion"] = "1.2.1";
    REQUIRE(unsupported_fields(spec, full_features()).empty());
}

TEST_CASE("stripping the named fields leaves a spec the driver supports", "[unit]") {
    json spec = default_spec();
    spec["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_KILL"}};
    json features = {{"ociVersionMin", "1.0.0"}, {"ociVersionMax", "1.2.0"},
                     {"mountOptions", {"strictatime"}},
                     {"annotations", {{"org.berth.unsupported", R"(["hostname"])"}}}};
    auto fields = unsupported_fields(spec, features);
    strip_fields(spec, fields);
    REQUIRE(unsupported_fields(spec, features).empty());
    REQUIRE_FALSE(spec.contains("hostname"));
    REQUIRE_FALSE(spec["linux"].contains("seccomp"));
    REQUIRE(spec["linux"]["namespaces"] == json::array());
    REQUIRE(spec["mounts"][1]["options"] == json({"strictatime", "mode=755", "size=65536k"}));
    REQUIRE(spec["process"]["capabilities"]["bounding"] == json::array());
    REQUIRE(spec["linux"]["maskedPaths"] == json({"/proc/kcore"}));
}

TEST_CASE("stripping one namespace keeps the others", "[unit]") {
    json spec = default_spec();
    strip_fields(spec, {"linux.namespaces[network]", "linux.sysctl[net.ipv4.ip_forward]"});
    REQUIRE(spec["linux"]["namespaces"] == json::parse(R"([{"type": "pid"}, {"type": "mount"}])"));
}
