#!/usr/bin/env bash
# The evpnd demo. Today it shows the codec on real EVPN messages captured from
# FRR (a MAC moving between two leaves: sequence 0 -> 1 -> withdraw), decoded
# by `evpnctl decode` as an operator would. The fabric demo (evpnd leaves,
# FRR spine, hosts pinging across the overlay in namespaces) replaces this
# when the daemon and the kernel side land (issues 3 and 5).
set -euo pipefail
cd "$(dirname "$0")/.."
vectors=${EVPND_VECTORS:-../shared/vectors}
cargo build -q --release -p evpnctl
ctl=target/release/evpnctl
show() {
    echo "----- $1"
    "$ctl" decode --file "$vectors/$2.hex" "${@:3}" || true
}
show "leaf 172.21.64.17 advertises MAC 02:00:00:02:1b:94 (and others), sequence 0" evpn-t2-mac-ipv6-and-mac-only-frr
show "its flood-list route: type 3 with PMSI ingress replication, label = VNI" evpn-t3-imet-pmsi-ingress-replication-frr
show "the host moves: leaf 172.21.64.20 advertises the MAC with MAC mobility sequence 1" evpn-t2-mac-mobility-seq1-frr
show "the old leaf withdraws its route" evpn-t2-withdraw-mac-moved-frr
show "a malformed UPDATE (ORIGIN flags 0x04): the RFC 7606 verdict instead of a session reset" malformed-evpn-origin-flags-0x04-onos --as2
echo "----- the same route as JSON for tooling"
"$ctl" decode --json --file "$vectors/evpn-t2-mac-mobility-seq1-frr.hex" | head -c 1200; echo
