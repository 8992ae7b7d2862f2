#!/bin/sh
# Runs natter's fuzz targets one after another, one job each, at the
# lowest CPU priority: RUNS executions per target (default 10 million),
# every target or those named. Needs nightly Rust and cargo-fuzz
# (`cargo install cargo-fuzz`). Each target starts from its committed
# seeds (seeds/<target>/) and grows its corpus in corpus/<target>/ (not
# committed); crashes land in artifacts/<target>/, logs in logs/. The
# figures of each run are in the last lines of its log (stat::*).
# See docs/robustness.md.
#
#   fuzz/run-all.sh                       # every target, 10 million runs
#   RUNS=100000 fuzz/run-all.sh irc_line  # one target, briefly
set -eu
cd "$(dirname "$0")"
RUNS=${RUNS:-10000000}
TARGETS=${*:-irc_line framer im_frame link_line sasl websocket config}
mkdir -p logs
for target in $TARGETS; do
    case $target in
        im_frame) max_len=4096 ;;
        sasl) max_len=6000 ;;
        framer | websocket) max_len=10000 ;;
        config) max_len=12000 ;;
        *) max_len=9000 ;;
    esac
    mkdir -p "corpus/$target"
    echo "== $target: $RUNS runs, max_len $max_len, $(date -u +%FT%TZ)"
    # -a: debug assertions (overflow checks) on, as in the tests.
    nice -n 19 cargo +nightly fuzz run -a "$target" "corpus/$target" "seeds/$target" -- \
        -runs="$RUNS" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 >"logs/$target.log" 2>&1 || {
        echo "$target failed: see fuzz/logs/$target.log"
        exit 1
    }
    grep -E '^(Done|stat::)|#[0-9]+ +DONE' "logs/$target.log" || true
done
