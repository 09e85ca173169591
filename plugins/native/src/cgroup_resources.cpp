#include "cgroup_resources.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <regex>

namespace berth::native {

uint64_t cpu_shares_to_weight(uint64_t shares) {
    if (shares == 0)
        return 0;
    shares = std::clamp<uint64_t>(shares, 2, 262144);
    return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t cpu_weight_to_shares(uint64_t weight) {
    if (weight == 0)
        return 0;
    weight = std::clamp<uint64_t>(weight, 1, 10000);
    return 2 + ((weight - 1) * 262142) / 9999;
}

Result<int64_t> swap_max_v2(int64_t swap, int64_t limit) {
    // An unlimited memory limit with swap unset asks for both unlimited, as it does on v1.
    if (limit == -1 && swap == 0)
        return -1;
    if (swap == -1 || swap == 0)
        return swap;
    if (limit <= 0)
        return fail(make_error(BERTH_E_INVALID_SPEC,
                               "linux.resources.memory.swap needs memory.limit to be set"));
    if (swap < limit)
        return fail(make_error(
            BERTH_E_INVALID_SPEC,
            fmt::format("linux.resources.memory.swap ({}) is below memory.limit ({}); it counts "
                        "memory plus swap",
                        swap, limit)));
    return swap - limit;
}

namespace {

using nlohmann::json;

Error spec_error(const std::string &message) {
    return make_error(BERTH_E_INVALID_SPEC, message);
}

Error unsupported(const std::string &field, const std::string &why) {
    return make_error(BERTH_E_NOT_SUPPORTED,
                      fmt::format("linux.resources.{} is not supported: {}", field, why));
}

bool is_empty(const json &v) {
    return v.is_null() || ((v.is_object() || v.is_array()) && v.empty());
}

class Planner {
public:
    Planner(const ControllerVersion &version_of) : version_of_(version_of) {}

    Result<CgroupPlan> run(const json &resources);

private:
    const ControllerVersion &version_of_;
    CgroupPlan plan_;

    // The version serving `controller`, recording that `field` needs it.
    Result<int> need(const std::string &controller, const std::string &field) {
        int v = version_of_(controller);
        if (v == 0)
            return fail(
                make_error(BERTH_E_UNAVAILABLE,
                           fmt::format("cgroup controller {} not available (linux.resources.{} "
                                       "needs it)",
                                       controller, field))
                    .with_hint(fmt::format("enable the {} controller on this host or remove "
                                           "linux.resources.{} from the spec",
                                           controller, field)));
        plan_.controllers.emplace(controller, field);
        return v;
    }

    void write(const std::string &controller, std::string file, std::string value,
               const std::string &field) {
        plan_.writes.push_back({controller, std::move(file), std::move(value), field});
    }

    Result<> check_keys(const json &section, const std::string &name,
                        std::initializer_list<const char *> known) {
        if (!section.is_object())
            return fail(spec_error("linux.resources." + name + " must be an object"));
        for (const auto &[key, value] : section.items())
            if (std::none_of(known.begin(), known.end(), [&](const char *k) { return key == k; }))
                return fail(unsupported(name + "." + key, "the native driver does not know it"));
        return {};
    }

    Result<std::optional<int64_t>> integer(const json &section, const std::string &name,
                                           const char *key) {
        if (!section.contains(key) || section[key].is_null())
            return std::optional<int64_t>();
        if (!section[key].is_number_integer())
            return fail(spec_error(fmt::format("linux.resources.{}.{} must be an integer", name,
                                               key)));
        return std::optional<int64_t>(section[key].get<int64_t>());
    }

    Result<> memory(const json &m);
    Result<> cpu(const json &c);
    Result<> pids(const json &p);
    Result<> hugepages(const json &h);
    Result<> unified(const json &u);
    Result<> devices(const json &d);
};

Result<> Planner::memory(const json &m) {
    if (auto r = check_keys(m, "memory",
                            {"limit", "reservation", "swap", "kernel", "kernelTCP", "swappiness",
                             "disableOOMKiller", "useHierarchy", "checkBeforeUpdate"});
        !r)
        return r;
    std::optional<int64_t> limit, reservation, swap, kernel, kernel_tcp, swappiness;
    for (auto [key, out] : {std::pair{"limit", &limit}, {"reservation", &reservation},
                            {"swap", &swap}, {"kernel", &kernel}, {"kernelTCP", &kernel_tcp},
                            {"swappiness", &swappiness}}) {
        auto v = integer(m, "memory", key);
        if (!v)
            return fail(v.error());
        *out = *v;
    }
    for (const char *key : {"disableOOMKiller", "useHierarchy", "checkBeforeUpdate"})
        if (m.contains(key) && !m[key].is_null() && !m[key].is_boolean())
            return fail(spec_error(fmt::format("linux.resources.memory.{} must be a boolean",
                                               key)));
    bool disable_oom = m.contains("disableOOMKiller") && m["disableOOMKiller"] == true;
    std::optional<bool> hierarchy;
    if (m.contains("useHierarchy") && m["useHierarchy"].is_boolean())
        hierarchy = m["useHierarchy"].get<bool>();
    if (!limit && !reservation && !swap && !kernel && !kernel_tcp && !swappiness &&
        !disable_oom && !hierarchy)
        return {};
    auto v = need("memory", "memory");
    if (!v)
        return fail(v.error());
    if (*v == 1) {
        // memory.memsw.limit_in_bytes may never be below memory.limit_in_bytes; a fresh cgroup
        // has both unlimited, so the limit goes first.
        if (limit)
            write("memory", "memory.limit_in_bytes", std::to_string(*limit), "memory.limit");
        if (swap)
            write("memory", "memory.memsw.limit_in_bytes", std::to_string(*swap), "memory.swap");
        if (reservation)
            write("memory", "memory.soft_limit_in_bytes", std::to_string(*reservation),
                  "memory.reservation");
        if (kernel)
            write("memory", "memory.kmem.limit_in_bytes", std::to_string(*kernel),
                  "memory.kernel");
        if (kernel_tcp)
            write("memory", "memory.kmem.tcp.limit_in_bytes", std::to_string(*kernel_tcp),
                  "memory.kernelTCP");
        if (swappiness) {
            if (*swappiness < 0 || *swappiness > 100)
                return fail(spec_error(fmt::format(
                    "linux.resources.memory.swappiness must be 0..100, not {}", *swappiness)));
            write("memory", "memory.swappiness", std::to_string(*swappiness),
                  "memory.swappiness");
        }
        if (disable_oom)
            write("memory", "memory.oom_control", "1", "memory.disableOOMKiller");
        if (hierarchy)
            write("memory", "memory.use_hierarchy", *hierarchy ? "1" : "0",
                  "memory.useHierarchy");
        return {};
    }
    const std::string why = "cgroup v2 has no such setting";
    if (kernel)
        return fail(unsupported("memory.kernel", why));
    if (kernel_tcp)
        return fail(unsupported("memory.kernelTCP", why));
    if (swappiness)
        return fail(unsupported("memory.swappiness", why));
    if (disable_oom)
        return fail(unsupported("memory.disableOOMKiller", why));
    if (hierarchy && !*hierarchy)
        return fail(unsupported("memory.useHierarchy", "cgroup v2 is always hierarchical"));
    auto max = [](int64_t n) { return n < 0 ? std::string("max") : std::to_string(n); };
    if (limit)
        write("memory", "memory.max", max(*limit), "memory.limit");
    if (swap || (limit && *limit == -1)) {
        auto s = swap_max_v2(swap.value_or(0), limit.value_or(0));
        if (!s)
            return fail(s.error());
        if (*s != 0 || swap)
            write("memory", "memory.swap.max", max(*s), "memory.swap");
    }
    if (reservation)
        write("memory", "memory.low", max(*reservation), "memory.reservation");
    return {};
}

Result<> Planner::cpu(const json &c) {
    if (auto r = check_keys(c, "cpu",
                            {"shares", "quota", "burst", "period", "realtimeRuntime",
                             "realtimePeriod", "cpus", "mems", "idle"});
        !r)
        return r;
    std::optional<int64_t> shares, quota, burst, period, rt_runtime, rt_period, idle;
    for (auto [key, out] : {std::pair{"shares", &shares}, {"quota", &quota}, {"burst", &burst},
                            {"period", &period}, {"realtimeRuntime", &rt_runtime},
                            {"realtimePeriod", &rt_period}, {"idle", &idle}}) {
        auto v = integer(c, "cpu", key);
        if (!v)
            return fail(v.error());
        *out = *v;
    }
    for (const char *key : {"cpus", "mems"})
        if (c.contains(key) && !c[key].is_null() && !c[key].is_string())
            return fail(spec_error(fmt::format("linux.resources.cpu.{} must be a string", key)));
    if (shares && *shares < 0)
        return fail(spec_error("linux.resources.cpu.shares must not be negative"));
    if (period && *period <= 0)
        return fail(spec_error("linux.resources.cpu.period must be positive"));

    if (shares || quota || burst || period || rt_runtime || rt_period || idle) {
        auto v = need("cpu", "cpu");
        if (!v)
            return fail(v.error());
        if (*v == 1) {
            if (shares && *shares != 0)
                write("cpu", "cpu.shares", std::to_string(*shares), "cpu.shares");
            if (period)
                write("cpu", "cpu.cfs_period_us", std::to_string(*period), "cpu.period");
            if (quota)
                write("cpu", "cpu.cfs_quota_us", std::to_string(*quota), "cpu.quota");
            if (burst)
                write("cpu", "cpu.cfs_burst_us", std::to_string(*burst), "cpu.burst");
            // The runtime must fit the period, and a fresh cgroup's runtime is 0.
            if (rt_period)
                write("cpu", "cpu.rt_period_us", std::to_string(*rt_period),
                      "cpu.realtimePeriod");
            if (rt_runtime)
                write("cpu", "cpu.rt_runtime_us", std::to_string(*rt_runtime),
                      "cpu.realtimeRuntime");
        } else {
            if (rt_runtime || rt_period)
                return fail(unsupported(rt_runtime ? "cpu.realtimeRuntime" : "cpu.realtimePeriod",
                                        "cgroup v2 has no real-time CPU budget"));
            if (shares && *shares != 0)
                write("cpu", "cpu.weight", std::to_string(cpu_shares_to_weight(*shares)),
                      "cpu.shares");
            if (quota || period) {
                std::string q = quota && *quota > 0 ? std::to_string(*quota) : "max";
                write("cpu", "cpu.max", q + " " + std::to_string(period.value_or(100000)),
                      quota ? "cpu.quota" : "cpu.period");
            }
            if (burst)
                write("cpu", "cpu.max.burst", std::to_string(*burst), "cpu.burst");
        }
        if (idle)
            write("cpu", "cpu.idle", std::to_string(*idle), "cpu.idle");
    }
    for (const char *key : {"cpus", "mems"}) {
        if (!c.contains(key) || c[key].is_null() || c[key].get<std::string>().empty())
            continue;
        const std::string field = std::string("cpu.") + key;
        auto v = need("cpuset", field);
        if (!v)
            return fail(v.error());
        write("cpuset", std::string("cpuset.") + key, c[key].get<std::string>(), field);
    }
    return {};
}

Result<> Planner::pids(const json &p) {
    if (auto r = check_keys(p, "pids", {"limit"}); !r)
        return r;
    auto limit = integer(p, "pids", "limit");
    if (!limit)
        return fail(limit.error());
    if (!*limit)
        return {};
    if (auto v = need("pids", "pids.limit"); !v)
        return fail(v.error());
    write("pids", "pids.max", **limit > 0 ? std::to_string(**limit) : "max", "pids.limit");
    return {};
}

Result<> Planner::hugepages(const json &h) {
    if (!h.is_array())
        return fail(spec_error("linux.resources.hugepageLimits must be an array"));
    static const std::regex page_size("[0-9]+[KMG]B");
    for (size_t i = 0; i < h.size(); ++i) {
        const std::string field = fmt::format("hugepageLimits[{}]", i);
        const auto &e = h[i];
        if (!e.is_object() || !e.contains("pageSize") || !e["pageSize"].is_string() ||
            !e.contains("limit") || !e["limit"].is_number_integer() ||
            e["limit"].get<int64_t>() < 0)
            return fail(spec_error("linux.resources." + field +
                                   " needs pageSize (\"2MB\") and limit (bytes)"));
        auto size = e["pageSize"].get<std::string>();
        if (!std::regex_match(size, page_size))
            return fail(spec_error(fmt::format("linux.resources.{}.pageSize `{}` is not like "
                                               "\"2MB\"",
                                               field, size)));
        auto v = need("hugetlb", "hugepageLimits");
        if (!v)
            return fail(v.error());
        auto file = fmt::format("hugetlb.{}.{}", size, *v == 1 ? "limit_in_bytes" : "max");
        write("hugetlb", file, std::to_string(e["limit"].get<uint64_t>()), field);
    }
    return {};
}

Result<> Planner::unified(const json &u) {
    if (!u.is_object())
        return fail(spec_error("linux.resources.unified must be an object"));
    for (const auto &[key, value] : u.items()) {
        const std::string field = "unified." + key;
        if (!value.is_string())
            return fail(spec_error("linux.resources." + field + " must be a string"));
        auto dot = key.find('.');
        if (dot == std::string::npos || dot == 0 || key.find('/') != std::string::npos)
            return fail(spec_error("linux.resources." + field + " is not a cgroup file name"));
        const std::string controller = key.substr(0, dot);
        if (controller == "cgroup")
            return fail(unsupported(field, "core cgroup files are the runtime's"));
        auto v = need(controller, field);
        if (!v)
            return fail(v.error());
        if (*v != 2)
            return fail(unsupported(field, "the " + controller + " controller is on cgroup v1 "
                                                                 "here"));
        write(controller, key, value.get<std::string>(), field);
    }
    return {};
}

Result<> Planner::devices(const json &d) {
    auto spec_rules = parse_device_rules(d);
    if (!spec_rules)
        return fail(spec_rules.error());
    int v = version_of_("devices");
    if (v == 0) {
        if (auto missing = need("devices", "devices"); !missing && !spec_rules->empty())
            return fail(missing.error());
        return {};
    }
    plan_.controllers.emplace("devices", "devices");
    auto rules = container_device_rules(*spec_rules);
    if (v == 2) {
        plan_.device_program = std::move(rules);
        return {};
    }
    for (auto &w : device_writes_v1(rules))
        write("devices", w.file, w.value, "devices");
    return {};
}

Result<CgroupPlan> Planner::run(const json &resources) {
    json r = resources.is_null() ? json::object() : resources;
    if (!r.is_object())
        return fail(spec_error("linux.resources must be an object"));
    for (const auto &[key, value] : r.items()) {
        static const char *known[] = {"devices", "memory", "cpu", "pids", "hugepageLimits",
                                      "unified"};
        if (std::find_if(std::begin(known), std::end(known),
                         [&](const char *k) { return key == k; }) != std::end(known))
            continue;
        if (!is_empty(value))
            return fail(unsupported(key, "the native driver does not implement it"));
    }
    if (auto res = devices(r.value("devices", json())); !res)
        return fail(res.error());
    using Step = Result<> (Planner::*)(const json &);
    for (auto [key, step] : {std::pair<const char *, Step>{"memory", &Planner::memory},
                             {"cpu", &Planner::cpu},
                             {"pids", &Planner::pids},
                             {"hugepageLimits", &Planner::hugepages},
                             {"unified", &Planner::unified}}) {
        if (!r.contains(key) || r[key].is_null())
            continue;
        if (auto res = (this->*step)(r[key]); !res)
            return fail(res.error());
    }
    return std::move(plan_);
}

} // namespace

Result<CgroupPlan> plan_resources(const nlohmann::json &resources,
                                  const ControllerVersion &version_of) {
    return Planner(version_of).run(resources);
}

} // namespace berth::native
