# berth_add_driver(NAME SOURCES...): builds NAME.so into the drivers directory with hidden
# visibility, a version script that exports only the ABI entry symbol, and no undefined
# symbols, so a driver is checked against its dependencies at link time, not at dlopen.
function(berth_add_driver name)
    add_library(berth-driver-${name} MODULE ${ARGN})
    set_target_properties(berth-driver-${name} PROPERTIES
        PREFIX ""
        OUTPUT_NAME ${name}
        LIBRARY_OUTPUT_DIRECTORY ${BERTH_DRIVER_OUTPUT_DIR})
    target_link_libraries(berth-driver-${name} PRIVATE berth::common)
    target_link_options(berth-driver-${name} PRIVATE
        -Wl,--no-undefined
        -Wl,--version-script=${PROJECT_SOURCE_DIR}/plugin-api/berth-driver.map)
    set_property(TARGET berth-driver-${name} APPEND PROPERTY LINK_DEPENDS
        ${PROJECT_SOURCE_DIR}/plugin-api/berth-driver.map)
    install(TARGETS berth-driver-${name} LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}/berth/drivers
            COMPONENT driver-${name})
endfunction()
