#include "state_store.hpp"
#include "support/test_support.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

using namespace berth::host;
namespace fs = std::filesystem;

namespace {

ContainerRecord record(const std::string &id, const std::string &created = {}) {
    ContainerRecord r;
    r.id = id;
    r.driver = "chroot";
    r.bundle = "/srv/bundle";
    r.created = created;
    r.annotations = {{"org.example/k", "v"}};
    return r;
}

std::string slurp(const fs::path &p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Whether some process holds the lock of `lock`. Record locks never conflict within one
// process, so the attempt is made from a child.
bool locked(const fs::path &lock) {
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        int fd = ::open(lock.c_str(), O_RDWR | O_CLOEXEC);
        struct flock fl {};
        fl.l_type = F_WRLCK;
        fl.l_whence = SEEK_SET;
        bool held =
            fd >= 0 && ::fcntl(fd, F_SETLK, &fl) != 0 && (errno == EAGAIN || errno == EACCES);
        _exit(held ? 1 : 0);
    }
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    return WEXITSTATUS(status) == 1;
}

} // namespace

TEST_CASE("a new container gets a directory with its record, a lock and a driver directory",
          "[unit]") {
    berth::test::Sandbox sb;
    StateStore store(sb.dir() / "store");
    auto h = store.create(record("c1"));
    REQUIRE(h);
    fs::path dir = sb.dir() / "store/c1";
    CHECK(h->dir() == dir);
    CHECK(fs::is_directory(dir / "driver"));
    CHECK(fs::is_empty(dir / "driver"));
    CHECK(fs::is_regular_file(dir / "lock"));
    auto j = nlohmann::json::parse(slurp(dir / "state.json"));
    CHECK(j["id"] == "c1");
    CHECK(j["driver"] == "chroot");
    CHECK(j["bundle"] == "/srv/bundle");
    CHECK(j["status"] == "creating");
    CHECK(j["pid"] == 0);
    CHECK(j["annotations"]["org.example/k"] == "v");
    CHECK_FALSE(j["created"].get<std::string>().empty());
    CHECK(locked(dir / "lock"));
    REQUIRE(h->remove());
    CHECK_FALSE(fs::exists(dir));
}

TEST_CASE("creating an id that exists fails and leaves the existing container alone", "[unit]") {
    berth::test::Sandbox sb;
    StateStore store(sb.dir() / "store");
    auto first = store.create(record("c1"));
    REQUIRE(first);
    auto second = store.create(record("c1"));
    REQUIRE_FALSE(second);
    CHECK(second.error().code == BERTH_E_STATE);
    CHECK(second.error().render() == "container c1 already exists (hint: choose another id, or "
                                     "remove it with berth delete c1)");
    CHECK(fs::exists(sb.dir() / "store/c1/state.json"));
    REQUIRE(first->remove());
}

TEST_CASE("a record is saved atomically and read back by a later command", "[unit]") {
    berth::test::Sandbox sb;
    StateStore store(sb.dir() / "store");
    {
        auto h = store.create(record("c1"));
        REQUIRE(h);
        h->record().pid = 4242;
        h->record().pid_start_time = 77;
        h->record().status = "created";
        REQUIRE(h->save());
        CHECK_FALSE(fs::exists(sb.dir() / "store/c1/state.json.tmp"));
    }
    auto h = store.open("c1");
    REQUIRE(h);
    CHECK(h->record().pid == 4242);
    CHECK(h->record().pid_start_time == 77);
    CHECK(h->record().status == "created");
    CHECK(h->record().driver == "chroot");
    CHECK(h->record().annotations.at("org.example/k") == "v");
    REQUIRE(h->remove());
}

TEST_CASE("an open container is locked until its handle goes, then free again", "[unit]") {
    berth::test::Sandbox sb;
    StateStore store(sb.dir() / "store");
    fs::path lock = sb.dir() / "store/c1/lock";
    {
        auto h = store.create(record("c1"));
        REQUIRE(h);
        CHECK(locked(lock));
        h->unlock();
        CHECK_FALSE(locked(lock));
        REQUIRE(h->relock());
        CHECK(locked(lock));
    }
    CHECK_FALSE(locked(lock));
    auto h = store.open("c1");
    REQUIRE(h);
    CHECK(locked(lock));
    REQUIRE(h->remove());
}

TEST_CASE("a command waiting for a container that gets deleted is told it does not exist",
          "[unit]") {
    berth::test::Sandbox sb;
    StateStore store(sb.dir() / "store");
    auto h = store.create(record("c1"));
    REQUIRE(h);
    // Another berth process: 0 when it got the container, 2 when told it does not exist.
    pid_t waiter = fork();
    REQUIRE(waiter >= 0);
    if (waiter == 0) {
        auto r = store.open("c1");
        _exit(r ? 0 : r.error().code == BERTH_E_NOT_FOUND ? 2 : 3);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    int status = 0;
    // Blocked on the lock (or not yet at it): it must not have finished while we hold it.
    CHECK(waitpid(waiter, &status, WNOHANG) == 0);
    REQUIRE(h->remove());
    REQUIRE(waitpid(waiter, &status, 0) == waiter);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 2);
}

TEST_CASE("an unknown container is reported with where berth looked", "[unit]") {
    berth::test::Sandbox sb;
    StateStore store(sb.dir() / "store");
    auto r = store.open("c1");
    REQUIRE_FALSE(r);
    CHECK(r.error().code == BERTH_E_NOT_FOUND);
    CHECK(r.error().render() == "container c1 does not exist (hint: berth --root " +
                                    (sb.dir() / "store").string() +
                                    " list shows the containers there)");
}

TEST_CASE("a relock after another command deleted the container fails", "[unit]") {
    berth::test::Sandbox sb;
    StateStore store(sb.dir() / "store");
    auto h = store.create(record("c1"));
    REQUIRE(h);
    h->unlock();
    auto other = store.open("c1");
    REQUIRE(other);
    REQUIRE(other->remove());
    auto r = h->relock();
    REQUIRE_FALSE(r);
    CHECK(r.error().render() == "container c1 was deleted by another command");
}

TEST_CASE("listing returns every finished record, oldest first, and skips half-made ones",
          "[unit]") {
    berth::test::Sandbox sb;
    StateStore store(sb.dir() / "store");
    CHECK(store.list().value().empty()); // no state root yet
    auto b = store.create(record("b", "2026-01-02T00:00:00.000000000Z"));
    auto a = store.create(record("a", "2026-01-03T00:00:00.000000000Z"));
    auto c = store.create(record("c", "2026-01-01T00:00:00.000000000Z"));
    REQUIRE((a && b && c));
    fs::create_directories(sb.dir() / "store/half-made"); // no state.json yet
    auto list = store.list();
    REQUIRE(list);
    REQUIRE(list->size() == 3);
    CHECK((*list)[0].id == "c");
    CHECK((*list)[1].id == "b");
    CHECK((*list)[2].id == "a");
    REQUIRE(a->remove());
    REQUIRE(b->remove());
    REQUIRE(c->remove());
    fs::remove(sb.dir() / "store/half-made");
}

TEST_CASE("an unknown or invalid id is refused without touching the state root", "[unit]") {
    berth::test::Sandbox sb;
    StateStore store(sb.dir() / "store");
    auto missing = store.open("nope");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == BERTH_E_NOT_FOUND);
    auto bad = store.create(record("../escape"));
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code == BERTH_E_INVALID_ARGUMENT);
    CHECK_FALSE(fs::exists(sb.dir() / "store"));
    CHECK_FALSE(fs::exists(sb.dir() / "escape"));
}

TEST_CASE("ids longer than a file name get a shortened, unique directory", "[unit]") {
    berth::test::Sandbox sb;
    StateStore store(sb.dir() / "store");
    std::string long_a = std::string(1000, 'a') + "1";
    std::string long_b = std::string(1000, 'a') + "2";
    CHECK(container_dir_name(long_a).size() <= 255);
    CHECK(container_dir_name(long_a) != container_dir_name(long_b));
    CHECK(container_dir_name("short") == "short");
    auto a = store.create(record(long_a));
    auto b = store.create(record(long_b));
    REQUIRE((a && b));
    a->unlock();
    auto again = store.open(long_a);
    REQUIRE(again);
    CHECK(again->record().id == long_a);
    REQUIRE(again->remove());
    REQUIRE(b->remove());
}

TEST_CASE("a pid is recognised by its start time, so a reused pid is not the container's",
          "[unit]") {
    auto mine = process_start_time(getpid());
    REQUIRE(mine);
    CHECK(process_matches(getpid(), *mine));
    CHECK_FALSE(process_matches(getpid(), *mine + 1));
    CHECK_FALSE(process_start_time(0));
    CHECK_FALSE(process_matches(0, 0));
}
