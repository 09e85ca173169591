#include "elf_exports.hpp"

#include <elf.h>

#include <cstring>
#include <fstream>
#include <iterator>

namespace berth::check {
namespace {

// The machine this checker (and so the host it stands in for) runs on.
#if defined(__x86_64__)
constexpr unsigned kHostMachine = EM_X86_64;
#elif defined(__aarch64__)
constexpr unsigned kHostMachine = EM_AARCH64;
#elif defined(__i386__)
constexpr unsigned kHostMachine = EM_386;
#elif defined(__arm__)
constexpr unsigned kHostMachine = EM_ARM;
#elif defined(__riscv)
constexpr unsigned kHostMachine = EM_RISCV;
#elif defined(__powerpc64__)
constexpr unsigned kHostMachine = EM_PPC64;
#elif defined(__s390x__)
constexpr unsigned kHostMachine = EM_S390;
#else
constexpr unsigned kHostMachine = EM_NONE; // unknown: not checked
#endif

struct Elf32 {
    using Ehdr = Elf32_Ehdr;
    using Shdr = Elf32_Shdr;
    using Sym = Elf32_Sym;
    static unsigned char bind(unsigned char info) { return ELF32_ST_BIND(info); }
};

struct Elf64 {
    using Ehdr = Elf64_Ehdr;
    using Shdr = Elf64_Shdr;
    using Sym = Elf64_Sym;
    static unsigned char bind(unsigned char info) { return ELF64_ST_BIND(info); }
};

template <class T> bool read_at(const std::string &data, uint64_t off, T &out) {
    if (off > data.size() || data.size() - off < sizeof(T))
        return false;
    std::memcpy(&out, data.data() + off, sizeof(T));
    return true;
}

template <class E>
Result<std::vector<std::string>> dynsym_exports(const std::string &data, const std::string &file) {
    auto corrupt = [&](const char *what) {
        return fail(make_error(BERTH_E_INVALID_ARGUMENT, std::string("read ELF `") + file + "`: " +
                                                             what + " (is the file truncated?)"));
    };
    typename E::Ehdr eh;
    if (!read_at(data, 0, eh))
        return corrupt("header cut short");
    if (eh.e_type != ET_DYN)
        return fail(make_error(BERTH_E_INVALID_ARGUMENT,
                               "`" + file + "` is not a shared object (ELF type " +
                                   std::to_string(eh.e_type) + "); build it as a MODULE library"));
    if (kHostMachine != EM_NONE && eh.e_machine != kHostMachine)
        return fail(make_error(BERTH_E_INVALID_ARGUMENT,
                               "`" + file + "` is built for ELF machine " +
                                   std::to_string(eh.e_machine) + ", this host is " +
                                   std::to_string(kHostMachine) +
                                   "; build the driver for this architecture"));
    if (eh.e_shentsize != sizeof(typename E::Shdr))
        return corrupt("unexpected section header size");

    std::vector<std::string> names;
    for (unsigned i = 0; i < eh.e_shnum; ++i) {
        typename E::Shdr sh;
        if (!read_at(data, eh.e_shoff + uint64_t(i) * sizeof sh, sh))
            return corrupt("section header out of range");
        if (sh.sh_type != SHT_DYNSYM)
            continue;
        typename E::Shdr strtab;
        if (!read_at(data, eh.e_shoff + uint64_t(sh.sh_link) * sizeof strtab, strtab))
            return corrupt("string table header out of range");
        if (strtab.sh_offset > data.size() || data.size() - strtab.sh_offset < strtab.sh_size)
            return corrupt("string table out of range");
        uint64_t count = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
        for (uint64_t k = 1; k < count; ++k) {
            typename E::Sym sym;
            if (!read_at(data, sh.sh_offset + k * sh.sh_entsize, sym))
                return corrupt("symbol out of range");
            unsigned char bind = E::bind(sym.st_info);
            if (sym.st_shndx == SHN_UNDEF || sym.st_shndx == SHN_ABS)
                continue;
            if (bind != STB_GLOBAL && bind != STB_WEAK && bind != STB_GNU_UNIQUE)
                continue;
            if (sym.st_name >= strtab.sh_size)
                return corrupt("symbol name out of range");
            const char *name = data.data() + strtab.sh_offset + sym.st_name;
            names.emplace_back(name, strnlen(name, strtab.sh_size - sym.st_name));
        }
    }
    return names;
}

} // namespace

Result<std::vector<std::string>> exported_symbols(const std::filesystem::path &path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return fail(sys_error("open", path.string()));
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (data.size() < EI_NIDENT || std::memcmp(data.data(), ELFMAG, SELFMAG) != 0)
        return fail(
            make_error(BERTH_E_INVALID_ARGUMENT, "`" + path.string() + "` is not an ELF file"));
    const bool little = data[EI_DATA] == ELFDATA2LSB;
    const bool host_little = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;
    if (little != host_little)
        return fail(make_error(BERTH_E_INVALID_ARGUMENT,
                               "`" + path.string() +
                                   "` has the other byte order than this machine; build the "
                                   "driver for this architecture"));
    if (data[EI_CLASS] == ELFCLASS64)
        return dynsym_exports<Elf64>(data, path.string());
    if (data[EI_CLASS] == ELFCLASS32)
        return dynsym_exports<Elf32>(data, path.string());
    return fail(
        make_error(BERTH_E_INVALID_ARGUMENT, "`" + path.string() + "` has an unknown ELF class"));
}

} // namespace berth::check
