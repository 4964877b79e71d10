#!/usr/bin/env bash
# Short fuzz run of every fuzz target so none can rot: the wire decoder, the
# configuration parser, the netlink readers and the API request validators.
# cargo-fuzz needs nightly features; RUSTC_BOOTSTRAP=1 enables them on the
# stable toolchain this project is built with (see docs/benchmarks.md).
# EVPND_FUZZ_SECONDS (default 15) is the time per target.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
secs=${EVPND_FUZZ_SECONDS:-15}
if ! command -v cargo-fuzz >/dev/null 2>&1; then
    echo "installing cargo-fuzz (once per machine)"
    cargo install cargo-fuzz --locked --quiet
fi
export RUSTC_BOOTSTRAP=1
# One target dir for all fuzz crates: they share most dependencies.
export CARGO_TARGET_DIR="$root/target/fuzz"

# crate directory: its targets
suites=(
    "crates/wire/fuzz:decode_message decode_stream"
    "crates/config/fuzz:parse_config"
    "crates/linux/fuzz:parse_netlink"
    "crates/api/fuzz:api_requests"
)
for suite in "${suites[@]}"; do
    dir=${suite%%:*}
    cd "$root/$dir"
    echo "building the fuzz targets of $dir"
    cargo fuzz build
    for target in ${suite#*:}; do
        echo "fuzzing $target for ${secs}s"
        set +e
        out=$(cargo fuzz run "$target" -- -max_total_time="$secs" -print_final_stats=1 2>&1)
        status=$?
        set -e
        echo "$out" | grep -E '^(stat::number_of_executed_units|Done )' || true
        if [ "$status" -ne 0 ]; then
            echo "$out" | tail -40 >&2
            echo "fuzz target $target failed (exit $status); crash inputs are in $dir/artifacts/$target" >&2
            exit 1
        fi
    done
done
