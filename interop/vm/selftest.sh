#!/usr/bin/env bash
# Self-test of the VM stage, run inside the guest by run.sh:
#   bash interop/vm/run.sh -- bash interop/vm/selftest.sh
#
# Builds the single-VXLAN-device EVPN layout twice (two "VTEP" network
# namespaces joined by a veth underlay): a VLAN-aware bridge br0
# (vlan_filtering 1), one VXLAN device vxlan0 (external vnifilter) with
# vlan_tunnel on and VLAN 10 <-> VNI 100 (tunnel_info id 100), an 802.1Q
# SVI br0.10, and a host namespace on an access port in VLAN 10. Static
# flood entries (00:00:00:00:00:00 dst REMOTE src_vni 100) carry ARP, so a
# ping between the two hosts crosses the overlay. Then checks, with jq,
# what the kernel shows in `bridge -j fdb` and `bridge -j vlan tunnelshow`,
# and records what `bridge fdb replace ... vlan 10 src_vni 100 ... master
# self extern_learn` creates (the daemon's install path for remote MACs).
# Every namespace it creates is deleted on exit.
set -euo pipefail

p=evst$$-             # namespace prefix: unique per run
v1=${p}vtep1 v2=${p}vtep2 h1=${p}h1 h2=${p}h2
u1=192.0.2.1 u2=192.0.2.2               # underlay (TEST-NET-1)
vid=10 vni=100
mac_h1=02:00:00:00:01:01 mac_h2=02:00:00:00:02:01
ext_mac=02:00:00:00:aa:01               # for the fdb replace probe
pass=0 fail=0

cleanup() {
    local n
    for n in "$h1" "$h2" "$v1" "$v2"; do ip netns del "$n" 2>/dev/null || true; done
}
trap cleanup EXIT

ok() { pass=$((pass + 1)); echo "ok   - $*"; }
bad() { fail=$((fail + 1)); echo "FAIL - $*"; }
check() { # check DESCRIPTION CMD...
    local d=$1; shift
    if "$@"; then ok "$d"; else bad "$d"; fi
}
quiet() { "$@" >/dev/null 2>&1; }
# jqcheck DESCRIPTION JSON FILTER: FILTER must yield true.
jqcheck() {
    if [ "$(jq -e "$3" <<<"$2" 2>/dev/null)" = true ]; then ok "$1"; else
        bad "$1"; echo "     filter: $3"; echo "     json:   $2"
    fi
}

echo "# kernel $(uname -r), iproute2 $(ip -V | sed 's/.*iproute2-//')"
for n in "$v1" "$v2" "$h1" "$h2"; do ip netns add "$n"; done
for n in "$v1" "$v2" "$h1" "$h2"; do ip -n "$n" link set lo up; done

# Underlay: one veth between the VTEPs.
ip link add ul0 netns "$v1" type veth peer name ul0 netns "$v2"
ip -n "$v1" addr add "$u1/24" dev ul0
ip -n "$v2" addr add "$u2/24" dev ul0
ip -n "$v1" link set ul0 up
ip -n "$v2" link set ul0 up

vtep() { # vtep NS LOCAL REMOTE HOSTNS HOSTMAC SVI_IP
    local ns=$1 local=$2 remote=$3 hns=$4 hmac=$5 svi=$6
    ip -n "$ns" link add br0 type bridge vlan_filtering 1 vlan_default_pvid 0
    ip -n "$ns" link add vxlan0 type vxlan dstport 4789 local "$local" external vnifilter
    ip -n "$ns" link set vxlan0 master br0
    bridge -n "$ns" link set dev vxlan0 vlan_tunnel on
    bridge -n "$ns" vlan add dev vxlan0 vid "$vid"
    bridge -n "$ns" vlan add dev vxlan0 vid "$vid" tunnel_info id "$vni"
    bridge -n "$ns" vni add dev vxlan0 vni "$vni"
    bridge -n "$ns" fdb append 00:00:00:00:00:00 dev vxlan0 dst "$remote" src_vni "$vni" self
    # The access port of the host.
    ip link add eth0 netns "$hns" address "$hmac" type veth peer name hp0 netns "$ns"
    ip -n "$ns" link set hp0 master br0
    bridge -n "$ns" vlan add dev hp0 vid "$vid" pvid untagged
    # The SVI: an 802.1Q device on the bridge for VLAN 10.
    bridge -n "$ns" vlan add dev br0 vid "$vid" self
    ip -n "$ns" link add link br0 name "br0.$vid" type vlan id "$vid"
    ip -n "$ns" addr add "$svi/24" dev "br0.$vid"
    local d
    for d in br0 vxlan0 hp0 "br0.$vid"; do ip -n "$ns" link set "$d" up; done
    ip -n "$hns" link set eth0 up
}
vtep "$v1" "$u1" "$u2" "$h1" "$mac_h1" 198.51.100.101
vtep "$v2" "$u2" "$u1" "$h2" "$mac_h2" 198.51.100.102
ip -n "$h1" addr add 198.51.100.1/24 dev eth0
ip -n "$h2" addr add 198.51.100.2/24 dev eth0

j=$(ip -n "$v1" -j -d link show vxlan0)
jqcheck "vxlan0 is external (collect_md) + vnifilter" "$j" \
    '.[0].linkinfo.info_data | (.external == true) and (.vnifilter == true)'
echo "# vxlan0 learning: $(jq -c '.[0].linkinfo.info_data.learning' <<<"$j") (iproute2's 'external' implies nolearning)"
j=$(ip -n "$v1" -j -d link show br0)
jqcheck "br0 has vlan_filtering 1" "$j" '.[0].linkinfo.info_data.vlan_filtering == 1'
j=$(ip -n "$v1" -j -d link show "br0.$vid")
jqcheck "br0.$vid is an 802.1Q device, id $vid" "$j" \
    ".[0].linkinfo.info_kind == \"vlan\" and .[0].linkinfo.info_data.protocol == \"802.1Q\" and .[0].linkinfo.info_data.id == $vid"

check "underlay ping $u1 -> $u2" quiet ip netns exec "$v1" ping -c 1 -W 5 "$u2"
# Bridge ports start in forwarding at once with STP off; still, give the
# first ARP a few tries.
pinged=
for _ in 1 2 3 4 5; do
    if quiet ip netns exec "$h1" ping -c 1 -W 2 198.51.100.2; then pinged=1; break; fi
done
check "overlay ping h1 -> h2 (ARP flooded via 00:00:00:00:00:00 src_vni $vni)" test -n "$pinged"
check "overlay ping h1 -> remote SVI 198.51.100.102" \
    quiet ip netns exec "$h1" ping -c 1 -W 5 198.51.100.102
check "ping h2 -> local SVI 198.51.100.102" \
    quiet ip netns exec "$h2" ping -c 1 -W 5 198.51.100.102
j=$(ip -n "$h1" -j neigh show 198.51.100.2)
jqcheck "h1 resolved h2 by ARP ($mac_h2)" "$j" ".[0].lladdr == \"$mac_h2\""

echo "# vtep1: bridge -j vlan tunnelshow"
tun=$(bridge -n "$v1" -j vlan tunnelshow)
echo "$tun"
jqcheck "tunnelshow: vxlan0 maps vlan $vid <-> tunid $vni" "$tun" \
    "any(.[]; .ifname == \"vxlan0\" and any(.tunnels[]; .vlan == $vid and .tunid == $vni))"
echo "# vtep1: bridge -j vni show"
vnis=$(bridge -n "$v1" -j vni show)
echo "$vnis"
jqcheck "vni show: vxlan0 filters vni $vni" "$vnis" \
    "any(.[]; .ifname == \"vxlan0\" and any(.vnis[]; .vni == $vni))"

echo "# vtep1: bridge -j fdb show (after the pings)"
fdb=$(bridge -n "$v1" -j fdb show)
jq -c '.[]' <<<"$fdb"
jqcheck "flood entry: 00:00:00:00:00:00 self, dst $u2, src_vni $vni" "$fdb" \
    "any(.[]; .mac == \"00:00:00:00:00:00\" and .ifname == \"vxlan0\" and .dst == \"$u2\" and .src_vni == $vni and (has(\"master\") | not))"
jqcheck "bridge learned h2 ($mac_h2) on vxlan0 in vlan $vid (master entry)" "$fdb" \
    "any(.[]; .mac == \"$mac_h2\" and .ifname == \"vxlan0\" and .vlan == $vid and .master == \"br0\")"
jqcheck "bridge learned h1 ($mac_h1) on hp0 in vlan $vid" "$fdb" \
    "any(.[]; .mac == \"$mac_h1\" and .ifname == \"hp0\" and .vlan == $vid and .master == \"br0\")"
# The VXLAN device itself (self entries) learns the remote MAC from the
# outer source, keyed by VNI: printed, and checked that such an entry (if
# the kernel makes one) has the right dst and src_vni.
jqcheck "any self entry for h2 on vxlan0 has dst $u2 and src_vni $vni" "$fdb" \
    "[.[] | select(.mac == \"$mac_h2\" and .ifname == \"vxlan0\" and (has(\"master\") | not))] | all(.dst == \"$u2\" and .src_vni == $vni)"
echo "# self (vxlan0) entries for h2: $(jq -c "[.[] | select(.mac == \"$mac_h2\" and (has(\"master\") | not))]" <<<"$fdb")"

# The daemon's install path for a remote MAC (EVPN type 2) on the single
# device: one command, master + self, extern_learn.
cmd=(bridge -n "$v1" fdb replace "$ext_mac" dev vxlan0 vlan "$vid" src_vni "$vni" dst "$u2" master self extern_learn)
echo "# probe: ${cmd[*]/#$p/}"
if out=$("${cmd[@]}" 2>&1); then
    ok "fdb replace ... vlan $vid src_vni $vni dst $u2 master self extern_learn accepted"
else
    bad "fdb replace ... master self extern_learn: $out"
fi
fdb=$(bridge -n "$v1" -j fdb show)
probe=$(jq -c "[.[] | select(.mac == \"$ext_mac\")]" <<<"$fdb")
echo "# entries for $ext_mac: $probe"
jqcheck "probe: master entry on vxlan0, vlan $vid, extern_learn" "$probe" \
    "any(.[]; .master == \"br0\" and .ifname == \"vxlan0\" and .vlan == $vid and (.flags | index(\"extern_learn\")))"
jqcheck "probe: self entry on vxlan0, dst $u2, src_vni $vni" "$probe" \
    "any(.[]; (has(\"master\") | not) and .ifname == \"vxlan0\" and .dst == \"$u2\" and .src_vni == $vni)"
# The MAC moves to another VTEP (192.0.2.3): the same combined replace.
u3=192.0.2.3
"${cmd[@]/%$u2/$u3}" 2>/dev/null ||
    bridge -n "$v1" fdb replace "$ext_mac" dev vxlan0 vlan "$vid" src_vni "$vni" dst "$u3" master self extern_learn
moved=$(bridge -n "$v1" -j fdb show | jq -c "[.[] | select(.mac == \"$ext_mac\")]")
echo "# after the combined replace with dst $u3: $moved"
jqcheck "move: one self entry, now dst $u3 src_vni $vni; master entry kept" "$moved" \
    "([.[] | select(has(\"master\") | not)] | length == 1 and .[0].dst == \"$u3\" and .[0].src_vni == $vni) and any(.[]; .master == \"br0\" and .vlan == $vid)"
# Withdrawal: one combined delete.
if bridge -n "$v1" fdb del "$ext_mac" dev vxlan0 vlan "$vid" src_vni "$vni" master self 2>/dev/null; then
    echo "# combined fdb del ... vlan $vid src_vni $vni master self: accepted"
else
    echo "# combined fdb del ... vlan $vid src_vni $vni master self: refused"
fi
left=$(bridge -n "$v1" -j fdb show | jq -c "[.[] | select(.mac == \"$ext_mac\")]")
echo "# after the combined del: $left"
jqcheck "combined del (master self) removes both entries" "$left" 'length == 0'
bridge -n "$v1" fdb del "$ext_mac" dev vxlan0 vlan "$vid" master 2>/dev/null || true
bridge -n "$v1" fdb del "$ext_mac" dev vxlan0 self 2>/dev/null || true
# The same, as two separate commands (what a daemon may prefer to send).
if bridge -n "$v1" fdb replace "$ext_mac" dev vxlan0 vlan "$vid" master extern_learn &&
    bridge -n "$v1" fdb replace "$ext_mac" dev vxlan0 src_vni "$vni" dst "$u2" self extern_learn; then
    ok "separate master (vlan) and self (src_vni, dst) replaces accepted"
else
    bad "separate master and self replaces"
fi
sep=$(bridge -n "$v1" -j fdb show | jq -c "[.[] | select(.mac == \"$ext_mac\")]")
echo "# entries for $ext_mac (separate commands): $sep"
jqcheck "separate: master vlan $vid and self src_vni $vni dst $u2" "$sep" \
    "any(.[]; .master == \"br0\" and .vlan == $vid) and any(.[]; (has(\"master\") | not) and .src_vni == $vni and .dst == \"$u2\")"

# Traffic to the probe MAC leaves over the tunnel (the self entry is used).
echo "# vtep1 vxlan0 tx counter before/after a frame to $ext_mac"
txb=$(ip -n "$v1" -j -s link show vxlan0 | jq '.[0].stats64.tx.packets')
ip netns exec "$h1" ip neigh replace 198.51.100.77 lladdr "$ext_mac" dev eth0
ip netns exec "$h1" ping -c 1 -W 1 -q 198.51.100.77 >/dev/null 2>&1 || true
txa=$(ip -n "$v1" -j -s link show vxlan0 | jq '.[0].stats64.tx.packets')
echo "#   $txb -> $txa"
check "a frame to the extern_learn MAC is sent on vxlan0" test "$txa" -gt "$txb"

cleanup
left=$(ip netns list | grep -c "^$p" || true)
check "all namespaces removed" test "$left" -eq 0
trap - EXIT
echo "# selftest: $pass passed, $fail failed in ${SECONDS} s"
[ "$fail" -eq 0 ]
