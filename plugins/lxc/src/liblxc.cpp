#include "liblxc.hpp"

#include <berth/common/unique_fd.hpp>

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <array>
#include <cstring>
#include <filesystem>
#include <mutex>

namespace berth::lxc {

namespace {

namespace fs = std::filesystem;

// liblxc's lock root for root (its rundir is /run) and berth's lock beside LXC's trees.
constexpr const char *kLockRoot = "/run/lxc/lock";
constexpr const char *kTreeLock = "/run/lxc/lock/.berth-tree.lock";

// flock(2) on kTreeLock, held for the life of the object. Each instance opens the file
// itself, so it excludes threads of one process as well as other processes.
class TreeLock {
public:
    explicit TreeLock(int operation) {
        std::error_code ec;
        fs::create_directories(kLockRoot, ec);
        fd_.reset(::open(kTreeLock, O_RDWR | O_CREAT | O_CLOEXEC, 0600));
        if (fd_) {
            int rc;
            do
                rc = ::flock(fd_.get(), operation);
            while (rc != 0 && errno == EINTR);
        }
    }
    explicit operator bool() const { return static_cast<bool>(fd_); }

private:
    UniqueFd fd_;
};

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

lxc_container *new_container(const LibLxc &lib, const std::string &name,
                             const std::string &lxcpath) {
    // Without the lock file (read-only /run) liblxc still works; only pruning is unsafe.
    TreeLock shared(LOCK_SH);
    return lib.container_new(name.c_str(), lxcpath.c_str());
}

Result<> remove_lock_dir(const std::string &lxcpath) {
    TreeLock exclusive(LOCK_EX);
    if (!exclusive)
        return fail(sys_error("open lock", kTreeLock));
    fs::path tree = fs::path(kLockRoot) / fs::path(lxcpath).relative_path();
    std::error_code ec;
    fs::remove_all(tree, ec);
    if (ec)
        return fail(sys_error("remove liblxc lock directory", tree.string(), ec.value()));
    for (fs::path p = tree.parent_path(); p.string().size() > std::strlen(kLockRoot);
         p = p.parent_path())
        if (::rmdir(p.c_str()) != 0)
            break; // another container's tree is below it
    return {};
}

Result<Container> open_container(const LibLxc &lib, const std::string &name,
                                 const std::string &lxcpath) {
    errno = 0;
    lxc_container *c = new_container(lib, name, lxcpath);
    if (c == nullptr)
        return fail(make_error(BERTH_E_FAILED, "liblxc could not open container",
                               lxcpath + "/" + name));
    return Container(&lib, c);
}

} // namespace berth::lxc
