// Many berth processes at once on one state root: records stay whole and every container is
// either fully there or fully gone.
#include "lifecycle_support.hpp"

#include <set>
#include <thread>

using namespace berth::test;
using namespace berth::test::lifecycle;

TEST_CASE("20 concurrent creates and then 20 concurrent forced deletes leave consistent state",
          "[root]") {
    require_native();
    Sandbox sb;
    constexpr int n = 20;
    std::vector<std::string> ids;
    std::vector<fs::path> bundles;
    for (int i = 0; i < n; ++i) {
        ids.push_back(sb.id("c" + std::to_string(i)));
        bundles.push_back(bundle(sb, "c" + std::to_string(i), {"sleep", "1000"}));
    }
    std::vector<RunResult> created(n);
    std::vector<RunResult> listed(n);
    {
        std::vector<std::thread> threads;
        for (int i = 0; i < n; ++i) {
            threads.emplace_back([&, i] {
                created[i] = berth_to_files(sb, {"create", "-b", bundles[i].string(), ids[i]},
                                            "create" + std::to_string(i));
            });
            // Readers run beside the writers: each list must parse and show whole records.
            threads.emplace_back(
                [&, i] { listed[i] = sb.berth({"list", "--format", "json"}, {}, 120); });
        }
        for (auto &t : threads)
            t.join();
    }
    for (int i = 0; i < n; ++i) {
        INFO(created[i].err);
        CHECK(created[i].exit_code == 0);
        INFO(listed[i].err);
        CHECK(listed[i].exit_code == 0);
        CHECK_NOTHROW(json::parse(listed[i].out));
    }
    RunResult list = sb.berth({"list", "--format", "json"});
    REQUIRE(list.exit_code == 0);
    std::set<std::string> seen;
    for (const auto &c : json::parse(list.out)) {
        seen.insert(c["id"].get<std::string>());
        CHECK(c["status"] == "created");
    }
    CHECK(seen == std::set<std::string>(ids.begin(), ids.end()));

    // Half are started while the deletes of the others run; a second delete of each id races
    // the first, and exactly one of them removes it.
    std::vector<RunResult> deleted(2 * n);
    {
        std::vector<std::thread> threads;
        for (int i = 0; i < n; ++i) {
            threads.emplace_back([&, i] {
                if (i % 2 == 0)
                    sb.berth({"start", ids[i]}, {}, 120);
                deleted[2 * i] = sb.berth({"delete", "--force", ids[i]}, {}, 120);
            });
            threads.emplace_back(
                [&, i] { deleted[2 * i + 1] = sb.berth({"delete", "--force", ids[i]}, {}, 120); });
        }
        for (auto &t : threads)
            t.join();
    }
    for (const auto &d : deleted) {
        INFO(d.err);
        CHECK(d.exit_code == 0);
    }
    RunResult after = sb.berth({"list", "-q"});
    CHECK(after.exit_code == 0);
    CHECK(after.out == "");
    CHECK(sb.leftovers().empty());
}
