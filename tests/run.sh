#!/usr/bin/env bash
# The whole evpnd test suite: formatting, lints, unit + property + vector tests,
# kernel tests in network namespaces, interop with FRR and GoBGP, and a short
# fuzz smoke run. This is the command the README gives and the one CI runs.
#
# Needs root (network namespaces) on a Debian-like machine; installs what it
# needs (FRR, GoBGP, iproute2, ...) through interop/setup.sh.
# An interop or kernel test that cannot run FAILS: nothing is skipped quietly.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

step() { printf '\n==> %s\n' "$*"; }

step "installing test dependencies (interop/setup.sh)"
bash interop/setup.sh

# The public BGP vectors live in the shared reference folder beside the repo.
if [ -z "${EVPND_VECTORS:-}" ]; then
    export EVPND_VECTORS="$root/../shared/vectors"
fi
if [ ! -d "$EVPND_VECTORS" ]; then
    echo "error: BGP test vectors not found at $EVPND_VECTORS (set EVPND_VECTORS)" >&2
    exit 1
fi

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy (-D warnings)"
cargo clippy --workspace --all-targets --locked -- -D warnings

# ADR 0015: the decision-making crates do no I/O. Their dependency trees
# (each built alone, as `cargo tree -p` resolves it) hold no async runtime,
# gRPC/protobuf or netlink crate.
step "dependency rules: the sans-IO crates pull in no tokio, tonic, prost or netlink"
for crate in evpnd-wire evpnd-rib evpnd-evpn evpnd-config evpnd-core evpnd-migrate; do
    bad=$(cargo tree --locked -p "$crate" -e normal --prefix none |
        grep -E '^(tokio|tonic|prost|rtnetlink|netlink-)' | sort -u || true)
    if [ -n "$bad" ]; then
        echo "error: $crate depends on: $bad (docs/ARCHITECTURE.md, dependency rules)" >&2
        exit 1
    fi
done
for crate in evpnd-session evpnd-ndisc; do
    bad=$(cargo tree --locked -p "$crate" --no-default-features -e normal --prefix none |
        grep -E '^(tokio|tonic|prost|rtnetlink|netlink-)' | sort -u || true)
    if [ -n "$bad" ]; then
        echo "error: $crate without its driver depends on: $bad" >&2
        exit 1
    fi
done

step "cargo test (unit, property, vectors, kernel, interop)"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test --workspace --locked 2>&1 | tee "$log"
passed=$(grep -Eo '[0-9]+ passed' "$log" | awk '{s += $1} END {print s + 0}')
failed=$(grep -Eo '[0-9]+ failed' "$log" | awk '{s += $1} END {print s + 0}')

# The transit benchmark's harness (crates/bench/transit-bench.sh, issue 13)
# at a small scale with debug binaries: evpnd, FRR and GoBGP must each carry
# 2,000 prefixes from the generator to the receiver and withdraw them again.
# Times are printed, never checked.
step "transit benchmark smoke run (2,000 routes through evpnd, FRR, GoBGP)"
cargo build --locked -q -p evpnd -p evpnd-bench
TRANSIT_BENCH_BIN="$root/target/debug" TRANSIT_BENCH_REPEAT=1 TRANSIT_BENCH_WARMUP_RUNS=0 \
    TRANSIT_BENCH_SETTLE=1 bash crates/bench/transit-bench.sh 2000

# The Debian package, from the debug binaries cargo test has just built (no
# extra release build in CI): build, dpkg -i, evpnd --check-config on the
# shipped configuration, evpnctl --version, systemd-analyze verify, purge,
# nothing left (packaging/test-deb.sh).
step "Debian package: build (debug binaries), install, check, purge"
deb=$(bash packaging/build-deb.sh --debug --no-build)
bash packaging/test-deb.sh "$deb"

if [ -x tests/fuzz-smoke.sh ]; then
    step "fuzz smoke run"
    bash tests/fuzz-smoke.sh
fi

# The kernel features this machine's kernel lacks (VLAN-aware bridge, the
# single VXLAN device with vnifilter + vlan_tunnel, VRF, 802.1Q) are tested
# in a qemu VM (TCG) booting Debian's stock kernel with this machine's root
# filesystem; see interop/vm/README.md. Never skipped: a failure fails the run.
step "VM stage (stock Debian kernel): VLAN-aware single-device layout"
bash interop/vm/setup.sh
bash interop/vm/run.sh --timeout 300 -- bash interop/vm/selftest.sh
# Rust test targets listed in interop/vm/tests.txt: the binaries cargo test
# built above, run (their #[ignore]d VM-only tests) inside the VM.
if [ -f interop/vm/tests.txt ]; then
    # The list is read on fd 3 so nothing in the loop can consume it.
    while IFS= read -r -u 3 name || [ -n "$name" ]; do
        name=${name%%#*}
        name=$(echo "$name" | tr -d '[:space:]')
        [ -n "$name" ] || continue
        bin=$(cargo test --locked --no-run --message-format=json -p evpnd --test "$name" |
            jq -r 'select(.reason == "compiler-artifact" and .executable != null
                and (.target.kind | index("test"))) | .executable' | tail -n1)
        if [ -z "$bin" ] || [ ! -x "$bin" ]; then
            echo "error: no test binary for '$name' (interop/vm/tests.txt)" >&2
            exit 1
        fi
        step "VM stage: $name ($bin --ignored --test-threads=1)"
        bash interop/vm/run.sh --timeout 1200 -- "$bin" --ignored --test-threads=1
    done 3< interop/vm/tests.txt
fi

step "all tests passed (fmt, clippy, cargo test, Debian package, fuzz smoke, VM stage)"
# The closing line CI reads: the cargo test totals.
echo "tests: $passed passed, $failed failed"
