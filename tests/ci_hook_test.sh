#!/bin/sh
# ci_hook_test.sh SPFCHECK SOURCE_DIR - contrib/spfcheck-zone-hook and the
# commands of docs/ci.md, run on tests/ci: a clean zone passes, a broken
# one, a failed expectation, a warning under SPFCHECK_STRICT and a bad
# list line fail; the batch job's --fail-on fails on a failing sender.
# Everything is --offline: no network.
set -u
spfcheck=$1
src=$2
hook=$src/contrib/spfcheck-zone-hook
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$src"/tests/ci/* "$tmp"/
fails=0

# expect CODE NAME LIST-CONTENT [ENV...]: run the hook on a list, check
# its exit status.
expect() {
    want=$1 name=$2 content=$3
    shift 3
    printf '%s\n' "$content" > "$tmp/list"
    env SPFCHECK="$spfcheck" SPFCHECK_ZONES="$tmp/list" SPFCHECK_OFFLINE=1 "$@" \
        sh "$hook" > "$tmp/out" 2> "$tmp/err"
    got=$?
    if [ "$got" -ne "$want" ]; then
        echo "FAIL $name: exit $got, want $want"
        cat "$tmp/out" "$tmp/err"
        fails=$((fails + 1))
    else
        echo "ok   $name"
    fi
}

# says NAME TEXT: the last run's messages mention TEXT.
says() {
    if ! grep -qF -- "$2" "$tmp/err"; then
        echo "FAIL $1: stderr lacks '$2':"
        cat "$tmp/err"
        fails=$((fails + 1))
    fi
}

expect 0 clean "good.zone example.net good.expect
# a comment, and a blank line

good.zone lenient.example.net"
expect 1 broken "good.zone example.net
broken.zone broken.example.net"
says broken "broken.example.net in $tmp/broken.zone: spfcheck exit 4"
grep -q 'include-without-spf\|publishes no SPF record' "$tmp/out" ||
    { echo "FAIL broken: the report does not say why"; fails=$((fails + 1)); }
expect 1 expectation "good.zone example.net bad.expect"
says expectation "spfcheck exit 1"
expect 0 warning "good.zone lenient.example.net"
expect 1 strict "good.zone lenient.example.net" SPFCHECK_STRICT=1
expect 1 bad-line "good.zone"
says bad-line "give ZONE DOMAIN [EXPECT-FILE]"
expect 1 empty "# nothing"
says empty "lists no zone"
expect 1 missing-zone "nonexistent.zone example.net"
says missing-zone "spfcheck exit 64"

# The batch job of docs/ci.md: every sender must pass.
batch() {
    want=$1 name=$2
    "$spfcheck" --offline --zone "$tmp/good.zone" --batch "$tmp/senders.txt" \
        --fail-on fail,softfail,neutral,none,permerror,temperror > "$tmp/out"
    got=$?
    if [ "$got" -ne "$want" ]; then
        echo "FAIL $name: exit $got, want $want"; cat "$tmp/out"
        fails=$((fails + 1))
    else
        echo "ok   $name"
    fi
}
batch 0 batch-pass
echo "203.0.113.9 example.net" >> "$tmp/senders.txt"
batch 1 batch-fail
grep -qx "fail 203.0.113.9 example.net" "$tmp/out" ||
    { echo "FAIL batch-fail: no fail line"; fails=$((fails + 1)); }

# Every apt-get install of docs/ci.md installs what the build needs: the
# compiler, cmake, pkg-config and the Debian package of each pkg-config
# module CMakeLists.txt requires (found through dpkg, so a module added
# there is checked here without editing this test).
modules=$(sed -n 's/^set(SPFC_LIB_PKG_MODULES \(.*\))$/\1/p' "$src/CMakeLists.txt" |
    tr -d '"' | sed 's/[<>=][^ ]*//g')
[ -n "$modules" ] || { echo "FAIL ci-deps: no SPFC_LIB_PKG_MODULES"; fails=$((fails + 1)); }
need="build-essential cmake pkg-config"
for m in $modules; do
    pc=$(pkg-config --variable=pcfiledir "$m")/$m.pc
    pkg=$(dpkg -S "$pc" 2>/dev/null | sed -n '1s/[:,].*//p')
    [ -n "$pkg" ] || { echo "FAIL ci-deps: no Debian package owns $pc"; fails=$((fails + 1)); }
    need="$need $pkg"
done
# One install command a line: join continued lines (a trailing "\" in
# shell, a deeper indent in YAML lists) before looking at them.
awk '/apt-get install/ { cmd = $0; ind = match($0, /[^ ]/); next_cont = /\\$/
        while ((getline l) > 0) {
            li = match(l, /[^ ]/)
            if (next_cont || li > ind) { cmd = cmd " " l; next_cont = l ~ /\\$/ }
            else break
        }
        print cmd }' "$src/docs/ci.md" > "$tmp/installs"
n=$(wc -l < "$tmp/installs")
[ "$n" -ge 3 ] || { echo "FAIL ci-deps: $n install commands in docs/ci.md"; fails=$((fails + 1)); }
while IFS= read -r cmd; do
    for pkg in $need; do
        case " $(echo "$cmd" | tr -s '\\ ' '  ') " in
        *" $pkg "*) ;;
        *) echo "FAIL ci-deps: docs/ci.md installs without $pkg: $cmd"
           fails=$((fails + 1)) ;;
        esac
    done
done < "$tmp/installs"
echo "ok   ci-deps ($n install commands, $(echo $need | wc -w) packages)"

[ "$fails" -eq 0 ] || { echo "$fails failed"; exit 1; }
echo "all passed"
