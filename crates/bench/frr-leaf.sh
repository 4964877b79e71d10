# Sourced by fdb-bench.sh and scale-bench.sh: FRR 8.4 (zebra + bgpd) as an
# EVPN leaf in a namespace, peering iBGP (AS 65000) with 10.2.0.2 and
# `advertise-all-vni` (the leaf's VNIs are the kernel's VXLAN devices).
# The caller owns `pids` (killed by its cleanup) and calls frr_leaf_clean.

# frr_leaf_start NS DIR [ZEBRA_ARGS...]: writes DIR/{bgpd,zebra}.conf,
# starts zebra then bgpd in NS (logs DIR/{zebra,bgpd}.log), sets frr_zebra
# and frr_bgpd to their PIDs and appends both to pids.
frr_leaf_start() {
    local ns=$1 dir=$2
    shift 2
    mkdir -p "/var/run/frr/$ns" "/etc/frr/$ns"; chown frr:frr "/var/run/frr/$ns" "/etc/frr/$ns"
    touch "/etc/frr/$ns/vtysh.conf"
    printf 'frr defaults datacenter\nrouter bgp 65000\n bgp router-id 10.2.0.1\n no bgp default ipv4-unicast\n neighbor 10.2.0.2 remote-as 65000\n address-family l2vpn evpn\n  neighbor 10.2.0.2 activate\n  advertise-all-vni\n exit-address-family\n' > "$dir/bgpd.conf"
    touch "$dir/zebra.conf"; chown frr:frr "$dir/bgpd.conf" "$dir/zebra.conf"
    ip netns exec "$ns" /usr/lib/frr/zebra -N "$ns" -f "$dir/zebra.conf" -i "/var/run/frr/$ns/zebra.pid" -P 0 "$@" > "$dir/zebra.log" 2>&1 &
    frr_zebra=$!
    pids+=($frr_zebra); disown
    sleep 0.5
    ip netns exec "$ns" /usr/lib/frr/bgpd -N "$ns" -f "$dir/bgpd.conf" -i "/var/run/frr/$ns/bgpd.pid" -P 0 > "$dir/bgpd.log" 2>&1 &
    frr_bgpd=$!
    pids+=($frr_bgpd); disown
}

# Peak RSS (VmHWM) of bgpd and zebra: "bgpd A MB + zebra B MB".
frr_leaf_peak() {
    local b z
    b=$(awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$frr_bgpd/status" 2>/dev/null || echo "?")
    z=$(awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$frr_zebra/status" 2>/dev/null || echo "?")
    echo "bgpd $b MB + zebra $z MB"
}

frr_leaf_clean() { rm -rf "/var/run/frr/$1" "/etc/frr/$1"; }
