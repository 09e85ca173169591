#include "negotiation.hpp"

#include <catch2/catch.hpp>

using berth::host::MinorRange;
using berth::host::negotiate;

namespace {

// The range the fake driver below speaks; its negotiate picks the highest common minor.
uint32_t g_min = 0, g_max = 0;
int32_t g_forced = -2; // when >= -1, negotiate answers this instead

int32_t fake_negotiate(uint32_t host_min, uint32_t host_max) {
    if (g_forced >= -1)
        return g_forced;
    uint32_t lo = std::max(host_min, g_min), hi = std::min(host_max, g_max);
    return lo <= hi ? static_cast<int32_t>(hi) : -1;
}

berth_status fake_init(const berth_host *, const char *, const berth_driver **, berth_error *) {
    return BERTH_E_FAILED;
}
void fake_deinit(const berth_driver *) {}

berth_driver_entry entry_speaking(uint32_t min, uint32_t max) {
    g_min = min;
    g_max = max;
    g_forced = -2;
    berth_driver_entry e{};
    e.struct_size = sizeof e;
    e.abi_major = BERTH_ABI_MAJOR;
    e.name = "fake";
    e.version = "1.0";
    e.description = "fake";
    e.negotiate = fake_negotiate;
    e.min_minor = min;
    e.max_minor = max;
    e.init = fake_init;
    e.deinit = fake_deinit;
    return e;
}

} // namespace

TEST_CASE("a driver of the same minor negotiates that minor", "[unit]") {
    auto e = entry_speaking(0, 0);
    auto r = negotiate(&e, "fake", MinorRange{0, 0});
    REQUIRE(r.has_value());
    REQUIRE(*r == 0);
}

TEST_CASE("a newer driver settles on the newest minor the host speaks", "[unit]") {
    auto e = entry_speaking(0, 5);
    auto r = negotiate(&e, "fake", MinorRange{0, 3});
    REQUIRE(r.has_value());
    REQUIRE(*r == 3);
}

TEST_CASE("an older driver keeps its own newest minor", "[unit]") {
    auto e = entry_speaking(0, 1);
    auto r = negotiate(&e, "fake", MinorRange{0, 3});
    REQUIRE(r.has_value());
    REQUIRE(*r == 1);
}

TEST_CASE("this berth offers the minors of the header it was built with", "[unit]") {
    auto e = entry_speaking(0, BERTH_ABI_MINOR);
    auto r = negotiate(&e, "fake");
    REQUIRE(r.has_value());
    REQUIRE(*r == BERTH_ABI_MINOR);
}

TEST_CASE("no common minor shows both ranges", "[unit]") {
    auto e = entry_speaking(3, 5);
    auto r = negotiate(&e, "fake", MinorRange{0, 0});
    REQUIRE_FALSE(r.has_value());
    REQUIRE(r.error().code == BERTH_E_VERSION);
    REQUIRE(r.error().render() == "driver fake speaks ABI 1.3-1.5, this berth speaks 1.0-1.0: use "
                                  "a driver and a berth with a common ABI version");
}

TEST_CASE("a wrong major shows both majors", "[unit]") {
    auto e = entry_speaking(0, 0);
    e.abi_major = 2;
    auto r = negotiate(&e, "fake");
    REQUIRE_FALSE(r.has_value());
    REQUIRE(r.error().render() == "driver fake speaks ABI major 2, this berth speaks ABI major 1: "
                                  "install a build of the driver for ABI 1");
}

TEST_CASE("a driver that picks a minor the host did not offer is a driver bug", "[unit]") {
    auto e = entry_speaking(0, 9);
    g_forced = 7;
    auto r = negotiate(&e, "fake", MinorRange{0, 2});
    REQUIRE_FALSE(r.has_value());
    REQUIRE(r.error().render() == "driver fake picked ABI 1.7, outside the offered 1.0-1.2 (a "
                                  "driver bug)");
}

TEST_CASE("an entry struct too small for ABI 1.0 is refused before any field is read",
          "[unit]") {
    auto e = entry_speaking(0, 0);
    e.struct_size = offsetof(berth_driver_entry, negotiate);
    auto r = negotiate(&e, "fake");
    REQUIRE_FALSE(r.has_value());
    REQUIRE(r.error().render() ==
            "driver fake: entry struct of " + std::to_string(e.struct_size) +
                " bytes is smaller than the " + std::to_string(sizeof(berth_driver_entry)) +
                " bytes of ABI 1.0 (a driver bug)");
}

TEST_CASE("an entry with a NULL required field is a driver bug", "[unit]") {
    auto e = entry_speaking(0, 0);
    e.init = nullptr;
    auto r = negotiate(&e, "fake");
    REQUIRE_FALSE(r.has_value());
    REQUIRE(r.error().render() ==
            "driver fake: entry struct leaves a required field NULL (a driver bug)");
}
