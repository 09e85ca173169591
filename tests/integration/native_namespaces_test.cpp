// The native driver's namespaces, observed from inside real containers: uts, network with
// loopback up, user namespaces with their id maps, the cgroup namespace, and namespaces
// joined by path from another container.
#include "native_test_client.hpp"

#include <catch2/catch.hpp>

#include <net/if.h>

using namespace berth::test;

namespace {

// Runs a container of `bundle` to completion; returns its stdout and checks its exit status.
std::string run_container(Sandbox &sb, NativeClient &d, const std::string &name,
                          const berth::test::fs::path &bundle) {
    auto c = d.container(sb, name, bundle);
    Pipe out;
    auto o = d.create(c, -1, out.w, out.w);
    INFO(o.message);
    REQUIRE(o);
    out.close_write();
    REQUIRE(d.start(c));
    std::string text = out.read_all();
    CHECK(NativeClient::wait_exit(c.pid) == 0);
    REQUIRE(d.destroy(c, false));
    return text;
}

} // namespace

TEST_CASE("native driver gives the container the spec's hostname in its own uts namespace",
          "[root]") {
    require_native();
    Sandbox sb;
    NativeClient d;
    auto b = native_bundle(sb, "uts", {"hostname"}, [](json &s) { s["hostname"] = "berth-box"; });
    CHECK(run_container(sb, d, "uts", b) == "berth-box\n");
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    CHECK(std::string(host) != "berth-box");
    CHECK(sb.leftovers().empty());
}

TEST_CASE("native driver brings up loopback and nothing else in a new network namespace",
          "[root][net]") {
    require_native();
    Sandbox sb;
    NativeClient d;
    auto b = native_bundle(
        sb, "net", {"sh", "-c", "ls /sys/class/net; cat /sys/class/net/lo/flags"}, [](json &s) {
            s["mounts"].push_back({{"destination", "/sys"},
                                   {"type", "sysfs"},
                                   {"source", "sysfs"},
                                   {"options", {"ro", "nosuid", "nodev"}}});
        });
    std::string text = run_container(sb, d, "net", b);
    std::istringstream lines(text);
    std::string names, flags;
    std::getline(lines, names);
    std::getline(lines, flags);
    INFO(text);
    CHECK(names == "lo");
    REQUIRE(flags.rfind("0x", 0) == 0);
    CHECK((std::stoul(flags, nullptr, 16) & IFF_UP) != 0);
    CHECK(sb.leftovers().empty());
}

TEST_CASE("native driver maps the spec's user namespace ids, seen in /proc/self/uid_map",
          "[root]") {
    require_native();
    if (!berth::test::fs::exists("/proc/self/ns/user"))
        skip("kernel without user namespaces");
    Sandbox sb;
    NativeClient d;
    auto b = native_bundle(
        sb, "userns",
        {"sh", "-c",
         "cat /proc/self/uid_map "
         "/proc/self/gid_map; id -u"},
        [](json &s) {
            s["linux"]["namespaces"].push_back({{"type", "user"}});
            s["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 200000}, {"size", 65536}}};
            s["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 300000}, {"size", 65536}}};
            // The /dev tmpfs stays: in a user namespace the driver
            // binds the host's device nodes onto files made in it.
        });
    std::string text = run_container(sb, d, "userns", b);
    std::istringstream lines(text);
    std::string uid_map, gid_map, uid;
    std::getline(lines, uid_map);
    std::getline(lines, gid_map);
    std::getline(lines, uid);
    INFO(text);
    auto fields = [](const std::string &l) {
        std::istringstream ls(l);
        std::vector<std::string> f;
        for (std::string x; ls >> x;)
            f.push_back(x);
        return f;
    };
    CHECK(fields(uid_map) == std::vector<std::string>{"0", "200000", "65536"});
    CHECK(fields(gid_map) == std::vector<std::string>{"0", "300000", "65536"});
    CHECK(uid == "0");
    CHECK(sb.leftovers().empty());
}

TEST_CASE("native driver roots the container's cgroup namespace at its own cgroup",
          "[root][cgroup1]") {
    require_native();
    Sandbox sb;
    NativeClient d;
    auto b = native_bundle(sb, "cgns", {"cat", "/proc/self/cgroup"}, [](json &s) {
        s["linux"]["namespaces"].push_back({{"type", "cgroup"}});
    });
    std::string text = run_container(sb, d, "cgns", b);
    INFO(text);
    std::istringstream lines(text);
    int seen = 0;
    for (std::string line; std::getline(lines, line); ++seen) {
        // hierarchy-id:controllers:path, and the path of each is the namespace root.
        CHECK(line.substr(line.rfind(':') + 1) == "/");
    }
    CHECK(seen > 0);
    CHECK(sb.leftovers().empty());
}

TEST_CASE("native driver joins another container's namespaces given by path", "[root]") {
    require_native();
    Sandbox sb;
    NativeClient d;
    auto b1 =
        native_bundle(sb, "owner", {"sleep", "100"}, [](json &s) { s["hostname"] = "shared-uts"; });
    auto owner = d.container(sb, "owner", b1);
    REQUIRE(d.create(owner));
    REQUIRE(d.start(owner));

    std::string uts = "/proc/" + std::to_string(owner.pid) + "/ns/uts";
    std::string net = "/proc/" + std::to_string(owner.pid) + "/ns/net";
    auto b2 = native_bundle(sb, "joiner", {"sh", "-c", "hostname; readlink /proc/self/ns/net"},
                            [&](json &s) {
                                for (auto &ns : s["linux"]["namespaces"]) {
                                    if (ns["type"] == "uts")
                                        ns["path"] = uts;
                                    if (ns["type"] == "network")
                                        ns["path"] = net;
                                }
                            });
    std::string text = run_container(sb, d, "joiner", b2);
    char link[128] = {};
    REQUIRE(readlink(net.c_str(), link, sizeof link - 1) > 0);
    CHECK(text == "shared-uts\n" + std::string(link) + "\n");

    auto wrong = native_bundle(sb, "wrongtype", {"true"}, [&](json &s) {
        for (auto &ns : s["linux"]["namespaces"])
            if (ns["type"] == "uts")
                ns["path"] = net;
    });
    auto c = d.container(sb, "wrongtype", wrong);
    auto o = d.create(c);
    CHECK(o.code == BERTH_E_INVALID_SPEC);
    CHECK(o.message ==
          "config.json: linux.namespaces path " + net + " is a network namespace, not uts");
    berth::test::fs::remove_all(c.state_dir);

    REQUIRE(d.destroy(owner, true));
    NativeClient::wait_exit(owner.pid);
    CHECK(sb.leftovers().empty());
}
