// berth events: resource usage records of a container as runc prints them, one JSON object a
// line ({"type":"stats","id":...,"data":{...}}); with --stats one record, otherwise one every
// --interval seconds until the container stops.
#include "commands/commands.hpp"
#include "commands/container_session.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <thread>

namespace berth::host {

namespace {

// One record, or nullopt once the container has stopped.
Result<std::optional<std::string>> stats_record(Context &ctx, const std::string &id) {
    auto s = open_container(ctx, id);
    if (!s)
        return fail(std::move(s.error()));
    auto st = s->driver().state(s->ref());
    if (!st)
        return fail(std::move(st.error()).in("events of container " + id));
    if (st->status == BERTH_STATUS_STOPPED)
        return std::optional<std::string>();
    auto data = s->driver().stats(s->ref());
    if (!data)
        return fail(std::move(data.error()).in("stats of container " + id));
    nlohmann::json parsed = nlohmann::json::parse(*data, nullptr, false);
    if (parsed.is_discarded())
        return fail(make_error(
            BERTH_E_FAILED,
            fmt::format("driver {} returned stats that are not valid JSON", s->driver().name())));
    nlohmann::json record = {{"type", "stats"}, {"id", id}, {"data", parsed}};
    return std::optional<std::string>(record.dump());
}

} // namespace

Result<int> cmd_events(Context &ctx, const CommandOptions &o) {
    if (o.interval == 0)
        return fail(make_error(BERTH_E_INVALID_ARGUMENT, "events --interval must be at least 1"));
    for (bool first = true;; first = false) {
        auto rec = stats_record(ctx, o.id);
        if (!rec)
            return fail(std::move(rec.error()));
        if (!*rec) {
            if (first && o.stats)
                return fail(
                    make_error(BERTH_E_STATE, fmt::format("container {} is stopped; it has no "
                                                          "resource usage to report",
                                                          o.id)));
            return 0;
        }
        std::printf("%s\n", (*rec)->c_str());
        std::fflush(stdout);
        if (o.stats)
            return 0;
        // The lock is not held while sleeping: other commands proceed meanwhile.
        std::this_thread::sleep_for(std::chrono::seconds(o.interval));
    }
}

} // namespace berth::host
