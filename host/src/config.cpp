#include "config.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
// yaml-cpp 0.7's node lookup trips g++ 12's dangling-pointer analysis inside its own headers
// (a false positive: the temporary outlives the use).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdangling-pointer"
#include <yaml-cpp/yaml.h>
#pragma GCC diagnostic pop

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <set>
#include <sstream>

namespace berth::host {

namespace fs = std::filesystem;

namespace {

// Walks the YAML tree with the file name at hand, so every complaint carries file:line:col.
class Reader {
public:
    explicit Reader(fs::path file) : file_(std::move(file)), base_(file_.parent_path()) {}

    Error error(const YAML::Mark &m, const std::string &what) const {
        // yaml-cpp counts from 0; editors and users count from 1.
        std::string where = file_.string();
        if (!m.is_null())
            where += fmt::format(":{}:{}", m.line + 1, m.column + 1);
        return make_error(BERTH_E_INVALID_ARGUMENT, where + ": " + what);
    }

    static std::string kind(const YAML::Node &n) {
        switch (n.Type()) {
        case YAML::NodeType::Sequence:
            return "a list";
        case YAML::NodeType::Map:
            return "a map";
        case YAML::NodeType::Scalar:
            return n.Scalar().empty() ? "an empty string" : fmt::format("\"{}\"", n.Scalar());
        default:
            return "nothing";
        }
    }

    // Checks the keys of map `n` against `allowed` and rejects duplicates, which yaml-cpp
    // would otherwise resolve silently to the first occurrence.
    Result<> check_keys(const YAML::Node &n, const std::string &prefix,
                        const std::vector<std::string> &allowed) const {
        std::set<std::string> seen;
        for (auto it = n.begin(); it != n.end(); ++it) {
            const YAML::Node &k = it->first;
            if (!k.IsScalar())
                return fail(error(k.Mark(),
                                  fmt::format("expected a key name under {}, found {}",
                                              prefix.empty() ? "the top level" : prefix, kind(k))));
            const std::string key = k.Scalar();
            if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
                return fail(
                    error(k.Mark(), fmt::format("unknown key \"{}{}\" (expected one of: {})",
                                                prefix.empty() ? "" : prefix + ".", key,
                                                fmt::join(allowed, ", "))));
            if (!seen.insert(key).second)
                return fail(error(k.Mark(), fmt::format("duplicate key \"{}{}\"",
                                                        prefix.empty() ? "" : prefix + ".", key)));
        }
        return {};
    }

    Result<std::string> string(const YAML::Node &n, const std::string &name) const {
        if (!n.IsScalar() || n.Scalar().empty())
            return fail(
                error(n.Mark(), fmt::format("{}: expected a string, found {}", name, kind(n))));
        return n.Scalar();
    }

    Result<fs::path> path(const YAML::Node &n, const std::string &name) const {
        if (!n.IsScalar() || n.Scalar().empty())
            return fail(
                error(n.Mark(), fmt::format("{}: expected a path, found {}", name, kind(n))));
        fs::path p = n.Scalar();
        // Relative paths are taken from the file's own directory, so a config file works the
        // same from whatever directory berth is started.
        return p.is_absolute() ? p.lexically_normal() : (base_ / p).lexically_normal();
    }

    Result<bool> boolean(const YAML::Node &n, const std::string &name) const {
        static const std::set<std::string> yes = {"true", "True", "TRUE"};
        static const std::set<std::string> no = {"false", "False", "FALSE"};
        if (n.IsScalar() && n.Tag() != "!") {
            if (yes.count(n.Scalar()))
                return true;
            if (no.count(n.Scalar()))
                return false;
        }
        return fail(
            error(n.Mark(), fmt::format("{}: expected true or false, found {}", name, kind(n))));
    }

    const fs::path &file() const { return file_; }

private:
    fs::path file_;
    fs::path base_;
};

// YAML scalars carry no type; the usual YAML 1.2 core-schema reading turns them into JSON
// values. Quoted scalars always stay strings.
nlohmann::json scalar_to_json(const YAML::Node &n) {
    const std::string &s = n.Scalar();
    if (n.Tag() == "!")
        return s;
    if (s == "~" || s == "null" || s == "Null" || s == "NULL")
        return nullptr;
    if (s == "true" || s == "True" || s == "TRUE")
        return true;
    if (s == "false" || s == "False" || s == "FALSE")
        return false;
    if (!s.empty()) {
        try {
            size_t used = 0;
            long long v = std::stoll(s, &used, 10);
            if (used == s.size())
                return v;
        } catch (const std::exception &) {
        }
        try {
            size_t used = 0;
            double v = std::stod(s, &used);
            if (used == s.size())
                return v;
        } catch (const std::exception &) {
        }
    }
    return s;
}

nlohmann::json to_json(const YAML::Node &n) {
    switch (n.Type()) {
    case YAML::NodeType::Map: {
        nlohmann::json o = nlohmann::json::object();
        for (auto it = n.begin(); it != n.end(); ++it)
            o[it->first.Scalar()] = to_json(it->second);
        return o;
    }
    case YAML::NodeType::Sequence: {
        nlohmann::json a = nlohmann::json::array();
        for (auto it = n.begin(); it != n.end(); ++it)
            a.push_back(to_json(*it));
        return a;
    }
    case YAML::NodeType::Scalar:
        return scalar_to_json(n);
    default:
        return nullptr;
    }
}

// Keys of a map used as JSON object keys must be scalars; checked before converting.
Result<> check_scalar_keys(const Reader &r, const YAML::Node &n, const std::string &name) {
    if (n.IsMap()) {
        for (auto it = n.begin(); it != n.end(); ++it) {
            if (!it->first.IsScalar())
                return fail(
                    r.error(it->first.Mark(), fmt::format("{}: expected a key name, found {}", name,
                                                          Reader::kind(it->first))));
            if (auto ok = check_scalar_keys(r, it->second, name + "." + it->first.Scalar()); !ok)
                return ok;
        }
    } else if (n.IsSequence()) {
        for (auto it = n.begin(); it != n.end(); ++it)
            if (auto ok = check_scalar_keys(r, *it, name); !ok)
                return ok;
    }
    return {};
}

bool valid_driver_name(const std::string &s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
}

Result<> read_run(const Reader &r, const YAML::Node &n, RunSettings &run) {
    if (n.IsNull())
        return {};
    if (!n.IsMap())
        return fail(r.error(n.Mark(), fmt::format("run: expected a map with key network, found "
                                                  "{}",
                                                  Reader::kind(n))));
    if (auto ok = r.check_keys(n, "run", {"network"}); !ok)
        return ok;
    if (const YAML::Node net = n["network"]) {
        // An empty string keeps the default (loopback only), as the shipped berth.yaml spells
        // it.
        if (net.IsScalar() && net.Scalar().empty()) {
            run.network.clear();
        } else {
            auto s = r.string(net, "run.network");
            if (!s)
                return fail(std::move(s.error()));
            run.network = *s;
        }
    }
    return {};
}

Result<> read_log(const Reader &r, const YAML::Node &n, LogSettings &log) {
    if (n.IsNull())
        return {};
    if (!n.IsMap())
        return fail(r.error(n.Mark(), fmt::format("log: expected a map with keys file, format, "
                                                  "level, found {}",
                                                  Reader::kind(n))));
    if (auto ok = r.check_keys(n, "log", {"file", "format", "level"}); !ok)
        return ok;
    if (const YAML::Node lv = n["level"]) {
        auto s = r.string(lv, "log.level");
        if (!s)
            return fail(std::move(s.error()));
        if (!is_log_level(*s))
            return fail(r.error(lv.Mark(), fmt::format("log.level: unknown level \"{}\" (expected "
                                                       "one of: {})",
                                                       *s, fmt::join(log_level_names(), ", "))));
        log.level = *s;
    }
    if (const YAML::Node f = n["format"]) {
        auto s = r.string(f, "log.format");
        if (!s)
            return fail(std::move(s.error()));
        if (*s != "text" && *s != "json")
            return fail(r.error(f.Mark(), fmt::format("log.format: unknown format \"{}\" "
                                                      "(expected one of: text, json)",
                                                      *s)));
        log.format = *s == "json" ? LogFormat::json : LogFormat::text;
    }
    if (const YAML::Node f = n["file"]) {
        // An empty string keeps the default (stderr), as the shipped berth.yaml spells it.
        if (f.IsScalar() && f.Scalar().empty()) {
            log.file.clear();
        } else {
            auto p = r.path(f, "log.file");
            if (!p)
                return fail(std::move(p.error()));
            log.file = *p;
        }
    }
    return {};
}

Result<> read_drivers(const Reader &r, const YAML::Node &n,
                      std::map<std::string, DriverSettings> &out) {
    if (n.IsNull())
        return {};
    if (!n.IsMap())
        return fail(r.error(n.Mark(), fmt::format("drivers: expected a map of driver names, "
                                                  "found {}",
                                                  Reader::kind(n))));
    std::set<std::string> seen;
    for (auto it = n.begin(); it != n.end(); ++it) {
        const YAML::Node &k = it->first;
        if (!k.IsScalar() || !valid_driver_name(k.Scalar()))
            return fail(r.error(k.Mark(), fmt::format("drivers: invalid driver name {} (expected "
                                                      "lowercase letters, digits, '_' and '-')",
                                                      Reader::kind(k))));
        const std::string name = k.Scalar();
        if (!seen.insert(name).second)
            return fail(r.error(k.Mark(), fmt::format("duplicate key \"drivers.{}\"", name)));
        const std::string prefix = "drivers." + name;
        const YAML::Node &v = it->second;
        DriverSettings ds;
        if (!v.IsNull()) {
            if (!v.IsMap())
                return fail(r.error(v.Mark(), fmt::format("{}: expected a map with keys "
                                                          "ignore_unsupported, options, found {}",
                                                          prefix, Reader::kind(v))));
            if (auto ok = r.check_keys(v, prefix, {"ignore_unsupported", "options"}); !ok)
                return ok;
            if (const YAML::Node iu = v["ignore_unsupported"]) {
                auto b = r.boolean(iu, prefix + ".ignore_unsupported");
                if (!b)
                    return fail(std::move(b.error()));
                ds.ignore_unsupported = *b;
            }
            if (const YAML::Node opts = v["options"]; opts && !opts.IsNull()) {
                if (!opts.IsMap())
                    return fail(r.error(opts.Mark(), fmt::format("{}.options: expected a map, "
                                                                 "found {}",
                                                                 prefix, Reader::kind(opts))));
                if (auto ok = check_scalar_keys(r, opts, prefix + ".options"); !ok)
                    return ok;
                ds.options_json = to_json(opts).dump();
            }
        }
        out[name] = std::move(ds);
    }
    return {};
}

Result<Config> read_top(const Reader &r, const YAML::Node &root) {
    Config c = default_config();
    c.source = r.file();
    if (root.IsNull())
        return c; // an empty file: every default applies
    if (!root.IsMap())
        return fail(r.error(root.Mark(), fmt::format("expected a map of settings at the top "
                                                     "level, found {}",
                                                     Reader::kind(root))));
    if (auto ok = r.check_keys(
            root, "", {"default_driver", "driver_dirs", "drivers", "log", "run", "state_root"});
        !ok)
        return fail(std::move(ok.error()));

    if (const YAML::Node d = root["driver_dirs"]) {
        c.driver_dirs.clear();
        if (!d.IsSequence() && !d.IsNull())
            return fail(r.error(d.Mark(), fmt::format("driver_dirs: expected a list of paths, "
                                                      "found {}",
                                                      Reader::kind(d))));
        for (auto it = d.begin(); d.IsSequence() && it != d.end(); ++it) {
            auto p = r.path(*it, "driver_dirs");
            if (!p)
                return fail(std::move(p.error()));
            c.driver_dirs.push_back(*p);
        }
    }
    if (const YAML::Node d = root["default_driver"]) {
        if (!d.IsScalar() || !valid_driver_name(d.Scalar()))
            return fail(r.error(d.Mark(), fmt::format("default_driver: expected a driver name "
                                                      "(lowercase letters, digits, '_' and '-'), "
                                                      "found {}",
                                                      Reader::kind(d))));
        c.default_driver = d.Scalar();
    }
    if (const YAML::Node s = root["state_root"]) {
        auto p = r.path(s, "state_root");
        if (!p)
            return fail(std::move(p.error()));
        c.state_root = *p;
    }
    if (const YAML::Node l = root["log"]) {
        if (auto ok = read_log(r, l, c.log); !ok)
            return fail(std::move(ok.error()));
    }
    if (const YAML::Node n = root["run"]) {
        if (auto ok = read_run(r, n, c.run); !ok)
            return fail(std::move(ok.error()));
    }
    if (const YAML::Node d = root["drivers"]) {
        if (auto ok = read_drivers(r, d, c.drivers); !ok)
            return fail(std::move(ok.error()));
    }
    return c;
}

} // namespace

DriverSettings Config::driver(const std::string &name) const {
    auto it = drivers.find(name);
    return it == drivers.end() ? DriverSettings{} : it->second;
}

const std::vector<std::string> &log_level_names() {
    static const std::vector<std::string> names = {"trace", "debug", "info", "warn", "error"};
    return names;
}

bool is_log_level(const std::string &name) {
    const auto &n = log_level_names();
    return std::find(n.begin(), n.end(), name) != n.end();
}

Config default_config() {
    Config c;
    c.driver_dirs = {fs::path(BERTH_INSTALL_DRIVER_DIR)};
    return c;
}

fs::path system_config_path() {
    return fs::path(BERTH_INSTALL_SYSCONF_DIR) / "berth/berth.yaml";
}

Result<Config> parse_config(const std::string &text, const fs::path &file) {
    Reader r(file);
    YAML::Node root;
    try {
        root = YAML::Load(text);
        return read_top(r, root);
    } catch (const YAML::Exception &e) {
        // Both syntax errors and conversion failures carry the position yaml-cpp stopped at.
        return fail(r.error(e.mark, "invalid YAML: " + e.msg));
    }
}

Result<Config> load_config_file(const fs::path &file) {
    std::ifstream in(file, std::ios::binary);
    if (!in)
        return fail(sys_error("open configuration", file.string(), errno)
                        .with_hint("pass an existing file with -c or $BERTH_CONFIG"));
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad())
        return fail(sys_error("read configuration", file.string(), errno));
    return parse_config(ss.str(), file);
}

Result<std::optional<fs::path>> locate_config(const std::string &explicit_path,
                                              const char *env_path, const fs::path &system_path) {
    std::error_code ec;
    if (!explicit_path.empty()) {
        if (!fs::exists(explicit_path, ec))
            return fail(sys_error("open configuration", explicit_path, ENOENT)
                            .with_hint("check the path given with -c/--config"));
        return fs::absolute(explicit_path, ec);
    }
    if (env_path != nullptr && *env_path != '\0') {
        if (!fs::exists(env_path, ec))
            return fail(sys_error("open configuration", env_path, ENOENT)
                            .with_hint("BERTH_CONFIG names a file that does not exist; fix or "
                                       "unset it"));
        return fs::absolute(env_path, ec);
    }
    if (fs::exists(system_path, ec))
        return system_path;
    return std::optional<fs::path>();
}

} // namespace berth::host
