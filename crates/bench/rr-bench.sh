#!/usr/bin/env bash
# Route-reflector benchmark (issue 3): one client sends N type-2 routes into
# the reflector, a second client receives them; time to the last route and
# the reflector's peak RSS (VmHWM). Runs evpnd, FRR 8.4 bgpd and gobgpd on the
# same workload in network namespaces and prints a table. Root required.
#   bash crates/bench/rr-bench.sh [ROUTES]      (default 1000000)
#   RR_BENCH_IMPLS="evpnd frr gobgp" chooses the reflectors; RR_BENCH_BIN, below.
set -euo pipefail
cd "$(dirname "$0")/../.."
routes=${1:-1000000}
bash interop/setup.sh >/dev/null
# RR_BENCH_BIN=dir: use the evpnd and rr-load already in dir (comparing builds).
if [ -n "${RR_BENCH_BIN:-}" ]; then
    bin=$RR_BENCH_BIN
else
    cargo build -q --release -p evpnd -p evpnd-bench
    bin=$PWD/target/release
fi
work=$(mktemp -d)
rr=rrb$$; peers=prb$$
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    sleep 0.3
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
    for p in "${extra_pids[@]:-}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true; done
    ip netns del "$rr" 2>/dev/null || true
    ip netns del "$peers" 2>/dev/null || true
    rm -rf "/var/run/frr/$rr" "/etc/frr/$rr"
}
trap 'cleanup; rm -rf "$work"' EXIT

setup_ns() {
    ip netns add "$rr"; ip netns add "$peers"
    ip -n "$rr" link set lo up; ip -n "$peers" link set lo up
    ip link add eth0 netns "$rr" type veth peer name eth0 netns "$peers"
    ip -n "$rr" addr add 10.2.0.1/24 dev eth0
    ip -n "$peers" addr add 10.2.0.2/24 dev eth0
    ip -n "$peers" addr add 10.2.0.3/24 dev eth0
    ip -n "$rr" link set eth0 up mtu 9000; ip -n "$peers" link set eth0 up mtu 9000
}

wait_listen() {
    for _ in $(seq 1 100); do
        ip netns exec "$rr" ss -ltn 2>/dev/null | grep -q ':179 ' && return 0
        sleep 0.1
    done
    echo "reflector did not listen on 179" >&2; return 1
}

peak_rss_mb() { awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }
# CPU seconds (user + system) the reflector used so far: steadier than the
# wall clock when the machine is shared.
cpu_secs() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$1/stat"; }

run_one() { # name
    local name=$1 out
    extra_pids=()
    setup_ns
    case $name in
    evpnd)
        cat > "$work/fabric.toml" <<T
[bgp]
asn = 65000
router_id = "10.2.0.1"
[[neighbor]]
address = "10.2.0.2"
remote_asn = 65000
route_reflector_client = true
passive = true
[[neighbor]]
address = "10.2.0.3"
remote_asn = 65000
route_reflector_client = true
passive = true
[evpn]
learn_from_kernel = false
[log]
level = "warn"
[api]
socket = "$work/evpnd.sock"
T
        ip netns exec "$rr" "$bin/evpnd" -c "$work/fabric.toml" 2> "$work/evpnd.log" &
        pid=$!
        ;;
    frr)
        mkdir -p "/var/run/frr/$rr" "/etc/frr/$rr"; chown frr:frr "/var/run/frr/$rr" "/etc/frr/$rr"
        touch "/etc/frr/$rr/vtysh.conf"; chmod 755 "$work"
        printf 'frr defaults datacenter\nlog stdout\nrouter bgp 65000\n bgp router-id 10.2.0.1\n no bgp default ipv4-unicast\n neighbor 10.2.0.2 remote-as 65000\n neighbor 10.2.0.3 remote-as 65000\n address-family l2vpn evpn\n  neighbor 10.2.0.2 activate\n  neighbor 10.2.0.2 route-reflector-client\n  neighbor 10.2.0.3 activate\n  neighbor 10.2.0.3 route-reflector-client\n exit-address-family\n' > "$work/bgpd.conf"
        touch "$work/zebra.conf"; chown frr:frr "$work/bgpd.conf" "$work/zebra.conf"
        ip netns exec "$rr" /usr/lib/frr/zebra -N "$rr" -f "$work/zebra.conf" -i "/var/run/frr/$rr/zebra.pid" -P 0 > "$work/zebra.log" 2>&1 &
        extra_pids+=($!)
        sleep 0.5
        ip netns exec "$rr" /usr/lib/frr/bgpd -N "$rr" -f "$work/bgpd.conf" -i "/var/run/frr/$rr/bgpd.pid" -P 0 > "$work/bgpd.log" 2>&1 &
        pid=$!
        ;;
    gobgp)
        cat > "$work/gobgpd.toml" <<T
[global.config]
as = 65000
router-id = "10.2.0.1"
[[neighbors]]
[neighbors.config]
neighbor-address = "10.2.0.2"
peer-as = 65000
[neighbors.route-reflector.config]
route-reflector-client = true
route-reflector-cluster-id = "10.2.0.1"
[[neighbors.afi-safis]]
[neighbors.afi-safis.config]
afi-safi-name = "l2vpn-evpn"
[[neighbors]]
[neighbors.config]
neighbor-address = "10.2.0.3"
peer-as = 65000
[neighbors.route-reflector.config]
route-reflector-client = true
route-reflector-cluster-id = "10.2.0.1"
[[neighbors.afi-safis]]
[neighbors.afi-safis.config]
afi-safi-name = "l2vpn-evpn"
T
        ip netns exec "$rr" gobgpd -f "$work/gobgpd.toml" --api-hosts 127.0.0.1:50051 -p -l warn > "$work/gobgpd.log" 2>&1 &
        pid=$!
        ;;
    esac
    wait_listen
    if out=$(ip netns exec "$peers" timeout 150 "$bin/rr-load" --rr 10.2.0.1 --sender 10.2.0.2 --receiver 10.2.0.3 --routes "$routes" 2>&1); then
        secs=$(echo "$out" | sed -n 's/.*seconds=\([0-9.]*\).*/\1/p')
        printf '| %-6s | %9s | %8s s | %6s MB | %6s s |\n' "$name" "$routes" "$secs" "$(peak_rss_mb "$pid")" "$(cpu_secs "$pid")"
    else
        printf '| %-6s | %9s | failed: %s |\n' "$name" "$routes" "$(echo "$out" | tail -1)"
        for f in "$work"/*.log; do echo "== $f" >&2; tail -n 5 "$f" >&2; done
    fi
    cleanup
    pid=""
}

echo "| reflector | routes | time to last route | peak RSS | reflector CPU |"
echo "|---|---|---|---|---|"
for impl in ${RR_BENCH_IMPLS:-evpnd frr gobgp}; do run_one "$impl"; done
