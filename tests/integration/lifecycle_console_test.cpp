// process.terminal with --console-socket: the pty master reaches the caller over SCM_RIGHTS
// and the container's process runs on the slave side, as engines (conmon, containerd's shim)
// expect from runc.
#include "lifecycle_support.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>

using namespace berth::test;
using namespace berth::test::lifecycle;

namespace {

struct ConsoleSocket {
    int listen_fd = -1;
    fs::path path;
    explicit ConsoleSocket(fs::path p) : path(std::move(p)) {
        listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strcpy(addr.sun_path, path.c_str());
        REQUIRE(bind(listen_fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0);
        REQUIRE(listen(listen_fd, 1) == 0);
    }
    ~ConsoleSocket() { close(listen_fd); }

    // Accepts one connection and returns the fd it carries, or -1.
    int receive(std::string &name) {
        pollfd p{listen_fd, POLLIN, 0};
        if (poll(&p, 1, 30000) != 1)
            return -1;
        int conn = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
        char buf[256] = {};
        iovec iov{buf, sizeof buf - 1};
        alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
        msghdr msg{};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        ssize_t n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
        close(conn);
        cmsghdr *c = CMSG_FIRSTHDR(&msg);
        if (n <= 0 || c == nullptr || c->cmsg_type != SCM_RIGHTS)
            return -1;
        name.assign(buf, static_cast<size_t>(n));
        int fd = -1;
        std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
        return fd;
    }
};

std::string read_until_eof(int fd) {
    std::string out;
    char buf[4096];
    for (;;) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, 10000) != 1)
            break;
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0) // EIO once the last slave fd closed
            break;
        out.append(buf, static_cast<size_t>(n));
    }
    return out;
}

} // namespace

TEST_CASE("berth create --console-socket hands the pty master to the caller and the container "
          "runs on the slave",
          "[root]") {
    require_native();
    Sandbox sb;
    const std::string id = sb.id("tty");
    auto b = bundle(sb, "tty", {"sh", "-c", "tty; [ -t 0 ] && echo stdin-is-a-tty; stty size"},
                    [](json &spec) {
                        spec["process"]["terminal"] = true;
                        spec["process"]["consoleSize"] = {{"height", 33}, {"width", 101}};
                    });
    ConsoleSocket sock(sb.dir() / "console.sock");
    RunResult created = berth_to_files(
        sb, {"create", "--console-socket", sock.path.string(), "-b", b.string(), id}, "create");
    INFO(created.err);
    REQUIRE(created.exit_code == 0);
    std::string name;
    int master = sock.receive(name);
    REQUIRE(master >= 0);
    CHECK(name == "/dev/pts/0");

    REQUIRE(sb.berth({"start", id}).exit_code == 0);
    CHECK(read_until_eof(master) == "/dev/pts/0\r\nstdin-is-a-tty\r\n33 101\r\n");
    close(master);
    CHECK(wait_for_status(sb, id, "stopped") == "stopped");
    REQUIRE(sb.berth({"delete", id}).exit_code == 0);
    CHECK(sb.leftovers().empty());
}

TEST_CASE("berth create refuses process.terminal without a console socket", "[root]") {
    require_native();
    Sandbox sb;
    const std::string id = sb.id("notty");
    auto b = bundle(sb, "notty", {"true"}, [](json &spec) { spec["process"]["terminal"] = true; });
    RunResult r = berth_to_files(sb, {"create", "-b", b.string(), id}, "create");
    CHECK(r.exit_code == 1);
    CHECK(r.err == "berth: create container " + id +
                       ": driver native: config.json: process.terminal is true but no console "
                       "socket was given to receive the pty (hint: pass --console-socket SOCKET, "
                       "or set process.terminal to false)\n");
    CHECK(sb.berth({"list", "-q"}).out == "");
    CHECK(sb.leftovers().empty());
}

TEST_CASE("berth exec -t hands the pty master of the new process to --console-socket",
          "[root]") {
    require_native();
    Sandbox sb;
    const std::string id = sb.id("exectty");
    auto b = bundle(sb, "exectty", {"sleep", "1000"});
    REQUIRE(berth_to_files(sb, {"create", "-b", b.string(), id}, "create").exit_code == 0);
    REQUIRE(sb.berth({"start", id}).exit_code == 0);
    ConsoleSocket sock(sb.dir() / "exec.sock");
    RunResult r = berth_to_files(sb, {"exec", "-t", "-d", "--console-socket", sock.path.string(),
                                      id, "sh", "-c", "tty"},
                                 "exec");
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    std::string name;
    int master = sock.receive(name);
    REQUIRE(master >= 0);
    CHECK(read_until_eof(master) == name + "\r\n");
    close(master);
    REQUIRE(sb.berth({"delete", "--force", id}).exit_code == 0);
    CHECK(sb.leftovers().empty());
}
