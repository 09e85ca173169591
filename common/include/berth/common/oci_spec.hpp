// Typed, validated access to an OCI runtime-spec document (config.json, or the process.json of
// an exec). Each accessor checks the part it reads and fails with a message that names the
// document and the field ("config.json: process.args must be a non-empty array of strings"),
// so drivers and the host report a bad spec the same way. Parts a caller never reads are not
// checked here; the raw document stays available through json() for everything else.
#pragma once

#include <berth/common/error.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::oci {

struct User {
    uint32_t uid = 0;
    uint32_t gid = 0;
    std::vector<uint32_t> additional_gids;
    std::optional<uint32_t> umask; // unset: leave the inherited umask alone
    std::string username;          // informational on Linux
};

struct Rlimit {
    std::string type; // "RLIMIT_NOFILE"
    int resource = 0; // RLIMIT_NOFILE, as setrlimit(2) takes it
    uint64_t soft = 0;
    uint64_t hard = 0;
};

struct ConsoleSize {
    uint32_t height = 0;
    uint32_t width = 0;
};

// Capability names as written in the spec ("CAP_NET_BIND_SERVICE"); each set is unset when the
// spec leaves it out.
struct Capabilities {
    std::optional<std::vector<std::string>> bounding;
    std::optional<std::vector<std::string>> effective;
    std::optional<std::vector<std::string>> inheritable;
    std::optional<std::vector<std::string>> permitted;
    std::optional<std::vector<std::string>> ambient;
};

struct Process {
    bool terminal = false;
    std::optional<ConsoleSize> console_size;
    std::vector<std::string> args;  // never empty
    std::vector<std::string> env;   // "KEY=value", in spec order
    std::string cwd;                // absolute
    User user;
    std::vector<Rlimit> rlimits;    // each type at most once
    bool no_new_privileges = false;
    std::optional<Capabilities> capabilities;
    std::string apparmor_profile;   // empty when unset
    std::string selinux_label;      // empty when unset
    std::optional<int> oom_score_adj;

    // The value of `name` in env (the last one wins, as getenv would see it), or nullopt.
    std::optional<std::string> getenv(std::string_view name) const;
};

struct Root {
    std::string path; // as written: relative to the bundle or absolute
    bool readonly = false;

    // The root filesystem's path on the host: `path` if absolute, else bundle/path.
    std::filesystem::path resolve(const std::filesystem::path &bundle) const;
};

struct Mount {
    std::string destination; // absolute path inside the container
    std::string type;        // empty when unset (bind mounts)
    std::string source;      // empty when unset
    std::vector<std::string> options;
};

// The RLIMIT_* constant for a spec name ("RLIMIT_NOFILE"), or nullopt for an unknown name.
std::optional<int> rlimit_resource(std::string_view name);

// Reads a process object. `doc` names the document in messages ("config.json"), `prefix` is
// the object's path inside it ("process." for config.json, "" for an exec's process.json).
Result<Process> parse_process(const nlohmann::json &j, std::string_view doc,
                              std::string_view prefix);

// A parsed config.json. Accessors validate on each call and are cheap enough to call twice.
class Spec {
public:
    // Parses `text`; `doc` names it in messages ("config.json", or a path).
    static Result<Spec> parse(std::string_view text, std::string doc = "config.json");
    static Result<Spec> from_json(nlohmann::json j, std::string doc = "config.json");

    const nlohmann::json &json() const { return j_; }
    const std::string &doc() const { return doc_; }

    std::string oci_version() const; // "" when absent
    bool has_process() const { return j_.contains("process"); }
    Result<Process> process() const;  // fails when absent
    Result<Root> root() const;        // fails when absent
    Result<std::optional<std::string>> hostname() const;
    Result<std::vector<Mount>> mounts() const; // empty when absent

    // Whether the member at a dotted path exists ("linux.resources.memory"). A present member
    // whose value is null, {} or [] counts as absent: it asks for nothing.
    bool uses(std::string_view dotted_path) const;

    // An error of code BERTH_E_INVALID_SPEC reading "<doc>: <field> <what>".
    Error invalid(std::string_view field, std::string_view what) const;

private:
    Spec(nlohmann::json j, std::string doc) : j_(std::move(j)), doc_(std::move(doc)) {}
    nlohmann::json j_;
    std::string doc_;
};

} // namespace berth::oci
