#include "negotiation.hpp"

#include <fmt/format.h>

namespace berth::host {
namespace {

std::string range_text(uint32_t min, uint32_t max) {
    return fmt::format("{0}.{1}-{0}.{2}", BERTH_ABI_MAJOR, min, max);
}

Error version_error(std::string message) {
    return make_error(BERTH_E_VERSION, std::move(message));
}

} // namespace

Result<uint32_t> negotiate(const berth_driver_entry *entry, const std::string &name,
                           MinorRange host) {
    if (entry == nullptr)
        return fail(version_error(fmt::format(
            "driver {}: {} returned NULL (a driver bug)", name, BERTH_DRIVER_ENTRY_SYMBOL)));

    // struct_size and abi_major are the only fields every major shares; read nothing else
    // before they check out.
    if (entry->struct_size < offsetof(berth_driver_entry, abi_major) + sizeof(uint32_t))
        return fail(version_error(fmt::format(
            "driver {}: entry struct of {} bytes is too small to hold an ABI version (a driver "
            "bug)", name, entry->struct_size)));

    if (entry->abi_major != BERTH_ABI_MAJOR)
        return fail(version_error(fmt::format(
            "driver {} speaks ABI major {}, this berth speaks ABI major {}: install a build of "
            "the driver for ABI {}", name, entry->abi_major, BERTH_ABI_MAJOR, BERTH_ABI_MAJOR)));

    if (!BERTH_HAS_FIELD(entry, berth_driver_entry, deinit))
        return fail(version_error(fmt::format(
            "driver {}: entry struct of {} bytes is smaller than the {} bytes of ABI {}.0 (a "
            "driver bug)", name, entry->struct_size, sizeof(berth_driver_entry),
            BERTH_ABI_MAJOR)));

    if (entry->name == nullptr || entry->version == nullptr || entry->description == nullptr ||
        entry->negotiate == nullptr || entry->init == nullptr || entry->deinit == nullptr)
        return fail(version_error(fmt::format(
            "driver {}: entry struct leaves a required field NULL (a driver bug)", name)));

    if (entry->min_minor > entry->max_minor)
        return fail(version_error(fmt::format(
            "driver {}: entry declares the empty ABI range 1.{}-1.{} (a driver bug)", name,
            entry->min_minor, entry->max_minor)));

    const int32_t picked = entry->negotiate(host.min, host.max);
    if (picked < 0)
        return fail(version_error(fmt::format(
            "driver {} speaks ABI {}, this berth speaks {}: use a driver and a berth with a "
            "common ABI version", name, range_text(entry->min_minor, entry->max_minor),
            range_text(host.min, host.max))));

    const auto minor = static_cast<uint32_t>(picked);
    if (minor < host.min || minor > host.max)
        return fail(version_error(fmt::format(
            "driver {} picked ABI {}.{}, outside the offered {} (a driver bug)", name,
            BERTH_ABI_MAJOR, minor, range_text(host.min, host.max))));
    return minor;
}

} // namespace berth::host
