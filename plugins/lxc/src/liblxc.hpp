// liblxc opened at run time. The driver never links liblxc: a host without LXC must still load
// lxc.so and hear from probe why it cannot be used, so the library and its helpers are looked
// up here and every call goes through the function pointers this yields.
#pragma once

#include <berth/common/error.hpp>

#include <lxc/lxccontainer.h>

#include <memory>
#include <utility>
#include <string>

namespace berth::lxc {

// The three free functions of liblxc the driver needs; everything else is reached through the
// lxc_container struct's own function pointers.
struct LibLxc {
    lxc_container *(*container_new)(const char *name, const char *configpath) = nullptr;
    int (*container_put)(lxc_container *c) = nullptr;
    const char *(*get_version)() = nullptr;
};

// Opens liblxc.so.1 once per process and resolves its entry points. The library stays loaded
// until the process exits: liblxc keeps process-wide state (log, signal handling) that a
// dlclose would leave dangling. The error says what is missing and which package brings it.
Result<const LibLxc *> load_liblxc();

// LXC's static init that start(useinit) hands to the container as pid 1 (lxc-execute
// semantics). Empty when the host has none.
std::string find_lxc_init();

// One reference to an lxc_container, dropped with lxc_container_put.
class Container {
public:
    Container(const LibLxc *lib, lxc_container *c) : lib_(lib), c_(c) {}
    Container(Container &&o) noexcept : lib_(o.lib_), c_(std::exchange(o.c_, nullptr)) {}
    Container(const Container &) = delete;
    Container &operator=(const Container &) = delete;
    Container &operator=(Container &&) = delete;
    ~Container() {
        if (c_ != nullptr)
            lib_->container_put(c_);
    }
    lxc_container *operator->() const { return c_; }
    lxc_container *get() const { return c_; }

private:
    const LibLxc *lib_;
    lxc_container *c_;
};

// A handle on container `name` under `lxcpath` (whose config, if saved, is loaded).
Result<Container> open_container(const LibLxc &lib, const std::string &name,
                                 const std::string &lxcpath);

// lxc_container_new through `lib`, serialised against remove_lock_dir (see there). NULL when
// liblxc refuses; usable in the forked monitor.
lxc_container *new_container(const LibLxc &lib, const std::string &name,
                             const std::string &lxcpath);

// liblxc mirrors every lxcpath as a directory tree below /run/lxc/lock (its lock files live
// there) and never removes it. This removes the tree of `lxcpath` and the parents it leaves
// empty. Parents are shared with other containers, whose lxc_container_new may be creating a
// path through them at this moment (mkdir -p, one level at a time, in any berth process): the
// removal therefore holds an exclusive lock that new_container takes shared.
Result<> remove_lock_dir(const std::string &lxcpath);

} // namespace berth::lxc
