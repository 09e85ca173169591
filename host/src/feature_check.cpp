#include "feature_check.hpp"

#include <algorithm>
#include <array>
#include <set>
#include <string_view>

namespace berth::host {
namespace {

using nlohmann::json;

// Mount options the kernel's generic mount code (and OCI runtimes' bind/propagation handling)
// understands. Anything else in a mount's options is filesystem data ("mode=755",
// "newinstance") passed through to mount(2), which features.json does not describe.
constexpr std::array generic_mount_options{
    "acl",         "async",        "atime",         "bind",        "defaults",
    "dev",         "diratime",     "dirsync",       "exec",        "idmap",
    "iversion",    "lazytime",     "loud",          "mand",        "noacl",
    "noatime",     "nodev",        "nodiratime",    "noexec",      "noiversion",
    "nolazytime",  "nomand",       "norelatime",    "nostrictatime", "nosuid",
    "nosymfollow", "private",      "ratime",        "rbind",       "rdev",
    "rdiratime",   "relatime",     "remount",       "rexec",       "ridmap",
    "rnoatime",    "rnodev",       "rnodiratime",   "rnoexec",     "rnorelatime",
    "rnostrictatime", "rnosuid",   "rnosymfollow",  "ro",          "rprivate",
    "rrelatime",   "rro",          "rrw",           "rshared",     "rslave",
    "rstrictatime", "rsuid",       "rsymfollow",    "runbindable", "rw",
    "shared",      "silent",       "slave",         "strictatime", "suid",
    "symfollow",   "sync",         "tmpcopyup",     "unbindable"};

constexpr std::string_view unsupported_annotation = "org.berth.unsupported";

// The member `key` of `j`, or null when `j` is not an object or lacks it.
const json &member(const json &j, const char *key) {
    static const json none;
    if (!j.is_object())
        return none;
    auto it = j.find(key);
    return it != j.end() ? *it : none;
}

template <class... K>
const json &at(const json &j, const char *key, K... rest) {
    if constexpr (sizeof...(rest) == 0)
        return member(j, key);
    else
        return at(member(j, key), rest...);
}

// Absent, null and empty values ask for nothing; neither does `false`.
bool is_used(const json &v) {
    if (v.is_null() || (v.is_boolean() && !v.get<bool>()))
        return false;
    if (v.is_string() || v.is_array() || v.is_object())
        return !v.empty();
    return true;
}

// Whether a features list declares `value`. An absent or null list declares nothing.
bool declares(const json &list, const std::string &value) {
    if (!list.is_array())
        return false;
    return std::any_of(list.begin(), list.end(), [&](const json &e) {
        return e.is_string() && e.get<std::string>() == value;
    });
}

bool enabled(const json &feature) { return member(feature, "enabled") == json(true); }

std::string string_or(const json &v, std::string fallback = {}) {
    return v.is_string() ? v.get<std::string>() : fallback;
}

// One step of a field path: a member name and an optional [selector].
struct Segment {
    std::string name;
    bool has_selector = false;
    std::string selector;
};

std::vector<Segment> parse_path(const std::string &path) {
    std::vector<Segment> segs;
    Segment cur;
    size_t i = 0;
    while (i < path.size()) {
        char c = path[i];
        if (c == '.') {
            segs.push_back(std::move(cur));
            cur = Segment{};
            ++i;
        } else if (c == '[') {
            // Selectors may hold dots and slashes ("linux.sysctl[net.ipv4.ip_forward]").
            size_t end = path.find(']', i);
            if (end == std::string::npos)
                end = path.size();
            cur.has_selector = true;
            cur.selector = path.substr(i + 1, end - i - 1);
            i = end + 1;
        } else {
            cur.name += c;
            ++i;
        }
    }
    segs.push_back(std::move(cur));
    return segs;
}

// Whether an element of a spec list is the one a selector names: a string equal to it, or an
// object whose type (namespaces, devices) or destination (mounts) is it.
bool element_matches(const json &e, const std::string &sel) {
    if (e.is_string())
        return e.get<std::string>() == sel;
    return string_or(member(e, "type")) == sel || string_or(member(e, "destination")) == sel;
}

// The values a selector picks out of `v`: list elements, the member of that name, or in an
// object of lists (process.capabilities) the matching elements of each list.
void select(json &v, const std::string &sel, std::vector<json *> &out) {
    if (v.is_array()) {
        for (auto &e : v)
            if (element_matches(e, sel))
                out.push_back(&e);
    } else if (v.is_object()) {
        if (auto it = v.find(sel); it != v.end()) {
            out.push_back(&*it);
            return;
        }
        for (auto &[k, list] : v.items())
            select(list, sel, out);
    }
}

// Every value a path names in `spec`.
std::vector<json *> resolve(json &spec, const std::vector<Segment> &segs) {
    std::vector<json *> cur{&spec};
    for (const auto &seg : segs) {
        std::vector<json *> next;
        for (json *v : cur) {
            if (!v->is_object())
                continue;
            auto it = v->find(seg.name);
            if (it == v->end())
                continue;
            if (seg.has_selector)
                select(*it, seg.selector, next);
            else
                next.push_back(&*it);
        }
        cur = std::move(next);
    }
    return cur;
}

bool spec_uses(const json &spec, const std::string &path) {
    // resolve() only hands out pointers; nothing is modified.
    auto found = resolve(const_cast<json &>(spec), parse_path(path));
    return std::any_of(found.begin(), found.end(), [](const json *v) { return is_used(*v); });
}

// Removes what a selector picks out of `v`.
void erase_selected(json &v, const std::string &sel) {
    if (v.is_array()) {
        json kept = json::array();
        for (auto &e : v)
            if (!element_matches(e, sel))
                kept.push_back(std::move(e));
        v = std::move(kept);
    } else if (v.is_object()) {
        if (v.contains(sel)) {
            v.erase(sel);
            return;
        }
        for (auto &[k, list] : v.items())
            if (list.is_array())
                erase_selected(list, sel);
    }
}

void strip_path(json &spec, const std::string &path) {
    auto segs = parse_path(path);
    if (segs.empty())
        return;
    Segment last = segs.back();
    segs.pop_back();
    for (json *parent : resolve(spec, segs)) {
        if (!parent->is_object() || !parent->contains(last.name))
            continue;
        if (last.has_selector)
            erase_selected((*parent)[last.name], last.selector);
        else
            parent->erase(last.name);
    }
}

// Collects paths in first-seen order without duplicates.
class Findings {
public:
    void add(std::string path) {
        if (seen_.insert(path).second)
            paths_.push_back(std::move(path));
    }
    std::vector<std::string> take() { return std::move(paths_); }

private:
    std::set<std::string> seen_;
    std::vector<std::string> paths_;
};

// Major and minor of a semantic version; the patch level never changes the schema.
std::pair<int, int> major_minor(const std::string &v) {
    int major = -1, minor = -1;
    std::sscanf(v.c_str(), "%d.%d", &major, &minor);
    return {major, minor};
}

void check_version(const json &spec, const json &features, Findings &found) {
    const std::string want = string_or(member(spec, "ociVersion"));
    const json &lo = member(features, "ociVersionMin");
    const json &hi = member(features, "ociVersionMax");
    if (want.empty() || !lo.is_string() || !hi.is_string())
        return;
    auto v = major_minor(want);
    if (v < major_minor(lo.get<std::string>()) || v > major_minor(hi.get<std::string>()))
        found.add("ociVersion");
}

void check_hooks(const json &spec, const json &features, Findings &found) {
    const json &hooks = member(spec, "hooks");
    if (!hooks.is_object())
        return;
    for (const auto &[kind, list] : hooks.items())
        if (is_used(list) && !declares(member(features, "hooks"), kind))
            found.add("hooks." + kind);
}

void check_mounts(const json &spec, const json &features, Findings &found) {
    const json &mounts = member(spec, "mounts");
    if (!mounts.is_array())
        return;
    const json &declared = member(features, "mountOptions");
    const bool idmap = enabled(at(features, "linux", "mountExtensions", "idmap"));
    for (const auto &m : mounts) {
        const std::string where = "mounts[" + string_or(member(m, "destination")) + "]";
        for (const auto &opt : member(m, "options")) {
            if (!opt.is_string())
                continue;
            const std::string o = opt.get<std::string>();
            bool generic = std::find(generic_mount_options.begin(), generic_mount_options.end(),
                                     o) != generic_mount_options.end();
            if (generic && !declares(declared, o))
                found.add(where + ".options[" + o + "]");
        }
        for (const char *k : {"uidMappings", "gidMappings"})
            if (is_used(member(m, k)) && !idmap)
                found.add(where + "." + k);
    }
}

void check_namespaces(const json &spec, const json &features, Findings &found) {
    const json &declared = at(features, "linux", "namespaces");
    for (const auto &ns : at(spec, "linux", "namespaces")) {
        const std::string type = string_or(member(ns, "type"));
        if (!type.empty() && !declares(declared, type))
            found.add("linux.namespaces[" + type + "]");
    }
}

void check_capabilities(const json &spec, const json &features, Findings &found) {
    const json &caps = at(spec, "process", "capabilities");
    if (!caps.is_object())
        return;
    const json &declared = at(features, "linux", "capabilities");
    for (const char *set : {"bounding", "effective", "inheritable", "permitted", "ambient"})
        for (const auto &cap : member(caps, set))
            if (cap.is_string() && !declares(declared, cap.get<std::string>()))
                found.add("process.capabilities[" + cap.get<std::string>() + "]");
}

void check_resources(const json &spec, const json &features, Findings &found) {
    const json &res = at(spec, "linux", "resources");
    if (!res.is_object())
        return;
    const json &cg = at(features, "linux", "cgroup");
    const bool v1 = member(cg, "v1") == json(true);
    const bool v2 = member(cg, "v2") == json(true);
    for (const auto &[key, value] : res.items()) {
        if (!is_used(value))
            continue;
        const bool ok = key == "rdma"      ? (v1 || v2) && member(cg, "rdma") == json(true)
                        : key == "unified" ? v2
                                           : v1 || v2;
        if (!ok)
            found.add("linux.resources." + key);
    }
}

void check_seccomp(const json &spec, const json &features, Findings &found) {
    const json &sc = at(spec, "linux", "seccomp");
    if (!is_used(sc))
        return;
    const json &decl = at(features, "linux", "seccomp");
    if (!enabled(decl)) {
        found.add("linux.seccomp");
        return;
    }
    auto check = [&](const json &v, const char *list, const char *label) {
        if (v.is_string() && !declares(member(decl, list), v.get<std::string>()))
            found.add(std::string("linux.seccomp.") + label + "[" + v.get<std::string>() + "]");
    };
    check(member(sc, "defaultAction"), "actions", "action");
    for (const auto &arch : member(sc, "architectures"))
        check(arch, "archs", "architectures");
    const json &flags_decl = member(decl, "supportedFlags").is_array()
                                 ? member(decl, "supportedFlags")
                                 : member(decl, "knownFlags");
    for (const auto &flag : member(sc, "flags"))
        if (flag.is_string() && !declares(flags_decl, flag.get<std::string>()))
            found.add("linux.seccomp.flags[" + flag.get<std::string>() + "]");
    for (const auto &rule : member(sc, "syscalls")) {
        check(member(rule, "action"), "actions", "action");
        for (const auto &arg : member(rule, "args"))
            check(member(arg, "op"), "operators", "operator");
    }
}

void check_security_labels(const json &spec, const json &features, Findings &found) {
    const json &lx = member(features, "linux");
    if (is_used(at(spec, "process", "apparmorProfile")) && !enabled(member(lx, "apparmor")))
        found.add("process.apparmorProfile");
    if (!enabled(member(lx, "selinux"))) {
        if (is_used(at(spec, "process", "selinuxLabel")))
            found.add("process.selinuxLabel");
        if (is_used(at(spec, "linux", "mountLabel")))
            found.add("linux.mountLabel");
    }
    if (is_used(at(spec, "linux", "intelRdt")) && !enabled(member(lx, "intelRdt")))
        found.add("linux.intelRdt");
}

// The paths a driver lists under org.berth.unsupported: JSON text (OCI annotations are
// strings) or, leniently, a real array.
std::vector<std::string> declared_unsupported(const json &features) {
    const json &ann = at(features, "annotations");
    if (!ann.is_object())
        return {};
    auto it = ann.find(unsupported_annotation);
    if (it == ann.end())
        return {};
    json list = it->is_string() ? json::parse(it->get<std::string>(), nullptr, false) : *it;
    std::vector<std::string> paths;
    if (list.is_array())
        for (const auto &p : list)
            if (p.is_string() && !p.get<std::string>().empty())
                paths.push_back(p.get<std::string>());
    return paths;
}

// Whether `inner` lies at or below `outer` ("linux.resources.memory" below "linux.resources").
bool covers(const std::string &outer, const std::string &inner) {
    if (!inner.starts_with(outer))
        return false;
    return inner.size() == outer.size() || inner[outer.size()] == '.' ||
           inner[outer.size()] == '[';
}

} // namespace

std::vector<std::string> unsupported_fields(const json &spec, const json &features) {
    Findings found;
    check_version(spec, features, found);
    check_hooks(spec, features, found);
    check_mounts(spec, features, found);
    check_namespaces(spec, features, found);
    check_capabilities(spec, features, found);
    check_resources(spec, features, found);
    check_seccomp(spec, features, found);
    check_security_labels(spec, features, found);

    std::vector<std::string> declared;
    for (const auto &p : declared_unsupported(features))
        if (spec_uses(spec, p))
            declared.push_back(p);
    // A field the driver disowns as a whole replaces the details found below it.
    std::vector<std::string> out;
    for (auto &p : found.take())
        if (std::none_of(declared.begin(), declared.end(),
                         [&](const std::string &d) { return covers(d, p); }))
            out.push_back(std::move(p));
    for (auto &d : declared)
        if (std::find(out.begin(), out.end(), d) == out.end())
            out.push_back(std::move(d));
    return out;
}

void strip_fields(json &spec, const std::vector<std::string> &fields) {
    for (const auto &f : fields) {
        // ociVersion is the document's own schema version, not a feature to go without.
        if (f == "ociVersion")
            continue;
        // A filter with some of its rules taken out is not the filter the user asked for;
        // without the whole filter the warning the caller shows at least says what happened.
        if (f.starts_with("linux.seccomp.")) {
            strip_path(spec, "linux.seccomp");
            continue;
        }
        strip_path(spec, f);
    }
}

} // namespace berth::host
