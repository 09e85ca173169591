#!/bin/sh
# Resident memory of berth-monitor, the per-container supervisor of `berth run -d`. Starts N
# detached busybox containers with the native driver, reads VmRSS of each monitor from /proc,
# and removes them again. The target is at most 1024 KiB per monitor (conmon, podman's
# monitor, holds about 2 MiB on the same machine).
#
# Usage (root): bench/monitor_memory.sh [BUILD_DIR] [N]
set -eu
build=$(cd "${1:-build}" && pwd)
n=${2:-5}
berth="$build/bin/berth"
rootfs="$build/rootfs/busybox"
[ -x "$berth" ] || { echo "monitor_memory: $berth not built" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "monitor_memory: run as root" >&2; exit 1; }

work=$(mktemp -d /tmp/berth-bench-monitor.XXXXXX)
root="$work/state"
cleanup() {
    for i in $(seq 1 "$n"); do
        "$berth" --root "$root" rm -f "bench-mon-$$-$i" >/dev/null 2>&1 || true
    done
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

mkdir -p "$work/bundle"
"$berth" spec -b "$work/bundle"
# The spec's rootfs is "rootfs" beside config.json; point it at the build's busybox and run
# something that waits without a terminal.
python3 - "$work/bundle/config.json" "$rootfs" <<'PY'
import json, sys
path, rootfs = sys.argv[1], sys.argv[2]
spec = json.load(open(path))
spec["root"] = {"path": rootfs, "readonly": True}
spec["process"]["terminal"] = False
spec["process"]["args"] = ["sleep", "1000"]
json.dump(spec, open(path, "w"), indent=2)
PY

total=0
max=0
for i in $(seq 1 "$n"); do
    id="bench-mon-$$-$i"
    "$berth" --root "$root" run -d -b "$work/bundle" "$id"
    pid=$(cut -d' ' -f1 "$root/$id/monitor/monitor.pid")
    rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")
    total=$((total + rss))
    [ "$rss" -gt "$max" ] && max=$rss
done
echo "berth-monitor: $n monitors, mean VmRSS $((total / n)) KiB, max $max KiB (target <= 1024 KiB)"

[ "$max" -le 1024 ]
