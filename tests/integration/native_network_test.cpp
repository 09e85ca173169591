// The native driver's networking, observed from inside real containers and read back from the
// kernel: loopback-only namespaces, a bridge network whose containers reach each other,
// published TCP and UDP ports reachable from the host (127.0.0.1 included), unique leases
// under concurrent creates, and nothing left (link, address, nftables rule, lease) after a
// delete, a setup made to fail at each network step, or a crashed run.
//
// Each test uses its own network: bridge bt<pid>, subnet 10.213.<pid % 256>.0/24, host ports
// from the pid. Traffic goes only to loopback and to the test's own containers.
#include "native_test_client.hpp"

#include "net_addresses.hpp"
#include "net_firewall.hpp"
#include "net_links.hpp"
#include "net_netlink.hpp"
#include "net_setup.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdio>
#include <set>
#include <thread>

namespace {

using berth::native::Firewall;
using berth::native::NetlinkSocket;

struct TestNetwork {
    int pid = getpid();
    std::string name = "n" + std::to_string(pid);
    std::string bridge = "bt" + std::to_string(pid % 100000);
    std::string prefix = "10.213." + std::to_string(pid % 256) + ".";
    std::string subnet = prefix + "0/24";
    std::string gateway = prefix + "1";
    int tcp_port = 20000 + pid % 20000;
    int udp_port = 40000 + pid % 20000;

    std::string options(Sandbox &sb, const std::string &net_subnet = {},
                        const std::string &net_bridge = {}) const {
        json o = {{"cgroup_parent", sb.cgroup_parent()},
                  {"networks",
                   {{name,
                     {{"bridge", net_bridge.empty() ? bridge : net_bridge},
                      {"subnet", net_subnet.empty() ? subnet : net_subnet},
                      {"mtu", 1500}}}}}};
        return o.dump();
    }
};

// A bundle on the test network, with `publish` as its published ports.
berth::test::fs::path net_bundle(Sandbox &sb, const TestNetwork &net, const std::string &name,
                                 const std::vector<std::string> &args,
                                 const std::string &publish = {},
                                 const std::function<void(json &)> &edit = {}) {
    return native_bundle(sb, name, args, [&](json &spec) {
        spec["annotations"]["org.berth.network"] = net.name;
        if (!publish.empty())
            spec["annotations"]["org.berth.publish"] = publish;
        spec["hostname"] = name;
        if (edit)
            edit(spec);
    });
}

// The address the driver gave a container, from its info log line.
std::string address_of(const NativeClient &d, const std::string &id) {
    std::string head = "container " + id + ": network ";
    for (const auto &[level, msg] : d.logs)
        if (msg.rfind(head, 0) == 0) {
            auto a = msg.find("address ");
            auto comma = msg.find(',', a);
            return msg.substr(a + 8, comma - a - 8);
        }
    return "";
}

berth::test::fs::path network_root(Sandbox &sb) {
    // NativeClient's state dirs are <state root>/<id>; the driver keeps leases two levels up.
    return sb.dir() / ".native-network";
}

// What of the test's network is still in the kernel or on disk; empty when clean.
std::vector<std::string> network_leftovers(Sandbox &sb, const TestNetwork &net,
                                           const std::vector<std::string> &ids) {
    std::vector<std::string> found;
    auto nl = NetlinkSocket::open();
    REQUIRE(nl);
    auto links = berth::native::list_links(*nl);
    REQUIRE(links);
    for (const auto &l : *links) {
        if (l.name == net.bridge)
            found.push_back("link " + l.name);
        for (const auto &id : ids)
            if (l.name == berth::native::host_veth_name(id))
                found.push_back("link " + l.name + " of " + id);
    }
    auto addrs = berth::native::list_addresses(*nl);
    REQUIRE(addrs);
    for (const auto &a : *addrs)
        if (a.prefix.address.str().rfind(net.prefix, 0) == 0)
            found.push_back("address " + a.prefix.str());
    auto fw = Firewall::open();
    REQUIRE(fw);
    auto rules = fw->list();
    REQUIRE(rules);
    if (*rules)
        for (const auto &r : **rules) {
            if (r.comment == berth::native::network_tag(net.name))
                found.push_back("nftables rule " + r.comment);
            for (const auto &id : ids)
                if (r.comment == berth::native::container_tag(id))
                    found.push_back("nftables rule " + r.comment);
        }
    if (berth::test::fs::exists(network_root(sb)))
        found.push_back("network state " + network_root(sb).string());
    return found;
}

// What of one container is still there: its host veth, its rules, a lease it holds.
std::vector<std::string> container_leftovers(Sandbox &sb, const TestNetwork &net,
                                             const std::string &id) {
    std::vector<std::string> found;
    auto nl = NetlinkSocket::open();
    REQUIRE(nl);
    auto veth = berth::native::find_link(*nl, berth::native::host_veth_name(id));
    REQUIRE(veth);
    if (*veth)
        found.push_back("link " + (*veth)->name);
    auto fw = Firewall::open();
    REQUIRE(fw);
    auto rules = fw->list();
    REQUIRE(rules);
    if (*rules)
        for (const auto &r : **rules)
            if (r.comment == berth::native::container_tag(id))
                found.push_back("nftables rule " + r.comment);
    auto leases = network_root(sb) / net.name / "leases";
    std::error_code ec;
    for (const auto &e : berth::test::fs::directory_iterator(leases, ec)) {
        std::ifstream in(e.path());
        auto j = json::parse(in, nullptr, false);
        if (j.is_object() && j.value("container", "") == id)
            found.push_back("lease " + e.path().string());
    }
    return found;
}

void check_network_clean(Sandbox &sb, const TestNetwork &net, const std::vector<std::string> &ids) {
    auto left = network_leftovers(sb, net, ids);
    for (const auto &l : left)
        UNSCOPED_INFO("left behind: " << l);
    CHECK(left.empty());
}

// Reads from a TCP connection to ip:port until `want` arrived or 10s passed (the server may
// still be starting: connection refusals are retried).
std::string tcp_read(const std::string &ip, int port, const std::string &want) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    std::string got;
    while (std::chrono::steady_clock::now() < deadline) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        REQUIRE(fd >= 0);
        timeval tv{1, 0};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<uint16_t>(port));
        inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
        if (connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0) {
            got.clear();
            char buf[256];
            ssize_t n;
            while (got.find(want) == std::string::npos && (n = read(fd, buf, sizeof buf)) > 0)
                got.append(buf, static_cast<size_t>(n));
        }
        close(fd);
        if (got.find(want) != std::string::npos)
            return got;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return got;
}

// Sends `msg` to ip:port over UDP and returns the first answer, retrying for up to 10s.
std::string udp_ask(const std::string &ip, int port, const std::string &msg) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    timeval tv{0, 200000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
    std::string got;
    for (int i = 0; i < 50 && got.empty(); ++i) {
        sendto(fd, msg.data(), msg.size(), 0, reinterpret_cast<sockaddr *>(&a), sizeof a);
        char buf[256];
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n > 0)
            got.assign(buf, static_cast<size_t>(n));
    }
    close(fd);
    return got;
}

void destroy_all(NativeClient &d, std::vector<NativeContainer> &cs) {
    for (auto &c : cs) {
        auto o = d.destroy(c, true);
        INFO(c.id << ": " << o.message);
        CHECK(o);
        if (c.pid > 0) {
            int status = 0;
            waitpid(c.pid, &status, __WALL); // reap our child if it still is one
        }
    }
}

} // namespace

TEST_CASE("a loopback-only container has lo up and no other link", "[root][net]") {
    require_native();
    Sandbox sb;
    TestNetwork net;
    NativeClient d(net.options(sb));
    REQUIRE(d.init_status == BERTH_OK);
    auto b = native_bundle(sb, "lo", {"ip", "-o", "link"});
    auto c = d.container(sb, "lo", b);
    Pipe out;
    auto o = d.create(c, -1, out.w, out.w);
    INFO(o.message);
    REQUIRE(o);
    out.close_write();
    REQUIRE(d.start(c));
    CHECK(NativeClient::wait_exit(c.pid) == 0);
    std::string text = out.read_all();
    INFO(text);
    CHECK(text.rfind("1: lo: <LOOPBACK,UP,LOWER_UP>", 0) == 0);
    CHECK(std::count(text.begin(), text.end(), '\n') == 1);
    REQUIRE(d.destroy(c, false));
    check_network_clean(sb, net, {c.id});
    CHECK(sb.leftovers().empty());
}

TEST_CASE("two containers on one bridge reach each other and see their address, route and "
          "hosts file",
          "[root][net]") {
    require_native();
    Sandbox sb;
    TestNetwork net;
    NativeClient d(net.options(sb));
    REQUIRE(d.init_status == BERTH_OK);
    std::vector<NativeContainer> cs;
    auto ba = net_bundle(sb, net, "srv", {"sh", "-c", "echo hello-from-a | nc -l -p 7000"});
    cs.push_back(d.container(sb, "srv", ba));
    auto o = d.create(cs[0]);
    INFO(o.message);
    REQUIRE(o);
    REQUIRE(d.start(cs[0]));
    std::string ip_a = address_of(d, cs[0].id);
    CHECK(ip_a == net.prefix + "2");

    auto bb = net_bundle(sb, net, "cli",
                         {"sh", "-c",
                          "ip -o -4 addr show eth0; ip route; cat /etc/hosts; "
                          "for i in 1 2 3 4 5 6 7 8 9 10; do nc " +
                              ip_a + " 7000 && break; sleep 0.2; done"});
    cs.push_back(d.container(sb, "cli", bb));
    Pipe out;
    o = d.create(cs[1], -1, out.w, out.w);
    INFO(o.message);
    REQUIRE(o);
    out.close_write();
    REQUIRE(d.start(cs[1]));
    CHECK(NativeClient::wait_exit(cs[1].pid) == 0);
    std::string text = out.read_all();
    INFO(text);
    CHECK(text.find("inet " + net.prefix + "3/24") != std::string::npos);
    CHECK(text.find("default via " + net.gateway + " dev eth0") != std::string::npos);
    CHECK(text.find(net.prefix + "3\tcli\n") != std::string::npos);
    CHECK(text.find("hello-from-a\n") != std::string::npos);
    CHECK(NativeClient::wait_exit(cs[0].pid) == 0);

    destroy_all(d, cs);
    check_network_clean(sb, net, std::vector<std::string>{cs[0].id, cs[1].id});
    CHECK(sb.leftovers().empty());
}

TEST_CASE("a published TCP port answers from the host at 127.0.0.1 and the container answers "
          "on its bridge address",
          "[root][net]") {
    require_native();
    Sandbox sb;
    TestNetwork net;
    NativeClient d(net.options(sb));
    REQUIRE(d.init_status == BERTH_OK);
    std::vector<NativeContainer> cs;
    auto b = net_bundle(sb, net, "web",
                        {"sh", "-c", "while true; do echo hello-web | nc -l -p 80; done"},
                        std::to_string(net.tcp_port) + ":80/tcp");
    cs.push_back(d.container(sb, "web", b));
    auto o = d.create(cs[0]);
    INFO(o.message);
    REQUIRE(o);
    REQUIRE(d.start(cs[0]));
    std::string ip = address_of(d, cs[0].id);
    REQUIRE(!ip.empty());

    CHECK(tcp_read("127.0.0.1", net.tcp_port, "hello-web\n") == "hello-web\n");
    CHECK(tcp_read(ip, 80, "hello-web\n") == "hello-web\n");
    CHECK(tcp_read(net.gateway, net.tcp_port, "hello-web\n") == "hello-web\n");

    destroy_all(d, cs);
    check_network_clean(sb, net, {cs[0].id});
    CHECK(sb.leftovers().empty());
}

TEST_CASE("a published port keeps working while another state root's last container goes",
          "[root][net]") {
    require_native();
    // Two state roots (two sandboxes), each with a network of its own; berth's nftables table
    // is the host's, shared by both.
    Sandbox sa, sb;
    TestNetwork na, nb;
    nb.name += "b";
    nb.bridge += "b";
    nb.prefix = "10.214." + std::to_string(nb.pid % 256) + ".";
    nb.subnet = nb.prefix + "0/24";
    nb.gateway = nb.prefix + "1";
    NativeClient da(na.options(sa)), db(nb.options(sb));
    REQUIRE(da.init_status == BERTH_OK);
    REQUIRE(db.init_status == BERTH_OK);
    std::vector<NativeContainer> web, other;
    web.push_back(da.container(
        sa, "web",
        net_bundle(sa, na, "web", {"sh", "-c", "while true; do echo hello-web | nc -l -p 80; done"},
                   std::to_string(na.tcp_port) + ":80/tcp")));
    auto o = da.create(web[0]);
    INFO(o.message);
    REQUIRE(o);
    REQUIRE(da.start(web[0]));
    CHECK(tcp_read("127.0.0.1", na.tcp_port, "hello-web\n") == "hello-web\n");

    other.push_back(db.container(sb, "other", net_bundle(sb, nb, "other", {"sleep", "60"})));
    o = db.create(other[0]);
    INFO(o.message);
    REQUIRE(o);
    destroy_all(db, other);
    check_network_clean(sb, nb, {other[0].id});

    CHECK(tcp_read("127.0.0.1", na.tcp_port, "hello-web\n") == "hello-web\n");
    destroy_all(da, web);
    check_network_clean(sa, na, {web[0].id});
    CHECK(sa.leftovers().empty());
    CHECK(sb.leftovers().empty());
}

TEST_CASE("a published UDP port answers from the host at 127.0.0.1", "[root][net]") {
    require_native();
    Sandbox sb;
    TestNetwork net;
    NativeClient d(net.options(sb));
    REQUIRE(d.init_status == BERTH_OK);
    // The echo server comes in through a read-only bind mount of its own directory.
    auto tools = sb.dir() / "tools";
    berth::test::fs::create_directories(tools);
    berth::test::fs::copy_file(BERTH_TEST_UDP_ECHO, tools / "udp-echo");
    std::vector<NativeContainer> cs;
    auto b = net_bundle(sb, net, "udp", {"/tmp/udp-echo", "5353"},
                        "127.0.0.1:" + std::to_string(net.udp_port) + ":5353/udp", [&](json &spec) {
                            spec["mounts"].push_back({{"destination", "/tmp"},
                                                      {"type", "bind"},
                                                      {"source", tools.string()},
                                                      {"options", {"rbind", "ro"}}});
                        });
    cs.push_back(d.container(sb, "udp", b));
    auto o = d.create(cs[0]);
    INFO(o.message);
    REQUIRE(o);
    REQUIRE(d.start(cs[0]));

    CHECK(udp_ask("127.0.0.1", net.udp_port, "ping") == "echo:ping");
    CHECK(udp_ask(address_of(d, cs[0].id), 5353, "direct") == "echo:direct");

    destroy_all(d, cs);
    check_network_clean(sb, net, {cs[0].id});
    CHECK(sb.leftovers().empty());
}

TEST_CASE("leases are unique under 20 concurrent creates and freed on delete", "[root][net]") {
    require_native();
    Sandbox sb;
    TestNetwork net;
    NativeClient d(net.options(sb));
    REQUIRE(d.init_status == BERTH_OK);
    constexpr int n = 20;
    std::vector<NativeContainer> cs;
    for (int i = 0; i < n; ++i) {
        std::string name = "c" + std::to_string(i);
        cs.push_back(d.container(sb, name, net_bundle(sb, net, name, {"sleep", "60"})));
    }
    // One process per create, as separate `berth create` commands would be.
    std::vector<pid_t> kids;
    for (int i = 0; i < n; ++i) {
        pid_t p = fork();
        REQUIRE(p >= 0);
        if (p == 0) {
            int code = 1;
            try {
                NativeClient child(net.options(sb));
                auto o = child.create(cs[i]);
                if (!o) // the test's output shows why
                    std::fprintf(stderr, "create %s: %s\n", cs[i].id.c_str(), o.message.c_str());
                code = o ? 0 : 1;
            } catch (...) {
            }
            _exit(code);
        }
        kids.push_back(p);
    }
    int created = 0;
    for (pid_t p : kids) {
        int status = 0;
        waitpid(p, &status, 0);
        created += WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }
    CHECK(created == n);

    std::set<std::string> addresses;
    for (const auto &e :
         berth::test::fs::directory_iterator(network_root(sb) / net.name / "leases"))
        addresses.insert(e.path().filename().string());
    CHECK(addresses.size() == static_cast<size_t>(n));
    for (const auto &a : addresses)
        CHECK(a.rfind(net.prefix, 0) == 0);

    // The inits were children of the forked creators; the driver finds them by state.
    for (auto &c : cs)
        c.pid = 0;
    destroy_all(d, cs);
    std::vector<std::string> ids;
    for (const auto &c : cs)
        ids.push_back(c.id);
    check_network_clean(sb, net, ids);
    CHECK(sb.leftovers().empty());
}

TEST_CASE("a network setup that fails at any step leaves no link, rule or lease behind",
          "[root][net]") {
    require_native();
    Sandbox sb;
    TestNetwork net;
    std::vector<std::string> ids;

    SECTION("an invalid published port is refused before anything is made") {
        NativeClient d(net.options(sb));
        auto b = net_bundle(sb, net, "badport", {"true"}, "70000:80");
        auto c = d.container(sb, "badport", b);
        ids.push_back(c.id);
        auto o = d.create(c);
        CHECK(o.code == BERTH_E_INVALID_SPEC);
        CHECK(o.message == "config.json: annotation org.berth.publish: \"70000:80\" has a port "
                           "outside 1-65535; write [HOSTIP:]HOSTPORT:CPORT[/tcp|udp]");
        berth::test::fs::remove_all(c.state_dir);
    }

    SECTION("a bridge name taken by another kind of interface fails at the bridge step") {
        NativeClient d(net.options(sb, {}, "lo"));
        auto b = net_bundle(sb, net, "nobridge", {"true"});
        auto c = d.container(sb, "nobridge", b);
        ids.push_back(c.id);
        auto o = d.create(c);
        CHECK(o.code == BERTH_E_INVALID_ARGUMENT);
        CHECK(o.message == "set up network " + net.name + ": set up bridge: network " + net.name +
                               ": interface lo exists and is not a bridge `lo` "
                               "(hint: choose another bridge name in berth.yaml)");
        berth::test::fs::remove_all(c.state_dir);
    }

    SECTION("an exhausted subnet fails at the lease step and spares the other container") {
        // A /30 holds the gateway and one container.
        NativeClient d(net.options(sb, net.prefix + "0/30"));
        std::vector<NativeContainer> cs;
        cs.push_back(d.container(sb, "first", net_bundle(sb, net, "first", {"sleep", "60"})));
        REQUIRE(d.create(cs[0]));
        auto c = d.container(sb, "second", net_bundle(sb, net, "second", {"true"}));
        ids.push_back(c.id);
        auto o = d.create(c);
        CHECK(o.code == BERTH_E_FAILED);
        CHECK(o.message == "set up network " + net.name + ": allocate address: network " +
                               net.name + ": no free address left in subnet " + net.prefix +
                               "0/30 `" + (network_root(sb) / net.name / "leases").string() +
                               "` (hint: delete containers of this network or give it a "
                               "larger subnet in berth.yaml)");
        berth::test::fs::remove_all(c.state_dir);
        // The first container keeps its address and its bridge.
        CHECK(berth::test::fs::exists(network_root(sb) / net.name / "leases" / (net.prefix + "2")));
        CHECK(container_leftovers(sb, net, c.id).empty());
        CHECK(container_leftovers(sb, net, cs[0].id).size() == 2); // veth, lease
        destroy_all(d, cs);
        ids.push_back(cs[0].id);
    }

    SECTION("a host port another container publishes fails at the firewall step") {
        NativeClient d(net.options(sb));
        std::string publish = std::to_string(net.tcp_port) + ":80";
        std::vector<NativeContainer> cs;
        cs.push_back(
            d.container(sb, "owner", net_bundle(sb, net, "owner", {"sleep", "60"}, publish)));
        REQUIRE(d.create(cs[0]));
        auto c = d.container(sb, "thief", net_bundle(sb, net, "thief", {"true"}, publish));
        ids.push_back(c.id);
        auto o = d.create(c);
        CHECK(o.code == BERTH_E_INVALID_SPEC);
        CHECK(o.message == "set up network " + net.name + ": publish ports: publish " +
                               std::to_string(net.tcp_port) + ":80/tcp: host port " +
                               std::to_string(net.tcp_port) +
                               "/tcp is already published by container " + cs[0].id +
                               " `table ip berth` (hint: choose another host port or delete "
                               "that container)");
        berth::test::fs::remove_all(c.state_dir);
        // Only the owner's lease is left, and its rule.
        auto leases = network_root(sb) / net.name / "leases";
        CHECK(std::distance(berth::test::fs::directory_iterator(leases),
                            berth::test::fs::directory_iterator()) == 1);
        CHECK(container_leftovers(sb, net, c.id).empty());
        CHECK(container_leftovers(sb, net, cs[0].id).size() == 3); // veth, rule, lease
        destroy_all(d, cs);
        ids.push_back(cs[0].id);
    }

    check_network_clean(sb, net, ids);
    CHECK(sb.leftovers().empty());
}

TEST_CASE("a lease whose container vanished in a crash is freed by the next setup and not "
          "taken back by a late delete",
          "[root][net]") {
    require_native();
    Sandbox sb;
    TestNetwork net;
    NativeClient d(net.options(sb));
    REQUIRE(d.init_status == BERTH_OK);
    std::vector<NativeContainer> cs;
    cs.push_back(d.container(
        sb, "crashed",
        net_bundle(sb, net, "crashed", {"sleep", "60"}, std::to_string(net.tcp_port) + ":80")));
    REQUIRE(d.create(cs[0]));
    std::string lost = address_of(d, cs[0].id);
    // The crash: the container's state disappears (moved aside, to delete it properly later).
    auto aside = sb.dir() / "aside";
    berth::test::fs::rename(cs[0].state_dir, aside);

    cs.push_back(d.container(
        sb, "next",
        net_bundle(sb, net, "next", {"sleep", "60"}, std::to_string(net.tcp_port) + ":80")));
    auto o = d.create(cs[1]);
    INFO(o.message);
    REQUIRE(o);
    CHECK(d.logged(BERTH_LOG_WARN, "network " + net.name + ": freeing address " + lost +
                                       " of container " + cs[0].id + ", which no longer exists"));
    // The freed address and the freed host port went to the new container.
    CHECK(address_of(d, cs[1].id) == lost);
    CHECK(container_leftovers(sb, net, cs[0].id).empty());
    CHECK(container_leftovers(sb, net, cs[1].id).size() == 3); // veth, rule, lease

    berth::test::fs::rename(aside, cs[0].state_dir);
    std::vector<NativeContainer> crashed{cs[0]};
    destroy_all(d, crashed);
    // Its late delete leaves the address with its new holder.
    CHECK(container_leftovers(sb, net, cs[1].id).size() == 3);
    cs.erase(cs.begin());
    destroy_all(d, cs);
    check_network_clean(sb, net, std::vector<std::string>{sb.id("crashed"), sb.id("next")});
    CHECK(sb.leftovers().empty());
}
