#!/bin/sh
# bench/faults.sh - spfcheck --batch under the faults of real networks,
# against tests/dnsd/spfc_dnsd on loopback (no namespace, no root: every
# query goes to --server 127.0.0.1:PORT).  Not a test: ctest never runs it.
#
#   bench/faults.sh [BUILD_DIR] [SPFCHECK]
#
# BUILD_DIR (default build) holds tests/spfc_dnsd; SPFCHECK (default
# BUILD_DIR/src/cli/spfcheck) is the binary measured, so an older build can
# be measured against the same responder.  Sizes: LOSS_LINES (5000),
# DEAD_LINES (1600, at most: spfc_dnsd takes 16 --rcode), BURST_LINES (1000), DEPTH_LINES (10000),
# DEADSRV_LINES (2000), SLOW_LINES (1000).  CASES (default: all) picks some of
# loss dead burst depth deadsrv slow.
#
# Cases (each prints lines, seconds, checks/s, and the responder's count):
#   loss    LOSS_LINES at 20 ms, without loss and with 1% datagram loss
#           (0.5% each way, --drop-in 5 --drop-out 5, fixed seed), at the
#           default concurrency and at 256;
#   dead    DEAD_LINES at 20 ms, without and with 1% of lines naming a
#           domain whose include never answers;
#   burst   BURST_LINES distinct domains at 0 ms against a responder with
#           the kernel's default UDP receive buffer (--rcvbuf 0); the
#           kernel's own drop counter (Udp RcvbufErrors) is shown too;
#   depth   DEPTH_LINES at 20 ms at the default concurrency (section 5 of
#           the goals: within 1.5x of max(CPU time, depth x RTT)); the
#           goal's figure is printed beside it;
#   deadsrv DEADSRV_LINES at 20 ms with two servers, the first of which
#           never answers (--drop-in 1000), against the live one alone;
#   slow    SLOW_LINES, every check waiting on a server that never
#           answers (--timeout 2 --tries 1): how fast the checks in
#           flight ramp up while nothing finishes.
set -eu
BUILD=${1:-build}
SPFCHECK=${2:-$BUILD/src/cli/spfcheck}
DNSD=$BUILD/tests/spfc_dnsd
LOSS_LINES=${LOSS_LINES:-5000}
DEAD_LINES=${DEAD_LINES:-1600}
BURST_LINES=${BURST_LINES:-1000}
DEPTH_LINES=${DEPTH_LINES:-10000}
DEADSRV_LINES=${DEADSRV_LINES:-2000}
SLOW_LINES=${SLOW_LINES:-1000}
CASES=${CASES:-loss dead burst depth deadsrv slow}
WORK=$(mktemp -d /tmp/spfc-faults.XXXXXX)
DPID=
XPID=
cleanup() {
    [ -n "$DPID" ] && kill "$DPID" 2>/dev/null
    [ -n "$XPID" ] && kill "$XPID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

# N customers, each "include:_spf.prov.test -all"; the provider allows
# 192.0.2.0/24.  Customers whose number is a multiple of 100 (1%) include
# a dead name instead when DEAD=1.
gen() { # N DEAD -> zone and lines
    awk -v n="$1" -v dead="$2" 'BEGIN {
        print "$ORIGIN test.\n$TTL 3600"
        print "@ IN SOA ns.test. h.test. 1 3600 600 86400 300"
        print "_spf.prov IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\""
        for (i = 0; i < n; i++) {
            if (dead && i % 100 == 0)
                printf "c%d.cust IN TXT \"v=spf1 include:dead%d.test -all\"\n", i, i
            else
                printf "c%d.cust IN TXT \"v=spf1 include:_spf.prov.test -all\"\n", i
        }
    }' > "$WORK/zone"
    awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++)
        printf "192.0.2.%d user@c%d.cust.test mail.example.org\n", i % 250 + 1, i }' \
        > "$WORK/lines"
}

spawn() { # port file, responder options... -> SPID, SPORT
    pf=$1
    shift
    rm -f "$pf"
    "$DNSD" --port 0 --zone "$WORK/zone" "$@" > "$pf" &
    SPID=$!
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        [ -s "$pf" ] && break
        sleep 0.2
    done
    SPORT=$(awk '{print $2}' "$pf")
}

start() { # responder options...
    rm -f "$WORK/count"
    spawn "$WORK/port" --count "$WORK/count" "$@"
    DPID=$SPID
    PORT=$SPORT
}

stop() {
    kill "$DPID"
    wait "$DPID" || true
    DPID=
}

# RcvbufErrors is the 5th counter of the Udp: line ($6 with the label;
# $7 is SndbufErrors, which this used to print: always 0 on loopback).
rcvbuf_errors() {
    awk '/^Udp:/ { if (h) { print $6; exit } h = 1 }' /proc/net/snmp
}

# A second responder that swallows every query (a dead server), on XPORT.
start_dead() {
    spawn "$WORK/xport" --drop-in 1000
    XPID=$SPID
    XPORT=$SPORT
}

stop_dead() {
    kill "$XPID"
    wait "$XPID" || true
    XPID=
}

want() { case " $CASES " in *" $1 "*) return 0 ;; esac; return 1; }

SERVERS=
run() { # label, extra spfcheck options...
    label=$1
    shift
    t0=$(date +%s.%N)
    /usr/bin/time -f "%U %S" -o "$WORK/cpu" \
        "$SPFCHECK" --server "${SERVERS:-127.0.0.1:$PORT}" --batch "$WORK/lines" "$@" \
        > "$WORK/out" 2>/dev/null || true
    t1=$(date +%s.%N)
    stop
    lines=$(wc -l < "$WORK/out")
    temp=$(grep -c '^temperror' "$WORK/out" || true)
    awk -v l="$label" -v a="$t0" -v b="$t1" -v n="$lines" -v t="$temp" \
        -v q="$(sed -n 1p "$WORK/count")" -v cpu="$(tail -1 "$WORK/cpu")" \
        'BEGIN { s = b - a; split(cpu, c, " ")
                 printf "%-34s %6d lines %7.2f s %7.0f checks/s  CPU %5.2f s  temperror %d  queries %d\n", l, n, s, n / s, c[1] + c[2], t, q }'
}

echo "spfcheck: $SPFCHECK"
if want loss; then
gen "$LOSS_LINES" 0
start --delay-ms 20
run "loss: none, 20 ms"
start --delay-ms 20 --drop-in 5 --drop-out 5 --seed 7
run "loss: 1% (0.5% each way), 20 ms"
start --delay-ms 20
run "loss: none, 20 ms, conc. 256" --concurrency 256
start --delay-ms 20 --drop-in 5 --drop-out 5 --seed 7
run "loss: 1%, 20 ms, conc. 256" --concurrency 256
fi

if want dead; then
gen "$DEAD_LINES" 0
start --delay-ms 20
run "dead: none, 20 ms"
gen "$DEAD_LINES" 1
set --
i=0
while [ "$i" -lt "$DEAD_LINES" ]; do
    set -- "$@" --rcode "dead$i.test=TIMEOUT"
    i=$((i + 100))
done
start --delay-ms 20 "$@"
run "dead: 1% of lines, 20 ms"
fi

if want burst; then
gen "$BURST_LINES" 0
e0=$(rcvbuf_errors)
start --rcvbuf 0
run "burst: default rcvbuf, 0 ms"
e1=$(rcvbuf_errors)
echo "  kernel UDP receive-buffer drops during the burst: $((e1 - e0))"
fi

if want depth; then
gen "$DEPTH_LINES" 0
start --delay-ms 20
run "depth: default concurrency, 20 ms"
# The goal (section 5): within 1.5x of max(CPU time, depth x RTT); the
# tree is two deep (the customer's record, then the provider's include).
awk -v cpu="$(tail -1 "$WORK/cpu")" 'BEGIN { split(cpu, c, " ");
    d = 2 * 0.020; m = c[1] + c[2] > d ? c[1] + c[2] : d
    printf "  goal: 1.5 x max(CPU %.2f s, depth 2 x 20 ms) = %.2f s\n", c[1] + c[2], 1.5 * m }'
start --delay-ms 20
run "depth: --concurrency 1000, 20 ms" --concurrency 1000
fi

if want deadsrv; then
gen "$DEADSRV_LINES" 0
start --delay-ms 20
run "deadsrv: live server alone, 20 ms"
start --delay-ms 20
start_dead
SERVERS="127.0.0.1:$XPORT,127.0.0.1:$PORT"
run "deadsrv: dead first server, 20 ms"
SERVERS=
stop_dead
fi

if want slow; then
gen "$SLOW_LINES" 0
start --drop-in 1000
run "slow: every server silent, 2 s" --timeout 2 --tries 1
fi
