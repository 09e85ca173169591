/*
 * berth-monitor: the supervisor of one container started with `berth run -d`.
 *
 *     berth-monitor CONTAINER_DIR CREATOR_PID
 *
 * berth forks this process as a child subreaper in a session of its own and, before exec'ing
 * it, forks the "creator": a berth process that asks the driver to create and start the
 * container. The container's init is the creator's child; when the creator exits, the kernel
 * hands its children to the nearest subreaper, which is this monitor. The monitor then waits
 * for the init and records its exit status in CONTAINER_DIR/monitor/exit, where `berth wait`
 * and `berth list` find it. The container's output does not pass through here: its stdout and
 * stderr are the log file itself, so the monitor holds no buffers and copies nothing.
 *
 * Plain C with no library beyond libc, linked statically, so that its resident memory per
 * container stays far below a mebibyte (bench/monitor_memory.sh measures it).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

enum { path_max = 4096, early_max = 64 };

/* Children reaped before the init's pid was known: the init can become ours (and exit) before
 * the creator has been reaped, since the kernel reparents a zombie before its parent's own exit
 * is reported. */
struct reaped {
    pid_t pid;
    int status;
};

static int join(char *out, const char *dir, const char *name) {
    int n = snprintf(out, path_max, "%s/%s", dir, name);
    return n > 0 && n < path_max ? 0 : -1;
}

static pid_t read_pid(const char *path) {
    char buf[32];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    long v = strtol(buf, NULL, 10);
    return v > 0 ? (pid_t)v : -1;
}

/* The record goes in under the container's lock, the same POSIX record lock every berth
 * command takes. A `berth delete` that removes the directory holds that lock while it does,
 * so a monitor that gets the lock afterwards finds its lock file unlinked and writes nothing
 * into a directory that is gone. */
static void record_exit(const char *dir, int status) {
    char lock_path[path_max], tmp[path_max], final[path_max];
    if (join(lock_path, dir, "lock") || join(tmp, dir, "monitor/exit.tmp") ||
        join(final, dir, "monitor/exit"))
        return;
    int lock = open(lock_path, O_RDWR | O_CLOEXEC);
    if (lock < 0)
        return;
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    while (fcntl(lock, F_SETLKW, &fl) != 0)
        if (errno != EINTR)
            goto out;
    struct stat held, current;
    if (fstat(lock, &held) != 0 || stat(lock_path, &current) != 0 ||
        held.st_ino != current.st_ino || held.st_dev != current.st_dev)
        goto out;

    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    char text[64];
    int len = snprintf(text, sizeof text, "%d\n", code);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        goto out;
    int ok = write(fd, text, (size_t)len) == len && fsync(fd) == 0;
    close(fd);
    if (!ok || rename(tmp, final) != 0)
        unlink(tmp);
out:
    close(lock); /* drops the record lock */
}

/* Nothing of berth's terminal or session may stay open here: the monitor outlives the command
 * that started it by as long as the container runs. */
static void detach_stdio(void) {
    int null = open("/dev/null", O_RDWR);
    if (null < 0)
        return;
    for (int fd = 0; fd < 3; ++fd)
        if (fd != null)
            dup2(null, fd);
    if (null > 2)
        close(null);
    syscall(SYS_close_range, 3u, ~0u, 0u);
}

int main(int argc, char **argv) {
    if (argc != 3)
        return 2;
    const char *dir = argv[1];
    pid_t creator = (pid_t)strtol(argv[2], NULL, 10);
    char init_pid_path[path_max];
    if (creator <= 0 || join(init_pid_path, dir, "monitor/init.pid"))
        return 2;

    /* berth set this before forking the creator (it must hold by the time the creator exits);
     * the kernel keeps it across execve, and setting it again is harmless. */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    detach_stdio();
    signal(SIGHUP, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    signal(SIGQUIT, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    if (chdir("/") != 0)
        return 1;

    struct reaped early[early_max];
    int n_early = 0;
    pid_t init = -1;
    for (;;) {
        int status = 0;
        pid_t pid = waitpid(-1, &status, 0);
        if (pid < 0) {
            if (errno == EINTR)
                continue;
            return 1; /* no children left and no init seen: nothing to record */
        }
        if (pid == creator) {
            /* A creator that failed has undone the container and told the user why. */
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return 1;
            init = read_pid(init_pid_path);
            if (init <= 0)
                return 1;
            for (int i = 0; i < n_early; ++i) {
                if (early[i].pid == init) {
                    record_exit(dir, early[i].status);
                    return 0;
                }
            }
            continue;
        }
        if (pid == init) {
            record_exit(dir, status);
            return 0;
        }
        /* Orphans of the container (without a pid namespace they come to the nearest
         * subreaper) are reaped and otherwise ignored. */
        if (init < 0 && n_early < early_max) {
            early[n_early].pid = pid;
            early[n_early].status = status;
            ++n_early;
        }
    }
}
