#include "commands/context.hpp"
#include "config.hpp"
#include "support/test_support.hpp"

#include <catch2/catch.hpp>

#include <fstream>

using namespace berth::host;
namespace fs = std::filesystem;

namespace {

const fs::path file = "/etc/berth/berth.yaml";

std::string error_of(const std::string &yaml) {
    auto c = parse_config(yaml, file);
    REQUIRE_FALSE(c);
    return c.error().render();
}

void write(const fs::path &p, const std::string &s) {
    std::ofstream out(p);
    out << s;
}

} // namespace

TEST_CASE("an empty configuration file means every built-in default", "[unit]") {
    auto c = parse_config("", file);
    REQUIRE(c);
    CHECK(c->default_driver == "native");
    CHECK(c->state_root == "/run/berth");
    CHECK(c->driver_dirs == std::vector<fs::path>{BERTH_INSTALL_DRIVER_DIR});
    CHECK(c->log.level == "warn");
    CHECK(c->log.format == LogFormat::text);
    CHECK(c->log.file.empty());
    CHECK(c->drivers.empty());
    CHECK(c->source == file);
}

TEST_CASE("every key of berth.yaml is read, relative paths from the file's directory", "[unit]") {
    auto c = parse_config(R"(driver_dirs:
  - drivers
  - /opt/berth/drivers
default_driver: chroot
state_root: ../state
log:
  level: debug
  format: json
  file: logs/berth.log
drivers:
  chroot:
    ignore_unsupported: true
    options:
      allow: [a, "1"]
      depth: 3
      ratio: 0.5
      on: false
      none: ~
  native:
)",
                          "/srv/conf/berth.yaml");
    REQUIRE(c);
    CHECK(c->driver_dirs == std::vector<fs::path>{"/srv/conf/drivers", "/opt/berth/drivers"});
    CHECK(c->default_driver == "chroot");
    CHECK(c->state_root == "/srv/state");
    CHECK(c->log.level == "debug");
    CHECK(c->log.format == LogFormat::json);
    CHECK(c->log.file == "/srv/conf/logs/berth.log");
    REQUIRE(c->drivers.count("chroot") == 1);
    CHECK(c->driver("chroot").ignore_unsupported);
    CHECK(
        nlohmann::json::parse(c->driver("chroot").options_json) ==
        nlohmann::json{
            {"allow", {"a", "1"}}, {"depth", 3}, {"ratio", 0.5}, {"on", false}, {"none", nullptr}});
    CHECK_FALSE(c->driver("native").ignore_unsupported);
    CHECK(c->driver("native").options_json == "{}");
    CHECK(c->driver("lxc").options_json == "{}");
}

TEST_CASE("the shipped berth.yaml parses and states the built-in defaults", "[unit]") {
    auto c = load_config_file(fs::path(BERTH_TEST_SOURCE_DIR) / "conf/berth.yaml");
    REQUIRE(c);
    Config d = default_config();
    CHECK(c->default_driver == d.default_driver);
    CHECK(c->state_root == d.state_root);
    CHECK(c->log.level == d.log.level);
    CHECK(c->log.format == d.log.format);
    CHECK(c->log.file == d.log.file);
    CHECK_FALSE(c->driver("native").ignore_unsupported);
}

TEST_CASE("a YAML syntax error names file, line and column", "[unit]") {
    CHECK(error_of("driver_dirs: [a, b\nstate_root: /x\n") ==
          "/etc/berth/berth.yaml:2:11: invalid YAML: end of sequence flow not found");
    CHECK(error_of("log:\n  level: info\n   bad: 1\n") ==
          "/etc/berth/berth.yaml:3:7: invalid YAML: illegal map value");
}

TEST_CASE("an unknown top-level key is reported with the keys berth knows", "[unit]") {
    CHECK(error_of("driver_dirs: []\nstate_root: /x\ndefualt_driver: native\n") ==
          "/etc/berth/berth.yaml:3:1: unknown key \"defualt_driver\" (expected one of: "
          "default_driver, driver_dirs, drivers, log, run, state_root)");
}

TEST_CASE("run.network names the network berth run gives containers by default", "[unit]") {
    auto c = parse_config("run:\n  network: berth0\n", "/etc/berth/berth.yaml");
    REQUIRE(c);
    CHECK(c->run.network == "berth0");
    CHECK(parse_config("", "/etc/berth/berth.yaml")->run.network.empty());
    CHECK(error_of("run:\n  netwrok: berth0\n") ==
          "/etc/berth/berth.yaml:2:3: unknown key \"run.netwrok\" (expected one of: network)");
    CHECK(error_of("run: [berth0]\n") == "/etc/berth/berth.yaml:1:6: run: expected a map with "
                                         "key network, found a list");
}

TEST_CASE("an unknown key under log is reported with its full name", "[unit]") {
    CHECK(error_of("log:\n  level: info\n  fromat: json\n") ==
          "/etc/berth/berth.yaml:3:3: unknown key \"log.fromat\" (expected one of: file, "
          "format, level)");
}

TEST_CASE("an unknown key under a driver's settings is reported with its full name", "[unit]") {
    CHECK(error_of("drivers:\n  chroot:\n    ignore_unsuported: true\n") ==
          "/etc/berth/berth.yaml:3:5: unknown key \"drivers.chroot.ignore_unsuported\" "
          "(expected one of: ignore_unsupported, options)");
}

TEST_CASE("a value of the wrong type names the key and what was expected", "[unit]") {
    CHECK(error_of("driver_dirs: /usr/lib/berth\n") ==
          "/etc/berth/berth.yaml:1:14: driver_dirs: expected a list of paths, found "
          "\"/usr/lib/berth\"");
    CHECK(error_of("state_root:\n  - /a\n") ==
          "/etc/berth/berth.yaml:2:3: state_root: expected a path, found a list");
    CHECK(error_of("log: debug\n") ==
          "/etc/berth/berth.yaml:1:6: log: expected a map with keys file, format, level, "
          "found \"debug\"");
    CHECK(error_of("drivers:\n  chroot:\n    ignore_unsupported: yes please\n") ==
          "/etc/berth/berth.yaml:3:25: drivers.chroot.ignore_unsupported: expected true or "
          "false, found \"yes please\"");
    CHECK(error_of("drivers:\n  chroot:\n    options: [a]\n") ==
          "/etc/berth/berth.yaml:3:14: drivers.chroot.options: expected a map, found a list");
    CHECK(error_of("- a\n- b\n") ==
          "/etc/berth/berth.yaml:1:1: expected a map of settings at the top level, found a "
          "list");
}

TEST_CASE("a log level or format berth does not know is refused with the valid ones", "[unit]") {
    CHECK(error_of("log:\n  level: verbose\n") ==
          "/etc/berth/berth.yaml:2:10: log.level: unknown level \"verbose\" (expected one of: "
          "trace, debug, info, warn, error)");
    CHECK(error_of("log:\n  format: xml\n") ==
          "/etc/berth/berth.yaml:2:11: log.format: unknown format \"xml\" (expected one of: "
          "text, json)");
}

TEST_CASE("a driver name that no driver file can have is refused", "[unit]") {
    CHECK(error_of("drivers:\n  Native: {}\n") ==
          "/etc/berth/berth.yaml:2:3: drivers: invalid driver name \"Native\" (expected "
          "lowercase letters, digits, '_' and '-')");
}

TEST_CASE("a key given twice is an error instead of a silent choice", "[unit]") {
    CHECK(error_of("state_root: /a\nstate_root: /b\n") ==
          "/etc/berth/berth.yaml:2:1: duplicate key \"state_root\"");
}

TEST_CASE("the configuration is looked up in -c, then $BERTH_CONFIG, then the system file",
          "[unit]") {
    berth::test::Sandbox sb;
    fs::path a = sb.dir() / "a.yaml", b = sb.dir() / "b.yaml", sys = sb.dir() / "sys.yaml";
    write(a, "");
    write(b, "");
    write(sys, "");
    CHECK(locate_config(a.string(), b.c_str(), sys).value() == a);
    CHECK(locate_config("", b.c_str(), sys).value() == b);
    CHECK(locate_config("", "", sys).value() == sys);
    CHECK(locate_config("", nullptr, sys).value() == sys);
    CHECK_FALSE(locate_config("", nullptr, sb.dir() / "none.yaml").value().has_value());

    auto missing = locate_config((sb.dir() / "none.yaml").string(), nullptr, sys);
    REQUIRE_FALSE(missing);
    CHECK(missing.error().render() == "open configuration `" + (sb.dir() / "none.yaml").string() +
                                          "`: No such file or directory (hint: check the path "
                                          "given with -c/--config)");
    auto bad_env = locate_config("", (sb.dir() / "none.yaml").c_str(), sys);
    REQUIRE_FALSE(bad_env);
    CHECK(bad_env.error().render() ==
          "open configuration `" + (sb.dir() / "none.yaml").string() +
              "`: No such file or directory (hint: BERTH_CONFIG names a file that does not "
              "exist; fix or unset it)");
}

TEST_CASE("command-line flags override the configuration file", "[unit]") {
    Config c = parse_config("state_root: /srv/state\nlog:\n  level: warn\n", file).value();
    GlobalOptions g;
    g.root = "/tmp/other";
    g.debug = true;
    g.log_format = "json";
    g.log_file = "/tmp/berth.log";
    REQUIRE(apply_flags(c, g));
    CHECK(c.state_root == "/tmp/other");
    CHECK(c.log.level == "debug");
    CHECK(c.log.format == LogFormat::json);
    CHECK(c.log.file == "/tmp/berth.log");

    GlobalOptions explicit_level;
    explicit_level.debug = true;
    explicit_level.log_level = "error";
    REQUIRE(apply_flags(c, explicit_level));
    CHECK(c.log.level == "error");

    GlobalOptions systemd;
    systemd.systemd_cgroup = true;
    auto r = apply_flags(c, systemd);
    REQUIRE_FALSE(r);
    CHECK(r.error().render() == "--systemd-cgroup is not supported: berth manages cgroups "
                                "through cgroupfs (hint: drop the flag; containerd needs "
                                "SystemdCgroup = false)");
}

TEST_CASE("drivers beside the berth executable are searched before the configured ones", "[unit]") {
    berth::test::Sandbox sb;
    fs::create_directories(sb.dir() / "lib/berth/drivers");
    fs::create_directories(sb.dir() / "bin");
    Config c = parse_config("driver_dirs: [/opt/a, /opt/b, /opt/a]\n", file).value();
    auto dirs = driver_search_dirs(c, sb.dir() / "bin/berth");
    CHECK(dirs == std::vector<fs::path>{sb.dir() / "lib/berth/drivers", "/opt/a", "/opt/b"});
    // Installed elsewhere with no such directory: only the configured ones.
    CHECK(driver_search_dirs(c, "/nonexistent/bin/berth") ==
          std::vector<fs::path>{"/opt/a", "/opt/b"});
}
