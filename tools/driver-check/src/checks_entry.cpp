// Checks on the file and its entry struct: what a host looks at before it creates an instance.
#include "check.hpp"
#include "driver_session.hpp"
#include "elf_exports.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstring>

namespace berth::check {
namespace {

using namespace std::chrono_literals;

Verdict exports(const Context &ctx) {
    auto syms = exported_symbols(ctx.driver);
    if (!syms)
        return Verdict::fail(syms.error().render());
    std::vector<std::string> extra;
    bool has_entry = false;
    for (const auto &s : *syms) {
        if (s == BERTH_DRIVER_ENTRY_SYMBOL)
            has_entry = true;
        else
            extra.push_back(s);
    }
    if (!has_entry)
        return Verdict::fail(
            fmt::format("{} is not exported (exported: {})", BERTH_DRIVER_ENTRY_SYMBOL,
                        extra.empty() ? "nothing" : fmt::format("{}", fmt::join(extra, ", "))));
    if (!extra.empty()) {
        std::vector<std::string> shown(extra.begin(),
                                       extra.begin() + std::min<size_t>(5, extra.size()));
        return Verdict::fail(fmt::format(
            "exports {} symbol{} besides {}: {}{} (link with the berth-driver.map version script "
            "and build with hidden visibility)",
            extra.size(), extra.size() == 1 ? "" : "s", BERTH_DRIVER_ENTRY_SYMBOL,
            fmt::join(shown, ", "), extra.size() > shown.size() ? ", ..." : ""));
    }
    return Verdict::pass();
}

Verdict load(const Context &ctx) {
    auto lib = Library::open(ctx.driver);
    if (!lib)
        return Verdict::fail(lib.error().render());
    // The entry function returns a static struct and nothing else, so calling it again must
    // give the same pointer.
    if (lib->entry_fn()() != lib->entry())
        return Verdict::fail(fmt::format("{}() returned a different pointer on its second call "
                                         "(it must return one static entry)",
                                         BERTH_DRIVER_ENTRY_SYMBOL));
    return Verdict::pass();
}

bool valid_name(const char *s) {
    if (*s == '\0')
        return false;
    for (; *s; ++s)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
            return false;
    return true;
}

Verdict entry(const Context &ctx) {
    auto lib = Library::open(ctx.driver);
    if (!lib)
        return Verdict::fail(lib.error().render());
    const berth_driver_entry *e = lib->entry();
    // The first field can always be read; the rest only when the driver says they are there.
    if (e->struct_size < sizeof(berth_driver_entry))
        return Verdict::fail(fmt::format("entry struct_size is {}, smaller than the {} bytes of "
                                         "the 1.0 berth_driver_entry",
                                         e->struct_size, sizeof(berth_driver_entry)));
    if (e->abi_major != BERTH_ABI_MAJOR)
        return Verdict::fail(fmt::format("entry abi_major is {} but the symbol is {}", e->abi_major,
                                         BERTH_DRIVER_ENTRY_SYMBOL));
    for (auto [field, value] : {std::pair{"name", e->name}, std::pair{"version", e->version},
                                std::pair{"description", e->description}}) {
        if (value == nullptr)
            return Verdict::fail(fmt::format("entry {} is NULL", field));
        if (*value == '\0')
            return Verdict::fail(fmt::format("entry {} is empty", field));
        if (std::strchr(value, '\n') != nullptr)
            return Verdict::fail(fmt::format("entry {} is more than one line", field));
    }
    if (!valid_name(e->name))
        return Verdict::fail(fmt::format("entry name \"{}\" is not [a-z0-9_-]+", e->name));
    std::string file_name = driver_file_name(ctx.driver);
    if (file_name != e->name)
        return Verdict::fail(fmt::format("entry name \"{}\" does not match the file name {}.so "
                                         "(the host finds drivers by file name)",
                                         e->name, file_name));
    if (e->negotiate == nullptr || e->init == nullptr || e->deinit == nullptr)
        return Verdict::fail(fmt::format("entry {} is NULL", e->negotiate == nullptr ? "negotiate"
                                                             : e->init == nullptr    ? "init"
                                                                                     : "deinit"));
    if (e->min_minor > e->max_minor)
        return Verdict::fail(
            fmt::format("entry min_minor {} is above max_minor {}", e->min_minor, e->max_minor));
    return Verdict::pass();
}

// What the driver must answer for a host offering [lo, hi]: the newest minor in both ranges is
// conventional, but any minor in both is correct; outside both, -1.
std::string judge_offer(const berth_driver_entry *e, uint32_t lo, uint32_t hi, const char *who) {
    int32_t got = e->negotiate(lo, hi);
    bool overlap = lo <= e->max_minor && e->min_minor <= hi;
    if (!overlap) {
        if (got != -1)
            return fmt::format("{} offering [{}, {}] outside the driver's [{}, {}] got {} instead "
                               "of a refusal (-1)",
                               who, lo, hi, e->min_minor, e->max_minor, got);
        return {};
    }
    if (got < 0)
        return fmt::format("{} offering [{}, {}] was refused although the driver declares "
                           "[{}, {}]",
                           who, lo, hi, e->min_minor, e->max_minor);
    auto g = static_cast<uint32_t>(got);
    if (g < lo || g > hi)
        return fmt::format("{} offering [{}, {}] got minor {}, which it did not offer", who, lo, hi,
                           got);
    if (g < e->min_minor || g > e->max_minor)
        return fmt::format("{} offering [{}, {}] got minor {}, outside the driver's declared "
                           "[{}, {}]",
                           who, lo, hi, got, e->min_minor, e->max_minor);
    return {};
}

Verdict negotiate(const Context &ctx) {
    auto lib = Library::open(ctx.driver);
    if (!lib)
        return Verdict::fail(lib.error().render());
    const berth_driver_entry *e = lib->entry();
    if (e->negotiate == nullptr)
        return Verdict::fail("entry negotiate is NULL");
    const uint32_t top = e->max_minor;
    struct Offer {
        uint32_t lo, hi;
        const char *who;
    } offers[] = {
        {0, BERTH_ABI_MINOR, "this host"},
        {0, 0, "a 1.0 host"},
        {0, top + 5, "a newer host"},
        {top + 1, top + 5, "a host that dropped the driver's minors"},
        {top + 100, top + 200, "a far newer host"},
    };
    for (const Offer &o : offers)
        if (auto why = judge_offer(e, o.lo, o.hi, o.who); !why.empty())
            return Verdict::fail(why);
    if (e->min_minor > 0)
        if (auto why = judge_offer(e, 0, e->min_minor - 1, "an older host"); !why.empty())
            return Verdict::fail(why);
    if (int32_t got = e->negotiate(3, 1); got != -1)
        return Verdict::fail(fmt::format("an empty offer [3, 1] got {} instead of -1", got));
    return Verdict::pass();
}

} // namespace

std::vector<Check> entry_checks() {
    return {
        {"exports", Needs::nothing, 10s, exports},
        {"load", Needs::nothing, 10s, load},
        {"entry", Needs::load, 10s, entry},
        {"negotiate", Needs::load, 10s, negotiate},
    };
}

} // namespace berth::check
