#!/usr/bin/env bash
# tests/fuzz/run.sh [SECONDS] - build the libFuzzer targets with clang
# (ASan + UBSan, -DSPFCHECK_FUZZ=ON, in their own build directory) and run
# every target for SECONDS each (default 20) on a copy of its seed corpus
# in a temporary directory, so the repository is never modified.  Fails on
# any crash, leak, timeout, out-of-memory or sanitizer report, and prints
# the crashing input's path (kept under the temporary directory).
#
# Environment:
#   FUZZ_BUILD_DIR  build directory (default: build-fuzz at the top)
#   FUZZ_TARGETS    targets to run (default: every fuzz_* target built)
#   FUZZ_JOBS       targets run side by side (default 2)
#   FUZZ_RSS_MB     -rss_limit_mb (default 2048)
#   FUZZ_KEEP       a directory to keep the grown corpora and logs in
#
# The long run documented in docs/security.md is simply:
#   tests/fuzz/run.sh 1800
set -euo pipefail

SECONDS_EACH=${1:-20}
case $SECONDS_EACH in
  ''|*[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 64 ;;
esac
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
BUILD=${FUZZ_BUILD_DIR:-$TOP/build-fuzz}
JOBS=${FUZZ_JOBS:-2}
RSS_MB=${FUZZ_RSS_MB:-2048}

command -v clang >/dev/null || { echo "run.sh: clang is needed" >&2; exit 1; }

echo "== fuzz: build ($BUILD) =="
CC=clang cmake -S "$TOP" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSPFCHECK_FUZZ=ON -DSPFCHECK_BUILD_TESTS=OFF -DSPFCHECK_WERROR=ON >/dev/null
cmake --build "$BUILD" -j2 >/dev/null
# Every target the build made.
DEFAULT_TARGETS=$(cd "$BUILD/tests/fuzz" && ls fuzz_* | sort | tr '\n' ' ')
TARGETS=${FUZZ_TARGETS:-$DEFAULT_TARGETS}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/spfc-fuzz.XXXXXX")
cleanup() {
  if [ "${FAILED:-0}" = 0 ] && [ -z "${FUZZ_KEEP:-}" ]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT

# One target: fuzz, then judge by the exit status and the log.
run_one() {
  local t=$1 dir=$WORK/$1
  mkdir -p "$dir/corpus" "$dir/artifacts"
  if [ -d "$HERE/corpus/$t" ]; then cp -r "$HERE/corpus/$t/." "$dir/corpus/"; fi
  local dict=()
  if [ -f "$HERE/$t.dict" ]; then dict=("-dict=$HERE/$t.dict"); fi
  local rc=0
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:allocator_may_return_null=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  TMPDIR=$dir \
    "$BUILD/tests/fuzz/$t" -max_total_time="$SECONDS_EACH" -timeout=10 \
      -rss_limit_mb="$RSS_MB" -malloc_limit_mb="$RSS_MB" -print_final_stats=1 \
      -artifact_prefix="$dir/artifacts/" "${dict[@]}" "$dir/corpus" \
      >"$dir/log" 2>&1 || rc=$?
  if [ $rc -ne 0 ] || grep -qE 'ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:|==ERROR: libFuzzer' "$dir/log"; then
    echo "FAIL $t (exit $rc); log: $dir/log"
    grep -E 'ERROR|runtime error|SUMMARY|Test unit written' "$dir/log" | head -20 || true
    return 1
  fi
  local execs cov ft corp
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -1)
  cov=$(grep -oE 'cov: [0-9]+' "$dir/log" | tail -1 | cut -d' ' -f2)
  ft=$(grep -oE 'ft: [0-9]+' "$dir/log" | tail -1 | cut -d' ' -f2)
  corp=$(grep -oE 'corp: [0-9]+/[0-9]+[a-zA-Z]*' "$dir/log" | tail -1 | cut -d' ' -f2)
  printf 'ok   %-12s %ss  execs %-10s cov %-5s ft %-6s corpus %s\n' \
    "$t" "$SECONDS_EACH" "$execs" "$cov" "$ft" "$corp"
}

echo "== fuzz: $SECONDS_EACH s per target, $JOBS at a time =="
pass=0
fail=0
declare -A pids=()
for t in $TARGETS; do
  while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do sleep 1; done
  run_one "$t" > "$WORK/$t.result" 2>&1 &
  pids[$t]=$!
done
for t in $TARGETS; do
  if wait "${pids[$t]}"; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
  cat "$WORK/$t.result"
done
if [ -n "${FUZZ_KEEP:-}" ]; then
  mkdir -p "$FUZZ_KEEP"
  for t in $TARGETS; do
    cp -r "$WORK/$t" "$FUZZ_KEEP/" 2>/dev/null || true
  done
fi
[ $fail -eq 0 ] || FAILED=1
echo "fuzz: $pass passed, $fail failed"
[ $fail -eq 0 ]
