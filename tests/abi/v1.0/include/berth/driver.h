/*
 * berth execution-driver ABI, major version 1.
 *
 * This header is the whole contract between the berth host and an execution driver. It is
 * plain C11 with fixed-width types so that a driver can be written in any language that can
 * export a C symbol, and so that a driver built today keeps loading in every later 1.x host.
 *
 * Rules that hold for every type and function below:
 *
 *  - Every struct starts with `uint32_t struct_size`, set by whoever fills the struct to
 *    sizeof() of the struct as that side was compiled. Structs only ever grow at the end. A
 *    reader checks `struct_size` (BERTH_HAS_FIELD) before touching a field added after 1.0.
 *  - Enumerations cross as int32_t. Unknown values are treated as "not supported".
 *  - Nothing allocated on one side is freed on the other. Strings the driver produces are
 *    handed to host callbacks (berth_output, berth_host.report_error) which copy them before
 *    returning; strings the host passes in stay valid only for the duration of the call.
 *  - No C++ type and no exception ever crosses this boundary. A driver written in C++ catches
 *    everything at its edge.
 *  - Drivers never write to stdout or stderr (they may be the container's); they log through
 *    berth_host.log.
 *
 * Versioning. The ABI major is part of the single exported symbol's name
 * (BERTH_DRIVER_ENTRY_SYMBOL), so a driver of another major fails to load with "no entry
 * point" instead of crashing. Within a major, the host offers the range of minors it speaks
 * and the driver picks one (berth_driver_entry.negotiate). Optional features that bring
 * functions of their own are reached through versioned string ids (get_extension), for example
 * "berth.checkpoint/1"; an id never changes meaning, a new meaning gets a new id.
 *
 * Threading. The host calls a driver from one thread at a time. A driver may start threads of
 * its own but must stop them before deinit returns, and must not call host services from them.
 */
#ifndef BERTH_DRIVER_H
#define BERTH_DRIVER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BERTH_ABI_MAJOR 1
/* The newest minor this header describes. 1.0 is the first release of the ABI. */
#define BERTH_ABI_MINOR 0

/* The one symbol a driver exports. Its type is berth_driver_entry_fn. */
#define BERTH_DRIVER_ENTRY_SYMBOL "berth_driver_entry_v1"

/* True when a struct filled by the other side is large enough to hold `field`. */
#define BERTH_HAS_FIELD(ptr, type, field) \
    ((ptr)->struct_size >= offsetof(type, field) + sizeof(((type *)0)->field))

#if defined(_WIN32)
#define BERTH_EXPORT __declspec(dllexport)
#else
#define BERTH_EXPORT __attribute__((visibility("default")))
#endif

/* ------------------------------------------------------------------------------------------
 * Status codes. Every operation returns one. Codes 0..99 are reserved for this header; a
 * driver may use 1000 and above for codes of its own, which the host reports as BERTH_E_FAILED.
 */
typedef int32_t berth_status;
enum {
    BERTH_OK = 0,
    BERTH_E_FAILED = 1,        /* anything not covered below; the message says what */
    BERTH_E_NOT_FOUND = 2,     /* the container, process or file named does not exist */
    BERTH_E_NOT_SUPPORTED = 3, /* this driver does not implement the operation or feature */
    BERTH_E_INVALID_SPEC = 4,  /* config.json or process.json asks for something invalid */
    BERTH_E_PERMISSION = 5,    /* the kernel or a policy refused (EPERM, EACCES) */
    BERTH_E_UNAVAILABLE = 6,   /* a dependency of the driver is missing on this host */
    BERTH_E_STATE = 7,         /* the container is in the wrong state for the operation */
    BERTH_E_VERSION = 8,       /* no common ABI minor, or an unknown struct layout */
    BERTH_E_INVALID_ARGUMENT = 9 /* the host passed something the ABI forbids */
};

/* Severities of berth_host.log. */
typedef int32_t berth_log_level;
enum {
    BERTH_LOG_TRACE = 0,
    BERTH_LOG_DEBUG = 1,
    BERTH_LOG_INFO = 2,
    BERTH_LOG_WARN = 3,
    BERTH_LOG_ERROR = 4
};

/* Container status, as the OCI runtime specification names them. */
typedef int32_t berth_container_status;
enum {
    BERTH_STATUS_CREATING = 0,
    BERTH_STATUS_CREATED = 1,
    BERTH_STATUS_RUNNING = 2,
    BERTH_STATUS_STOPPED = 3,
    BERTH_STATUS_PAUSED = 4
};

/* ------------------------------------------------------------------------------------------
 * Host-owned sinks.
 */

/* An error slot owned by the host. Opaque to drivers: fill it only through
 * berth_host.report_error. One is passed to every call that can fail. */
typedef struct berth_error berth_error;

/* A byte sink owned by the host. `write` copies `len` bytes from `data` and may be called any
 * number of times during one operation; the host concatenates the pieces. `data` need not be
 * NUL-terminated. Valid only during the call it was passed to. */
typedef struct berth_output {
    uint32_t struct_size;
    void *ctx;
    void (*write)(void *ctx, const char *data, size_t len);
} berth_output;

/* ------------------------------------------------------------------------------------------
 * Services the host gives a driver. The pointer handed to init stays valid until deinit
 * returns; the driver may keep it.
 */
typedef struct berth_host {
    uint32_t struct_size;

    /* The minor the host and the driver agreed on for this session. */
    uint32_t abi_minor;

    /* Host version, e.g. "0.1.0". Never NULL. For logs and messages only: feature checks use
     * abi_minor and get_extension. */
    const char *host_version;

    /* Opaque; pass back unchanged as the first argument of the functions below. */
    void *ctx;

    /* Writes one log record attributed to this driver. `message` is a NUL-terminated line
     * without trailing newline; the host copies it. Records below the configured level are
     * dropped by the host, so a driver may call this freely; `enabled` saves building a
     * message nobody reads. */
    void (*log)(void *ctx, berth_log_level level, const char *message);
    int32_t (*log_enabled)(void *ctx, berth_log_level level);

    /* Records the failure of the current operation in `err`, which the host passed to it.
     *  code        one of the BERTH_E_* codes (never BERTH_OK)
     *  sys_errno   the errno behind the failure, or 0 when there is none
     *  message     NUL-terminated, one line, saying what failed, on which path or object,
     *              why (strerror text included) and what to do. Copied. The host shows it as
     *              it is, prefixed with the operation and the driver's name.
     * Call it at most once per operation, just before returning the same `code`. A failing
     * operation that did not call it is a driver bug; the host says so to the user. */
    void (*report_error)(void *ctx, berth_error *err, berth_status code, int32_t sys_errno,
                         const char *message);

    /* Returns the host-side table of an optional host feature, or NULL when the host does not
     * offer `id` (for example "berth.host-metrics/1"). None are defined in 1.0. */
    const void *(*get_extension)(void *ctx, const char *id);
} berth_host;

/* ------------------------------------------------------------------------------------------
 * Requests.
 */

/* Which container an operation is about. Filled by the host from its record of the
 * container; all strings are valid for the duration of the call only. */
typedef struct berth_container_ref {
    uint32_t struct_size;
    const char *id;        /* the container id, unique under the host's state root */
    const char *bundle;    /* absolute path of the OCI bundle */
    const char *state_dir; /* absolute path of a directory private to this driver and this
                              container: it exists, is empty at create, survives between
                              berth invocations, and the host removes it after delete */
    int32_t pid;           /* the container's init pid as create reported it, or 0 */
} berth_container_ref;

/* Flags of berth_create_request.flags. */
enum {
    /* The host will not wait for the container: the process must not depend on the calling
     * process staying alive after start (berth create / berth start as separate commands). */
    BERTH_CREATE_DETACHED = 1u << 0,
    /* Do not pivot_root; use chroot/MS_MOVE instead (runc's --no-pivot). */
    BERTH_CREATE_NO_PIVOT = 1u << 1,
    /* Do not create a new session keyring (runc's --no-new-keyring). */
    BERTH_CREATE_NO_NEW_KEYRING = 1u << 2
};

typedef struct berth_create_request {
    uint32_t struct_size;
    berth_container_ref container;

    /* The bundle's config.json, as text (OCI runtime specification). Not NUL-terminated
     * necessarily: use config_json_len. The host has already checked it against the driver's
     * features document; the driver still refuses, naming the field, anything it cannot do. */
    const char *config_json;
    size_t config_json_len;

    /* File descriptors the container's process gets as 0, 1 and 2. Owned by the host: the
     * driver dups what it keeps and never closes these. -1 means /dev/null. */
    int32_t stdin_fd;
    int32_t stdout_fd;
    int32_t stderr_fd;

    /* Path of an AF_UNIX socket that receives the pty master over SCM_RIGHTS when
     * process.terminal is true, or NULL. */
    const char *console_socket;

    /* Number of extra fds, starting at 3, handed to the container (runc's --preserve-fds). */
    uint32_t preserve_fds;

    uint32_t flags; /* BERTH_CREATE_* */
} berth_create_request;

typedef struct berth_create_result {
    uint32_t struct_size;
    /* The pid, in the host's pid namespace, of the container's init process. On BERTH_OK it
     * is a child of the process that called create, so the host may waitpid() it; the process
     * is held before the user's program runs until start is called. */
    int32_t pid;
} berth_create_result;

typedef struct berth_state_result {
    uint32_t struct_size;
    berth_container_status status;
    int32_t pid; /* 0 when no process exists any more */
} berth_state_result;

/* Flags of kill. */
enum {
    BERTH_KILL_ALL = 1u << 0 /* signal every process of the container, not only init */
};

/* A process to run inside a running container (berth exec). */
typedef struct berth_exec_request {
    uint32_t struct_size;
    berth_container_ref container;
    /* The OCI "process" object as JSON text (args, env, cwd, user, capabilities, ...). */
    const char *process_json;
    size_t process_json_len;
    int32_t stdin_fd; /* as in berth_create_request */
    int32_t stdout_fd;
    int32_t stderr_fd;
    const char *console_socket;
    uint32_t preserve_fds;
} berth_exec_request;

typedef struct berth_exec_result {
    uint32_t struct_size;
    int32_t pid; /* a child of the calling process; the host waits for it */
} berth_exec_result;

/* ------------------------------------------------------------------------------------------
 * The driver's operation table, returned by init. Every function pointer is non-NULL: an
 * operation a driver does not implement returns BERTH_E_NOT_SUPPORTED with a message such as
 * "pause is not supported by driver chroot". `self` is the driver's opaque instance.
 *
 * Unless said otherwise, every operation returns BERTH_OK or a BERTH_E_* code after calling
 * host->report_error once.
 */
typedef struct berth_driver {
    uint32_t struct_size;
    void *self;

    /* Whether the driver can work on this host. Writes a one-line reason to `reason` when it
     * cannot ("liblxc.so.1 not found", "cgroup controller pids not available") and returns
     * BERTH_E_UNAVAILABLE. Writes nothing and returns BERTH_OK when usable. Cheap and free of
     * side effects: it may run on every `berth drivers`. */
    berth_status (*probe)(void *self, berth_output *reason, berth_error *err);

    /* Writes the driver's OCI features document (runtime-spec features.json) to `out`. The
     * host refuses any request that asks for more than it declares. */
    berth_status (*features)(void *self, berth_output *out, berth_error *err);

    /* Sets the container up and holds its process before the user's program runs. On
     * failure everything done so far (processes, mounts, cgroups, links, files outside
     * state_dir) is undone before returning. */
    berth_status (*create)(void *self, const berth_create_request *req,
                           berth_create_result *result, berth_error *err);

    /* Releases a created container's process into the user's program. */
    berth_status (*start)(void *self, const berth_container_ref *ref, berth_error *err);

    /* Reports the container's status and pid. BERTH_E_NOT_FOUND when the driver knows
     * nothing of it. */
    berth_status (*state)(void *self, const berth_container_ref *ref, berth_state_result *out,
                          berth_error *err);

    /* Sends `signal` to the container's init, or to all its processes with BERTH_KILL_ALL. */
    berth_status (*kill)(void *self, const berth_container_ref *ref, int32_t signal,
                         uint32_t flags, berth_error *err);

    /* `berth delete`: removes everything the container holds. With `force` a running container is killed
     * first; without it, deleting a running container is BERTH_E_STATE. Deleting a container
     * whose create was interrupted halfway succeeds and removes what it left. */
    berth_status (*destroy)(void *self, const berth_container_ref *ref, int32_t force,
                            berth_error *err);

    /* Starts another process in a running container. */
    berth_status (*exec)(void *self, const berth_exec_request *req, berth_exec_result *result,
                         berth_error *err);

    /* Freezes and thaws every process of the container. */
    berth_status (*pause)(void *self, const berth_container_ref *ref, berth_error *err);
    berth_status (*resume)(void *self, const berth_container_ref *ref, berth_error *err);

    /* Writes the pids (host namespace) of the container's processes to `out` as a JSON array
     * of integers. */
    berth_status (*pids)(void *self, const berth_container_ref *ref, berth_output *out,
                         berth_error *err);

    /* Writes resource usage to `out` as a JSON object shaped like runc's `events --stats`
     * "data" member (cpu, memory, pids, ...). */
    berth_status (*stats)(void *self, const berth_container_ref *ref, berth_output *out,
                          berth_error *err);

    /* Returns the table of an optional feature, or NULL when the driver lacks `id`. The
     * pointer stays valid until deinit. */
    const void *(*get_extension)(void *self, const char *id);
} berth_driver;

/* ------------------------------------------------------------------------------------------
 * The entry point.
 */
typedef struct berth_driver_entry {
    uint32_t struct_size;

    /* BERTH_ABI_MAJOR as the driver was compiled. */
    uint32_t abi_major;

    /* Short name users type after -e ("native"). [a-z0-9_-]+, matching the file name
     * NAME.so under a driver directory. Never NULL. */
    const char *name;
    /* The driver's own version, e.g. "1.2.0". Never NULL. */
    const char *version;
    /* One line for `berth drivers`. Never NULL. */
    const char *description;

    /* Picks the ABI minor to speak. The host offers every minor in [host_min, host_max]; the
     * driver returns the one it chooses, or -1 to refuse. Pure: no side effects, no host
     * services, callable before init. */
    int32_t (*negotiate)(uint32_t host_min, uint32_t host_max);

    /* The range the driver itself speaks, shown to the user when negotiation fails. */
    uint32_t min_minor;
    uint32_t max_minor;

    /* Creates a driver instance. `host` stays valid until deinit; `options_json` is the
     * driver's options map from berth.yaml as a JSON object ("{}" when none) and is valid for
     * this call only. On success stores a table valid until deinit in *out and returns
     * BERTH_OK; an option the driver does not know is BERTH_E_INVALID_ARGUMENT naming it. */
    berth_status (*init)(const berth_host *host, const char *options_json,
                         const berth_driver **out, berth_error *err);

    /* Destroys the instance init made. Never fails. Called once, after the last operation. */
    void (*deinit)(const berth_driver *driver);
} berth_driver_entry;

/* The exported function. It returns a pointer to a static entry and does nothing else: no
 * allocation, no I/O, no host services. */
typedef const berth_driver_entry *(*berth_driver_entry_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* BERTH_DRIVER_H */
