#include <berth/common/driver_adapter.hpp>

#include <nlohmann/json.hpp>

#include <exception>
#include <memory>

namespace berth::driver {
namespace {

const EntryInfo *g_info = nullptr;

// The table handed to the host, with the instance behind it.
struct Instance {
    berth_driver table{};
    std::unique_ptr<DriverBase> impl;
};

DriverBase &self_of(void *self) {
    return *static_cast<DriverBase *>(self);
}

void report(const berth_host *host, berth_error *err, const Error &e) {
    berth_status code = e.code == BERTH_OK ? BERTH_E_FAILED : e.code;
    host->report_error(host->ctx, err, code, e.sys_errno, e.render().c_str());
}

void write_out(berth_output *out, std::string_view s) {
    if (out != nullptr && !s.empty())
        out->write(out->ctx, s.data(), s.size());
}

ContainerRef to_ref(const berth_container_ref *r) {
    ContainerRef ref;
    ref.id = r->id ? r->id : "";
    ref.bundle = r->bundle ? r->bundle : "";
    ref.state_dir = r->state_dir ? r->state_dir : "";
    ref.pid = r->pid;
    return ref;
}

// Runs `body`, turning an Error or a C++ exception into a reported status.
template <class F> berth_status guarded(void *self, berth_error *err, F &&body) {
    DriverBase &d = self_of(self);
    try {
        Result<> r = body(d);
        if (r)
            return BERTH_OK;
        report(d.host().raw(), err, r.error());
        return r.error().code == BERTH_OK ? BERTH_E_FAILED : r.error().code;
    } catch (const nlohmann::json::exception &ex) {
        // A field of the request's JSON (config.json, process.json) the driver read without
        // checking its type first: the request's fault, said without the library's prefix.
        std::string what = ex.what();
        if (auto end = what.find("] "); what.starts_with("[json.exception.") && end != what.npos)
            what.erase(0, end + 2);
        report(d.host().raw(), err,
               make_error(BERTH_E_INVALID_SPEC,
                          "the request's JSON has a field of the wrong type: " + what));
        return BERTH_E_INVALID_SPEC;
    } catch (const std::exception &ex) {
        report(d.host().raw(), err,
               make_error(BERTH_E_FAILED, std::string("internal error: ") + ex.what()));
        return BERTH_E_FAILED;
    } catch (...) {
        report(d.host().raw(), err, make_error(BERTH_E_FAILED, "internal error"));
        return BERTH_E_FAILED;
    }
}

template <class T> Result<> discard(Result<T> r) {
    if (!r)
        return fail(std::move(r.error()));
    return {};
}

berth_status op_probe(void *self, berth_output *reason, berth_error *err) {
    std::string why;
    berth_status st = guarded(self, err, [&](DriverBase &d) -> Result<> {
        auto r = d.probe();
        if (!r)
            return fail(std::move(r.error()));
        why = *r;
        return {};
    });
    if (st != BERTH_OK)
        return st;
    if (why.empty())
        return BERTH_OK;
    write_out(reason, why);
    return BERTH_E_UNAVAILABLE;
}

berth_status op_features(void *self, berth_output *out, berth_error *err) {
    return guarded(self, err, [&](DriverBase &d) -> Result<> {
        auto r = d.features();
        if (!r)
            return fail(std::move(r.error()));
        write_out(out, *r);
        return {};
    });
}

berth_status op_create(void *self, const berth_create_request *req, berth_create_result *res,
                       berth_error *err) {
    return guarded(self, err, [&](DriverBase &d) -> Result<> {
        CreateRequest c;
        c.container = to_ref(&req->container);
        c.config_json.assign(req->config_json, req->config_json_len);
        c.stdin_fd = req->stdin_fd;
        c.stdout_fd = req->stdout_fd;
        c.stderr_fd = req->stderr_fd;
        c.console_socket = req->console_socket ? req->console_socket : "";
        c.preserve_fds = req->preserve_fds;
        c.flags = req->flags;
        auto r = d.create(c);
        if (!r)
            return fail(std::move(r.error()));
        res->pid = *r;
        return {};
    });
}

berth_status op_start(void *self, const berth_container_ref *ref, berth_error *err) {
    return guarded(self, err, [&](DriverBase &d) { return d.start(to_ref(ref)); });
}

berth_status op_state(void *self, const berth_container_ref *ref, berth_state_result *out,
                      berth_error *err) {
    return guarded(self, err, [&](DriverBase &d) -> Result<> {
        auto r = d.state(to_ref(ref));
        if (!r)
            return fail(std::move(r.error()));
        out->status = r->status;
        out->pid = r->pid;
        return {};
    });
}

berth_status op_kill(void *self, const berth_container_ref *ref, int32_t sig, uint32_t flags,
                     berth_error *err) {
    return guarded(self, err, [&](DriverBase &d) {
        return d.kill(to_ref(ref), sig, (flags & BERTH_KILL_ALL) != 0);
    });
}

berth_status op_destroy(void *self, const berth_container_ref *ref, int32_t force,
                        berth_error *err) {
    return guarded(self, err, [&](DriverBase &d) { return d.destroy(to_ref(ref), force != 0); });
}

berth_status op_exec(void *self, const berth_exec_request *req, berth_exec_result *res,
                     berth_error *err) {
    return guarded(self, err, [&](DriverBase &d) -> Result<> {
        ExecRequest e;
        e.container = to_ref(&req->container);
        e.process_json.assign(req->process_json, req->process_json_len);
        e.stdin_fd = req->stdin_fd;
        e.stdout_fd = req->stdout_fd;
        e.stderr_fd = req->stderr_fd;
        e.console_socket = req->console_socket ? req->console_socket : "";
        e.preserve_fds = req->preserve_fds;
        auto r = d.exec(e);
        if (!r)
            return fail(std::move(r.error()));
        res->pid = *r;
        return {};
    });
}

berth_status op_pause(void *self, const berth_container_ref *ref, berth_error *err) {
    return guarded(self, err, [&](DriverBase &d) { return d.pause(to_ref(ref)); });
}

berth_status op_resume(void *self, const berth_container_ref *ref, berth_error *err) {
    return guarded(self, err, [&](DriverBase &d) { return d.resume(to_ref(ref)); });
}

berth_status op_pids(void *self, const berth_container_ref *ref, berth_output *out,
                     berth_error *err) {
    return guarded(self, err, [&](DriverBase &d) -> Result<> {
        auto r = d.pids(to_ref(ref));
        if (!r)
            return fail(std::move(r.error()));
        std::string json = "[";
        for (size_t i = 0; i < r->size(); ++i)
            json += (i ? "," : "") + std::to_string((*r)[i]);
        json += "]";
        write_out(out, json);
        return {};
    });
}

berth_status op_stats(void *self, const berth_container_ref *ref, berth_output *out,
                      berth_error *err) {
    return guarded(self, err, [&](DriverBase &d) -> Result<> {
        auto r = d.stats(to_ref(ref));
        if (!r)
            return fail(std::move(r.error()));
        write_out(out, *r);
        return {};
    });
}

const void *op_get_extension(void *self, const char *id) {
    try {
        return self_of(self).extension(id ? id : "");
    } catch (...) {
        return nullptr;
    }
}

int32_t negotiate(uint32_t host_min, uint32_t host_max) {
    // This driver speaks exactly the minors up to the header it was built with.
    const uint32_t ours_min = 0, ours_max = BERTH_ABI_MINOR;
    uint32_t lo = host_min > ours_min ? host_min : ours_min;
    uint32_t hi = host_max < ours_max ? host_max : ours_max;
    return lo <= hi ? static_cast<int32_t>(hi) : -1;
}

berth_status init(const berth_host *host, const char *options, const berth_driver **out,
                  berth_error *err) {
    if (host == nullptr || out == nullptr || !BERTH_HAS_FIELD(host, berth_host, get_extension))
        return BERTH_E_INVALID_ARGUMENT;
    try {
        auto made = g_info->factory(host, options ? options : "{}");
        if (!made) {
            report(host, err, made.error());
            return made.error().code;
        }
        auto inst = std::make_unique<Instance>();
        inst->impl.reset(*made);
        berth_driver &t = inst->table;
        t.struct_size = sizeof(berth_driver);
        t.self = inst->impl.get();
        t.probe = op_probe;
        t.features = op_features;
        t.create = op_create;
        t.start = op_start;
        t.state = op_state;
        t.kill = op_kill;
        t.destroy = op_destroy;
        t.exec = op_exec;
        t.pause = op_pause;
        t.resume = op_resume;
        t.pids = op_pids;
        t.stats = op_stats;
        t.get_extension = op_get_extension;
        *out = &inst.release()->table;
        return BERTH_OK;
    } catch (const std::exception &ex) {
        report(host, err, make_error(BERTH_E_FAILED, std::string("internal error: ") + ex.what()));
        return BERTH_E_FAILED;
    }
}

void deinit(const berth_driver *d) {
    // The table is the first member of Instance, so the pointer converts back.
    delete reinterpret_cast<const Instance *>(d);
}

} // namespace

const berth_driver_entry *make_entry(const EntryInfo &info) {
    static berth_driver_entry entry{};
    g_info = &info;
    entry.struct_size = sizeof(entry);
    entry.abi_major = BERTH_ABI_MAJOR;
    entry.name = info.name;
    entry.version = info.version;
    entry.description = info.description;
    entry.negotiate = negotiate;
    entry.min_minor = 0;
    entry.max_minor = BERTH_ABI_MINOR;
    entry.init = init;
    entry.deinit = deinit;
    return &entry;
}

} // namespace berth::driver
