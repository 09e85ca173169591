// Checks on a driver instance: init and its options, the operation table, probe and features.
#include "check.hpp"
#include "driver_session.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace berth::check {
namespace {

using namespace std::chrono_literals;

// An option no driver has: init must refuse it by name instead of ignoring a typo in
// berth.yaml.
constexpr const char *kUnknownOption = "berth-driver-check-no-such-option";

Verdict init(const Context &ctx) {
    auto lib = Library::open(ctx.driver);
    if (!lib)
        return Verdict::fail(lib.error().render());
    auto inst = Instance::create(*lib, "{}");
    if (!inst)
        return Verdict::fail(inst.error().render());
    const berth_driver *t = (*inst)->table();
    if (t->struct_size < sizeof(berth_driver))
        return Verdict::fail(fmt::format("table struct_size is {}, smaller than the {} bytes of "
                                         "the 1.0 berth_driver",
                                         t->struct_size, sizeof(berth_driver)));
    if (!(*inst)->host().errors.empty())
        return Verdict::fail(fmt::format("init returned BERTH_OK but reported an error: {}",
                                         (*inst)->host().errors[0].message));
    if (!(*inst)->host().misuse.empty())
        return Verdict::fail((*inst)->host().misuse[0]);
    return Verdict::pass();
}

Verdict unknown_option(const Context &ctx) {
    auto lib = Library::open(ctx.driver);
    if (!lib)
        return Verdict::fail(lib.error().render());
    const berth_driver_entry *e = lib->entry();
    RecordingHost host(static_cast<uint32_t>(agreed_minor(e)));
    std::string options = fmt::format("{{\"{}\": true}}", kUnknownOption);
    berth_error slot{3};
    const berth_driver *table = nullptr;
    berth_status st = e->init(host.raw(), options.c_str(), &table, &slot);
    if (st == BERTH_OK) {
        if (table != nullptr)
            e->deinit(table);
        return Verdict::fail(fmt::format("init accepted the unknown option \"{}\" (an option the "
                                         "driver does not know must be BERTH_E_INVALID_ARGUMENT)",
                                         kUnknownOption));
    }
    Call c;
    c.status = st;
    c.errors = host.errors;
    c.slot = &slot;
    if (auto why = c.contract_violation("init"); !why.empty())
        return Verdict::fail(why);
    if (st != BERTH_E_INVALID_ARGUMENT)
        return Verdict::fail(fmt::format("init refused the unknown option with code {} instead "
                                         "of BERTH_E_INVALID_ARGUMENT ({})",
                                         st, BERTH_E_INVALID_ARGUMENT));
    if (c.message().find(kUnknownOption) == std::string::npos)
        return Verdict::fail(
            fmt::format("init refused the unknown option without naming it: {}", c.message()));
    return Verdict::pass(c.message());
}

// A newer host offers more minors and hands over a larger berth_host; a driver must pick a
// minor it speaks and read only the fields it knows.
Verdict newer_host(const Context &ctx) {
    auto lib = Library::open(ctx.driver);
    if (!lib)
        return Verdict::fail(lib.error().render());
    auto inst = Instance::create(*lib, "{}", true);
    if (!inst)
        return Verdict::fail(inst.error().render());
    Call c = (*inst)->probe();
    if (c.status != BERTH_OK && c.status != BERTH_E_UNAVAILABLE)
        return Verdict::fail(
            fmt::format("probe failed with code {} under a newer host: {}", c.status, c.message()));
    return Verdict::pass();
}

Verdict table(const Context &ctx) {
    auto lib = Library::open(ctx.driver);
    if (!lib)
        return Verdict::fail(lib.error().render());
    auto inst = Instance::create(*lib);
    if (!inst)
        return Verdict::fail(inst.error().render());
    const berth_driver *t = (*inst)->table();
    std::pair<const char *, bool> ops[] = {
        {"probe", t->probe != nullptr},
        {"features", t->features != nullptr},
        {"create", t->create != nullptr},
        {"start", t->start != nullptr},
        {"state", t->state != nullptr},
        {"kill", t->kill != nullptr},
        {"destroy", t->destroy != nullptr},
        {"exec", t->exec != nullptr},
        {"pause", t->pause != nullptr},
        {"resume", t->resume != nullptr},
        {"pids", t->pids != nullptr},
        {"stats", t->stats != nullptr},
        {"get_extension", t->get_extension != nullptr},
    };
    for (auto [name, set] : ops)
        if (!set)
            return Verdict::fail(fmt::format("operation {} is NULL (an operation the driver does "
                                             "not implement returns BERTH_E_NOT_SUPPORTED)",
                                             name));
    if (t->get_extension(t->self, "berth.driver-check-no-such-extension/1") != nullptr)
        return Verdict::fail("get_extension returned a table for an extension id nobody defines");
    return Verdict::pass();
}

Verdict probe(const Context &ctx) {
    auto lib = Library::open(ctx.driver);
    if (!lib)
        return Verdict::fail(lib.error().render());
    auto inst = Instance::create(*lib);
    if (!inst)
        return Verdict::fail(inst.error().render());
    Call c = (*inst)->probe();
    if (c.status == BERTH_OK) {
        if (!c.output.empty())
            return Verdict::fail(
                fmt::format("probe returned BERTH_OK but wrote a reason: {}", c.output));
        return c.errors.empty() ? Verdict::pass() : Verdict::fail(c.contract_violation("probe"));
    }
    if (c.status == BERTH_E_UNAVAILABLE) {
        if (c.output.empty())
            return Verdict::fail("probe said the driver is unusable (BERTH_E_UNAVAILABLE) "
                                 "without writing a reason");
        if (c.output.find('\n') != std::string::npos && c.output.find('\n') != c.output.size() - 1)
            return Verdict::fail("probe wrote a reason of more than one line");
        return Verdict::pass("unusable on this host: " + c.output);
    }
    if (auto why = c.contract_violation("probe"); !why.empty())
        return Verdict::fail(why);
    return Verdict::fail(fmt::format("probe returned code {} ({}); it answers BERTH_OK when "
                                     "usable or BERTH_E_UNAVAILABLE with a reason",
                                     c.status, c.message()));
}

Verdict features(const Context &ctx) {
    auto lib = Library::open(ctx.driver);
    if (!lib)
        return Verdict::fail(lib.error().render());
    auto inst = Instance::create(*lib);
    if (!inst)
        return Verdict::fail(inst.error().render());
    Call c = (*inst)->features();
    if (auto why = c.contract_violation("features"); !why.empty())
        return Verdict::fail(why);
    if (c.status != BERTH_OK)
        return Verdict::fail(
            fmt::format("features failed with code {}: {}", c.status, c.message()));
    nlohmann::json doc = nlohmann::json::parse(c.output, nullptr, false);
    if (doc.is_discarded())
        return Verdict::fail("features wrote text that is not valid JSON");
    if (!doc.is_object())
        return Verdict::fail("features wrote JSON that is not an object");
    for (const char *key : {"ociVersionMin", "ociVersionMax"}) {
        if (!doc.contains(key))
            return Verdict::fail(fmt::format("features document lacks {}", key));
        if (!doc[key].is_string() || doc[key].get<std::string>().empty())
            return Verdict::fail(fmt::format("features document {} is not a version string", key));
    }
    return Verdict::pass();
}

} // namespace

std::vector<Check> instance_checks() {
    return {
        {"init", Needs::load, 10s, init},
        {"unknown-option", Needs::load, 10s, unknown_option},
        {"newer-host", Needs::init, 10s, newer_host},
        {"operations", Needs::init, 10s, table},
        {"probe", Needs::init, 10s, probe},
        {"features", Needs::init, 10s, features},
    };
}

} // namespace berth::check
