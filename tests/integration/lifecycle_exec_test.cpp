// berth exec: a process joins a running native container, sees what its init sees, and runs
// with the environment, directory and user of the command line.
#include "lifecycle_support.hpp"

#include <climits>

using namespace berth::test;
using namespace berth::test::lifecycle;

namespace {

std::string host_ns(int pid, const char *ns) {
    char buf[PATH_MAX] = {};
    std::string link = "/proc/" + std::to_string(pid) + "/ns/" + ns;
    ssize_t n = readlink(link.c_str(), buf, sizeof buf - 1);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

} // namespace

TEST_CASE("berth exec runs in the container's pid namespace and sees its hostname", "[root]") {
    require_native();
    Sandbox sb;
    const std::string id = sb.id("exec");
    auto b = bundle(sb, "exec-host", {"sleep", "1000"});
    REQUIRE(berth_to_files(sb, {"create", "-b", b.string(), id}, "create").exit_code == 0);
    REQUIRE(sb.berth({"start", id}).exit_code == 0);
    const int pid = state_of(sb, id)["pid"].get<int>();

    RunResult r = sb.berth({"exec", id, "sh", "-c",
                            "hostname; readlink /proc/self/ns/pid; cat /proc/1/comm"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out == "exec-host\n" + host_ns(pid, "pid") + "\nsleep\n");
    CHECK(host_ns(pid, "pid") != host_ns(getpid(), "pid"));

    RunResult status = sb.berth({"exec", id, "sh", "-c", "exit 5"});
    CHECK(status.exit_code == 5);

    REQUIRE(sb.berth({"delete", "--force", id}).exit_code == 0);
    CHECK(sb.leftovers().empty());
}

TEST_CASE("berth exec applies --env, --cwd and --user on top of the container's process",
          "[root]") {
    require_native();
    Sandbox sb;
    const std::string id = sb.id("execopts");
    auto b = bundle(sb, "execopts", {"sleep", "1000"});
    REQUIRE(berth_to_files(sb, {"create", "-b", b.string(), id}, "create").exit_code == 0);
    REQUIRE(sb.berth({"start", id}).exit_code == 0);

    RunResult r = sb.berth({"exec", "--env", "GREETING=hi", "--cwd", "/tmp", "--user",
                            "1000:1001", id, "sh", "-c",
                            "echo $GREETING; pwd; id -u; id -g; echo $BERTH_TEST_SANDBOX"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out == "hi\n/tmp\n1000\n1001\n" + sb.prefix() + "\n");

    RunResult bad = sb.berth({"exec", "--user", "nobody", id, "true"});
    CHECK(bad.exit_code == 1);
    CHECK(bad.err == "berth: exec in container " + id +
                         ": exec --user: uid \"nobody\" is not a number (hint: pass --user UID "
                         "or UID:GID with numeric ids)\n");

    RunResult none = sb.berth({"exec", id});
    CHECK(none.exit_code == 2);
    CHECK(none.err == "berth: exec needs a command after the container id, or --process FILE "
                      "(hint: run berth --help for the commands and options)\n");

    REQUIRE(sb.berth({"delete", "--force", id}).exit_code == 0);
    CHECK(sb.leftovers().empty());
}

TEST_CASE("berth exec --process runs a process.json and --detach leaves it running with its "
          "pid in --pid-file",
          "[root]") {
    require_native();
    Sandbox sb;
    const std::string id = sb.id("execproc");
    auto b = bundle(sb, "execproc", {"sleep", "1000"});
    REQUIRE(berth_to_files(sb, {"create", "-b", b.string(), id}, "create").exit_code == 0);
    REQUIRE(sb.berth({"start", id}).exit_code == 0);

    const fs::path process = sb.dir() / "process.json";
    {
        std::ofstream out(process);
        out << json{{"args", {"sh", "-c", "echo from-file $A"}},
                    {"env", {"A=1", "BERTH_TEST_SANDBOX=" + sb.prefix()}},
                    {"cwd", "/"},
                    {"user", {{"uid", 0}, {"gid", 0}}}}
                   .dump();
    }
    RunResult r = sb.berth({"exec", "--process", process.string(), id});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out == "from-file 1\n");

    const fs::path pid_file = sb.dir() / "exec.pid";
    RunResult d = berth_to_files(
        sb, {"exec", "-d", "--pid-file", pid_file.string(), id, "sleep", "999"}, "execd");
    INFO(d.err);
    REQUIRE(d.exit_code == 0);
    const int pid = std::stoi(slurp(pid_file));
    CHECK(slurp("/proc/" + std::to_string(pid) + "/cmdline") == std::string("sleep\0999\0", 10));
    RunResult ps = sb.berth({"ps", "--format", "json", id});
    json pids = json::parse(ps.out);
    CHECK(std::find(pids.begin(), pids.end(), pid) != pids.end());

    REQUIRE(sb.berth({"delete", "--force", id}).exit_code == 0);
    CHECK(sb.leftovers().empty());
}
