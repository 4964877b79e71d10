#!/usr/bin/env bash
# The evpnd demo (run as root): a VXLAN EVPN fabric in network namespaces,
# the same one as interop/clab/evpnd.clab.yml for users with Docker.
#
#            [spine: FRR 8.4 route reflector]
#             /              |              \
#   [leaf1: evpnd]    [leaf2: evpnd]    [leaf3: FRR zebra+bgpd]     VNI 100 on each,
#        |                  |                  |                    br100 + vxlan100
#      [h1]               [h2]               [h3]                   192.168.100.1-3
#
# Nothing is static: evpnd learns its hosts from the kernel, advertises them,
# and programs what the others advertise. The demo pings between all hosts,
# shows what evpnd programmed and what FRR learned from it, then tears
# everything down (processes by PID, namespaces by name).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "run as root: the demo creates network namespaces" >&2; exit 1; }
bash interop/setup.sh
cargo build -q --release -p evpnd -p evpnctl
evpnd=$PWD/target/release/evpnd
tag=d$$
spine=${tag}sp
work=$(mktemp -d)
chmod 755 "$work"
pids=()
nss=("$spine")
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    sleep 0.5
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    for n in "${nss[@]}"; do
        ip netns del "$n" 2>/dev/null || true
        rm -rf "/var/run/frr/$n" "/etc/frr/$n"
    done
    rm -rf "$work"
}
trap cleanup EXIT
say() { if [ -t 1 ]; then printf '\n\033[1m== %s\033[0m\n' "$*"; else printf '\n== %s\n' "$*"; fi; }

# FRR (zebra + bgpd) inside namespace $1 with bgpd config $2.
start_frr() {
    local ns=$1 conf=$2
    mkdir -p "/var/run/frr/$ns" "/etc/frr/$ns"; chown frr:frr "/var/run/frr/$ns" "/etc/frr/$ns"
    touch "/etc/frr/$ns/vtysh.conf" "$work/$ns-zebra.conf"
    printf '%s\n' "$conf" > "$work/$ns-bgpd.conf"
    chown frr:frr "$work/$ns-bgpd.conf" "$work/$ns-zebra.conf"
    ip netns exec "$ns" /usr/lib/frr/zebra -N "$ns" -f "$work/$ns-zebra.conf" \
        -i "/var/run/frr/$ns/zebra.pid" -P 0 > "$work/$ns-zebra.log" 2>&1 &
    pids+=($!)
    sleep 0.5
    ip netns exec "$ns" /usr/lib/frr/bgpd -N "$ns" -f "$work/$ns-bgpd.conf" \
        -i "/var/run/frr/$ns/bgpd.pid" -P 0 > "$work/$ns-bgpd.log" 2>&1 &
    pids+=($!)
}

# Leaf $1 (index $2): underlay link to the spine, VTEP 10.0.0.$2, br100 +
# vxlan100 (nolearning, neigh_suppress), SVI 192.168.100.25$2, host h$2.
make_leaf() {
    local leaf=$1 i=$2 host=${tag}h$2
    ip netns add "$leaf"; ip netns add "$host"; nss+=("$leaf" "$host")
    for n in "$leaf" "$host"; do ip -n "$n" link set lo up; done
    ip link add "d$i" netns "$spine" type veth peer name u0 netns "$leaf"
    ip -n "$spine" addr add "10.0.$i.2/30" dev "d$i"; ip -n "$spine" link set "d$i" up
    ip -n "$spine" route add "10.0.0.$i/32" via "10.0.$i.1"
    ip -n "$leaf" addr add "10.0.$i.1/30" dev u0; ip -n "$leaf" link set u0 up
    ip -n "$leaf" addr add "10.0.0.$i/32" dev lo
    ip -n "$leaf" route add 10.0.0.0/24 via "10.0.$i.2"
    ip -n "$leaf" link add br100 type bridge
    ip -n "$leaf" link add vxlan100 type vxlan id 100 local "10.0.0.$i" dstport 4789 nolearning
    ip -n "$leaf" link set vxlan100 master br100
    ip netns exec "$leaf" bridge link set dev vxlan100 neigh_suppress on learning off
    ip link add acc netns "$leaf" type veth peer name eth0 netns "$host"
    ip -n "$leaf" link set acc master br100
    for d in br100 vxlan100 acc; do ip -n "$leaf" link set "$d" up; done
    ip -n "$leaf" addr add "192.168.100.25$i/24" dev br100
    ip -n "$host" link set eth0 address "02:00:00:00:01:0$i"
    ip -n "$host" addr add "192.168.100.$i/24" dev eth0; ip -n "$host" link set eth0 up
}

say "building the fabric"
ip netns add "$spine"; ip -n "$spine" link set lo up
ip netns exec "$spine" sysctl -qw net.ipv4.ip_forward=1
for i in 1 2 3; do make_leaf "${tag}l$i" "$i"; done

start_frr "$spine" "frr defaults datacenter
hostname spine
router bgp 65000
 bgp router-id 10.0.0.254
 no bgp default ipv4-unicast
 neighbor LEAVES peer-group
 neighbor LEAVES remote-as 65000
 neighbor 10.0.1.1 peer-group LEAVES
 neighbor 10.0.2.1 peer-group LEAVES
 neighbor 10.0.3.1 peer-group LEAVES
 address-family l2vpn evpn
  neighbor LEAVES activate
  neighbor LEAVES route-reflector-client
 exit-address-family"
start_frr "${tag}l3" "frr defaults datacenter
hostname leaf3
router bgp 65000
 bgp router-id 10.0.0.3
 no bgp default ipv4-unicast
 neighbor 10.0.3.2 remote-as 65000
 address-family l2vpn evpn
  neighbor 10.0.3.2 activate
  advertise-all-vni
 exit-address-family"
for i in 1 2; do
    cat > "$work/leaf$i.toml" <<TOML
# evpnd on leaf$i: BGP to the spine; the VNIs come from the kernel.
[bgp]
asn = 65000
router_id = "10.0.0.$i"

[[neighbor]]
address = "10.0.$i.2"
remote_asn = 65000
description = "spine"

[api]
socket = "$work/leaf$i.sock"
TOML
    ip netns exec "${tag}l$i" "$evpnd" -c "$work/leaf$i.toml" > "$work/leaf$i.log" 2>&1 &
    pids+=($!)
done

say "waiting for the sessions"
for _ in $(seq 1 60); do
    n=$(vtysh -N "$spine" -c 'show bgp l2vpn evpn summary json' 2>/dev/null |
        grep -o '"state":"Established"' | wc -l || true)
    [ "$n" -ge 3 ] && break
    sleep 0.5
done
vtysh -N "$spine" -c 'show bgp l2vpn evpn summary' | sed -n '/Neighbor/,$p'

say "pings across the overlay (ARP through the flood lists, then learned MACs)"
fail=0
for pair in "1 2" "1 3" "2 3" "3 1"; do
    set -- $pair
    if ip netns exec "${tag}h$1" ping -c 3 -i 0.2 -W 1 "192.168.100.$2" > "$work/ping" 2>&1; then
        echo "h$1 -> h$2: $(grep -o '[0-9]* received' "$work/ping")"
    else
        echo "h$1 -> h$2: FAILED"; cat "$work/ping"; fail=1
    fi
done
# The SVIs talk to their hosts too, so MAC+IP routes (ARP suppression) appear.
for i in 1 2 3; do ip netns exec "${tag}l$i" ping -c 1 -W 1 "192.168.100.$i" > /dev/null || true; done
sleep 1

say "leaf1 (evpnd): what it learned from the kernel and advertised"
grep -E 'VNI found|EVPN instance|dataplane|converged' "$work/leaf1.log" | sed 's/^[^ ]* *//' || true
say "leaf1 (evpnd): its EVPN state through the API — evpnctl vnis / macs / dataplane"
evpnctl=$PWD/target/release/evpnctl
"$evpnctl" --socket "$work/leaf1.sock" vnis
"$evpnctl" --socket "$work/leaf1.sock" macs
"$evpnctl" --socket "$work/leaf1.sock" dataplane
say "leaf1 (evpnd): what it programmed — bridge fdb show dev vxlan100"
ip netns exec "${tag}l1" bridge fdb show dev vxlan100
say "leaf1 (evpnd): remote neighbours on the SVI (ARP suppression) — ip neigh show dev br100"
ip -n "${tag}l1" neigh show dev br100
say "leaf3 (FRR): evpnd's hosts as FRR sees them — show evpn mac vni 100"
vtysh -N "${tag}l3" -c 'show evpn mac vni 100'
say "spine (FRR): the EVPN table it reflects"
vtysh -N "$spine" -c 'show bgp l2vpn evpn' | sed -n '/Network/,$p' | head -40

if [ "$fail" -ne 0 ]; then
    echo "demo: some pings failed; logs were in $work" >&2
    tail -20 "$work/leaf1.log" >&2
    exit 1
fi
say "demo done: tearing down"
