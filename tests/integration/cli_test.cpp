// The berth command line as users and container engines meet it, for everything that needs no
// execution driver: spec, drivers, usage errors, configuration and bundle errors.
#include "support/test_support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <set>

using namespace berth::test;

namespace {

void write(const fs::path &p, const std::string &s) {
    std::ofstream out(p);
    out << s;
}

std::string slurp(const fs::path &p) {
    std::ifstream in(p);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

} // namespace

TEST_CASE("berth spec writes a runc-style config.json with the default namespaces", "[unit]") {
    Sandbox sb;
    fs::path bundle = sb.dir() / "spec-bundle";
    fs::create_directories(bundle);
    RunResult r = sb.berth({"spec", "--bundle", bundle.string()});
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.empty());
    auto spec = nlohmann::json::parse(slurp(bundle / "config.json"));
    std::set<std::string> namespaces;
    for (const auto &ns : spec["linux"]["namespaces"])
        namespaces.insert(ns["type"].get<std::string>());
    CHECK(namespaces == std::set<std::string>{"pid", "network", "ipc", "uts", "mount"});
    CHECK(spec["root"]["path"] == "rootfs");
    CHECK(spec["process"]["args"] == nlohmann::json{"sh"});
    CHECK(spec["process"]["terminal"] == true);
    CHECK(spec["ociVersion"] == "1.0.2");
    auto caps = spec["process"]["capabilities"];
    CHECK(caps["bounding"].size() == 14);
    CHECK(caps["bounding"] == caps["effective"]);
    CHECK(caps["bounding"] == caps["permitted"]);
    std::vector<std::string> dests;
    for (const auto &m : spec["mounts"])
        dests.push_back(m["destination"]);
    CHECK(dests == std::vector<std::string>{"/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue",
                                            "/sys", "/sys/fs/cgroup"});
    CHECK(std::find(spec["linux"]["maskedPaths"].begin(), spec["linux"]["maskedPaths"].end(),
                    "/proc/kcore") != spec["linux"]["maskedPaths"].end());
    CHECK(spec["linux"]["readonlyPaths"].size() == 5);
}

TEST_CASE("berth spec --rootless maps the caller to root in a user namespace", "[unit]") {
    Sandbox sb;
    fs::path bundle = sb.dir() / "rootless";
    fs::create_directories(bundle);
    REQUIRE(sb.berth({"spec", "--rootless", "-b", bundle.string()}).exit_code == 0);
    auto spec = nlohmann::json::parse(slurp(bundle / "config.json"));
    std::set<std::string> namespaces;
    for (const auto &ns : spec["linux"]["namespaces"])
        namespaces.insert(ns["type"].get<std::string>());
    CHECK(namespaces == std::set<std::string>{"pid", "ipc", "uts", "mount", "user"});
    CHECK(spec["linux"]["uidMappings"][0]["hostID"] == geteuid());
    CHECK_FALSE(spec["linux"].contains("resources"));
    for (const auto &m : spec["mounts"])
        for (const auto &o : m.value("options", nlohmann::json::array()))
            CHECK(o.get<std::string>().rfind("gid=", 0) != 0);
}

TEST_CASE("berth spec refuses to overwrite an existing config.json", "[unit]") {
    Sandbox sb;
    fs::path bundle = sb.dir() / "taken";
    fs::create_directories(bundle);
    write(bundle / "config.json", "mine");
    RunResult r = sb.berth({"spec", "-b", bundle.string()});
    CHECK(r.exit_code == 1);
    CHECK(r.err == "berth: refusing to overwrite `" + (bundle / "config.json").string() +
                       "` (hint: remove it first to write a fresh default)\n");
    CHECK(slurp(bundle / "config.json") == "mine");
}

TEST_CASE("an unknown command is one line on stderr naming the commands", "[unit]") {
    Sandbox sb;
    RunResult r = sb.berth({"launch", "c1"});
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    CHECK(r.err == "berth: unknown command \"launch\" (commands: create, delete, drivers, events, "
                   "exec, features, kill, list, logs, pause, ps, resume, rm, run, spec, start, "
                   "state, stop, version, wait) (hint: run berth --help "
                   "for the commands and options)\n");
}

TEST_CASE("commands on an unknown container say it does not exist", "[unit]") {
    Sandbox sb;
    for (const std::string cmd : {"state", "start", "kill", "delete", "ps", "pause", "resume"}) {
        RunResult r = sb.berth({cmd, sb.id("ghost")});
        CHECK(r.exit_code == 1);
        CHECK(r.err == "berth: container " + sb.id("ghost") +
                           " does not exist (hint: berth "
                           "--root " +
                           sb.state_root().string() + " list shows the containers there)\n");
    }
    // As runc: a forced delete of what is not there is not an error.
    CHECK(sb.berth({"delete", "--force", sb.id("ghost")}).exit_code == 0);
}

TEST_CASE("berth drivers lists every driver file of the build's driver directory", "[unit]") {
    std::vector<fs::path> files;
    std::error_code ec;
    for (const auto &e : fs::directory_iterator(driver_dir(), ec))
        if (e.path().extension() == ".so")
            files.push_back(e.path());
    if (files.empty())
        skip("no driver built in " + driver_dir().string());
    Sandbox sb;
    RunResult table = sb.berth({"drivers"});
    REQUIRE(table.exit_code == 0);
    RunResult json = sb.berth({"drivers", "--format", "json"});
    REQUIRE(json.exit_code == 0);
    auto list = nlohmann::json::parse(json.out);
    for (const auto &f : files) {
        CHECK(table.out.find(f.string()) != std::string::npos);
        auto found = std::find_if(list.begin(), list.end(),
                                  [&](const nlohmann::json &d) { return d["path"] == f.string(); });
        REQUIRE(found != list.end());
        CHECK((*found)["name"] == f.stem().string());
        CHECK(std::set<std::string>{"usable", "unusable", "broken"}.count((*found)["status"]));
    }
}

TEST_CASE("a typo in berth.yaml stops berth with file, line and column", "[unit]") {
    Sandbox sb;
    fs::path conf = sb.dir() / "typo.yaml";
    write(conf, "state_root: /tmp\nlog:\n  levle: debug\n");
    RunResult r = run({berth_binary().string(), "-c", conf.string(), "list"});
    CHECK(r.exit_code == 1);
    CHECK(r.err == "berth: " + conf.string() +
                       ":3:3: unknown key \"log.levle\" (expected one of: file, format, level)\n");
}

TEST_CASE("errors are JSON lines with --log-format json, as engines expect", "[unit]") {
    Sandbox sb;
    RunResult r = sb.berth({"--log-format", "json", "state", sb.id("ghost")});
    CHECK(r.exit_code == 1);
    auto line = nlohmann::json::parse(r.err);
    CHECK(line["level"] == "error");
    CHECK(line["msg"] == "container " + sb.id("ghost") + " does not exist (hint: berth --root " +
                             sb.state_root().string() + " list shows the containers there)");
    CHECK(line["time"].is_string());
}

TEST_CASE("global --log sends berth's messages to a file instead of stderr", "[unit]") {
    Sandbox sb;
    fs::path log = sb.dir() / "berth.log";
    RunResult r = sb.berth({"--log", log.string(), "--log-format", "json", "state", "x1"});
    CHECK(r.exit_code == 1);
    CHECK(r.err.empty());
    auto line = nlohmann::json::parse(slurp(log));
    CHECK(line["level"] == "error");
}

TEST_CASE("run and create refuse a missing bundle, config.json or invalid config.json before "
          "any driver runs",
          "[unit]") {
    Sandbox sb;
    fs::path missing = sb.dir() / "no-such-bundle";
    RunResult r = sb.berth({"-e", "no-such-driver", "run", "-b", missing.string(), sb.id("a")});
    CHECK(r.exit_code == 1);
    CHECK(r.err == "berth: bundle directory does not exist `" + missing.string() +
                       "` (hint: pass the bundle with -b, or run berth in it)\n");

    fs::path empty = sb.dir() / "empty-bundle";
    fs::create_directories(empty);
    r = sb.berth({"-e", "no-such-driver", "create", "-b", empty.string(), sb.id("b")});
    CHECK(r.exit_code == 1);
    CHECK(r.err == "berth: open `" + (empty / "config.json").string() +
                       "`: No such file or directory (hint: create one with berth spec, or "
                       "pass the bundle with -b)\n");

    fs::path broken = sb.dir() / "broken-bundle";
    fs::create_directories(broken);
    write(broken / "config.json", "{\n  \"ociVersion\": \"1.0.2\",\n  \"process\": {,\n}\n");
    r = sb.berth({"-e", "no-such-driver", "run", "-b", broken.string(), sb.id("c")});
    CHECK(r.exit_code == 1);
    CHECK(r.err.rfind("berth: " + (broken / "config.json").string() + ":3:15: invalid JSON: ", 0) ==
          0);

    fs::path no_args = sb.dir() / "no-args";
    fs::create_directories(no_args);
    write(no_args / "config.json",
          R"({"ociVersion": "1.0.2", "process": {"args": []}, "root": {"path": "rootfs"}})");
    r = sb.berth({"-e", "no-such-driver", "run", "-b", no_args.string(), sb.id("d")});
    CHECK(r.exit_code == 1);
    CHECK(r.err == "berth: " + (no_args / "config.json").string() +
                       ": process.args must be a non-empty array of strings\n");

    fs::path no_root = sb.dir() / "no-root";
    fs::create_directories(no_root);
    write(no_root / "config.json", R"({"ociVersion": "1.0.2", "process": {"args": ["sh"]}})");
    r = sb.berth({"-e", "no-such-driver", "run", "-b", no_root.string(), sb.id("e")});
    CHECK(r.exit_code == 1);
    CHECK(r.err == "berth: " + (no_root / "config.json").string() +
                       ": root.path is missing (expected the root filesystem's path)\n");
}

TEST_CASE("an unknown driver is refused and nothing is recorded", "[unit]") {
    Sandbox sb;
    fs::path b = sb.bundle("unknown-driver", {"true"});
    RunResult r = sb.berth({"-e", "no-such-driver", "run", "-b", b.string(), sb.id("u")});
    CHECK(r.exit_code == 1);
    CHECK(r.err.rfind("berth: ", 0) == 0);
    CHECK(r.err.find("no-such-driver") != std::string::npos);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK(sb.leftovers().empty());
}

TEST_CASE("berth version names the OCI spec and the driver ABI", "[unit]") {
    RunResult r = run({berth_binary().string(), "version"});
    CHECK(r.exit_code == 0);
    CHECK(r.out ==
          std::string("berth version ") + BERTH_VERSION + "\nspec: 1.0.2\ndriver abi: 1.0\n");
}

namespace {

void require_chroot_driver() {
    require_root();
    if (!fs::exists(driver_dir() / "chroot.so"))
        skip("the chroot driver is not built");
}

size_t count(const std::string &hay, const std::string &needle) {
    size_t n = 0;
    for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1))
        ++n;
    return n;
}

} // namespace

TEST_CASE("fields a driver does not declare are refused by name and nothing is recorded",
          "[root]") {
    require_chroot_driver();
    Sandbox sb;
    fs::path b = sb.bundle("refused", {"true"}, [](nlohmann::json &spec) {
        spec["hostname"] = "h1";
        spec["linux"].erase("cgroupsPath");
        spec["root"].erase("readonly");
    });
    RunResult r = sb.berth({"-e", "chroot", "run", "-b", b.string(), sb.id("r")});
    CHECK(r.exit_code == 1);
    CHECK(r.err == "berth: driver chroot does not support hostname (asked for by " +
                       (b / "config.json").string() +
                       ") (hint: remove them from config.json, pick another driver with -e, or "
                       "set drivers.chroot.ignore_unsupported: true in berth.yaml to run without "
                       "them)\n");
    CHECK(sb.leftovers().empty());
}

TEST_CASE("with ignore_unsupported the fields are removed with one warning and the container runs",
          "[root]") {
    require_chroot_driver();
    Sandbox sb;
    sb.set_extra_config("drivers:\n  chroot:\n    ignore_unsupported: true\n");
    fs::path b = sb.bundle("stripped", {"sh", "-c", "echo ran; exit 5"}, [](nlohmann::json &spec) {
        spec["hostname"] = "h1";
        spec["linux"].erase("cgroupsPath");
        spec["root"].erase("readonly");
    });
    RunResult r = sb.berth({"-e", "chroot", "run", "-b", b.string(), sb.id("s")});
    CHECK(r.exit_code == 5);
    CHECK(r.out == "ran\n");
    CHECK(count(r.err, "berth: warning: driver chroot does not support hostname; running "
                       "without them because drivers.chroot.ignore_unsupported is true\n") == 1);
    CHECK(count(r.err, "warning") == 1);
    CHECK(sb.leftovers().empty());
}

TEST_CASE("later commands find the container's driver from its record, without -e", "[root]") {
    require_chroot_driver();
    Sandbox sb;
    fs::path b = sb.bundle("record", {"sleep", "30"}, [](nlohmann::json &spec) {
        spec["linux"].erase("cgroupsPath");
        spec["root"].erase("readonly");
    });
    const std::string id = sb.id("rec");
    fs::path pid_file = sb.dir() / "pid";
    // The created container keeps berth's stdio until it ends, so create's output goes to files
    // here instead of the pipes run() reads to their end.
    fs::path err = sb.dir() / "create.err";
    RunResult c = run({"/bin/sh", "-c", "exec \"$@\" </dev/null >/dev/null 2>" + err.string(), "sh",
                       berth_binary().string(), "--root", sb.state_root().string(), "-c",
                       sb.config_path().string(), "-e", "chroot", "create", "--pid-file",
                       pid_file.string(), "-b", b.string(), id});
    INFO(slurp(err));
    REQUIRE(c.exit_code == 0);
    auto state = nlohmann::json::parse(sb.berth({"state", id}).out);
    CHECK(state["status"] == "created");
    CHECK(state["driver"] == "chroot");
    CHECK(state["bundle"] == b.string());
    CHECK(std::to_string(state["pid"].get<int>()) == slurp(pid_file));

    RunResult wrong = sb.berth({"-e", "native", "kill", id});
    CHECK(wrong.exit_code == 1);
    CHECK(wrong.err == "berth: container " + id +
                           " belongs to driver chroot, not native (hint: "
                           "omit -e: berth finds the driver from its record)\n");

    CHECK(sb.berth({"start", id}).exit_code == 0);
    CHECK(nlohmann::json::parse(sb.berth({"state", id}).out)["status"] == "running");
    auto listed = nlohmann::json::parse(sb.berth({"list", "--format", "json"}).out);
    REQUIRE(listed.size() == 1);
    CHECK(listed[0]["id"] == id);
    CHECK(sb.berth({"kill", id, "KILL"}).exit_code == 0);
    CHECK(sb.berth({"delete", "--force", id}).exit_code == 0);
    CHECK(sb.berth({"state", id}).exit_code == 1);
    CHECK(sb.leftovers().empty());
}
