#!/bin/sh
# Leaf dataplane for the containerlab topology: VTEP address on lo, underlay
# on eth1 (towards the spine), VNI 100 as br100 + vxlan100 with the host on
# eth2. Reads VTEP (10.0.0.N), UNDERLAY (10.0.N.1/30) and SPINE (10.0.N.2).
set -eu
# containerlab attaches the links after the container starts.
for _ in $(seq 1 120); do
    ip link show eth1 >/dev/null 2>&1 && ip link show eth2 >/dev/null 2>&1 && break
    sleep 0.5
done
ip addr add "$VTEP/32" dev lo
ip addr add "$UNDERLAY" dev eth1
ip link set eth1 up
ip route add 10.0.0.0/24 via "$SPINE"
ip link add br100 type bridge
ip link add vxlan100 type vxlan id 100 local "$VTEP" dstport 4789 nolearning
ip link set vxlan100 master br100
bridge link set dev vxlan100 neigh_suppress on learning off
ip link set eth2 master br100
for d in br100 vxlan100 eth2; do ip link set "$d" up; done
