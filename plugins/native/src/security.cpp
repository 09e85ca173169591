#include "security.hpp"

#include "apparmor.hpp"
#include "capabilities.hpp"
#include "rlimits.hpp"
#include "seccomp.hpp"
#include "seccomp_cache.hpp"

#include <berth/common/unique_fd.hpp>

#include <fcntl.h>
#include <grp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <optional>
#include <vector>

namespace berth::native {

using nlohmann::json;

namespace {

// JSON built in code holds small numbers as signed, parsed text as unsigned: both count.
bool non_negative(const nlohmann::json &v) {
    return v.is_number_unsigned() || (v.is_number_integer() && v.get<int64_t>() >= 0);
}

const json &field(const json &obj, const char *key) {
    static const json null;
    if (!obj.is_object())
        return null;
    auto it = obj.find(key);
    return it == obj.end() ? null : *it;
}

struct User {
    uid_t uid = 0;
    gid_t gid = 0;
    std::vector<gid_t> groups;
    std::optional<mode_t> umask;
};

Result<User> parse_user(const json &process) {
    User u;
    const json &user = field(process, "user");
    if (user.is_null())
        return u;
    auto id = [&](const char *key, uint32_t &out) -> Result<> {
        const json &v = field(user, key);
        if (v.is_null())
            return {};
        if (!non_negative(v))
            return fail(make_error(BERTH_E_INVALID_SPEC, std::string("process.user.") + key +
                                                             " must be a non-negative number"));
        out = v.get<uint32_t>();
        return {};
    };
    uint32_t uid = 0, gid = 0, mask = 0;
    if (auto r = id("uid", uid); !r)
        return fail(std::move(r.error()));
    if (auto r = id("gid", gid); !r)
        return fail(std::move(r.error()));
    u.uid = uid;
    u.gid = gid;
    if (!field(user, "umask").is_null()) {
        if (auto r = id("umask", mask); !r)
            return fail(std::move(r.error()));
        u.umask = static_cast<mode_t>(mask & 0777);
    }
    for (const auto &g : field(user, "additionalGids")) {
        if (!non_negative(g))
            return fail(make_error(BERTH_E_INVALID_SPEC,
                                   "process.user.additionalGids must hold non-negative numbers"));
        u.groups.push_back(g.get<gid_t>());
    }
    return u;
}

// In a user namespace whose /proc/self/setgroups says "deny", setgroups(2) always fails.
bool setgroups_denied() {
    UniqueFd fd(::open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC));
    char buf[8] = {};
    return fd && ::read(fd.get(), buf, sizeof buf - 1) > 0 && std::string_view(buf) == "deny\n";
}

Result<> switch_user(const User &u) {
    if (!u.groups.empty() || !setgroups_denied()) {
        // An empty list drops the groups berth itself runs with.
        if (::setgroups(u.groups.size(), u.groups.data()) != 0)
            return fail(sys_error("set additional groups of the container process"));
    }
    // Keep the permitted set across the switch away from uid 0; capset below decides what
    // is left of it.
    if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0)
        return fail(sys_error("prctl PR_SET_KEEPCAPS"));
    if (::setresgid(u.gid, u.gid, u.gid) != 0)
        return fail(sys_error("setresgid", std::to_string(u.gid)));
    if (::setresuid(u.uid, u.uid, u.uid) != 0)
        return fail(sys_error("setresuid", std::to_string(u.uid)));
    if (::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0)
        return fail(sys_error("prctl PR_SET_KEEPCAPS"));
    if (u.umask)
        ::umask(*u.umask);
    return {};
}

Result<> apply(const json &process, const SeccompProgram *seccomp) {
    auto user = parse_user(process);
    if (!user)
        return fail(std::move(user.error()));
    const json &caps_json = field(process, "capabilities");
    std::optional<CapabilitySets> caps;
    if (!caps_json.is_null()) {
        auto parsed = parse_capabilities(caps_json);
        if (!parsed)
            return fail(std::move(parsed.error()));
        caps = *parsed;
    }
    bool no_new_privs = field(process, "noNewPrivileges") == true;
    const json &apparmor = field(process, "apparmorProfile");

    // Without no_new_privs the kernel accepts a filter only from a process holding
    // CAP_SYS_ADMIN, which the user switch and the capability sets may take away: the filter
    // goes first then, and must allow the system calls of the steps below.
    if (seccomp != nullptr && !no_new_privs) {
        auto r = load_seccomp(*seccomp);
        if (!r)
            return r;
    }

    if (caps) {
        auto r = drop_bounding_set(*caps);
        if (!r)
            return r;
    }

    auto switched = switch_user(*user);
    if (!switched)
        return switched;

    if (caps) {
        auto r = set_capabilities(*caps);
        if (!r)
            return r;
    }

    if (apparmor.is_string()) {
        auto r = apply_apparmor(apparmor.get<std::string>());
        if (!r)
            return r;
    }

    if (no_new_privs && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return fail(sys_error("prctl PR_SET_NO_NEW_PRIVS"));

    if (seccomp != nullptr && no_new_privs)
        return load_seccomp(*seccomp);
    return {};
}

} // namespace

Result<> apply_rlimits(const json &process) {
    auto r = set_rlimits(process);
    if (!r)
        return fail(std::move(r.error().in("apply rlimits")));
    return {};
}

Result<> set_oom_score_adj(const json &process) {
    auto r = write_oom_score_adj(process);
    if (!r)
        return fail(std::move(r.error().in("set oom_score_adj")));
    return {};
}

Result<> apply_user_and_security(const json &process, const SeccompProgram *seccomp) {
    auto r = apply(process, seccomp);
    if (!r)
        return fail(std::move(r.error().in("apply process security settings")));
    return {};
}

Result<std::optional<SeccompProgram>> prepare_security(const json &spec,
                                                       const std::filesystem::path &seccomp_cache) {
    const json &process = field(spec, "process");
    auto r = [&]() -> Result<std::optional<SeccompProgram>> {
        if (auto u = parse_user(process); !u)
            return fail(std::move(u.error()));
        if (auto c = parse_capabilities(field(process, "capabilities")); !c)
            return fail(std::move(c.error()));
        if (auto l = check_rlimits(process); !l)
            return fail(std::move(l.error()));
        if (const json &aa = field(process, "apparmorProfile"); aa.is_string()) {
            if (auto a = check_apparmor(aa.get<std::string>()); !a)
                return fail(std::move(a.error()));
        }
        const json &seccomp = field(field(spec, "linux"), "seccomp");
        if (seccomp.is_null())
            return std::nullopt;
        auto program = compile_seccomp_cached(seccomp, seccomp_cache);
        if (!program)
            return fail(std::move(program.error()));
        return std::optional<SeccompProgram>(std::move(*program));
    }();
    if (!r)
        return fail(std::move(r.error().in("check process security settings")));
    return r;
}

} // namespace berth::native
