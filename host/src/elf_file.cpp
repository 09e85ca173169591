#include "elf_file.hpp"

#include <berth/common/unique_fd.hpp>

#include <elf.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <fmt/format.h>

#include <cstring>
#include <fstream>
#include <string_view>
#include <utility>

namespace berth::host {
namespace {

// A file's identity as the loader matches it: class, byte order and machine.
struct ElfIdentity {
    unsigned char elf_class = 0;
    unsigned char data = 0;
    uint16_t type = 0;
    uint16_t machine = 0;
};

uint16_t read_u16(const unsigned char *p, unsigned char data) {
    return data == ELFDATA2MSB ? static_cast<uint16_t>(p[0] << 8 | p[1])
                               : static_cast<uint16_t>(p[1] << 8 | p[0]);
}

// e_type and e_machine sit at the same offsets in ELF32 and ELF64 headers.
bool read_identity(std::string_view bytes, ElfIdentity &id) {
    if (bytes.size() < 20 || std::memcmp(bytes.data(), ELFMAG, SELFMAG) != 0)
        return false;
    const auto *p = reinterpret_cast<const unsigned char *>(bytes.data());
    id.elf_class = p[EI_CLASS];
    id.data = p[EI_DATA];
    id.type = read_u16(p + 16, id.data);
    id.machine = read_u16(p + 18, id.data);
    return true;
}

// The identity of the running berth binary, which is what a driver has to match.
const ElfIdentity &own_identity() {
    static const ElfIdentity id = [] {
        ElfIdentity self;
        std::ifstream in("/proc/self/exe", std::ios::binary);
        std::string head(64, '\0');
        in.read(head.data(), static_cast<std::streamsize>(head.size()));
        head.resize(static_cast<size_t>(in.gcount()));
        read_identity(head, self);
        return self;
    }();
    return id;
}

template <class Ehdr, class Shdr, class Sym>
Result<std::vector<std::string>> dynamic_symbols(std::string_view bytes) {
    Error truncated = make_error(BERTH_E_FAILED, "not an ELF shared object (truncated headers)");
    if (bytes.size() < sizeof(Ehdr))
        return fail(truncated);
    Ehdr eh;
    std::memcpy(&eh, bytes.data(), sizeof eh);
    if (eh.e_shentsize != sizeof(Shdr) || eh.e_shoff > bytes.size() ||
        eh.e_shnum > (bytes.size() - eh.e_shoff) / sizeof(Shdr))
        return fail(truncated);

    auto section = [&](size_t i) {
        Shdr sh;
        std::memcpy(&sh, bytes.data() + eh.e_shoff + i * sizeof(Shdr), sizeof sh);
        return sh;
    };
    std::vector<std::string> names;
    for (size_t i = 0; i < eh.e_shnum; ++i) {
        Shdr sh = section(i);
        if (sh.sh_type != SHT_DYNSYM)
            continue;
        if (sh.sh_link >= eh.e_shnum || sh.sh_offset > bytes.size() ||
            sh.sh_size > bytes.size() - sh.sh_offset)
            return fail(truncated);
        Shdr strtab = section(sh.sh_link);
        if (strtab.sh_offset > bytes.size() || strtab.sh_size > bytes.size() - strtab.sh_offset)
            return fail(truncated);
        const char *strings = bytes.data() + strtab.sh_offset;
        for (size_t off = 0; off + sizeof(Sym) <= sh.sh_size; off += sizeof(Sym)) {
            Sym sym;
            std::memcpy(&sym, bytes.data() + sh.sh_offset + off, sizeof sym);
            // Undefined entries are imports, not exports.
            if (sym.st_shndx == SHN_UNDEF || sym.st_name >= strtab.sh_size)
                continue;
            const unsigned bind = sym.st_info >> 4;
            if (bind != STB_GLOBAL && bind != STB_WEAK)
                continue;
            names.emplace_back(strings + sym.st_name,
                               strnlen(strings + sym.st_name, strtab.sh_size - sym.st_name));
        }
    }
    return names;
}

// A read-only, private mapping of a whole file: only the pages the ELF walk touches (headers,
// section table, dynamic symbols) are read from disk, not the debug information around them.
class MappedFile {
public:
    static Result<MappedFile> open(const std::filesystem::path &file) {
        UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
        if (!fd)
            return fail(sys_error("open", file.string()));
        struct stat st;
        if (::fstat(fd.get(), &st) != 0)
            return fail(sys_error("stat", file.string()));
        MappedFile m;
        if (!S_ISREG(st.st_mode) || st.st_size == 0)
            return m;
        void *p =
            ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd.get(), 0);
        if (p == MAP_FAILED)
            return fail(sys_error("map", file.string()));
        m.data_ = static_cast<const char *>(p);
        m.size_ = static_cast<size_t>(st.st_size);
        return m;
    }
    MappedFile(MappedFile &&o) noexcept : data_(std::exchange(o.data_, nullptr)), size_(o.size_) {}
    MappedFile &operator=(MappedFile &&) = delete;
    ~MappedFile() {
        if (data_ != nullptr)
            ::munmap(const_cast<char *>(data_), size_);
    }
    std::string_view bytes() const { return {data_ == nullptr ? "" : data_, size_}; }

private:
    MappedFile() = default;
    const char *data_ = nullptr;
    size_t size_ = 0;
};

} // namespace

std::string elf_machine_name(unsigned machine) {
    switch (machine) {
    case EM_X86_64:
        return "x86_64";
    case EM_386:
        return "i386";
    case EM_AARCH64:
        return "aarch64";
    case EM_ARM:
        return "arm";
    case EM_RISCV:
        return "riscv";
    case EM_PPC64:
        return "ppc64";
    case EM_PPC:
        return "ppc";
    case EM_S390:
        return "s390x";
    case EM_MIPS:
        return "mips";
    case 258: // EM_LOONGARCH, missing from older <elf.h>
        return "loongarch64";
    default:
        return fmt::format("machine {}", machine);
    }
}

Result<ElfSummary> inspect_elf(const std::filesystem::path &file) {
    auto mapped = MappedFile::open(file);
    if (!mapped)
        return fail(std::move(mapped.error()));
    std::string_view bytes = mapped->bytes();

    ElfIdentity id;
    if (!read_identity(bytes, id))
        return fail(make_error(BERTH_E_FAILED, "not an ELF shared object"));

    const ElfIdentity &self = own_identity();
    if (id.machine != self.machine || id.elf_class != self.elf_class || id.data != self.data) {
        auto bits = [](unsigned char c) { return c == ELFCLASS32 ? "32-bit " : ""; };
        return fail(make_error(BERTH_E_FAILED,
                               fmt::format("built for {}{}, this host is {}{}", bits(id.elf_class),
                                           elf_machine_name(id.machine), bits(self.elf_class),
                                           elf_machine_name(self.machine))));
    }
    if (id.type != ET_DYN)
        return fail(make_error(BERTH_E_FAILED, id.type == ET_EXEC
                                                   ? "not an ELF shared object (an executable)"
                                                   : "not an ELF shared object"));

    auto syms = id.elf_class == ELFCLASS64
                    ? dynamic_symbols<Elf64_Ehdr, Elf64_Shdr, Elf64_Sym>(bytes)
                    : dynamic_symbols<Elf32_Ehdr, Elf32_Shdr, Elf32_Sym>(bytes);
    if (!syms)
        return fail(std::move(syms.error()));
    return ElfSummary{std::move(*syms)};
}

} // namespace berth::host
