# Debian packages, one per install component, made with `cpack -G DEB` in the build directory:
#
#   berth                 the host, berth-monitor, /etc/berth/berth.yaml, man pages, completion
#   berth-driver-native   native.so              (only when BERTH_DRIVER_NATIVE is on)
#   berth-driver-lxc      lxc.so                 (only when BERTH_DRIVER_LXC is on and built)
#   berth-driver-chroot   chroot.so              (only when BERTH_DRIVER_CHROOT is on)
#   berth-dev             the driver SDK and berth-driver-check
#
# The packages install under CMAKE_INSTALL_PREFIX, the prefix the binaries were built for: berth
# has its configuration file, driver directory and monitor path compiled in, so a package
# relocated elsewhere would not find them. Configure with -DCMAKE_INSTALL_PREFIX=/usr for
# packages that follow Debian's layout (/usr/bin, /usr/lib/<multiarch>/berth/drivers, /etc).

set(CPACK_PACKAGE_NAME berth)
set(CPACK_PACKAGE_VENDOR "berth")
set(CPACK_PACKAGE_CONTACT "berth maintainers <maintainers@berth.invalid>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
# Each component's description starts with its own synopsis line. CPack's DEB generator would
# put the project's summary in front of it, making that the synopsis of every package; at
# packaging time the summary is reset to CPack's placeholder, which the generator leaves out.
file(CONFIGURE OUTPUT ${PROJECT_BINARY_DIR}/packaging/project_config.cmake CONTENT [=[
if(CPACK_GENERATOR STREQUAL "DEB")
    set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${CPACK_DEFAULT_PACKAGE_DESCRIPTION_SUMMARY}")
endif()
]=] @ONLY)
set(CPACK_PROJECT_CONFIG_FILE ${PROJECT_BINARY_DIR}/packaging/project_config.cmake)
set(CPACK_PACKAGE_DIRECTORY ${PROJECT_BINARY_DIR}/packages)

# Install with DESTDIR into the staging tree at the real prefix, so absolute destinations
# (/etc/berth when the prefix is /usr) land inside the package instead of on this machine.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})

set(CPACK_GENERATOR DEB)
# As Debian's own packages are: without debug information, which is most of a RelWithDebInfo
# binary (the native driver shrinks from about 43 to 2 MB).
set(CPACK_STRIP_FILES ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Library dependencies come from the ELF files themselves (dpkg-shlibdeps, from dpkg-dev).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# A driver needs the host of its own release: the same version, not merely the same ABI.
set(CPACK_DEBIAN_ENABLE_COMPONENT_DEPENDS ON)

set(berth_components host)
set(CPACK_DEBIAN_HOST_PACKAGE_NAME berth)
set(CPACK_DEBIAN_HOST_PACKAGE_SECTION admin)
set(CPACK_COMPONENT_HOST_DESCRIPTION "container runtime with pluggable execution drivers
berth is an OCI container runtime with runc's command line. It loads execution drivers \
(native, lxc, chroot) as plugins through a versioned C ABI; install at least one \
berth-driver-* package.")
# dpkg keeps a changed configuration file across upgrades only when it is listed as a conffile.
if(BERTH_INSTALLED_CONFIG)
    file(CONFIGURE OUTPUT ${PROJECT_BINARY_DIR}/packaging/host/conffiles
        CONTENT "${BERTH_INSTALLED_CONFIG}\n")
    set(CPACK_DEBIAN_HOST_PACKAGE_CONTROL_EXTRA ${PROJECT_BINARY_DIR}/packaging/host/conffiles)
    set(CPACK_DEBIAN_HOST_PACKAGE_CONTROL_STRICT_PERMISSION ON)
endif()

# berth_package_driver(NAME DESCRIPTION [DEPENDS...]): one package per driver that is built.
macro(berth_package_driver name description)
    string(TOUPPER "DRIVER-${name}" comp)
    list(APPEND berth_components driver-${name})
    set(CPACK_DEBIAN_${comp}_PACKAGE_NAME berth-driver-${name})
    set(CPACK_DEBIAN_${comp}_PACKAGE_SECTION admin)
    set(CPACK_COMPONENT_${comp}_DEPENDS host)
    set(CPACK_COMPONENT_${comp}_DESCRIPTION "${description}")
    if(NOT "${ARGN}" STREQUAL "")
        string(REPLACE ";" ", " extra "${ARGN}")
        set(CPACK_DEBIAN_${comp}_PACKAGE_DEPENDS "${extra}")
    endif()
endmacro()

if(TARGET berth-driver-native)
    berth_package_driver(native
        "berth execution driver on kernel APIs
Namespaces, cgroups v1 and v2, capabilities, seccomp, AppArmor, netlink and nftables, used \
directly. berth's default driver.")
endif()
if(TARGET berth-driver-lxc)
    # liblxc is opened at run time, so dpkg-shlibdeps cannot see it; its static init, which
    # the driver's probe requires, is in liblxc-common.
    berth_package_driver(lxc
        "berth execution driver on liblxc
The isolation of LXC through liblxc, with LXC's init as the container's pid 1."
        liblxc1 liblxc-common)
endif()
if(TARGET berth-driver-chroot)
    berth_package_driver(chroot
        "berth execution driver without isolation
chroot plus credentials only: no namespaces, cgroups or seccomp. For hosts where no other \
driver works.")
endif()

# berth runs nothing without a driver: apt installs one of those built along with it.
set(berth_driver_packages ${berth_components})
list(REMOVE_ITEM berth_driver_packages host)
list(TRANSFORM berth_driver_packages PREPEND berth-)
string(REPLACE ";" " | " CPACK_DEBIAN_HOST_PACKAGE_RECOMMENDS "${berth_driver_packages}")

list(APPEND berth_components dev)
set(CPACK_DEBIAN_DEV_PACKAGE_NAME berth-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION devel)
set(CPACK_COMPONENT_DEV_DESCRIPTION "SDK for berth execution drivers
The C ABI header, C++ helpers, a CMake package (find_package(BerthDriver)), a pkg-config file \
and berth-driver-check, the conformance checker for drivers.")

set(CPACK_COMPONENTS_ALL ${berth_components})

# dpkg-shlibdeps and CPack's own tools are needed only when packaging; say so once, here,
# rather than in the middle of `cpack`.
find_program(BERTH_DPKG_SHLIBDEPS dpkg-shlibdeps)
if(NOT BERTH_DPKG_SHLIBDEPS)
    message(STATUS "packages: dpkg-shlibdeps (Debian: dpkg-dev) not found; `cpack -G DEB` "
        "will fail until it is installed")
endif()

include(CPack)
