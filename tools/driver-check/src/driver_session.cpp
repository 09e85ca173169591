#include "driver_session.hpp"

#include <fmt/format.h>

#include <dlfcn.h>
#include <unistd.h>

namespace berth::check {

Result<Library> Library::open(const std::filesystem::path &file) {
    // RTLD_NOW as the host does: an unresolved symbol fails here, not in the middle of create.
    void *h = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (h == nullptr) {
        const char *why = dlerror();
        return fail(make_error(BERTH_E_UNAVAILABLE,
                               fmt::format("dlopen: {}", why ? why : "unknown error")));
    }
    dlerror();
    auto fn = reinterpret_cast<berth_driver_entry_fn>(dlsym(h, BERTH_DRIVER_ENTRY_SYMBOL));
    if (fn == nullptr) {
        dlclose(h);
        return fail(make_error(BERTH_E_VERSION,
                               fmt::format("no entry point {} (a driver of another ABI major, or "
                                           "not a berth driver)",
                                           BERTH_DRIVER_ENTRY_SYMBOL)));
    }
    const berth_driver_entry *e = fn();
    if (e == nullptr) {
        dlclose(h);
        return fail(make_error(BERTH_E_FAILED,
                               fmt::format("{}() returned NULL", BERTH_DRIVER_ENTRY_SYMBOL)));
    }
    return Library(h, e);
}

Library::~Library() {
    if (handle_ != nullptr)
        dlclose(handle_);
}

berth_driver_entry_fn Library::entry_fn() const {
    return reinterpret_cast<berth_driver_entry_fn>(dlsym(handle_, BERTH_DRIVER_ENTRY_SYMBOL));
}

std::string Call::contract_violation(const std::string &op) const {
    if (null_op != nullptr)
        return fmt::format("operation {} is NULL in the driver's table", null_op);
    if (status == BERTH_OK) {
        if (!errors.empty())
            return fmt::format("{} returned BERTH_OK but reported an error: {}", op,
                               errors[0].message);
        return {};
    }
    if (errors.empty())
        return fmt::format("{} failed with code {} without calling report_error (every failure "
                           "must carry a message)",
                           op, status);
    if (errors.size() > 1)
        return fmt::format("{} called report_error {} times (at most once per operation)", op,
                           errors.size());
    const ReportedError &e = errors[0];
    if (e.slot != slot)
        return fmt::format("{} reported into an error slot it was not given", op);
    if (e.code != status)
        return fmt::format("{} returned code {} but reported code {}", op, status, e.code);
    if (e.message.empty())
        return fmt::format("{} failed with code {} and an empty message", op, status);
    if (e.message.find('\n') != std::string::npos)
        return fmt::format("{} reported a message of more than one line: \"{}\"", op,
                           e.message.substr(0, e.message.find('\n')));
    return {};
}

int32_t agreed_minor(const berth_driver_entry *e) {
    return e->negotiate(0, BERTH_ABI_MINOR);
}

Result<std::unique_ptr<Instance>> Instance::create(const Library &lib, const std::string &options,
                                                   bool future_host) {
    const berth_driver_entry *e = lib.entry();
    int32_t minor = future_host ? e->negotiate(0, BERTH_ABI_MINOR + 3) : agreed_minor(e);
    if (minor < 0)
        return fail(make_error(BERTH_E_VERSION,
                               fmt::format("negotiate(0, {}) refused every minor",
                                           future_host ? BERTH_ABI_MINOR + 3 : BERTH_ABI_MINOR)));
    auto host = std::make_unique<RecordingHost>(static_cast<uint32_t>(minor), future_host);
    berth_error slot{1};
    const berth_driver *table = nullptr;
    berth_status st = e->init(host->raw(), options.c_str(), &table, &slot);
    if (st != BERTH_OK) {
        std::string msg =
            host->errors.empty() ? std::string("no message") : host->errors.front().message;
        return fail(
            make_error(st, fmt::format("init({}) failed with code {}: {}", options, st, msg)));
    }
    if (table == nullptr)
        return fail(make_error(BERTH_E_FAILED,
                               fmt::format("init({}) returned BERTH_OK without a table", options)));
    return std::unique_ptr<Instance>(new Instance(e, std::move(host), table));
}

Instance::~Instance() {
    entry_->deinit(table_);
}

namespace {

void collect(void *ctx, const char *data, size_t len) {
    static_cast<std::string *>(ctx)->append(data, len);
}

} // namespace

template <class F> Call Instance::run(const char *op, const void *fn, F &&f) {
    Call c;
    if (fn == nullptr) {
        c.null_op = op;
        c.status = BERTH_E_FAILED;
        return c;
    }
    static berth_error slot{2};
    c.slot = &slot;
    berth_output out{sizeof(berth_output), &c.output, collect};
    host_->errors.clear();
    c.status = f(&out, &slot);
    c.errors = host_->errors;
    return c;
}

// Each operation goes through run() with its name and pointer, so a NULL entry in the table
// becomes a verdict instead of a crash of the check.
#define BERTH_CHECK_OP(op) #op, reinterpret_cast < const void *>(table_->op)

Call Instance::probe() {
    return run(BERTH_CHECK_OP(probe),
               [&](berth_output *o, berth_error *e) { return table_->probe(table_->self, o, e); });
}
Call Instance::features() {
    return run(BERTH_CHECK_OP(features), [&](berth_output *o, berth_error *e) {
        return table_->features(table_->self, o, e);
    });
}
Call Instance::create(const berth_create_request &req, berth_create_result &res) {
    return run(BERTH_CHECK_OP(create), [&](berth_output *, berth_error *e) {
        return table_->create(table_->self, &req, &res, e);
    });
}
Call Instance::start(const berth_container_ref &ref) {
    return run(BERTH_CHECK_OP(start), [&](berth_output *, berth_error *e) {
        return table_->start(table_->self, &ref, e);
    });
}
Call Instance::state(const berth_container_ref &ref, berth_state_result &res) {
    return run(BERTH_CHECK_OP(state), [&](berth_output *, berth_error *e) {
        return table_->state(table_->self, &ref, &res, e);
    });
}
Call Instance::kill(const berth_container_ref &ref, int32_t sig, uint32_t flags) {
    return run(BERTH_CHECK_OP(kill), [&](berth_output *, berth_error *e) {
        return table_->kill(table_->self, &ref, sig, flags, e);
    });
}
Call Instance::destroy(const berth_container_ref &ref, bool force) {
    return run(BERTH_CHECK_OP(destroy), [&](berth_output *, berth_error *e) {
        return table_->destroy(table_->self, &ref, force ? 1 : 0, e);
    });
}
Call Instance::exec(const berth_exec_request &req, berth_exec_result &res) {
    return run(BERTH_CHECK_OP(exec), [&](berth_output *, berth_error *e) {
        return table_->exec(table_->self, &req, &res, e);
    });
}
Call Instance::pause(const berth_container_ref &ref) {
    return run(BERTH_CHECK_OP(pause), [&](berth_output *, berth_error *e) {
        return table_->pause(table_->self, &ref, e);
    });
}
Call Instance::resume(const berth_container_ref &ref) {
    return run(BERTH_CHECK_OP(resume), [&](berth_output *, berth_error *e) {
        return table_->resume(table_->self, &ref, e);
    });
}
Call Instance::pids(const berth_container_ref &ref) {
    return run(BERTH_CHECK_OP(pids), [&](berth_output *o, berth_error *e) {
        return table_->pids(table_->self, &ref, o, e);
    });
}
Call Instance::stats(const berth_container_ref &ref) {
    return run(BERTH_CHECK_OP(stats), [&](berth_output *o, berth_error *e) {
        return table_->stats(table_->self, &ref, o, e);
    });
}

#undef BERTH_CHECK_OP

UnknownContainer::UnknownContainer(const Context &ctx)
    : id(fmt::format("berth-driver-check-{}", getpid())), bundle((ctx.scratch / "bundle").string()),
      state_dir((ctx.scratch / "state").string()) {
    ref.struct_size = sizeof ref;
    ref.id = id.c_str();
    ref.bundle = bundle.c_str();
    ref.state_dir = state_dir.c_str();
    ref.pid = 0;
}

std::string driver_file_name(const std::filesystem::path &file) {
    std::string name = file.filename().string();
    if (name.size() > 3 && name.ends_with(".so"))
        name.resize(name.size() - 3);
    return name;
}

} // namespace berth::check
