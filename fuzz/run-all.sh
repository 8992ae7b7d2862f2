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
#   JOBS=2 fuzz/run-all.sh config         # two processes, RUNS/2 each,
#                                         # sharing one corpus
#
# SANITIZER (default address: AddressSanitizer with LeakSanitizer) is
# cargo fuzz's -s: `none` runs about 2.5 times faster, without the memory
# error and leak checks (safe Rust needs them only for its unsafe code).
#
# TIMEOUT (default 10) is libFuzzer's per-input limit in seconds of wall
# time: raise it when the fuzzer shares the machine with builds, which
# starve a process at nice 19.
set -eu
cd "$(dirname "$0")"
RUNS=${RUNS:-10000000}
JOBS=${JOBS:-1}
TIMEOUT=${TIMEOUT:-10}
SANITIZER=${SANITIZER:-address}
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
    if [ "$JOBS" -gt 1 ]; then
        # libFuzzer's -jobs: each job is a process of its own, writing
        # fuzz-<n>.log into the working directory; they share the corpus
        # (-reload), and each runs its share of RUNS.
        set -- -jobs="$JOBS" -workers="$JOBS" -runs=$((RUNS / JOBS))
    else
        set -- -runs="$RUNS"
    fi
    nice -n 19 cargo +nightly fuzz run -a -s "$SANITIZER" "$target" "corpus/$target" "seeds/$target" -- \
        "$@" -max_len="$max_len" -timeout="$TIMEOUT" -rss_limit_mb=2048 \
        -print_final_stats=1 >"logs/$target.log" 2>&1 || {
        echo "$target failed: see fuzz/logs/$target.log"
        exit 1
    }
    if [ "$JOBS" -gt 1 ]; then
        set --
        for n in $(seq 0 $((JOBS - 1))); do
            mv "fuzz-$n.log" "logs/$target-$n.log"
            set -- "$@" "logs/$target-$n.log"
        done
    else
        set -- "logs/$target.log"
    fi
    grep -E '^(Done|stat::)|#[0-9]+ +DONE' "$@" || true
done
