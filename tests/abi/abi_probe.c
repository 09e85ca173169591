/*
 * Gives abidw/abidiff a binary whose debug information holds every type of today's
 * berth/driver.h: one exported function takes a pointer to each. Compared in ctest with the
 * checked-in baseline berth-driver-v1.abi, so any change to the ABI's types shows up as a
 * failing test that must be looked at (and, for a compatible addition in a new minor, the
 * baseline regenerated with the abidw command in tests/abi/CMakeLists.txt).
 */
#include <berth/driver.h>

BERTH_EXPORT int berth_abi_probe(const berth_driver_entry *entry, const berth_driver *driver,
                                 const berth_host *host, const berth_output *output,
                                 const berth_create_request *create,
                                 const berth_create_result *created,
                                 const berth_state_result *state, const berth_exec_request *exec,
                                 const berth_exec_result *executed, berth_driver_entry_fn fn);

int berth_abi_probe(const berth_driver_entry *entry, const berth_driver *driver,
                    const berth_host *host, const berth_output *output,
                    const berth_create_request *create, const berth_create_result *created,
                    const berth_state_result *state, const berth_exec_request *exec,
                    const berth_exec_result *executed, berth_driver_entry_fn fn) {
    return entry != 0 && driver != 0 && host != 0 && output != 0 && create != 0 && created != 0 &&
           state != 0 && exec != 0 && executed != 0 && fn != 0;
}
