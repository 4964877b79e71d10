#!/usr/bin/env bash
# Underlay benchmark (issue 13): N IPv4 routes into the main table through
# evpnd's linux task, beside `ip -batch` of the same routes observed the
# same way. A leaf namespace with two veth links (s1, s2) to a spine
# namespace (p1 fe80::b:1, p2 fe80::b:2); every route is 20.0.0.0/24,
# 20.0.1.0/24, … via the spines' link-local addresses (RFC 8950: an IPv4
# prefix via an IPv6 gateway):
#   ecmp    via fe80::b:1 dev s1 and fe80::b:2 dev s2 (one nexthop group)
#   single  via fe80::b:1 dev s1
# * evpnd: `underlay-load --routes N --gateways …` starts the linux task
#   (`evpnd_linux::spawn`, what the daemon runs) and sends the N
#   `DesiredChange::Route { table: 254, …, via: Gateways }` in batches of
#   10,000. Time = first change sent → the N-th route notified.
# * kernel: `ip -batch` of the file `underlay-load --batch-file` writes
#   (the nexthops and group, then `route add P nhid ID proto 245 metric 20`
#   each). Time = `ip -batch` started → the N-th route notified.
# Both are observed by `route-watch N 254 245` (RTM_NEWROUTE notifications,
# no dump). Also the loader's RSS growth per route (the linux task's
# desired and programmed state).
#   bash crates/bench/underlay-bench.sh [ROUTES]     (default 1000000)
#   UNDERLAY_BENCH_MODES="ecmp single" (default both), UNDERLAY_BENCH_ROUNDS=1,
#   UNDERLAY_BENCH_BIN=dir uses the binaries in dir (else a release build).
# Root required. Prints one line per run:
#   mode=M impl=kernel routes=N seconds=S rate=R/s batch_exit_seconds=E
#   mode=M impl=evpnd routes=N seconds=S rate=R/s rss_before_mb=A rss_after_mb=B bytes_per_route=X
set -euo pipefail
cd "$(dirname "$0")/../.."
routes=${1:-1000000}
modes=${UNDERLAY_BENCH_MODES:-ecmp single}
rounds=${UNDERLAY_BENCH_ROUNDS:-1}
if [ -n "${UNDERLAY_BENCH_BIN:-}" ]; then
    bin=$UNDERLAY_BENCH_BIN
else
    cargo build -q --release -p evpnd-bench --bin underlay-load --bin route-watch
    bin=$PWD/target/release
fi
for b in underlay-load route-watch; do
    [ -x "$bin/$b" ] || { echo "error: $bin/$b missing" >&2; exit 1; }
done
work=$(mktemp -d)
leaf=ulbl$$; spine=ulbs$$
pids=()
wpid=
cleanup() {
    for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
    sleep 0.3
    for p in "${pids[@]:-}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true; done
    pids=()
    # The million routes go with their links, synchronously: a namespace
    # deleted with them in would be freed later by a kernel worker holding
    # the RTNL lock, slowing down whichever run comes next.
    for n in 1 2; do ip -n "$leaf" link del "s$n" 2>/dev/null || true; done
    ip netns del "$leaf" 2>/dev/null || true
    ip netns del "$spine" 2>/dev/null || true
}
trap 'cleanup; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

setup_ns() {
    cleanup
    ip netns add "$leaf"; ip netns add "$spine"
    ip -n "$leaf" link set lo up; ip -n "$spine" link set lo up
    for n in 1 2; do
        ip link add "s$n" netns "$leaf" type veth peer name "p$n" netns "$spine"
        ip -n "$leaf" -6 addr add "fe80::a:$n/64" dev "s$n" nodad
        ip -n "$spine" -6 addr add "fe80::b:$n/64" dev "p$n" nodad
        ip -n "$leaf" link set "s$n" up; ip -n "$spine" link set "p$n" up
    done
}

gateways() {
    case $1 in
        ecmp) echo "fe80::b:1%s1,fe80::b:2%s2" ;;
        single) echo "fe80::b:1%s1" ;;
        *) echo "unknown mode $1" >&2; return 2 ;;
    esac
}

watch() {
    ip netns exec "$leaf" "$bin/route-watch" "$routes" 254 245 > "$work/watch.out" 2>&1 &
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

run_kernel() { # mode
    setup_ns
    "$bin/underlay-load" --batch-file "$work/batch" --routes "$routes" --gateways "$(gateways "$1")"
    local t0 t1 te
    watch
    t0=$(date +%s.%N)
    ip -n "$leaf" -batch "$work/batch"
    te=$(date +%s.%N)
    t1=$(wait_all 600)
    awk -v m="$1" -v n="$routes" -v a="$t0" -v b="$t1" -v e="$te" \
        'BEGIN {printf "mode=%s impl=kernel routes=%d seconds=%.3f rate=%.0f/s batch_exit_seconds=%.3f\n", m, n, b - a, n / (b - a), e - a}'
}

run_evpnd() { # mode
    setup_ns
    watch
    ip netns exec "$leaf" "$bin/underlay-load" --routes "$routes" --gateways "$(gateways "$1")" \
        --hold 600 > "$work/load.out" 2> "$work/load.err" &
    local lpid=$!
    pids+=("$lpid")
    local start="" before after t1
    for _ in $(seq 1 200); do
        start=$(sed -n 's/^start_unix=//p' "$work/load.out")
        [ -n "$start" ] && break
        sleep 0.05
    done
    [ -n "$start" ] || { cat "$work/load.out" "$work/load.err" >&2; return 1; }
    before=$(rss_kb "$lpid")
    t1=$(wait_all 600) || { cat "$work/load.out" "$work/load.err" >&2; return 1; }
    for _ in $(seq 1 100); do
        grep -q programmed_unix "$work/load.out" && break
        sleep 0.05
    done
    after=$(rss_kb "$lpid")
    awk -v m="$1" -v n="$routes" -v a="$start" -v b="$t1" -v r0="$before" -v r1="$after" \
        'BEGIN {printf "mode=%s impl=evpnd routes=%d seconds=%.3f rate=%.0f/s rss_before_mb=%.1f rss_after_mb=%.1f bytes_per_route=%.0f\n",
            m, n, b - a, n / (b - a), r0 / 1024, r1 / 1024, (r1 - r0) * 1024 / n}'
    local sent
    sent=$(sed -n 's/^sent_unix=//p' "$work/load.out")
    sed -n 's/^programmed_unix=[^ ]* //p' "$work/load.out" |
        awk -v m="$1" -v a="$start" -v s="$sent" '{printf "mode=%s impl=evpnd sent_seconds=%.3f %s\n", m, s - a, $0}'
    # CPU time of the loader (the linux task and the generator), user and system.
    awk -v m="$1" '{printf "mode=%s impl=evpnd cpu_user_seconds=%.2f cpu_system_seconds=%.2f\n", m, $14 / 100, $15 / 100}' "/proc/$lpid/stat"
}

for _ in $(seq 1 "$rounds"); do
    for mode in $modes; do
        run_kernel "$mode"
        run_evpnd "$mode"
    done
done
