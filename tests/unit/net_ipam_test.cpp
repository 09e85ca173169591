#include "net_ipam.hpp"
#include "net_lock.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>

using namespace berth::native;
namespace fs = std::filesystem;

namespace {

struct TempDir {
    fs::path path = fs::temp_directory_path() / ("berth-ipam-" + std::to_string(getpid()));
    TempDir() { fs::remove_all(path); }
    ~TempDir() { fs::remove_all(path); }
};

NetworkConfig small_network() {
    NetworkConfig n;
    n.name = "small";
    n.bridge = "brsmall";
    n.subnet = *parse_ipv4_prefix("10.213.7.0/29", "subnet");
    n.gateway = *parse_ipv4("10.213.7.1");
    return n;
}

} // namespace

TEST_CASE("leases hand out each host address of the subnet once, never the gateway",
          "[unit]") {
    TempDir tmp;
    LeaseStore store(tmp.path, small_network());
    std::vector<std::string> got;
    for (int i = 0; i < 5; ++i) {
        Lease l;
        l.container = "c" + std::to_string(i);
        l.state_dir = tmp.path / l.container;
        auto a = store.allocate(l);
        REQUIRE(a);
        got.push_back(a->str());
    }
    CHECK(got == std::vector<std::string>{"10.213.7.2", "10.213.7.3", "10.213.7.4",
                                          "10.213.7.5", "10.213.7.6"});
    Lease extra;
    extra.container = "c5";
    auto none = store.allocate(extra);
    REQUIRE_FALSE(none);
    CHECK(none.error().render() ==
          "network small: no free address left in subnet 10.213.7.0/29 `" +
              (tmp.path / "small" / "leases").string() +
              "` (hint: delete containers of this network or give it a larger subnet in "
              "berth.yaml)");
}

TEST_CASE("a released address is handed out again and leases list what they hold", "[unit]") {
    TempDir tmp;
    LeaseStore store(tmp.path, small_network());
    Lease a;
    a.container = "a";
    a.state_dir = "/nonexistent/a";
    a.veth = "vb00000001";
    a.ports = *parse_publish("8080:80/tcp");
    REQUIRE(store.allocate(a));
    Lease b;
    b.container = "b";
    REQUIRE(store.allocate(b));
    CHECK(*store.release(a.address, "b") == false);
    REQUIRE(*store.release(a.address, "a") == true);
    CHECK(*store.release(a.address, "a") == false);
    Lease c;
    c.container = "c";
    auto again = store.allocate(c);
    REQUIRE(again);
    CHECK(again->str() == "10.213.7.2");
    auto all = store.list();
    REQUIRE(all);
    REQUIRE(all->size() == 2);
    CHECK((*all)[0].container == "c");
    CHECK((*all)[1].container == "b");
}

TEST_CASE("the network lock removes its directory only when empty", "[unit]") {
    TempDir tmp;
    fs::path root = tmp.path / "net";
    {
        auto lock = NetworkLock::acquire(root);
        REQUIRE(lock);
        fs::create_directories(root / "x");
        lock->remove_root_if_empty();
        CHECK(fs::exists(root));
        fs::remove(root / "x");
        lock->remove_root_if_empty();
        CHECK_FALSE(fs::exists(root));
    }
    auto again = NetworkLock::acquire(root);
    REQUIRE(again);
    CHECK(fs::exists(root));
}
