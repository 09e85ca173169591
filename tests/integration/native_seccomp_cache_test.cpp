// The native driver's cache of compiled seccomp filters: a hit is the very program libseccomp
// compiles, and anything that does not match the profile exactly is compiled again.
#include "seccomp.hpp"
#include "seccomp_cache.hpp"

#include "support/test_support.hpp"

#include <berth/common/default_seccomp.hpp>

#include <catch2/catch.hpp>

#include <linux/seccomp.h>

#include <cstring>
#include <fstream>

using namespace berth::test;
using nlohmann::json;

namespace {

bool same(const berth::native::SeccompProgram &a, const berth::native::SeccompProgram &b) {
    return a.flags == b.flags && a.code.size() == b.code.size() &&
           std::memcmp(a.code.data(), b.code.data(), a.code.size() * sizeof(sock_filter)) == 0;
}

std::vector<fs::path> entries(const fs::path &dir) {
    std::vector<fs::path> out;
    std::error_code ec;
    for (const auto &e : fs::directory_iterator(dir, ec))
        out.push_back(e.path());
    return out;
}

} // namespace

TEST_CASE("a compiled seccomp profile is cached and read back as the same program", "[unit]") {
    Sandbox sb;
    const fs::path cache = sb.dir() / "cache";
    json profile = berth::default_seccomp_profile();
    profile["flags"] = {"SECCOMP_FILTER_FLAG_LOG"};
    auto direct = berth::native::compile_seccomp(profile);
    REQUIRE(direct);
    CHECK(direct->flags == SECCOMP_FILTER_FLAG_LOG);

    auto first = berth::native::compile_seccomp_cached(profile, cache);
    REQUIRE(first);
    CHECK(same(*first, *direct));
    REQUIRE(entries(cache).size() == 1);
    auto second = berth::native::compile_seccomp_cached(profile, cache);
    REQUIRE(second);
    CHECK(same(*second, *direct));
    CHECK(entries(cache).size() == 1);

    // Another profile is another entry.
    profile["defaultErrnoRet"] = 38;
    auto other = berth::native::compile_seccomp_cached(profile, cache);
    REQUIRE(other);
    CHECK_FALSE(same(*other, *direct));
    CHECK(entries(cache).size() == 2);
}

TEST_CASE("a damaged seccomp cache entry is compiled again, never loaded", "[unit]") {
    Sandbox sb;
    const fs::path cache = sb.dir() / "cache";
    const json profile = berth::default_seccomp_profile();
    auto direct = berth::native::compile_seccomp(profile);
    REQUIRE(direct);
    REQUIRE(berth::native::compile_seccomp_cached(profile, cache));
    auto files = entries(cache);
    REQUIRE(files.size() == 1);
    const auto size = fs::file_size(files[0]);

    // A flipped byte in the stored profile text: the entry no longer matches the profile.
    {
        std::fstream f(files[0], std::ios::in | std::ios::out | std::ios::binary);
        std::string line;
        std::getline(f, line);
        f.seekp(static_cast<std::streamoff>(line.size() + 2));
        f.put('#');
    }
    auto again = berth::native::compile_seccomp_cached(profile, cache);
    REQUIRE(again);
    CHECK(same(*again, *direct));

    // A truncated entry, as a crash mid-write could leave under another name, is a miss too.
    fs::resize_file(files[0], size / 2);
    auto third = berth::native::compile_seccomp_cached(profile, cache);
    REQUIRE(third);
    CHECK(same(*third, *direct));
    CHECK(fs::file_size(files[0]) == size);
}

TEST_CASE("the seccomp cache keeps a bounded number of entries", "[unit]") {
    Sandbox sb;
    const fs::path cache = sb.dir() / "cache";
    json profile = {{"defaultAction", "SCMP_ACT_ALLOW"},
                    {"syscalls", {{{"names", {"uname"}}, {"action", "SCMP_ACT_ERRNO"}}}}};
    for (int i = 1; i <= static_cast<int>(berth::native::cache_entries) + 5; ++i) {
        profile["syscalls"][0]["errnoRet"] = i;
        REQUIRE(berth::native::compile_seccomp_cached(profile, cache));
    }
    CHECK(entries(cache).size() == berth::native::cache_entries);
}

TEST_CASE("a seccomp cache entry others could have written is not trusted", "[unit]") {
    Sandbox sb;
    const fs::path cache = sb.dir() / "cache";
    const json profile = berth::default_seccomp_profile();
    auto direct = berth::native::compile_seccomp(profile);
    REQUIRE(direct);
    REQUIRE(berth::native::compile_seccomp_cached(profile, cache));
    CHECK((fs::status(cache).permissions() & fs::perms::others_all) == fs::perms::none);
    auto files = entries(cache);
    REQUIRE(files.size() == 1);

    // A forged entry for the same profile whose filter allows everything.
    auto permissive = berth::native::compile_seccomp({{"defaultAction", "SCMP_ACT_ALLOW"}});
    REQUIRE(permissive);
    std::string data;
    {
        std::ifstream in(files[0], std::ios::binary);
        data.assign(std::istreambuf_iterator<char>(in), {});
    }
    std::string header = data.substr(0, data.find('\n'));
    header = header.substr(0, header.rfind(' ') + 1) + std::to_string(permissive->code.size());
    const std::string text = profile.dump();
    std::string forged = header + "\n" + text;
    forged.append(reinterpret_cast<const char *>(permissive->code.data()),
                  permissive->code.size() * sizeof(sock_filter));
    {
        std::ofstream out(files[0], std::ios::binary | std::ios::trunc);
        out << forged;
    }
    // Written by berth's own user, it is what the cache holds: it is used as it is.
    auto trusted = berth::native::compile_seccomp_cached(profile, cache);
    REQUIRE(trusted);
    CHECK(same(*trusted, *permissive));

    // Writable by others, it is compiled again instead.
    fs::permissions(files[0], fs::perms::others_write, fs::perm_options::add);
    auto again = berth::native::compile_seccomp_cached(profile, cache);
    REQUIRE(again);
    CHECK(same(*again, *direct));

    // So is an entry in a directory others can write to.
    {
        std::ofstream out(files[0], std::ios::binary | std::ios::trunc);
        out << forged;
    }
    fs::permissions(files[0], fs::perms::others_write, fs::perm_options::remove);
    fs::permissions(cache, fs::perms::others_write, fs::perm_options::add);
    auto third = berth::native::compile_seccomp_cached(profile, cache);
    REQUIRE(third);
    CHECK(same(*third, *direct));
}
