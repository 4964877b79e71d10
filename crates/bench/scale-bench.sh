#!/usr/bin/env bash
# Scale on one leaf (issue 16). A leaf with VNIS per-VNI VXLAN devices
# (VNI 100 ..), a peer (rr-load) sending MACS MAC-only type-2 routes spread
# over them (RT 65001:VNI, VTEP 10.2.0.2), observed by fdb-watch from netlink
# notifications. For evpnd and for `bridge -batch` writing the same entries:
#   load      time from the first route sent (bridge -batch: its start) to
#             the last remote MAC in the FDB;
#   withdraw  time from the peer's session going down without graceful
#             restart (bridge -batch: the start of the deletes) to an empty
#             FDB;
# and for evpnd its peak RSS, whether its log shows lost notifications or a
# repair scan, and:
#   moves     MOVES MACs moved by the peer to VTEP 10.2.0.3 with a higher
#             sequence number, one UPDATE every 50 ms (then in bursts of 10
#             every 500 ms): p50/p99/max from the UPDATE sent to the kernel's
#             entry pointing at the new VTEP;
#   restart   evpnd killed (-9) and started again, the peer reconnecting and
#             sending everything again: time to "BGP converged" and to the
#             end of the start-up dump, and the remote-MAC adds/deletes the
#             kernel notified meanwhile (0 wanted);
#   vni-add   ADD VNIs created at run time with the MACs loaded (documented
#             order: device, master, up): time to ADD more type-3 routes
#             received by the peer, evpnd's CPU seconds meanwhile.
# SCALE_BENCH_IMPLS=frr runs FRR 8.4 (zebra + bgpd, frr-leaf.sh) as the
# leaf: load (bounded: FRR_LIMIT s, default 1200, then how far it got),
# peak RSS of bgpd and zebra, moves and withdraw; no restart or vni-add.
# Root required. One run of each; prints a table. ONLY_LOAD=1 stops evpnd's
# run after the load and its settled memory; RESTART=0 skips the restart.
#   bash crates/bench/scale-bench.sh [MACS] [VNIS] [ADD] [MOVES]
#   (default 1000000 10 100 1000)
set -euo pipefail
cd "$(dirname "$0")/../.."
. crates/bench/frr-leaf.sh
macs=${1:-1000000}
vnis=${2:-10}
add=${3:-100}
moves=${4:-1000}
bash interop/setup.sh >/dev/null
cargo build -q --release -p evpnd -p evpnd-bench
bin=$PWD/target/release
work=$(mktemp -d)
chmod 755 "$work"
leaf=scl$$; peers=scp$$
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

# `ip -batch` lines creating VNIs $1 .. $2 in the documented order.
vni_lines() {
    local v
    for v in $(seq "$1" "$2"); do
        echo "link add br$v type bridge"
        echo "link add vxlan$v type vxlan id $v local 10.2.0.1 dstport 4789 nolearning"
        echo "link set vxlan$v master br$v"
        echo "link set br$v up"
        echo "link set vxlan$v up"
    done
}

setup_ns() {
    ip netns add "$leaf"; ip netns add "$peers"
    ip -n "$leaf" link set lo up; ip -n "$peers" link set lo up
    ip link add eth0 netns "$leaf" type veth peer name eth0 netns "$peers"
    ip -n "$leaf" addr add 10.2.0.1/24 dev eth0
    ip -n "$peers" addr add 10.2.0.2/24 dev eth0
    ip -n "$leaf" link set eth0 up mtu 9000; ip -n "$peers" link set eth0 up mtu 9000
    vni_lines 100 $((100 + vnis - 1)) > "$work/vnis.batch"
    ip -n "$leaf" -batch "$work/vnis.batch"
}

now() { date +%s.%N; }

# fdb-watch for N remote MACs added (or gone, $1 = gone).
watch_fdb() {
    ip netns exec "$leaf" "$bin/fdb-watch" "$macs" "${1:-}" > "$work/watch.out" 2>&1 &
    pids+=($!); disown
    for _ in $(seq 1 50); do grep -q ready "$work/watch.out" && return 0; sleep 0.1; done
}

# Seconds from $1 to fdb-watch's done_unix (fails after $2 s, default 1200).
wait_watch() {
    local start=$1 done_at
    for _ in $(seq 1 $((${2:-1200} * 10))); do
        done_at=$(sed -n 's/^done_unix=//p' "$work/watch.out")
        if [ -n "$done_at" ]; then printf '%.2f' "$(echo "$done_at - $start" | bc)"; return 0; fi
        grep -q lost "$work/watch.out" && { cat "$work/watch.out" >&2; return 1; }
        sleep 0.1
    done
    echo "timeout" >&2
    return 1
}

# MAC i as rr-load numbers it (02:00 then i), in VNI 100 + i / per.
batch_file() { # add|del
    awk -v n="$macs" -v k="$vnis" -v op="$1" 'BEGIN {
        per = int((n + k - 1) / k)
        for (i = 0; i < n; i++) {
            mac = sprintf("02:00:%02x:%02x:%02x:%02x", int(i / 16777216) % 256, int(i / 65536) % 256, int(i / 256) % 256, i % 256)
            dev = "vxlan" (100 + int(i / per))
            if (op == "add") printf "fdb add %s dev %s master self extern_learn dst 10.2.0.2\n", mac, dev
            else { printf "fdb del %s dev %s self\n", mac, dev; printf "fdb del %s dev %s master\n", mac, dev }
        } }'
}

# p50/p99/max in ms from each move sent (load.out) to its entry seen (moved.out).
move_latency() {
    awk '/^moved=/ { split($1, m, "="); split($2, t, "="); sent[m[2]] = t[2] }
         /^mac=/ { split($1, m, "="); split($2, t, "="); if (m[2] in sent) print (t[2] - sent[m[2]]) * 1000 }' \
        "$work/load.out" "$work/moved.out" | sort -n > "$work/lat"
    awk '{ v[NR] = $1 } END { if (NR == 0) { print "no moves seen"; exit }
        printf "%d moves: p50 %.1f ms, p99 %.1f ms, max %.1f ms", NR, v[int(NR * 0.5) + (NR * 0.5 > int(NR * 0.5))], v[int(NR * 0.99) + (NR * 0.99 > int(NR * 0.99))], v[NR] }' "$work/lat"
}

# RSS in MB of pid $1 once its CPU time stops growing (at most 60 s), with
# VmHWM: "RSS n MB settled (peak m MB)".
mem_settled() {
    local pid=$1 c0 c1
    c0=$(cpu_secs "$pid")
    for _ in $(seq 1 60); do
        sleep 1
        c1=$(cpu_secs "$pid")
        [ "$(echo "$c1 - $c0 < 0.05" | bc)" = 1 ] && break
        c0=$c1
    done
    awk '/VmRSS/ { r = $2 } /VmHWM/ { h = $2 } END { printf "RSS %.0f MB settled (peak %.0f MB)", r / 1024, h / 1024 }' "/proc/$pid/status"
}

cpu_secs() { # pid: user + system seconds
    awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"
}

row() { printf '| %-14s | %-9s | %9s | %s |\n' "$1" "$2" "$3" "$4"; }

run_batch() {
    setup_ns
    batch_file add > "$work/add.batch"
    batch_file del > "$work/del.batch"
    local start secs
    watch_fdb
    start=$(now)
    ip netns exec "$leaf" bridge -batch "$work/add.batch"
    secs=$(wait_watch "$start")
    row "bridge -batch" load "$secs s" ""
    watch_fdb gone
    start=$(now)
    ip netns exec "$leaf" bridge -force -batch "$work/del.batch" 2>/dev/null || true
    secs=$(wait_watch "$start")
    row "bridge -batch" withdraw "$secs s" ""
    cleanup
}

# MAC moves at load (rr-load sends them on SIGUSR1), waiting at most $2 s
# for the last: row $1 moves.
run_moves() {
    ip netns exec "$leaf" "$bin/fdb-watch" "$moves" moved 10.2.0.3 > "$work/moved.out" 2>&1 &
    pids+=($!); disown
    for _ in $(seq 1 50); do grep -q ready "$work/moved.out" && break; sleep 0.1; done
    kill -USR1 "$load"
    for _ in $(seq 1 $(($2 * 10))); do grep -q '^done_unix' "$work/moved.out" && break; sleep 0.1; done
    row "$1" moves "" "$(move_latency)"
}

start_evpnd() {
    # EVPND_WRAP: a command evpnd runs under (e.g. `heaptrack -o FILE`).
    ip netns exec "$leaf" ${EVPND_WRAP:-} "$bin/evpnd" -c "$work/leaf.toml" 2> "$work/evpnd.log" &
    evpnd=$!
    pids+=($evpnd); disown
    for _ in $(seq 1 100); do
        ip netns exec "$leaf" ss -ltn 2>/dev/null | grep -q ':179 ' && break
        sleep 0.1
    done
}

start_load() {
    ip netns exec "$peers" "$bin/rr-load" --rr 10.2.0.1 --sender 10.2.0.2 --routes "$macs" \
        --send-only 3600 --mac-only true --vnis "$vnis" \
        --moves "$moves" --move-every "${MOVE_EVERY:-50}" --move-burst "${MOVE_BURST:-1}" \
        > "$work/load.out" 2>&1 &
    load=$!
    pids+=($load); disown
    for _ in $(seq 1 600); do
        grep -q '^start_unix=' "$work/load.out" && return 0
        sleep 0.1
    done
    echo "no session: $(tail -1 "$work/load.out")" >&2
    return 1
}

run_evpnd() {
    setup_ns
    cat > "$work/leaf.toml" <<T
[bgp]
asn = 65000
router_id = "10.2.0.1"
[[neighbor]]
address = "10.2.0.2"
remote_asn = 65000
passive = true
[log]
level = "info"
[api]
socket = "$work/evpnd.sock"
T
    start_evpnd
    watch_fdb
    start_load
    local start secs
    start=$(sed -n 's/^start_unix=//p' "$work/load.out")
    secs=$(wait_watch "$start")
    local rss
    rss=$(awk '/VmHWM/ { printf "%.0f MB", $2 / 1024 }' "/proc/$evpnd/status")
    row evpnd load "$secs s" "peak RSS $rss"
    # Resident memory once the load is digested: the steady state beside
    # the transient peak (VmHWM).
    local settled
    settled=$(mem_settled "$evpnd")
    row evpnd memory "" "$settled"
    if [ "${ONLY_LOAD:-0}" = 1 ]; then
        # Under EVPND_WRAP, $evpnd is the wrapper: stop evpnd, its child, first.
        local c
        for c in $(cat /proc/"$evpnd"/task/*/children 2>/dev/null); do kill "$c" 2>/dev/null || true; done
        sleep 2
        cleanup
        return 0
    fi
    # kill -9 and start again, the peer reconnecting.
    if [ "${RESTART:-1}" = 1 ]; then
        ip netns exec "$leaf" "$bin/fdb-watch" 3600 churn > "$work/churn.out" 2>&1 &
        local churn=$!
        pids+=($churn); disown
        sleep 1
        start=$(now)
        kill -9 "$evpnd"; kill "$load" 2>/dev/null || true
        cp "$work/evpnd.log" "$work/evpnd-first.log"
        sleep 0.5
        start_evpnd
        start_load
        local conv="" synced=""
        for _ in $(seq 1 12000); do
            [ -z "$conv" ] && grep -q 'BGP converged' "$work/evpnd.log" &&
                conv=$(printf '%.1f' "$(echo "$(now) - $start" | bc)")
            [ -z "$synced" ] && grep -q 'kernel state learned' "$work/evpnd.log" &&
                synced=$(printf '%.1f' "$(echo "$(now) - $start" | bc)")
            [ -n "$conv" ] && [ -n "$synced" ] && break
            sleep 0.1
        done
        sleep 3
        row evpnd restart "$conv s" "BGP converged; the kernel's $macs MACs re-read (start-up dump) at $synced s; kernel notified $(tail -1 "$work/churn.out") of remote MACs meanwhile; peak RSS $(awk '/VmHWM/ { printf "%.0f MB", $2 / 1024 }' "/proc/$evpnd/status")"
        kill "$churn" 2>/dev/null || true
        # The restarted daemon digests the re-sent routes (all already in
        # the kernel) before the moves are timed at steady state.
        sleep "${SETTLE:-20}"
    fi
    run_moves evpnd 600
    # VNIs at run time, with the MACs loaded.
    sleep 2
    local before want cpu0 t
    before=$(sed -n 's/^imets=\([0-9]*\) .*/\1/p' "$work/load.out" | tail -1)
    want=$((before + add))
    vni_lines 1000 $((1000 + add - 1)) > "$work/add-vnis.batch"
    cpu0=$(cpu_secs "$evpnd")
    start=$(now)
    ip -n "$leaf" -batch "$work/add-vnis.batch"
    secs=""
    for _ in $(seq 1 6000); do
        t=$(awk -v w="$want" '/^imets=/ { split($1, a, "="); split($2, b, "="); if (a[2] >= w) { print b[2]; exit } }' "$work/load.out")
        if [ -n "$t" ]; then secs=$(printf '%.3f' "$(echo "$t - $start" | bc)"); break; fi
        sleep 0.05
    done
    row evpnd vni-add "${secs:-timeout} s" "$add VNIs, $(printf '%.2f' "$(echo "$(cpu_secs "$evpnd") - $cpu0" | bc)") s CPU"
    # Withdrawal: the peer goes away without graceful restart.
    watch_fdb gone
    start=$(now)
    kill "$load"
    secs=$(wait_watch "$start")
    row evpnd withdraw "$secs s" ""
    local lost
    lost=$(cat "$work"/evpnd*.log | grep -c -E 'notifications were lost|re-reading|repair scan' || true)
    row evpnd log "" "$lost lines of lost notifications / repair"
    cat "$work"/evpnd*.log > "/tmp/scale-bench-evpnd.log" 2>/dev/null || true
    cleanup
}

# FRR 8.4 (zebra + bgpd, zebra with the packaged `-s 90000000` netlink
# buffer) as the leaf: load (bounded by FRR_LIMIT s, default 1200: if the
# last MAC is not in the FDB by then, how far it got), moves, and withdraw
# (bounded by FRR_WITHDRAW_LIMIT s, default 300). No restart or vni-add.
run_frr() {
    local limit=${FRR_LIMIT:-1200} start secs churn
    setup_ns
    frr_leaf_start "$leaf" "$work" -s 90000000
    for _ in $(seq 1 100); do
        ip netns exec "$leaf" ss -ltn 2>/dev/null | grep -q ':179 ' && break
        sleep 0.1
    done
    watch_fdb
    # Counts remote-MAC add notifications: how far a load that does not
    # complete got, without a dump (which at 1M takes minutes under RTNL).
    ip netns exec "$leaf" "$bin/fdb-watch" $((limit + 60)) churn > "$work/churn.out" 2>&1 &
    churn=$!
    pids+=($churn); disown
    start_load
    start=$(sed -n 's/^start_unix=//p' "$work/load.out")
    if ! secs=$(wait_watch "$start" "$limit"); then
        row frr load "did not complete in $limit s" "$(tail -1 "$work/churn.out") remote-MAC notifications by then ($macs wanted); peak RSS $(frr_leaf_peak)"
        frr_logs
        cleanup
        return 0
    fi
    row frr load "$secs s" "peak RSS $(frr_leaf_peak)"
    kill "$churn" 2>/dev/null || true
    sleep "${SETTLE:-5}"
    run_moves frr 300
    watch_fdb gone
    start=$(now)
    kill "$load"
    secs=$(wait_watch "$start" "${FRR_WITHDRAW_LIMIT:-300}") || secs="did not complete in ${FRR_WITHDRAW_LIMIT:-300}"
    row frr withdraw "$secs s" "peak RSS $(frr_leaf_peak)"
    frr_logs
    cleanup
}

# FRR's logs kept for a look after the run.
frr_logs() { cat "$work"/zebra.log "$work"/bgpd.log > /tmp/scale-bench-frr.log 2>/dev/null || true; }

command -v bc >/dev/null || apt-get install -y -qq bc >/dev/null
echo "$macs MACs over $vnis VNIs"
echo "| leaf | phase | time | |"
echo "|---|---|---|---|"
for impl in ${SCALE_BENCH_IMPLS:-batch evpnd}; do
    case $impl in
    batch) run_batch ;;
    evpnd) run_evpnd ;;
    frr) run_frr ;;
    esac
done
