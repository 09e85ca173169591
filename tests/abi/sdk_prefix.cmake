# What the SDK tests share: installing parts of the build tree into a fresh prefix, and building
# a driver project against that prefix alone. Included by the test scripts run with cmake -P.

# sdk_run(WHAT COMMAND...): runs COMMAND, stops the script naming WHAT when it fails; its
# standard output is left in `sdk_output`.
function(sdk_run what)
    execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "${what} failed (${rc}):\n${out}\n${err}")
    endif()
    set(sdk_output "${out}" PARENT_SCOPE)
endfunction()

# sdk_install(BUILD_DIR DESTDIR PREFIX COMPONENT...): `cmake --install` of each component.
# With a DESTDIR the files land in DESTDIR/PREFIX, and those with an absolute destination
# (the host's berth.yaml under the configured sysconfdir) stay inside DESTDIR as well; pass ""
# to install straight into PREFIX.
function(sdk_install build_dir destdir prefix)
    foreach(component ${ARGN})
        sdk_run("installing component ${component}" ${CMAKE_COMMAND} -E env DESTDIR=${destdir}
            ${CMAKE_COMMAND} --install ${build_dir} --prefix ${prefix} --component ${component})
    endforeach()
endfunction()

# sdk_configure(SOURCE_DIR BUILD_DIR PREFIX [ARGS...]): configures a driver project that sees
# only PREFIX: CMAKE_FIND_USE_* keep find_package away from the package registries.
function(sdk_configure source_dir build_dir prefix)
    sdk_run("configuring ${source_dir} against the installed SDK" ${CMAKE_COMMAND}
        -S ${source_dir} -B ${build_dir} -DCMAKE_PREFIX_PATH=${prefix}
        -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF
        ${ARGN})
endfunction()
