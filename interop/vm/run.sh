#!/usr/bin/env bash
# Runs one command as root inside a qemu VM (TCG) that boots Debian's stock
# kernel with the host's root filesystem (read-only, 9p, overlaid with a
# tmpfs), so kernel features the host kernel lacks (VLAN-aware bridges,
# vnifilter VXLAN, VRF, 802.1Q) can be tested with the host's own tools
# and binaries.
#
#   interop/vm/run.sh [--timeout SECS] [--mem MB] [--smp N] -- CMD ARGS...
#
# The command runs in the host's current directory, with the host's PATH,
# HOME and every EVPND_*, RUST_* and CARGO_* variable. Its stdout and stderr
# (merged) stream to this script's stdout; kernel and init messages go to a
# console log that is printed only on failure (or with EVPND_VM_CONSOLE=1).
# Exits with the command's exit status; 124 with a message if it timed out;
# 125 if the VM failed to boot or died. Needs `bash interop/vm/setup.sh` first.
set -euo pipefail

cache=${EVPND_VM_CACHE:-/var/cache/evpnd-vm}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
timeout=600
mem=1024
smp=1
modules=${EVPND_VM_MODULES-bridge vxlan veth 8021q vrf dummy}

die() { printf 'vm-run: error: %s\n' "$*" >&2; exit 125; }
usage() { sed -n '9p' "$0" | sed 's/^# *//' >&2; exit 125; }

while [ $# -gt 0 ]; do
    case $1 in
        --timeout) timeout=$2; shift 2 ;;
        --mem) mem=$2; shift 2 ;;
        --smp) smp=$2; shift 2 ;;
        --) shift; break ;;
        -h|--help) usage ;;
        *) break ;;
    esac
done
[ $# -gt 0 ] || usage
[[ $timeout =~ ^[0-9]+$ ]] && [[ $mem =~ ^[0-9]+$ ]] && [[ $smp =~ ^[0-9]+$ ]] ||
    die "--timeout, --mem and --smp take whole numbers"
[ -r "$cache/env" ] || die "$cache/env missing: run 'bash interop/vm/setup.sh' first"
# shellcheck disable=SC1091
. "$cache/env"
[ -r "$KERNEL" ] && [ -r "$INITRD" ] || die "kernel or initramfs missing: run interop/vm/setup.sh"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing: run interop/vm/setup.sh"

# The job directory, shared read-write with the guest (9p tag "job",
# /run/evpnd-vm inside): the command, its output, its exit status.
job=$(mktemp -d "${TMPDIR:-/tmp}/evpnd-vm.XXXXXX")
qpid=
tailpid=
cleanup() {
    if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; then
        kill "$qpid" 2>/dev/null || true
        sleep 0.5
        kill -9 "$qpid" 2>/dev/null || true
    fi
    if [ -n "$tailpid" ]; then kill "$tailpid" 2>/dev/null || true; fi
    if [ -z "${EVPND_VM_KEEP:-}" ]; then rm -rf "$job"; else echo "vm-run: job kept in $job" >&2; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

{
    echo "# written by interop/vm/run.sh"
    while IFS= read -r name; do
        printf 'export %s=%q\n' "$name" "${!name}"
    done < <(compgen -e | grep -E '^(EVPND_|RUST_|CARGO_)|^(PATH|HOME)$' | grep -vx EVPND_VM_CACHE || true)
    printf 'cd %q || exit 125\n' "$PWD"
    printf 'exec'
    printf ' %q' "$@"
    printf '\n'
} > "$job/job.sh"
echo "$timeout" > "$job/timeout"
echo "$modules" > "$job/modules"
cp "$here/guest.sh" "$job/guest.sh"
: > "$job/out"

# Firmware: qboot (from qemu-system-data) starts the kernel ~2 s sooner
# than SeaBIOS under TCG; EVPND_VM_BIOS=seabios uses qemu's default.
bios=()
if [ "${EVPND_VM_BIOS:-qboot}" = qboot ] && [ -r /usr/share/qemu/qboot.rom ]; then
    bios=(-bios /usr/share/qemu/qboot.rom)
fi

# Host-side limit: the guest's own timeout plus time to boot and power off.
host_timeout=$((timeout + ${EVPND_VM_BOOT_SECS:-120}))

# Kernel messages: serial console to console.log. The command's output:
# virtio port "evpnd.out" to the file out, streamed by tail.
qemu-system-x86_64 \
    -machine q35 -accel tcg,tb-size=128 -cpu max "${bios[@]}" \
    -smp "$smp" -m "$mem" \
    -display none -vga none -monitor none -no-reboot -nodefaults \
    -kernel "$KERNEL" -initrd "$INITRD" \
    -append "console=ttyS0 ${EVPND_VM_APPEND:-quiet loglevel=5} panic=-1 evpnd.repo=$repo evpnd.modules=$MODULES" \
    -serial "file:$job/console.log" \
    -device virtio-serial-pci \
    -chardev "file,id=out,path=$job/out" \
    -device virtserialport,chardev=out,name=evpnd.out \
    -fsdev local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap \
    -device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot \
    -fsdev "local,id=job,path=$job,security_model=none,multidevs=remap" \
    -device virtio-9p-pci,fsdev=job,mount_tag=job \
    -fsdev "local,id=repo,path=$repo,security_model=none,multidevs=remap" \
    -device virtio-9p-pci,fsdev=repo,mount_tag=repo \
    < /dev/null > "$job/qemu.log" 2>&1 &
qpid=$!
tail -n +1 -f --pid="$qpid" "$job/out" &
tailpid=$!

start=$SECONDS
timed_out=
while kill -0 "$qpid" 2>/dev/null; do
    if [ $((SECONDS - start)) -ge "$host_timeout" ]; then
        timed_out=1
        kill "$qpid" 2>/dev/null || true
        break
    fi
    sleep 1
done
wait "$qpid" 2>/dev/null && qrc=0 || qrc=$?
qpid=
wait "$tailpid" 2>/dev/null || true
tailpid=

show_console() {
    echo "---- vm-run: guest console ($job/console.log) ----" >&2
    tail -n 60 "$job/console.log" >&2 || true
    if [ -s "$job/qemu.log" ]; then
        echo "---- vm-run: qemu ----" >&2
        tail -n 20 "$job/qemu.log" >&2
    fi
    echo "---- vm-run: end ----" >&2
}

if [ -n "${EVPND_VM_CONSOLE:-}" ]; then show_console; fi
if [ -r "$job/rc" ]; then
    rc=$(cat "$job/rc")
    if [ "$rc" -eq 124 ]; then
        echo "vm-run: error: the command timed out inside the VM after $timeout s" >&2
    fi
    exit "$rc"
fi
if [ -n "$timed_out" ]; then
    echo "vm-run: error: the VM did not finish within $host_timeout s (killed qemu)" >&2
else
    echo "vm-run: error: the VM stopped without running the command to the end (qemu exit $qrc): boot failure or guest crash" >&2
fi
[ -n "${EVPND_VM_CONSOLE:-}" ] || show_console
exit 125
