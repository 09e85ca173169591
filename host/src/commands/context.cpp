#include "commands/context.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

namespace berth::host {

namespace fs = std::filesystem;

std::string Context::driver_name() const {
    return global.driver.empty() ? config.default_driver : global.driver;
}

DriverRegistry Context::registry() const {
    std::error_code ec;
    fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    RegistryOptions opts;
    opts.dirs = driver_search_dirs(config, ec ? fs::path() : exe);
    for (const auto &[name, settings] : config.drivers)
        opts.driver_options[name] = settings.options_json;
    return DriverRegistry(std::move(opts));
}

std::vector<fs::path> driver_search_dirs(const Config &config, const fs::path &executable) {
    std::vector<fs::path> dirs;
    auto add = [&](const fs::path &d) {
        if (std::find(dirs.begin(), dirs.end(), d) == dirs.end())
            dirs.push_back(d);
    };
    std::error_code ec;
    if (!executable.empty()) {
        fs::path own =
            (executable.parent_path() / ".." / "lib" / "berth" / "drivers").lexically_normal();
        if (fs::is_directory(own, ec))
            add(own);
    }
    for (const auto &d : config.driver_dirs)
        add(d.lexically_normal());
    return dirs;
}

Result<> apply_flags(Config &config, const GlobalOptions &g) {
    if (g.systemd_cgroup)
        return fail(make_error(BERTH_E_NOT_SUPPORTED,
                               "--systemd-cgroup is not supported: berth manages cgroups "
                               "through cgroupfs")
                        .with_hint("drop the flag; containerd needs SystemdCgroup = false"));
    std::error_code ec;
    if (!g.root.empty())
        config.state_root = fs::absolute(g.root, ec).lexically_normal();
    else
        config.state_root = fs::absolute(config.state_root, ec).lexically_normal();
    if (!g.log_level.empty())
        config.log.level = g.log_level;
    else if (g.debug)
        config.log.level = "debug";
    if (!g.log_format.empty())
        config.log.format = g.log_format == "json" ? LogFormat::json : LogFormat::text;
    if (!g.log_file.empty())
        config.log.file = fs::absolute(g.log_file, ec);
    return {};
}

Result<Context> make_context(const GlobalOptions &global) {
    Context ctx;
    ctx.global = global;
    auto where = locate_config(global.config, std::getenv("BERTH_CONFIG"), system_config_path());
    if (!where)
        return fail(std::move(where.error()));
    if (*where) {
        auto cfg = load_config_file(**where);
        if (!cfg)
            return fail(std::move(cfg.error()));
        ctx.config = std::move(*cfg);
    } else {
        ctx.config = default_config();
    }
    if (auto ok = apply_flags(ctx.config, global); !ok)
        return fail(std::move(ok.error()));
    return ctx;
}

} // namespace berth::host
