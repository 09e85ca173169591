# Installs the SDK (component dev) into a fresh prefix, builds tests/abi/sdk-consumer against
# that prefix alone, once with find_package(BerthDriver) and once with pkg-config, and runs
# berth-driver-check on both results. Run by ctest with -DBUILD_DIR= -DSOURCE_DIR= -DWORK_DIR=
# -DCHECKER=.
include(${CMAKE_CURRENT_LIST_DIR}/sdk_prefix.cmake)

set(prefix ${WORK_DIR}/prefix)
file(REMOVE_RECURSE ${WORK_DIR})
sdk_install(${BUILD_DIR} "" ${prefix} dev)

foreach(f include/berth/driver.h include/berth/driver_helpers.hpp share/berth/berth-driver.map
        lib/cmake/BerthDriver/BerthDriverConfig.cmake
        lib/cmake/BerthDriver/BerthDriverConfigVersion.cmake lib/pkgconfig/berth-driver.pc
        bin/berth-driver-check)
    if(NOT EXISTS ${prefix}/${f})
        message(FATAL_ERROR "the dev component did not install ${f}")
    endif()
endforeach()

# find_package route.
sdk_configure(${SOURCE_DIR} ${WORK_DIR}/build ${prefix})
sdk_run("building the example" ${CMAKE_COMMAND} --build ${WORK_DIR}/build)
sdk_run("berth-driver-check on the CMake-built example" ${CHECKER}
    ${WORK_DIR}/build/sdk-example.so)

# pkg-config route: the compile line a Makefile author would write.
sdk_run("pkg-config" ${CMAKE_COMMAND} -E env PKG_CONFIG_PATH=${prefix}/lib/pkgconfig
    pkg-config --cflags --libs berth-driver)
string(STRIP "${sdk_output}" flags)
separate_arguments(flags UNIX_COMMAND "${flags}")
file(MAKE_DIRECTORY ${WORK_DIR}/pc)
sdk_run("compiling the example with pkg-config flags" c++ -std=c++17 -shared -fPIC
    -o ${WORK_DIR}/pc/sdk-example.so ${SOURCE_DIR}/sdk_example_driver.cpp ${flags})
sdk_run("berth-driver-check on the pkg-config-built example" ${CHECKER}
    ${WORK_DIR}/pc/sdk-example.so)
sdk_run("pkg-config driversdir" ${CMAKE_COMMAND} -E env PKG_CONFIG_PATH=${prefix}/lib/pkgconfig
    pkg-config --variable=driversdir berth-driver)
string(STRIP "${sdk_output}" drivers_dir)
cmake_path(SET drivers_dir NORMALIZE "${drivers_dir}")
cmake_path(SET want NORMALIZE "${prefix}/lib/berth/drivers")
if(NOT drivers_dir STREQUAL want)
    message(FATAL_ERROR "pkg-config driversdir is ${drivers_dir}, expected ${want}")
endif()
file(REMOVE_RECURSE ${WORK_DIR})
