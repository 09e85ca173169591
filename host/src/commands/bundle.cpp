#include "commands/bundle.hpp"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

namespace berth::host {

namespace fs = std::filesystem;

namespace {

Error invalid(const fs::path &file, const std::string &what) {
    return make_error(BERTH_E_INVALID_SPEC, fmt::format("{}: {}", file.string(), what));
}

// nlohmann's message starts with "[json.exception.parse_error.101] parse error at line 1,
// column 5: "; the position is printed by berth itself, in the file:line:col form.
std::string parse_detail(const std::string &what) {
    auto col = what.find("column ");
    auto colon = col == std::string::npos ? std::string::npos : what.find(": ", col);
    if (colon != std::string::npos)
        return what.substr(colon + 2);
    auto bracket = what.find("] ");
    return bracket == std::string::npos ? what : what.substr(bracket + 2);
}

} // namespace

Result<nlohmann::json> parse_bundle_config(const std::string &text, const fs::path &file) {
    nlohmann::json spec;
    try {
        spec = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error &e) {
        // e.byte is 1-based and points at the offending character (or one past the end).
        size_t upto = std::min(e.byte == 0 ? 0 : e.byte - 1, text.size());
        size_t line = 1, col = 1;
        for (size_t i = 0; i < upto; ++i) {
            if (text[i] == '\n') {
                ++line;
                col = 1;
            } else {
                ++col;
            }
        }
        return fail(make_error(BERTH_E_INVALID_SPEC,
                               fmt::format("{}:{}:{}: invalid JSON: {}", file.string(), line, col,
                                           parse_detail(e.what()))));
    }
    if (!spec.is_object())
        return fail(invalid(file, "expected a JSON object at the top level"));
    if (!spec.contains("ociVersion") || !spec["ociVersion"].is_string() ||
        spec["ociVersion"].get<std::string>().empty())
        return fail(invalid(file, "ociVersion is missing (expected a string such as \"1.0.2\")"));
    const auto *process = spec.contains("process") ? &spec["process"] : nullptr;
    if (process == nullptr || !process->is_object() || !process->contains("args") ||
        !(*process)["args"].is_array() || (*process)["args"].empty())
        return fail(invalid(file, "process.args must be a non-empty array of strings"));
    for (const auto &a : (*process)["args"])
        if (!a.is_string())
            return fail(invalid(file, "process.args must be a non-empty array of strings"));
    if (!spec.contains("root") || !spec["root"].is_object() || !spec["root"].contains("path") ||
        !spec["root"]["path"].is_string() || spec["root"]["path"].get<std::string>().empty())
        return fail(invalid(file, "root.path is missing (expected the root filesystem's path)"));
    return spec;
}

Result<nlohmann::json> read_bundle_config(const fs::path &bundle) {
    fs::path file = bundle / "config.json";
    std::ifstream in(file, std::ios::binary);
    if (!in)
        return fail(sys_error("open", file.string(), errno)
                        .with_hint("create one with berth spec, or pass the bundle with -b"));
    std::ostringstream ss;
    ss << in.rdbuf();
    return parse_bundle_config(ss.str(), file);
}

} // namespace berth::host
