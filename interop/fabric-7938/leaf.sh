#!/bin/sh
# Leaf dataplane of the RFC 7938 containerlab fabric: the loopback (= VTEP)
# on lo, the two uplinks up with nothing on them but their IPv6 link-local
# addresses (evpnd peers over them: BGP unnumbered), VNI 100 as br100 +
# vxlan100 with the host on acc. No route: evpnd learns every one.
# Reads VTEP (10.0.0.1N) and HOST_SVI (192.168.100.25N/24).
set -eu
# containerlab attaches the links after the container starts.
for _ in $(seq 1 120); do
    ip link show swp1 >/dev/null 2>&1 && ip link show swp2 >/dev/null 2>&1 &&
        ip link show acc >/dev/null 2>&1 && break
    sleep 0.5
done
sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv4.ip_forward=1 \
    net.ipv6.conf.all.forwarding=1
ip addr add "$VTEP/32" dev lo
ip link set swp1 up
ip link set swp2 up
ip link add br100 type bridge
ip link add vxlan100 type vxlan id 100 local "$VTEP" dstport 4789 nolearning
ip link set vxlan100 master br100
bridge link set dev vxlan100 neigh_suppress on learning off
ip link set acc master br100
for d in br100 vxlan100 acc; do ip link set "$d" up; done
ip addr add "$HOST_SVI" dev br100
