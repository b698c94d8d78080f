#!/usr/bin/python3
"""pyspf has no batch mode: check every line of FILE in one process.

    pyspf_batch.py FILE

FILE has the spfquery -file format, `IP IDENTITY [HELO]` per line (blank lines
and # comments skipped).  Prints `RESULT IP IDENTITY` per check, like
spfcheck --batch.  Each check is spf.check2(), as a mail filter would call it;
pyspf keeps no DNS cache between checks, so this is its fair best.
"""
import sys

import spf


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: pyspf_batch.py FILE\n")
        return 64
    out = sys.stdout
    with open(sys.argv[1]) as f:
        for line in f:
            w = line.split()
            if not w or w[0].startswith("#"):
                continue
            ip, ident = w[0], w[1] if len(w) > 1 else ""
            helo = w[2] if len(w) > 2 else ""
            res = spf.check2(i=ip, s=ident, h=helo)[0]
            out.write("%s %s %s\n" % (res, ip, ident))
    return 0


if __name__ == "__main__":
    sys.exit(main())
