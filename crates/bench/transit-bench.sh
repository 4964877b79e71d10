#!/usr/bin/env bash
# Transit benchmark (issue 13), the published "ze-perf" workload: N IPv4
# unicast /24 prefixes through a speaker under test (the DUT, AS 65000, two
# passive eBGP peers). transit-load (crates/bench/src/bin/transit_load.rs)
# plays both peers from a second namespace: the receiver (10.3.0.3, AS 65002)
# connects first, then the sender (10.3.0.2, AS 65001); after 2 s the sender
# writes the N prefixes in full 4096-octet UPDATEs (classic NLRI, one
# attribute set: ORIGIN IGP, AS_PATH 65001, NEXT_HOP 10.3.0.2). Time = first
# byte sent -> the N-th prefix announced to the receiver; then the withdrawal
# of all N, timed the same way. 1 warm-up iteration + 3 kept (median), each
# on fresh sessions, 8 s apart (the --iter-delay of ze-perf's runner). Peak
# RSS = the DUT's VmHWM over the run; DUT CPU = its user + system seconds
# during the announcement (median; FRR: bgpd + zebra).
#
#   bash crates/bench/transit-bench.sh [ROUTES]        (default 100000)
#   TRANSIT_BENCH_IMPLS="evpnd frr gobgp" chooses the speakers; also
#     frr-nozebra: bgpd alone (-Z), and evpnd-nofib: evpnd without a kernel
#     side (learn_from_kernel = false) — neither installs anything.
#   TRANSIT_BENCH_BIN=dir uses the evpnd and transit-load in dir (else a
#     release build); TRANSIT_BENCH_REPEAT / _WARMUP_RUNS / _ATTR_SETS pass
#     --repeat / --warmup-runs / --attr-sets to transit-load;
#     TRANSIT_BENCH_SETTLE: seconds between the DUT listening and the first
#     session (5, as ze-perf);
#     TRANSIT_BENCH_PERF=file records `perf record --call-graph dwarf` of
#     evpnd meanwhile (perf report -i file).
# FIB: FRR runs zebra as ze-perf's FRR container does, so zebra installs the
# routes in the DUT namespace's main table (bgpd does not wait for it to
# advertise); evpnd runs as in production (it installs what it selects in
# the main table, nor does it wait); GoBGP has no FIB. Root required. Exit 1 if any speaker
# failed.
set -euo pipefail
cd "$(dirname "$0")/../.."
routes=${1:-100000}
impls=${TRANSIT_BENCH_IMPLS:-evpnd frr gobgp}
bash interop/setup.sh >/dev/null
if [ -n "${TRANSIT_BENCH_BIN:-}" ]; then
    bin=$TRANSIT_BENCH_BIN
else
    cargo build -q --release -p evpnd -p evpnd-bench
    bin=$PWD/target/release
fi
need=(transit-load)
case " $impls " in *" evpnd "* | *" evpnd-nofib "*) need+=(evpnd) ;; esac
for b in "${need[@]}"; do
    [ -x "$bin/$b" ] || { echo "error: $bin/$b missing" >&2; exit 1; }
done
work=$(mktemp -d)
chmod 755 "$work"
dut=trd$$; peers=trp$$
pids=()
failed=0
cleanup() {
    for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
    sleep 0.3
    for p in "${pids[@]:-}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true; done
    pids=()
    ip netns del "$dut" 2>/dev/null || true
    ip netns del "$peers" 2>/dev/null || true
    rm -rf "/var/run/frr/$dut" "/etc/frr/$dut"
}
trap 'cleanup; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

setup_ns() {
    ip netns add "$dut"; ip netns add "$peers"
    ip -n "$dut" link set lo up; ip -n "$peers" link set lo up
    ip link add eth0 netns "$dut" type veth peer name eth0 netns "$peers"
    ip -n "$dut" addr add 10.3.0.1/24 dev eth0
    ip -n "$peers" addr add 10.3.0.2/24 dev eth0
    ip -n "$peers" addr add 10.3.0.3/24 dev eth0
    ip -n "$dut" link set eth0 up; ip -n "$peers" link set eth0 up
}

wait_listen() {
    for _ in $(seq 1 100); do
        ip netns exec "$dut" ss -ltn 2>/dev/null | grep -q ':179 ' && return 0
        sleep 0.1
    done
    echo "the DUT did not listen on 179" >&2; return 1
}

peak_rss_mb() { awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }

# Starts the DUT $1; sets dpid (the BGP process) and xpid (zebra, if any).
start_dut() {
    local name=$1
    dpid=""; xpid=""
    case $name in
    evpnd | evpnd-nofib)
        # evpnd-nofib: no kernel side (learn_from_kernel = false), so nothing
        # is installed in the FIB (docs/unicast.md).
        local kernel=true
        [ "$name" = evpnd-nofib ] && kernel=false
        cat > "$work/evpnd.toml" <<T
[bgp]
asn = 65000
router_id = "10.3.0.1"
[[neighbor]]
address = "10.3.0.2"
remote_asn = 65001
passive = true
families = ["ipv4-unicast"]
[[neighbor]]
address = "10.3.0.3"
remote_asn = 65002
passive = true
families = ["ipv4-unicast"]
[evpn]
learn_from_kernel = $kernel
[log]
level = "warn"
[api]
socket = "$work/evpnd.sock"
T
        ip netns exec "$dut" "$bin/evpnd" -c "$work/evpnd.toml" > "$work/evpnd.log" 2>&1 &
        dpid=$!
        ;;
    frr | frr-nozebra)
        # ze-perf's FRR configuration (test/perf/configs/frr.conf there),
        # the route-map defined first: a neighbour's route-map that does not
        # exist yet when its line is read denies everything until bgpd's
        # route-map timer (5 s) applies it, and what was denied meanwhile is
        # only asked for again by ROUTE-REFRESH.
        mkdir -p "/var/run/frr/$dut" "/etc/frr/$dut"
        chown frr:frr "/var/run/frr/$dut" "/etc/frr/$dut"
        touch "/etc/frr/$dut/vtysh.conf"
        cat > "$work/bgpd.conf" <<T
frr defaults traditional
route-map PERMIT permit 10
router bgp 65000
 bgp router-id 10.3.0.1
 neighbor 10.3.0.2 remote-as 65001
 neighbor 10.3.0.2 passive
 neighbor 10.3.0.3 remote-as 65002
 neighbor 10.3.0.3 passive
 address-family ipv4 unicast
  neighbor 10.3.0.2 route-map PERMIT in
  neighbor 10.3.0.2 route-map PERMIT out
  neighbor 10.3.0.3 route-map PERMIT in
  neighbor 10.3.0.3 route-map PERMIT out
 exit-address-family
T
        touch "$work/zebra.conf"
        chown frr:frr "$work/bgpd.conf" "$work/zebra.conf"
        local nozebra=()
        if [ "$name" = frr ]; then
            ip netns exec "$dut" /usr/lib/frr/zebra -N "$dut" -f "$work/zebra.conf" \
                -i "/var/run/frr/$dut/zebra.pid" -P 0 > "$work/zebra.log" 2>&1 &
            xpid=$!
            pids+=("$xpid")
            sleep 0.5
        else
            nozebra=(-Z)
        fi
        ip netns exec "$dut" /usr/lib/frr/bgpd -N "$dut" "${nozebra[@]}" -f "$work/bgpd.conf" \
            -i "/var/run/frr/$dut/bgpd.pid" -P 0 > "$work/bgpd.log" 2>&1 &
        dpid=$!
        ;;
    gobgp)
        # ze-perf's GoBGP configuration (test/perf/configs/gobgp.toml there).
        cat > "$work/gobgpd.toml" <<T
[global.config]
  as = 65000
  router-id = "10.3.0.1"
[global.apply-policy.config]
  default-import-policy = "accept-route"
  default-export-policy = "accept-route"
[[neighbors]]
  [neighbors.config]
    neighbor-address = "10.3.0.2"
    peer-as = 65001
  [neighbors.transport.config]
    passive-mode = true
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
[[neighbors]]
  [neighbors.config]
    neighbor-address = "10.3.0.3"
    peer-as = 65002
  [neighbors.transport.config]
    passive-mode = true
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
T
        ip netns exec "$dut" gobgpd -f "$work/gobgpd.toml" --api-hosts 127.0.0.1:50051 -p -l warn \
            > "$work/gobgpd.log" 2>&1 &
        dpid=$!
        ;;
    *) echo "unknown speaker $name" >&2; return 2 ;;
    esac
    pids+=("$dpid")
}

run_one() { # name
    local name=$1 out line rss perf_pid=""
    setup_ns
    start_dut "$name"
    wait_listen
    # As ze-perf, which gives each DUT 5 s after its start.
    sleep "${TRANSIT_BENCH_SETTLE:-5}"
    if [ "${name%-nofib}" = evpnd ] && [ -n "${TRANSIT_BENCH_PERF:-}" ]; then
        # DWARF call graphs: the release profile keeps no frame pointers.
        perf record -F 999 --call-graph dwarf,16384 -o "$TRANSIT_BENCH_PERF" -p "$dpid" \
            > "$work/perf.log" 2>&1 &
        perf_pid=$!
    fi
    local cpu_pids=(--dut-pid "$dpid")
    [ -n "$xpid" ] && cpu_pids+=(--dut-pid "$xpid")
    if out=$(ip netns exec "$peers" "$bin/transit-load" --dut 10.3.0.1 --sender 10.3.0.2 \
        --receiver 10.3.0.3 --routes "$routes" \
        --repeat "${TRANSIT_BENCH_REPEAT:-3}" --warmup-runs "${TRANSIT_BENCH_WARMUP_RUNS:-1}" \
        --attr-sets "${TRANSIT_BENCH_ATTR_SETS:-1}" "${cpu_pids[@]}" 2> "$work/load.err"); then
        echo "$out" | sed 's/^/# /' >&2
        line=$(echo "$out" | tail -n1)
        rss="$(peak_rss_mb "$dpid") MB"
        [ -n "$xpid" ] && rss="$rss (+ zebra $(peak_rss_mb "$xpid") MB)"
        field() { echo "$line" | sed -n "s/.*\b$1=\([^ ]*\).*/\1/p"; }
        printf '| %s | %s | **%s s** | %s | %s s | %s s | %s | %s s |\n' "$name" "$routes" \
            "$(field seconds)" "$(field runs)" "$(field first_seconds)" \
            "$(field withdraw_seconds)" "$rss" "$(field dut_cpu_seconds)"
    else
        printf '| %s | %s | failed: %s |\n' "$name" "$routes" "$(tail -n1 "$work/load.err")"
        for f in "$work"/*.log; do echo "== $f" >&2; tail -n 5 "$f" >&2; done
        failed=1
    fi
    if [ -n "$perf_pid" ]; then
        kill -INT "$perf_pid" 2>/dev/null || true
        wait "$perf_pid" 2>/dev/null || true
    fi
    cleanup
}

echo "| speaker | routes | time to last route (median) | kept runs (s) | first route | withdrawal | peak RSS | DUT CPU |"
echo "|---|---|---|---|---|---|---|---|"
for impl in $impls; do run_one "$impl"; done
exit "$failed"
