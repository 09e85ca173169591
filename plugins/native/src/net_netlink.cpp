#include "net_netlink.hpp"

#include <berth/common/unique_fd.hpp>

#include <fmt/format.h>

#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <ctime>

namespace berth::native {
namespace {

// Room for the largest request and for one read of a dump (the kernel fills up to a page
// per message batch; 32 KiB is what libmnl advises for dumps).
constexpr size_t request_size = 4096;
constexpr size_t receive_size = 32768;
constexpr int receive_timeout_s = 5;

Result<mnl_socket *> open_socket(const std::string &where) {
    mnl_socket *s = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
    if (s == nullptr)
        return fail(sys_error("open rtnetlink socket", where));
    if (mnl_socket_bind(s, 0, MNL_SOCKET_AUTOPID) < 0) {
        Error e = sys_error("bind rtnetlink socket", where);
        mnl_socket_close(s);
        return fail(std::move(e));
    }
    timeval tv{receive_timeout_s, 0};
    if (setsockopt(mnl_socket_get_fd(s), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0) {
        Error e = sys_error("set receive timeout on rtnetlink socket", where);
        mnl_socket_close(s);
        return fail(std::move(e));
    }
    // Extended acks carry the kernel's own reason text; errors still come with errno alone
    // when the option is missing, so a failure here is not one.
    int one = 1;
    setsockopt(mnl_socket_get_fd(s), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
    return s;
}

} // namespace

NetlinkMessage::NetlinkMessage(uint16_t type, uint16_t flags, size_t extra)
    : buf_(request_size, 0) {
    nlh_ = mnl_nlmsg_put_header(buf_.data());
    nlh_->nlmsg_type = type;
    nlh_->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
    extra_ = mnl_nlmsg_put_extra_header(nlh_, extra);
}

Result<NetlinkSocket> NetlinkSocket::open() {
    auto s = open_socket("the host's network namespace");
    if (!s)
        return fail(std::move(s.error()));
    return NetlinkSocket(*s, "host");
}

Result<NetlinkSocket> NetlinkSocket::open_in(int netns_fd, const std::string &what) {
    UniqueFd saved(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
    if (!saved)
        return fail(sys_error("open", "/proc/thread-self/ns/net"));
    if (setns(netns_fd, CLONE_NEWNET) != 0)
        return fail(sys_error("enter network namespace", what));
    auto s = open_socket(what);
    // Back to where the driver was before anything else can run in this thread; if that
    // fails the driver would go on in the container's namespace, which it must not.
    if (setns(saved.get(), CLONE_NEWNET) != 0) {
        Error e = sys_error("return to the driver's network namespace from", what);
        if (s)
            mnl_socket_close(*s);
        return fail(std::move(e));
    }
    if (!s)
        return fail(std::move(s.error()));
    return NetlinkSocket(*s, what);
}

Result<> NetlinkSocket::send(NetlinkMessage &msg, const std::string &what) {
    nlmsghdr *nlh = msg.header();
    nlh->nlmsg_seq = ++seq_ + static_cast<uint32_t>(time(nullptr));
    if (mnl_socket_sendto(sock_.get(), nlh, nlh->nlmsg_len) < 0)
        return fail(sys_error("send rtnetlink request", what));
    return {};
}

Result<> NetlinkSocket::receive(uint32_t seq, std::vector<std::vector<char>> *answers,
                                bool *interrupted, const std::string &op,
                                const std::string &object) {
    std::vector<char> buf(receive_size);
    const uint32_t portid = mnl_socket_get_portid(sock_.get());
    for (;;) {
        ssize_t n = mnl_socket_recvfrom(sock_.get(), buf.data(), buf.size());
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return fail(make_error(
                    BERTH_E_FAILED,
                    fmt::format("{}: the kernel did not answer within {}s", op, receive_timeout_s),
                    object));
            return fail(sys_error("receive rtnetlink answer", object));
        }
        int left = static_cast<int>(n);
        for (auto *nlh = reinterpret_cast<const nlmsghdr *>(buf.data()); mnl_nlmsg_ok(nlh, left);
             nlh = mnl_nlmsg_next(nlh, &left)) {
            if (nlh->nlmsg_seq != seq || (nlh->nlmsg_pid != 0 && nlh->nlmsg_pid != portid))
                continue; // the rest of an earlier request's answer
            if (interrupted != nullptr && (nlh->nlmsg_flags & NLM_F_DUMP_INTR))
                *interrupted = true;
            if (nlh->nlmsg_type == NLMSG_DONE)
                return {};
            if (nlh->nlmsg_type == NLMSG_ERROR) {
                const auto *err = static_cast<const nlmsgerr *>(mnl_nlmsg_get_payload(nlh));
                if (err->error != 0)
                    return fail(sys_error(op, object, -err->error));
                return {};
            }
            if (answers != nullptr && nlh->nlmsg_type >= NLMSG_MIN_TYPE) {
                const char *p = reinterpret_cast<const char *>(nlh);
                answers->emplace_back(p, p + nlh->nlmsg_len);
            }
        }
    }
}

Result<> NetlinkSocket::request(NetlinkMessage &msg, const std::string &op,
                                const std::string &object) {
    if (auto r = send(msg, object); !r)
        return r;
    return receive(msg.header()->nlmsg_seq, nullptr, nullptr, op, object);
}

Result<> NetlinkSocket::get(NetlinkMessage &msg, const std::function<void(const nlmsghdr *)> &each,
                            const std::string &op, const std::string &object) {
    if (auto r = send(msg, object); !r)
        return r;
    std::vector<std::vector<char>> answers;
    if (auto r = receive(msg.header()->nlmsg_seq, &answers, nullptr, op, object); !r)
        return r;
    for (const auto &a : answers)
        each(reinterpret_cast<const nlmsghdr *>(a.data()));
    return {};
}

Result<> NetlinkSocket::dump(NetlinkMessage &msg, const std::function<void(const nlmsghdr *)> &each,
                             const std::string &what) {
    constexpr int attempts = 20;
    msg.header()->nlmsg_flags |= NLM_F_DUMP;
    for (int attempt = 1;; ++attempt) {
        if (auto r = send(msg, what); !r)
            return r;
        std::vector<std::vector<char>> answers;
        bool interrupted = false;
        if (auto r = receive(msg.header()->nlmsg_seq, &answers, &interrupted, "list", what); !r)
            return r;
        if (!interrupted) {
            for (const auto &a : answers)
                each(reinterpret_cast<const nlmsghdr *>(a.data()));
            return {};
        }
        if (attempt == attempts)
            return fail(make_error(BERTH_E_FAILED,
                                   fmt::format("list: the kernel's list changed while it was "
                                               "read, {} times in a row",
                                               attempts),
                                   what));
    }
}

} // namespace berth::native
