#!/usr/bin/env bash
# Installs what the kernel and interop tests need on a Debian machine that
# has only the Rust toolchain: FRR (zebra, bgpd, vtysh), GoBGP (gobgpd, gobgp),
# iproute2, ping, tcpdump, Go with Debian's grpc-go, systemd-analyze, the
# Debian packaging tools and pmacct (pmbmpd). Idempotent and quick when
# everything is present.
set -euo pipefail

need=()
have() { command -v "$1" >/dev/null 2>&1 || [ -x "$1" ]; }
have /usr/lib/frr/bgpd || need+=(frr)
have vtysh || need+=(frr)
have gobgpd || need+=(gobgpd)
have ip || need+=(iproute2)
have bridge || need+=(iproute2)
have ping || need+=(iputils-ping)
have tcpdump || need+=(tcpdump)
have jq || need+=(jq)
# The BMP collector test (crates/bmp/tests/pmbmpd.rs) feeds pmacct's pmbmpd.
have pmbmpd || need+=(pmacct)
# The API's generic-client test (crates/api/tests/python_interop.rs) drives
# the gRPC API from Python with grpcio + grpcio-reflection.
have python3 || need+=(python3 python3-pip)
# The Go client test (crates/api/tests/go_interop.rs): Debian's grpc-go,
# built in GOPATH mode from /usr/share/gocode (no module download).
have go || need+=(golang-go)
[ -d /usr/share/gocode/src/google.golang.org/grpc/reflection ] || need+=(golang-google-grpc-dev)
# systemd: the unit test (systemd-analyze verify) and the capability test
# (setpriv, ss); the Debian package: dpkg-shlibdeps, strip, man -w.
have systemd-analyze || need+=(systemd)
have /bin/kill || need+=(procps)      # the unit's ExecReload, checked by verify
have setpriv || need+=(util-linux)
have ss || need+=(iproute2)
have dpkg-shlibdeps || need+=(dpkg-dev)
have strip || need+=(binutils)
have man || need+=(man-db)

# pip, not apt: Debian's python3-grpcio lacks grpcio-reflection.
install_python_grpc() {
    python3 -c 'import grpc, grpc_reflection' 2>/dev/null && return 0
    echo "setup: pip install grpcio grpcio-reflection"
    python3 -m pip install -q grpcio grpcio-reflection 2>/dev/null ||
        python3 -m pip install -q --break-system-packages grpcio grpcio-reflection
}

# Name evpnd's NDA_PROTOCOL (245) so `ip neigh` shows `proto evpnd`.
if [ -d /etc/iproute2/rt_protos.d ] || [ "$(id -u)" -eq 0 ]; then
    mkdir -p /etc/iproute2/rt_protos.d 2>/dev/null &&
        echo "245 evpnd" > /etc/iproute2/rt_protos.d/evpnd.conf 2>/dev/null || true
fi

if [ ${#need[@]} -eq 0 ]; then
    install_python_grpc
    echo "setup: all test dependencies present"
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing ${need[*]}; run this script as root to install them" >&2
    exit 1
fi
# Unique package names, in order.
pkgs=$(printf '%s\n' "${need[@]}" | awk '!seen[$0]++' | tr '\n' ' ')
echo "setup: installing $pkgs"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
# FRR's package starts its own daemons in the root namespace; the lab runs
# private instances inside namespaces, so the system service stays off.
if command -v systemctl >/dev/null 2>&1; then
    systemctl disable --now frr >/dev/null 2>&1 || true
    # pmacct's package enables its own collectors (nfacctd, sfacctd, pmbmpd...);
    # the BMP test runs a private pmbmpd on loopback.
    for u in pmacctd nfacctd sfacctd uacctd pmbgpd pmbmpd pmtelemetryd; do
        systemctl disable --now "$u" >/dev/null 2>&1 || true
    done
fi
install_python_grpc
echo "setup: done"
