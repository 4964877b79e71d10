#!/usr/bin/env bash
# Dataplane programming benchmark (issue 5): a peer sends N MAC-only type-2
# routes (RT 65001:100, VTEP 10.2.0.2) to a leaf with VNI 100; time from the
# first route sent to all N remote MACs in the kernel's VXLAN FDB. Measured
# for evpnd and FRR 8.4 (zebra + bgpd) as the leaf, beside `bridge -batch`
# adding the same N entries (NTF_MASTER|NTF_SELF extern_learn, dst) on the
# same kernel. Root required. Prints a table.
#   bash crates/bench/fdb-bench.sh [ROUTES]      (default 100000)
set -euo pipefail
cd "$(dirname "$0")/../.."
. crates/bench/frr-leaf.sh
routes=${1:-100000}
bash interop/setup.sh >/dev/null
cargo build -q --release -p evpnd -p evpnd-bench
bin=$PWD/target/release
work=$(mktemp -d)
chmod 755 "$work"
leaf=fdbl$$; peers=fdbp$$
pids=()
cleanup() {
    for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
    sleep 1
    for p in "${pids[@]:-}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true; done
    pids=()
    ip netns del "$leaf" 2>/dev/null || true
    ip netns del "$peers" 2>/dev/null || true
    frr_leaf_clean "$leaf"
}
trap 'cleanup; rm -rf "$work"' EXIT

setup_ns() {
    ip netns add "$leaf"; ip netns add "$peers"
    ip -n "$leaf" link set lo up; ip -n "$peers" link set lo up
    ip link add eth0 netns "$leaf" type veth peer name eth0 netns "$peers"
    ip -n "$leaf" addr add 10.2.0.1/24 dev eth0
    ip -n "$peers" addr add 10.2.0.2/24 dev eth0
    ip -n "$leaf" link set eth0 up mtu 9000; ip -n "$peers" link set eth0 up mtu 9000
    ip -n "$leaf" link add br100 type bridge
    ip -n "$leaf" link add vxlan100 type vxlan id 100 local 10.2.0.1 dstport 4789 nolearning
    ip -n "$leaf" link set vxlan100 master br100
    ip -n "$leaf" link set br100 up; ip -n "$leaf" link set vxlan100 up
}

# Remote MACs (VXLAN `self` entries with a destination) in the leaf's kernel.
remote_macs() { ip netns exec "$leaf" bridge fdb show dev vxlan100 | grep -c ' dst .* self' || true; }

now() { date +%s.%N; }

# Watches FDB notifications (no dump: a dump holds the RTNL lock and would
# slow the writer it measures); fdb-watch writes done_unix= when the N-th
# remote MAC appears.
watch_fdb() {
    ip netns exec "$leaf" "$bin/fdb-watch" "$routes" > "$work/watch.out" 2>&1 &
    pids+=($!); disown
    for _ in $(seq 1 50); do grep -q ready "$work/watch.out" && return 0; sleep 0.1; done
}

# Waits until all routes are in the kernel; prints seconds since $1.
wait_programmed() {
    local start=$1 n done_at
    for _ in $(seq 1 1200); do
        done_at=$(sed -n 's/^done_unix=//p' "$work/watch.out")
        if [ -n "$done_at" ]; then
            echo "$done_at - $start" | bc
            return 0
        fi
        grep -q lost "$work/watch.out" && { cat "$work/watch.out" >&2; return 1; }
        sleep 0.1
    done
    n=$(remote_macs)
    echo "timeout after 120 s with $n of $routes (notifications lost?)" >&2
    return 1
}

row() { # name seconds
    printf '| %-14s | %7s | %8.2f s | %9.0f /s |\n' "$1" "$routes" "$2" "$(echo "$routes / $2" | bc -l)"
}

run_leaf() { # evpnd|frr
    local name=$1 out start secs
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
passive = true
[log]
level = "warn"
[api]
socket = "$work/evpnd.sock"
T
        ip netns exec "$leaf" "$bin/evpnd" -c "$work/fabric.toml" 2> "$work/evpnd.log" &
        pids+=($!); disown
        ;;
    frr)
        frr_leaf_start "$leaf" "$work"
        ;;
    esac
    for _ in $(seq 1 100); do
        ip netns exec "$leaf" ss -ltn 2>/dev/null | grep -q ':179 ' && break
        sleep 0.1
    done
    watch_fdb
    ip netns exec "$peers" "$bin/rr-load" --rr 10.2.0.1 --sender 10.2.0.2 --routes "$routes" \
        --send-only 150 --mac-only true > "$work/load.out" 2>&1 &
    pids+=($!); disown
    for _ in $(seq 1 100); do
        start=$(sed -n 's/^start_unix=//p' "$work/load.out")
        [ -n "$start" ] && break
        sleep 0.1
    done
    if [ -z "$start" ]; then
        echo "| $name | $routes | no session: $(tail -1 "$work/load.out") |"
    elif secs=$(wait_programmed "$start") && [ "$(remote_macs)" -ge "$routes" ]; then
        row "$name" "$secs"
    else
        echo "| $name | $routes | not programmed within 120 s |"
        for f in "$work"/*.log; do echo "== $f" >&2; tail -n 5 "$f" >&2; done
    fi
    cleanup
}

run_batch() {
    setup_ns
    awk -v n="$routes" 'BEGIN { for (i = 0; i < n; i++)
        printf "fdb add 02:00:%02x:%02x:%02x:%02x dev vxlan100 master self extern_learn dst 10.2.0.2\n",
            int(i / 16777216) % 256, int(i / 65536) % 256, int(i / 256) % 256, i % 256 }' > "$work/batch"
    # Timed like the daemons: from the start to the N-th remote MAC seen by
    # fdb-watch, which listens here too (a listener costs the writer: every
    # entry's notification is copied to it).
    local start secs
    watch_fdb
    start=$(now)
    ip netns exec "$leaf" bridge -batch "$work/batch"
    secs=$(wait_programmed "$start")
    [ "$(remote_macs)" -ge "$routes" ] || { echo "bridge -batch left entries out" >&2; exit 1; }
    row "bridge -batch" "$secs"
    cleanup
}

command -v bc >/dev/null || apt-get install -y -qq bc >/dev/null
echo "| leaf | MACs | time to last MAC in the FDB | rate |"
echo "|---|---|---|---|"
for impl in ${FDB_BENCH_IMPLS:-batch evpnd frr}; do
    case $impl in
    batch) run_batch ;;
    *) run_leaf "$impl" ;;
    esac
done
