#include "process_sync.hpp"

#include <nlohmann/json.hpp>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

namespace berth::native {
namespace {

// A rendered message and its context fit easily; longer ones are cut, not lost entirely.
constexpr size_t max_message = 64 * 1024;

nlohmann::json error_to_json(const Error &e) {
    return {{"code", e.code},       {"errno", e.sys_errno}, {"op", e.op},
            {"object", e.object},   {"context", e.context}, {"hint", e.hint}};
}

Error error_from_json(const nlohmann::json &j) {
    Error e;
    e.code = j.value("code", static_cast<int>(BERTH_E_FAILED));
    e.sys_errno = j.value("errno", 0);
    e.op = j.value("op", std::string());
    e.object = j.value("object", std::string());
    e.context = j.value("context", std::vector<std::string>());
    e.hint = j.value("hint", std::string());
    return e;
}

} // namespace

Result<SyncPair> make_sync_pair() {
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0)
        return fail(sys_error("socketpair").in("make the setup channel"));
    return SyncPair{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

Result<> send_message(int fd, const Message &msg) {
    nlohmann::json j = {{"kind", static_cast<int>(msg.kind)}, {"value", msg.value}};
    if (msg.kind == MsgKind::error)
        j["error"] = error_to_json(msg.error);
    std::string text = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (text.size() > max_message)
        text.resize(max_message);
    for (;;) {
        ssize_t n = ::send(fd, text.data(), text.size(), MSG_NOSIGNAL);
        if (n >= 0)
            return {};
        if (errno != EINTR)
            return fail(sys_error("send on the setup channel"));
    }
}

Result<Message> receive_message(int fd, Deadline deadline, const std::string &awaited) {
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0)
            return fail(make_error(BERTH_E_FAILED,
                                   fmt::format("timed out after {}s waiting for {}",
                                               setup_timeout.count(), awaited))
                            .with_hint("the process may be stuck in a mount or an exec; check "
                                       "the spec's mounts and the host's load"));
        pollfd p{fd, POLLIN, 0};
        int r = poll(&p, 1, static_cast<int>(left.count()));
        if (r < 0 && errno != EINTR)
            return fail(sys_error("poll the setup channel"));
        if (r <= 0)
            continue;
        std::string buf(max_message, '\0');
        ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
        if (n < 0) {
            // ECONNRESET: the other end exited with a message of ours unread. The kernel
            // reports that once, before what it sent us first (an error, say): read on.
            if (errno == EINTR || errno == ECONNRESET)
                continue;
            return fail(sys_error("receive on the setup channel"));
        }
        if (n == 0)
            return Message{MsgKind::closed, 0, {}};
        buf.resize(static_cast<size_t>(n));
        auto j = nlohmann::json::parse(buf, nullptr, false);
        if (j.is_discarded() || !j.is_object())
            return fail(make_error(BERTH_E_FAILED, "malformed message on the setup channel"));
        Message m;
        m.kind = static_cast<MsgKind>(j.value("kind", 0));
        m.value = j.value("value", 0);
        if (m.kind == MsgKind::error && j.contains("error"))
            m.error = error_from_json(j["error"]);
        return m;
    }
}

void report_and_exit(int fd, const Error &e) {
    Message m;
    m.kind = MsgKind::error;
    m.error = e;
    (void)send_message(fd, m);
    _exit(1);
}

} // namespace berth::native
