// A route netlink (rtnetlink) socket on libmnl: requests that the kernel acknowledges, and
// dumps read to their end. Every receive has a timeout, so a kernel that never answers turns
// into an error instead of a hung create.
#pragma once

#include <berth/common/error.hpp>

#include <libmnl/libmnl.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace berth::native {

// One netlink message under construction. The buffer is large enough for every request the
// driver builds (a veth pair with its peer's attributes is the largest).
class NetlinkMessage {
public:
    // A header of `type` with NLM_F_REQUEST | NLM_F_ACK | `flags`, followed by a zeroed
    // family header of `extra` bytes (ifinfomsg, ifaddrmsg, rtmsg), which is returned.
    NetlinkMessage(uint16_t type, uint16_t flags, size_t extra);

    nlmsghdr *header() { return nlh_; }
    void *extra() { return extra_; }
    template <class T> T *extra_as() { return static_cast<T *>(extra_); }

private:
    std::vector<char> buf_;
    nlmsghdr *nlh_;
    void *extra_;
};

// Calls `fn` for each top-level attribute of `nlh` after a family header of `offset` bytes.
template <class F> void for_each_attr(const nlmsghdr *nlh, size_t offset, F &&fn) {
    const char *tail = static_cast<const char *>(mnl_nlmsg_get_payload_tail(nlh));
    auto *attr = static_cast<const nlattr *>(mnl_nlmsg_get_payload_offset(nlh, offset));
    while (mnl_attr_ok(attr, static_cast<int>(tail - reinterpret_cast<const char *>(attr)))) {
        fn(attr);
        attr = mnl_attr_next(attr);
    }
}

class NetlinkSocket {
public:
    // A socket in the calling thread's network namespace.
    static Result<NetlinkSocket> open();
    // A socket in the network namespace `netns_fd` refers to (named `what` in errors). The
    // thread enters that namespace only while the socket is made: a netlink socket stays
    // bound to the namespace it was created in.
    static Result<NetlinkSocket> open_in(int netns_fd, const std::string &what);

    // Sends `msg` and waits for the kernel's acknowledgement. A negative answer becomes a
    // sys_error of `op` on `object` with the kernel's errno.
    Result<> request(NetlinkMessage &msg, const std::string &op, const std::string &object);

    // Sends a request for one object (RTM_GETLINK by name, say) and calls `each` for the
    // kernel's answer. A negative answer becomes a sys_error of `op` on `object`.
    Result<> get(NetlinkMessage &msg, const std::function<void(const nlmsghdr *)> &each,
                 const std::string &op, const std::string &object);

    // Sends a dump request (NLM_F_DUMP) and calls `each` for every answer until the end. A
    // dump the kernel marks interrupted (the list changed while it was read, as when other
    // containers come and go) is read to its end, dropped and asked for again, so `each`
    // sees one consistent list.
    Result<> dump(NetlinkMessage &msg, const std::function<void(const nlmsghdr *)> &each,
                  const std::string &what);

    // The namespace the socket lives in, as named when it was opened.
    const std::string &where() const { return where_; }

private:
    struct Closer {
        void operator()(mnl_socket *s) const { mnl_socket_close(s); }
    };
    NetlinkSocket(mnl_socket *s, std::string where) : sock_(s), where_(std::move(where)) {}
    Result<> send(NetlinkMessage &msg, const std::string &what);
    // Reads the answers to request `seq` until its acknowledgement or the end of its dump,
    // skipping answers to earlier requests that were given up on. Dump messages are copied
    // into `answers` (when given); `interrupted` is set when the kernel flagged the dump.
    Result<> receive(uint32_t seq, std::vector<std::vector<char>> *answers, bool *interrupted,
                     const std::string &op, const std::string &object);

    std::unique_ptr<mnl_socket, Closer> sock_;
    std::string where_;
    uint32_t seq_ = 0;
};

} // namespace berth::native
