// Runs a cleanup when the scope ends unless cancel() was called: the way a setup step that
// succeeded hands its resource on, and a failed one undoes itself.
#pragma once

#include <utility>

namespace berth {

template <class F>
class ScopeGuard {
public:
    explicit ScopeGuard(F f) : f_(std::move(f)) {}
    ScopeGuard(const ScopeGuard &) = delete;
    ScopeGuard &operator=(const ScopeGuard &) = delete;
    ~ScopeGuard() {
        if (active_)
            f_();
    }
    void cancel() { active_ = false; }

private:
    F f_;
    bool active_ = true;
};

} // namespace berth
