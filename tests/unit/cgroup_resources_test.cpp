#include "cgroup_resources.hpp"

#include <catch2/catch.hpp>

using namespace berth::native;
using nlohmann::json;

namespace {

// Versions as a host of each kind serves them.
int all_v1(std::string_view c) { return c == "hugetlb" || c == "io" ? 0 : 1; }
int all_v2(std::string_view c) { return c == "net_cls" ? 0 : 2; }
// The CI machine: every controller on v1 except hugetlb, which only the cgroup2 tree has.
int hybrid(std::string_view c) { return c == "hugetlb" ? 2 : c == "io" ? 0 : 1; }

std::vector<CgroupWrite> writes_for(const json &resources, ControllerVersion v,
                                    std::string_view controller) {
    auto plan = plan_resources(resources, v);
    REQUIRE(plan);
    std::vector<CgroupWrite> out;
    for (const auto &w : plan->writes)
        if (w.controller == controller)
            out.push_back(w);
    return out;
}

std::string error_of(const json &resources, ControllerVersion v) {
    auto plan = plan_resources(resources, v);
    REQUIRE_FALSE(plan);
    return plan.error().render();
}

} // namespace

TEST_CASE("cpu shares convert to weight and back on the standard linear scale", "[unit]") {
    REQUIRE(cpu_shares_to_weight(2) == 1);
    REQUIRE(cpu_shares_to_weight(1024) == 39);
    REQUIRE(cpu_shares_to_weight(262144) == 10000);
    REQUIRE(cpu_shares_to_weight(0) == 0);
    REQUIRE(cpu_shares_to_weight(1) == 1);
    REQUIRE(cpu_weight_to_shares(1) == 2);
    REQUIRE(cpu_weight_to_shares(10000) == 262144);
    REQUIRE(cpu_weight_to_shares(100) == 2597);
    REQUIRE(cpu_shares_to_weight(2597) == 99); // integer steps make the pair lossy
}

TEST_CASE("OCI memory plus swap becomes v2's swap alone", "[unit]") {
    REQUIRE(swap_max_v2(300, 100).value() == 200);
    REQUIRE(swap_max_v2(-1, 100).value() == -1);
    REQUIRE(swap_max_v2(0, 100).value() == 0);
    REQUIRE(swap_max_v2(0, -1).value() == -1);
    REQUIRE(swap_max_v2(50, 100).error().render() ==
            "linux.resources.memory.swap (50) is below memory.limit (100); it counts memory plus "
            "swap");
    REQUIRE(swap_max_v2(300, 0).error().render() ==
            "linux.resources.memory.swap needs memory.limit to be set");
}

TEST_CASE("memory settings go to the v1 files with the limit before memsw", "[unit]") {
    json r = {{"memory", {{"limit", 1048576}, {"swap", 2097152}, {"reservation", 524288}}}};
    auto w = writes_for(r, all_v1, "memory");
    REQUIRE(w == std::vector<CgroupWrite>{
                     {"memory", "memory.limit_in_bytes", "1048576", "memory.limit"},
                     {"memory", "memory.memsw.limit_in_bytes", "2097152", "memory.swap"},
                     {"memory", "memory.soft_limit_in_bytes", "524288", "memory.reservation"}});
}

TEST_CASE("memory settings go to memory.max, memory.swap.max and memory.low on v2", "[unit]") {
    json r = {{"memory", {{"limit", 1048576}, {"swap", 3145728}, {"reservation", 524288}}}};
    auto w = writes_for(r, all_v2, "memory");
    REQUIRE(w == std::vector<CgroupWrite>{
                     {"memory", "memory.max", "1048576", "memory.limit"},
                     {"memory", "memory.swap.max", "2097152", "memory.swap"},
                     {"memory", "memory.low", "524288", "memory.reservation"}});
    auto unlimited = writes_for({{"memory", {{"limit", -1}}}}, all_v2, "memory");
    REQUIRE(unlimited == std::vector<CgroupWrite>{
                             {"memory", "memory.max", "max", "memory.limit"},
                             {"memory", "memory.swap.max", "max", "memory.swap"}});
}

TEST_CASE("cpu settings become cpu.shares and cfs files on v1, cpu.weight and cpu.max on v2",
          "[unit]") {
    json r = {{"cpu", {{"shares", 1024}, {"quota", 50000}, {"period", 100000},
                       {"cpus", "0"}, {"mems", "0"}}}};
    REQUIRE(writes_for(r, all_v1, "cpu") ==
            std::vector<CgroupWrite>{{"cpu", "cpu.shares", "1024", "cpu.shares"},
                                     {"cpu", "cpu.cfs_period_us", "100000", "cpu.period"},
                                     {"cpu", "cpu.cfs_quota_us", "50000", "cpu.quota"}});
    REQUIRE(writes_for(r, all_v2, "cpu") ==
            std::vector<CgroupWrite>{{"cpu", "cpu.weight", "39", "cpu.shares"},
                                     {"cpu", "cpu.max", "50000 100000", "cpu.quota"}});
    REQUIRE(writes_for(r, all_v2, "cpuset") ==
            std::vector<CgroupWrite>{{"cpuset", "cpuset.cpus", "0", "cpu.cpus"},
                                     {"cpuset", "cpuset.mems", "0", "cpu.mems"}});
    REQUIRE(writes_for({{"cpu", {{"period", 20000}}}}, all_v2, "cpu") ==
            std::vector<CgroupWrite>{{"cpu", "cpu.max", "max 20000", "cpu.period"}});
}

TEST_CASE("a pids limit becomes pids.max, and a non-positive one max", "[unit]") {
    REQUIRE(writes_for({{"pids", {{"limit", 42}}}}, all_v1, "pids") ==
            std::vector<CgroupWrite>{{"pids", "pids.max", "42", "pids.limit"}});
    REQUIRE(writes_for({{"pids", {{"limit", -1}}}}, all_v2, "pids") ==
            std::vector<CgroupWrite>{{"pids", "pids.max", "max", "pids.limit"}});
}

TEST_CASE("hugetlb limits use the version that serves hugetlb on a hybrid host", "[unit]") {
    json r = {{"hugepageLimits", {{{"pageSize", "2MB"}, {"limit", 4194304}}}}};
    REQUIRE(writes_for(r, hybrid, "hugetlb") ==
            std::vector<CgroupWrite>{{"hugetlb", "hugetlb.2MB.max", "4194304",
                                      "hugepageLimits[0]"}});
    auto plan = plan_resources(r, hybrid);
    REQUIRE(plan->controllers.at("hugetlb") == "hugepageLimits");
}

TEST_CASE("a controller the resources need but the host lacks is an error naming it", "[unit]") {
    json r = {{"hugepageLimits", {{{"pageSize", "2MB"}, {"limit", 4194304}}}}};
    auto plan = plan_resources(r, all_v1);
    REQUIRE_FALSE(plan);
    REQUIRE(plan.error().code == BERTH_E_UNAVAILABLE);
    REQUIRE(plan.error().render() ==
            "cgroup controller hugetlb not available (linux.resources.hugepageLimits needs it) "
            "(hint: enable the hugetlb controller on this host or remove "
            "linux.resources.hugepageLimits from the spec)");
}

TEST_CASE("resource fields the driver cannot honour are refused by name", "[unit]") {
    REQUIRE(error_of({{"blockIO", {{"weight", 100}}}}, all_v1) ==
            "linux.resources.blockIO is not supported: the native driver does not implement it");
    REQUIRE(error_of({{"memory", {{"swappiness", 10}}}}, all_v2) ==
            "linux.resources.memory.swappiness is not supported: cgroup v2 has no such setting");
    REQUIRE(error_of({{"memory", {{"bogus", 1}}}}, all_v1) ==
            "linux.resources.memory.bogus is not supported: the native driver does not know it");
    REQUIRE(error_of({{"memory", {{"limit", "1G"}}}}, all_v1) ==
            "linux.resources.memory.limit must be an integer");
    REQUIRE(error_of({{"unified", {{"memory.high", "1G"}}}}, hybrid) ==
            "linux.resources.unified.memory.high is not supported: the memory controller is on "
            "cgroup v1 here");
    // Empty sections ask for nothing, so they are accepted.
    REQUIRE(plan_resources({{"blockIO", json::object()}, {"network", nullptr}}, all_v1));
}

TEST_CASE("unified entries become v2 writes to the named file", "[unit]") {
    REQUIRE(writes_for({{"unified", {{"memory.high", "1048576"}}}}, all_v2, "memory") ==
            std::vector<CgroupWrite>{{"memory", "memory.high", "1048576",
                                      "unified.memory.high"}});
    REQUIRE(error_of({{"unified", {{"cgroup.procs", "1"}}}}, all_v2) ==
            "linux.resources.unified.cgroup.procs is not supported: core cgroup files are the "
            "runtime's");
}

TEST_CASE("device rules become v1 writes on v1 and an eBPF rule list on v2", "[unit]") {
    json r = {{"devices", {{{"allow", true}, {"type", "c"}, {"major", 10}, {"minor", 229},
                            {"access", "rw"}}}}};
    auto v1 = writes_for(r, all_v1, "devices");
    REQUIRE(v1.size() == 13);
    REQUIRE(v1[0] == CgroupWrite{"devices", "devices.deny", "a", "devices"});
    REQUIRE(v1[1] == CgroupWrite{"devices", "devices.allow", "c 10:229 rw", "devices"});
    REQUIRE(v1[2] == CgroupWrite{"devices", "devices.allow", "c *:* m", "devices"});
    auto v2 = plan_resources(r, all_v2);
    REQUIRE(v2->writes.empty());
    REQUIRE(v2->device_program.size() == 13);
    REQUIRE(v2->device_program[1] == DeviceRule{true, 'c', 10, 229, "rw"});
}
