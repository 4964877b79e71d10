#!/bin/sh
# Second stage of the evpnd VM guest, PID 1 after the initramfs's
# switch_root (see init): the root is now the host's filesystem (overlay on
# 9p). Prepares the minimum a network test needs, runs the job that run.sh
# wrote (/run/evpnd-vm/job.sh) under a guest-side timeout with its
# stdout/stderr on the virtio port "evpnd.out", writes its exit status to
# /run/evpnd-vm/rc and powers the VM off. Kernel/init messages go to the
# serial console (console.log on the host), never to the command's output.
J=/run/evpnd-vm
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mark() { echo "<4>evpnd-vm guest: $*" > /dev/kmsg; }
mark "stage 2 started"

mkdir -p /dev/pts && mount -t devpts -o ptmxmode=0666,mode=620,gid=5 devpts /dev/pts
mkdir -p /dev/shm && mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null || true
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null || true
mount -t bpf bpf /sys/fs/bpf 2>/dev/null || true
mount --make-rshared / 2>/dev/null || true
hostname evpnd-vm
ip link set lo up

mark "mounts done"
# Modules the network tests use; loaded up front so no test depends on the
# kernel's on-demand modprobe.
# One modprobe call: each call re-reads modules.dep over 9p (~0.3 s each
# under TCG).
mods=$(cat "$J/modules" 2>/dev/null || true)
if [ -n "$mods" ]; then
    # shellcheck disable=SC2086
    modprobe -a $mods || echo "evpnd-vm: modprobe -a $mods failed"
fi

mark "modules loaded"
out=
for p in /sys/class/virtio-ports/*; do
    [ "$(cat "$p/name" 2>/dev/null)" = evpnd.out ] && out=/dev/${p##*/}
done
[ -n "$out" ] || out=/dev/console

echo "evpnd-vm: guest ready after $(cut -d' ' -f1 /proc/uptime) s, running the job"
timeout=$(cat "$J/timeout")
rc=0
timeout -k 5 "$timeout" /bin/bash "$J/job.sh" < /dev/null > "$out" 2>&1 || rc=$?
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    echo "evpnd-vm: guest-side timeout after ${timeout} s" > "$out"
fi
echo "$rc" > "$J/rc.tmp" && mv "$J/rc.tmp" "$J/rc"
echo "evpnd-vm: job exited with $rc after $(cut -d' ' -f1 /proc/uptime) s"
sync
# run.sh starts qemu with -no-reboot: a reboot ends qemu.
echo b > /proc/sysrq-trigger
busybox reboot -f
