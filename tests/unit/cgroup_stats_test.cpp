#include "cgroup_stats.hpp"

#include <catch2/catch.hpp>

using namespace berth::native;

TEST_CASE("v2 cpu.stat becomes runc's cpu statistics in nanoseconds", "[unit]") {
    auto cpu = cpu_stats_v2("usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n"
                            "nr_periods 10\nnr_throttled 2\nthrottled_usec 30\n");
    REQUIRE(cpu["usage"]["total"] == 1500000);
    REQUIRE(cpu["usage"]["user"] == 1000000);
    REQUIRE(cpu["usage"]["kernel"] == 500000);
    REQUIRE(cpu["throttling"]["periods"] == 10);
    REQUIRE(cpu["throttling"]["throttled_periods"] == 2);
    REQUIRE(cpu["throttling"]["throttled_time"] == 30000);
}

TEST_CASE("v1 cpuacct files become runc's cpu statistics in nanoseconds", "[unit]") {
    auto cpu = cpu_stats_v1("123456789\n", "100 200 \n", "user 3\nsystem 1\n",
                            "nr_periods 4\nnr_throttled 1\nthrottled_time 999\n", 100);
    REQUIRE(cpu["usage"]["total"] == 123456789);
    REQUIRE(cpu["usage"]["percpu"] == nlohmann::json::array({100, 200}));
    REQUIRE(cpu["usage"]["user"] == 30000000);
    REQUIRE(cpu["usage"]["kernel"] == 10000000);
    REQUIRE(cpu["throttling"]["throttled_time"] == 999);
}
