#include "cgroup_stats.hpp"

#include "cgroup_files.hpp"

#include <unistd.h>

#include <filesystem>
#include <limits>

namespace berth::native {

using nlohmann::json;

namespace {

constexpr uint64_t unlimited = std::numeric_limits<uint64_t>::max();

uint64_t value_of(const std::map<std::string, uint64_t> &m, const std::string &key) {
    auto it = m.find(key);
    return it == m.end() ? 0 : it->second;
}

// A counter file that may be absent on this kernel (memory.peak, memsw without swap
// accounting): 0 when it is. "max" reads as the largest value, as runc reports it.
uint64_t optional_number(const std::string &path) {
    auto v = read_cgroup_number(path);
    if (!v)
        return 0;
    return v->value_or(unlimited);
}

std::string optional_text(const std::string &path) {
    auto t = read_cgroup_file(path);
    return t ? *t : std::string();
}

json raw_stat(const std::string &path) {
    json raw = json::object();
    for (const auto &[k, v] : parse_keyed_values(optional_text(path)))
        raw[k] = v;
    return raw;
}

json memory_v1(const std::string &dir) {
    auto entry = [&](const std::string &prefix) {
        return json{{"usage", optional_number(dir + "/" + prefix + "usage_in_bytes")},
                    {"max", optional_number(dir + "/" + prefix + "max_usage_in_bytes")},
                    {"limit", optional_number(dir + "/" + prefix + "limit_in_bytes")},
                    {"failcnt", optional_number(dir + "/" + prefix + "failcnt")}};
    };
    json raw = raw_stat(dir + "/memory.stat");
    return json{{"cache", raw.value("cache", uint64_t{0})},
                {"usage", entry("memory.")},
                {"swap", entry("memory.memsw.")},
                {"kernel", entry("memory.kmem.")},
                {"kernelTCP", entry("memory.kmem.tcp.")},
                {"raw", raw}};
}

json memory_v2(const std::string &dir) {
    auto events = parse_keyed_values(optional_text(dir + "/memory.events"));
    uint64_t current = optional_number(dir + "/memory.current");
    json raw = raw_stat(dir + "/memory.stat");
    // v1's memsw counts memory plus swap; v2 counts swap alone, so usage adds the two.
    uint64_t swap = optional_number(dir + "/memory.swap.current");
    return json{{"cache", raw.value("file", uint64_t{0})},
                {"usage",
                 {{"usage", current},
                  {"max", optional_number(dir + "/memory.peak")},
                  {"limit", optional_number(dir + "/memory.max")},
                  {"failcnt", value_of(events, "max")}}},
                {"swap",
                 {{"usage", current + swap},
                  {"max", optional_number(dir + "/memory.swap.peak")},
                  {"limit", optional_number(dir + "/memory.swap.max")},
                  {"failcnt", value_of(parse_keyed_values(
                                           optional_text(dir + "/memory.swap.events")),
                                       "max")}}},
                {"raw", raw}};
}

json pids_stats(const std::string &dir) {
    uint64_t limit = optional_number(dir + "/pids.max");
    // runc reports an unlimited pids.max as 0.
    return json{{"current", optional_number(dir + "/pids.current")},
                {"limit", limit == unlimited ? 0 : limit}};
}

// Page sizes the kernel supports, as hugetlb files name them ("2MB", "1GB").
std::vector<std::string> huge_page_sizes() {
    std::vector<std::string> sizes;
    std::error_code ec;
    for (const auto &e : std::filesystem::directory_iterator("/sys/kernel/mm/hugepages", ec)) {
        auto name = e.path().filename().string(); // hugepages-2048kB
        if (!name.starts_with("hugepages-") || !name.ends_with("kB"))
            continue;
        uint64_t kb = std::stoull(name.substr(10, name.size() - 12));
        if (kb >= 1024 * 1024 && kb % (1024 * 1024) == 0)
            sizes.push_back(std::to_string(kb / (1024 * 1024)) + "GB");
        else if (kb >= 1024 && kb % 1024 == 0)
            sizes.push_back(std::to_string(kb / 1024) + "MB");
        else
            sizes.push_back(std::to_string(kb) + "KB");
    }
    return sizes;
}

json hugetlb_stats(const ControllerDir &c) {
    json out = json::object();
    for (const auto &size : huge_page_sizes()) {
        const std::string base = c.dir + "/hugetlb." + size;
        if (c.version == 1)
            out[size] = {{"usage", optional_number(base + ".usage_in_bytes")},
                         {"max", optional_number(base + ".max_usage_in_bytes")},
                         {"failcnt", optional_number(base + ".failcnt")}};
        else
            out[size] = {{"usage", optional_number(base + ".current")},
                         {"max", 0},
                         {"failcnt", value_of(parse_keyed_values(optional_text(base + ".events")),
                                              "max")}};
    }
    return out;
}

} // namespace

json cpu_stats_v2(std::string_view cpu_stat) {
    auto s = parse_keyed_values(cpu_stat);
    return json{{"usage",
                 {{"total", value_of(s, "usage_usec") * 1000},
                  {"kernel", value_of(s, "system_usec") * 1000},
                  {"user", value_of(s, "user_usec") * 1000}}},
                {"throttling",
                 {{"periods", value_of(s, "nr_periods")},
                  {"throttled_periods", value_of(s, "nr_throttled")},
                  {"throttled_time", value_of(s, "throttled_usec") * 1000}}}};
}

json cpu_stats_v1(std::string_view usage, std::string_view usage_percpu,
                  std::string_view cpuacct_stat, std::string_view cpu_stat,
                  long ticks_per_second) {
    auto ticks = parse_keyed_values(cpuacct_stat);
    const uint64_t ns_per_tick = 1'000'000'000 / static_cast<uint64_t>(ticks_per_second);
    json percpu = json::array();
    for (const auto &w : split_words(usage_percpu))
        percpu.push_back(std::stoull(w));
    auto total = split_words(usage);
    auto throttling = parse_keyed_values(cpu_stat);
    return json{{"usage",
                 {{"total", total.empty() ? 0 : std::stoull(total[0])},
                  {"percpu", percpu},
                  {"kernel", value_of(ticks, "system") * ns_per_tick},
                  {"user", value_of(ticks, "user") * ns_per_tick}}},
                {"throttling",
                 {{"periods", value_of(throttling, "nr_periods")},
                  {"throttled_periods", value_of(throttling, "nr_throttled")},
                  {"throttled_time", value_of(throttling, "throttled_time")}}}};
}

Result<json> collect_stats(const ControllerLookup &lookup, const std::string &unified_dir) {
    json data = json::object();
    if (auto acct = lookup("cpuacct"); acct && acct->version == 1) {
        auto usage = read_cgroup_file(acct->dir + "/cpuacct.usage");
        if (!usage)
            return fail(std::move(usage.error()).in("collect cpu statistics"));
        auto cpu = lookup("cpu");
        data["cpu"] = cpu_stats_v1(*usage, optional_text(acct->dir + "/cpuacct.usage_percpu"),
                                   optional_text(acct->dir + "/cpuacct.stat"),
                                   cpu ? optional_text(cpu->dir + "/cpu.stat") : std::string(),
                                   sysconf(_SC_CLK_TCK));
    } else if (!unified_dir.empty()) {
        auto stat = read_cgroup_file(unified_dir + "/cpu.stat");
        if (!stat)
            return fail(std::move(stat.error()).in("collect cpu statistics"));
        data["cpu"] = cpu_stats_v2(*stat);
    }
    if (auto m = lookup("memory"))
        data["memory"] = m->version == 1 ? memory_v1(m->dir) : memory_v2(m->dir);
    if (auto p = lookup("pids"))
        data["pids"] = pids_stats(p->dir);
    if (auto h = lookup("hugetlb"))
        data["hugetlb"] = hugetlb_stats(*h);
    return data;
}

} // namespace berth::native
