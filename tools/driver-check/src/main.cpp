// berth-driver-check DRIVER.so: runs every conformance check on one driver file, each in a
// process of its own, and prints one line per check and a summary. Exit status 0 when no check
// failed, 1 when one did, 2 on a usage error.
#include "check.hpp"
#include "check_runner.hpp"

#include <fmt/format.h>

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

namespace {

using berth::check::Check;
using berth::check::Context;
using berth::check::Needs;
using berth::check::Verdict;

constexpr const char *kUsage =
    "usage: berth-driver-check [--verbose] [--iterations N] [--only CHECK] DRIVER.so\n"
    "Checks that an execution driver keeps the berth driver ABI v1 contract. Each check runs in\n"
    "a process of its own; output is one line per check (PASS name / FAIL name: reason /\n"
    "SKIP name: reason) and a summary. Exit status: 0 when no check failed, 1 otherwise.\n"
    "  --iterations N  load/init/deinit/unload cycles of the leak check (default 50)\n"
    "  --only CHECK    run only the named check (and report the others skipped)\n"
    "  --verbose       after a passing check, show what it saw on an indented line\n";

int usage_error(const std::string &why) {
    std::fprintf(stderr, "berth-driver-check: %s\n%s", why.c_str(), kUsage);
    return 2;
}

} // namespace

int main(int argc, char **argv) {
    Context ctx;
    std::string only;
    bool verbose = false;
    std::string driver;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "-h" || a == "--help") {
            std::fputs(kUsage, stdout);
            return 0;
        }
        if (a == "-v" || a == "--verbose") {
            verbose = true;
            continue;
        }
        if ((a == "--iterations" || a == "--only") && i + 1 < argc) {
            std::string v = argv[++i];
            if (a == "--only") {
                only = v;
                continue;
            }
            try {
                ctx.iterations = static_cast<unsigned>(std::stoul(v));
            } catch (const std::exception &) {
                return usage_error(fmt::format("--iterations needs a number, not \"{}\"", v));
            }
            continue;
        }
        if (a.starts_with("-"))
            return usage_error(fmt::format("unknown option {}", a));
        if (!driver.empty())
            return usage_error("give exactly one driver file");
        driver = a;
    }
    if (driver.empty())
        return usage_error("no driver file given");
    struct stat st {};
    if (stat(driver.c_str(), &st) != 0)
        return usage_error(fmt::format("cannot read `{}`: {}", driver, std::strerror(errno)));
    // dlopen searches the library path for a bare name; the checker must test this very file.
    ctx.driver = std::filesystem::absolute(driver);

    std::vector<Check> checks;
    for (auto group : {berth::check::entry_checks, berth::check::instance_checks,
                       berth::check::operation_checks, berth::check::leak_checks})
        for (const Check &c : group())
            checks.push_back(c);
    if (!only.empty() &&
        std::none_of(checks.begin(), checks.end(), [&](const Check &c) { return only == c.name; }))
        return usage_error(fmt::format("no check named \"{}\"", only));

    bool loaded = true, initialised = true;
    unsigned passed = 0, failed = 0, skipped = 0;
    for (const Check &c : checks) {
        Verdict v;
        if (!only.empty() && only != c.name)
            v = Verdict::skip("not selected with --only");
        else if (c.needs != Needs::nothing && !loaded)
            v = Verdict::skip("the driver does not load");
        else if (c.needs == Needs::init && !initialised)
            v = Verdict::skip("init with no options fails");
        else {
            try {
                v = berth::check::run_in_child(c, ctx);
            } catch (const std::exception &e) {
                v = Verdict::fail(std::string("checker error: ") + e.what());
            }
        }
        if (std::string(c.name) == "load" && v.failed())
            loaded = false;
        if (std::string(c.name) == "init" && v.failed())
            initialised = false;
        switch (v.kind) {
        case Verdict::Kind::pass:
            ++passed;
            fmt::print("PASS {}\n", c.name);
            if (verbose && !v.reason.empty())
                fmt::print("    {}\n", v.reason);
            break;
        case Verdict::Kind::fail:
            ++failed;
            fmt::print("FAIL {}: {}\n", c.name, v.reason);
            break;
        case Verdict::Kind::skip:
            ++skipped;
            fmt::print("SKIP {}: {}\n", c.name, v.reason);
            break;
        }
        std::fflush(stdout);
    }
    fmt::print("{} passed, {} failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
