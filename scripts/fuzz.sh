#!/usr/bin/env bash
# Builds the libFuzzer targets with clang-14 in build-fuzz/ (their own
# project, fuzz/CMakeLists.txt) and runs them. Two targets: `registry`
# (fuzz/registry_fuzz.cpp) and `cluster` (fuzz/cluster_fuzz.cpp, every
# message a peer can send a node's cluster actor).
#
#   scripts/fuzz.sh ci            a bounded run for CI: the registry target
#                                 for FUZZ_SECONDS (default 30) seconds, then
#                                 the cluster target for CLUSTER_FUZZ_SECONDS
#                                 (default 60); a cold build of both takes
#                                 about 3 min of two cores. Exits non-zero on
#                                 a crash, hang, leak or sanitizer report
#   scripts/fuzz.sh long N [JOBS] [TARGET]
#                                 N inputs of TARGET (default registry) in
#                                 all, split over JOBS (default 1) parallel
#                                 processes; with FUZZ_SECONDS set, each stops
#                                 after that long at the latest. Prints the
#                                 total inputs, time, rate and whether any
#                                 job crashed.
#   scripts/fuzz.sh build         only build
#
# Inputs the runs find go to build-fuzz/corpus-TARGET (the repository's seed
# corpora, fuzz/corpus/TARGET, are only read); a crashing input is written to
# build-fuzz/TARGET-crash-* and is replayed with
# `build-fuzz/TARGET_fuzz build-fuzz/TARGET-crash-...`.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-ci}
build=build-fuzz
compiler=${FUZZ_CXX:-clang++-14}
if ! command -v "$compiler" >/dev/null; then
  echo "fuzz.sh: $compiler not found (scripts/setup.sh installs clang-14 and libfuzzer-14-dev)" >&2
  exit 1
fi
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi

start=$(date +%s)
cmake -S fuzz -B "$build" -DCMAKE_CXX_COMPILER="$compiler" "${launcher[@]}" >/dev/null
# Only the target a long run needs; ci and build make both.
targets=(registry_fuzz cluster_fuzz)
if [ "$mode" = long ]; then
  targets=("${4:-registry}_fuzz")
fi
cmake --build "$build" -j"$(nproc)" --target "${targets[@]}"
echo "fuzz.sh: build took $(( $(date +%s) - start )) s"
[ "$mode" = build ] && exit 0

# halt_on_error: any sanitizer report fails the run. The UBSan suppressions
# cover the two reports from CAF 0.17's own headers (see the file).
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1:suppressions=$PWD/fuzz/ubsan.supp}
out=$PWD/$build

# The options and corpora of target $1 into `opts` and `corpora`.
# -detect_leaks=0: libFuzzer's per-input leak check stops the world for a
# full heap scan whenever an input frees less than it allocated, which every
# input does here (actors are freed asynchronously, after the input returns):
# it cut the rate about threefold. ASan still checks for leaks at exit.
setup() {
  local target=$1 max_len=512
  case "$target" in
    registry) ;;
    # A snapshot chunk with a few sessions and metadata takes a few hundred
    # bytes, and an input may hold several messages.
    cluster) max_len=2048 ;;
    *) echo "fuzz.sh: unknown target '$target' (registry or cluster)" >&2; exit 2 ;;
  esac
  mkdir -p "$out/corpus-$target"
  opts=(-max_len="$max_len" -timeout=60 -rss_limit_mb=4096
        -malloc_limit_mb=1024 -detect_leaks=0 -print_final_stats=1
        -artifact_prefix="$out/$target-")
  corpora=("$out/corpus-$target" "$PWD/fuzz/corpus/$target")
}

case "$mode" in
  ci)
    setup registry
    "$build/registry_fuzz" "${opts[@]}" \
      -max_total_time="${FUZZ_SECONDS:-30}" "${corpora[@]}"
    setup cluster
    exec "$build/cluster_fuzz" "${opts[@]}" \
      -max_total_time="${CLUSTER_FUZZ_SECONDS:-60}" "${corpora[@]}"
    ;;
  long)
    runs=${2:?usage: scripts/fuzz.sh long N [JOBS] [TARGET]}
    jobs=${3:-1}
    target=${4:-registry}
    setup "$target"
    if [ -n "${FUZZ_SECONDS:-}" ]; then
      opts+=(-max_total_time="$FUZZ_SECONDS")
    fi
    # Independent processes, one log each (build-fuzz/TARGET-fuzz-<n>.log),
    # so that the inputs add up to N: libFuzzer's own -jobs gives every job
    # all N. They share the corpus directory and each reads what the others
    # added when it starts.
    t0=$(date +%s)
    pids=()
    for ((j = 0; j < jobs; ++j)); do
      n=$(( runs / jobs + (j < runs % jobs ? 1 : 0) ))
      "$build/${target}_fuzz" "${opts[@]}" -runs="$n" \
        "${corpora[@]}" > "$out/$target-fuzz-$j.log" 2>&1 &
      pids+=($!)
    done
    failed=0
    for ((j = 0; j < jobs; ++j)); do
      if ! wait "${pids[$j]}"; then
        failed=1
        echo "fuzz.sh: job $j failed, see $out/$target-fuzz-$j.log" >&2
        grep -E "_fuzz:|ERROR|SUMMARY|Test unit written" \
          "$out/$target-fuzz-$j.log" >&2 || true
      fi
    done
    secs=$(( $(date +%s) - t0 ))
    total=0
    for ((j = 0; j < jobs; ++j)); do
      n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$target-fuzz-$j.log")
      total=$(( total + ${n:-0} ))
    done
    echo "fuzz.sh: $target: $total inputs in $secs s ($(( total / (secs > 0 ? secs : 1) )) inputs/s) over $jobs job(s), $( [ $failed = 0 ] && echo "no crash" || echo "CRASH" )"
    exit $failed
    ;;
  *)
    echo "usage: scripts/fuzz.sh ci | long N [JOBS] [TARGET] | build" >&2
    exit 2
    ;;
esac
