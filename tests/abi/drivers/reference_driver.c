/*
 * A minimal execution driver in plain C, compiled against the 1.0 copy of the ABI header
 * (tests/abi/v1.0) only. Built as is, it keeps every rule of the contract and must pass
 * berth-driver-check and load in today's host: proof that a driver built against the oldest v1
 * header still works. It runs no containers: create is refused as not supported.
 *
 * Built with one of the BAD_* macros it breaks exactly one rule, so the checker's verdict on
 * each rule can be tested against a driver known to break it.
 */
#define _POSIX_C_SOURCE 200809L

#include <berth/driver.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef DRIVER_NAME
#error "DRIVER_NAME must be defined to the driver's file name without .so"
#endif

#ifdef BAD_WRONG_NAME
#define ENTRY_NAME "some-other-name"
#else
#define ENTRY_NAME DRIVER_NAME
#endif

static const char features_json[] = "{\"ociVersionMin\":\"1.0.0\",\"ociVersionMax\":\"1.2.0\","
                                    "\"linux\":{\"namespaces\":[\"mount\"]}}";

struct instance {
    berth_driver table;
    const berth_host *host;
    int leaked_fd;
};

static struct instance the_instance;
static int initialised;

static struct instance *self_of(void *self) {
    return (struct instance *)self;
}

static berth_status fail(struct instance *in, berth_error *err, berth_status code, const char *what,
                         const char *object) {
#ifdef BAD_SILENT_FAILURE
    (void)in;
    (void)err;
    (void)what;
    (void)object;
#else
    char msg[512];
    snprintf(msg, sizeof msg, "%s `%s` (driver " DRIVER_NAME ")", what, object ? object : "");
    in->host->report_error(in->host->ctx, err, code, 0, msg);
#endif
    return code;
}

static berth_status not_found(void *self, const berth_container_ref *ref, berth_error *err) {
    return fail(self_of(self), err, BERTH_E_NOT_FOUND, "no such container", ref->id);
}

static berth_status op_probe(void *self, berth_output *reason, berth_error *err) {
    (void)self;
    (void)reason;
    (void)err;
#ifdef BAD_NOISY_PROBE
    printf("probe called\n");
#endif
#ifdef BAD_CRASH
    *(volatile int *)0 = 1;
#endif
    return BERTH_OK;
}

static berth_status op_features(void *self, berth_output *out, berth_error *err) {
    (void)self;
    (void)err;
    out->write(out->ctx, features_json, sizeof features_json - 1);
    return BERTH_OK;
}

static int is_json_object(const char *text, size_t len) {
    size_t i = 0;
    while (i < len && (text[i] == ' ' || text[i] == '\n' || text[i] == '\t' || text[i] == '\r'))
        ++i;
    return i < len && text[i] == '{';
}

static berth_status op_create(void *self, const berth_create_request *req,
                              berth_create_result *result, berth_error *err) {
    if (!is_json_object(req->config_json, req->config_json_len))
        return fail(self_of(self), err, BERTH_E_INVALID_SPEC, "config.json is not a JSON object",
                    req->container.bundle);
#ifdef BAD_IGNORES_FIELD
    result->pid = 0;
    return BERTH_OK;
#else
    (void)result;
    return fail(self_of(self), err, BERTH_E_NOT_SUPPORTED,
                "create is not supported by this driver, container", req->container.id);
#endif
}

static berth_status op_state(void *self, const berth_container_ref *ref, berth_state_result *out,
                             berth_error *err) {
    (void)out;
    return not_found(self, ref, err);
}

static berth_status op_kill(void *self, const berth_container_ref *ref, int32_t sig, uint32_t flags,
                            berth_error *err) {
    (void)sig;
    (void)flags;
    return not_found(self, ref, err);
}

static berth_status op_destroy(void *self, const berth_container_ref *ref, int32_t force,
                               berth_error *err) {
    /* Nothing is ever created, so there is nothing to remove: deleting succeeds. */
    (void)self;
    (void)ref;
    (void)force;
    (void)err;
    return BERTH_OK;
}

static berth_status op_exec(void *self, const berth_exec_request *req, berth_exec_result *result,
                            berth_error *err) {
    (void)result;
    return not_found(self, &req->container, err);
}

static berth_status op_output(void *self, const berth_container_ref *ref, berth_output *out,
                              berth_error *err) {
    (void)out;
    return not_found(self, ref, err);
}

static const void *op_get_extension(void *self, const char *id) {
    (void)self;
    (void)id;
    return NULL;
}

static int32_t negotiate(uint32_t host_min, uint32_t host_max) {
#ifdef BAD_GREEDY_NEGOTIATE
    (void)host_min;
    return (int32_t)host_max;
#else
    /* This driver speaks minor 0 only. */
    return host_min == 0 && host_max >= host_min ? 0 : -1;
#endif
}

#ifndef BAD_ACCEPTS_OPTIONS
/* The options are a JSON object; this driver has none, so any key is unknown. */
static const char *first_key(const char *json, char *buf, size_t size) {
    const char *q = strchr(json, '"');
    if (q == NULL)
        return NULL;
    const char *end = strchr(q + 1, '"');
    size_t n = end ? (size_t)(end - q - 1) : strlen(q + 1);
    if (n >= size)
        n = size - 1;
    memcpy(buf, q + 1, n);
    buf[n] = '\0';
    return buf;
}
#endif

static berth_status init(const berth_host *host, const char *options, const berth_driver **out,
                         berth_error *err) {
    if (host == NULL || out == NULL || !BERTH_HAS_FIELD(host, berth_host, get_extension))
        return BERTH_E_INVALID_ARGUMENT;
    if (initialised) {
        host->report_error(host->ctx, err, BERTH_E_STATE, 0,
                           "driver " DRIVER_NAME " is already initialised in this process");
        return BERTH_E_STATE;
    }
    struct instance *in = &the_instance;
    in->host = host;
#ifndef BAD_ACCEPTS_OPTIONS
    char key[128];
    if (options != NULL && first_key(options, key, sizeof key) != NULL)
        return fail(in, err, BERTH_E_INVALID_ARGUMENT,
                    "this driver takes no options; remove the unknown option", key);
#else
    (void)options;
#endif
#ifdef BAD_LEAKS_FD
    in->leaked_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
#else
    in->leaked_fd = -1;
#endif
    berth_driver *t = &in->table;
    memset(t, 0, sizeof *t);
    t->struct_size = sizeof *t;
    t->self = in;
    t->probe = op_probe;
    t->features = op_features;
    t->create = op_create;
    t->start = not_found;
    t->state = op_state;
    t->kill = op_kill;
    t->destroy = op_destroy;
    t->exec = op_exec;
#ifndef BAD_NULL_OPERATION
    t->pause = not_found;
#endif
    t->resume = not_found;
    t->pids = op_output;
    t->stats = op_output;
    t->get_extension = op_get_extension;
    initialised = 1;
    *out = t;
    return BERTH_OK;
}

static void deinit(const berth_driver *driver) {
    (void)driver;
    initialised = 0;
}

#ifdef BAD_EXTRA_SYMBOL
BERTH_EXPORT int berth_bad_helper(void) {
    return 42;
}
#endif

static const berth_driver_entry entry = {
    sizeof(berth_driver_entry),
    BERTH_ABI_MAJOR,
    ENTRY_NAME,
    "1.0.0",
    "reference driver of the ABI tests (runs no containers)",
    negotiate,
    0,
    0,
    init,
    deinit,
};

BERTH_EXPORT const berth_driver_entry *berth_driver_entry_v1(void) {
    return &entry;
}
