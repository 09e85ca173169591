#include <berth/common/error.hpp>

#include <cstring>

namespace berth {

std::string Error::message() const {
    std::string out = op;
    if (!object.empty())
        out += (out.empty() ? "`" : " `") + object + "`";
    return out;
}

std::string Error::render() const {
    std::string out;
    for (auto it = context.rbegin(); it != context.rend(); ++it)
        out += *it + ": ";
    out += message();
    if (sys_errno != 0 && !errno_in_message)
        out += std::string(out.empty() ? "" : ": ") + std::strerror(sys_errno);
    if (!hint.empty())
        out += " (hint: " + hint + ")";
    for (const auto &c : cleanup)
        out += "; while cleaning up: " + c.render();
    return out;
}

Error &&Error::in(std::string step) && {
    context.push_back(std::move(step));
    return std::move(*this);
}

Error &Error::in(std::string step) & {
    context.push_back(std::move(step));
    return *this;
}

Error &&Error::with_hint(std::string h) && {
    hint = std::move(h);
    return std::move(*this);
}

Error &&Error::with_code(berth_status c) && {
    code = c;
    return std::move(*this);
}

berth_status status_from_errno(int err) {
    switch (err) {
    case EPERM:
    case EACCES:
        return BERTH_E_PERMISSION;
    case ENOENT:
    case ESRCH:
        return BERTH_E_NOT_FOUND;
    case ENOSYS:
    case EOPNOTSUPP:
        return BERTH_E_NOT_SUPPORTED;
    case EINVAL:
        return BERTH_E_INVALID_ARGUMENT;
    default:
        return BERTH_E_FAILED;
    }
}

Error sys_error(std::string op, std::string object, int err) {
    Error e;
    e.code = status_from_errno(err);
    e.sys_errno = err;
    e.op = std::move(op);
    e.object = std::move(object);
    return e;
}

Error make_error(berth_status code, std::string message, std::string object) {
    Error e;
    e.code = code;
    e.op = std::move(message);
    e.object = std::move(object);
    return e;
}

} // namespace berth
