// Commands that describe berth and its drivers and write no container state.
#include "commands/commands.hpp"

#include "spec_template.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace berth::host {

namespace fs = std::filesystem;

namespace {

void print(const std::string &s) {
    std::fwrite(s.data(), 1, s.size(), stdout);
}

const char *status_word(DriverInfo::Status s) {
    switch (s) {
    case DriverInfo::Status::usable:
        return "usable";
    case DriverInfo::Status::unusable:
        return "unusable";
    default:
        return "broken";
    }
}

std::string abi_text(const DriverInfo &d) {
    return d.abi_major == 0 ? "-" : fmt::format("{}.{}", d.abi_major, d.abi_minor);
}

std::string or_dash(const std::string &s) {
    return s.empty() ? "-" : s;
}

} // namespace

Result<int> cmd_version(Context &, const CommandOptions &) {
    print(fmt::format("berth version {}\nspec: {}\ndriver abi: {}.{}\n", BERTH_VERSION, oci_version,
                      BERTH_ABI_MAJOR, BERTH_ABI_MINOR));
    return 0;
}

Result<int> cmd_drivers(Context &ctx, const CommandOptions &o) {
    std::vector<DriverInfo> drivers = ctx.registry().list();
    if (o.format == "json") {
        nlohmann::json out = nlohmann::json::array();
        for (const auto &d : drivers)
            out.push_back({{"name", d.name},
                           {"version", d.version},
                           {"abi", d.abi_major == 0 ? "" : abi_text(d)},
                           {"status", status_word(d.status)},
                           {"reason", d.reason},
                           {"description", d.description},
                           {"path", d.path.string()},
                           {"default", d.name == ctx.config.default_driver}});
        print(out.dump(2) + "\n");
        return 0;
    }
    if (drivers.empty()) {
        print("no drivers found\n");
        return 0;
    }
    size_t wn = 4, wv = 7, ws = 8;
    for (const auto &d : drivers) {
        wn = std::max(wn, d.name.size() + 1);
        wv = std::max(wv, or_dash(d.version).size());
    }
    std::string out = fmt::format("{:<{}}  {:<{}}  {:<5}  {:<{}}  {}\n", "NAME", wn, "VERSION", wv,
                                  "ABI", "STATUS", ws, "REASON / PATH");
    for (const auto &d : drivers) {
        std::string name = d.name + (d.name == ctx.config.default_driver ? "*" : "");
        std::string detail =
            d.reason.empty() ? d.path.string() : d.reason + " (" + d.path.string() + ")";
        out += fmt::format("{:<{}}  {:<{}}  {:<5}  {:<{}}  {}\n", name, wn, or_dash(d.version), wv,
                           abi_text(d), status_word(d.status), ws, detail);
    }
    out += "(* the default driver)\n";
    print(out);
    return 0;
}

Result<int> cmd_features(Context &ctx, const CommandOptions &) {
    std::string name = ctx.driver_name();
    auto driver = ctx.registry().load(name);
    if (!driver)
        return fail(std::move(driver.error()));
    auto text = (*driver)->features();
    if (!text)
        return fail(std::move(text.error()).in("features of driver " + name));
    nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
    if (j.is_discarded())
        return fail(make_error(BERTH_E_FAILED,
                               fmt::format("driver {} returned a features document that is not "
                                           "valid JSON",
                                           name))
                        .with_hint("report this to the driver's authors"));
    print(j.dump(2) + "\n");
    return 0;
}

Result<int> cmd_spec(Context &, const CommandOptions &o) {
    std::error_code ec;
    fs::path bundle = o.bundle.empty() ? fs::current_path(ec) : fs::path(o.bundle);
    if (!fs::is_directory(bundle, ec))
        return fail(
            make_error(BERTH_E_NOT_FOUND, "bundle directory does not exist", bundle.string())
                .with_hint("create it first, or pass another with --bundle"));
    fs::path file = bundle / "config.json";
    std::string text = default_spec(o.rootless, geteuid(), getegid()).dump(2) + "\n";
    // O_EXCL: an existing config.json is somebody's work; never overwrite it.
    int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        if (errno == EEXIST)
            return fail(make_error(BERTH_E_STATE, "refusing to overwrite", file.string())
                            .with_hint("remove it first to write a fresh default"));
        return fail(sys_error("create", file.string()));
    }
    size_t off = 0;
    while (off < text.size()) {
        ssize_t n = ::write(fd, text.data() + off, text.size() - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            Error e = sys_error("write", file.string());
            ::close(fd);
            ::unlink(file.c_str());
            return fail(std::move(e));
        }
        off += static_cast<size_t>(n);
    }
    if (::close(fd) != 0) {
        Error e = sys_error("close", file.string());
        ::unlink(file.c_str());
        return fail(std::move(e));
    }
    return 0;
}

} // namespace berth::host
