#include "cgroup_devices.hpp"

#include <berth/common/unique_fd.hpp>

#include <fmt/format.h>

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace berth::native {

namespace {

Error invalid(size_t index, const std::string &what) {
    return make_error(BERTH_E_INVALID_SPEC,
                      fmt::format("linux.resources.devices[{}]: {}", index, what));
}

Result<int64_t> device_number(const nlohmann::json &entry, const char *key, size_t index) {
    if (!entry.contains(key) || entry[key].is_null())
        return -1;
    if (!entry[key].is_number_integer() || entry[key].get<int64_t>() < -1)
        return fail(invalid(index, fmt::format("{} must be a device number or -1", key)));
    return entry[key].get<int64_t>();
}

} // namespace

Result<std::vector<DeviceRule>> parse_device_rules(const nlohmann::json &devices) {
    std::vector<DeviceRule> rules;
    if (devices.is_null())
        return rules;
    if (!devices.is_array())
        return fail(make_error(BERTH_E_INVALID_SPEC, "linux.resources.devices must be an array"));
    for (size_t i = 0; i < devices.size(); ++i) {
        const auto &d = devices[i];
        if (!d.is_object() || !d.contains("allow") || !d["allow"].is_boolean())
            return fail(invalid(i, "allow (a boolean) is required"));
        DeviceRule r;
        r.allow = d["allow"].get<bool>();
        if (d.contains("type")) {
            if (!d["type"].is_string())
                return fail(invalid(i, "type must be a, b or c"));
            auto t = d["type"].get<std::string>();
            if (t != "a" && t != "b" && t != "c")
                return fail(invalid(i, "type must be a, b or c, not `" + t + "`"));
            r.type = t[0];
        }
        auto major = device_number(d, "major", i);
        if (!major)
            return fail(major.error());
        auto minor = device_number(d, "minor", i);
        if (!minor)
            return fail(minor.error());
        r.major = *major;
        r.minor = *minor;
        if (d.contains("access")) {
            if (!d["access"].is_string())
                return fail(invalid(i, "access must be a string of r, w and m"));
            auto a = d["access"].get<std::string>();
            if (a.find_first_not_of("rwm") != std::string::npos)
                return fail(invalid(i, "access must use only r, w and m, not `" + a + "`"));
            // Normalised to "rwm" order without repeats, as the kernel reports it.
            r.access.clear();
            for (char c : std::string("rwm"))
                if (a.find(c) != std::string::npos)
                    r.access += c;
            if (r.access.empty())
                continue; // no access named: the rule matches nothing
        }
        rules.push_back(r);
    }
    return rules;
}

std::vector<DeviceRule> container_device_rules(const std::vector<DeviceRule> &spec_rules) {
    std::vector<DeviceRule> rules{{false, 'a', -1, -1, "rwm"}};
    rules.insert(rules.end(), spec_rules.begin(), spec_rules.end());
    const DeviceRule standard[] = {
        {true, 'c', -1, -1, "m"},  {true, 'b', -1, -1, "m"},  {true, 'c', 1, 3, "rwm"},
        {true, 'c', 1, 5, "rwm"},  {true, 'c', 1, 7, "rwm"},  {true, 'c', 1, 8, "rwm"},
        {true, 'c', 1, 9, "rwm"},  {true, 'c', 5, 0, "rwm"},  {true, 'c', 5, 1, "rwm"},
        {true, 'c', 5, 2, "rwm"},  {true, 'c', 136, -1, "rwm"}};
    rules.insert(rules.end(), std::begin(standard), std::end(standard));
    return rules;
}

namespace {

bool matches_everything(const DeviceRule &r) {
    return r.type == 'a' && r.major == -1 && r.minor == -1 && r.access == "rwm";
}

std::string number(int64_t n) { return n < 0 ? "*" : std::to_string(n); }

} // namespace

std::vector<DeviceWrite> device_writes_v1(const std::vector<DeviceRule> &rules) {
    std::vector<DeviceWrite> writes;
    for (const auto &r : rules) {
        std::string file = r.allow ? "devices.allow" : "devices.deny";
        // "a" alone resets the whole list to allow-all or deny-all; the kernel reads any
        // entry of type a that way, so a typed-a rule with numbers becomes a b and a c rule.
        if (matches_everything(r)) {
            writes.push_back({file, "a"});
            continue;
        }
        for (char type : r.type == 'a' ? std::string("bc") : std::string(1, r.type))
            writes.push_back({file, fmt::format("{} {}:{} {}", type, number(r.major),
                                                number(r.minor), r.access)});
    }
    return writes;
}

namespace {

bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
    bpf_insn i{};
    i.code = code;
    i.dst_reg = dst & 0xf;
    i.src_reg = src & 0xf;
    i.off = off;
    i.imm = imm;
    return i;
}

bpf_insn load_u32(uint8_t dst, uint8_t src, int16_t off) {
    return insn(BPF_LDX | BPF_W | BPF_MEM, dst, src, off, 0);
}
bpf_insn mov_reg(uint8_t dst, uint8_t src) { return insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0); }
bpf_insn mov_imm(uint8_t dst, int32_t imm) { return insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm); }
bpf_insn alu32_imm(uint8_t op, uint8_t dst, int32_t imm) {
    return insn(BPF_ALU | op | BPF_K, dst, 0, 0, imm);
}
bpf_insn jump_imm(uint8_t op, uint8_t dst, int32_t imm) {
    return insn(BPF_JMP | op | BPF_K, dst, 0, 0, imm); // offset patched once the block is known
}
bpf_insn exit_insn() { return insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }

int32_t access_mask(const std::string &access) {
    int32_t mask = 0;
    if (access.find('r') != std::string::npos)
        mask |= BPF_DEVCG_ACC_READ;
    if (access.find('w') != std::string::npos)
        mask |= BPF_DEVCG_ACC_WRITE;
    if (access.find('m') != std::string::npos)
        mask |= BPF_DEVCG_ACC_MKNOD;
    return mask;
}

// Registers while the rules run: r2 device type, r3 requested access, r4 major, r5 minor;
// r1 is scratch once the context has been read.
std::vector<bpf_insn> rule_block(const DeviceRule &r) {
    std::vector<bpf_insn> block;
    if (r.type != 'a')
        block.push_back(jump_imm(BPF_JNE, 2, r.type == 'b' ? BPF_DEVCG_DEV_BLOCK
                                                            : BPF_DEVCG_DEV_CHAR));
    const int32_t mask = access_mask(r.access);
    if (mask != access_mask("rwm")) {
        block.push_back(mov_reg(1, 3));
        if (r.allow) {
            // An allow rule covers a request only if every requested access is in it.
            block.push_back(alu32_imm(BPF_AND, 1, ~mask));
            block.push_back(jump_imm(BPF_JNE, 1, 0));
        } else {
            // A deny rule refuses a request that asks for any access it names.
            block.push_back(alu32_imm(BPF_AND, 1, mask));
            block.push_back(jump_imm(BPF_JEQ, 1, 0));
        }
    }
    if (r.major >= 0)
        block.push_back(jump_imm(BPF_JNE, 4, static_cast<int32_t>(r.major)));
    if (r.minor >= 0)
        block.push_back(jump_imm(BPF_JNE, 5, static_cast<int32_t>(r.minor)));
    block.push_back(mov_imm(0, r.allow ? 1 : 0));
    block.push_back(exit_insn());
    // Every conditional jump skips to the end of the block: the next rule.
    for (size_t i = 0; i < block.size(); ++i)
        if (BPF_CLASS(block[i].code) == BPF_JMP && BPF_OP(block[i].code) != BPF_EXIT)
            block[i].off = static_cast<int16_t>(block.size() - i - 1);
    return block;
}

long bpf(int cmd, bpf_attr &attr) {
    return ::syscall(SYS_bpf, cmd, &attr, sizeof attr);
}

} // namespace

std::vector<bpf_insn> device_program(const std::vector<DeviceRule> &rules) {
    // bpf_cgroup_dev_ctx: access_type (type | access << 16), major, minor, all u32.
    std::vector<bpf_insn> prog = {
        load_u32(2, 1, offsetof(bpf_cgroup_dev_ctx, access_type)),
        mov_reg(3, 2),
        alu32_imm(BPF_RSH, 3, 16),
        alu32_imm(BPF_AND, 2, 0xffff),
        load_u32(4, 1, offsetof(bpf_cgroup_dev_ctx, major)),
        load_u32(5, 1, offsetof(bpf_cgroup_dev_ctx, minor)),
    };
    // Last match wins, so the rules are tested from the end. A rule that matches everything
    // ends the program: the verifier refuses the unreachable code that would follow it.
    bool complete = false;
    for (auto it = rules.rbegin(); it != rules.rend() && !complete; ++it) {
        auto block = rule_block(*it);
        prog.insert(prog.end(), block.begin(), block.end());
        complete = matches_everything(*it);
    }
    if (!complete) {
        prog.push_back(mov_imm(0, 0));
        prog.push_back(exit_insn());
    }
    return prog;
}

Result<> attach_device_program(const std::string &dir, const std::vector<DeviceRule> &rules) {
    auto prog = device_program(rules);
    static const char license[] = "Apache-2.0";
    std::string log(64 * 1024, '\0');
    bpf_attr load{};
    load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    load.insns = reinterpret_cast<uint64_t>(prog.data());
    load.insn_cnt = static_cast<uint32_t>(prog.size());
    load.license = reinterpret_cast<uint64_t>(license);
    load.log_buf = reinterpret_cast<uint64_t>(log.data());
    load.log_size = static_cast<uint32_t>(log.size());
    load.log_level = 1;
    UniqueFd prog_fd(static_cast<int>(bpf(BPF_PROG_LOAD, load)));
    if (!prog_fd) {
        Error e = sys_error("load eBPF device program for", dir);
        log.resize(std::strlen(log.c_str()));
        if (!log.empty()) {
            // The verifier's last line says why it refused the program.
            auto lines = log.substr(0, log.find_last_not_of('\n') + 1);
            e.hint = "verifier: " + lines.substr(lines.rfind('\n') + 1);
        } else if (e.sys_errno == EPERM) {
            e.hint = "loading a device program needs CAP_SYS_ADMIN (or CAP_BPF)";
        }
        return fail(std::move(e));
    }
    UniqueFd cgroup_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!cgroup_fd)
        return fail(sys_error("open", dir));
    bpf_attr attach{};
    attach.target_fd = static_cast<uint32_t>(cgroup_fd.get());
    attach.attach_bpf_fd = static_cast<uint32_t>(prog_fd.get());
    attach.attach_type = BPF_CGROUP_DEVICE;
    attach.attach_flags = BPF_F_ALLOW_MULTI;
    if (bpf(BPF_PROG_ATTACH, attach) < 0)
        return fail(sys_error("attach eBPF device program to", dir));
    return {};
}

} // namespace berth::native
