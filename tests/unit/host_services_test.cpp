#include "host_services.hpp"

#include <catch2/catch.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

using berth::host::HostServices;

namespace {

// Makes a logger writing bare messages into a string the default logger for one test.
class CapturedLog {
public:
    explicit CapturedLog(spdlog::level::level_enum level) : previous_(spdlog::default_logger()) {
        auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
        auto logger = std::make_shared<spdlog::logger>("test", sink);
        logger->set_pattern("%l %v");
        logger->set_level(level);
        spdlog::set_default_logger(logger);
    }
    ~CapturedLog() { spdlog::set_default_logger(previous_); }
    std::string text() const { return out_.str(); }

private:
    std::shared_ptr<spdlog::logger> previous_;
    std::ostringstream out_;
};

} // namespace

TEST_CASE("a driver's log record carries the driver's name", "[unit]") {
    CapturedLog log(spdlog::level::debug);
    HostServices hs("chroot", 0);
    const berth_host *h = hs.table();
    h->log(h->ctx, BERTH_LOG_WARN, "no user namespace");
    REQUIRE(log.text() == "warning driver chroot: no user namespace\n");
}

TEST_CASE("records below the logger's level are dropped and reported disabled", "[unit]") {
    CapturedLog log(spdlog::level::warn);
    HostServices hs("chroot", 0);
    const berth_host *h = hs.table();
    REQUIRE(h->log_enabled(h->ctx, BERTH_LOG_INFO) == 0);
    REQUIRE(h->log_enabled(h->ctx, BERTH_LOG_ERROR) == 1);
    h->log(h->ctx, BERTH_LOG_INFO, "hidden");
    h->log(h->ctx, BERTH_LOG_ERROR, "shown");
    REQUIRE(log.text() == "error driver chroot: shown\n");
}

TEST_CASE("the host table declares its size, version and negotiated minor", "[unit]") {
    HostServices hs("chroot", 0);
    const berth_host *h = hs.table();
    REQUIRE(h->struct_size == sizeof(berth_host));
    REQUIRE(h->abi_minor == 0);
    REQUIRE(std::string(h->host_version) == BERTH_VERSION);
    REQUIRE(h->get_extension(h->ctx, "berth.host-metrics/1") == nullptr);
}

TEST_CASE("report_error copies code, errno and message into the host's slot", "[unit]") {
    HostServices hs("chroot", 0);
    const berth_host *h = hs.table();
    berth_error err;
    std::string msg = "chroot `/x/rootfs`: No such file or directory";
    h->report_error(h->ctx, &err, BERTH_E_NOT_FOUND, ENOENT, msg.c_str());
    msg.assign(msg.size(), 'x'); // the driver's buffer may change once the call returns
    REQUIRE(err.reported);
    REQUIRE(err.code == BERTH_E_NOT_FOUND);
    REQUIRE(err.sys_errno == ENOENT);
    REQUIRE(err.message == "chroot `/x/rootfs`: No such file or directory");
}

TEST_CASE("a second report in one operation does not hide the first", "[unit]") {
    HostServices hs("chroot", 0);
    const berth_host *h = hs.table();
    berth_error err;
    h->report_error(h->ctx, &err, BERTH_E_PERMISSION, EPERM, "first");
    h->report_error(h->ctx, &err, BERTH_E_FAILED, 0, "second");
    REQUIRE(err.code == BERTH_E_PERMISSION);
    REQUIRE(err.message == "first");
}

TEST_CASE("a report with BERTH_OK or a NULL message still records a failure", "[unit]") {
    HostServices hs("chroot", 0);
    const berth_host *h = hs.table();
    berth_error err;
    h->report_error(h->ctx, &err, BERTH_OK, 0, nullptr);
    REQUIRE(err.reported);
    REQUIRE(err.code == BERTH_E_FAILED);
    REQUIRE(err.message.empty());
}
