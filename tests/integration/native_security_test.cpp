// The native driver's process security settings, observed from inside: first by applying them
// in a forked child (as the container's init does before exec), then through real containers
// started with `berth run`.
#include "native_isolation_child.hpp"

#include "seccomp.hpp"
#include "security.hpp"

#include <berth/common/default_capabilities.hpp>
#include <berth/common/default_seccomp.hpp>

#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

using namespace berth::test;
using nlohmann::json;

namespace {

// "CapEff", "NoNewPrivs", ... lines of /proc/self/status, "Name: value" each.
std::string status_lines(const std::vector<std::string> &keys) {
    std::string out;
    std::istringstream in(slurp("/proc/self/status"));
    std::string line;
    while (std::getline(in, line))
        for (const auto &k : keys)
            if (line.rfind(k + ":", 0) == 0) {
                std::string value = line.substr(k.size() + 1);
                value.erase(0, value.find_first_not_of(" \t"));
                value.erase(value.find_last_not_of(" \t") + 1);
                out += k + ": " + value + "\n";
            }
    return out;
}

bool has_cap_sys_resource() {
    std::string eff = status_lines({"CapEff"});
    return (std::stoull(eff.substr(8), nullptr, 16) >> 24) & 1;
}

json default_caps() {
    return berth::default_capability_names();
}

std::string syscall_errno(long rc) {
    return rc == 0 ? "ok" : strerror(errno);
}

} // namespace

TEST_CASE("/proc/self/status shows the requested capability sets, NoNewPrivs and seccomp",
          "[root]") {
    require_root();
    json process = {
        {"noNewPrivileges", true},
        {"capabilities",
         {{"bounding", default_caps()},
          {"effective", default_caps()},
          {"permitted", default_caps()},
          {"inheritable", {"CAP_KILL", "CAP_NET_BIND_SERVICE"}},
          {"ambient", json::array({"CAP_NET_BIND_SERVICE"})}}},
    };
    auto seccomp = berth::native::compile_seccomp(berth::default_seccomp_profile());
    REQUIRE(seccomp);
    auto o = run_in_child(0, [&] {
        auto r = berth::native::apply_user_and_security(process, &*seccomp);
        if (!r)
            return "error: " + r.error().render();
        return status_lines(
            {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp"});
    });
    REQUIRE(o.exit_code == 0);
    REQUIRE(o.report == "CapInh: 0000000000000420\n"
                        "CapPrm: 00000000a80425fb\n"
                        "CapEff: 00000000a80425fb\n"
                        "CapBnd: 00000000a80425fb\n"
                        "CapAmb: 0000000000000400\n"
                        "NoNewPrivs: 1\n"
                        "Seccomp: 2\n");
}

TEST_CASE("the default seccomp profile blocks namespaces and mounts with EPERM and clone3 with "
          "ENOSYS",
          "[root]") {
    require_root();
    json process = {{"noNewPrivileges", true}};
    auto seccomp = berth::native::compile_seccomp(berth::default_seccomp_profile());
    REQUIRE(seccomp);
    auto o = run_in_child(0, [&] {
        auto r = berth::native::apply_user_and_security(process, &*seccomp);
        if (!r)
            return "error: " + r.error().render();
        std::string out = "unshare: " + syscall_errno(unshare(CLONE_NEWUTS)) + "\n";
        out += "mount: " + syscall_errno(::mount("none", "/mnt", "tmpfs", 0, nullptr)) + "\n";
        out += "clone3: " + syscall_errno(syscall(SYS_clone3, nullptr, 0)) + "\n";
        out += "clone with CLONE_NEWNET: " +
               syscall_errno(syscall(SYS_clone, CLONE_NEWNET | SIGCHLD, 0, 0, 0, 0)) + "\n";
        out += "getpid: " + std::string(getpid() > 0 ? "ok" : "failed") + "\n";
        return out;
    });
    REQUIRE(o.report == "unshare: Operation not permitted\n"
                        "mount: Operation not permitted\n"
                        "clone3: Function not implemented\n"
                        "clone with CLONE_NEWNET: Operation not permitted\n"
                        "getpid: ok\n");
}

TEST_CASE("a syscall the profile blocks fails with the profile's errno, matching its arguments",
          "[root]") {
    require_root();
    json profile = {
        {"defaultAction", "SCMP_ACT_ALLOW"},
        {"architectures", {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}},
        {"syscalls",
         {{{"names", {"uname", "no_such_syscall_in_any_kernel"}},
           {"action", "SCMP_ACT_ERRNO"},
           {"errnoRet", ENOMSG}},
          {{"names", {"kill"}},
           {"action", "SCMP_ACT_ERRNO"},
           {"errnoRet", EDOM},
           {"args", json::array({{{"index", 1}, {"value", 0}, {"op", "SCMP_CMP_EQ"}}})}}}},
    };
    // Profiles list syscalls newer than libseccomp: those are skipped, and reported.
    REQUIRE(berth::native::unknown_syscalls(profile) ==
            std::vector<std::string>{"no_such_syscall_in_any_kernel"});
    // Without no_new_privs the filter is loaded while the process still holds CAP_SYS_ADMIN.
    json process = {{"noNewPrivileges", false}};
    auto seccomp = berth::native::compile_seccomp(profile);
    REQUIRE(seccomp);
    CHECK(seccomp->unknown_syscalls == std::vector<std::string>{"no_such_syscall_in_any_kernel"});
    auto o = run_in_child(0, [&] {
        auto r = berth::native::apply_user_and_security(process, &*seccomp);
        if (!r)
            return "error: " + r.error().render();
        struct utsname u;
        std::string out = "uname: " + syscall_errno(syscall(SYS_uname, &u)) + "\n";
        out += "kill 0: " + syscall_errno(kill(getpid(), 0)) + "\n";
        out += "kill SIGCONT: " + syscall_errno(kill(getpid(), SIGCONT)) + "\n";
        return out + status_lines({"NoNewPrivs", "Seccomp"});
    });
    REQUIRE(o.report == "uname: No message of desired type\n"
                        "kill 0: Numerical argument out of domain\n"
                        "kill SIGCONT: ok\n"
                        "NoNewPrivs: 0\n"
                        "Seccomp: 2\n");
}

TEST_CASE("the container process switches to its user, groups and umask and keeps its "
          "capabilities",
          "[root]") {
    require_root();
    json process = {
        {"user", {{"uid", 1000}, {"gid", 1001}, {"additionalGids", {10, 20}}, {"umask", 023}}},
        {"capabilities",
         {{"bounding", {"CAP_KILL", "CAP_NET_BIND_SERVICE"}},
          {"effective", json::array({"CAP_KILL"})},
          {"permitted", json::array({"CAP_KILL"})}}},
    };
    auto o = run_in_child(0, [&] {
        auto r = berth::native::apply_user_and_security(process);
        if (!r)
            return "error: " + r.error().render();
        return status_lines({"Umask", "Uid", "Gid", "Groups", "CapEff", "CapBnd"});
    });
    REQUIRE(o.report == "Umask: 0023\n"
                        "Uid: 1000\t1000\t1000\t1000\n"
                        "Gid: 1001\t1001\t1001\t1001\n"
                        "Groups: 10 20\n"
                        "CapEff: 0000000000000020\n"
                        "CapBnd: 0000000000000420\n");
}

TEST_CASE("an unknown capability name is refused with the set and the name", "[unit]") {
    json spec = {{"process", {{"capabilities", {{"bounding", {"CAP_CHOWN", "CAP_FLY"}}}}}}};
    auto r = berth::native::prepare_security(spec);
    REQUIRE_FALSE(r);
    REQUIRE(r.error().render() ==
            "check process security settings: process.capabilities.bounding: unknown capability "
            "`CAP_FLY` (hint: capability names look like CAP_NET_ADMIN; see capabilities(7))");
}

TEST_CASE("a bad seccomp profile is refused before anything is set up", "[unit]") {
    json spec = {{"linux", {{"seccomp", {{"defaultAction", "SCMP_ACT_SOMETIMES"}}}}}};
    auto r = berth::native::prepare_security(spec);
    REQUIRE_FALSE(r);
    REQUIRE(r.error().render() == "check process security settings: compile seccomp profile: "
                                  "unknown seccomp action `SCMP_ACT_SOMETIMES`");
    spec["linux"]["seccomp"] = berth::default_seccomp_profile();
    REQUIRE(berth::native::prepare_security(spec));
}

TEST_CASE("an AppArmor profile is refused where AppArmor is absent", "[unit]") {
    if (fs::exists("/sys/module/apparmor/parameters/enabled") &&
        slurp("/sys/module/apparmor/parameters/enabled") == "Y\n")
        skip("AppArmor is enabled on this host");
    json spec = {{"process", {{"apparmorProfile", "berth-test"}}}};
    auto r = berth::native::prepare_security(spec);
    REQUIRE_FALSE(r);
    REQUIRE(r.error().render() ==
            "check process security settings: AppArmor is not enabled on this host, cannot apply "
            "profile `berth-test` (hint: remove process.apparmorProfile from config.json or run "
            "on a kernel with AppArmor enabled)");
}

TEST_CASE("raising a hard rlimit without CAP_SYS_RESOURCE is refused naming the limit", "[root]") {
    require_root();
    if (has_cap_sys_resource())
        skip("this process holds CAP_SYS_RESOURCE, so raising a hard limit is allowed");
    rlimit cur{};
    REQUIRE(getrlimit(RLIMIT_NOFILE, &cur) == 0);
    if (cur.rlim_max == RLIM_INFINITY)
        skip("RLIMIT_NOFILE is unlimited, nothing to raise");
    json limit = {{"type", "RLIMIT_NOFILE"}, {"soft", cur.rlim_cur}, {"hard", cur.rlim_max + 1}};
    json process = {{"rlimits", json::array({limit})}};
    auto o = run_in_child(0, [&] {
        auto r = berth::native::apply_rlimits(process);
        return r ? std::string("applied") : r.error().render();
    });
    REQUIRE(o.report == "apply rlimits: raise hard limit of RLIMIT_NOFILE from " +
                            std::to_string(cur.rlim_max) + " to " +
                            std::to_string(cur.rlim_max + 1) +
                            ": Operation not permitted (hint: raising a hard limit needs "
                            "CAP_SYS_RESOURCE, which berth does not hold here; lower the hard "
                            "limit in process.rlimits)");
}

TEST_CASE("rlimits within the hard limit and oom_score_adj are applied", "[root]") {
    require_root();
    json process = {{"rlimits",
                     {{{"type", "RLIMIT_NOFILE"}, {"soft", 100}, {"hard", 200}},
                      {{"type", "RLIMIT_CORE"}, {"soft", 0}, {"hard", 0}}}},
                    {"oomScoreAdj", 500}};
    auto o = run_in_child(0, [&] {
        auto r = berth::native::apply_rlimits(process);
        if (r)
            r = berth::native::set_oom_score_adj(process);
        if (!r)
            return r.error().render();
        rlimit nofile{}, core{};
        getrlimit(RLIMIT_NOFILE, &nofile);
        getrlimit(RLIMIT_CORE, &core);
        return std::to_string(nofile.rlim_cur) + "/" + std::to_string(nofile.rlim_max) + " " +
               std::to_string(core.rlim_max) + " " + slurp("/proc/self/oom_score_adj");
    });
    REQUIRE(o.report == "100/200 0 500\n");
}
