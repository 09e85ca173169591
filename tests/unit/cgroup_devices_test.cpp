#include "cgroup_devices.hpp"

#include <catch2/catch.hpp>

#include <cstring>
#include <stdexcept>

using namespace berth::native;
using nlohmann::json;

namespace {

// Runs a device program the way the kernel would for one request, covering exactly the
// instructions device_program() emits. A wrong jump offset or an unknown instruction fails.
int run_program(const std::vector<bpf_insn> &prog, char type, const std::string &access,
                uint32_t major, uint32_t minor) {
    uint32_t acc = 0;
    for (char c : access)
        acc |= c == 'r' ? BPF_DEVCG_ACC_READ : c == 'w' ? BPF_DEVCG_ACC_WRITE : BPF_DEVCG_ACC_MKNOD;
    bpf_cgroup_dev_ctx ctx{(acc << 16) | (type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR),
                           major, minor};
    uint64_t reg[11] = {};
    size_t pc = 0;
    for (int steps = 0; steps < 10000; ++steps) {
        if (pc >= prog.size())
            throw std::runtime_error("ran off the end of the program");
        const bpf_insn &i = prog[pc++];
        switch (i.code) {
        case BPF_LDX | BPF_W | BPF_MEM: {
            uint32_t v;
            std::memcpy(&v, reinterpret_cast<const char *>(&ctx) + i.off, 4);
            reg[i.dst_reg] = v;
            break;
        }
        case BPF_ALU64 | BPF_MOV | BPF_X: reg[i.dst_reg] = reg[i.src_reg]; break;
        case BPF_ALU64 | BPF_MOV | BPF_K: reg[i.dst_reg] = static_cast<uint64_t>(i.imm); break;
        case BPF_ALU | BPF_AND | BPF_K:
            reg[i.dst_reg] = static_cast<uint32_t>(reg[i.dst_reg]) & static_cast<uint32_t>(i.imm);
            break;
        case BPF_ALU | BPF_RSH | BPF_K:
            reg[i.dst_reg] = static_cast<uint32_t>(reg[i.dst_reg]) >> i.imm;
            break;
        case BPF_JMP | BPF_JNE | BPF_K:
            if (reg[i.dst_reg] != static_cast<uint64_t>(static_cast<int64_t>(i.imm)))
                pc += i.off;
            break;
        case BPF_JMP | BPF_JEQ | BPF_K:
            if (reg[i.dst_reg] == static_cast<uint64_t>(static_cast<int64_t>(i.imm)))
                pc += i.off;
            break;
        case BPF_JMP | BPF_EXIT:
            return static_cast<int>(reg[0]);
        default:
            throw std::runtime_error("unexpected instruction");
        }
    }
    throw std::runtime_error("program loops");
}

} // namespace

TEST_CASE("device rules parse with OCI defaults for type, numbers and access", "[unit]") {
    auto rules = parse_device_rules(json::parse(R"([{"allow": false},
        {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "wr"}])"));
    REQUIRE(rules);
    REQUIRE(*rules == std::vector<DeviceRule>{{false, 'a', -1, -1, "rwm"},
                                              {true, 'c', 1, 3, "rw"}});
    auto bad = parse_device_rules(json::parse(R"([{"allow": true, "type": "x"}])"));
    REQUIRE(bad.error().render() == "linux.resources.devices[0]: type must be a, b or c, not `x`");
    auto no_allow = parse_device_rules(json::parse(R"([{"type": "c"}])"));
    REQUIRE(no_allow.error().render() ==
            "linux.resources.devices[0]: allow (a boolean) is required");
}

TEST_CASE("a typed-a device rule with numbers becomes a block and a char rule on v1", "[unit]") {
    auto w = device_writes_v1({{false, 'a', -1, -1, "rwm"}, {true, 'a', 7, -1, "r"}});
    REQUIRE(w.size() == 3);
    REQUIRE(w[0].file == "devices.deny");
    REQUIRE(w[0].value == "a");
    REQUIRE(w[1].value == "b 7:* r");
    REQUIRE(w[2].value == "c 7:* r");
    REQUIRE(w[2].file == "devices.allow");
}

TEST_CASE("the device program allows the standard nodes and denies everything else",
          "[unit]") {
    auto prog = device_program(container_device_rules({}));
    REQUIRE(run_program(prog, 'c', "rw", 1, 3) == 1);   // /dev/null
    REQUIRE(run_program(prog, 'c', "rw", 136, 4) == 1); // /dev/pts/4
    REQUIRE(run_program(prog, 'c', "r", 1, 1) == 0);    // /dev/mem
    REQUIRE(run_program(prog, 'b', "r", 8, 0) == 0);    // /dev/sda
    REQUIRE(run_program(prog, 'b', "m", 8, 0) == 1);    // mknod is allowed for any node
}

TEST_CASE("the device program lets the last matching rule win and checks access", "[unit]") {
    auto prog = device_program({{false, 'a', -1, -1, "rwm"},
                                {true, 'c', 10, -1, "rw"},
                                {false, 'c', 10, 200, "w"}});
    REQUIRE(run_program(prog, 'c', "r", 10, 229) == 1);
    REQUIRE(run_program(prog, 'c', "rw", 10, 229) == 1);
    REQUIRE(run_program(prog, 'c', "m", 10, 229) == 0); // m is not in the allow rule
    REQUIRE(run_program(prog, 'c', "r", 10, 200) == 1);
    REQUIRE(run_program(prog, 'c', "rw", 10, 200) == 0); // the later deny covers w
    REQUIRE(run_program(prog, 'b', "r", 10, 229) == 0);
}

TEST_CASE("the device program stops at a rule that matches everything", "[unit]") {
    // The kernel's verifier refuses unreachable instructions, so nothing may follow it.
    auto prog = device_program({{false, 'c', 1, 1, "rwm"}, {true, 'a', -1, -1, "rwm"}});
    REQUIRE(run_program(prog, 'c', "r", 1, 1) == 1);
    REQUIRE(prog.back().code == (BPF_JMP | BPF_EXIT));
    REQUIRE(prog.size() == 6 + 2); // context loads, then one block of mov + exit
}
