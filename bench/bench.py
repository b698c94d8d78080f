#!/usr/bin/python3
"""The benchmark harness; bench/run.sh runs it inside the benchmark's own
network namespace, where /etc/resolv.conf says `nameserver 127.0.0.1` and
spfc_dnsd answers on 127.0.0.1:53.  Nothing here sends a packet anywhere but
that loopback responder.

For every case and every tool the responder is started afresh (so its
--count file holds exactly that tool's queries for that case), the check runs
RUNS times, and the median wall time is kept.  Wall time is the whole process,
as a mail system calling the tool would see it (start-up included); the 0 ms
column shows that start-up share.
"""
import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PY = "/usr/bin/python3"  # the Debian python that has python3-spf
PEERS = ["libspf2", "pyspf", "mailspf"]
PYSPF_ONE = ("import spf, sys\n"
             "print(spf.check2(i=sys.argv[1], s=sys.argv[2], h=sys.argv[3])[0])")


class Responder:
    """spfc_dnsd on 127.0.0.1:53 in this namespace, counting queries."""

    def __init__(self, dnsd, zones, delay, workdir):
        self.count_file = os.path.join(workdir, "count")
        if os.path.exists(self.count_file):
            os.unlink(self.count_file)
        argv = [dnsd, "--addr", "127.0.0.1", "--port", "53",
                "--delay-ms", str(delay), "--count", self.count_file]
        for z in zones:
            argv += ["--zone", z]
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("port 53"):
            self.proc.kill()
            raise RuntimeError("spfc_dnsd did not start on port 53: %r" % line)

    def drops(self):
        """Datagrams dropped at the responder's own UDP socket (full receive
        buffer), from the skmem d counter of `ss -uam`."""
        out = subprocess.run(["ss", "-uamn", "sport = :53"], stdout=subprocess.PIPE,
                             text=True).stdout
        return sum(int(d) for d in re.findall(r"\bd(\d+)\)", out))

    def stop(self):
        """Stop it and return the number of queries it received."""
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=10)
        with open(self.count_file) as f:
            return int(f.read().split()[0])  # line 1: queries; line 2: peak delayed


def single_argv(tool, spfcheck, ip, ident, helo):
    if tool == "spfcheck":
        return [spfcheck, "-q", "--helo", helo, ident, ip]
    if tool == "spfcheck-seq":
        return [spfcheck, "-q", "--sequential", "--helo", helo, ident, ip]
    if tool == "libspf2":
        return ["spfquery.libspf2", "-ip", ip, "-sender", ident, "-helo", helo]
    if tool == "mailspf":
        return ["spfquery.mail-spf-perl", "--ip", ip, "--id", ident, "--helo-id", helo]
    if tool == "pyspf":
        return [PY, "-c", PYSPF_ONE, ip, ident, helo]
    raise ValueError(tool)


def first_word(out):
    for line in out.splitlines():
        if line.strip():
            return line.split()[0]
    return "?"


def run_single(args, cases, delay, tools, zones, work):
    """Per case: one counted run per tool on a fresh responder (queries are
    deterministic for a given tool and case), then RUNS timed rounds on one
    responder with the tools interleaved and their order rotated each round,
    so that load from elsewhere on the machine falls on every tool alike."""
    rows = []
    for case in cases:
        name, ip, ident, expected, deep, depth = case
        helo = "mail." + ident.split("@")[-1]
        argvs = {t: single_argv(t, args.spfcheck, ip, ident, helo) for t in tools}
        queries, results = {}, {t: set() for t in tools}
        for tool in tools:
            dns = Responder(args.dnsd, zones, delay, work)
            try:
                p = subprocess.run(argvs[tool], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, timeout=120)
                results[tool].add(first_word(p.stdout))
            finally:
                queries[tool] = dns.stop()
        walls = {t: [] for t in tools}
        dns = Responder(args.dnsd, zones, delay, work)
        try:
            for r in range(args.runs):
                k = r % len(tools)
                for tool in tools[k:] + tools[:k]:
                    t0 = time.perf_counter()
                    p = subprocess.run(argvs[tool], stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, text=True, timeout=120)
                    walls[tool].append(time.perf_counter() - t0)
                    results[tool].add(first_word(p.stdout))
        finally:
            dns.stop()
        for tool in tools:
            res = "/".join(sorted(results[tool]))
            rows.append({
                "case": name, "tool": tool, "delay": delay, "deep": deep == "deep",
                "depth": int(depth), "expected": expected, "result": res,
                "ok": res == expected, "wall": statistics.median(walls[tool]),
                "walls": walls[tool], "queries": queries[tool],
            })
            print("  %-14s %-13s %3d ms  %-9s %6.1f ms  %3d queries" % (
                name, tool, delay, res, rows[-1]["wall"] * 1e3, queries[tool]),
                file=sys.stderr, flush=True)
    return rows


def batch_argv(tool, spfcheck, path):
    if tool == "spfcheck":
        return [spfcheck, "--batch", path]
    if tool.startswith("spfcheck -c "):
        return [spfcheck, "--batch", path, "--concurrency", tool.split()[-1]]
    if tool == "libspf2":
        return ["spfquery.libspf2", "-file", path]
    if tool == "mailspf":
        return ["spfquery.mail-spf-perl", "--file", path]
    if tool == "pyspf":
        return [PY, os.path.join(HERE, "pyspf_batch.py"), path]
    raise ValueError(tool)


RSPF = re.compile(r"^Received-SPF: (\w+)", re.M)


def batch_results(tool, out):
    """The list of result words, in input order."""
    if tool in ("libspf2", "mailspf"):
        return [m.lower() for m in RSPF.findall(out)]
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def udp_rcvbuf_errors():
    """UDP datagrams dropped for a full receive buffer, in this namespace
    (the responder's socket and the tools' sockets alike)."""
    with open("/proc/net/snmp") as f:
        rows = [line.split() for line in f if line.startswith("Udp:")]
    return int(rows[1][rows[0].index("RcvbufErrors")])


def batch_lines_for(args, tool, delay):
    n = args.batch_lines
    if tool == "libspf2" and delay:
        # libspf2 caches answers across checks but still waits one round
        # trip per uncached lookup: the first n lines only.
        n = min(n, args.libspf2_lines_20)
    elif tool in ("pyspf", "mailspf"):
        # No cache across checks, so slow: the first n lines only.
        n = min(n, args.peer_lines_20 if delay else args.peer_lines_0)
    return n


def batch_once(args, tool, delay, n, zones, work, lines_all):
    """One batch run on a fresh responder, under GNU time."""
    path = os.path.join(work, "batch-%d.txt" % n)
    if not os.path.exists(path):
        with open(path, "w") as f:
            f.writelines(lines_all[:n])
    argv = batch_argv(tool, args.spfcheck, path)
    timef = os.path.join(work, "time")
    dns = Responder(args.dnsd, zones, delay, work)
    drops0 = udp_rcvbuf_errors()
    try:
        t0 = time.perf_counter()
        p = subprocess.run(["/usr/bin/time", "-f", "%M %U %S", "-o", timef] + argv,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=900)
        wall = time.perf_counter() - t0
    finally:
        drops = udp_rcvbuf_errors() - drops0
        dns_drops = dns.drops()
        queries = dns.stop()
    with open(timef) as f:
        rss, user, sys_ = f.read().strip().splitlines()[-1].split()
    res = batch_results(tool, p.stdout)
    print("  batch %-16s %3d ms  %5d lines  %7.2f s  %9.1f checks/s  %6.2f CPU s  %7s KiB  "
          "%6d queries  %d UDP drops (%d at the responder)" % (
              tool, delay, n, wall, n / wall, float(user) + float(sys_), rss,
              queries, drops, dns_drops),
          file=sys.stderr, flush=True)
    return {
        "tool": tool, "delay": delay, "lines": n, "outputs": len(res),
        "exit": p.returncode, "wall": wall, "rate": n / wall,
        "cpu": float(user) + float(sys_), "rss_kb": int(rss), "queries": queries,
        "drops": drops, "dns_drops": dns_drops, "temperror": res.count("temperror"),
        "stderr": p.stderr[-500:], "results": res,
        # Every line checked, and spfcheck's documented batch exit code.
        "valid": len(res) == n and (not tool.startswith("spfcheck") or p.returncode == 0),
    }


def run_batch(args, delay, zones, work, lines_all):
    """The short runs (spfcheck at every concurrency; libspf2 too with no
    delay) are repeated --batch-reps times, interleaved, and the median by
    wall time is kept: a run of a second or so on a shared machine varies
    by 2x.  The long runs run once."""
    variants = ["spfcheck -c %d" % c for c in args.concurrency]
    tools = ["spfcheck"] + variants + PEERS
    repeated = ["spfcheck"] + variants + (["libspf2"] if delay == 0 else [])
    runs = {t: [] for t in tools}
    for _ in range(args.batch_reps):
        for tool in repeated:
            runs[tool].append(batch_once(args, tool, delay, batch_lines_for(args, tool, delay),
                                         zones, work, lines_all))
    for tool in tools:
        if tool not in repeated:
            runs[tool].append(batch_once(args, tool, delay, batch_lines_for(args, tool, delay),
                                         zones, work, lines_all))
    rows = []
    ref = None
    for tool in tools:
        rs = sorted(runs[tool], key=lambda r: r["wall"])
        row = dict(rs[len(rs) // 2])
        row["all_rates"] = [r["rate"] for r in runs[tool]]
        row["valid"] = all(r["valid"] for r in rs)
        res = row.pop("results")
        for r in rs:
            r.pop("results", None)
        if tool == "spfcheck":
            ref = res
        row["mismatch"] = sum(1 for x, y in zip(res, ref or []) if x != y)
        rows.append(row)
    return rows


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------

def ms(x):
    return "%.1f" % (x * 1e3)


def report(single, batch, delays, rtt, note):
    out = []
    w = out.append
    by = {(r["case"], r["tool"], r["delay"]): r for r in single}
    cases = []
    for r in single:
        if r["case"] not in cases:
            cases.append(r["case"])
    tools = []
    for r in single:
        if r["tool"] not in tools:
            tools.append(r["tool"])
    if single:
        w("### Single checks (median of %s runs, whole process)" % note["runs"])
        w("")
        w("`queries`: received by the responder per check. `RT`: wall at %d ms / %d ms. "
          "`net RT`: (wall at %d ms - wall at 0 ms) / %d ms, i.e. round trips with "
          "start-up and CPU taken out. `x`: this tool's wall / spfcheck's wall "
          "(above 1: spfcheck is faster)." % (rtt, rtt, rtt, rtt))
        w("")
        w("| case | depth | tool | result | queries | wall %d ms | RT | net RT | x @%d | wall 0 ms | x @0 |"
          % (rtt, rtt))
        w("|---|---|---|---|---|---|---|---|---|---|---|")
        for c in cases:
            for t in tools:
                a = by.get((c, t, rtt))
                z = by.get((c, t, 0))
                if a is None or z is None:
                    continue
                s20 = by[(c, "spfcheck", rtt)]["wall"]
                s0 = by[(c, "spfcheck", 0)]["wall"]
                res = a["result"] + ("" if a["ok"] else " (expected %s)" % a["expected"])
                w("| %s | %d | %s | %s | %.0f | %s | %.1f | %.1f | %s | %s | %s |" % (
                    c + (" (deep)" if a["deep"] else ""), a["depth"], t, res, a["queries"],
                    ms(a["wall"]), a["wall"] * 1e3 / rtt,
                    (a["wall"] - z["wall"]) * 1e3 / rtt,
                    "%.2f" % (a["wall"] / s20), ms(z["wall"]), "%.2f" % (z["wall"] / s0)))
        w("")
    if batch:
        w("### Batch: %d distinct customer domains sharing the providers' includes"
          % note["batch_lines"])
        w("")
        w(("`checks/s`: of the median run; runs repeated %d times show every run's rate "
          "in brackets. `CPU s`: user + system time of the tool (GNU time). "
          "`est. 10k`: the time the whole file would take at the measured rate "
          "(measured, not extrapolated, when `lines` is the full file). "
          "`queries`: received by the responder during the run. "
          "`differ`: results that differ from spfcheck's (default concurrency) on the same "
          "lines. `UDP drops`: datagrams the kernel dropped for a full socket receive buffer "
          "in the namespace during the run (`RcvbufErrors` of /proc/net/snmp), as "
          "tool + responder (the responder's own socket, from `ss -uam`). `spfcheck x`: spfcheck's "
          "(default concurrency) checks/s over this row's.") % note["batch_reps"])
        w("")
        w("| delay | tool | lines | wall s | checks/s | spfcheck x | est. 10k s | CPU s | peak RSS MiB | queries | queries/check | differ | UDP drops |")
        w("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        rates = {(r["tool"], r["delay"]): r["rate"] for r in batch}
        for r in batch:
            sx = rates.get(("spfcheck", r["delay"]), 0) / r["rate"]
            allr = "" if len(r["all_rates"]) < 2 else " (%s)" % ", ".join(
                "%.0f" % x for x in r["all_rates"])
            w("| %d ms | %s | %d%s | %.2f | %.1f%s | %.1f | %.1f%s | %.2f | %.1f | %d | %.2f | %d | %s |" % (
                r["delay"], r["tool"], r["lines"],
                "" if r["valid"] else " (INVALID: %d results, exit %d)" % (r["outputs"], r["exit"]),
                r["wall"], r["rate"], allr, sx, note["batch_lines"] / r["rate"],
                "" if r["lines"] == note["batch_lines"] else " (extrap.)", r["cpu"],
                r["rss_kb"] / 1024.0, r["queries"], r["queries"] / r["lines"],
                r["mismatch"], "%d + %d" % (r["drops"] - r["dns_drops"], r["dns_drops"])))
        w("")
    # Goals, as ratios of this run.
    w("### Goals, from this run")
    w("")
    w("| goal | measured | met |")
    w("|---|---|---|")
    for c in cases:
        a = by.get((c, "spfcheck", rtt))
        if a is None or not a["deep"]:
            continue
        best = min((by[(c, p, rtt)] for p in PEERS if (c, p, rtt) in by),
                   key=lambda r: r["wall"])
        ratio = best["wall"] / a["wall"]
        w("| %s at %d ms: >= 3x faster than the best peer | %.2fx (best peer %s %s ms, spfcheck %s ms) | %s |"
          % (c, rtt, ratio, best["tool"], ms(best["wall"]), ms(a["wall"]),
             "yes" if ratio >= 3 else "**no**"))
    for c in cases:
        a = by.get((c, "spfcheck", rtt))
        if a is None:
            continue
        z = by[(c, "spfcheck", 0)]
        bound = a["depth"] * rtt / 1e3
        ratio = a["wall"] / bound
        net = (a["wall"] - z["wall"]) / bound
        w("| %s at %d ms: wall within 1.3x of depth %d x %d ms | wall %.2fx (%s ms); "
          "without start-up (wall - wall at 0 ms) %.2fx | %s; %s without start-up |"
          % (c, rtt, a["depth"], rtt, ratio, ms(a["wall"]), net,
             "yes" if ratio <= 1.3 else "**no**", "yes" if net <= 1.3 else "**no**"))
    if batch:
        bb = {(r["tool"], r["delay"]): r for r in batch}
        stools = [r["tool"] for r in batch if r["tool"].startswith("spfcheck") and r["delay"] == rtt]
        for st in stools:
            s = bb[(st, rtt)]
            best = max((bb[(p, rtt)] for p in PEERS if (p, rtt) in bb), key=lambda r: r["rate"])
            ratio = s["rate"] / best["rate"]
            ok = ratio >= 100 and s["valid"] and best["valid"]
            w("| batch at %d ms (%s): >= 100x the best peer's checks/s | %.1fx (%.0f vs %s %.1f/s) | %s |"
              % (rtt, st, ratio, s["rate"], best["tool"], best["rate"], "yes" if ok else "**no**"))
        stools = [r["tool"] for r in batch if r["tool"].startswith("spfcheck") and r["delay"] == 0]
        for st in stools:
            if ("libspf2", 0) not in bb:
                break
            s, l = bb[(st, 0)], bb[("libspf2", 0)]
            ratio = s["rate"] / l["rate"]
            ok = ratio >= 2 and s["valid"] and l["valid"]
            cpu = (l["cpu"] / l["lines"]) / (s["cpu"] / s["lines"]) if s["cpu"] > 0 else 0
            w("| batch at 0 ms (%s): >= 2x libspf2 `-file` checks/s | %.2fx (%.0f vs %.0f/s); "
              "CPU time per check: libspf2's / spfcheck's = %.2f | %s |"
              % (st, ratio, s["rate"], l["rate"], cpu, "yes" if ok else "**no**"))
    w("")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dnsd", required=True)
    ap.add_argument("--spfcheck", required=True)
    ap.add_argument("--data", required=True, help="genzone.py output directory")
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--rtt", type=int, default=20)
    ap.add_argument("--single", choices=["yes", "no"], default="yes")
    ap.add_argument("--batch", choices=["auto", "yes", "no"], default="auto")
    ap.add_argument("--batch-lines", type=int, default=10000)
    ap.add_argument("--libspf2-lines-20", type=int, default=1000)
    ap.add_argument("--peer-lines-20", type=int, default=300)
    ap.add_argument("--peer-lines-0", type=int, default=2000)
    ap.add_argument("--batch-reps", type=int, default=3)
    ap.add_argument("--concurrency", default="64,1000",
                    help="extra spfcheck --batch runs at these --concurrency values")
    ap.add_argument("--json", help="write the raw results here")
    ap.add_argument("--md", help="write the Markdown report here")
    args = ap.parse_args()

    with open(os.path.join(args.data, "cases.tsv")) as f:
        cases = [line.rstrip("\n").split("\t") for line in f if line.strip()]
    with open(os.path.join(args.data, "batch.txt")) as f:
        lines_all = f.readlines()
    args.batch_lines = min(args.batch_lines, len(lines_all))
    args.concurrency = [int(c) for c in args.concurrency.split(",") if c]
    zones_single = [os.path.join(args.data, z) for z in ("providers.zone", "cases.zone")]
    zones_batch = zones_single + [os.path.join(args.data, "customers.zone")]

    do_batch = args.batch == "yes"
    if args.batch == "auto":
        h = subprocess.run([args.spfcheck, "--help"], stdout=subprocess.PIPE, text=True).stdout
        do_batch = "--batch" in h
        if not do_batch:
            print("bench: this spfcheck has no --batch: batch part skipped", file=sys.stderr)

    work = tempfile.mkdtemp(prefix="spfcbench.")
    try:
        single, batch = [], []
        tools = ["spfcheck", "spfcheck-seq"] + PEERS
        # Both delays of a case run back to back, so that the net round trips
        # (wall at RTT - wall at 0 ms) compare times taken under the same load.
        for case in cases if args.single == "yes" else ():
            for delay in (args.rtt, 0):
                single += run_single(args, [case], delay, tools, zones_single, work)
        if do_batch:
            for delay in (args.rtt, 0):
                print("batch, responder delay %d ms" % delay, file=sys.stderr)
                batch += run_batch(args, delay, zones_batch, work, lines_all)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    note = {"runs": args.runs, "batch_lines": args.batch_lines, "batch_reps": args.batch_reps}
    md = report(single, batch, [args.rtt, 0], args.rtt, note)
    print(md)
    if args.md:
        with open(args.md, "w") as f:
            f.write(md + "\n")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"single": single, "batch": batch, "note": note}, f, indent=1)
    bad = [r for r in single if not r["ok"]]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
