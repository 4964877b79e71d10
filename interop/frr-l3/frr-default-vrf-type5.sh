#!/usr/bin/env bash
# FRR 8.4 in a namespace with zebra's global `vni 1000` (the L3VNI of the
# default VRF) and `advertise ipv4 unicast`, fed one type-5 route with a
# Router's MAC by GoBGP in a second namespace (standing in for evpnd): prints
# what FRR shows (`show evpn vni 1000 json`, `show evpn rmac vni all json`,
# `show ip route json`, ...) and what zebra wrote to the kernel. The output
# of a run is frr84-default-vrf-type5.txt; tests/interop_frr_l3.rs relies on
# it. Root; FRR and GoBGP from interop/setup.sh. Cleans up by PID.
set -x
F=l3f$$; G=l3g$$
ip netns add $F; ip netns add $G
XF="ip netns exec $F"; XG="ip netns exec $G"
$XF ip link set lo up; $XG ip link set lo up
ip link add u0 netns $F type veth peer name u0 netns $G
$XF ip addr add 10.0.12.2/30 dev u0; $XF ip link set u0 up
$XG ip addr add 10.0.12.1/30 dev u0; $XG ip link set u0 up
$XF ip addr add 10.0.0.2/32 dev lo; $XG ip addr add 10.0.0.1/32 dev lo
$XF ip route add 10.0.0.1/32 via 10.0.12.1; $XG ip route add 10.0.0.2/32 via 10.0.12.2
$XF sysctl -qw net.ipv4.ip_forward=1
$XF ip link add br1000 type bridge; $XF ip link set br1000 address 02:00:00:10:00:02
$XF ip link add vxlan1000 type vxlan id 1000 local 10.0.0.2 dstport 4789 nolearning
$XF ip link set vxlan1000 master br1000; $XF bridge link set dev vxlan1000 learning off neigh_suppress on
$XF ip link set vxlan1000 up; $XF ip link set br1000 up
$XF ip link add ext type veth peer name ext2; $XF ip addr add 10.202.1.1/30 dev ext; $XF ip link set ext up; $XF ip link set ext2 up
$XF ip route add 10.202.2.0/24 via 10.202.1.2
mkdir -p /var/run/frr/$F /etc/frr/$F; chown frr:frr /var/run/frr/$F /etc/frr/$F; touch /etc/frr/$F/vtysh.conf
D=$(mktemp -d); mkdir -p $D; chmod 755 $D
printf 'vni 1000\n' > $D/zebra.conf
cat > $D/bgpd.conf <<EOC
frr defaults datacenter
hostname frrleaf
log stdout
router bgp 65000
 bgp router-id 10.0.0.2
 no bgp default ipv4-unicast
 neighbor 10.0.12.1 remote-as 65000
 address-family ipv4 unicast
  network 10.202.2.0/24
 exit-address-family
 address-family l2vpn evpn
  neighbor 10.0.12.1 activate
  advertise-all-vni
  advertise ipv4 unicast
 exit-address-family
EOC
chown -R frr:frr $D
$XF /usr/lib/frr/zebra -N $F -f $D/zebra.conf -i /var/run/frr/$F/zebra.pid -P 0 > $D/zebra.log 2>&1 &
ZP=$!
sleep 0.5
$XF /usr/lib/frr/bgpd -N $F -f $D/bgpd.conf -i /var/run/frr/$F/bgpd.pid -P 0 -l 10.0.12.2 > $D/bgpd.log 2>&1 &
BP=$!
cat > $D/gobgpd.toml <<EOC
[global.config]
as = 65000
router-id = "10.0.0.1"
port = 179
[[neighbors]]
[neighbors.config]
neighbor-address = "10.0.12.2"
peer-as = 65000
[[neighbors.afi-safis]]
[neighbors.afi-safis.config]
afi-safi-name = "l2vpn-evpn"
EOC
$XG gobgpd -f $D/gobgpd.toml --api-hosts 127.0.0.1:50051 -p > $D/gobgpd.log 2>&1 &
GP=$!
for i in $(seq 30); do $XG gobgp -u 127.0.0.1 neighbor 2>/dev/null | grep -q Establ && break; sleep 1; done
$XG gobgp -u 127.0.0.1 neighbor
$XG gobgp -u 127.0.0.1 global rib -a evpn add prefix 10.201.2.0/24 gw 0.0.0.0 etag 0 label 1000 rd 10.0.0.1:1000 rt 65000:1000 encap vxlan router-mac 02:00:00:10:00:01 nexthop 10.0.0.1
sleep 4
$XG gobgp -u 127.0.0.1 global rib -a evpn
vtysh -N $F -c 'show evpn vni 1000 json'
vtysh -N $F -c 'show evpn rmac vni all json'
vtysh -N $F -c 'show evpn next-hops vni all json'
vtysh -N $F -c 'show ip route json'
vtysh -N $F -c 'show bgp l2vpn evpn route type prefix json'
$XF ip -j route; echo; $XF ip -j nexthop; echo; $XF ip -j neigh show dev br1000; echo; $XF bridge -j fdb show dev vxlan1000
echo; vtysh -N $F -c 'show bgp l2vpn evpn' 
kill $GP $BP $ZP; sleep 1
ip netns del $F; ip netns del $G; rm -rf /var/run/frr/$F /etc/frr/$F "$D"
