// berth run/create --network and -p/--publish: the friendly way to what config.json's
// namespaces and org.berth.network / org.berth.publish annotations say.
#include "lifecycle_support.hpp"

#include "net_firewall.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <thread>

using namespace berth::test;
using namespace berth::test::lifecycle;

namespace {

// GET / from 127.0.0.1:port, retried while the server starts; the body, or "" after 10 s.
std::string http_get(int port) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
        int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        REQUIRE(fd >= 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<uint16_t>(port));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        std::string got;
        if (::connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0) {
            const std::string req = "GET / HTTP/1.0\r\n\r\n";
            if (::write(fd, req.data(), req.size()) == static_cast<ssize_t>(req.size())) {
                char buf[4096];
                for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;)
                    got.append(buf, static_cast<size_t>(n));
            }
        }
        ::close(fd);
        if (auto body = got.find("\r\n\r\n"); body != std::string::npos)
            return got.substr(body + 4);
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return "";
}

std::string netns_of(int pid) {
    return fs::read_symlink("/proc/" + std::to_string(pid) + "/ns/net").string();
}

} // namespace

TEST_CASE("berth create --network NAME -p publishes a bridged container's port", "[root][net]") {
    require_native();
    Sandbox sb;
    const int pid = getpid();
    const std::string net = "c" + std::to_string(pid);
    const std::string bridge = "bc" + std::to_string(pid % 100000);
    const int port = 30000 + pid % 20000;
    sb.set_extra_config("drivers:\n  native:\n    options:\n      networks:\n        " + net +
                        ":\n          bridge: " + bridge + "\n          subnet: 10.215." +
                        std::to_string(pid % 256) + ".0/24\n");
    const std::string id = sb.id("web");
    auto b = bundle(sb, "web",
                    {"sh", "-c",
                     "echo hello-cli > /tmp/index.html; "
                     "exec httpd -f -p 80 -h /tmp"});
    RunResult created = berth_to_files(
        sb, {"create", "-b", b.string(), "--network", net, "-p", std::to_string(port) + ":80", id},
        "create");
    INFO(created.err);
    REQUIRE(created.exit_code == 0);
    // The record keeps what the flags asked for, as annotations.
    json listed = json::parse(sb.berth({"list", "--format", "json"}).out);
    REQUIRE(listed.size() == 1);
    RunResult started = sb.berth({"start", id});
    INFO(started.err);
    REQUIRE(started.exit_code == 0);
    CHECK(http_get(port) == "hello-cli\n");

    RunResult deleted = sb.berth({"delete", "--force", id});
    INFO(deleted.err);
    CHECK(deleted.exit_code == 0);
    CHECK_FALSE(fs::exists("/sys/class/net/" + bridge));
    auto fw = berth::native::Firewall::open();
    REQUIRE(fw);
    auto rules = fw->list();
    REQUIRE(rules);
    if (*rules)
        for (const auto &r : **rules)
            CHECK(r.comment != berth::native::container_tag(id));
    CHECK(sb.leftovers().empty());
}

TEST_CASE("berth run --network container:ID joins that container's network namespace, and "
          "--network host the host's",
          "[root][net]") {
    require_native();
    Sandbox sb;
    const std::string a = sb.id("a");
    RunResult created = berth_to_files(
        sb, {"create", "-b", bundle(sb, "a", {"sleep", "60"}).string(), "--network", "none", a},
        "create");
    INFO(created.err);
    REQUIRE(created.exit_code == 0);
    REQUIRE(sb.berth({"start", a}).exit_code == 0);
    const int a_pid = state_of(sb, a)["pid"].get<int>();

    auto reader = bundle(sb, "b", {"readlink", "/proc/self/ns/net"});
    RunResult joined =
        sb.berth({"run", "-b", reader.string(), "--network", "container:" + a, sb.id("b")});
    INFO(joined.err);
    CHECK(joined.exit_code == 0);
    CHECK(joined.out == netns_of(a_pid) + "\n");
    CHECK(joined.out != netns_of(getpid()) + "\n");

    RunResult host = sb.berth({"run", "-b", reader.string(), "--network", "host", sb.id("c")});
    INFO(host.err);
    CHECK(host.exit_code == 0);
    CHECK(host.out == netns_of(getpid()) + "\n");

    CHECK(sb.berth({"delete", "--force", a}).exit_code == 0);
    CHECK(sb.leftovers().empty());
}

TEST_CASE("publishing without a bridge network, or joining no running container, is "
          "refused and nothing is recorded",
          "[root]") {
    require_native();
    Sandbox sb;
    auto b = bundle(sb, "x", {"true"});
    RunResult r = sb.berth({"run", "-b", b.string(), "-p", "8080:80", sb.id("x")});
    CHECK(r.exit_code == 1);
    CHECK(r.err == "berth: -p/--publish needs a bridge network (hint: add --network NAME, a "
                   "network of berth.yaml's drivers.native.options.networks)\n");
    r = sb.berth({"run", "-b", b.string(), "--network", "container:" + sb.id("none"), sb.id("x")});
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("--network container:" + sb.id("none")) != std::string::npos);
    CHECK(sb.berth({"list", "-q"}).out.empty());
    CHECK(sb.leftovers().empty());
}

TEST_CASE("berth.yaml's run.network puts berth run's containers on a bridge, and only those "
          "of run",
          "[root][net]") {
    require_native();
    Sandbox sb;
    const int pid = getpid();
    const std::string net = "r" + std::to_string(pid);
    const std::string bridge = "br" + std::to_string(pid % 100000);
    sb.set_extra_config("run:\n  network: " + net +
                        "\ndrivers:\n  native:\n    options:\n      networks:\n        " + net +
                        ":\n          bridge: " + bridge + "\n          subnet: 10.217." +
                        std::to_string(pid % 256) + ".0/24\n");
    auto links = bundle(sb, "links", {"cat", "/proc/net/dev"});

    RunResult ran = sb.berth({"run", "-b", links.string(), sb.id("ran")});
    INFO(ran.err);
    CHECK(ran.exit_code == 0);
    CHECK(ran.out.find("eth0:") != std::string::npos);
    // --network wins over the default.
    RunResult none = sb.berth({"run", "-b", links.string(), "--network", "none", sb.id("none")});
    CHECK(none.exit_code == 0);
    CHECK(none.out.find("eth0:") == std::string::npos);
    CHECK(none.out.find("lo:") != std::string::npos);

    // Engines use create: config.json alone decides there.
    const std::string id = sb.id("created");
    RunResult created = berth_to_files(sb, {"create", "-b", links.string(), id}, "create");
    INFO(created.err);
    REQUIRE(created.exit_code == 0);
    REQUIRE(sb.berth({"start", id}).exit_code == 0);
    wait_for_status(sb, id, "stopped");
    CHECK(slurp(sb.dir() / "create.out").find("eth0:") == std::string::npos);
    CHECK(sb.berth({"delete", id}).exit_code == 0);

    CHECK_FALSE(fs::exists("/sys/class/net/" + bridge));
    CHECK(sb.leftovers().empty());
}
