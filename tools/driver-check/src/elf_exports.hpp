// The symbols a shared object exports, read from its ELF dynamic symbol table without loading
// it (loading would run the driver's constructors before the check could judge the file).
#pragma once

#include <berth/common/error.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace berth::check {

// Names of the defined global and weak symbols in .dynsym, in table order. Version-definition
// markers (absolute symbols a version script may add) are not counted. Fails when the file is
// not an ELF shared object of a class and byte order this build can read.
Result<std::vector<std::string>> exported_symbols(const std::filesystem::path &file);

} // namespace berth::check
