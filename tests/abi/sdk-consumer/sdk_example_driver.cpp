// A driver written the way the SDK suggests, in C++17 with berth/driver_helpers.hpp: it keeps
// the whole contract but runs no containers.
#include <berth/driver.h>
#include <berth/driver_helpers.hpp>

#include <memory>
#include <new>
#include <string>

namespace {

constexpr const char *kName = "sdk-example";

struct Example {
    berth_driver table{};
    berth::sdk::Host host;
    explicit Example(const berth_host *h) : host(h) {}
};

Example &self_of(void *self) {
    return *static_cast<Example *>(self);
}

berth_status unknown(void *self, const berth_container_ref *ref, berth_error *err) {
    return self_of(self).host.report(
        err, BERTH_E_NOT_FOUND, std::string("no container `") + ref->id + "` in driver " + kName);
}

berth_status probe(void *, berth_output *, berth_error *) {
    return BERTH_OK;
}

berth_status features(void *self, berth_output *out, berth_error *err) {
    return berth::sdk::guard(self_of(self).host, err, [&] {
        berth::sdk::write(out, R"({"ociVersionMin":"1.0.0","ociVersionMax":"1.2.0",)"
                               R"("linux":{"namespaces":["mount"]}})");
    });
}

berth_status create(void *self, const berth_create_request *req, berth_create_result *,
                    berth_error *err) {
    return berth::sdk::guard(self_of(self).host, err, [&]() -> berth_status {
        std::string config(req->config_json, req->config_json_len);
        if (config.find('{') != config.find_first_not_of(" \t\r\n"))
            throw berth::sdk::Failure(BERTH_E_INVALID_SPEC, "config.json is not a JSON object");
        return self_of(self).host.not_supported(err, "create", kName);
    });
}

berth_status state(void *self, const berth_container_ref *ref, berth_state_result *,
                   berth_error *err) {
    return unknown(self, ref, err);
}
berth_status kill(void *self, const berth_container_ref *ref, int32_t, uint32_t, berth_error *err) {
    return unknown(self, ref, err);
}
berth_status destroy(void *, const berth_container_ref *, int32_t, berth_error *) {
    return BERTH_OK; // nothing is ever created, so nothing is left to remove
}
berth_status exec(void *self, const berth_exec_request *req, berth_exec_result *,
                  berth_error *err) {
    return unknown(self, &req->container, err);
}
berth_status output_op(void *self, const berth_container_ref *ref, berth_output *,
                       berth_error *err) {
    return unknown(self, ref, err);
}
const void *get_extension(void *, const char *) {
    return nullptr;
}

int32_t negotiate(uint32_t host_min, uint32_t host_max) {
    return berth::sdk::negotiate(host_min, host_max);
}

berth_status init(const berth_host *host, const char *options, const berth_driver **out,
                  berth_error *err) {
    if (host == nullptr || out == nullptr || !BERTH_HAS_FIELD(host, berth_host, get_extension))
        return BERTH_E_INVALID_ARGUMENT;
    berth::sdk::Host h(host);
    return berth::sdk::guard(h, err, [&]() -> berth_status {
        // No options: the first key of the object, if any, is unknown.
        std::string opts = options ? options : "{}";
        if (auto q = opts.find('"'); q != std::string::npos)
            throw berth::sdk::Failure(BERTH_E_INVALID_ARGUMENT,
                                      "unknown option \"" +
                                          opts.substr(q + 1, opts.find('"', q + 1) - q - 1) +
                                          "\" for driver " + kName);
        auto ex = std::make_unique<Example>(host);
        berth_driver &t = ex->table;
        t.struct_size = sizeof t;
        t.self = ex.get();
        t.probe = probe;
        t.features = features;
        t.create = create;
        t.start = unknown;
        t.state = state;
        t.kill = kill;
        t.destroy = destroy;
        t.exec = exec;
        t.pause = unknown;
        t.resume = unknown;
        t.pids = output_op;
        t.stats = output_op;
        t.get_extension = get_extension;
        *out = &ex.release()->table;
        return BERTH_OK;
    });
}

void deinit(const berth_driver *d) {
    // The table is the first member, so its address is the instance's.
    delete reinterpret_cast<const Example *>(d);
}

const berth_driver_entry entry = {sizeof(berth_driver_entry),
                                  BERTH_ABI_MAJOR,
                                  kName,
                                  "0.1.0",
                                  "example driver built against the installed SDK",
                                  negotiate,
                                  0,
                                  BERTH_ABI_MINOR,
                                  init,
                                  deinit};

} // namespace

extern "C" BERTH_EXPORT const berth_driver_entry *berth_driver_entry_v1(void) {
    return &entry;
}
