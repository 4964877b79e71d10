#!/usr/bin/env bash
# The reflector demo (run as root): evpnd as route reflector between an FRR
# leaf and a GoBGP leaf in network namespaces (the main demo is demo.sh).
#
#   [frr: FRR 8.4 leaf, VXLAN VNI 100] --veth-- [rr: evpnd route reflector] --veth-- [gob: GoBGP leaf]
#
# evpnd reflects between the two leaves and originates its own routes for
# VNI 100 (type 3 with PMSI ingress replication, type 2 MAC and MAC+IP,
# type 5 prefix). The demo shows each daemon's own view, then decodes a few
# captured FRR messages with `evpnctl decode`, and tears everything down
# (processes by PID, namespaces by name).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "run as root: the demo creates network namespaces" >&2; exit 1; }
bash interop/setup.sh
cargo build -q --release -p evpnd -p evpnctl
evpnd=$PWD/target/release/evpnd
evpnctl=$PWD/target/release/evpnctl
tag=demo$$
rr=${tag}rr; frr=${tag}fr; gob=${tag}gb
work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    sleep 0.5
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    for n in "$rr" "$frr" "$gob"; do ip netns del "$n" 2>/dev/null || true; done
    rm -rf "/var/run/frr/$frr" "/etc/frr/$frr" "$work"
}
trap cleanup EXIT

for n in "$rr" "$frr" "$gob"; do ip netns add "$n"; ip -n "$n" link set lo up; done
ip link add tofrr netns "$rr" type veth peer name torr netns "$frr"
ip link add togob netns "$rr" type veth peer name torr netns "$gob"
ip -n "$rr" addr add 10.1.1.1/30 dev tofrr; ip -n "$frr" addr add 10.1.1.2/30 dev torr
ip -n "$rr" addr add 10.1.2.1/30 dev togob; ip -n "$gob" addr add 10.1.2.2/30 dev torr
for l in "$rr tofrr" "$rr togob" "$frr torr" "$gob torr"; do set -- $l; ip -n "$1" link set "$2" up; done
ip netns exec "$rr" sysctl -qw net.ipv4.ip_forward=1
ip -n "$frr" route add 10.1.0.0/16 via 10.1.1.1   # VTEPs reachable through the reflector's namespace
ip -n "$gob" route add 10.1.0.0/16 via 10.1.2.1
ip -n "$frr" link add br100 type bridge
ip -n "$frr" link add vxlan100 type vxlan id 100 local 10.1.1.2 dstport 4789 nolearning
ip -n "$frr" link set vxlan100 master br100
ip -n "$frr" link set br100 up; ip -n "$frr" link set vxlan100 up

cat > "$work/fabric.toml" <<'TOML'
[bgp]
asn = 65000
router_id = "10.0.0.1"
connect_retry = 2

[[neighbor]]
address = "10.1.1.2"
remote_asn = 65000
route_reflector_client = true
description = "FRR leaf"

[[neighbor]]
address = "10.1.2.2"
remote_asn = 65000
route_reflector_client = true
description = "GoBGP leaf"

[evpn]
vtep_ip = "10.1.1.1"
learn_from_kernel = false

[[evpn.vni]]
vni = 100
macs = [{ mac = "02:00:00:00:01:01", ip = "192.168.100.1" }]
prefixes = ["192.168.200.0/24"]
TOML
"$evpnd" --check-config -c "$work/fabric.toml"
ip netns exec "$rr" env RUST_LOG=evpnd=debug,info "$evpnd" -c "$work/fabric.toml" > "$work/evpnd.log" 2>&1 &
pids+=($!)

mkdir -p "/var/run/frr/$frr" "/etc/frr/$frr"; chown frr:frr "/var/run/frr/$frr" "/etc/frr/$frr"
touch "/etc/frr/$frr/vtysh.conf"; chmod 755 "$work"
cat > "$work/bgpd.conf" <<'FRR'
frr defaults datacenter
hostname frr-leaf
router bgp 65000
 bgp router-id 10.1.1.2
 no bgp default ipv4-unicast
 neighbor 10.1.1.1 remote-as 65000
 address-family l2vpn evpn
  neighbor 10.1.1.1 activate
  advertise-all-vni
 exit-address-family
FRR
touch "$work/zebra.conf"; chown frr:frr "$work/bgpd.conf" "$work/zebra.conf"
ip netns exec "$frr" /usr/lib/frr/zebra -N "$frr" -f "$work/zebra.conf" -i "/var/run/frr/$frr/zebra.pid" -P 0 > "$work/zebra.log" 2>&1 &
pids+=($!)
sleep 0.5
ip netns exec "$frr" /usr/lib/frr/bgpd -N "$frr" -f "$work/bgpd.conf" -i "/var/run/frr/$frr/bgpd.pid" -P 0 > "$work/bgpd.log" 2>&1 &
pids+=($!)

cat > "$work/gobgpd.toml" <<'GOBGP'
[global.config]
as = 65000
router-id = "10.1.2.2"
[[neighbors]]
[neighbors.config]
neighbor-address = "10.1.2.1"
peer-as = 65000
[[neighbors.afi-safis]]
[neighbors.afi-safis.config]
afi-safi-name = "l2vpn-evpn"
GOBGP
ip netns exec "$gob" gobgpd -f "$work/gobgpd.toml" --api-hosts 127.0.0.1:50051 -p > "$work/gobgpd.log" 2>&1 &
pids+=($!)
gobgp() { ip netns exec "$gob" gobgp -u 127.0.0.1 -p 50051 "$@"; }

echo "waiting for the sessions..."
for _ in $(seq 1 40); do
    gobgp neighbor 2>/dev/null | grep -q Establ && vtysh -N "$frr" -c 'show bgp l2vpn evpn summary' 2>/dev/null | grep -q '10.1.1.1.*[0-9]\+ *[0-9]\+ *N/A' && break
    sleep 0.5
done
gobgp global rib -a evpn add macadv 02:00:00:00:02:02 192.168.100.2 etag 0 label 100 rd 10.1.2.2:100 rt 65000:100 encap vxlan nexthop 10.1.2.2
sleep 2

echo; echo "===== FRR leaf: show bgp l2vpn evpn (evpnd's routes, GoBGP's route reflected by evpnd)"
vtysh -N "$frr" -c 'show bgp l2vpn evpn'
echo; echo "===== GoBGP leaf: gobgp global rib -a evpn (evpnd's routes, FRR's type 3 reflected by evpnd)"
gobgp global rib -a evpn
echo; echo "===== evpnd's log: sessions and best-path decisions"
grep -E 'established|best path changed|End-of-RIB' "$work/evpnd.log" | sed 's/^[^ ]* *//' | head -20

echo; echo "===== evpnctl decode: a MAC move captured between two FRR leaves"
vectors=${EVPND_VECTORS:-../shared/vectors}
if [ -d "$vectors" ]; then
    "$evpnctl" decode --file "$vectors/evpn-t2-mac-mobility-seq1-frr.hex" || true
    "$evpnctl" decode --file "$vectors/evpn-t2-withdraw-mac-moved-frr.hex" || true
else
    echo "(BGP vectors not found at $vectors; set EVPND_VECTORS to decode captured messages)"
fi
echo "demo done: tearing down"
