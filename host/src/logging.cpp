#include "logging.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <ctime>

namespace berth::host {

namespace {

spdlog::level::level_enum to_spdlog(const std::string &level) {
    if (level == "trace")
        return spdlog::level::trace;
    if (level == "debug")
        return spdlog::level::debug;
    if (level == "warn")
        return spdlog::level::warn;
    if (level == "error")
        return spdlog::level::err;
    return spdlog::level::info;
}

// runc's level words, which engines parse.
std::string level_word(spdlog::level::level_enum l) {
    switch (l) {
    case spdlog::level::trace:
        return "trace";
    case spdlog::level::debug:
        return "debug";
    case spdlog::level::info:
        return "info";
    case spdlog::level::warn:
        return "warning";
    case spdlog::level::err:
        return "error";
    case spdlog::level::critical:
        return "fatal";
    default:
        return "info";
    }
}

// RFC 3339 in UTC with nanoseconds.
std::string rfc3339(spdlog::log_clock::time_point tp) {
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(tp.time_since_epoch()).count();
    std::time_t secs = static_cast<std::time_t>(ns / 1000000000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[64];
    size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(buf + n, sizeof buf - n, ".%09lldZ", static_cast<long long>(ns % 1000000000));
    return buf;
}

class JsonFormatter final : public spdlog::formatter {
public:
    void format(const spdlog::details::log_msg &msg, spdlog::memory_buf_t &dest) override {
        std::string line =
            json_log_line(level_word(msg.level),
                          std::string(msg.payload.data(), msg.payload.size()), rfc3339(msg.time));
        line += '\n';
        dest.append(line.data(), line.data() + line.size());
    }
    std::unique_ptr<spdlog::formatter> clone() const override {
        return std::make_unique<JsonFormatter>();
    }
};

// One line a person reads: "berth: <msg>" for errors, "berth: warning: <msg>" otherwise. A log
// file gets a timestamp in front, since it outlives the terminal.
class TextFormatter final : public spdlog::formatter {
public:
    explicit TextFormatter(bool timestamps) : timestamps_(timestamps) {}
    void format(const spdlog::details::log_msg &msg, spdlog::memory_buf_t &dest) override {
        std::string line;
        if (timestamps_)
            line = rfc3339(msg.time) + " ";
        line += "berth: ";
        if (msg.level != spdlog::level::err && msg.level != spdlog::level::critical)
            line += level_word(msg.level) + ": ";
        line.append(msg.payload.data(), msg.payload.size());
        line += '\n';
        dest.append(line.data(), line.data() + line.size());
    }
    std::unique_ptr<spdlog::formatter> clone() const override {
        return std::make_unique<TextFormatter>(timestamps_);
    }

private:
    bool timestamps_;
};

} // namespace

std::string json_log_line(const std::string &level, const std::string &msg,
                          const std::string &time) {
    nlohmann::json j = {{"level", level}, {"msg", msg}, {"time", time}};
    // Replacement instead of an exception: a driver message with broken UTF-8 is still logged.
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<> setup_logging(const LogSettings &settings) {
    spdlog::sink_ptr sink;
    if (settings.file.empty()) {
        sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    } else {
        try {
            sink =
                std::make_shared<spdlog::sinks::basic_file_sink_mt>(settings.file.string(), false);
        } catch (const spdlog::spdlog_ex &) {
            // spdlog keeps the errno of the failed open; it is still current here.
            int err = errno != 0 ? errno : EIO;
            return fail(sys_error("open log file", settings.file.string(), err)
                            .with_hint("check --log or log.file in berth.yaml"));
        }
    }
    if (settings.format == LogFormat::json)
        sink->set_formatter(std::make_unique<JsonFormatter>());
    else
        sink->set_formatter(std::make_unique<TextFormatter>(!settings.file.empty()));

    auto logger = std::make_shared<spdlog::logger>("berth", sink);
    logger->set_level(to_spdlog(settings.level));
    // Errors are rare and must reach the file before berth exits.
    logger->flush_on(spdlog::level::warn);
    spdlog::set_default_logger(logger);
    return {};
}

} // namespace berth::host
