# Writes a ready OCI bundle at BUNDLE: `berth spec` output pointed at the busybox root
# filesystem, without a terminal, running a short greeting (used by the README's first
# command), or with PROGRAM=web a small web server on port 80 (the README's network example).
# Inputs: BERTH (the berth binary), ROOTFS, BUNDLE, PROGRAM (greeting or web).
file(REMOVE_RECURSE ${BUNDLE})
file(MAKE_DIRECTORY ${BUNDLE})
execute_process(COMMAND ${BERTH} spec --bundle ${BUNDLE} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "berth spec --bundle ${BUNDLE} failed")
endif()
file(READ ${BUNDLE}/config.json spec)
string(JSON spec SET "${spec}" root path "\"${ROOTFS}\"")
string(JSON spec SET "${spec}" root readonly "true")
string(JSON spec SET "${spec}" process terminal "false")
if(PROGRAM STREQUAL "web")
    string(JSON spec SET "${spec}" process args
        "[\"sh\", \"-c\", \"echo hello from $(hostname) > /dev/shm/index.html; exec httpd -f -p 80 -h /dev/shm\"]")
else()
    string(JSON spec SET "${spec}" process args
        "[\"sh\", \"-c\", \"echo hello from $(hostname), running as pid $$ of its own pid namespace\"]")
endif()
file(WRITE ${BUNDLE}/config.json "${spec}")
