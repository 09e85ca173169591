#include <berth/common/oci_spec.hpp>

#include <fmt/format.h>

#include <sys/resource.h>

#include <array>
#include <limits>
#include <set>
#include <utility>

namespace berth::oci {
namespace {

using nlohmann::json;

Error invalid_field(std::string_view doc, std::string_view field, std::string_view what) {
    return make_error(BERTH_E_INVALID_SPEC, fmt::format("{}: {} {}", doc, field, what));
}

// Reads fields of one JSON object, naming each as prefix+key in errors.
class Reader {
public:
    Reader(const json &obj, std::string_view doc, std::string prefix)
        : obj_(obj), doc_(doc), prefix_(std::move(prefix)) {}

    std::string name(std::string_view key) const { return prefix_ + std::string(key); }
    const json *find(std::string_view key) const {
        auto it = obj_.find(key);
        return it == obj_.end() || it->is_null() ? nullptr : &*it;
    }
    Error bad(std::string_view key, std::string_view what) const {
        return invalid_field(doc_, name(key), what);
    }

    Result<std::optional<bool>> boolean(std::string_view key) const {
        const json *v = find(key);
        if (v == nullptr)
            return std::nullopt;
        if (!v->is_boolean())
            return fail(bad(key, "must be true or false"));
        return v->get<bool>();
    }

    template <class T> Result<std::optional<T>> integer(std::string_view key) const {
        const json *v = find(key);
        if (v == nullptr)
            return std::nullopt;
        auto what = fmt::format("must be an integer from {} to {}", std::numeric_limits<T>::min(),
                                std::numeric_limits<T>::max());
        if (!v->is_number_integer())
            return fail(bad(key, what));
        if (v->is_number_unsigned()) {
            auto u = v->get<uint64_t>();
            if (u > static_cast<uint64_t>(std::numeric_limits<T>::max()))
                return fail(bad(key, what));
            return static_cast<T>(u);
        }
        auto s = v->get<int64_t>();
        if (s < static_cast<int64_t>(std::numeric_limits<T>::min()) ||
            (s > 0 &&
             static_cast<uint64_t>(s) > static_cast<uint64_t>(std::numeric_limits<T>::max())))
            return fail(bad(key, what));
        return static_cast<T>(s);
    }

    Result<std::optional<std::string>> string(std::string_view key) const {
        const json *v = find(key);
        if (v == nullptr)
            return std::nullopt;
        if (!v->is_string())
            return fail(bad(key, "must be a string"));
        return v->get<std::string>();
    }

    Result<std::optional<std::vector<std::string>>> strings(std::string_view key) const {
        const json *v = find(key);
        if (v == nullptr)
            return std::nullopt;
        if (!v->is_array())
            return fail(bad(key, "must be an array of strings"));
        std::vector<std::string> out;
        for (const auto &e : *v) {
            if (!e.is_string())
                return fail(bad(key, "must be an array of strings"));
            out.push_back(e.get<std::string>());
        }
        return out;
    }

    Result<const json *> object(std::string_view key) const {
        const json *v = find(key);
        if (v != nullptr && !v->is_object())
            return fail(bad(key, "must be an object"));
        return v;
    }

private:
    const json &obj_;
    std::string_view doc_;
    std::string prefix_;
};

Result<User> parse_user(const json &j, std::string_view doc, const std::string &prefix) {
    Reader r(j, doc, prefix);
    User u;
    auto uid = r.integer<uint32_t>("uid");
    if (!uid)
        return fail(uid.error());
    auto gid = r.integer<uint32_t>("gid");
    if (!gid)
        return fail(gid.error());
    if (!*uid || !*gid)
        return fail(invalid_field(doc, prefix.substr(0, prefix.size() - 1),
                                  "must give both uid and gid"));
    u.uid = **uid;
    u.gid = **gid;

    auto umask = r.integer<uint32_t>("umask");
    if (!umask)
        return fail(umask.error());
    if (*umask && **umask > 0777)
        return fail(r.bad("umask", "must be a file mode from 0 to 0777 (511)"));
    u.umask = *umask;

    if (const json *g = r.find("additionalGids")) {
        constexpr auto what = "must be an array of integers from 0 to 4294967295";
        if (!g->is_array())
            return fail(r.bad("additionalGids", what));
        for (const auto &e : *g) {
            // Parsed text gives unsigned numbers; a document built in code may hold signed
            // ones, so the value decides, not the storage.
            if (!e.is_number_integer() || (!e.is_number_unsigned() && e.get<int64_t>() < 0) ||
                e.get<uint64_t>() > UINT32_MAX)
                return fail(r.bad("additionalGids", what));
            u.additional_gids.push_back(e.get<uint32_t>());
        }
    }

    auto username = r.string("username");
    if (!username)
        return fail(username.error());
    u.username = username->value_or("");
    return u;
}

Result<std::vector<Rlimit>> parse_rlimits(const json &j, std::string_view doc,
                                          const std::string &field) {
    constexpr auto shape = "must be an array of {type, soft, hard} objects";
    if (!j.is_array())
        return fail(invalid_field(doc, field, shape));
    std::vector<Rlimit> out;
    std::set<std::string> seen;
    for (size_t i = 0; i < j.size(); ++i) {
        const json &e = j[i];
        std::string at = fmt::format("{}[{}]", field, i);
        if (!e.is_object())
            return fail(invalid_field(doc, field, shape));
        Reader r(e, doc, at + ".");
        auto type = r.string("type");
        if (!type)
            return fail(type.error());
        if (!*type)
            return fail(r.bad("type", "is required"));
        auto resource = rlimit_resource(**type);
        if (!resource)
            return fail(r.bad("type", fmt::format("names an unknown limit \"{}\"", **type)));
        if (!seen.insert(**type).second)
            return fail(invalid_field(doc, field, fmt::format("sets {} twice", **type)));
        auto soft = r.integer<uint64_t>("soft");
        if (!soft)
            return fail(soft.error());
        auto hard = r.integer<uint64_t>("hard");
        if (!hard)
            return fail(hard.error());
        if (!*soft || !*hard)
            return fail(invalid_field(doc, at, "must give both soft and hard"));
        if (**soft > **hard)
            return fail(invalid_field(
                doc, at, fmt::format("({}) has soft {} above hard {}", **type, **soft, **hard)));
        out.push_back(Rlimit{**type, *resource, **soft, **hard});
    }
    return out;
}

Result<Capabilities> parse_capabilities(const json &j, std::string_view doc,
                                        const std::string &prefix) {
    Reader r(j, doc, prefix);
    Capabilities c;
    std::pair<const char *, std::optional<std::vector<std::string>> *> sets[] = {
        {"bounding", &c.bounding},       {"effective", &c.effective},
        {"inheritable", &c.inheritable}, {"permitted", &c.permitted},
        {"ambient", &c.ambient}};
    for (auto &[key, dst] : sets) {
        auto v = r.strings(key);
        if (!v)
            return fail(v.error());
        *dst = std::move(*v);
    }
    return c;
}

} // namespace

std::optional<int> rlimit_resource(std::string_view name) {
    static constexpr std::array<std::pair<std::string_view, int>, 16> table = {{
        {"RLIMIT_AS", RLIMIT_AS},
        {"RLIMIT_CORE", RLIMIT_CORE},
        {"RLIMIT_CPU", RLIMIT_CPU},
        {"RLIMIT_DATA", RLIMIT_DATA},
        {"RLIMIT_FSIZE", RLIMIT_FSIZE},
        {"RLIMIT_LOCKS", RLIMIT_LOCKS},
        {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
        {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
        {"RLIMIT_NICE", RLIMIT_NICE},
        {"RLIMIT_NOFILE", RLIMIT_NOFILE},
        {"RLIMIT_NPROC", RLIMIT_NPROC},
        {"RLIMIT_RSS", RLIMIT_RSS},
        {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
        {"RLIMIT_RTTIME", RLIMIT_RTTIME},
        {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
        {"RLIMIT_STACK", RLIMIT_STACK},
    }};
    for (const auto &[n, r] : table)
        if (n == name)
            return r;
    return std::nullopt;
}

std::optional<std::string> Process::getenv(std::string_view name) const {
    std::optional<std::string> found;
    for (const auto &e : env)
        if (e.size() > name.size() && e[name.size()] == '=' && e.starts_with(name))
            found = e.substr(name.size() + 1);
    return found;
}

std::filesystem::path Root::resolve(const std::filesystem::path &bundle) const {
    std::filesystem::path p(path);
    return p.is_absolute() ? p : bundle / p;
}

Result<Process> parse_process(const json &j, std::string_view doc, std::string_view prefix) {
    std::string self =
        prefix.empty() ? "process" : std::string(prefix.substr(0, prefix.size() - 1));
    if (!j.is_object())
        return fail(invalid_field(doc, self, "must be an object"));
    Reader r(j, doc, std::string(prefix));
    Process p;

    auto terminal = r.boolean("terminal");
    if (!terminal)
        return fail(terminal.error());
    p.terminal = terminal->value_or(false);

    auto cs = r.object("consoleSize");
    if (!cs)
        return fail(cs.error());
    if (*cs) {
        Reader c(**cs, doc, r.name("consoleSize."));
        auto h = c.integer<uint32_t>("height");
        if (!h)
            return fail(h.error());
        auto w = c.integer<uint32_t>("width");
        if (!w)
            return fail(w.error());
        p.console_size = ConsoleSize{h->value_or(0), w->value_or(0)};
    }

    constexpr auto args_shape = "must be a non-empty array of strings";
    auto args = r.strings("args");
    if (!args || !*args || (*args)->empty())
        return fail(r.bad("args", args_shape));
    p.args = std::move(**args);

    if (const json *env = r.find("env")) {
        constexpr auto env_shape = "must be an array of \"KEY=value\" strings";
        if (!env->is_array())
            return fail(r.bad("env", env_shape));
        for (size_t i = 0; i < env->size(); ++i) {
            const json &e = (*env)[i];
            if (!e.is_string() || e.get_ref<const std::string &>().find('=') == 0 ||
                e.get_ref<const std::string &>().find('=') == std::string::npos)
                return fail(r.bad(fmt::format("env[{}]", i), "must be a \"KEY=value\" string"));
            p.env.push_back(e.get<std::string>());
        }
    }

    auto cwd = r.string("cwd");
    if (!cwd)
        return fail(cwd.error());
    if (!*cwd || !(*cwd)->starts_with('/'))
        return fail(r.bad("cwd", "must be an absolute path"));
    p.cwd = **cwd;

    auto user = r.object("user");
    if (!user)
        return fail(user.error());
    if (*user == nullptr)
        return fail(r.bad("user", "is required (uid and gid)"));
    auto u = parse_user(**user, doc, r.name("user."));
    if (!u)
        return fail(u.error());
    p.user = std::move(*u);

    if (const json *rl = r.find("rlimits")) {
        auto limits = parse_rlimits(*rl, doc, r.name("rlimits"));
        if (!limits)
            return fail(limits.error());
        p.rlimits = std::move(*limits);
    }

    auto nnp = r.boolean("noNewPrivileges");
    if (!nnp)
        return fail(nnp.error());
    p.no_new_privileges = nnp->value_or(false);

    auto caps = r.object("capabilities");
    if (!caps)
        return fail(caps.error());
    if (*caps) {
        auto c = parse_capabilities(**caps, doc, r.name("capabilities."));
        if (!c)
            return fail(c.error());
        p.capabilities = std::move(*c);
    }

    auto aa = r.string("apparmorProfile");
    if (!aa)
        return fail(aa.error());
    p.apparmor_profile = aa->value_or("");
    auto se = r.string("selinuxLabel");
    if (!se)
        return fail(se.error());
    p.selinux_label = se->value_or("");
    auto oom = r.integer<int>("oomScoreAdj");
    if (!oom)
        return fail(oom.error());
    p.oom_score_adj = *oom;
    return p;
}

Result<Spec> Spec::parse(std::string_view text, std::string doc) {
    nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded())
        return fail(make_error(BERTH_E_INVALID_SPEC,
                               fmt::format("{}: not valid JSON", doc)));
    return from_json(std::move(j), std::move(doc));
}

Result<Spec> Spec::from_json(nlohmann::json j, std::string doc) {
    if (!j.is_object())
        return fail(make_error(BERTH_E_INVALID_SPEC,
                               fmt::format("{}: must be a JSON object", doc)));
    return Spec(std::move(j), std::move(doc));
}

Error Spec::invalid(std::string_view field, std::string_view what) const {
    return invalid_field(doc_, field, what);
}

std::string Spec::oci_version() const {
    auto it = j_.find("ociVersion");
    return it != j_.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Result<Process> Spec::process() const {
    auto it = j_.find("process");
    if (it == j_.end() || it->is_null())
        return fail(invalid("process", "is required to run a container"));
    return parse_process(*it, doc_, "process.");
}

Result<Root> Spec::root() const {
    Reader top(j_, doc_, "");
    auto obj = top.object("root");
    if (!obj)
        return fail(obj.error());
    if (*obj == nullptr)
        return fail(invalid("root", "is required (root.path names the root filesystem)"));
    Reader r(**obj, doc_, "root.");
    auto path = r.string("path");
    if (!path)
        return fail(path.error());
    if (!*path || (*path)->empty())
        return fail(r.bad("path", "must be a non-empty path"));
    auto ro = r.boolean("readonly");
    if (!ro)
        return fail(ro.error());
    return Root{**path, ro->value_or(false)};
}

Result<std::optional<std::string>> Spec::hostname() const {
    return Reader(j_, doc_, "").string("hostname");
}

Result<std::vector<Mount>> Spec::mounts() const {
    std::vector<Mount> out;
    auto it = j_.find("mounts");
    if (it == j_.end() || it->is_null())
        return out;
    if (!it->is_array())
        return fail(invalid("mounts", "must be an array of mount objects"));
    for (size_t i = 0; i < it->size(); ++i) {
        const nlohmann::json &e = (*it)[i];
        std::string at = fmt::format("mounts[{}]", i);
        if (!e.is_object())
            return fail(invalid(at, "must be an object"));
        Reader r(e, doc_, at + ".");
        Mount m;
        auto dst = r.string("destination");
        if (!dst)
            return fail(dst.error());
        if (!*dst || !(*dst)->starts_with('/'))
            return fail(r.bad("destination", "must be an absolute path"));
        m.destination = **dst;
        auto type = r.string("type");
        if (!type)
            return fail(type.error());
        m.type = type->value_or("");
        auto src = r.string("source");
        if (!src)
            return fail(src.error());
        m.source = src->value_or("");
        auto opts = r.strings("options");
        if (!opts)
            return fail(opts.error());
        m.options = opts->value_or(std::vector<std::string>{});
        out.push_back(std::move(m));
    }
    return out;
}

bool Spec::uses(std::string_view dotted_path) const {
    const nlohmann::json *cur = &j_;
    while (!dotted_path.empty()) {
        auto dot = dotted_path.find('.');
        std::string key(dotted_path.substr(0, dot));
        dotted_path =
            dot == std::string_view::npos ? std::string_view() : dotted_path.substr(dot + 1);
        if (!cur->is_object())
            return false;
        auto it = cur->find(key);
        if (it == cur->end())
            return false;
        cur = &*it;
    }
    if (cur->is_null())
        return false;
    if ((cur->is_object() || cur->is_array()) && cur->empty())
        return false;
    return true;
}

} // namespace berth::oci
