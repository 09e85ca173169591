#include "net_ipv4.hpp"

#include <fmt/format.h>

#include <arpa/inet.h>

#include <charconv>

namespace berth::native {

std::string Ipv4::str() const {
    return fmt::format("{}.{}.{}.{}", value >> 24, (value >> 16) & 0xff, (value >> 8) & 0xff,
                       value & 0xff);
}

uint32_t Ipv4::network_order() const { return htonl(value); }

std::string Ipv4Prefix::str() const { return fmt::format("{}/{}", address.str(), length); }

std::optional<Ipv4> parse_ipv4(std::string_view text) {
    std::string s(text);
    in_addr a{};
    // inet_pton takes exactly four decimal parts, unlike inet_aton's shorthand forms.
    if (inet_pton(AF_INET, s.c_str(), &a) != 1)
        return std::nullopt;
    return Ipv4{ntohl(a.s_addr)};
}

Result<Ipv4Prefix> parse_ipv4_prefix(std::string_view text, const std::string &what) {
    auto bad = [&] {
        return fail(make_error(BERTH_E_INVALID_ARGUMENT,
                               fmt::format("{} must be an IPv4 prefix such as 10.88.0.0/16, "
                                           "not \"{}\"",
                                           what, text)));
    };
    auto slash = text.find('/');
    if (slash == std::string_view::npos)
        return bad();
    auto addr = parse_ipv4(text.substr(0, slash));
    int len = -1;
    std::string_view digits = text.substr(slash + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), len);
    if (!addr || ec != std::errc() || end != digits.data() + digits.size() || len < 0 ||
        len > 32)
        return bad();
    return Ipv4Prefix{*addr, len};
}

} // namespace berth::native
