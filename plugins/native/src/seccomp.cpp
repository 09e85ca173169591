#include "seccomp.hpp"

#include <berth/common/unique_fd.hpp>

#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <string_view>

namespace berth::native {

using nlohmann::json;

namespace {

// JSON built in code holds small numbers as signed, parsed text as unsigned: both count.
bool non_negative(const nlohmann::json &v) {
    return v.is_number_unsigned() || (v.is_number_integer() && v.get<int64_t>() >= 0);
}

struct FilterDeleter {
    void operator()(void *ctx) const { seccomp_release(ctx); }
};
using Filter = std::unique_ptr<void, FilterDeleter>;

Error invalid(const std::string &what, const std::string &object = {}) {
    return make_error(BERTH_E_INVALID_SPEC, what, object);
}

Result<uint32_t> parse_action(const json &obj, const char *action_key, const char *errno_key) {
    std::string name = obj.value(action_key, "");
    uint32_t err = EPERM;
    if (auto it = obj.find(errno_key); it != obj.end() && !it->is_null()) {
        if (!non_negative(*it))
            return fail(invalid(std::string("linux.seccomp ") + errno_key +
                                " must be a non-negative number"));
        err = it->get<uint32_t>();
    }
    if (name == "SCMP_ACT_ALLOW")
        return SCMP_ACT_ALLOW;
    if (name == "SCMP_ACT_ERRNO")
        return SCMP_ACT_ERRNO(err);
    if (name == "SCMP_ACT_KILL" || name == "SCMP_ACT_KILL_THREAD")
        return SCMP_ACT_KILL_THREAD;
    if (name == "SCMP_ACT_KILL_PROCESS")
        return SCMP_ACT_KILL_PROCESS;
    if (name == "SCMP_ACT_TRAP")
        return SCMP_ACT_TRAP;
    if (name == "SCMP_ACT_TRACE")
        return SCMP_ACT_TRACE(err);
    if (name == "SCMP_ACT_LOG")
        return SCMP_ACT_LOG;
    if (name == "SCMP_ACT_NOTIFY")
        return fail(make_error(BERTH_E_NOT_SUPPORTED, "seccomp action", name)
                        .with_hint("berth has no seccomp notification listener; use another "
                                   "action"));
    return fail(invalid("unknown seccomp action", name));
}

Result<scmp_compare> parse_op(const std::string &op) {
    constexpr std::pair<std::string_view, scmp_compare> ops[] = {
        {"SCMP_CMP_NE", SCMP_CMP_NE},
        {"SCMP_CMP_LT", SCMP_CMP_LT},
        {"SCMP_CMP_LE", SCMP_CMP_LE},
        {"SCMP_CMP_EQ", SCMP_CMP_EQ},
        {"SCMP_CMP_GE", SCMP_CMP_GE},
        {"SCMP_CMP_GT", SCMP_CMP_GT},
        {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
    };
    for (const auto &[name, value] : ops)
        if (name == op)
            return value;
    return fail(invalid("unknown seccomp operator", op));
}

Result<> add_architectures(void *ctx, const json &profile) {
    for (const auto &arch : profile.value("architectures", json::array())) {
        std::string name = arch.is_string() ? arch.get<std::string>() : "";
        std::string lib = name.starts_with("SCMP_ARCH_") ? name.substr(10) : name;
        std::transform(lib.begin(), lib.end(), lib.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        uint32_t token = seccomp_arch_resolve_name(lib.c_str());
        if (token == 0)
            return fail(invalid("unknown seccomp architecture", name));
        int rc = seccomp_arch_add(ctx, token);
        if (rc != 0 && rc != -EEXIST)
            return fail(sys_error("add seccomp architecture", name, -rc));
    }
    return {};
}

Result<> set_flags(void *ctx, const json &profile) {
    // berth sets no_new_privs itself, as process.noNewPrivileges says; libseccomp would
    // otherwise set it on every load.
    int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
    if (rc != 0)
        return fail(sys_error("set seccomp attribute", "SCMP_FLTATR_CTL_NNP", -rc));
    constexpr std::pair<std::string_view, scmp_filter_attr> flags[] = {
        {"SECCOMP_FILTER_FLAG_TSYNC", SCMP_FLTATR_CTL_TSYNC},
        {"SECCOMP_FILTER_FLAG_LOG", SCMP_FLTATR_CTL_LOG},
        {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SCMP_FLTATR_CTL_SSB},
    };
    for (const auto &flag : profile.value("flags", json::array())) {
        std::string name = flag.is_string() ? flag.get<std::string>() : "";
        auto it = std::find_if(std::begin(flags), std::end(flags),
                               [&](const auto &f) { return f.first == name; });
        if (it == std::end(flags))
            return fail(invalid("unknown seccomp flag", name));
        rc = seccomp_attr_set(ctx, it->second, 1);
        if (rc != 0)
            return fail(sys_error("set seccomp flag", name, -rc));
    }
    return {};
}

Result<std::vector<scmp_arg_cmp>> parse_args(const json &rule) {
    std::vector<scmp_arg_cmp> out;
    for (const auto &arg : rule.value("args", json::array())) {
        if (!arg.is_object() || !arg.contains("index") || !non_negative(arg["index"]) ||
            arg["index"].get<unsigned>() > 5)
            return fail(invalid("seccomp argument index must be 0 to 5"));
        auto op = parse_op(arg.value("op", ""));
        if (!op)
            return fail(std::move(op.error()));
        scmp_arg_cmp cmp{};
        cmp.arg = arg["index"].get<unsigned>();
        cmp.op = *op;
        cmp.datum_a = arg.value("value", uint64_t{0});
        cmp.datum_b = arg.value("valueTwo", uint64_t{0});
        out.push_back(cmp);
    }
    return out;
}

// Conditions on distinct arguments are one rule (all must match). libseccomp refuses two
// conditions on the same argument in one rule, so those become one rule each (any matches).
Result<> add_rule(void *ctx, uint32_t action, int nr, const std::string &name,
                  const std::vector<scmp_arg_cmp> &args) {
    bool repeated = false;
    for (size_t i = 0; i < args.size(); ++i)
        for (size_t j = i + 1; j < args.size(); ++j)
            repeated = repeated || args[i].arg == args[j].arg;
    auto add = [&](const scmp_arg_cmp *conds, unsigned n) -> Result<> {
        int rc = seccomp_rule_add_array(ctx, action, nr, n, conds);
        if (rc != 0)
            return fail(sys_error("add seccomp rule for", name, -rc));
        return {};
    };
    if (!repeated)
        return add(args.data(), static_cast<unsigned>(args.size()));
    for (const auto &cond : args) {
        auto r = add(&cond, 1);
        if (!r)
            return r;
    }
    return {};
}

Result<> add_rules(void *ctx, uint32_t default_action, const json &profile,
                   std::vector<std::string> &unknown) {
    for (const auto &rule : profile.value("syscalls", json::array())) {
        auto action = parse_action(rule, "action", "errnoRet");
        if (!action)
            return fail(std::move(action.error()));
        auto args = parse_args(rule);
        if (!args)
            return fail(std::move(args.error()));
        // libseccomp rejects a rule whose action is the default one: it would change nothing.
        if (*action == default_action)
            continue;
        for (const auto &n : rule.value("names", json::array())) {
            std::string name = n.is_string() ? n.get<std::string>() : "";
            int nr = seccomp_syscall_resolve_name(name.c_str());
            if (nr == __NR_SCMP_ERROR) {
                unknown.push_back(name); // see unknown_syscalls()
                continue;
            }
            auto r = add_rule(ctx, *action, nr, name, *args);
            if (!r)
                return r;
        }
    }
    return {};
}

Result<Filter> compile(const json &profile, std::vector<std::string> &unknown) {
    if (!profile.is_object())
        return fail(invalid("linux.seccomp must be an object"));
    if (!profile.value("listenerPath", "").empty())
        return fail(make_error(BERTH_E_NOT_SUPPORTED, "seccomp listenerPath",
                               profile.value("listenerPath", ""))
                        .with_hint("berth has no seccomp notification support"));
    auto default_action = parse_action(profile, "defaultAction", "defaultErrnoRet");
    if (!default_action)
        return fail(std::move(default_action.error()));
    Filter ctx(seccomp_init(*default_action));
    if (!ctx)
        return fail(make_error(BERTH_E_FAILED, "initialise seccomp filter"));
    auto r = add_architectures(ctx.get(), profile);
    if (r)
        r = set_flags(ctx.get(), profile);
    if (r)
        r = add_rules(ctx.get(), *default_action, profile, unknown);
    if (!r)
        return fail(std::move(r.error()));
    return ctx;
}

} // namespace

Result<SeccompProgram> compile_seccomp(const json &profile) {
    std::vector<std::string> unknown;
    auto filter = compile(profile, unknown);
    if (!filter)
        return fail(std::move(filter.error().in("compile seccomp profile")));
    // libseccomp 2.5 exports only to a file descriptor: a memfd, read back whole.
    UniqueFd mem(::memfd_create("berth-seccomp", MFD_CLOEXEC));
    if (!mem)
        return fail(sys_error("memfd_create").in("compile seccomp profile"));
    if (int rc = seccomp_export_bpf(filter->get(), mem.get()); rc != 0)
        return fail(sys_error("export seccomp filter", {}, -rc).in("compile seccomp profile"));
    off_t size = ::lseek(mem.get(), 0, SEEK_END);
    if (size <= 0 || size % static_cast<off_t>(sizeof(sock_filter)) != 0)
        return fail(make_error(BERTH_E_FAILED, "libseccomp exported no whole BPF program")
                        .in("compile seccomp profile"));
    if (static_cast<size_t>(size) / sizeof(sock_filter) > BPF_MAXINSNS)
        return fail(
            make_error(BERTH_E_INVALID_SPEC,
                       fmt::format("linux.seccomp compiles to {} BPF instructions, more "
                                   "than the kernel's limit of {}",
                                   static_cast<size_t>(size) / sizeof(sock_filter), BPF_MAXINSNS))
                .with_hint("merge rules or shorten the syscall lists"));
    SeccompProgram program;
    program.unknown_syscalls = std::move(unknown);
    program.code.resize(static_cast<size_t>(size) / sizeof(sock_filter));
    if (::pread(mem.get(), program.code.data(), static_cast<size_t>(size), 0) != size)
        return fail(sys_error("read exported seccomp filter").in("compile seccomp profile"));
    constexpr std::pair<scmp_filter_attr, unsigned> flags[] = {
        {SCMP_FLTATR_CTL_TSYNC, SECCOMP_FILTER_FLAG_TSYNC},
        {SCMP_FLTATR_CTL_LOG, SECCOMP_FILTER_FLAG_LOG},
        {SCMP_FLTATR_CTL_SSB, SECCOMP_FILTER_FLAG_SPEC_ALLOW},
    };
    for (const auto &[attr, flag] : flags) {
        uint32_t value = 0;
        if (seccomp_attr_get(filter->get(), attr, &value) == 0 && value != 0)
            program.flags |= flag;
    }
    return program;
}

Result<> load_seccomp(const SeccompProgram &program) {
    sock_fprog prog{static_cast<unsigned short>(program.code.size()),
                    const_cast<sock_filter *>(program.code.data())};
    if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, program.flags, &prog) != 0)
        return fail(sys_error("load seccomp filter"));
    return {};
}

std::string seccomp_library_version() {
    const scmp_version *v = seccomp_version();
    return fmt::format("{}.{}.{}", v->major, v->minor, v->micro);
}

std::vector<std::string> unknown_syscalls(const json &profile) {
    std::vector<std::string> out;
    if (!profile.is_object())
        return out;
    for (const auto &rule : profile.value("syscalls", json::array()))
        for (const auto &n : rule.value("names", json::array()))
            if (n.is_string() &&
                seccomp_syscall_resolve_name(n.get<std::string>().c_str()) == __NR_SCMP_ERROR)
                out.push_back(n.get<std::string>());
    return out;
}

} // namespace berth::native
