// Detached containers for people: run -d under berth-monitor, logs, wait, stop with its grace
// period, and rm.
#include "lifecycle_support.hpp"

using namespace berth::test;
using namespace berth::test::lifecycle;

namespace {

// The monitor of a container as recorded in its directory: "PID START_TIME".
int monitor_pid(const Sandbox &sb, const std::string &id) {
    std::istringstream in(slurp(sb.state_root() / id / "monitor" / "monitor.pid"));
    int pid = 0;
    in >> pid;
    return pid;
}

// A zombie counts as gone: the monitor's parent (pid 1 or a subreaper above the test) reaps
// it in its own time.
bool process_exists(int pid) {
    std::string stat = slurp("/proc/" + std::to_string(pid) + "/stat");
    auto close = stat.rfind(')');
    return pid > 0 && close != std::string::npos && close + 2 < stat.size() &&
           stat[close + 2] != 'Z';
}

} // namespace

TEST_CASE("berth run -d leaves the container running under a monitor that logs its output and "
          "records its exit status",
          "[root]") {
    require_native();
    Sandbox sb;
    const std::string id = sb.id("detached");
    // stdin is /dev/null: read returns at once.
    auto b = bundle(sb, "detached", {"sh", "-c", "echo out; echo err >&2; read x; exit 3"});
    RunResult r = sb.berth({"run", "-d", "-b", b.string(), id});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out == "");

    RunResult w = sb.berth({"wait", id});
    INFO(w.err);
    REQUIRE(w.exit_code == 0);
    CHECK(w.out == "3\n");
    RunResult logs = sb.berth({"logs", id});
    CHECK(logs.exit_code == 0);
    CHECK(logs.out == "out\nerr\n");
    CHECK(state_of(sb, id)["status"] == "stopped");
    const int monitor = monitor_pid(sb, id);
    CHECK(monitor > 0);
    CHECK(eventually([&] { return !process_exists(monitor); }));

    RunResult rm = sb.berth({"rm", id});
    INFO(rm.err);
    CHECK(rm.exit_code == 0);
    CHECK(sb.leftovers().empty());
}

TEST_CASE("berth stop sends SIGTERM, then SIGKILL once the grace period is over", "[root]") {
    require_native();
    Sandbox sb;
    // pid 1 of a pid namespace ignores SIGTERM without a handler: only SIGKILL ends it.
    const std::string stubborn = sb.id("stubborn");
    auto b1 = bundle(sb, "stubborn", {"sh", "-c", "echo up; exec sleep 1000"});
    REQUIRE(sb.berth({"run", "-d", "-b", b1.string(), stubborn}).exit_code == 0);
    CHECK(state_of(sb, stubborn)["status"] == "running");
    CHECK(eventually([&] { return sb.berth({"logs", stubborn}).out == "up\n"; }));
    const int monitor = monitor_pid(sb, stubborn);
    CHECK(process_exists(monitor));

    auto t0 = std::chrono::steady_clock::now();
    RunResult stop = sb.berth({"stop", "-t", "1", stubborn});
    auto took = std::chrono::steady_clock::now() - t0;
    INFO(stop.err);
    REQUIRE(stop.exit_code == 0);
    CHECK(took >= std::chrono::seconds(1));
    CHECK(state_of(sb, stubborn)["status"] == "stopped");
    CHECK(sb.berth({"wait", stubborn}).out == "137\n");
    CHECK(!process_exists(monitor));

    // A process that handles SIGTERM ends within the grace period with its own status.
    const std::string polite = sb.id("polite");
    auto b2 = bundle(sb, "polite", {"sh", "-c", "trap 'exit 0' TERM; echo up; "
                                                "while :; do sleep 0.05; done"});
    REQUIRE(sb.berth({"run", "-d", "-b", b2.string(), polite}).exit_code == 0);
    REQUIRE(eventually([&] { return sb.berth({"logs", polite}).out == "up\n"; }));
    REQUIRE(sb.berth({"stop", "-t", "30", polite}).exit_code == 0);
    CHECK(sb.berth({"wait", polite}).out == "0\n");

    RunResult refused = sb.berth({"wait", sb.id("nothing")});
    CHECK(refused.exit_code == 1);

    REQUIRE(sb.berth({"rm", stubborn}).exit_code == 0);
    REQUIRE(sb.berth({"rm", polite}).exit_code == 0);
    CHECK(sb.leftovers().empty());
}

TEST_CASE("berth rm refuses a running detached container and rm --force removes it with its "
          "monitor",
          "[root]") {
    require_native();
    Sandbox sb;
    const std::string id = sb.id("rmforce");
    auto b = bundle(sb, "rmforce", {"sleep", "1000"});
    REQUIRE(sb.berth({"run", "--detach", "-b", b.string(), id}).exit_code == 0);
    const int monitor = monitor_pid(sb, id);
    REQUIRE(process_exists(monitor));

    RunResult refused = sb.berth({"rm", id});
    CHECK(refused.exit_code == 1);
    CHECK(refused.err == "berth: delete container " + id + ": driver native: container " + id +
                             " is running; stop it first or delete it with force\n");

    RunResult rm = sb.berth({"rm", "-f", id});
    INFO(rm.err);
    CHECK(rm.exit_code == 0);
    CHECK(!process_exists(monitor));
    CHECK(!fs::exists(sb.state_root() / id));
    CHECK(sb.leftovers().empty());
}

TEST_CASE("berth wait and logs refuse a container that was not started with run -d", "[root]") {
    require_native();
    Sandbox sb;
    const std::string id = sb.id("plain");
    auto b = bundle(sb, "plain", {"sleep", "1000"});
    REQUIRE(berth_to_files(sb, {"create", "-b", b.string(), id}, "create").exit_code == 0);
    const std::string msg = "berth: container " + id +
                            " was not started with berth run -d, so berth keeps no log or exit "
                            "status for it\n";
    RunResult w = sb.berth({"wait", id});
    CHECK(w.exit_code == 1);
    CHECK(w.err == msg);
    RunResult l = sb.berth({"logs", id});
    CHECK(l.exit_code == 1);
    CHECK(l.err == msg);
    REQUIRE(sb.berth({"delete", id}).exit_code == 0);
    CHECK(sb.leftovers().empty());
}

TEST_CASE("berth run -d reports a failing create and leaves nothing behind", "[root]") {
    require_native();
    Sandbox sb;
    const std::string id = sb.id("broken");
    auto b = bundle(sb, "broken", {"/no/such/program"});
    RunResult r = sb.berth({"run", "-d", "-b", b.string(), id});
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("berth: create container " + id + ": driver native: ") == 0);
    CHECK(r.err.find("/no/such/program") != std::string::npos);
    CHECK(sb.berth({"list", "-q"}).out == "");
    CHECK(sb.leftovers().empty());
}
