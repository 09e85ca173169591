// Reading a driver file's ELF headers without loading it, so that a file that cannot be a
// driver for this host is reported for what it is (not ELF, another architecture, no entry
// point) before the dynamic loader runs any of its code.
#pragma once

#include <berth/common/error.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace berth::host {

struct ElfSummary {
    // Names of the global symbols the file exports through its dynamic symbol table: what
    // dlsym can find once it is loaded.
    std::vector<std::string> dynamic_symbols;
};

// Checks that `file` is an ELF shared object for the machine this berth runs on and lists its
// dynamic symbols. The error's message is the bare reason ("not an ELF shared object",
// "built for aarch64, this host is x86_64").
Result<ElfSummary> inspect_elf(const std::filesystem::path &file);

// The name of an ELF e_machine value as users know it ("x86_64", "aarch64"), or
// "machine N" for one berth does not know.
std::string elf_machine_name(unsigned machine);

} // namespace berth::host
