#!/usr/bin/env bash
# L3 benchmark (issue 11): N type-5 prefixes of one peer into a tenant table
# (table mode, table 1000, L3VNI 4000, `via VTEP dev br4000 onlink` through
# one nexthop object). Time from the first UPDATE to the last route in the
# kernel, beside `ip -batch` of the same N routes (one `nexthop add`, then
# `route add P nhid ID table 1000 proto 245 metric 20` each) observed the
# same way: `route-watch` prints when the N-th route of table 1000, protocol
# 245, was notified (netlink notifications, no dump: a dump holds the RTNL
# lock against the writer). Also evpnd's RSS growth per installed prefix.
#   bash crates/bench/l3-bench.sh [ROUTES]        (default 100000)
#   L3_BENCH_IMPLS="kernel evpnd frr" chooses what runs (default kernel evpnd;
#   frr = FRR 8.4 zebra + bgpd with zebra's global `vni 4000`, main table);
#   L3_BENCH_BIN=dir uses the evpnd and l3-load in dir (else a release build).
# Root required. Prints one line per implementation:
#   impl=kernel routes=N seconds=S rate=R/s batch_exit_seconds=E
#   impl=evpnd routes=N seconds=S rate=R/s rss_before_mb=A rss_after_mb=B bytes_per_route=X
set -euo pipefail
cd "$(dirname "$0")/../.."
routes=${1:-100000}
impls=${L3_BENCH_IMPLS:-kernel evpnd}
if [ -n "${L3_BENCH_BIN:-}" ]; then
    bin=$L3_BENCH_BIN
else
    cargo build -q --release -p evpnd -p evpnd-bench
    bin=$PWD/target/release
fi
for b in l3-load route-watch; do
    [ -x "$bin/$b" ] || { echo "error: $bin/$b missing" >&2; exit 1; }
done
work=$(mktemp -d)
leaf=l3bl$$; peer=l3bp$$
pids=()
wpid=
cleanup() {
    for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
    sleep 0.3
    for p in "${pids[@]:-}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true; done
    ip netns del "$leaf" 2>/dev/null || true
    ip netns del "$peer" 2>/dev/null || true
}
trap 'cleanup; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

setup_ns() {
    cleanup
    pids=()
    ip netns add "$leaf"; ip netns add "$peer"
    ip -n "$leaf" link set lo up; ip -n "$peer" link set lo up
    ip -n "$leaf" addr add 10.0.0.1/32 dev lo
    ip link add eth0 netns "$leaf" type veth peer name eth0 netns "$peer"
    ip -n "$leaf" addr add 10.9.0.1/24 dev eth0
    ip -n "$peer" addr add 10.9.0.2/24 dev eth0
    ip -n "$leaf" link set eth0 up; ip -n "$peer" link set eth0 up
    ip -n "$leaf" link add br4000 type bridge
    ip -n "$leaf" link set br4000 address 02:00:00:40:00:01
    ip -n "$leaf" link add vxlan4000 type vxlan id 4000 local 10.0.0.1 dstport 4789 nolearning
    ip -n "$leaf" link set vxlan4000 master br4000
    ip -n "$leaf" link set vxlan4000 up; ip -n "$leaf" link set br4000 up
}

# Starts route-watch in the leaf namespace; wait_all prints its done time.
watch() {
    ip netns exec "$leaf" "$bin/route-watch" "$routes" 1000 245 > "$work/watch.out" 2>&1 &
    wpid=$!
    pids+=("$wpid")
    for _ in $(seq 1 100); do grep -q ready "$work/watch.out" && return 0; sleep 0.05; done
    echo "route-watch did not start" >&2; return 1
}
wait_all() { # deadline_secs
    local i
    for i in $(seq 1 $(( $1 * 20 ))); do
        kill -0 "$wpid" 2>/dev/null || break
        sleep 0.05
    done
    sed -n 's/^done_unix=//p' "$work/watch.out" | grep . ||
        { echo "no done time: $(cat "$work/watch.out")" >&2; return 1; }
}

rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

run_kernel() {
    setup_ns
    "$bin/l3-load" --batch-file "$work/batch" --routes "$routes" --local 10.9.0.2 --svi br4000 --table 1000
    local t0 t1 te
    watch
    t0=$(date +%s.%N)
    ip -n "$leaf" -batch "$work/batch"
    te=$(date +%s.%N)
    t1=$(wait_all 300)
    awk -v n="$routes" -v a="$t0" -v b="$t1" -v e="$te" \
        'BEGIN {printf "impl=kernel routes=%d seconds=%.3f rate=%.0f/s batch_exit_seconds=%.3f\n", n, b - a, n / (b - a), e - a}'
}

run_evpnd() {
    setup_ns
    cat > "$work/evpnd.toml" <<EOC
[bgp]
asn = 65000
router_id = "10.0.0.1"
[[neighbor]]
address = "10.9.0.2"
remote_asn = 65000
[[evpn.vrf]]
name = "t1"
l3vni = 4000
table = 1000
advertise_connected = false
[api]
socket = "$work/evpnd.sock"
EOC
    ip netns exec "$leaf" "$bin/evpnd" -c "$work/evpnd.toml" > "$work/evpnd.log" 2>&1 &
    local epid=$!
    pids+=("$epid")
    for _ in $(seq 1 100); do
        ip netns exec "$leaf" ss -ltn 2>/dev/null | grep -q ':179 ' && break
        sleep 0.1
    done
    sleep 1
    local before after start t1
    before=$(rss_kb "$epid")
    watch
    ip netns exec "$peer" "$bin/l3-load" --peer 10.9.0.1 --local 10.9.0.2 --routes "$routes" \
        --hold 600 > "$work/load.out" 2>&1 &
    pids+=("$!")
    for _ in $(seq 1 200); do
        start=$(sed -n 's/^start_unix=//p' "$work/load.out")
        [ -n "$start" ] && break
        sleep 0.05
    done
    [ -n "$start" ] || { cat "$work/load.out" "$work/evpnd.log" >&2; return 1; }
    t1=$(wait_all "${L3_BENCH_DEADLINE:-300}") || { cat "$work/load.out" >&2; tail -20 "$work/evpnd.log" >&2; return 1; }
    after=$(rss_kb "$epid")
    awk -v n="$routes" -v a="$start" -v b="$t1" -v r0="$before" -v r1="$after" \
        'BEGIN {printf "impl=evpnd routes=%d seconds=%.3f rate=%.0f/s rss_before_mb=%.1f rss_after_mb=%.1f bytes_per_route=%.0f\n",
            n, b - a, n / (b - a), r0 / 1024, r1 / 1024, (r1 - r0) * 1024 / n}'
}

# FRR 8.4 (zebra + bgpd) as the leaf: zebra's global `vni 4000` maps the
# L3VNI to the default VRF (FRR 8.4 has no table mode), so its routes go to
# the main table with protocol bgp (186); watched the same way.
run_frr() {
    setup_ns
    local run=/var/run/frr/$leaf etc=/etc/frr/$leaf d=$work/frr
    mkdir -p "$run" "$etc" "$d"
    chown frr:frr "$run" "$etc" "$d"
    chmod 755 "$work" "$d"
    : > "$etc/vtysh.conf"
    printf 'vni 4000\n' > "$d/zebra.conf"
    cat > "$d/bgpd.conf" <<EOC
frr defaults datacenter
router bgp 65000
 bgp router-id 10.0.0.1
 no bgp default ipv4-unicast
 neighbor 10.9.0.2 remote-as 65000
 address-family l2vpn evpn
  neighbor 10.9.0.2 activate
  advertise-all-vni
 exit-address-family
EOC
    chown frr:frr "$d"/*.conf
    ip netns exec "$leaf" /usr/lib/frr/zebra -N "$leaf" -f "$d/zebra.conf" -i "$run/zebra.pid" -P 0 \
        > "$d/zebra.log" 2>&1 &
    local zpid=$!
    pids+=("$zpid")
    sleep 0.5
    ip netns exec "$leaf" /usr/lib/frr/bgpd -N "$leaf" -f "$d/bgpd.conf" -i "$run/bgpd.pid" -P 0 \
        -l 10.9.0.1 > "$d/bgpd.log" 2>&1 &
    pids+=("$!")
    for _ in $(seq 1 100); do
        ip netns exec "$leaf" ss -ltn 2>/dev/null | grep -q ':179 ' && break
        sleep 0.1
    done
    sleep 1
    ip netns exec "$leaf" "$bin/route-watch" "$routes" 254 186 > "$work/watch.out" 2>&1 &
    wpid=$!
    pids+=("$wpid")
    for _ in $(seq 1 100); do grep -q ready "$work/watch.out" && break; sleep 0.05; done
    ip netns exec "$peer" "$bin/l3-load" --peer 10.9.0.1 --local 10.9.0.2 --routes "$routes" \
        --hold 600 > "$work/load.out" 2>&1 &
    pids+=("$!")
    local start="" t1
    for _ in $(seq 1 200); do
        start=$(sed -n 's/^start_unix=//p' "$work/load.out")
        [ -n "$start" ] && break
        sleep 0.05
    done
    [ -n "$start" ] || { cat "$work/load.out" "$d/bgpd.log" >&2; return 1; }
    t1=$(wait_all "${L3_BENCH_DEADLINE:-300}") || { tail -20 "$d/bgpd.log" "$d/zebra.log" >&2; return 1; }
    awk -v n="$routes" -v a="$start" -v b="$t1" \
        'BEGIN {printf "impl=frr routes=%d seconds=%.3f rate=%.0f/s\n", n, b - a, n / (b - a)}'
    rm -rf "$run" "$etc"
}

for impl in $impls; do
    case $impl in
        kernel) run_kernel ;;
        evpnd) run_evpnd ;;
        frr) run_frr ;;
        *) echo "unknown implementation $impl" >&2; exit 2 ;;
    esac
done
