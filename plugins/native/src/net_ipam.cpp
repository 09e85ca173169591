#include "net_ipam.hpp"

#include <berth/common/unique_fd.hpp>

#include <fmt/format.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

namespace berth::native {

namespace fs = std::filesystem;

nlohmann::json lease_to_json(const Lease &l) {
    nlohmann::json ports = nlohmann::json::array();
    for (const auto &p : l.ports)
        ports.push_back(p.str());
    return {{"address", l.address.str()}, {"container", l.container},
            {"state_dir", l.state_dir.string()}, {"veth", l.veth}, {"ports", ports}};
}

Result<Lease> lease_from_json(const nlohmann::json &j, const std::string &where) {
    auto bad = [&] {
        return fail(make_error(BERTH_E_FAILED, "unreadable lease", where)
                        .with_hint("remove the file if no container uses the address"));
    };
    if (!j.is_object())
        return bad();
    Lease l;
    try {
        auto a = parse_ipv4(j.at("address").get<std::string>());
        if (!a)
            return bad();
        l.address = *a;
        l.container = j.at("container").get<std::string>();
        l.state_dir = j.at("state_dir").get<std::string>();
        l.veth = j.at("veth").get<std::string>();
        std::string joined;
        for (const auto &p : j.at("ports"))
            joined += (joined.empty() ? "" : ",") + p.get<std::string>();
        if (!joined.empty()) {
            auto ports = parse_publish(joined);
            if (!ports)
                return bad();
            l.ports = std::move(*ports);
        }
    } catch (const nlohmann::json::exception &) {
        return bad();
    }
    return l;
}

LeaseStore::LeaseStore(const fs::path &network_root, const NetworkConfig &net)
    : dir_(network_root / net.name / "leases"), net_(net) {}

Result<Ipv4> LeaseStore::allocate(Lease &lease) {
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (ec)
        return fail(sys_error("create lease directory", dir_.string(), ec.value()));
    uint32_t first = net_.subnet.network().value + 1;
    uint32_t last = net_.subnet.broadcast().value - 1;
    for (uint32_t v = first; v <= last; ++v) {
        if (v == net_.gateway.value)
            continue;
        lease.address = Ipv4{v};
        fs::path file = dir_ / lease.address.str();
        UniqueFd fd(open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
        if (!fd) {
            if (errno == EEXIST)
                continue;
            return fail(sys_error("create lease", file.string()));
        }
        std::string text = lease_to_json(lease).dump() + "\n";
        if (write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
            Error e = sys_error("write lease", file.string());
            unlink(file.c_str());
            return fail(std::move(e));
        }
        return lease.address;
    }
    return fail(make_error(BERTH_E_FAILED,
                           fmt::format("network {}: no free address left in subnet {}",
                                       net_.name, net_.subnet.str()),
                           dir_.string())
                    .with_hint("delete containers of this network or give it a larger "
                               "subnet in berth.yaml"));
}

Result<bool> LeaseStore::release(Ipv4 address, const std::string &container) {
    fs::path file = dir_ / address.str();
    std::ifstream in(file);
    if (!in)
        return false;
    std::stringstream ss;
    ss << in.rdbuf();
    auto l = lease_from_json(nlohmann::json::parse(ss.str(), nullptr, false), file.string());
    if (l && l->container != container)
        return false;
    if (unlink(file.c_str()) != 0) {
        if (errno == ENOENT)
            return false;
        return fail(sys_error("remove lease", file.string()));
    }
    return true;
}

Result<std::vector<Lease>> LeaseStore::list() const {
    std::vector<Lease> out;
    std::error_code ec;
    if (!fs::exists(dir_, ec))
        return out;
    for (const auto &e : fs::directory_iterator(dir_, ec)) {
        std::ifstream in(e.path());
        std::stringstream ss;
        ss << in.rdbuf();
        auto j = nlohmann::json::parse(ss.str(), nullptr, false);
        auto l = lease_from_json(j, e.path().string());
        if (!l)
            return fail(std::move(l.error()));
        out.push_back(std::move(*l));
    }
    if (ec)
        return fail(sys_error("list leases", dir_.string(), ec.value()));
    std::sort(out.begin(), out.end(),
              [](const Lease &a, const Lease &b) { return a.address < b.address; });
    return out;
}

} // namespace berth::native
