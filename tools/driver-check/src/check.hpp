// One conformance check: a name users see in the report, and a body that runs in a process of
// its own (check_runner) so that a driver that crashes, hangs or exits takes only that check
// down.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace berth::check {

struct Verdict {
    enum class Kind { pass, fail, skip };
    Kind kind = Kind::pass;
    std::string reason; // for pass: an optional note shown with --verbose

    static Verdict pass(std::string note = {}) { return {Kind::pass, std::move(note)}; }
    static Verdict fail(std::string why) { return {Kind::fail, std::move(why)}; }
    static Verdict skip(std::string why) { return {Kind::skip, std::move(why)}; }
    bool failed() const { return kind == Kind::fail; }
};

// What every check gets. `scratch` is a fresh directory per check (removed afterwards) with
// an empty `state/` and a `bundle/rootfs/`.
struct Context {
    std::filesystem::path driver;
    std::filesystem::path scratch;
    unsigned iterations = 50; // load/unload cycles of the leak check
};

// Which earlier check must have passed for this one to mean anything.
enum class Needs { nothing, load, init };

struct Check {
    const char *name;
    Needs needs;
    std::chrono::seconds deadline;
    Verdict (*run)(const Context &ctx);
};

// The checks of each group, in report order.
std::vector<Check> entry_checks();     // exports, load, entry, negotiate
std::vector<Check> instance_checks();  // init, options, newer host, table, probe, features
std::vector<Check> operation_checks(); // failure messages, invalid spec, fields, quiet
std::vector<Check> leak_checks();      // repeated load/init/deinit/unload

} // namespace berth::check
