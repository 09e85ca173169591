#include "rlimits.hpp"

#include <berth/common/unique_fd.hpp>

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <string_view>

namespace berth::native {

using nlohmann::json;

namespace {

// JSON built in code holds small numbers as signed, parsed text as unsigned: both count.
bool non_negative(const nlohmann::json &v) {
    return v.is_number_unsigned() || (v.is_number_integer() && v.get<int64_t>() >= 0);
}

struct RlimitName {
    std::string_view name;
    int resource;
};

#define BERTH_RLIMIT(r) {#r, r}
constexpr RlimitName rlimit_names[] = {
    BERTH_RLIMIT(RLIMIT_AS),      BERTH_RLIMIT(RLIMIT_CORE),       BERTH_RLIMIT(RLIMIT_CPU),
    BERTH_RLIMIT(RLIMIT_DATA),    BERTH_RLIMIT(RLIMIT_FSIZE),      BERTH_RLIMIT(RLIMIT_LOCKS),
    BERTH_RLIMIT(RLIMIT_MEMLOCK), BERTH_RLIMIT(RLIMIT_MSGQUEUE),   BERTH_RLIMIT(RLIMIT_NICE),
    BERTH_RLIMIT(RLIMIT_NOFILE),  BERTH_RLIMIT(RLIMIT_NPROC),      BERTH_RLIMIT(RLIMIT_RSS),
    BERTH_RLIMIT(RLIMIT_RTPRIO),  BERTH_RLIMIT(RLIMIT_RTTIME),     BERTH_RLIMIT(RLIMIT_SIGPENDING),
    BERTH_RLIMIT(RLIMIT_STACK),
};
#undef BERTH_RLIMIT

struct Limit {
    std::string name;
    int resource = 0;
    rlimit value{};
};

Result<Limit> parse_limit(const json &entry) {
    if (!entry.is_object() || !entry.contains("type") || !entry["type"].is_string())
        return fail(make_error(BERTH_E_INVALID_SPEC,
                               "process.rlimits entries need a type, soft and hard"));
    Limit l;
    l.name = entry["type"].get<std::string>();
    auto resource = rlimit_from_name(l.name);
    if (!resource)
        return fail(std::move(resource.error()));
    l.resource = *resource;
    auto number = [&](const char *key) -> Result<rlim_t> {
        auto it = entry.find(key);
        if (it == entry.end() || !non_negative(*it))
            return fail(make_error(BERTH_E_INVALID_SPEC,
                                   std::string("process.rlimits entry needs a non-negative ") +
                                       key,
                                   l.name));
        return it->get<uint64_t>();
    };
    auto soft = number("soft");
    if (!soft)
        return fail(std::move(soft.error()));
    auto hard = number("hard");
    if (!hard)
        return fail(std::move(hard.error()));
    if (*soft > *hard)
        return fail(make_error(BERTH_E_INVALID_SPEC, "soft limit above hard limit in rlimit",
                               l.name));
    l.value = {*soft, *hard};
    return l;
}

std::string limit_text(rlim_t v) { return v == RLIM_INFINITY ? "unlimited" : std::to_string(v); }

} // namespace

Result<int> rlimit_from_name(const std::string &name) {
    auto it = std::find_if(std::begin(rlimit_names), std::end(rlimit_names),
                           [&](const RlimitName &r) { return r.name == name; });
    if (it == std::end(rlimit_names))
        return fail(make_error(BERTH_E_INVALID_SPEC, "unknown rlimit", name)
                        .with_hint("rlimit names look like RLIMIT_NOFILE; see getrlimit(2)"));
    return it->resource;
}

Result<> check_rlimits(const json &process) {
    auto it = process.find("rlimits");
    if (it == process.end())
        return {};
    for (const auto &entry : *it) {
        auto l = parse_limit(entry);
        if (!l)
            return fail(std::move(l.error()));
    }
    return {};
}

Result<> set_rlimits(const json &process) {
    auto it = process.find("rlimits");
    if (it == process.end())
        return {};
    for (const auto &entry : *it) {
        auto l = parse_limit(entry);
        if (!l)
            return fail(std::move(l.error()));
        rlimit old{};
        if (::getrlimit(l->resource, &old) != 0)
            return fail(sys_error("get rlimit", l->name));
        if (::setrlimit(l->resource, &l->value) == 0)
            continue;
        if (errno == EPERM && l->value.rlim_max > old.rlim_max)
            return fail(sys_error("raise hard limit of " + l->name + " from " +
                                      limit_text(old.rlim_max) + " to " +
                                      limit_text(l->value.rlim_max),
                                  {}, EPERM)
                            .with_hint("raising a hard limit needs CAP_SYS_RESOURCE, which "
                                       "berth does not hold here; lower the hard limit in "
                                       "process.rlimits"));
        return fail(sys_error("set rlimit", l->name));
    }
    return {};
}

Result<> write_oom_score_adj(const json &process) {
    auto it = process.find("oomScoreAdj");
    if (it == process.end() || it->is_null())
        return {};
    if (!it->is_number_integer())
        return fail(make_error(BERTH_E_INVALID_SPEC, "process.oomScoreAdj must be an integer"));
    std::string text = std::to_string(it->get<int>());
    const char *path = "/proc/self/oom_score_adj";
    UniqueFd fd(::open(path, O_WRONLY | O_CLOEXEC));
    if (!fd)
        return fail(sys_error("open", path));
    if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
        auto e = sys_error("write " + text + " to", path);
        if (e.sys_errno == EACCES)
            return fail(std::move(e).with_hint("lowering oom_score_adj needs CAP_SYS_RESOURCE"));
        return fail(std::move(e));
    }
    return {};
}

} // namespace berth::native
