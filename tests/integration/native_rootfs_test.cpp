// The native driver's root filesystem, observed from inside: first by running setup_rootfs in
// a forked child in fresh namespaces (as the container's init does), then through real
// containers started with `berth run`.
#include "native_isolation_child.hpp"

#include "rootfs.hpp"

#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>

#include <set>

using namespace berth::test;
using nlohmann::json;

namespace {

json mount(const std::string &dest, const std::string &type, const std::string &source,
           const std::vector<std::string> &options) {
    return {{"destination", dest}, {"type", type}, {"source", source}, {"options", options}};
}

// The mounts `berth spec` gives a container, as the OCI runtime-spec's example has them.
json default_mounts() {
    return json::array({
        mount("/proc", "proc", "proc", {}),
        mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}),
        mount("/dev/pts", "devpts", "devpts",
              {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}),
        mount("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}),
        mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}),
        mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}),
        mount("/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "relatime", "ro"}),
    });
}

json base_spec(const fs::path &rootfs) {
    return {
        {"root", {{"path", rootfs.string()}, {"readonly", false}}},
        {"hostname", "berth-rootfs-test"},
        {"mounts", default_mounts()},
        {"linux",
         {{"namespaces", json::array({{{"type", "mount"}}, {{"type", "uts"}}, {{"type", "ipc"}},
                                      {{"type", "cgroup"}}})},
          {"maskedPaths", {"/proc/kcore", "/proc/timer_list", "/proc/scsi", "/sys/firmware"}},
          {"readonlyPaths", {"/proc/sys", "/proc/sysrq-trigger"}}}},
    };
}

constexpr int container_ns = CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWCGROUP;

// Mount points of the calling process, one per line.
std::string mount_points() {
    std::string out;
    std::istringstream in(slurp("/proc/self/mountinfo"));
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        std::string f, point;
        for (int i = 0; i < 5 && ls >> f; ++i)
            point = f;
        out += point + "\n";
    }
    return out;
}

std::vector<std::string> lines(const std::string &text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line))
        out.push_back(line);
    return out;
}

std::string errno_of(int rc) { return rc == 0 ? "ok" : strerror(errno); }

} // namespace

TEST_CASE("setup_rootfs leaves only the container's mounts visible", "[root]") {
    require_root();
    Sandbox sb;
    json spec = base_spec(rootfs_dir());
    auto o = run_in_child(container_ns, [&] {
        auto r = berth::native::setup_rootfs(spec, sb.dir(), false);
        return r ? mount_points() : "error: " + r.error().render();
    });
    REQUIRE(o.exit_code == 0);
    INFO(o.report);
    REQUIRE(o.report.rfind("error:", 0) != 0);
    std::set<std::string> allowed = {"/",           "/proc",          "/dev",
                                     "/dev/pts",    "/dev/shm",       "/dev/mqueue",
                                     "/sys",        "/sys/fs/cgroup", "/proc/kcore",
                                     "/proc/timer_list", "/proc/scsi", "/sys/firmware",
                                     "/proc/sys",   "/proc/sysrq-trigger"};
    for (const auto &point : lines(o.report)) {
        INFO(point);
        bool cgroup = point.rfind("/sys/fs/cgroup/", 0) == 0;
        CHECK((allowed.count(point) == 1 || cgroup));
    }
    // The host's own mounts (every one but "/") are all out of sight.
    for (const auto &host : lines(mount_points()))
        if (host != "/" && allowed.count(host) == 0 && host.rfind("/sys/fs/cgroup/", 0) != 0)
            CHECK(o.report.find(host + "\n") == std::string::npos);
    REQUIRE(mounts_under(rootfs_dir().string()).empty());
}

TEST_CASE("the container's /dev holds the standard device nodes and symlinks", "[root]") {
    require_root();
    Sandbox sb;
    json spec = base_spec(rootfs_dir());
    auto o = run_in_child(container_ns, [&] {
        auto r = berth::native::setup_rootfs(spec, sb.dir(), false);
        if (!r)
            return "error: " + r.error().render();
        std::string out;
        for (const char *dev : {"null", "zero", "full", "random", "urandom", "tty"}) {
            struct stat st;
            std::string p = std::string("/dev/") + dev;
            if (stat(p.c_str(), &st) != 0) {
                out += p + " missing\n";
                continue;
            }
            char buf[80];
            snprintf(buf, sizeof buf, "%s %c %u:%u %o\n", p.c_str(),
                     S_ISCHR(st.st_mode) ? 'c' : '?', major(st.st_rdev), minor(st.st_rdev),
                     st.st_mode & 07777);
            out += buf;
        }
        for (const char *link : {"fd", "stdin", "stdout", "stderr", "ptmx"}) {
            char target[256] = {};
            std::string p = std::string("/dev/") + link;
            ssize_t n = readlink(p.c_str(), target, sizeof target - 1);
            out += p + " -> " + (n > 0 ? std::string(target) : "none") + "\n";
        }
        return out;
    });
    REQUIRE(o.exit_code == 0);
    REQUIRE(o.report == "/dev/null c 1:3 666\n"
                        "/dev/zero c 1:5 666\n"
                        "/dev/full c 1:7 666\n"
                        "/dev/random c 1:8 666\n"
                        "/dev/urandom c 1:9 666\n"
                        "/dev/tty c 5:0 666\n"
                        "/dev/fd -> /proc/self/fd\n"
                        "/dev/stdin -> /proc/self/fd/0\n"
                        "/dev/stdout -> /proc/self/fd/1\n"
                        "/dev/stderr -> /proc/self/fd/2\n"
                        "/dev/ptmx -> pts/ptmx\n");
}

TEST_CASE("masked paths read empty, read-only paths and a read-only root refuse writes",
          "[root]") {
    require_root();
    Sandbox sb;
    json spec = base_spec(rootfs_dir());
    spec["root"]["readonly"] = true;
    auto o = run_in_child(container_ns, [&] {
        auto r = berth::native::setup_rootfs(spec, sb.dir(), false);
        if (!r)
            return "error: " + r.error().render();
        std::string out;
        out += "kcore: [" + slurp("/proc/kcore") + "]\n";
        out += "timer_list: [" + slurp("/proc/timer_list") + "]\n";
        int fd = open("/proc/sys/kernel/shmmax", O_WRONLY | O_CLOEXEC);
        out += "proc/sys: " + std::string(fd < 0 ? strerror(errno) : "writable") + "\n";
        if (fd >= 0)
            close(fd);
        fd = open("/new-file", O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
        out += "root: " + std::string(fd < 0 ? strerror(errno) : "writable") + "\n";
        if (fd >= 0)
            close(fd);
        fd = open("/dev/shm/scratch", O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
        out += "shm: " + std::string(fd < 0 ? strerror(errno) : "writable") + "\n";
        if (fd >= 0)
            close(fd);
        struct statvfs sv;
        statvfs("/sys", &sv);
        out += "sys read-only: " + std::to_string((sv.f_flag & ST_RDONLY) != 0) + "\n";
        return out;
    });
    REQUIRE(o.exit_code == 0);
    REQUIRE(o.report == "kcore: []\n"
                        "timer_list: []\n"
                        "proc/sys: Read-only file system\n"
                        "root: Read-only file system\n"
                        "shm: writable\n"
                        "sys read-only: 1\n");
    REQUIRE_FALSE(fs::exists(rootfs_dir() / "new-file"));
}

TEST_CASE("a bind mount carries ro, nosuid, nodev and noexec", "[root]") {
    require_root();
    Sandbox sb;
    fs::create_directories(sb.dir() / "shared");
    { std::ofstream(sb.dir() / "shared" / "hello") << "hi"; }
    json spec = base_spec(rootfs_dir());
    // A relative bind source resolves against the bundle (here the sandbox directory).
    spec["mounts"].push_back(
        mount("/mnt", "bind", "shared", {"rbind", "ro", "nosuid", "nodev", "noexec"}));
    auto o = run_in_child(container_ns, [&] {
        auto r = berth::native::setup_rootfs(spec, sb.dir(), false);
        if (!r)
            return "error: " + r.error().render();
        struct statvfs sv;
        if (statvfs("/mnt", &sv) != 0)
            return std::string("statvfs failed");
        std::string out = "content: " + slurp("/mnt/hello") + "\n";
        out += "ro " + std::to_string((sv.f_flag & ST_RDONLY) != 0);
        out += " nosuid " + std::to_string((sv.f_flag & ST_NOSUID) != 0);
        out += " nodev " + std::to_string((sv.f_flag & ST_NODEV) != 0);
        out += " noexec " + std::to_string((sv.f_flag & ST_NOEXEC) != 0) + "\n";
        int fd = open("/mnt/new", O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
        out += "write: " + std::string(fd < 0 ? strerror(errno) : "allowed") + "\n";
        return out;
    });
    REQUIRE(o.exit_code == 0);
    REQUIRE(o.report == "content: hi\nro 1 nosuid 1 nodev 1 noexec 1\n"
                        "write: Read-only file system\n");
    REQUIRE(mounts_under(sb.dir().string()).empty());
}

TEST_CASE("a mount target behind a symlink stays inside the rootfs", "[root]") {
    require_root();
    Sandbox sb;
    fs::path rootfs = sb.dir() / "rootfs";
    fs::path outside = sb.dir() / "outside";
    fs::create_directories(rootfs / "proc");
    fs::create_directories(outside);
    // Absolute and relative escapes: both must resolve as if the rootfs were "/".
    fs::create_symlink("/../../../.." + outside.string(), rootfs / "abs");
    fs::create_symlink("../../../../../../.." + outside.string(), rootfs / "rel");
    json spec = {{"root", {{"path", rootfs.string()}}},
                 {"mounts", json::array({mount("/abs/a", "tmpfs", "tmpfs", {}),
                                         mount("/rel/b", "tmpfs", "tmpfs", {})})}};
    auto o = run_in_child(0, [&] {
        auto r = berth::native::setup_rootfs(spec, sb.dir(), false);
        return r ? std::string("ok") : "error: " + r.error().render();
    });
    REQUIRE(o.exit_code == 0);
    REQUIRE(o.report == "ok");
    CHECK(fs::is_empty(outside));
    CHECK(fs::is_directory(rootfs / outside.relative_path() / "a"));
    CHECK(fs::is_directory(rootfs / outside.relative_path() / "b"));
    REQUIRE(mounts_under(sb.dir().string()).empty());
}

TEST_CASE("hostname and domainname are set in the container's uts namespace", "[root]") {
    require_root();
    json spec = {{"hostname", "box-one"}, {"domainname", "berth.test"}};
    auto o = run_in_child(CLONE_NEWUTS, [&] {
        auto r = berth::native::set_hostname(spec);
        if (!r)
            return "error: " + r.error().render();
        utsname u{};
        uname(&u);
        return std::string(u.nodename) + " " + u.domainname;
    });
    REQUIRE(o.report == "box-one berth.test");
}

TEST_CASE("a namespaced sysctl is written in the container", "[root]") {
    require_root();
    Sandbox sb;
    json spec = base_spec(rootfs_dir());
    spec["linux"]["sysctl"] = {{"kernel.shmmni", "1234"}, {"fs/mqueue/msg_max", "17"}};
    auto o = run_in_child(container_ns, [&] {
        auto r = berth::native::setup_rootfs(spec, sb.dir(), false);
        if (!r)
            return "error: " + r.error().render();
        return slurp("/proc/sys/kernel/shmmni") + slurp("/proc/sys/fs/mqueue/msg_max");
    });
    REQUIRE(o.report == "1234\n17\n");
}

TEST_CASE("a host-wide sysctl is refused before anything is set up", "[root]") {
    Sandbox sb;
    json spec = base_spec(rootfs_dir());
    spec["linux"]["sysctl"] = {{"vm.swappiness", "10"}};
    auto r = berth::native::validate_rootfs(spec, sb.dir());
    REQUIRE_FALSE(r);
    REQUIRE(r.error().render() ==
            "refuse host-wide sysctl `vm.swappiness` (hint: only namespaced sysctls (kernel.msg*, "
            "kernel.sem, kernel.shm*, fs.mqueue.*, net.*) can be set for a container; set it on "
            "the host or remove it from linux.sysctl)");

    spec["linux"]["sysctl"] = {{"net.ipv4.ip_forward", "1"}};
    r = berth::native::validate_rootfs(spec, sb.dir());
    REQUIRE_FALSE(r);
    REQUIRE(r.error().render() ==
            "set sysctl `net.ipv4.ip_forward` (hint: it belongs to the network namespace, which "
            "this container shares with the host; add that namespace to linux.namespaces)");
}

TEST_CASE("validate_rootfs names a missing rootfs and a relative mount destination", "[unit]") {
    Sandbox sb;
    json spec = {{"root", {{"path", "no-such-rootfs"}}}};
    auto r = berth::native::validate_rootfs(spec, sb.dir());
    REQUIRE_FALSE(r);
    REQUIRE(r.error().render() == "resolve rootfs `" + (sb.dir() / "no-such-rootfs").string() +
                                      "`: No such file or directory");

    spec = base_spec(rootfs_dir());
    spec["mounts"].push_back(mount("data", "tmpfs", "tmpfs", {}));
    r = berth::native::validate_rootfs(spec, sb.dir());
    REQUIRE_FALSE(r);
    REQUIRE(r.error().render() == "mount destination must be an absolute path `data`");

    spec = base_spec(rootfs_dir());
    spec["mounts"].push_back(mount("/data", "tmpfs", "tmpfs", {"tmpcopyup"}));
    r = berth::native::validate_rootfs(spec, sb.dir());
    REQUIRE_FALSE(r);
    REQUIRE(r.error().render() ==
            "mount /data: mount option `tmpcopyup` (hint: remove it from the mount's options)");
}

TEST_CASE("without pivot_root the rootfs is moved over / and entered with chroot", "[root]") {
    require_root();
    Sandbox sb;
    json spec = base_spec(rootfs_dir());
    auto o = run_in_child(container_ns, [&] {
        auto r = berth::native::setup_rootfs(spec, sb.dir(), true);
        if (!r)
            return "error: " + r.error().render();
        struct stat st;
        std::string out = "busybox: " + errno_of(stat("/bin/busybox", &st)) + "\n";
        out += "host tree: " + errno_of(stat(rootfs_dir().c_str(), &st)) + "\n";
        return out;
    });
    REQUIRE(o.report == "busybox: ok\nhost tree: No such file or directory\n");
}
