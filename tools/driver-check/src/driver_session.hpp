// A driver loaded and initialised the way the host does it, with each operation wrapped so a
// check sees its status, its output and exactly what it reported to the host.
#pragma once

#include "check.hpp"
#include "recording_host.hpp"

#include <berth/common/error.hpp>
#include <berth/driver.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace berth::check {

// dlopen()ed driver file; dlclose()d on destruction.
class Library {
public:
    static Result<Library> open(const std::filesystem::path &file);
    Library(Library &&o) noexcept : handle_(std::exchange(o.handle_, nullptr)), entry_(o.entry_) {}
    Library &operator=(Library &&) = delete;
    ~Library();

    const berth_driver_entry *entry() const { return entry_; }
    berth_driver_entry_fn entry_fn() const;

private:
    Library(void *h, const berth_driver_entry *e) : handle_(h), entry_(e) {}
    void *handle_;
    const berth_driver_entry *entry_;
};

// The outcome of one driver call.
struct Call {
    berth_status status = BERTH_OK;
    std::string output;                // what the driver wrote to the berth_output, if any
    std::vector<ReportedError> errors; // report_error calls made during this call
    const berth_error *slot = nullptr; // the slot the checker passed
    const char *null_op = nullptr;     // set when the table has NULL for this operation

    // Empty when the call kept the error contract: a failure reports exactly one message,
    // non-empty and on one line, with the code it returns; a success reports nothing.
    std::string contract_violation(const std::string &op) const;
    std::string message() const { return errors.empty() ? std::string() : errors[0].message; }
};

// A driver instance made by init("{}" unless told otherwise) on a RecordingHost; deinit on
// destruction.
class Instance {
public:
    static Result<std::unique_ptr<Instance>>
    create(const Library &lib, const std::string &options = "{}", bool future_host = false);
    ~Instance();

    const berth_driver *table() const { return table_; }
    RecordingHost &host() { return *host_; }

    Call probe();
    Call features();
    Call create(const berth_create_request &req, berth_create_result &res);
    Call start(const berth_container_ref &ref);
    Call state(const berth_container_ref &ref, berth_state_result &res);
    Call kill(const berth_container_ref &ref, int32_t sig, uint32_t flags);
    Call destroy(const berth_container_ref &ref, bool force);
    Call exec(const berth_exec_request &req, berth_exec_result &res);
    Call pause(const berth_container_ref &ref);
    Call resume(const berth_container_ref &ref);
    Call pids(const berth_container_ref &ref);
    Call stats(const berth_container_ref &ref);

private:
    Instance(const berth_driver_entry *e, std::unique_ptr<RecordingHost> h, const berth_driver *t)
        : entry_(e), host_(std::move(h)), table_(t) {}
    template <class F> Call run(const char *op, const void *fn, F &&f);

    const berth_driver_entry *entry_;
    std::unique_ptr<RecordingHost> host_;
    const berth_driver *table_;
};

// The minor the checker asks for: the newest both sides speak, as the host does.
int32_t agreed_minor(const berth_driver_entry *e);

// A container the driver cannot know: fresh id, empty state dir, the scratch bundle.
struct UnknownContainer {
    explicit UnknownContainer(const Context &ctx);
    std::string id, bundle, state_dir;
    berth_container_ref ref{};
};

// "NAME" for NAME.so.
std::string driver_file_name(const std::filesystem::path &file);

} // namespace berth::check
