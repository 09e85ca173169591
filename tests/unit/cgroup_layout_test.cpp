#include "cgroup_layout.hpp"

#include <catch2/catch.hpp>

using namespace berth::native;

namespace {

// /proc/self/mountinfo of a host like the CI machine: v1 controllers on separate mounts (cpu
// apart from cpuacct), a named systemd hierarchy, and a cgroup2 tree beside them.
const char *hybrid_mountinfo =
    "23 1 0:21 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime shared:9 - cgroup cgroup rw,pids\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup "
    "rw,xattr,release_agent=/lib/systemd/systemd-cgroups-agent,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate\n";

} // namespace

TEST_CASE("layout parsing finds each v1 controller mount and the cgroup2 tree", "[unit]") {
    CgroupLayout l = parse_cgroup_mountinfo(hybrid_mountinfo);
    REQUIRE(l.mode() == CgroupMode::hybrid);
    REQUIRE(l.unified == "/sys/fs/cgroup/unified");
    REQUIRE(l.v1.size() == 5);
    REQUIRE(l.v1_hierarchy("cpu")->mountpoint == "/sys/fs/cgroup/cpu");
    REQUIRE(l.v1_hierarchy("cpuacct")->mountpoint == "/sys/fs/cgroup/cpuacct");
    REQUIRE(l.v1_hierarchy("cpu")->controllers == std::vector<std::string>{"cpu"});
    REQUIRE(l.v1_hierarchy("name=systemd")->mountpoint == "/sys/fs/cgroup/systemd");
    REQUIRE(l.v1_hierarchy("hugetlb") == nullptr);
}

TEST_CASE("layout parsing keeps co-mounted v1 controllers together", "[unit]") {
    CgroupLayout l = parse_cgroup_mountinfo(
        "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
        "33 31 0:30 / /sys/fs/cgroup/net_cls,net_prio rw - cgroup cgroup rw,net_cls,net_prio\n");
    REQUIRE(l.mode() == CgroupMode::v1);
    REQUIRE(l.v1.size() == 2);
    REQUIRE(l.v1_hierarchy("cpuacct") == l.v1_hierarchy("cpu"));
    REQUIRE(l.v1_hierarchy("cpu")->controllers == std::vector<std::string>{"cpu", "cpuacct"});
    REQUIRE(l.version_of("cpuacct") == 1);
    REQUIRE(l.version_of("memory") == 0);
    REQUIRE(l.version_of("devices") == 0);
}

TEST_CASE("layout parsing sees a unified-only host as cgroup v2", "[unit]") {
    CgroupLayout l = parse_cgroup_mountinfo(
        "30 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n");
    l.unified_controllers = {"cpuset", "cpu", "io", "memory", "pids"};
    REQUIRE(l.mode() == CgroupMode::v2);
    REQUIRE(l.unified == "/sys/fs/cgroup");
    REQUIRE(l.version_of("memory") == 2);
    REQUIRE(l.version_of("devices") == 2);
    REQUIRE(l.version_of("freezer") == 2);
    REQUIRE(l.version_of("hugetlb") == 0);
}

TEST_CASE("a v1 controller is served by v1 even where the cgroup2 tree exists", "[unit]") {
    CgroupLayout l = parse_cgroup_mountinfo(hybrid_mountinfo);
    l.unified_controllers = {"hugetlb"};
    REQUIRE(l.version_of("memory") == 1);
    REQUIRE(l.version_of("hugetlb") == 2);
    REQUIRE(l.version_of("devices") == 2); // no v1 devices mount in this sample
    REQUIRE(l.version_of("io") == 0);
}

TEST_CASE("layout parsing decodes escaped mountpoints and ignores a second mount of a "
          "hierarchy",
          "[unit]") {
    CgroupLayout l = parse_cgroup_mountinfo(
        "32 31 0:29 / /sys/fs/cgroup/my\\040pids rw - cgroup cgroup rw,pids\n"
        "50 23 0:29 / /mnt/pids-again rw - cgroup cgroup rw,pids\n"
        "garbage line\n");
    REQUIRE(l.v1.size() == 1);
    REQUIRE(l.v1[0].mountpoint == "/sys/fs/cgroup/my pids");
}

TEST_CASE("a host without cgroup mounts has no layout", "[unit]") {
    REQUIRE(parse_cgroup_mountinfo("23 1 0:21 / / rw - ext4 /dev/vda rw\n").mode() ==
            CgroupMode::none);
}
