#include "dll_driver.hpp"

#include "elf_file.hpp"
#include "negotiation.hpp"

#include <dlfcn.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <regex>

namespace berth::host {
namespace {

// Collects what a driver writes to a berth_output.
struct OutputSink {
    berth_output out{};
    std::string data;

    OutputSink() {
        out.struct_size = sizeof(berth_output);
        out.ctx = this;
        out.write = &OutputSink::write;
    }
    OutputSink(const OutputSink &) = delete;
    OutputSink &operator=(const OutputSink &) = delete;

    static void write(void *ctx, const char *bytes, size_t len) {
        if (ctx == nullptr || bytes == nullptr)
            return;
        try {
            static_cast<OutputSink *>(ctx)->data.append(bytes, len);
        } catch (...) {
        }
    }
};

Error load_error(berth_status code, std::string reason) {
    return make_error(code, std::move(reason));
}

// Another major's entry symbol, if the file exports one ("berth_driver_entry_v2").
std::string other_major_entry(const std::vector<std::string> &symbols) {
    static const std::regex entry_re("berth_driver_entry_v([0-9]+)");
    for (const auto &s : symbols)
        if (std::regex_match(s, entry_re) && s != BERTH_DRIVER_ENTRY_SYMBOL)
            return s;
    return {};
}

// glibc reports a missing dependency as "<soname>: cannot open shared object file: ..."
// naming the dependency, and every other failure prefixed with the file's own path.
Error dlopen_error(const std::filesystem::path &file, const char *text) {
    std::string msg = text != nullptr ? text : "the dynamic loader gave no reason";
    const std::string own_prefix = file.string() + ": ";
    const bool about_file = msg.starts_with(own_prefix);
    if (!about_file && msg.find("cannot open shared object file") != std::string::npos)
        return load_error(BERTH_E_UNAVAILABLE, "missing dependency: " + msg);
    if (about_file)
        msg = msg.substr(own_prefix.size());
    if (msg.starts_with("undefined symbol: "))
        return load_error(BERTH_E_UNAVAILABLE, "unresolved symbol: " + msg.substr(18));
    return load_error(BERTH_E_FAILED, "dynamic loader refused it: " + msg);
}

bool is_valid_table(const berth_driver *t) {
    return BERTH_HAS_FIELD(t, berth_driver, get_extension) && t->probe && t->features &&
           t->create && t->start && t->state && t->kill && t->destroy && t->exec && t->pause &&
           t->resume && t->pids && t->stats && t->get_extension;
}

} // namespace

Result<std::unique_ptr<DllDriver>>
DllDriver::open(const std::filesystem::path &file, const std::string &name,
                const std::string &options_json,
                const std::function<void(const char *phase)> &on_phase) {
    auto phase = [&](const char *p) {
        if (on_phase)
            on_phase(p);
    };

    auto elf = inspect_elf(file);
    if (!elf)
        return fail(std::move(elf.error()));

    // Decided from the file alone, so a driver of another major never runs a constructor.
    const auto &syms = elf->dynamic_symbols;
    if (std::find(syms.begin(), syms.end(), BERTH_DRIVER_ENTRY_SYMBOL) == syms.end()) {
        std::string other = other_major_entry(syms);
        if (!other.empty())
            return fail(load_error(
                BERTH_E_VERSION,
                fmt::format("exports {} (ABI major {}), this berth speaks ABI major {} ({}): "
                            "install a build of the driver for ABI {}",
                            other, other.substr(std::strlen("berth_driver_entry_v")),
                            BERTH_ABI_MAJOR, BERTH_DRIVER_ENTRY_SYMBOL, BERTH_ABI_MAJOR)));
        return fail(load_error(BERTH_E_VERSION, fmt::format("does not export {}",
                                                            BERTH_DRIVER_ENTRY_SYMBOL)));
    }

    std::unique_ptr<DllDriver> d(new DllDriver());
    d->path_ = file.string();
    d->name_ = name;

    // RTLD_LOCAL keeps one driver's symbols from resolving another's; RTLD_NOW makes a
    // missing symbol fail here, with the loader's text, instead of in the middle of a request.
    boost::dll::fs::error_code ec;
    phase("loading");
    dlerror();
    d->lib_.load(file, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local, ec);
    if (ec)
        return fail(dlopen_error(file, dlerror()));
    if (!d->lib_.has(BERTH_DRIVER_ENTRY_SYMBOL))
        return fail(load_error(BERTH_E_VERSION, fmt::format("does not export {}",
                                                            BERTH_DRIVER_ENTRY_SYMBOL)));

    const berth_driver_entry *entry =
        d->lib_.get<const berth_driver_entry *()>(BERTH_DRIVER_ENTRY_SYMBOL)();
    auto minor = negotiate(entry, name);
    if (!minor)
        return fail(std::move(minor.error()));
    d->entry_ = entry;
    d->abi_minor_ = *minor;

    if (name != entry->name)
        return fail(load_error(
            BERTH_E_FAILED,
            fmt::format("its entry point names it `{}` but the file is {}.so: a driver's file "
                        "name must be its name",
                        entry->name, name)));
    d->version_ = entry->version;
    d->description_ = entry->description;

    d->services_ = std::make_unique<HostServices>(name, *minor);
    phase("init");
    berth_error err;
    const berth_driver *table = nullptr;
    berth_status st = entry->init(d->services_->table(), options_json.c_str(), &table, &err);
    if (st != BERTH_OK) {
        if (!err.reported)
            return fail(load_error(BERTH_E_FAILED,
                                   fmt::format("driver {} failed in init without an error "
                                               "message (a driver bug)",
                                               name)));
        Error e = load_error(st >= BERTH_E_FAILED && st <= BERTH_E_INVALID_ARGUMENT
                                 ? st
                                 : BERTH_E_FAILED,
                             "init failed: " + err.message);
        e.sys_errno = err.sys_errno;
        e.errno_in_message = true;
        return fail(std::move(e));
    }
    if (table == nullptr || !is_valid_table(table)) {
        // Still call deinit: init succeeded, so the instance exists.
        if (table != nullptr)
            entry->deinit(table);
        return fail(load_error(BERTH_E_VERSION,
                               fmt::format("driver {}: init returned {} (a driver bug)", name,
                                           table == nullptr ? "no operation table"
                                                            : "an incomplete operation table")));
    }
    d->table_ = table;
    return d;
}

DllDriver::~DllDriver() {
    if (table_ != nullptr)
        entry_->deinit(table_);
}

Result<> DllDriver::check(const char *op, berth_status status, const berth_error &err) const {
    if (status == BERTH_OK)
        return {};
    if (!err.reported)
        return fail(make_error(BERTH_E_FAILED,
                               fmt::format("driver {} failed in {} without an error message (a "
                                           "driver bug)",
                                           name_, op)));
    // Codes a driver made up itself (1000 and above) or a newer header's mean "failed".
    const berth_status code =
        status >= BERTH_E_FAILED && status <= BERTH_E_INVALID_ARGUMENT ? status : BERTH_E_FAILED;
    Error e = make_error(code, fmt::format("driver {}: {}", name_, err.message));
    e.sys_errno = err.sys_errno;
    e.errno_in_message = true;
    return fail(std::move(e));
}

Result<> DllDriver::check_size(const char *op, uint32_t struct_size, size_t needed) const {
    if (struct_size >= needed)
        return {};
    return fail(make_error(BERTH_E_VERSION,
                           fmt::format("driver {} answered {} with a result of {} bytes, too "
                                       "small for its {} bytes of fields (a driver bug)",
                                       name_, op, struct_size, needed)));
}

Result<std::string> DllDriver::probe() {
    OutputSink reason;
    berth_error err;
    berth_status st = table_->probe(table_->self, &reason.out, &err);
    if (st == BERTH_E_UNAVAILABLE && !reason.data.empty())
        return reason.data;
    if (auto r = check("probe", st, err); !r)
        return fail(std::move(r.error()));
    return reason.data;
}

Result<std::string> DllDriver::features() {
    OutputSink out;
    berth_error err;
    if (auto r = check("features", table_->features(table_->self, &out.out, &err), err); !r)
        return fail(std::move(r.error()));
    return std::move(out.data);
}

Result<berth_create_result> DllDriver::create(const berth_create_request &req) {
    berth_create_result res{};
    res.struct_size = sizeof res;
    berth_error err;
    if (auto r = check("create", table_->create(table_->self, &req, &res, &err), err);
        !r)
        return fail(std::move(r.error()));
    if (auto r = check_size("create", res.struct_size,
                            offsetof(berth_create_result, pid) + sizeof res.pid);
        !r)
        return fail(std::move(r.error()));
    return res;
}

Result<> DllDriver::start(const berth_container_ref &ref) {
    berth_error err;
    return check("start", table_->start(table_->self, &ref, &err), err);
}

Result<berth_state_result> DllDriver::state(const berth_container_ref &ref) {
    berth_state_result res{};
    res.struct_size = sizeof res;
    berth_error err;
    if (auto r = check("state", table_->state(table_->self, &ref, &res, &err), err); !r)
        return fail(std::move(r.error()));
    if (auto r = check_size("state", res.struct_size,
                            offsetof(berth_state_result, pid) + sizeof res.pid);
        !r)
        return fail(std::move(r.error()));
    return res;
}

Result<> DllDriver::kill(const berth_container_ref &ref, int signal, bool all) {
    berth_error err;
    const uint32_t flags = all ? uint32_t{BERTH_KILL_ALL} : 0u;
    return check("kill", table_->kill(table_->self, &ref, signal, flags, &err), err);
}

Result<> DllDriver::destroy(const berth_container_ref &ref, bool force) {
    berth_error err;
    return check("delete", table_->destroy(table_->self, &ref, force ? 1 : 0, &err), err);
}

Result<berth_exec_result> DllDriver::exec(const berth_exec_request &req) {
    berth_exec_result res{};
    res.struct_size = sizeof res;
    berth_error err;
    if (auto r = check("exec", table_->exec(table_->self, &req, &res, &err), err); !r)
        return fail(std::move(r.error()));
    if (auto r = check_size("exec", res.struct_size,
                            offsetof(berth_exec_result, pid) + sizeof res.pid);
        !r)
        return fail(std::move(r.error()));
    return res;
}

Result<> DllDriver::pause(const berth_container_ref &ref) {
    berth_error err;
    return check("pause", table_->pause(table_->self, &ref, &err), err);
}

Result<> DllDriver::resume(const berth_container_ref &ref) {
    berth_error err;
    return check("resume", table_->resume(table_->self, &ref, &err), err);
}

Result<std::vector<int>> DllDriver::pids(const berth_container_ref &ref) {
    OutputSink out;
    berth_error err;
    if (auto r = check("pids", table_->pids(table_->self, &ref, &out.out, &err), err); !r)
        return fail(std::move(r.error()));
    auto j = nlohmann::json::parse(out.data, nullptr, false);
    std::vector<int> pids;
    bool ok = j.is_array();
    for (const auto &v : ok ? j : nlohmann::json::array()) {
        if (!v.is_number_integer()) {
            ok = false;
            break;
        }
        pids.push_back(v.get<int>());
    }
    if (!ok)
        return fail(make_error(BERTH_E_FAILED,
                               fmt::format("driver {} answered pids with `{}`, not a JSON array "
                                           "of integers (a driver bug)",
                                           name_, out.data)));
    return pids;
}

Result<std::string> DllDriver::stats(const berth_container_ref &ref) {
    OutputSink out;
    berth_error err;
    if (auto r = check("stats", table_->stats(table_->self, &ref, &out.out, &err), err); !r)
        return fail(std::move(r.error()));
    return std::move(out.data);
}

} // namespace berth::host
