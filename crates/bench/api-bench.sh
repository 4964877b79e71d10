#!/usr/bin/env bash
# Management API benchmark (issue 4), on one evpnd taking 1,000,000 type-2
# routes from a peer (rr-load --send-only):
#  1. p50/p99/max latency of DaemonService/GetStatus, called every 10 ms
#     while the routes arrive (a query must not wait behind BGP);
#  2. listing all routes with `evpnctl routes --json` (every page): time,
#     routes printed, and evpnd's peak RSS before and after the listing.
# Root required.   bash crates/bench/api-bench.sh [ROUTES]   (default 1000000)
set -euo pipefail
cd "$(dirname "$0")/../.."
routes=${1:-1000000}
bash interop/setup.sh >/dev/null
cargo build -q --release -p evpnd -p evpnctl -p evpnd-bench
bin=$PWD/target/release
work=$(mktemp -d)
ns=apib$$; peers=apip$$
pids=()
cleanup() {
    for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
    sleep 1
    for p in "${pids[@]:-}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
    ip netns del "$peers" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$ns"; ip netns add "$peers"
ip -n "$ns" link set lo up; ip -n "$peers" link set lo up
ip link add eth0 netns "$ns" type veth peer name eth0 netns "$peers"
ip -n "$ns" addr add 10.2.0.1/24 dev eth0; ip -n "$peers" addr add 10.2.0.2/24 dev eth0
ip -n "$ns" link set eth0 up mtu 9000; ip -n "$peers" link set eth0 up mtu 9000
cat > "$work/fabric.toml" <<T
[bgp]
asn = 65000
router_id = "10.2.0.1"
[[neighbor]]
address = "10.2.0.2"
remote_asn = 65000
passive = true
[evpn]
learn_from_kernel = false
[log]
level = "warn"
[api]
socket = "$work/evpnd.sock"
T
ip netns exec "$ns" "$bin/evpnd" -c "$work/fabric.toml" 2> "$work/evpnd.log" &
pid=$!; pids+=("$pid"); disown
for _ in $(seq 1 100); do [ -S "$work/evpnd.sock" ] && break; sleep 0.1; done
rib() { "$bin/evpnctl" --socket "$work/evpnd.sock" --json status | sed -n 's/.*"loc_rib_routes": *\([0-9]*\).*/\1/p'; }
hwm() { awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$pid/status"; }

"$bin/api-latency" "$work/evpnd.sock" 20 > "$work/latency" 2>&1 &
lat=$!; pids+=("$lat"); disown
sleep 1
ip netns exec "$peers" "$bin/rr-load" --rr 10.2.0.1 --sender 10.2.0.2 --routes "$routes" --send-only 600 > "$work/load" 2>&1 &
pids+=($!); disown
for _ in $(seq 1 600); do [ "$(rib)" = "$routes" ] && break; sleep 0.2; done
[ "$(rib)" = "$routes" ] || { echo "evpnd did not reach $routes routes" >&2; tail "$work/evpnd.log" >&2; exit 1; }
while kill -0 "$lat" 2>/dev/null; do sleep 0.2; done
echo "GetStatus while $routes routes arrive: $(cat "$work/latency")"

before=$(hwm)
start=$(date +%s.%N)
n=$("$bin/evpnctl" --socket "$work/evpnd.sock" --json routes | grep -c '"prefix"' || true)
end=$(date +%s.%N)
echo "listing: $n routes in $(echo "$end - $start" | bc) s; evpnd peak RSS ${before} MB before, $(hwm) MB after"
