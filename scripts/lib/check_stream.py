#!/usr/bin/env python3
"""Agreement check for scripts/bench.sh: are the peers' answers the same, and
did dynamicdns pass every input field through unchanged?

    check_stream.py --stream dns_N.scp --zones zones.csv \
        --reply dynamicdns=out1.scp [--reply splunklib=out2.scp ...]

Each reply file is a command's whole stdout for the stream.  For every
execute reply the script parses the CSV body and computes, per record,
(query, isDynDNS, zone), where zone is `dyndns_zone` when the reply has it
(dynamicdns names the provider in `provider`) and `provider` otherwise (the
splunklib peer puts the zone there).  An independent oracle computes the
same triple from the input with the peer's rule (strip, drop trailing dots,
lower-case, longest zone strictly above the name).  Every reply must give
the oracle's triples in the input's order, and a reply that adds isDynDNS
must carry each input record's fields unchanged (same names, same values)
before the fields it adds, except the columns named by --replaced (the
fields the command writes, which a selected-fields stream already carries,
empty, because the getinfo reply declares them; the command fills them in
place).  Prints a Markdown table; exits 1 on any disagreement, naming the
first differing record.
"""

import argparse
import csv
import hashlib
import io
import json
import re
import sys

HEADER = re.compile(rb"chunked\s+1\.0\s*,\s*(\d+)\s*,\s*(\d+)\s*\n")


def chunks(data):
    pos = 0
    while pos < len(data):
        m = HEADER.match(data, pos)
        if not m:
            raise SystemExit("bad transport header at byte %d" % pos)
        ml, bl = int(m.group(1)), int(m.group(2))
        s = m.end()
        meta = json.loads(data[s:s + ml]) if ml else {}
        yield meta, data[s + ml:s + ml + bl]
        pos = s + ml + bl


def rows(body):
    if not body:
        return None, []
    r = list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))
    return r[0], r[1:]


def load_zones(path):
    zones = set()
    with open(path, newline="") as f:
        for row in csv.reader(f):
            if row and row[0].startswith("*.") and row[0].rstrip().endswith("*"):
                zones.add(row[0].strip()[2:-1].lower())
    return zones


def oracle(value, zones):
    name = value.strip().rstrip(".").lower()
    pos = name.find(".")
    while pos != -1:
        if name[pos + 1:] in zones:
            return name[pos + 1:]
        pos = name.find(".", pos + 1)
    return ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stream", required=True)
    ap.add_argument("--zones", required=True)
    ap.add_argument("--field", default="query")
    ap.add_argument("--reply", action="append", required=True, help="label=file")
    ap.add_argument("--replaced", default="", help="comma-separated input columns the command fills in")
    a = ap.parse_args()
    replaced = set(filter(None, a.replaced.split(",")))
    zones = load_zones(a.zones)

    with open(a.stream, "rb") as f:
        requests = [(m, b) for m, b in chunks(f.read()) if m.get("action") == "execute"]
    inputs = []  # per execute request: (header, rows)
    want = []
    for _, body in requests:
        hdr, rs = rows(body)
        inputs.append((hdr, rs))
        if hdr is None:
            continue
        qi = hdr.index(a.field)
        for r in rs:
            z = oracle(r[qi], zones)
            want.append((r[qi], z != "", z))

    def digest(triples):
        h = hashlib.sha256()
        for q, m, z in triples:
            h.update(("%s\t%s\t%s\n" % (q, m, z)).encode())
        return h.hexdigest()[:16]

    table = [("oracle (Python suffix walk)", len(want), sum(m for _, m, _ in want), digest(want), "-")]
    failed = []
    for spec in a.reply:
        label, path = spec.split("=", 1)
        with open(path, "rb") as f:
            replies = list(chunks(f.read()))
        problem = None
        got = []
        # The first reply answers getinfo.
        if len(replies) != len(requests) + 1:
            problem = "%d replies to %d requests" % (len(replies), len(requests) + 1)
        for n, ((meta, body), (ihdr, irows)) in enumerate(zip(replies[1:], inputs)):
            if problem:
                break
            if meta.get("error"):
                problem = "reply %d: error %s" % (n + 1, meta["error"])
                break
            hdr, rs = rows(body)
            if not irows:
                continue
            if hdr is None or len(rs) != len(irows):
                problem = "reply %d: %s records for %d" % (n + 1, 0 if hdr is None else len(rs), len(irows))
                break
            if "isDynDNS" not in hdr:
                problem = "reply %d has no isDynDNS column" % (n + 1)
                break
            qi, di, pi = hdr.index(a.field), hdr.index("isDynDNS"), hdr.index("provider")
            zi = hdr.index("dyndns_zone") if "dyndns_zone" in hdr else None
            fidelity = label.startswith("dynamicdns")
            if fidelity and hdr[:len(ihdr)] != ihdr:
                problem = "reply %d: input columns changed: %s" % (n + 1, hdr[:len(ihdr)])
                break
            keep = [c for c, h in enumerate(ihdr) if h not in replaced]
            for k, (r, ir) in enumerate(zip(rs, irows)):
                if fidelity and [r[c] for c in keep] != [ir[c] for c in keep]:
                    problem = "reply %d record %d: input fields changed:\n  in  %r\n  out %r" % (
                        n + 1, k + 1, ir, r[:len(ir)])
                    break
                # dynamicdns names the zone in dyndns_zone; the splunklib
                # peer puts it in provider (and leaves a dyndns_zone column
                # of a selected-fields stream empty).
                zone = r[zi] if zi is not None and r[zi] else r[pi]
                got.append((r[qi], r[di] == "True", zone if r[di] == "True" else ""))
        if not problem and got != want:
            if len(got) != len(want):
                problem = "%d records for %d" % (len(got), len(want))
            else:
                k = next(i for i, (g, w) in enumerate(zip(got, want)) if g != w)
                problem = "record %d: got %r, oracle says %r" % (k + 1, got[k], want[k])
        table.append((label, len(got), sum(m for _, m, _ in got), digest(got), "yes" if not problem else "NO"))
        if problem:
            failed.append("%s: %s" % (label, problem))

    print("| answers of | records | matched | digest (query, isDynDNS, zone) | agrees |")
    print("|---|---:|---:|---|---|")
    for t in table:
        print("| %s | %s | %s | %s | %s |" % (t[0], format(t[1], ","), format(t[2], ","), t[3], t[4]))
    for f in failed:
        print("check_stream.py: DISAGREEMENT: " + f, file=sys.stderr)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
