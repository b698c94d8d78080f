#!/bin/sh
# bench/lint.sh - lint of the deepest realistic record (tests/zones/
# lint-esp.zone: a, mx with two hosts, four ESP-shaped includes, 10
# lookups, 16 answers and 9 type 99 questions, 3 levels) with answers
# delayed 20 ms, spfcheck's
# level-at-a-time walk against a sequential walk (one question per round
# trip: spfcheck --sequential, the way linters and web checkers that
# resolve term by term go).  See bench/README.md ("Lint").
#
#   bench/lint.sh [BUILD_DIR]
#
# Needs root (ip netns) and hyperfine.  Like bench/run.sh everything runs in
# a network namespace made for this run: spfc_dnsd answers on its loopback,
# nothing leaves it; the namespace is removed on exit.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build-bench}
DELAY_MS=${DELAY_MS:-20}

if [ "$(id -u)" != 0 ]; then
    echo "bench: needs root for ip netns" >&2
    exit 64
fi
for t in ip hyperfine /usr/bin/python3; do
    command -v "$t" >/dev/null 2>&1 || {
        echo "bench: $t missing: apt-get install -y iproute2 hyperfine python3" >&2
        exit 69
    }
done
SPFCHECK=$BUILD/src/cli/spfcheck
DNSD=$BUILD/tests/spfc_dnsd
if [ ! -x "$SPFCHECK" ] || [ ! -x "$DNSD" ]; then
    cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$BUILD" -j2 --target spfcheck_bin spfc_dnsd >/dev/null
fi

NS=spfclint$$
DATA=$(mktemp -d /tmp/spfclint-data.XXXXXX)
cleanup() {
    for pid in $(ip netns pids "$NS" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
    ip netns del "$NS" 2>/dev/null || true
    rm -rf "$DATA"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$NS"
ip netns exec "$NS" ip link set lo up
ip netns exec "$NS" "$DNSD" --port 5353 --zone "$ROOT/tests/zones/lint-esp.zone" \
    --delay-ms "$DELAY_MS" > /dev/null 2>&1 &
sleep 0.5

S="-s 127.0.0.1:5353"
# Rounds and queries, from the JSON report (the same for every run).
for mode in parallel sequential; do
    flag=""
    [ "$mode" = sequential ] && flag=--sequential
    # shellcheck disable=SC2086
    ip netns exec "$NS" "$SPFCHECK" $S $flag --json esp.deep.test |
        /usr/bin/python3 -c 'import json,sys; j=json.load(sys.stdin); print(sys.argv[1], j["lookups"], j["queries_sent"], j["rounds"])' "$mode"
done > "$DATA/counts"

ip netns exec "$NS" hyperfine -N --warmup 2 --runs 20 --export-json "$DATA/h.json" \
    -n parallel "$SPFCHECK $S esp.deep.test" \
    -n sequential "$SPFCHECK $S --sequential esp.deep.test" > /dev/null

/usr/bin/python3 - "$DATA/h.json" "$DATA/counts" "$DELAY_MS" <<'PY'
import json, sys
h = json.load(open(sys.argv[1]))
counts = {l.split()[0]: l.split()[1:] for l in open(sys.argv[2])}
print(f"Lint of esp.deep.test, every answer delayed {sys.argv[3]} ms (median of 20 runs, whole process):")
print()
print("| walk | lookups | queries | round trips | wall time (median) |")
print("|---|---|---|---|---|")
for r in h["results"]:
    name = r["command"]
    lookups, queries, rounds = counts[name]
    print(f"| {name} | {lookups}/10 | {queries} | {rounds} | {r['median'] * 1000:.0f} ms |")
PY
