#!/usr/bin/python3
"""Generate the benchmark's DNS data and check lists.

    genzone.py OUTDIR [N_CUSTOMERS]

Writes into OUTDIR:
  providers.zone  the big providers' SPF records, in their publicly documented
                  shapes (include structure, qualifiers, rough number of ranges)
  cases.zone      the single-check cases (shallow, redirect, Google, corporate)
  customers.zone  N_CUSTOMERS (default 10000) distinct customer domains, all
                  sharing the providers' includes
  cases.tsv       case name, IP, identity, expected result, "deep" flag,
                  include depth
  batch.txt       one check per customer domain, `IP IDENTITY HELO`
                  (the line format of spfquery -file and spfcheck --batch)

The zone is served only on loopback inside the benchmark's own network
namespace, so the providers' real names are used; every ADDRESS in it is
made up: IPv4 from 198.18.0.0/15 (RFC 2544 benchmarking) and the RFC 5737
documentation blocks, IPv6 from 2001:db8::/32 (RFC 3849).  No real range of
any provider appears here.

Deterministic: the same arguments give the same files.
"""
import os
import random
import sys

TTL = 3600


def txt(owner, text):
    """One TXT RR; long records are split into 255-byte strings (RFC 7208 3.3)."""
    parts = [text[i:i + 255] for i in range(0, len(text), 255)] or [""]
    return "%s %d IN TXT %s" % (owner, TTL, " ".join('"%s"' % p for p in parts))


def spf(owner, terms):
    return txt(owner, "v=spf1 " + " ".join(terms))


def ip4s(third_octets, second=18, plen=24):
    return ["ip4:198.%d.%d.0/%d" % (second, o, plen) for o in third_octets]


# --------------------------------------------------------------------------
# Providers.  Shapes follow what each provider documents for its customers;
# ranges are 198.18.x.0/24 blocks standing in for the real ones.
#   Google Workspace: include:_spf.google.com, which includes _netblocks
#     (IPv4), _netblocks2 (IPv6) and _netblocks3 (IPv4), ~all.
#   Microsoft 365: include:spf.protection.outlook.com: IPv4/IPv6 ranges and
#     include:spfd.protection.outlook.com, -all.
#   SendGrid: include:sendgrid.net: IPv4 ranges, ~all.
#   Mailgun: include:mailgun.org -> _spf.mailgun.org and _spf.eu.mailgun.org.
#   Amazon SES: include:amazonses.com: IPv4 ranges, -all.
#   Mailchimp: include:servers.mcsv.net: IPv4 ranges, -all.
# --------------------------------------------------------------------------
GOOGLE_NB = list(range(0, 12))         # 198.18.0-11.0/24    _netblocks.google.com
GOOGLE_NB3 = list(range(16, 24))       # 198.18.16-23.0/24   _netblocks3.google.com
OUTLOOK = list(range(32, 38))          # spf.protection.outlook.com
OUTLOOK_D = list(range(40, 44))        # spfd.protection.outlook.com
SENDGRID = list(range(48, 57))         # sendgrid.net
MAILGUN = list(range(64, 72))          # _spf.mailgun.org
MAILGUN_EU = list(range(72, 76))       # _spf.eu.mailgun.org
SES = list(range(80, 90))              # amazonses.com
MCSV = list(range(96, 99))             # servers.mcsv.net


def providers():
    z = ["; Providers' SPF records: public shapes, made-up ranges (see genzone.py)",
         "$TTL %d" % TTL]
    z.append(spf("_spf.google.com.", [
        "include:_netblocks.google.com", "include:_netblocks2.google.com",
        "include:_netblocks3.google.com", "~all"]))
    z.append(spf("_netblocks.google.com.", ip4s(GOOGLE_NB) + ["~all"]))
    z.append(spf("_netblocks2.google.com.",
                 ["ip6:2001:db8:%x::/48" % (0x4860 + i) for i in range(8)] + ["~all"]))
    z.append(spf("_netblocks3.google.com.", ip4s(GOOGLE_NB3) + ["~all"]))
    z.append(spf("spf.protection.outlook.com.", ip4s(OUTLOOK) + [
        "ip6:2001:db8:111:f400::/64", "ip6:2001:db8:111:f403::/64",
        "include:spfd.protection.outlook.com", "-all"]))
    z.append(spf("spfd.protection.outlook.com.", ip4s(OUTLOOK_D) + ["-all"]))
    z.append(spf("sendgrid.net.", ip4s(SENDGRID) + ["~all"]))
    z.append(spf("mailgun.org.", ["include:_spf.mailgun.org",
                                  "include:_spf.eu.mailgun.org", "~all"]))
    z.append(spf("_spf.mailgun.org.", ip4s(MAILGUN) + ["~all"]))
    z.append(spf("_spf.eu.mailgun.org.", ip4s(MAILGUN_EU) + ["~all"]))
    z.append(spf("amazonses.com.", ip4s(SES) + ["-all"]))
    z.append(spf("servers.mcsv.net.", ip4s(MCSV) + ["-all"]))
    return z


# An address that matches nothing anywhere in the data.
NOWHERE = "198.19.250.1"


def in_block(third, host=7):
    return "198.18.%d.%d" % (third, host)


def cases():
    """Single-check cases: (name, ip, identity, expected, deep, zone lines)."""
    z = ["; Single-check cases", "$TTL %d" % TTL]
    z.append(spf("shallow.example.", ["ip4:192.0.2.0/24", "-all"]))
    # A redirect to an ESP-hosted record that includes two providers.
    z.append(spf("redirect.example.", ["redirect=_spf.esp-hosted.example"]))
    z.append(spf("_spf.esp-hosted.example.",
                 ["include:amazonses.com", "include:servers.mcsv.net", "-all"]))
    # Google Workspace only.
    z.append(spf("gsuite.example.", ["include:_spf.google.com", "~all"]))
    # Two ESPs, one of them two levels deep.
    z.append(spf("esp.example.", ["include:mailgun.org", "include:servers.mcsv.net", "~all"]))
    # The corporate record: a, mx (three hosts) and four ESP includes:
    # exactly 10 DNS-querying terms (RFC 7208 4.6.4), 14 queries for a walk of
    # everything, include depth 3.
    z.append(spf("corp.example.", [
        "a", "mx", "include:_spf.google.com", "include:spf.protection.outlook.com",
        "include:sendgrid.net", "include:amazonses.com", "-all"]))
    z.append("corp.example. %d IN A 192.0.2.80" % TTL)
    for i, pref in enumerate((10, 20, 30), 1):
        z.append("corp.example. %d IN MX %d mx%d.corp.example." % (TTL, pref, i))
        z.append("mx%d.corp.example. %d IN A 192.0.2.%d" % (i, TTL, 90 + i))
    c = [
        # name, ip, identity, expected, deep, include depth (round trips
        # needed when every lookup of one level goes out at once)
        ("shallow-pass", "192.0.2.10", "user@shallow.example", "pass", False, 1),
        ("shallow-fail", NOWHERE, "user@shallow.example", "fail", False, 1),
        ("redirect-pass", in_block(MCSV[1]), "user@redirect.example", "pass", False, 3),
        ("gsuite-pass", in_block(GOOGLE_NB3[-1]), "user@gsuite.example", "pass", False, 3),
        ("esp-softfail", NOWHERE, "user@esp.example", "softfail", False, 3),
        ("corp-pass", in_block(OUTLOOK_D[-1]), "user@corp.example", "pass", True, 3),
        ("corp-fail", NOWHERE, "user@corp.example", "fail", True, 3),
    ]
    return c, z


# Customer shapes for the batch: weights roughly like a mix of small
# businesses on the big suites, marketing senders and self-hosted domains.
SHAPES = [
    # weight, terms (CUST = the customer's own range), needs mx/a data
    (35, ["include:_spf.google.com", "~all"]),
    (25, ["include:spf.protection.outlook.com", "-all"]),
    (10, ["mx", "include:sendgrid.net", "include:servers.mcsv.net", "~all"]),
    (10, ["ip4:CUST", "include:mailgun.org", "-all"]),
    (10, ["ip4:CUST", "-all"]),
    (10, ["a", "mx", "include:_spf.google.com", "include:spf.protection.outlook.com",
          "include:sendgrid.net", "include:amazonses.com", "-all"]),
]

# Where a passing sender comes from, per include.
SOURCES = {
    "include:_spf.google.com": GOOGLE_NB + GOOGLE_NB3,
    "include:spf.protection.outlook.com": OUTLOOK + OUTLOOK_D,
    "include:sendgrid.net": SENDGRID,
    "include:servers.mcsv.net": MCSV,
    "include:mailgun.org": MAILGUN + MAILGUN_EU,
    "include:amazonses.com": SES,
}


def customers(n, rnd):
    z = ["; %d customer domains sharing the providers' includes" % n, "$TTL %d" % TTL]
    lines = []
    total = sum(w for w, _ in SHAPES)
    for i in range(n):
        d = "c%05d.example" % i
        own = "198.19.%d.%d" % (i // 256, i % 256)  # i < 64000: below 198.19.250
        mxip = "198.19.%d.%d" % (128 + i // 256, i % 256)
        pick = rnd.randrange(total)
        for w, terms in SHAPES:
            if pick < w:
                break
            pick -= w
        z.append(spf(d + ".", [t.replace("CUST", own + "/32") for t in terms]))
        if "mx" in terms:
            z.append("%s. %d IN MX 10 mx.%s." % (d, TTL, d))
            z.append("mx.%s. %d IN A %s" % (d, TTL, mxip))
        if "a" in terms:
            z.append("%s. %d IN A %s" % (d, TTL, own))
        # Sender: 70% from a source the record allows, 30% from nowhere.
        if rnd.random() < 0.3:
            ip = "198.19.%d.%d" % (250 + rnd.randrange(4), 1 + rnd.randrange(250))
        else:
            srcs = [t for t in terms if t in SOURCES]
            if "ip4:CUST" in terms:
                srcs.append("own")
            if "mx" in terms:
                srcs.append("mx")
            s = rnd.choice(srcs)
            if s == "own":
                ip = own
            elif s == "mx":
                ip = mxip
            else:
                ip = in_block(rnd.choice(list(SOURCES[s])), 1 + rnd.randrange(250))
        lines.append("%s bounce-%d@%s mail.%s" % (ip, i, d, d))
    return z, lines


def main():
    if len(sys.argv) not in (2, 3):
        sys.stderr.write("usage: genzone.py OUTDIR [N_CUSTOMERS]\n")
        return 64
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) == 3 else 10000
    if not 1 <= n <= 64000:
        sys.stderr.write("genzone.py: N_CUSTOMERS must be 1..64000\n")
        return 64
    os.makedirs(out, exist_ok=True)
    rnd = random.Random(7208)
    c, cz = cases()
    cust, batch = customers(n, rnd)
    for name, lines in (("providers.zone", providers()), ("cases.zone", cz),
                        ("customers.zone", cust)):
        with open(os.path.join(out, name), "w") as f:
            f.write("\n".join(lines) + "\n")
    with open(os.path.join(out, "cases.tsv"), "w") as f:
        for row in c:
            f.write("\t".join([row[0], row[1], row[2], row[3],
                                "deep" if row[4] else "-", str(row[5])]) + "\n")
    with open(os.path.join(out, "batch.txt"), "w") as f:
        f.write("\n".join(batch) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
