#!/usr/bin/env python3
"""Start-to-exit latency and peak memory of a busybox `true` container: berth against runc and
crun, in one interleaved run, with `unshare` + `chroot` as the floor.

Every runtime gets the same bundle (config.json written by `berth spec`: pid, network, ipc,
uts and mount namespaces, a cgroup, Docker's default capabilities and seccomp profile), so the
isolation is equivalent. berth runs as the shipped conf/berth.yaml configures it, with its
cache of compiled seccomp filters. Runs are interleaved (each round runs every runtime once, in a
rotating order) so that machine noise spreads evenly; the figures that matter are the ratios.

crun 1.8 refuses a hybrid cgroup layout (cgroup v1 plus a cgroup2 tree), so crun alone runs in
a private mount namespace where /sys/fs/cgroup/unified is unmounted; the others run on the
host's layout as it is.

Usage (root): bench/start_latency.py [--rounds N] [--build DIR]
"""
import argparse
import ctypes
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

CLONE_NEWNS = 0x00020000
GNU_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None
libc = ctypes.CDLL(None, use_errno=True)


def setns(fd, nstype):
    if libc.setns(fd, nstype) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"setns: {os.strerror(err)}")


def timed_run(argv, mnt_ns_fd=None, measure_rss=False):
    """Runs argv to completion; returns (seconds, CPU seconds, max RSS in KiB, exit status).

    The CPU time (user + system, of the command and every descendant it waited for) is the
    steadier figure on a busy machine: it leaves out the time spent waiting to be scheduled.

    The RSS is read through GNU time (package `time`), the small parent of the measured
    command: a child forked from this Python process would carry Python's own peak into
    ru_maxrss, which exec does not reset. Timed runs do without it: its own fork and exec
    would add to every runtime's latency."""
    measure_rss = measure_rss and GNU_TIME
    if measure_rss:
        fd, out = tempfile.mkstemp(prefix="berth-bench-rss-")
        os.close(fd)
        argv = [GNU_TIME, "-q", "-f", "%M", "-o", out] + argv
    start = time.perf_counter_ns()
    pid = os.fork()
    if pid == 0:
        try:
            devnull = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1):
                os.dup2(devnull, fd)
            if mnt_ns_fd is not None:
                setns(mnt_ns_fd, CLONE_NEWNS)
            os.execv(argv[0], argv)
        except BaseException as e:  # noqa: BLE001 - report anything, never return
            os.write(2, f"exec {argv[0]}: {e}\n".encode())
        os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    elapsed = (time.perf_counter_ns() - start) / 1e9
    maxrss = 0
    if measure_rss:
        with open(out) as f:
            lines = f.read().split()
        os.unlink(out)
        maxrss = int(lines[-1]) if lines else 0
    cpu = usage.ru_utime + usage.ru_stime
    return elapsed, cpu, maxrss, os.waitstatus_to_exitcode(status)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--build", default=os.path.join(os.path.dirname(__file__), "..", "build"))
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("start_latency: run as root")

    build = os.path.abspath(args.build)
    berth = os.path.join(build, "bin", "berth")
    rootfs = os.path.join(build, "rootfs", "busybox")
    for p in (berth, rootfs):
        if not os.path.exists(p):
            sys.exit(f"start_latency: {p} missing: build berth first (scripts/setup)")
    runc = shutil.which("runc")
    crun = shutil.which("crun")
    unshare = shutil.which("unshare")
    chroot = shutil.which("chroot")

    work = tempfile.mkdtemp(prefix="berth-bench-")
    tag = f"berth-bench-{os.getpid()}"
    sleeper = None
    try:
        bundle = os.path.join(work, "bundle")
        os.makedirs(bundle)
        subprocess.run([berth, "spec", "--bundle", bundle], check=True)
        with open(os.path.join(bundle, "config.json")) as f:
            spec = json.load(f)
        spec["root"] = {"path": rootfs, "readonly": True}
        spec["process"]["terminal"] = False
        spec["process"]["args"] = ["/bin/true"]
        with open(os.path.join(bundle, "config.json"), "w") as f:
            json.dump(spec, f)

        def with_cgroup(i):
            # A cgroup of its own per run, under one parent removed at the end.
            spec["linux"]["cgroupsPath"] = f"/{tag}/c{i}"
            with open(os.path.join(bundle, "config.json"), "w") as f:
                json.dump(spec, f)

        crun_ns = None
        if crun:
            sleeper = subprocess.Popen(
                [unshare, "-m", "--propagation", "private", "sh", "-c",
                 "umount /sys/fs/cgroup/unified 2>/dev/null; exec sleep 100000"])
            time.sleep(0.2)
            crun_ns = os.open(f"/proc/{sleeper.pid}/ns/mnt", os.O_RDONLY)

        # berth as the shipped conf/berth.yaml configures it: compiled seccomp filters kept
        # in a cache directory (here one of the run's own).
        config = os.path.join(work, "berth.yaml")
        with open(config, "w") as f:
            f.write("drivers:\n  native:\n    options:\n"
                    f"      seccomp_cache: {work}/seccomp-cache\n")
        runtimes = {
            "berth": lambda i: [berth, "-c", config, "--root", f"{work}/berth-state", "run",
                                "-b", bundle, f"{tag}-b{i}"],
            "floor": lambda i: [unshare, "--fork", "--pid", "--mount", "--uts", "--ipc",
                                "--net", chroot, rootfs, "/bin/true"],
        }
        if runc:
            runtimes["runc"] = lambda i: [runc, "--root", f"{work}/runc-state", "run",
                                          "--bundle", bundle, f"{tag}-r{i}"]
        if crun:
            runtimes["crun"] = lambda i: [crun, "--root", f"{work}/crun-state", "run",
                                          "--bundle", bundle, f"{tag}-c{i}"]

        names = list(runtimes)
        times = {n: [] for n in names}
        cpu = {n: [] for n in names}
        rss = {n: [] for n in names}
        memory_rounds = 5 if GNU_TIME else 0
        for i in range(args.rounds + memory_rounds):
            measure_rss = i >= args.rounds
            order = names[i % len(names):] + names[:i % len(names)]
            for n in order:
                with_cgroup(f"{n}{i}")
                secs, cpu_secs, maxrss, code = timed_run(runtimes[n](i),
                                               crun_ns if n == "crun" else None, measure_rss)
                if code != 0:
                    sys.exit(f"start_latency: {n} run {i} exited {code}")
                if measure_rss:
                    rss[n].append(maxrss)
                else:
                    times[n].append(secs)
                    cpu[n].append(cpu_secs)

        print(f"{args.rounds} interleaved rounds of a busybox `true` container")
        print(f"{'runtime':8} {'median ms':>10} {'p90 ms':>8} {'CPU ms':>8} {'max RSS KiB':>12}")
        med = {n: statistics.median(times[n]) for n in names}
        med_cpu = {n: statistics.median(cpu[n]) for n in names}
        for n in names:
            p90 = sorted(times[n])[int(0.9 * (len(times[n]) - 1))]
            peak = f"{max(rss[n]):12d}" if rss[n] else f"{'n/a':>12}"
            print(f"{n:8} {med[n] * 1e3:10.2f} {p90 * 1e3:8.2f} {med_cpu[n] * 1e3:8.2f} {peak}")
        for other in ("crun", "runc", "floor"):
            if other in med:
                print(f"berth/{other} median ratio: {med['berth'] / med[other]:.2f} "
                      f"(CPU time: {med_cpu['berth'] / med_cpu[other]:.2f})")
        if not GNU_TIME:
            print("max RSS not measured: install GNU time (apt-get install time)")
        for other in ("crun", "runc"):
            if other in rss and rss[other]:
                print(f"berth/{other} max RSS ratio: {max(rss['berth']) / max(rss[other]):.2f}")
    finally:
        if sleeper:
            sleeper.send_signal(signal.SIGKILL)
            sleeper.wait()
        for root in ("/sys/fs/cgroup",):
            for d in os.listdir(root):
                path = os.path.join(root, d, tag)
                if os.path.isdir(path):
                    for child in os.listdir(path):
                        if os.path.isdir(os.path.join(path, child)):
                            os.rmdir(os.path.join(path, child))
                    os.rmdir(path)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
