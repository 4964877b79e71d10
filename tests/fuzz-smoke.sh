#!/usr/bin/env bash
# Short fuzz run of the wire decoder so the fuzz targets cannot rot.
# cargo-fuzz needs nightly features; RUSTC_BOOTSTRAP=1 enables them on the
# stable toolchain this project is built with (see docs/benchmarks.md).
set -euo pipefail
cd "$(dirname "$0")/../crates/wire/fuzz"
secs=${EVPND_FUZZ_SECONDS:-15}
if ! command -v cargo-fuzz >/dev/null 2>&1; then
    echo "installing cargo-fuzz (once per machine)"
    cargo install cargo-fuzz --locked --quiet
fi
export RUSTC_BOOTSTRAP=1
cargo fuzz build
for target in decode_message decode_stream; do
    echo "fuzzing $target for ${secs}s"
    set +e
    out=$(cargo fuzz run "$target" -- -max_total_time="$secs" -print_final_stats=1 2>&1)
    status=$?
    set -e
    echo "$out" | grep -E '^(stat::number_of_executed_units|Done )' || true
    if [ "$status" -ne 0 ]; then
        echo "$out" | tail -40 >&2
        echo "fuzz target $target failed (exit $status); crash inputs are in crates/wire/fuzz/artifacts/$target" >&2
        exit 1
    fi
done
