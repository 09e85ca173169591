#!/usr/bin/env python3
"""Added start latency of a bridged native container over a loopback-only one.

Runs busybox `true` through `berth -e native run` in three interleaved variants:

  loopback  a new network namespace with lo up, nothing else
  warm      on a bridge network that another (created, idle) container keeps up: veth pair,
            lease, eth0 address and route, and the container's nftables rules
  cold      on a bridge network nobody else uses: the bridge and berth's nftables table are
            made by the run and removed by its delete

and prints the medians and the added milliseconds of warm and cold over loopback. The network
is a private one (bridge bb<pid>, subnet 10.214.<pid % 256>.0/24); nothing is sent on it.

Usage (root): bench/network_latency.py [--rounds N] [--build DIR]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def timed(argv, errors):
    """Runs argv; stderr goes to the file `errors` (a pipe would be held open by a created
    container's init, which inherits it)."""
    start = time.perf_counter_ns()
    with open(errors, "w") as err:
        r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=err)
    elapsed = (time.perf_counter_ns() - start) / 1e9
    if r.returncode != 0:
        with open(errors) as err:
            sys.exit(f"network_latency: {' '.join(argv)} exited {r.returncode}: "
                     f"{err.read().strip()}")
    return elapsed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--build", default=os.path.join(os.path.dirname(__file__), "..", "build"))
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("network_latency: run as root")
    build = os.path.abspath(args.build)
    berth = os.path.join(build, "bin", "berth")
    rootfs = os.path.join(build, "rootfs", "busybox")
    for p in (berth, rootfs):
        if not os.path.exists(p):
            sys.exit(f"network_latency: {p} missing: build berth first (scripts/setup)")

    pid = os.getpid()
    tag = f"berth-netbench-{pid}"
    work = tempfile.mkdtemp(prefix="berth-netbench-")
    state = os.path.join(work, "state")
    config = os.path.join(work, "berth.yaml")
    networks = {
        "warm": {"bridge": f"bw{pid % 100000}", "subnet": f"10.214.{pid % 256}.0/24"},
        "cold": {"bridge": f"bc{pid % 100000}", "subnet": f"10.215.{pid % 256}.0/24"},
    }
    with open(config, "w") as f:
        json.dump({"state_root": state,
                   "drivers": {"native": {"options": {"networks": networks}}}}, f)
    base = [berth, "-c", config, "--root", state]
    holder = f"{tag}-holder"
    errors = os.path.join(work, "stderr")
    clean = True
    try:
        bundles = {}
        for variant in ("loopback", "warm", "cold", "holder"):
            bundle = os.path.join(work, variant)
            os.makedirs(bundle)
            subprocess.run([berth, "spec", "--bundle", bundle], check=True)
            with open(os.path.join(bundle, "config.json")) as f:
                spec = json.load(f)
            spec["root"] = {"path": rootfs, "readonly": True}
            spec["process"]["terminal"] = False
            spec["process"]["args"] = ["/bin/true"]
            if variant != "loopback":
                net = "warm" if variant == "holder" else variant
                spec.setdefault("annotations", {})["org.berth.network"] = net
            bundles[variant] = (bundle, spec)

        def write(variant, i):
            bundle, spec = bundles[variant]
            spec["linux"]["cgroupsPath"] = f"/{tag}/{variant}{i}"
            with open(os.path.join(bundle, "config.json"), "w") as f:
                json.dump(spec, f)
            return bundle

        # Keeps the warm network's bridge and table up for the whole run.
        timed(base + ["create", "-b", write("holder", 0), holder], errors)

        names = ["loopback", "warm", "cold"]
        times = {n: [] for n in names}
        for i in range(args.rounds):
            order = names[i % len(names):] + names[:i % len(names)]
            for n in order:
                times[n].append(timed(base + ["run", "-b", write(n, i), f"{tag}-{n}{i}"], errors))

        med = {n: statistics.median(times[n]) for n in names}
        print(f"{args.rounds} interleaved rounds of a busybox `true` container (berth run)")
        print(f"{'variant':9} {'median ms':>10} {'p90 ms':>8}")
        for n in names:
            p90 = sorted(times[n])[int(0.9 * (len(times[n]) - 1))]
            print(f"{n:9} {med[n] * 1e3:10.2f} {p90 * 1e3:8.2f}")
        for n in ("warm", "cold"):
            print(f"{n} bridge adds {(med[n] - med['loopback']) * 1e3:.2f} ms "
                  f"({med[n] / med['loopback']:.2f}x loopback)")
    finally:
        if os.path.isdir(os.path.join(state, holder)):
            r = subprocess.run(base + ["delete", "--force", holder], stdout=subprocess.DEVNULL)
            clean = r.returncode == 0
        for d in os.listdir("/sys/fs/cgroup"):
            path = os.path.join("/sys/fs/cgroup", d, tag)
            if os.path.isdir(path):
                for child in os.listdir(path):
                    if os.path.isdir(os.path.join(path, child)):
                        os.rmdir(os.path.join(path, child))
                os.rmdir(path)
        if clean:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"network_latency: kept {work}: delete {holder} by hand", file=sys.stderr)


if __name__ == "__main__":
    main()
