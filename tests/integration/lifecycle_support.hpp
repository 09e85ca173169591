// Helpers of the lifecycle tests: native-driver bundles with the usual /dev mounts, berth
// commands whose stdio goes to files (a created container keeps create's stdio, so pipes to
// the test would stay open as long as it runs), and polling a container's status.
#pragma once

#include "support/test_support.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

namespace berth::test::lifecycle {

using nlohmann::json;

inline std::string slurp(const fs::path &p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

inline void require_native() {
    require_root();
    if (!fs::exists(driver_dir() / "native.so"))
        skip("native.so is not built");
}

// A bundle for the native driver: its own pid, mount, ipc, uts and network namespaces,
// hostname `name`, and /proc, /dev, /dev/pts and /dev/shm mounted.
inline fs::path bundle(Sandbox &sb, const std::string &name, const std::vector<std::string> &args,
                       const std::function<void(json &)> &edit = {}) {
    return sb.bundle(name, args, [&](json &spec) {
        spec["hostname"] = name;
        spec["linux"]["cgroupsPath"] = "/" + sb.prefix() + "/" + name;
        spec["linux"]["namespaces"] = json::array(
            {{{"type", "pid"}}, {{"type", "mount"}}, {{"type", "ipc"}}, {{"type", "uts"}},
             {{"type", "network"}}});
        spec["mounts"] = json::array(
            {{{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}},
             {{"destination", "/dev"},
              {"type", "tmpfs"},
              {"source", "tmpfs"},
              {"options", {"nosuid", "strictatime", "mode=755", "size=65536k"}}},
             {{"destination", "/dev/pts"},
              {"type", "devpts"},
              {"source", "devpts"},
              {"options", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}}},
             {{"destination", "/dev/shm"},
              {"type", "tmpfs"},
              {"source", "shm"},
              {"options", {"nosuid", "nodev", "mode=1777", "size=65536k"}}},
             {{"destination", "/tmp"}, {"type", "tmpfs"}, {"source", "tmp"}}});
        if (edit)
            edit(spec);
    });
}

// `berth --root STATE -c CONFIG ARGS...` with stdin from /dev/null and stdout and stderr
// in files under the sandbox; out and err hold what berth itself wrote.
inline RunResult berth_to_files(const Sandbox &sb, const std::vector<std::string> &args,
                                const std::string &tag) {
    const fs::path out = sb.dir() / (tag + ".out"), err = sb.dir() / (tag + ".err");
    std::vector<std::string> argv = {"/bin/sh",
                                     "-c",
                                     "out=$1; err=$2; shift 2; exec \"$@\" </dev/null >\"$out\" "
                                     "2>\"$err\"",
                                     "sh",
                                     out.string(),
                                     err.string(),
                                     berth_binary().string(),
                                     "--root",
                                     sb.state_root().string(),
                                     "-c",
                                     sb.config_path().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    RunResult r = run(argv);
    r.out = slurp(out);
    r.err = slurp(err);
    return r;
}

inline json state_of(const Sandbox &sb, const std::string &id) {
    RunResult r = sb.berth({"state", id});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    return json::parse(r.out);
}

inline std::string wait_for_status(const Sandbox &sb, const std::string &id,
                                   const std::string &want) {
    std::string status;
    for (int i = 0; i < 1000; ++i) {
        status = state_of(sb, id)["status"].get<std::string>();
        if (status == want)
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return status;
}

// Polls `pred` for up to `timeout_ms`.
template <class Pred> bool eventually(Pred pred, int timeout_ms = 10000) {
    for (int waited = 0; waited < timeout_ms; waited += 10) {
        if (pred())
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return pred();
}

} // namespace berth::test::lifecycle
