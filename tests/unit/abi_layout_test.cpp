// The v1 ABI as a driver sees it at run time: the constants a C compiler cannot compare in a
// _Static_assert, the struct_size rule, and a driver compiled against the 1.0 copy of the
// header (tests/abi/v1.0) loading, negotiating and running under today's header.
#include <berth/driver.h>

#include <catch2/catch.hpp>

#include <dlfcn.h>

#include <cstring>
#include <string>

namespace {

const std::string kReferenceDriver =
    std::string(BERTH_TEST_BUILD_DIR) + "/tests/abi/drivers/reference.so";

struct Recorder {
    std::string message;
    berth_status code = BERTH_OK;
    int calls = 0;
};

void record_error(void *ctx, berth_error *, berth_status code, int32_t, const char *message) {
    auto *r = static_cast<Recorder *>(ctx);
    r->message = message;
    r->code = code;
    ++r->calls;
}
void ignore_log(void *, berth_log_level, const char *) {}
int32_t log_off(void *, berth_log_level) {
    return 0;
}
const void *no_extension(void *, const char *) {
    return nullptr;
}
void append(void *ctx, const char *data, size_t len) {
    static_cast<std::string *>(ctx)->append(data, len);
}

berth_host make_host(Recorder &r, uint32_t minor) {
    berth_host h{};
    h.struct_size = sizeof h;
    h.abi_minor = minor;
    h.host_version = "test";
    h.ctx = &r;
    h.log = ignore_log;
    h.log_enabled = log_off;
    h.report_error = record_error;
    h.get_extension = no_extension;
    return h;
}

struct Dl {
    void *h = nullptr;
    ~Dl() {
        if (h)
            dlclose(h);
    }
};

} // namespace

TEST_CASE("the v1 entry symbol is berth_driver_entry_v1", "[unit]") {
    REQUIRE(std::string(BERTH_DRIVER_ENTRY_SYMBOL) == "berth_driver_entry_v1");
    REQUIRE(BERTH_ABI_MAJOR == 1);
}

TEST_CASE("BERTH_HAS_FIELD rejects a field past the struct_size the other side set", "[unit]") {
    berth_host h{};
    h.struct_size = offsetof(berth_host, get_extension);
    REQUIRE(BERTH_HAS_FIELD(&h, berth_host, report_error));
    REQUIRE_FALSE(BERTH_HAS_FIELD(&h, berth_host, get_extension));
    h.struct_size = sizeof(berth_host);
    REQUIRE(BERTH_HAS_FIELD(&h, berth_host, get_extension));
}

TEST_CASE("a driver built against the 1.0 header loads and runs under today's header", "[unit]") {
    Dl dl;
    dl.h = dlopen(kReferenceDriver.c_str(), RTLD_NOW | RTLD_LOCAL);
    INFO(dlerror());
    REQUIRE(dl.h != nullptr);
    auto fn = reinterpret_cast<berth_driver_entry_fn>(dlsym(dl.h, BERTH_DRIVER_ENTRY_SYMBOL));
    REQUIRE(fn != nullptr);
    const berth_driver_entry *e = fn();
    REQUIRE(e != nullptr);
    REQUIRE(e->struct_size >= sizeof(berth_driver_entry));
    REQUIRE(e->abi_major == BERTH_ABI_MAJOR);
    REQUIRE(std::string(e->name) == "reference");

    int32_t minor = e->negotiate(0, BERTH_ABI_MINOR);
    REQUIRE(minor == 0);

    Recorder rec;
    berth_host host = make_host(rec, static_cast<uint32_t>(minor));
    const berth_driver *d = nullptr;
    // berth_error is opaque to drivers (and to this test): any host-owned storage will do.
    alignas(8) unsigned char slot[16] = {};
    auto *err = reinterpret_cast<berth_error *>(slot);
    REQUIRE(e->init(&host, "{}", &d, err) == BERTH_OK);
    REQUIRE(d != nullptr);
    REQUIRE(d->struct_size >= sizeof(berth_driver));

    std::string features;
    berth_output out{sizeof(berth_output), &features, append};
    REQUIRE(d->features(d->self, &out, err) == BERTH_OK);
    REQUIRE(features.find("\"ociVersionMax\":\"1.2.0\"") != std::string::npos);

    berth_container_ref ref{};
    ref.struct_size = sizeof ref;
    ref.id = "abi-layout-test";
    ref.bundle = "/nonexistent";
    ref.state_dir = "/nonexistent";
    berth_state_result st{sizeof st, 0, 0};
    REQUIRE(d->state(d->self, &ref, &st, err) == BERTH_E_NOT_FOUND);
    REQUIRE(rec.calls == 1);
    REQUIRE(rec.code == BERTH_E_NOT_FOUND);
    REQUIRE(rec.message == "no such container `abi-layout-test` (driver reference)");
    e->deinit(d);
}

TEST_CASE("a 1.0 driver refuses a host that offers only newer minors", "[unit]") {
    Dl dl;
    dl.h = dlopen(kReferenceDriver.c_str(), RTLD_NOW | RTLD_LOCAL);
    REQUIRE(dl.h != nullptr);
    auto fn = reinterpret_cast<berth_driver_entry_fn>(dlsym(dl.h, BERTH_DRIVER_ENTRY_SYMBOL));
    const berth_driver_entry *e = fn();
    REQUIRE(e->negotiate(1, 4) == -1);
    REQUIRE(e->negotiate(0, 4) == 0);
    REQUIRE(e->min_minor == 0);
    REQUIRE(e->max_minor == 0);
}
