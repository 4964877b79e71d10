#!/usr/bin/env bash
# VM stage (needs VRF devices): FRR 8.4 as the leaf of kernel_l3_vrf.rs —
# VRF vrf-t1 (table 1000) with br100/br200/br4000 enslaved, zebra's
# `vrf vrf-t1` / `vni 4000`, `router bgp 65000 vrf vrf-t1` with `network
# 10.202.2.0/24` and `advertise ipv4 unicast` — fed a type 5 and a MAC+IP
# with a Router's MAC by GoBGP standing in for evpnd. Prints what FRR shows
# and writes, and what it advertises (GoBGP's RIB). Root.
#   bash interop/vm/run.sh --timeout 400 -- bash interop/frr-l3/frr-vrf-type5.sh
set -u
F=l3vf$$; G=l3vg$$; H=l3vh$$
D=$(mktemp -d); chmod 755 "$D"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    sleep 1
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
    ip netns del "$F" 2>/dev/null; ip netns del "$G" 2>/dev/null; ip netns del "$H" 2>/dev/null
    rm -rf "/var/run/frr/$F" "/etc/frr/$F" "$D"
}
trap cleanup EXIT
x() { echo "+ $*"; "$@" || echo "FAILED: $*"; }
for n in $F $G $H; do ip netns add $n; ip -n $n link set lo up; done
XF="ip netns exec $F"; XG="ip netns exec $G"; XH="ip netns exec $H"
ip link add u0 netns $F type veth peer name u0 netns $G
$XF ip addr add 10.0.12.2/30 dev u0; $XF ip link set u0 up
$XG ip addr add 10.0.12.1/30 dev u0; $XG ip link set u0 up
$XF ip addr add 10.0.0.2/32 dev lo; $XG ip addr add 10.0.0.1/32 dev lo
$XF ip route add 10.0.0.1/32 via 10.0.12.1; $XG ip route add 10.0.0.2/32 via 10.0.12.2
$XF sysctl -qw net.ipv4.ip_forward=1
x $XF ip link add vrf-t1 type vrf table 1000
$XF ip link set vrf-t1 up
for v in 100 200 4000; do
    $XF ip link add br$v type bridge
    $XF ip link add vxlan$v type vxlan id $v local 10.0.0.2 dstport 4789 nolearning
    $XF ip link set vxlan$v master br$v
    $XF bridge link set dev vxlan$v learning off neigh_suppress on
    $XF ip link set vxlan$v up; $XF ip link set br$v up
done
$XF ip link set br100 address 02:00:5e:00:01:64; $XF ip link set br200 address 02:00:5e:00:01:c8
$XF ip link set br4000 address 02:00:00:40:00:02
for b in br100 br200 br4000; do x $XF ip link set $b master vrf-t1; done
$XF ip addr add 192.168.100.1/24 dev br100; $XF ip addr add 192.168.200.1/24 dev br200
ip link add acc2 netns $F type veth peer name eth0 netns $H
$XF ip link set acc2 master br200; $XF ip link set acc2 up
$XH ip link set eth0 address 02:00:00:00:02:20; $XH ip addr add 192.168.200.20/24 dev eth0
$XH ip link set eth0 up; $XH ip route add default via 192.168.200.1
$XF ip link add ext type veth peer name ext2; $XF ip link set ext master vrf-t1
$XF ip addr add 10.202.1.1/30 dev ext; $XF ip link set ext up; $XF ip link set ext2 up
x $XF ip route add 10.202.2.0/24 via 10.202.1.2 dev ext table 1000 proto static
mkdir -p /var/run/frr/$F /etc/frr/$F; chown frr:frr /var/run/frr/$F /etc/frr/$F; : > /etc/frr/$F/vtysh.conf
printf 'vrf vrf-t1\n vni 4000\nexit-vrf\n' > $D/zebra.conf
cat > $D/bgpd.conf <<EOC
frr defaults datacenter
hostname frrleaf
log stdout
router bgp 65000
 bgp router-id 10.0.0.2
 no bgp default ipv4-unicast
 neighbor 10.0.12.1 remote-as 65000
 address-family l2vpn evpn
  neighbor 10.0.12.1 activate
  advertise-all-vni
 exit-address-family
exit
router bgp 65000 vrf vrf-t1
 bgp router-id 10.0.0.2
 address-family ipv4 unicast
  network 10.202.2.0/24
 exit-address-family
 address-family l2vpn evpn
  advertise ipv4 unicast
 exit-address-family
exit
EOC
chown -R frr:frr $D
$XF /usr/lib/frr/zebra -N $F -f $D/zebra.conf -i /var/run/frr/$F/zebra.pid -P 0 > $D/zebra.log 2>&1 &
pids+=($!)
sleep 2
$XF /usr/lib/frr/bgpd -N $F -f $D/bgpd.conf -i /var/run/frr/$F/bgpd.pid -P 0 -l 10.0.12.2 > $D/bgpd.log 2>&1 &
pids+=($!)
printf '[global.config]\nas = 65000\nrouter-id = "10.0.0.1"\nport = 179\n[[neighbors]]\n[neighbors.config]\nneighbor-address = "10.0.12.2"\npeer-as = 65000\n[[neighbors.afi-safis]]\n[neighbors.afi-safis.config]\nafi-safi-name = "l2vpn-evpn"\n' > $D/gobgpd.toml
$XG gobgpd -f $D/gobgpd.toml --api-hosts 127.0.0.1:50051 -p > $D/gobgpd.log 2>&1 &
pids+=($!)
GB="$XG gobgp -u 127.0.0.1 -p 50051"
for _ in $(seq 90); do $GB neighbor 2>/dev/null | grep -q Establ && break; sleep 1; done
$GB neighbor
x $GB global rib -a evpn add prefix 10.201.2.0/24 gw 0.0.0.0 etag 0 label 4000 rd 10.0.0.1:4000 rt 65000:4000 encap vxlan router-mac 02:00:00:40:00:01 nexthop 10.0.0.1
x $GB global rib -a evpn add macadv 02:00:00:00:01:10 192.168.100.10 etag 0 label 100,4000 rd 10.0.0.1:100 rt 65000:100 rt 65000:4000 encap vxlan router-mac 02:00:00:40:00:01 nexthop 10.0.0.1
$XH ping -c 2 -W 1 192.168.200.1
for _ in $(seq 60); do $XF ip route show table 1000 | grep -q 10.201.2.0 && break; sleep 1; done
sleep 3
echo "== FRR: show evpn vni 4000 json"; vtysh -N $F -c 'show evpn vni 4000 json'
echo "== FRR: show evpn rmac vni all json"; vtysh -N $F -c 'show evpn rmac vni all json'
echo "== FRR: show ip route vrf vrf-t1 json"; vtysh -N $F -c 'show ip route vrf vrf-t1 json'
echo "== kernel: table 1000"; $XF ip -j route show table 1000
echo; echo "== kernel: neigh br4000"; $XF ip -j neigh show dev br4000
echo; echo "== kernel: fdb vxlan4000"; $XF bridge -j fdb show dev vxlan4000
echo; echo "== GoBGP's RIB (what FRR advertises)"; $GB global rib -a evpn
echo "== bgpd log tail"; tail -20 $D/bgpd.log
