// The native driver's rtnetlink socket while the kernel's lists change under it: other
// containers' links come and go during every listing on a busy host.
#include "net_links.hpp"
#include "net_netlink.hpp"

#include "support/test_support.hpp"

#include <berth/common/unique_fd.hpp>

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <thread>

using namespace berth::test;

TEST_CASE("listing links stays whole while other links come and go", "[root][net]") {
    require_root();
    // A private network namespace, held by a child, so that the churn touches nothing else.
    int ready[2];
    REQUIRE(::pipe2(ready, O_CLOEXEC) == 0);
    pid_t holder = ::fork();
    REQUIRE(holder >= 0);
    if (holder == 0) {
        if (::unshare(CLONE_NEWNET) != 0)
            _exit(1);
        char c = 'x';
        if (::write(ready[1], &c, 1) != 1)
            _exit(1);
        ::pause();
        _exit(0);
    }
    ::close(ready[1]);
    char c;
    REQUIRE(::read(ready[0], &c, 1) == 1);
    ::close(ready[0]);
    berth::UniqueFd ns(
        ::open(("/proc/" + std::to_string(holder) + "/ns/net").c_str(), O_RDONLY | O_CLOEXEC));
    REQUIRE(ns);

    // Enough links that one listing takes several reads, which is when a change in between
    // can interrupt it.
    {
        auto nl = berth::native::NetlinkSocket::open_in(ns.get(), "test namespace");
        REQUIRE(nl);
        for (int i = 0; i < 96; ++i)
            REQUIRE(berth::native::create_bridge(*nl, "still" + std::to_string(i), 1500));
    }
    std::atomic<bool> stop{false};
    std::atomic<int> changes{0};
    std::thread churn([&] {
        auto nl = berth::native::NetlinkSocket::open_in(ns.get(), "test namespace");
        if (!nl)
            return;
        for (int i = 0; !stop; ++i) {
            std::string name = "churn" + std::to_string(i % 8);
            if (berth::native::create_bridge(*nl, name, 1500))
                ++changes;
            if (berth::native::delete_link(*nl, name))
                ++changes;
        }
    });
    auto nl = berth::native::NetlinkSocket::open_in(ns.get(), "test namespace");
    REQUIRE(nl);
    int listed = 0;
    for (int i = 0; i < 300; ++i) {
        auto links = berth::native::list_links(*nl);
        if (!links) {
            UNSCOPED_INFO(links.error().render());
            break;
        }
        // Every listing is one consistent view: loopback and the steady links are in it.
        auto steady = std::count_if(links->begin(), links->end(), [](const auto &l) {
            return l.name == "lo" || l.name.rfind("still", 0) == 0;
        });
        if (steady != 97) {
            UNSCOPED_INFO("listing " << i << " holds " << steady << " of the 97 steady links");
            break;
        }
        ++listed;
    }
    stop = true;
    churn.join();
    ::kill(holder, SIGKILL);
    ::waitpid(holder, nullptr, 0);
    CHECK(changes > 0);
    CHECK(listed == 300);
}
