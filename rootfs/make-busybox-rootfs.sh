#!/bin/sh
# Makes a minimal root filesystem at $1 from a statically linked busybox ($BUSYBOX).
set -eu
dest=$1
bb=${BUSYBOX:-/bin/busybox}
if ! "$bb" --list-full >/dev/null 2>&1; then
    echo "make-busybox-rootfs: $bb is not a busybox binary (install Debian's busybox-static)" >&2
    exit 1
fi
# ldd fails on a static executable; a dynamic busybox would not run inside the root.
if ldd "$bb" >/dev/null 2>&1; then
    echo "make-busybox-rootfs: $bb is dynamically linked (install Debian's busybox-static)" >&2
    exit 1
fi
rm -rf "$dest.tmp"
mkdir -p "$dest.tmp"
cd "$dest.tmp"
mkdir -p bin sbin usr/bin usr/sbin etc proc sys dev tmp root home run var/tmp
chmod 1777 tmp var/tmp
cp "$bb" bin/busybox
for applet in $(bin/busybox --list-full); do
    [ "$applet" = bin/busybox ] && continue
    mkdir -p "$(dirname "$applet")"
    ln -sf /bin/busybox "$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > etc/passwd
printf 'root:x:0:\nnogroup:x:65534:\n' > etc/group
echo berth > etc/hostname
cd /
rm -rf "$dest"
mv "$dest.tmp" "$dest"
