#include "capabilities.hpp"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <string_view>

namespace berth::native {

using nlohmann::json;

namespace {

struct CapName {
    std::string_view name;
    int value;
};

#define BERTH_CAP(c) {#c, c}
constexpr CapName cap_names[] = {
    BERTH_CAP(CAP_CHOWN),           BERTH_CAP(CAP_DAC_OVERRIDE),  BERTH_CAP(CAP_DAC_READ_SEARCH),
    BERTH_CAP(CAP_FOWNER),          BERTH_CAP(CAP_FSETID),        BERTH_CAP(CAP_KILL),
    BERTH_CAP(CAP_SETGID),          BERTH_CAP(CAP_SETUID),        BERTH_CAP(CAP_SETPCAP),
    BERTH_CAP(CAP_LINUX_IMMUTABLE), BERTH_CAP(CAP_NET_BIND_SERVICE),
    BERTH_CAP(CAP_NET_BROADCAST),   BERTH_CAP(CAP_NET_ADMIN),     BERTH_CAP(CAP_NET_RAW),
    BERTH_CAP(CAP_IPC_LOCK),        BERTH_CAP(CAP_IPC_OWNER),     BERTH_CAP(CAP_SYS_MODULE),
    BERTH_CAP(CAP_SYS_RAWIO),       BERTH_CAP(CAP_SYS_CHROOT),    BERTH_CAP(CAP_SYS_PTRACE),
    BERTH_CAP(CAP_SYS_PACCT),       BERTH_CAP(CAP_SYS_ADMIN),     BERTH_CAP(CAP_SYS_BOOT),
    BERTH_CAP(CAP_SYS_NICE),        BERTH_CAP(CAP_SYS_RESOURCE),  BERTH_CAP(CAP_SYS_TIME),
    BERTH_CAP(CAP_SYS_TTY_CONFIG),  BERTH_CAP(CAP_MKNOD),         BERTH_CAP(CAP_LEASE),
    BERTH_CAP(CAP_AUDIT_WRITE),     BERTH_CAP(CAP_AUDIT_CONTROL), BERTH_CAP(CAP_SETFCAP),
    BERTH_CAP(CAP_MAC_OVERRIDE),    BERTH_CAP(CAP_MAC_ADMIN),     BERTH_CAP(CAP_SYSLOG),
    BERTH_CAP(CAP_WAKE_ALARM),      BERTH_CAP(CAP_BLOCK_SUSPEND), BERTH_CAP(CAP_AUDIT_READ),
    BERTH_CAP(CAP_PERFMON),         BERTH_CAP(CAP_BPF),           BERTH_CAP(CAP_CHECKPOINT_RESTORE),
};
#undef BERTH_CAP

// The highest capability the running kernel knows: PR_CAPBSET_READ fails with EINVAL past it.
int last_kernel_cap() {
    static int last = [] {
        int n = 0;
        while (n < 63 && ::prctl(PR_CAPBSET_READ, n + 1, 0, 0, 0) >= 0)
            ++n;
        return n;
    }();
    return last;
}

std::string cap_name(int cap) {
    for (const auto &c : cap_names)
        if (c.value == cap)
            return std::string(c.name);
    return std::to_string(cap);
}

Result<uint64_t> parse_set(const json &caps, const char *name) {
    uint64_t mask = 0;
    auto it = caps.find(name);
    if (it == caps.end() || it->is_null())
        return mask;
    std::string where = std::string("process.capabilities.") + name;
    if (!it->is_array())
        return fail(make_error(BERTH_E_INVALID_SPEC, where + " must be an array of names"));
    for (const auto &item : *it) {
        if (!item.is_string())
            return fail(make_error(BERTH_E_INVALID_SPEC, where + " must be an array of names"));
        auto cap = capability_from_name(item.get<std::string>());
        if (!cap)
            return fail(std::move(cap.error().in(where)));
        mask |= uint64_t{1} << *cap;
    }
    return mask;
}

} // namespace

Result<int> capability_from_name(const std::string &name) {
    auto it = std::find_if(std::begin(cap_names), std::end(cap_names),
                           [&](const CapName &c) { return c.name == name; });
    if (it == std::end(cap_names))
        return fail(make_error(BERTH_E_INVALID_SPEC, "unknown capability", name)
                        .with_hint("capability names look like CAP_NET_ADMIN; see "
                                   "capabilities(7)"));
    return it->value;
}

Result<CapabilitySets> parse_capabilities(const json &caps) {
    CapabilitySets sets;
    if (caps.is_null())
        return sets;
    if (!caps.is_object())
        return fail(make_error(BERTH_E_INVALID_SPEC, "process.capabilities must be an object"));
    std::pair<const char *, uint64_t *> fields[] = {
        {"bounding", &sets.bounding},       {"effective", &sets.effective},
        {"permitted", &sets.permitted},     {"inheritable", &sets.inheritable},
        {"ambient", &sets.ambient},
    };
    for (auto &[name, out] : fields) {
        auto mask = parse_set(caps, name);
        if (!mask)
            return fail(std::move(mask.error()));
        *out = *mask;
    }
    return sets;
}

Result<> drop_bounding_set(const CapabilitySets &sets) {
    for (int cap = 0; cap <= last_kernel_cap(); ++cap) {
        if (sets.bounding & (uint64_t{1} << cap))
            continue;
        if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0)
            return fail(sys_error("drop from the bounding set", cap_name(cap)));
    }
    return {};
}

Result<> set_capabilities(const CapabilitySets &sets) {
    // Capabilities newer than the kernel cannot be held; capset(2) would refuse the whole call.
    uint64_t known = last_kernel_cap() >= 63 ? ~uint64_t{0}
                                             : (uint64_t{1} << (last_kernel_cap() + 1)) - 1;
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    uint64_t eff = sets.effective & known, prm = sets.permitted & known;
    uint64_t inh = sets.inheritable & known;
    for (int i = 0; i < 2; ++i) {
        data[i].effective = static_cast<uint32_t>(eff >> (32 * i));
        data[i].permitted = static_cast<uint32_t>(prm >> (32 * i));
        data[i].inheritable = static_cast<uint32_t>(inh >> (32 * i));
    }
    if (::syscall(SYS_capset, &header, data) != 0)
        return fail(sys_error("capset", "effective/permitted/inheritable"));

    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0)
        return fail(sys_error("clear the ambient set"));
    for (int cap = 0; cap <= last_kernel_cap(); ++cap) {
        if (!(sets.ambient & (uint64_t{1} << cap)))
            continue;
        if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0)
            return fail(sys_error("raise ambient capability", cap_name(cap))
                            .with_hint("an ambient capability must also be permitted and "
                                       "inheritable"));
    }
    return {};
}

} // namespace berth::native
