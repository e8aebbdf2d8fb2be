#!/usr/bin/env bash
# Builds and runs every test, as CI does (.ci/run calls the README's test
# command, which runs this script after scripts/setup.sh):
#   1. the normal build in build/ (examples, bench smoke and install check too);
#   2. an AddressSanitizer + UndefinedBehaviorSanitizer build in build-asan/
#      (-O1, examples and bench off), where any sanitizer report fails its test;
#   3. scripts/fuzz.sh ci, the bounded fuzz run, when that script exists.
# Usage: scripts/test.sh [normal|asan|fuzz]...   (no argument: all three)
# Any failing step stops the script with a non-zero exit status.
set -euo pipefail
cd "$(dirname "$0")/.."

jobs="${PRESENCE_JOBS:-2}"
# ccache when installed (CI has none, so it builds cold there).
launcher=()
if command -v ccache >/dev/null 2>&1; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi

step() {
  echo
  echo "== test.sh: $* ($(date -u +%H:%M:%S))"
}

run_normal() {
  step "normal build (build/)"
  # Line tables only: CI's cold build spends most of its time on full debug
  # info otherwise (CMakeLists.txt, PRESENCE_LINE_TABLES_ONLY).
  cmake -S . -B build -DPRESENCE_LINE_TABLES_ONLY=ON -DPRESENCE_UNITY_TESTS=ON \
    "${launcher[@]}"
  cmake --build build -j"$jobs"
  ctest --test-dir build --output-on-failure --no-tests=error -j"$jobs" --timeout 900
}

run_asan() (
  # A subshell, so the sanitizer options below stay out of the other steps.
  step "ASan+UBSan build (build-asan/)"
  # The same options as tests/sanitizers/default_options.cpp builds into the
  # test programs, exported so that any other program a test runs halts on a
  # report too.
  export ASAN_OPTIONS="halt_on_error=1:exitcode=1:print_stacktrace=1:detect_leaks=1"
  export UBSAN_OPTIONS="halt_on_error=1:exitcode=1:print_stacktrace=1:suppressions=$PWD/tests/sanitizers/ubsan.supp"
  cmake -S . -B build-asan -DPRESENCE_SANITIZE=ON -DPRESENCE_UNITY_TESTS=ON \
    "${launcher[@]}"
  cmake --build build-asan -j"$jobs"
  ctest --test-dir build-asan --output-on-failure --no-tests=error -j"$jobs" --timeout 900
)

run_fuzz() {
  if [ -x scripts/fuzz.sh ]; then
    step "bounded fuzz run (scripts/fuzz.sh ci)"
    scripts/fuzz.sh ci
  else
    step "no scripts/fuzz.sh: fuzz step skipped"
  fi
}

steps=("$@")
if [ "${#steps[@]}" -eq 0 ]; then
  steps=(normal asan fuzz)
fi
for s in "${steps[@]}"; do
  case "$s" in
    normal) run_normal ;;
    asan) run_asan ;;
    fuzz) run_fuzz ;;
    *) echo "test.sh: unknown step '$s' (normal, asan or fuzz)" >&2; exit 2 ;;
  esac
done
step "all passed"
