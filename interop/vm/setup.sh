#!/usr/bin/env bash
# Prepares the VM stage: qemu (TCG), a stock Debian kernel and a tiny
# initramfs, so that interop/vm/run.sh can boot that kernel with the host's
# own root filesystem shared read-only over virtio-9p.
#
# Why a VM: the machine's own kernel lacks bridge VLAN filtering, VRF and
# 802.1Q, which the single-VXLAN-device layout needs. Debian's stock kernel
# has them all as modules.
#
# Idempotent and cached: everything lands in $EVPND_VM_CACHE
# (default /var/cache/evpnd-vm); a second run only checks and exits.
# Nothing is installed over the running system: the kernel package is
# fetched with `apt-get download` and unpacked with `dpkg-deb -x`.
set -euo pipefail

cache=${EVPND_VM_CACHE:-/var/cache/evpnd-vm}
here=$(cd "$(dirname "$0")" && pwd)

log() { printf 'vm-setup: %s\n' "$*"; }
die() { printf 'vm-setup: error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (installs packages into the system, writes $cache)"

# 1. Host packages: qemu without its GUI recommends, static busybox for the
#    initramfs, kmod (modprobe inside the guest), xz (modules are .ko.xz).
need=()
command -v qemu-system-x86_64 >/dev/null 2>&1 || need+=(qemu-system-x86)
# (ldd fails on a static binary; Debian's dynamic `busybox` package would
# not run in the initramfs, which has no libc.)
static() { [ -x "$1" ] && ! ldd "$1" >/dev/null 2>&1; }
static /bin/busybox || need+=(busybox-static)
command -v modprobe >/dev/null 2>&1 || [ -x /sbin/modprobe ] || need+=(kmod)
command -v xz >/dev/null 2>&1 || need+=(xz-utils)
if [ ${#need[@]} -gt 0 ]; then
    log "installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
busybox=/bin/busybox
static "$busybox" || die "$busybox is not static (install busybox-static)"

# 2. The stock kernel: the linux-image-6.1*-amd64 package that the
#    linux-image-amd64 metapackage depends on.
mkdir -p "$cache"
pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
    awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
if [ -z "$pkg" ]; then
    apt-get update -qq
    pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
        awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
fi
[ -n "$pkg" ] || die "cannot find the package linux-image-amd64 depends on"
case $pkg in linux-image-6.1*-amd64) ;; *) log "warning: kernel package is $pkg, not 6.1" ;; esac

kdir=$cache/$pkg
if [ ! -e "$kdir/.unpacked" ]; then
    log "fetching $pkg (apt-get download + dpkg-deb -x, not installed)"
    tmp=$(mktemp -d "$cache/dl.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    if ! (cd "$tmp" && apt-get download -qq "$pkg" >/dev/null 2>&1); then
        apt-get update -qq
        (cd "$tmp" && apt-get download -qq "$pkg" >/dev/null)
    fi
    rm -rf "$kdir"
    mkdir -p "$kdir"
    dpkg-deb -x "$tmp"/*.deb "$kdir"
    rm -rf "$tmp"
    trap - EXIT
    touch "$kdir/.unpacked"
fi
kver=$(ls "$kdir/lib/modules" | head -n1)
[ -n "$kver" ] && [ -f "$kdir/boot/vmlinuz-$kver" ] || die "no kernel in $kdir"
moddir=$kdir/lib/modules/$kver
# dpkg-deb -x gives no modules.dep (depmod runs in the postinst): make one.
if [ ! -s "$moddir/modules.dep" ] || [ ! -s "$moddir/modules.dep.bin" ]; then
    log "depmod $kver"
    depmod -b "$kdir" "$kver"
fi

# 3. The uncompressed kernel (vmlinux): qemu boots that ELF directly via
#    PVH, which skips the bzImage's in-guest xz decompression (~7 s of
#    every boot under TCG). Falls back to the bzImage when the kernel has no
#    PVH entry point or is not xz-compressed.
vmlinux=$cache/vmlinux-$kver
kernel=$kdir/boot/vmlinuz-$kver
if [ ! -s "$vmlinux" ] && grep -q '^CONFIG_PVH=y' "$kdir/boot/config-$kver"; then
    off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$kernel" | head -n1 | cut -d: -f1)
    if [ -n "$off" ]; then
        log "extracting vmlinux (PVH boot)"
        tail -c +$((off + 1)) "$kernel" | xz -dc --single-stream > "$vmlinux.tmp" 2>/dev/null || true
        if [ "$(head -c 4 "$vmlinux.tmp" | od -An -c | tr -d ' ')" = 177ELF ]; then
            mv "$vmlinux.tmp" "$vmlinux"
        else
            rm -f "$vmlinux.tmp"
            log "warning: no vmlinux in $kernel; booting the bzImage (slower)"
        fi
    fi
fi
[ -s "$vmlinux" ] && kernel=$vmlinux

# 4. The initramfs: static busybox, /init, and the modules needed to mount
#    the 9p root (plus the virtio console used for the command's output),
#    each with its dependencies, in load order.
initrd=$cache/initramfs-$kver.cpio.gz
stamp=$(cat "$here/init" "$0" | sha256sum | cut -c1-16)
if [ ! -s "$initrd" ] || [ "$(cat "$initrd.stamp" 2>/dev/null)" != "$stamp" ]; then
    log "building initramfs for $kver"
    want=(virtio_pci virtio_console 9pnet_virtio 9p overlay)
    declare -A dep=() byname=() seen=()
    while IFS=: read -r m d; do
        dep[$m]=$d
        b=${m##*/}; b=${b%%.ko*}; byname[${b//-/_}]=$m
    done < "$moddir/modules.dep"
    path_of() {  # module name -> its path in modules.dep ('' if built in)
        local n=${1//-/_}
        if [ -n "${byname[$n]:-}" ]; then echo "${byname[$n]}"; return; fi
        grep -Eq "/(${1}|${1//_/-})\.ko\$" "$moddir/modules.builtin" ||
            die "module $1 is neither a module nor built in"
    }
    order=()
    visit() {
        local p=$1
        [ -n "${seen[$p]:-}" ] && return
        seen[$p]=1
        # modules.dep lists the transitive closure; modprobe loads it from
        # the end, so visit the list reversed.
        local deps i
        read -ra deps <<<"${dep[$p]}"
        for ((i = ${#deps[@]} - 1; i >= 0; i--)); do visit "${deps[$i]}"; done
        order+=("$p")
    }
    for m in "${want[@]}"; do
        p=$(path_of "$m")
        [ -n "$p" ] && visit "$p"
    done
    root=$(mktemp -d "$cache/initrd.XXXXXX")
    trap 'rm -rf "$root"' EXIT
    mkdir -p "$root"/{bin,dev,proc,sys,mnt,newroot,modules}
    cp "$busybox" "$root/bin/busybox"
    ln -s busybox "$root/bin/sh"
    : > "$root/modules/order"
    for p in "${order[@]}"; do
        b=${p##*/}; b=${b%%.ko*}
        case $p in
            *.ko.xz) xz -dc "$moddir/$p" > "$root/modules/$b.ko" ;;
            *.ko.zst) zstd -qdc "$moddir/$p" > "$root/modules/$b.ko" ;;
            *.ko.gz) gzip -dc "$moddir/$p" > "$root/modules/$b.ko" ;;
            *) cp "$moddir/$p" "$root/modules/$b.ko" ;;
        esac
        echo "$b" >> "$root/modules/order"
    done
    echo "$kver" > "$root/modules/kver"
    install -m 0755 "$here/init" "$root/init"
    (cd "$root" && find . | "$busybox" cpio -o -H newc 2>/dev/null) | gzip -1 > "$initrd.tmp"
    mv "$initrd.tmp" "$initrd"
    echo "$stamp" > "$initrd.stamp"
    log "initramfs modules: $(tr '\n' ' ' < "$root/modules/order")"
    rm -rf "$root"
    trap - EXIT
fi

# 5. What run.sh reads.
ln -sfn "$pkg" "$cache/current"
printf 'KVER=%s\nKERNEL=%s\nINITRD=%s\nMODULES=%s\n' \
    "$kver" "$kernel" "$initrd" "$moddir" > "$cache/env"
log "ready: kernel $kver ($pkg), cache $cache"
