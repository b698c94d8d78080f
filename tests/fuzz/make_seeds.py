#!/usr/bin/env python3
"""Regenerate the seed corpora under tests/fuzz/corpus/ (run from anywhere).

Seeds come from the RFC 7208 test suite (records, macro strings, zone
data as views and as DNS replies), the master files under tests/zones and
docs/examples, and the hostile inputs of the unit tests.  The formats are
the ones each fuzz target's header comment describes.  Deterministic: the
same tree gives the same files (named by content hash); files named
regress-* (inputs that fuzzing found) are kept.
"""
import hashlib
import ipaddress
import os
import re
import struct
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SUITE = os.path.join(ROOT, "tests", "rfc7208-tests.yml")
OUT = os.path.join(HERE, "corpus")

TYPES = {"A": 1, "CNAME": 5, "PTR": 12, "MX": 15, "TXT": 16, "AAAA": 28}


def raw(s):
    """YAML \\x escapes stand for bytes."""
    if isinstance(s, bytes):
        return s
    s = str(s)
    try:
        return s.encode("latin-1")
    except UnicodeEncodeError:
        return s.encode("utf-8")


def put(target, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def load_suite():
    with open(SUITE, "rb") as f:
        return list(yaml.safe_load_all(f))


def zone_entries(zonedata):
    """(name, type, value) triples; SPF records stand for TXT unless the
    name has TXT of its own (the suite's drivers copy them the same way)."""
    out = []
    for name, rrs in (zonedata or {}).items():
        rrs = rrs or []
        has_txt = any(isinstance(r, dict) and "TXT" in r for r in rrs)
        for r in rrs:
            if r == "TIMEOUT":
                out.append((name, "TIMEOUT", None))
                continue
            if not isinstance(r, dict):
                continue
            for t, v in r.items():
                if t == "SPF":
                    if has_txt:
                        continue
                    t = "TXT"
                if t == "TXT" and v == "NONE":
                    continue
                if t in TYPES:
                    out.append((name, t, v))
    return out


def txt_bytes(v):
    if isinstance(v, list):
        return b"".join(raw(x) for x in v)
    return raw(v)


# ---------------------------------------------------------------- records
def seeds_record(docs):
    seen = set()
    for doc in docs:
        for name, t, v in zone_entries(doc.get("zonedata")):
            if t == "TXT":
                b = txt_bytes(v)
                if b not in seen:
                    seen.add(b)
                    put("fuzz_record", b)
    for b in [b"v=spf1 ip4:0.0.0.0/0 ip6:::/0 a/33 a//129 -all",
              b"v=spf1 ip4:01.2.3.4 a/024 a/+24 a/-1 -all",
              b"v=spf1 \x00 -all", b"v=spf1 a:\xff\xfe.example -all",
              b"v=spf1 " + b"a " * 300 + b"-all",
              b"v=spf1 redirect=a redirect=b", b"v=spf1 exp=%{l99999999999r}",
              b"v=spf1 a:%{d0}.x", b"v=spf1 exists:%{ir}.%{v}._spf.%{d2}",
              b"V=SPF1 Include:X.example ~ALL", b"v=spf1 foo=bar =x -all"]:
        put("fuzz_record", b)


# ---------------------------------------------------------------- macros
def seeds_macro(docs):
    specs = set()
    for doc in docs:
        for name, t, v in zone_entries(doc.get("zonedata")):
            if t != "TXT":
                continue
            b = txt_bytes(v)
            for term in b.split(b" "):
                if b"%" in term:
                    specs.add(term.split(b":", 1)[-1].split(b"=", 1)[-1])
    specs.update([b"%{s}", b"%{o}", b"%{d}", b"%{d4}", b"%{d3}", b"%{d2}",
                  b"%{d1}", b"%{dr}", b"%{d2r}", b"%{l}", b"%{l-}", b"%{lr}",
                  b"%{lr-}", b"%{l1r-}", b"%{ir}.%{v}._spf.%{d2}",
                  b"%{lr-}.lp._spf.%{d2}", b"%{lr-}.lp.%{ir}.%{v}._spf.%{d2}",
                  b"%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", b"%{d2}.trusted-domains.example.net",
                  b"%{l99999999999r}", b"%{d0}", b"%{l.-+,/_=.-+,/_=}", b"%{S}%{L}%{O}",
                  b"%", b"%%%_%-", b"%{c} %{r} %{t}", b"%{p}.%{h}", b"%{i}%{I}"])
    envs = [b"\x00user@example.com\nmail.example.org\n192.0.2.3\nexample.com\n",
            b"\x02strong-bad@email.example.com\nmail.example.net\n2001:db8::cb01\nemail.example.com\n",
            b"\x01@example.com\n\n::ffff:192.0.2.1\nexample.com\n",
            b"\x41a.b.c.d.e@x.y.z\nh\n10.0.0.1\nx.y.z\n"]
    for i, spec in enumerate(sorted(specs)):
        put("fuzz_macro", envs[i % len(envs)] + spec)


# ---------------------------------------------------------------- eval
NAMES = ["example.com", "a.example.com", "b.example.com", "c.example.com",
         "mx.example.com", "mx2.example.com", "1.2.0.192.in-addr.arpa",
         "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa",
         "host.example.com", "example.net", "_spf.example.net",
         "3.2.0.192.in-addr.arpa", "exp.example.com", "2.0.192.in-addr.arpa",
         "example", ""]


def nref(name):
    name = raw(name).rstrip(b".")
    try:
        return bytes([NAMES.index(name.decode("latin-1"))])
    except ValueError:
        return b"\xff" + bytes([len(name[:255])]) + name[:255]


def eval_ops(entries):
    ops = b""
    for name, t, v in entries:
        o = nref(name)
        if t == "TIMEOUT":
            ops += b"\x06" + o + b"\x03"
        elif t == "A":
            try:
                ops += b"\x00" + o + ipaddress.IPv4Address(str(v)).packed
            except ValueError:
                pass
        elif t == "AAAA":
            try:
                ops += b"\x01" + o + ipaddress.IPv6Address(str(v)).packed
            except ValueError:
                pass
        elif t == "TXT":
            b = txt_bytes(v)
            ops += b"\x02" + o + struct.pack(">H", len(b)) + b
        elif t == "MX":
            pref, target = v
            ops += b"\x03" + o + bytes([int(pref) & 255]) + nref(target)
        elif t == "PTR":
            ops += b"\x04" + o + nref(v)
        elif t == "CNAME":
            ops += b"\x05" + o + nref(v)
    return ops


def seeds_eval(docs):
    for doc in docs:
        entries = zone_entries(doc.get("zonedata"))
        ops = eval_ops(entries)
        # A few tests per section: each seed carries the whole zone.
        for tname, test in list((doc.get("tests") or {}).items())[:6]:
            host = ipaddress.ip_address(str(test.get("host")))
            mailfrom = str(test.get("mailfrom") or "")
            helo = str(test.get("helo") or "")
            flags = 32
            if mailfrom:
                domain = mailfrom.rsplit("@", 1)[-1]
            else:
                domain = helo
                flags |= 8
            if "exp" in str(test.get("explanation", "")):
                flags |= 16
            fam = b"\x01" if host.version == 6 else b"\x00"
            put("fuzz_eval", bytes([flags]) + fam + host.packed + nref(domain) + ops)
    # Hostile shapes: an include loop, 20 MX names, a CNAME loop.
    loop = (b"\x02\x01" + struct.pack(">H", 29) + b"v=spf1 include:b.example.com"
            + b" " + b"\x02\x02" + struct.pack(">H", 29) + b"v=spf1 include:a.example.com ")
    put("fuzz_eval", b"\x00\x01" + loop)
    mx = b"\x02\x00" + struct.pack(">H", 14) + b"v=spf1 mx -all"
    for i in range(20):
        mx += b"\x03\x00" + bytes([i]) + nref("m%d.example.com" % i)
    put("fuzz_eval", b"\x00\x00" + mx)
    cn = (b"\x02\x00" + struct.pack(">H", 25) + b"v=spf1 a:c.example.com -a"
          + b"\x05\x03\x04\x05\x04\x03")
    put("fuzz_eval", b"\x01\x00" + cn)


# ---------------------------------------------------------------- dns
def wire_name(name):
    out = b""
    name = raw(name).rstrip(b".")
    if name:
        for label in name.split(b"."):
            out += bytes([len(label[:63])]) + label[:63]
    return out + b"\x00"


def reply(qname, qtype, rcode, answers, authority=()):
    """answers, authority: (owner, type, rdata bytes)."""
    msg = struct.pack(">HBBHHHH", 0x1234, 0x81, 0x80 | rcode, 1, len(answers),
                      len(authority), 0)
    msg += wire_name(qname) + struct.pack(">HH", qtype, 1)
    for owner, t, rdata in list(answers) + list(authority):
        o = b"\xc0\x0c" if owner == qname else wire_name(owner)
        msg += o + struct.pack(">HHIH", t, 1, 300, len(rdata)) + rdata
    return msg


def soa(zone, minimum):
    return (wire_name("ns." + zone) + wire_name("host." + zone) +
            struct.pack(">IIIII", 1, 3600, 600, 86400, minimum))


def rdata(t, v):
    if t == "A":
        return ipaddress.IPv4Address(str(v)).packed
    if t == "AAAA":
        return ipaddress.IPv6Address(str(v)).packed
    if t == "TXT":
        parts = v if isinstance(v, list) else [v]
        out = b""
        for p in parts:
            b = raw(p)
            while len(b) > 255:
                out += b"\xff" + b[:255]
                b = b[255:]
            out += bytes([len(b)]) + b
        return out
    if t == "MX":
        return struct.pack(">H", int(v[0]) & 0xFFFF) + wire_name(v[1])
    return wire_name(v)


QSEL = {1: 0, 28: 1, 16: 2, 15: 3, 12: 4, 5: 5}


def dns_seed(qname, qtype, msg):
    q = raw(qname).rstrip(b".")[:255]
    return bytes([QSEL.get(qtype, 7), len(q)]) + q + msg


def seeds_dns(docs):
    n = 0
    for doc in docs:
        for name, t, v in zone_entries(doc.get("zonedata")):
            if t == "TIMEOUT":
                continue
            try:
                rd = rdata(t, v)
            except (ValueError, TypeError, IndexError):
                continue
            qt = TYPES[t]
            put("fuzz_dns", dns_seed(name, qt, reply(name, qt, 0, [(name, qt, rd)])))
            n += 1
    q = "example.com"
    put("fuzz_dns", dns_seed(q, 1, reply(q, 1, 3, [])))          # NXDOMAIN
    put("fuzz_dns", dns_seed(q, 16, reply(q, 16, 2, [])))        # SERVFAIL
    put("fuzz_dns", dns_seed(q, 16, reply(q, 16, 0, [])))        # NODATA
    # Negative answers with the zone's SOA in the authority section.
    put("fuzz_dns", dns_seed("nx." + q, 16, reply("nx." + q, 16, 3, [], [(q, 6, soa(q, 60))])))
    put("fuzz_dns", dns_seed(q, 16, reply(q, 16, 0, [], [(q, 2, wire_name("ns." + q)),
                                                         (q, 6, soa(q, 86400 * 7))])))
    put("fuzz_dns", dns_seed("a." + q, 16, reply("a." + q, 16, 3, [
        ("a." + q, 5, wire_name("gone.other.net"))], [("other.net", 6, soa("other.net", 900))])))
    # CNAME chain, then the data.
    put("fuzz_dns", dns_seed("a.example.com", 1, reply("a.example.com", 1, 0, [
        ("a.example.com", 5, wire_name("b.example.com")),
        ("b.example.com", 5, wire_name("c.example.com")),
        ("c.example.com", 1, bytes([192, 0, 2, 1]))])))
    # CNAME loop.
    put("fuzz_dns", dns_seed("a.example.com", 1, reply("a.example.com", 1, 0, [
        ("a.example.com", 5, wire_name("b.example.com")),
        ("b.example.com", 5, wire_name("a.example.com"))])))
    # A compression pointer loop in the answer's owner.
    msg = reply(q, 1, 0, [])
    msg = msg[:7] + b"\x01" + msg[8:] + b"\xc0" + bytes([len(msg)]) + struct.pack(">HHIH", 1, 1, 300, 4) + b"\x01\x02\x03\x04"
    put("fuzz_dns", dns_seed(q, 1, msg))
    # 200 MX names, an answer for another name, a wrong type, a cut reply.
    put("fuzz_dns", dns_seed(q, 15, reply(q, 15, 0, [
        (q, 15, struct.pack(">H", i) + wire_name("mx%d.example.com" % i)) for i in range(200)])))
    put("fuzz_dns", dns_seed(q, 1, reply(q, 1, 0, [("other.example", 1, b"\x01\x02\x03\x04")])))
    put("fuzz_dns", dns_seed(q, 1, reply(q, 1, 0, [(q, 16, b"\x03abc")])))
    put("fuzz_dns", dns_seed(q, 16, reply(q, 16, 0, [(q, 16, b"\x0bv=spf1 -all")])[:-4]))
    # A 255-octet name and 63-octet labels.
    long = ".".join(["a" * 63] * 3 + ["b" * 61])
    put("fuzz_dns", dns_seed(q, 12, reply(q, 12, 0, [(q, 12, wire_name(long))])))
    # A 64 KiB-ish TXT (many strings).
    put("fuzz_dns", dns_seed(q, 16, reply(q, 16, 0, [(q, 16, (b"\xff" + b"x" * 255) * 200)])))
    # An EDNS OPT record in the additional section.
    msg = reply(q, 16, 0, [(q, 16, b"\x0bv=spf1 -all")])
    msg = msg[:10] + b"\x00\x01" + msg[12:] + b"\x00" + struct.pack(">HHIH", 41, 1232, 0, 0)
    put("fuzz_dns", dns_seed(q, 16, msg))


# ---------------------------------------------------------------- zones
def seeds_zone(docs):
    for base in [os.path.join(ROOT, "tests", "zones"), os.path.join(ROOT, "docs", "examples")]:
        for dirpath, _, files in os.walk(base):
            for fn in sorted(files):
                if fn.endswith(".zone"):
                    with open(os.path.join(dirpath, fn), "rb") as f:
                        data = f.read()
                    if b"$INCLUDE" in data:
                        continue  # the target skips includes of other paths
                    put("fuzz_zone", data)
    for doc in docs[:8]:
        lines = [b"$ORIGIN .", b"$TTL 300"]
        for name, t, v in zone_entries(doc.get("zonedata")):
            if t == "TIMEOUT":
                continue
            n = raw(name).rstrip(b".") + b"."
            if t == "TXT":
                parts = v if isinstance(v, list) else [v]
                q = b" ".join(b'"' + raw(p).replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'
                              for p in parts)
                lines.append(n + b" IN TXT " + q)
            elif t == "MX":
                lines.append(n + b" IN MX %d " % int(v[0]) + raw(v[1]).rstrip(b".") + b".")
            elif t in ("PTR", "CNAME"):
                lines.append(n + b" IN " + t.encode() + b" " + raw(v).rstrip(b".") + b".")
            else:
                lines.append(n + b" IN " + t.encode() + b" " + raw(v))
        put("fuzz_zone", b"\n".join(lines) + b"\n")
    put("fuzz_zone", b"$ORIGIN example.com.\n@ IN TXT ( \"v=spf1 \"\n \"-all\" ) ; c\n"
                     b"a 60 IN A 192.0.2.1\n\\@x IN TXT \"\\065\\\"\"\n$INCLUDE zone\n")


# ---------------------------------------------------------------- batch
def seeds_batch(docs):
    lines = []
    for doc in docs[:6]:
        for tname, test in list((doc.get("tests") or {}).items())[:4]:
            mf = str(test.get("mailfrom") or "") or "<>"
            helo = str(test.get("helo") or "")
            lines.append(("%s %s %s" % (test.get("host"), mf, helo)).strip().encode("utf-8", "replace"))
    put("fuzz_batch", b"\n".join(lines) + b"\n")
    for b in [b"192.0.2.1 user@example.com mail.example.org",
              b"2001:db8::1\t<>\tmail.example.net\r",
              b"# a comment\n\n   \n192.0.2.1 - helo.example",
              b"::ffff:192.0.2.1 @example.com", b"1.2.3 x@y", b"192.0.2.1",
              b"192.0.2.1 x@example.com helo extra", b"fe80::1%eth0 x@example.com",
              b"192.0.2.1 " + b"a" * 5000 + b"@example.com",
              b"192.0.2.1 \x00\xff@example.com \x80"]:
        put("fuzz_batch", b)


def seeds_bounce(docs):
    """The bounce wordings of tests/test_bounce.c's table and the example
    bounce of docs/examples/bounce.txt."""
    top = os.path.normpath(os.path.join(HERE, "..", ".."))
    with open(os.path.join(top, "docs", "examples", "bounce.txt"), "rb") as f:
        put("fuzz_bounce", f.read())
    with open(os.path.join(top, "tests", "test_bounce.c")) as f:
        src = f.read()
    glink = "https://support.google.com/mail/answer/81126#authentication"
    case = re.compile(r'\{"[^"]*",\n((?:\s+"(?:[^"\\]|\\.)*"'
                      r'(?:\s*GLINK\s*"(?:[^"\\]|\\.)*")?\n)+)')
    for m in case.finditer(src):
        parts = re.findall(r'"((?:[^"\\]|\\.)*)"|(GLINK)', m.group(1))
        text = "".join(glink if g else lit for lit, g in parts)
        put("fuzz_bounce",
            text.encode().decode("unicode_escape").encode("latin-1"))


def main():
    # Generated seeds are named by a 16-digit hash; keep everything else
    # (regress-* inputs that fuzzing found).
    if os.path.isdir(OUT):
        for t in os.listdir(OUT):
            for fn in os.listdir(os.path.join(OUT, t)):
                if len(fn) == 16 and all(c in "0123456789abcdef" for c in fn):
                    os.remove(os.path.join(OUT, t, fn))
    docs = load_suite()
    seeds_record(docs)
    seeds_macro(docs)
    seeds_eval(docs)
    seeds_dns(docs)
    seeds_zone(docs)
    seeds_batch(docs)
    seeds_bounce(docs)
    for t in sorted(os.listdir(OUT)):
        files = os.listdir(os.path.join(OUT, t))
        size = sum(os.path.getsize(os.path.join(OUT, t, f)) for f in files)
        print("%-12s %4d files %7d bytes" % (t, len(files), size))
    return 0


if __name__ == "__main__":
    sys.exit(main())
