#include "net_etc_files.hpp"

#include <catch2/catch.hpp>

using namespace berth::native;

TEST_CASE("the container's hosts file names localhost and its hostname at its address",
          "[unit]") {
    CHECK(render_hosts("web1", *parse_ipv4("10.88.0.2")) ==
          "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n10.88.0.2\tweb1\n");
    CHECK(render_hosts("", *parse_ipv4("10.88.0.2")) ==
          "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
}

TEST_CASE("the container's resolv.conf leaves out loopback nameservers and comments",
          "[unit]") {
    int dropped = -1;
    std::string text = render_resolv_conf("# generated\nnameserver 127.0.0.53\n"
                                          "nameserver 192.0.2.53\nnameserver ::1\n"
                                          "search example.org\noptions edns0 trust-ad\n",
                                          dropped);
    CHECK(text == "nameserver 192.0.2.53\nsearch example.org\noptions edns0 trust-ad\n");
    CHECK(dropped == 2);
}
