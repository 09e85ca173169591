#include "commands/network_options.hpp"

#include <fmt/format.h>

namespace berth::host {
namespace {

constexpr const char *network_annotation = "org.berth.network";
constexpr const char *publish_annotation = "org.berth.publish";

Error bad_option(std::string msg) {
    return make_error(BERTH_E_INVALID_ARGUMENT, std::move(msg));
}

// The string `key` of a JSON object, "" when absent or of another type.
std::string text_of(const nlohmann::json &j, const char *key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Replaces the spec's network namespace entry with `entry` (none: removes it).
void set_network_namespace(nlohmann::json &spec, const nlohmann::json &entry) {
    nlohmann::json &linux_config = spec["linux"];
    if (!linux_config.is_object())
        linux_config = nlohmann::json::object();
    nlohmann::json kept = nlohmann::json::array();
    if (linux_config.contains("namespaces") && linux_config["namespaces"].is_array())
        for (const auto &n : linux_config["namespaces"])
            if (!(n.is_object() && text_of(n, "type") == "network"))
                kept.push_back(n);
    if (!entry.is_null())
        kept.push_back(entry);
    linux_config["namespaces"] = std::move(kept);
}

// config.json asks for a network namespace of the container's own and names no network.
bool wants_own_network(const nlohmann::json &spec) {
    if (auto a = spec.find("annotations");
        a != spec.end() && a->is_object() && a->contains(network_annotation))
        return false;
    auto l = spec.find("linux");
    if (l == spec.end() || !l->is_object() || !l->contains("namespaces") ||
        !(*l)["namespaces"].is_array())
        return false;
    for (const auto &n : (*l)["namespaces"])
        if (n.is_object() && text_of(n, "type") == "network")
            return text_of(n, "path").empty();
    return false;
}

// The running container's network namespace, as a path a driver can join.
Result<std::string> namespace_of(Context &ctx, const std::string &id) {
    auto other = ctx.store().open(id);
    if (!other)
        return fail(std::move(other.error()).in("--network container:" + id));
    const ContainerRecord &rec = other->record();
    if (rec.pid <= 0 || (rec.status != "running" && rec.status != "created"))
        return fail(bad_option(fmt::format("--network container:{}: container {} is {}, not "
                                           "running",
                                           id, id, rec.status)));
    return fmt::format("/proc/{}/ns/net", rec.pid);
}

} // namespace

Result<> apply_network_options(Context &ctx, const CommandOptions &o, nlohmann::json &spec) {
    std::string mode = o.network;
    if (mode.empty() && !o.default_network.empty() && wants_own_network(spec))
        mode = o.default_network;
    if (mode.empty() && o.publish.empty())
        return {};
    if (!spec.contains("annotations") || !spec["annotations"].is_object())
        spec["annotations"] = nlohmann::json::object();
    nlohmann::json &annotations = spec["annotations"];
    if (mode == "host") {
        set_network_namespace(spec, nullptr);
        annotations.erase(network_annotation);
    } else if (mode == "none") {
        set_network_namespace(spec, {{"type", "network"}});
        annotations.erase(network_annotation);
    } else if (mode.starts_with("container:")) {
        auto path = namespace_of(ctx, mode.substr(10));
        if (!path)
            return fail(std::move(path.error()));
        set_network_namespace(spec, {{"type", "network"}, {"path", *path}});
        annotations.erase(network_annotation);
    } else if (!mode.empty()) {
        set_network_namespace(spec, {{"type", "network"}});
        annotations[network_annotation] = mode;
    }
    if (!o.publish.empty()) {
        if (!annotations.contains(network_annotation))
            return fail(bad_option("-p/--publish needs a bridge network")
                            .with_hint("add --network NAME, a network of berth.yaml's "
                                       "drivers.native.options.networks"));
        std::string ports;
        for (const auto &p : o.publish)
            ports += (ports.empty() ? "" : ",") + p;
        annotations[publish_annotation] = ports;
    }
    if (annotations.empty())
        spec.erase("annotations");
    return {};
}

} // namespace berth::host
