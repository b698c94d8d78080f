#!/bin/sh
# bench/memory.sh - a batch's peak memory with hostile DNS data (see
# bench/README.md, "Memory with hostile data").  No root, no network:
# spfc_dnsd on a loopback port serves generated zones in which every
# checked name is a CNAME to one huge RRset, so the responder holds the
# data once while spfcheck receives it under every name.
#
#   bench/memory.sh SPFCHECK SPFC_DNSD [LINES_TXT LINES_MX LINES_DEAD] [-- spfcheck options]
#
# Prints, per case, the exit status, peak RSS (GNU time) and the --stats
# line when the binary has it.  Give an older spfcheck to measure before.
set -eu
SPFCHECK=$1
DNSD=$2
shift 2
N_TXT=${1:-20000}
N_MX=${2:-3000}
N_DEAD=${3:-1000}
[ $# -ge 3 ] && shift 3
[ "${1:-}" = "--" ] && shift
TMP=$(mktemp -d)
DPID=
trap 'rm -rf "$TMP"; [ -n "$DPID" ] && kill "$DPID" 2>/dev/null; true' EXIT INT TERM

python3 - "$TMP" "$N_TXT" "$N_MX" "$N_DEAD" <<'PY'
import sys
d, n_txt, n_mx, n_dead = sys.argv[1], *map(int, sys.argv[2:])
big = " ".join('"' + chr(97 + i % 26) * 248 + '"' for i in range(240))  # 59,520 bytes
pad = ".".join(["p" * 60] * 3) + ".mx.test."  # 192 octets of suffix
with open(f"{d}/zone", "w") as f:
    f.write("$TTL 3600\ntest. IN SOA ns.test. host.test. 1 3600 600 86400 300\n")
    # 1. 60 KB TXT beside the SPF record
    f.write('one.big.test. IN TXT "v=spf1 ip4:192.0.2.0/24 -all"\n')
    f.write(f"one.big.test. IN TXT {big}\n")
    for i in range(n_txt):
        f.write(f"b{i}.big.test. IN CNAME one.big.test.\n")
    # 2. MX answers of many names of 250 octets: 230 fill one 64 KB TCP
    #    message (spfc_dnsd does not compress names; a hostile server
    #    with compression pointers fits about 3,600)
    for j in range(230):
        f.write(f"big.mx.test. IN MX {j} h{j:05d}{'x' * 51}.{pad}\n")
    for i in range(n_mx):
        f.write(f'm{i}.mx.test. IN TXT "v=spf1 mx:q.%{{d}} -all"\n')
        f.write(f"q.m{i}.mx.test. IN CNAME big.mx.test.\n")
    # 3. 60 KB records waiting on a dead include
    f.write('one.wait.test. IN TXT "v=spf1 include:dead.test ip4:192.0.2.0/24 -all"\n')
    f.write(f"one.wait.test. IN TXT {big}\n")
    for i in range(n_dead):
        f.write(f"w{i}.wait.test. IN CNAME one.wait.test.\n")
for name, n, dom in (("txt", n_txt, "big"), ("mx", n_mx, "mx"), ("dead", n_dead, "wait")):
    p = {"txt": "b", "mx": "m", "dead": "w"}[name]
    with open(f"{d}/{name}.in", "w") as f:
        for i in range(n):
            f.write(f"192.0.2.1 u@{p}{i}.{dom}.test\n")
PY

"$DNSD" --zone "$TMP/zone" --rcode dead.test=TIMEOUT >"$TMP/port" &
DPID=$!
for _ in 1 2 3 4 5 6 7 8 9 10; do
    [ -s "$TMP/port" ] && break
    sleep 0.5
done
PORT=$(awk '{print $2}' "$TMP/port")
STATS=
"$SPFCHECK" --help | grep -q -- '--stats' && STATS=--stats

run() {
    name=$1
    shift
    /usr/bin/time -f "%M %e" -o "$TMP/time" "$SPFCHECK" --server "127.0.0.1:$PORT" \
        --batch "$TMP/$name.in" $STATS "$@" >"$TMP/out" 2>"$TMP/err" && rc=0 || rc=$?
    read -r rss secs <"$TMP/time"
    lines=$(wc -l <"$TMP/out")
    res=$(awk '{print $1}' "$TMP/out" | sort | uniq -c | tr -s ' ' | tr '\n' ',')
    printf '%-5s exit %s, %s lines (%s), peak RSS %s MiB, %s s\n' "$name" "$rc" \
        "$lines" "$res" "$((rss / 1024))" "$secs"
    grep -h 'stats:' "$TMP/err" | sed 's/^/      /' || true
}
run txt "$@"
run mx "$@"
run dead --concurrency 1000 --timeout 2 --tries 1 "$@"
