#include "net_etc_files.hpp"

#include <fmt/format.h>

#include <sstream>

namespace berth::native {

std::string render_hosts(const std::string &hostname, Ipv4 address) {
    std::string out = "127.0.0.1\tlocalhost\n"
                      "::1\tlocalhost ip6-localhost ip6-loopback\n";
    if (!hostname.empty())
        out += fmt::format("{}\t{}\n", address.str(), hostname);
    return out;
}

std::string render_resolv_conf(const std::string &host_text, int &dropped) {
    dropped = 0;
    std::string out;
    std::istringstream in(host_text);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream words(line);
        std::string key, value;
        words >> key >> value;
        if (key == "nameserver") {
            auto v4 = parse_ipv4(value);
            if ((v4 && (v4->value >> 24) == 127) || value == "::1") {
                ++dropped;
                continue;
            }
            out += line + "\n";
        } else if (key == "search" || key == "domain" || key == "options") {
            out += line + "\n";
        }
    }
    return out;
}

} // namespace berth::native
