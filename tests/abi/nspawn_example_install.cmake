# Installs berth as a distribution would (host, native driver, SDK) into a fresh prefix, then
# builds examples/nspawn-driver out of tree against that prefix alone and installs it into
# the prefix's driver directory. Run with cmake -P by the nspawn example's test:
#   -DBUILD_DIR=<berth's build tree> -DSOURCE_DIR=<examples/nspawn-driver> -DWORK_DIR=<scratch>
# The prefix is WORK_DIR/stage/opt/berth.
include(${CMAKE_CURRENT_LIST_DIR}/sdk_prefix.cmake)

set(prefix /opt/berth)
set(installed ${WORK_DIR}/stage${prefix})
file(REMOVE_RECURSE ${WORK_DIR})
sdk_install(${BUILD_DIR} ${WORK_DIR}/stage ${prefix} host driver-native dev)

sdk_configure(${SOURCE_DIR} ${WORK_DIR}/build ${installed})
sdk_run("building ${SOURCE_DIR}" ${CMAKE_COMMAND} --build ${WORK_DIR}/build -j 2)
sdk_run("installing ${SOURCE_DIR}" ${CMAKE_COMMAND} --install ${WORK_DIR}/build)

if(NOT EXISTS ${installed}/lib/berth/drivers/nspawn.so)
    message(FATAL_ERROR "the example did not install into ${installed}/lib/berth/drivers")
endif()
