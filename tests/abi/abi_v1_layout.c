/*
 * Baseline of the berth driver ABI v1 as released in 1.0, checked at compile time against
 * today's plugin-api/include/berth/driver.h. A build that fails here changed something a
 * driver built against 1.0 depends on: the message names the field, constant or signature.
 *
 * Structs may grow at the end in a later minor, so sizes are lower bounds; every 1.0 field
 * keeps its offset and type for the life of major 1. Do not edit the expected values to make
 * the build pass: add new fields after the last one instead, or start ABI major 2.
 */
#include <berth/driver.h>

#include <stddef.h>
#include <stdint.h>

#define BERTH_ABI_SAME_TYPE(expr, type) _Generic((expr), type : 1, default : 0)

/* Constants and status codes. */
_Static_assert(BERTH_ABI_MAJOR == 1, "BERTH_ABI_MAJOR changed: a new major needs a new header");
_Static_assert(BERTH_ABI_MINOR >= 0, "BERTH_ABI_MINOR went below the 1.0 baseline");
_Static_assert(sizeof(BERTH_DRIVER_ENTRY_SYMBOL) == sizeof("berth_driver_entry_v1"),
               "BERTH_DRIVER_ENTRY_SYMBOL changed: it must stay \"berth_driver_entry_v1\"");
_Static_assert(BERTH_OK == 0, "BERTH_OK changed value (was 0 in 1.0)");
_Static_assert(BERTH_E_FAILED == 1, "BERTH_E_FAILED changed value (was 1 in 1.0)");
_Static_assert(BERTH_E_NOT_FOUND == 2, "BERTH_E_NOT_FOUND changed value (was 2 in 1.0)");
_Static_assert(BERTH_E_NOT_SUPPORTED == 3, "BERTH_E_NOT_SUPPORTED changed value (was 3 in 1.0)");
_Static_assert(BERTH_E_INVALID_SPEC == 4, "BERTH_E_INVALID_SPEC changed value (was 4 in 1.0)");
_Static_assert(BERTH_E_PERMISSION == 5, "BERTH_E_PERMISSION changed value (was 5 in 1.0)");
_Static_assert(BERTH_E_UNAVAILABLE == 6, "BERTH_E_UNAVAILABLE changed value (was 6 in 1.0)");
_Static_assert(BERTH_E_STATE == 7, "BERTH_E_STATE changed value (was 7 in 1.0)");
_Static_assert(BERTH_E_VERSION == 8, "BERTH_E_VERSION changed value (was 8 in 1.0)");
_Static_assert(BERTH_E_INVALID_ARGUMENT == 9,
               "BERTH_E_INVALID_ARGUMENT changed value (was 9 in 1.0)");
_Static_assert(BERTH_LOG_TRACE == 0, "BERTH_LOG_TRACE changed value (was 0 in 1.0)");
_Static_assert(BERTH_LOG_DEBUG == 1, "BERTH_LOG_DEBUG changed value (was 1 in 1.0)");
_Static_assert(BERTH_LOG_INFO == 2, "BERTH_LOG_INFO changed value (was 2 in 1.0)");
_Static_assert(BERTH_LOG_WARN == 3, "BERTH_LOG_WARN changed value (was 3 in 1.0)");
_Static_assert(BERTH_LOG_ERROR == 4, "BERTH_LOG_ERROR changed value (was 4 in 1.0)");
_Static_assert(BERTH_STATUS_CREATING == 0, "BERTH_STATUS_CREATING changed value (was 0 in 1.0)");
_Static_assert(BERTH_STATUS_CREATED == 1, "BERTH_STATUS_CREATED changed value (was 1 in 1.0)");
_Static_assert(BERTH_STATUS_RUNNING == 2, "BERTH_STATUS_RUNNING changed value (was 2 in 1.0)");
_Static_assert(BERTH_STATUS_STOPPED == 3, "BERTH_STATUS_STOPPED changed value (was 3 in 1.0)");
_Static_assert(BERTH_STATUS_PAUSED == 4, "BERTH_STATUS_PAUSED changed value (was 4 in 1.0)");
_Static_assert(BERTH_CREATE_DETACHED == 1, "BERTH_CREATE_DETACHED changed value (was 1 in 1.0)");
_Static_assert(BERTH_CREATE_NO_PIVOT == 2, "BERTH_CREATE_NO_PIVOT changed value (was 2 in 1.0)");
_Static_assert(BERTH_CREATE_NO_NEW_KEYRING == 4,
               "BERTH_CREATE_NO_NEW_KEYRING changed value (was 4 in 1.0)");
_Static_assert(BERTH_KILL_ALL == 1, "BERTH_KILL_ALL changed value (was 1 in 1.0)");

_Static_assert(sizeof(berth_status) == 4 && (berth_status)-1 < 0,
               "berth_status is no longer int32_t");
_Static_assert(sizeof(berth_log_level) == 4 && (berth_log_level)-1 < 0,
               "berth_log_level is no longer int32_t");
_Static_assert(sizeof(berth_container_status) == 4 && (berth_container_status)-1 < 0,
               "berth_container_status is no longer int32_t");
_Static_assert(BERTH_ABI_SAME_TYPE((berth_driver_entry_fn)0, const berth_driver_entry *(*)(void)),
               "berth_driver_entry_fn signature changed");

/* Field types (and so function signatures) of every 1.0 struct member. */
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_output *)0)->struct_size, uint32_t),
               "berth_output.struct_size changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_output *)0)->ctx, void *),
               "berth_output.ctx changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_output *)0)->write,
                                   void (*)(void *, const char *, size_t)),
               "berth_output.write changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_host *)0)->struct_size, uint32_t),
               "berth_host.struct_size changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_host *)0)->abi_minor, uint32_t),
               "berth_host.abi_minor changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_host *)0)->host_version, const char *),
               "berth_host.host_version changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_host *)0)->ctx, void *), "berth_host.ctx changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_host *)0)->log,
                                   void (*)(void *, berth_log_level, const char *)),
               "berth_host.log changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_host *)0)->log_enabled,
                                   int32_t (*)(void *, berth_log_level)),
               "berth_host.log_enabled changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_host *)0)->report_error,
                                   void (*)(void *, berth_error *, berth_status, int32_t,
                                            const char *)),
               "berth_host.report_error changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_host *)0)->get_extension,
                                   const void *(*)(void *, const char *)),
               "berth_host.get_extension changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_container_ref *)0)->struct_size, uint32_t),
               "berth_container_ref.struct_size changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_container_ref *)0)->id, const char *),
               "berth_container_ref.id changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_container_ref *)0)->bundle, const char *),
               "berth_container_ref.bundle changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_container_ref *)0)->state_dir, const char *),
               "berth_container_ref.state_dir changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_container_ref *)0)->pid, int32_t),
               "berth_container_ref.pid changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_create_request *)0)->struct_size, uint32_t),
               "berth_create_request.struct_size changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_create_request *)0)->container, berth_container_ref),
               "berth_create_request.container changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_create_request *)0)->config_json, const char *),
               "berth_create_request.config_json changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_create_request *)0)->config_json_len, size_t),
               "berth_create_request.config_json_len changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_create_request *)0)->stdin_fd, int32_t),
               "berth_create_request.stdin_fd changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_create_request *)0)->stdout_fd, int32_t),
               "berth_create_request.stdout_fd changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_create_request *)0)->stderr_fd, int32_t),
               "berth_create_request.stderr_fd changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_create_request *)0)->console_socket, const char *),
               "berth_create_request.console_socket changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_create_request *)0)->preserve_fds, uint32_t),
               "berth_create_request.preserve_fds changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_create_request *)0)->flags, uint32_t),
               "berth_create_request.flags changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_create_result *)0)->struct_size, uint32_t),
               "berth_create_result.struct_size changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_create_result *)0)->pid, int32_t),
               "berth_create_result.pid changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_state_result *)0)->struct_size, uint32_t),
               "berth_state_result.struct_size changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_state_result *)0)->status, berth_container_status),
               "berth_state_result.status changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_state_result *)0)->pid, int32_t),
               "berth_state_result.pid changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_exec_request *)0)->struct_size, uint32_t),
               "berth_exec_request.struct_size changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_exec_request *)0)->container, berth_container_ref),
               "berth_exec_request.container changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_exec_request *)0)->process_json, const char *),
               "berth_exec_request.process_json changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_exec_request *)0)->process_json_len, size_t),
               "berth_exec_request.process_json_len changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_exec_request *)0)->stdin_fd, int32_t),
               "berth_exec_request.stdin_fd changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_exec_request *)0)->stdout_fd, int32_t),
               "berth_exec_request.stdout_fd changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_exec_request *)0)->stderr_fd, int32_t),
               "berth_exec_request.stderr_fd changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_exec_request *)0)->console_socket, const char *),
               "berth_exec_request.console_socket changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_exec_request *)0)->preserve_fds, uint32_t),
               "berth_exec_request.preserve_fds changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_exec_result *)0)->struct_size, uint32_t),
               "berth_exec_result.struct_size changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_exec_result *)0)->pid, int32_t),
               "berth_exec_result.pid changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_driver *)0)->struct_size, uint32_t),
               "berth_driver.struct_size changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_driver *)0)->self, void *),
               "berth_driver.self changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_driver *)0)->probe,
                                   berth_status (*)(void *, berth_output *, berth_error *)),
               "berth_driver.probe changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_driver *)0)->features,
                                   berth_status (*)(void *, berth_output *, berth_error *)),
               "berth_driver.features changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_driver *)0)->create,
                                   berth_status (*)(void *, const berth_create_request *,
                                                    berth_create_result *, berth_error *)),
               "berth_driver.create changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_driver *)0)->start,
                                   berth_status (*)(void *, const berth_container_ref *,
                                                    berth_error *)),
               "berth_driver.start changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_driver *)0)->state,
                                   berth_status (*)(void *, const berth_container_ref *,
                                                    berth_state_result *, berth_error *)),
               "berth_driver.state changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_driver *)0)->kill,
                                   berth_status (*)(void *, const berth_container_ref *, int32_t,
                                                    uint32_t, berth_error *)),
               "berth_driver.kill changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_driver *)0)->destroy,
                                   berth_status (*)(void *, const berth_container_ref *, int32_t,
                                                    berth_error *)),
               "berth_driver.destroy changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_driver *)0)->exec,
                                   berth_status (*)(void *, const berth_exec_request *,
                                                    berth_exec_result *, berth_error *)),
               "berth_driver.exec changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_driver *)0)->pause,
                                   berth_status (*)(void *, const berth_container_ref *,
                                                    berth_error *)),
               "berth_driver.pause changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_driver *)0)->resume,
                                   berth_status (*)(void *, const berth_container_ref *,
                                                    berth_error *)),
               "berth_driver.resume changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_driver *)0)->pids,
                                   berth_status (*)(void *, const berth_container_ref *,
                                                    berth_output *, berth_error *)),
               "berth_driver.pids changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_driver *)0)->stats,
                                   berth_status (*)(void *, const berth_container_ref *,
                                                    berth_output *, berth_error *)),
               "berth_driver.stats changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_driver *)0)->get_extension,
                                   const void *(*)(void *, const char *)),
               "berth_driver.get_extension changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_driver_entry *)0)->struct_size, uint32_t),
               "berth_driver_entry.struct_size changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_driver_entry *)0)->abi_major, uint32_t),
               "berth_driver_entry.abi_major changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_driver_entry *)0)->name, const char *),
               "berth_driver_entry.name changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_driver_entry *)0)->version, const char *),
               "berth_driver_entry.version changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_driver_entry *)0)->description, const char *),
               "berth_driver_entry.description changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_driver_entry *)0)->negotiate,
                                   int32_t (*)(uint32_t, uint32_t)),
               "berth_driver_entry.negotiate changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_driver_entry *)0)->min_minor, uint32_t),
               "berth_driver_entry.min_minor changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_driver_entry *)0)->max_minor, uint32_t),
               "berth_driver_entry.max_minor changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_driver_entry *)0)->init,
                                   berth_status (*)(const berth_host *, const char *,
                                                    const berth_driver **, berth_error *)),
               "berth_driver_entry.init changed type");
_Static_assert(BERTH_ABI_SAME_TYPE(((berth_driver_entry *)0)->deinit,
                                   void (*)(const berth_driver *)),
               "berth_driver_entry.deinit changed type");

/* Offsets and minimum sizes on LP64 targets (x86_64, aarch64, ...), as built for 1.0. */
#if defined(__LP64__)
_Static_assert(sizeof(berth_output) >= 24, "berth_output shrank below its 1.0 size of 24 bytes");
_Static_assert(offsetof(berth_output, struct_size) == 0,
               "berth_output.struct_size moved from offset 0");
_Static_assert(offsetof(berth_output, ctx) == 8, "berth_output.ctx moved from offset 8");
_Static_assert(offsetof(berth_output, write) == 16, "berth_output.write moved from offset 16");
_Static_assert(sizeof(berth_host) >= 56, "berth_host shrank below its 1.0 size of 56 bytes");
_Static_assert(offsetof(berth_host, struct_size) == 0,
               "berth_host.struct_size moved from offset 0");
_Static_assert(offsetof(berth_host, abi_minor) == 4, "berth_host.abi_minor moved from offset 4");
_Static_assert(offsetof(berth_host, host_version) == 8,
               "berth_host.host_version moved from offset 8");
_Static_assert(offsetof(berth_host, ctx) == 16, "berth_host.ctx moved from offset 16");
_Static_assert(offsetof(berth_host, log) == 24, "berth_host.log moved from offset 24");
_Static_assert(offsetof(berth_host, log_enabled) == 32,
               "berth_host.log_enabled moved from offset 32");
_Static_assert(offsetof(berth_host, report_error) == 40,
               "berth_host.report_error moved from offset 40");
_Static_assert(offsetof(berth_host, get_extension) == 48,
               "berth_host.get_extension moved from offset 48");
_Static_assert(sizeof(berth_container_ref) >= 40,
               "berth_container_ref shrank below its 1.0 size of 40 bytes");
_Static_assert(offsetof(berth_container_ref, struct_size) == 0,
               "berth_container_ref.struct_size moved from offset 0");
_Static_assert(offsetof(berth_container_ref, id) == 8,
               "berth_container_ref.id moved from offset 8");
_Static_assert(offsetof(berth_container_ref, bundle) == 16,
               "berth_container_ref.bundle moved from offset 16");
_Static_assert(offsetof(berth_container_ref, state_dir) == 24,
               "berth_container_ref.state_dir moved from offset 24");
_Static_assert(offsetof(berth_container_ref, pid) == 32,
               "berth_container_ref.pid moved from offset 32");
_Static_assert(sizeof(berth_create_request) >= 96,
               "berth_create_request shrank below its 1.0 size of 96 bytes");
_Static_assert(offsetof(berth_create_request, struct_size) == 0,
               "berth_create_request.struct_size moved from offset 0");
_Static_assert(offsetof(berth_create_request, container) == 8,
               "berth_create_request.container moved from offset 8");
_Static_assert(offsetof(berth_create_request, config_json) == 48,
               "berth_create_request.config_json moved from offset 48");
_Static_assert(offsetof(berth_create_request, config_json_len) == 56,
               "berth_create_request.config_json_len moved from offset 56");
_Static_assert(offsetof(berth_create_request, stdin_fd) == 64,
               "berth_create_request.stdin_fd moved from offset 64");
_Static_assert(offsetof(berth_create_request, stdout_fd) == 68,
               "berth_create_request.stdout_fd moved from offset 68");
_Static_assert(offsetof(berth_create_request, stderr_fd) == 72,
               "berth_create_request.stderr_fd moved from offset 72");
_Static_assert(offsetof(berth_create_request, console_socket) == 80,
               "berth_create_request.console_socket moved from offset 80");
_Static_assert(offsetof(berth_create_request, preserve_fds) == 88,
               "berth_create_request.preserve_fds moved from offset 88");
_Static_assert(offsetof(berth_create_request, flags) == 92,
               "berth_create_request.flags moved from offset 92");
_Static_assert(sizeof(berth_create_result) >= 8,
               "berth_create_result shrank below its 1.0 size of 8 bytes");
_Static_assert(offsetof(berth_create_result, struct_size) == 0,
               "berth_create_result.struct_size moved from offset 0");
_Static_assert(offsetof(berth_create_result, pid) == 4,
               "berth_create_result.pid moved from offset 4");
_Static_assert(sizeof(berth_state_result) >= 12,
               "berth_state_result shrank below its 1.0 size of 12 bytes");
_Static_assert(offsetof(berth_state_result, struct_size) == 0,
               "berth_state_result.struct_size moved from offset 0");
_Static_assert(offsetof(berth_state_result, status) == 4,
               "berth_state_result.status moved from offset 4");
_Static_assert(offsetof(berth_state_result, pid) == 8,
               "berth_state_result.pid moved from offset 8");
_Static_assert(sizeof(berth_exec_request) >= 96,
               "berth_exec_request shrank below its 1.0 size of 96 bytes");
_Static_assert(offsetof(berth_exec_request, struct_size) == 0,
               "berth_exec_request.struct_size moved from offset 0");
_Static_assert(offsetof(berth_exec_request, container) == 8,
               "berth_exec_request.container moved from offset 8");
_Static_assert(offsetof(berth_exec_request, process_json) == 48,
               "berth_exec_request.process_json moved from offset 48");
_Static_assert(offsetof(berth_exec_request, process_json_len) == 56,
               "berth_exec_request.process_json_len moved from offset 56");
_Static_assert(offsetof(berth_exec_request, stdin_fd) == 64,
               "berth_exec_request.stdin_fd moved from offset 64");
_Static_assert(offsetof(berth_exec_request, stdout_fd) == 68,
               "berth_exec_request.stdout_fd moved from offset 68");
_Static_assert(offsetof(berth_exec_request, stderr_fd) == 72,
               "berth_exec_request.stderr_fd moved from offset 72");
_Static_assert(offsetof(berth_exec_request, console_socket) == 80,
               "berth_exec_request.console_socket moved from offset 80");
_Static_assert(offsetof(berth_exec_request, preserve_fds) == 88,
               "berth_exec_request.preserve_fds moved from offset 88");
_Static_assert(sizeof(berth_exec_result) >= 8,
               "berth_exec_result shrank below its 1.0 size of 8 bytes");
_Static_assert(offsetof(berth_exec_result, struct_size) == 0,
               "berth_exec_result.struct_size moved from offset 0");
_Static_assert(offsetof(berth_exec_result, pid) == 4, "berth_exec_result.pid moved from offset 4");
_Static_assert(sizeof(berth_driver) >= 120, "berth_driver shrank below its 1.0 size of 120 bytes");
_Static_assert(offsetof(berth_driver, struct_size) == 0,
               "berth_driver.struct_size moved from offset 0");
_Static_assert(offsetof(berth_driver, self) == 8, "berth_driver.self moved from offset 8");
_Static_assert(offsetof(berth_driver, probe) == 16, "berth_driver.probe moved from offset 16");
_Static_assert(offsetof(berth_driver, features) == 24,
               "berth_driver.features moved from offset 24");
_Static_assert(offsetof(berth_driver, create) == 32, "berth_driver.create moved from offset 32");
_Static_assert(offsetof(berth_driver, start) == 40, "berth_driver.start moved from offset 40");
_Static_assert(offsetof(berth_driver, state) == 48, "berth_driver.state moved from offset 48");
_Static_assert(offsetof(berth_driver, kill) == 56, "berth_driver.kill moved from offset 56");
_Static_assert(offsetof(berth_driver, destroy) == 64, "berth_driver.destroy moved from offset 64");
_Static_assert(offsetof(berth_driver, exec) == 72, "berth_driver.exec moved from offset 72");
_Static_assert(offsetof(berth_driver, pause) == 80, "berth_driver.pause moved from offset 80");
_Static_assert(offsetof(berth_driver, resume) == 88, "berth_driver.resume moved from offset 88");
_Static_assert(offsetof(berth_driver, pids) == 96, "berth_driver.pids moved from offset 96");
_Static_assert(offsetof(berth_driver, stats) == 104, "berth_driver.stats moved from offset 104");
_Static_assert(offsetof(berth_driver, get_extension) == 112,
               "berth_driver.get_extension moved from offset 112");
_Static_assert(sizeof(berth_driver_entry) >= 64,
               "berth_driver_entry shrank below its 1.0 size of 64 bytes");
_Static_assert(offsetof(berth_driver_entry, struct_size) == 0,
               "berth_driver_entry.struct_size moved from offset 0");
_Static_assert(offsetof(berth_driver_entry, abi_major) == 4,
               "berth_driver_entry.abi_major moved from offset 4");
_Static_assert(offsetof(berth_driver_entry, name) == 8,
               "berth_driver_entry.name moved from offset 8");
_Static_assert(offsetof(berth_driver_entry, version) == 16,
               "berth_driver_entry.version moved from offset 16");
_Static_assert(offsetof(berth_driver_entry, description) == 24,
               "berth_driver_entry.description moved from offset 24");
_Static_assert(offsetof(berth_driver_entry, negotiate) == 32,
               "berth_driver_entry.negotiate moved from offset 32");
_Static_assert(offsetof(berth_driver_entry, min_minor) == 40,
               "berth_driver_entry.min_minor moved from offset 40");
_Static_assert(offsetof(berth_driver_entry, max_minor) == 44,
               "berth_driver_entry.max_minor moved from offset 44");
_Static_assert(offsetof(berth_driver_entry, init) == 48,
               "berth_driver_entry.init moved from offset 48");
_Static_assert(offsetof(berth_driver_entry, deinit) == 56,
               "berth_driver_entry.deinit moved from offset 56");
#endif

/* An object file must not be empty (ISO C); this also gives the guard a symbol to keep. */
int berth_abi_v1_layout_checked(void);
int berth_abi_v1_layout_checked(void) {
    return 1;
}
