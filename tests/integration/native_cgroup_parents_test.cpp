// Parent cgroups the native driver makes for its containers go with the last container below
// them; parents it found already there stay.
#include "native_test_client.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

using namespace berth::test;

namespace {

// The parent's directory in every cgroup hierarchy of the host.
std::vector<fs::path> parent_dirs(const std::string &rel) {
    std::error_code ec;
    if (fs::exists("/sys/fs/cgroup/cgroup.procs", ec))
        return {fs::path("/sys/fs/cgroup") / rel}; // cgroup2 alone
    std::vector<fs::path> out;
    for (const auto &e : fs::directory_iterator("/sys/fs/cgroup", ec))
        if (e.is_directory() && !e.is_symlink())
            out.push_back(e.path() / rel);
    return out;
}

bool exists_anywhere(const std::string &rel) {
    for (const auto &d : parent_dirs(rel))
        if (fs::exists(d))
            return true;
    return false;
}

} // namespace

TEST_CASE("native driver removes the parent cgroups it made with the last container below "
          "them",
          "[root]") {
    require_native();
    Sandbox sb;
    NativeClient d;
    const std::string parent = sb.prefix() + "/shared";
    auto bundle_for = [&](const std::string &name) {
        return native_bundle(sb, name, {"sleep", "60"}, [&](json &s) {
            s["linux"]["cgroupsPath"] = "/" + parent + "/" + name;
        });
    };
    auto a = d.container(sb, "a", bundle_for("a"));
    auto b = d.container(sb, "b", bundle_for("b"));
    REQUIRE(d.create(a));
    REQUIRE(d.create(b));
    CHECK(exists_anywhere(parent));

    REQUIRE(d.destroy(a, true));
    CHECK(exists_anywhere(parent)); // b is still below it
    REQUIRE(d.destroy(b, true));
    CHECK_FALSE(exists_anywhere(parent));
    CHECK_FALSE(exists_anywhere(sb.prefix()));
    CHECK_FALSE(fs::exists(sb.dir() / ".native-cgroup-parents"));
    CHECK(sb.leftovers().empty());
}

TEST_CASE("native driver keeps a parent cgroup it did not make", "[root]") {
    require_native();
    Sandbox sb;
    NativeClient d;
    // An administrator's parent, in every hierarchy, before any container.
    for (const auto &dir : parent_dirs(sb.prefix()))
        REQUIRE((::mkdir(dir.c_str(), 0755) == 0 || errno == EEXIST));
    auto c = d.container(sb, "c", native_bundle(sb, "c", {"sleep", "60"}));
    REQUIRE(d.create(c));
    REQUIRE(d.destroy(c, true));
    CHECK(exists_anywhere(sb.prefix()));
    CHECK_FALSE(exists_anywhere(sb.prefix() + "/c"));
    CHECK(sb.leftovers().empty());
    for (const auto &dir : parent_dirs(sb.prefix()))
        ::rmdir(dir.c_str());
}

TEST_CASE("native driver keeps a parent another program still uses, and forgets it once gone",
          "[root]") {
    require_native();
    Sandbox sb;
    NativeClient d;
    const std::string parent = sb.prefix() + "/pod";
    auto a = d.container(sb, "a", native_bundle(sb, "a", {"sleep", "60"}, [&](json &s) {
                             s["linux"]["cgroupsPath"] = "/" + parent + "/a";
                         }));
    REQUIRE(d.create(a));
    // Another program's cgroup beside the container's, as podman's conmon makes one.
    for (const auto &dir : parent_dirs(parent + "/monitor"))
        REQUIRE(::mkdir(dir.c_str(), 0755) == 0);
    REQUIRE(d.destroy(a, true));
    CHECK(exists_anywhere(parent));
    CHECK(fs::exists(sb.dir() / ".native-cgroup-parents"));

    // The other program goes and takes the parents with it; the next delete forgets them.
    for (const auto &rel : {parent + "/monitor", parent, sb.prefix()})
        for (const auto &dir : parent_dirs(rel))
            ::rmdir(dir.c_str());
    auto b = d.container(sb, "b", native_bundle(sb, "b", {"sleep", "60"}));
    REQUIRE(d.create(b));
    REQUIRE(d.destroy(b, true));
    CHECK_FALSE(fs::exists(sb.dir() / ".native-cgroup-parents"));
    CHECK(sb.leftovers().empty());
}
