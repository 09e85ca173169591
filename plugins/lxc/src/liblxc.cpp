#include "liblxc.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <fmt/format.h>

#include <array>
#include <mutex>

namespace berth::lxc {

namespace {

template <class F>
bool resolve(void *handle, const char *symbol, F &out) {
    out = reinterpret_cast<F>(dlsym(handle, symbol));
    return out != nullptr;
}

} // namespace

Result<const LibLxc *> load_liblxc() {
    static std::once_flag once;
    static LibLxc lib;
    static Result<const LibLxc *> loaded = fail(make_error(BERTH_E_UNAVAILABLE, "not loaded"));
    std::call_once(once, [] {
        void *handle = dlopen(BERTH_LXC_SONAME, RTLD_NOW | RTLD_LOCAL);
        if (handle == nullptr) {
            const char *why = dlerror();
            loaded = fail(make_error(BERTH_E_UNAVAILABLE,
                                     fmt::format("{} not found (install Debian's lxc package)",
                                                 BERTH_LXC_SONAME))
                              .with_hint(why ? why : "dlopen failed"));
            return;
        }
        const char *missing = nullptr;
        if (!resolve(handle, "lxc_container_new", lib.container_new))
            missing = "lxc_container_new";
        else if (!resolve(handle, "lxc_container_put", lib.container_put))
            missing = "lxc_container_put";
        else if (!resolve(handle, "lxc_get_version", lib.get_version))
            missing = "lxc_get_version";
        if (missing != nullptr) {
            loaded = fail(make_error(BERTH_E_UNAVAILABLE,
                                     fmt::format("{} lacks {} (install liblxc 4.0 or newer)",
                                                 BERTH_LXC_SONAME, missing)));
            return;
        }
        loaded = &lib;
    });
    return loaded;
}

std::string find_lxc_init() {
    // liblxc opens its static init from its own SBINDIR and fexecve()s it inside the
    // container, so the container's root filesystem needs no init of its own.
    static constexpr std::array paths = {"/usr/sbin/init.lxc.static", "/sbin/init.lxc.static",
                                         "/usr/local/sbin/init.lxc.static"};
    for (const char *p : paths)
        if (access(p, X_OK) == 0)
            return p;
    return {};
}

Result<Container> open_container(const LibLxc &lib, const std::string &name,
                                 const std::string &lxcpath) {
    errno = 0;
    lxc_container *c = lib.container_new(name.c_str(), lxcpath.c_str());
    if (c == nullptr)
        return fail(make_error(BERTH_E_FAILED, "liblxc could not open container",
                               lxcpath + "/" + name));
    return Container(&lib, c);
}

} // namespace berth::lxc
