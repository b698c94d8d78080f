#!/bin/sh
# bench/run.sh - spfcheck against pyspf, libspf2 and Mail::SPF, on one
# generated zone served by spfc_dnsd on loopback (see bench/README.md).
#
#   bench/run.sh [BUILD_DIR] [-- extra bench.py options]
#
# BUILD_DIR (default build-bench) is configured and built as Release if its
# spfcheck or spfc_dnsd is missing.  Needs root (ip netns).  Everything runs
# inside a network namespace made for this run, whose /etc/resolv.conf points
# at 127.0.0.1, so no query leaves loopback; the namespace and its
# /etc/netns directory are removed on exit.  Writes the tables into the
# "Latest run" section of bench/README.md.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build-bench}
[ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift

if [ "$(id -u)" != 0 ]; then
    echo "bench: needs root for ip netns" >&2
    exit 64
fi
for t in ip /usr/bin/time /usr/bin/python3 spfquery.libspf2 spfquery.mail-spf-perl; do
    command -v "$t" >/dev/null 2>&1 || {
        echo "bench: $t missing: apt-get install -y python3-spf spfquery spf-tools-perl iproute2 time" >&2
        exit 69
    }
done
/usr/bin/python3 -c 'import spf' 2>/dev/null || {
    echo "bench: pyspf missing: apt-get install -y python3-spf" >&2
    exit 69
}

SPFCHECK=$BUILD/src/cli/spfcheck
DNSD=$BUILD/tests/spfc_dnsd
if [ ! -x "$SPFCHECK" ] || [ ! -x "$DNSD" ]; then
    cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$BUILD" -j2 --target spfcheck_bin spfc_dnsd >/dev/null
fi

NS=spfcbench$$
DATA=$(mktemp -d /tmp/spfcbench-data.XXXXXX)
cleanup() {
    # Only the processes of our own namespace (a responder left by a crash).
    for pid in $(ip netns pids "$NS" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
    ip netns del "$NS" 2>/dev/null || true
    rm -rf "/etc/netns/$NS" "$DATA"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$NS"
mkdir -p "/etc/netns/$NS"
echo "nameserver 127.0.0.1" > "/etc/netns/$NS/resolv.conf"
ip netns exec "$NS" ip link set lo up

/usr/bin/python3 "$ROOT/bench/genzone.py" "$DATA" 10000

START=$(date -u '+%Y-%m-%d %H:%M UTC')
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
T0=$(date +%s)
ip netns exec "$NS" /usr/bin/python3 "$ROOT/bench/bench.py" \
    --dnsd "$DNSD" --spfcheck "$SPFCHECK" --data "$DATA" \
    --md "$DATA/table.md" --json "$DATA/results.json" "$@" || RC=$?
T1=$(date +%s)

ver() { dpkg-query -W -f '${Version}' "$1" 2>/dev/null || echo '?'; }
{
    echo "Run of $START, $((T1 - T0)) s; load average before it: $LOAD"
    echo
    echo "- Command: \`sudo bench/run.sh\` (from the repository root; spfcheck $("$SPFCHECK" --version 2>/dev/null | head -1), git $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?'), Release build)"
    echo "- Machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), kernel $(uname -r)"
    echo "- Peers: libspf2 spfquery $(ver spfquery), pyspf $(ver python3-spf) (py3dns $(ver python3-dns)), Mail::SPF $(ver libmail-spf-perl) (spf-tools-perl $(ver spf-tools-perl), Net::DNS $(ver libnet-dns-perl))"
    echo
    cat "$DATA/table.md"
} > "$DATA/last-run.md"
cat "$DATA/last-run.md"
/usr/bin/python3 - "$ROOT/bench/README.md" "$DATA/last-run.md" <<'EOF'
import sys
readme, run = sys.argv[1], open(sys.argv[2]).read()
s = open(readme).read()
a, b = "<!-- latest-run -->\n", "<!-- /latest-run -->"
i, j = s.index(a) + len(a), s.index(b)
open(readme, "w").write(s[:i] + run + s[j:])
EOF
exit "${RC:-0}"
