#include "cli_signal.hpp"

#include <fmt/format.h>

#include <signal.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <optional>
#include <utility>

namespace berth::host {

namespace {

constexpr std::array<std::pair<const char *, int>, 32> signals = {{
    {"HUP", SIGHUP},       {"INT", SIGINT},   {"QUIT", SIGQUIT},     {"ILL", SIGILL},
    {"TRAP", SIGTRAP},     {"ABRT", SIGABRT}, {"IOT", SIGIOT},       {"BUS", SIGBUS},
    {"FPE", SIGFPE},       {"KILL", SIGKILL}, {"USR1", SIGUSR1},     {"SEGV", SIGSEGV},
    {"USR2", SIGUSR2},     {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},     {"TERM", SIGTERM},
    {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT},     {"STOP", SIGSTOP},
    {"TSTP", SIGTSTP},     {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},     {"URG", SIGURG},
    {"XCPU", SIGXCPU},     {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},
    {"WINCH", SIGWINCH},   {"IO", SIGIO},     {"PWR", SIGPWR},       {"SYS", SIGSYS},
}};

std::optional<int> number(std::string_view s) {
    int v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size())
        return std::nullopt;
    return v;
}

Error bad_signal(std::string_view text) {
    return make_error(BERTH_E_INVALID_ARGUMENT,
                      fmt::format("unknown signal \"{}\" (use a name such as TERM, SIGKILL or "
                                  "RTMIN+2, or a number from 1 to {})",
                                  text, SIGRTMAX));
}

} // namespace

Result<int> parse_signal(std::string_view text) {
    if (text.empty())
        return fail(bad_signal(text));
    if (auto n = number(text)) {
        if (*n < 1 || *n > SIGRTMAX)
            return fail(bad_signal(text));
        return *n;
    }
    std::string up(text);
    std::transform(up.begin(), up.end(), up.begin(),
                   [](unsigned char c) { return std::toupper(c); });
    std::string_view name = up;
    if (name.substr(0, 3) == "SIG")
        name.remove_prefix(3);
    for (const auto &[n, v] : signals)
        if (name == n)
            return v;
    // Real-time signals by offset, as kill(1) spells them.
    if (name.substr(0, 5) == "RTMIN" || name.substr(0, 5) == "RTMAX") {
        bool min = name[4] == 'N';
        std::string_view rest = name.substr(5);
        int off = 0;
        if (!rest.empty()) {
            if ((min && rest[0] != '+') || (!min && rest[0] != '-'))
                return fail(bad_signal(text));
            auto n = number(rest.substr(1));
            if (!n)
                return fail(bad_signal(text));
            off = *n;
        }
        int sig = min ? SIGRTMIN + off : SIGRTMAX - off;
        if (sig < SIGRTMIN || sig > SIGRTMAX)
            return fail(bad_signal(text));
        return sig;
    }
    return fail(bad_signal(text));
}

std::string signal_name(int sig) {
    for (const auto &[n, v] : signals)
        if (v == sig && std::string_view(n) != "IOT")
            return std::string("SIG") + n;
    if (sig >= SIGRTMIN && sig <= SIGRTMAX)
        return sig == SIGRTMIN ? "SIGRTMIN" : fmt::format("SIGRTMIN+{}", sig - SIGRTMIN);
    return std::to_string(sig);
}

} // namespace berth::host
