#!/usr/bin/env python3
"""Derives two streams from a gen_stream.py stream, to weigh getinfo's
`required_fields` (README "Performance"):

    widen_stream.py IN.scp --pad 40 --wide OUT_WIDE.scp --selected OUT_SEL.scp

- OUT_WIDE: every event padded with PAD extra fields (`pad01`..; 16-byte
  values, some quoted with a comma inside as splunkd writes them) plus their
  empty `__mv_` twins: what splunkd sends a command that does not set
  `required_fields` when the events are wide.
- OUT_SEL: what splunkd sends instead when the getinfo reply says
  `"required_fields":["query"]` (protocol.md 5.3): `query`, `_chunked_idx`
  (0, 1, ... per request) and their `__mv_` twins, in that order.

Deterministic: the pad values depend only on the record's position.
"""

import argparse
import csv
import io
import json
import re

HEADER = re.compile(rb"chunked\s+1\.0\s*,\s*(\d+)\s*,\s*(\d+)\s*\n")


def chunks(data):
    pos = 0
    while pos < len(data):
        m = HEADER.match(data, pos)
        ml, bl = int(m.group(1)), int(m.group(2))
        s = m.end()
        yield data[s:s + ml], data[s + ml:s + ml + bl]
        pos = s + ml + bl


def frame(meta, body):
    return b"chunked 1.0,%d,%d\n" % (len(meta), len(body)) + meta + body


def write_csv(header, rows):
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return out.getvalue().encode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("stream")
    ap.add_argument("--pad", type=int, default=40)
    ap.add_argument("--field", default="query")
    ap.add_argument("--wide", required=True)
    ap.add_argument("--selected", required=True)
    a = ap.parse_args()
    with open(a.stream, "rb") as f:
        data = f.read()
    wide, sel = [], []
    n = 0
    for meta, body in chunks(data):
        if json.loads(meta).get("action") != "execute" or not body:
            wide.append(frame(meta, body))
            sel.append(frame(meta, body))
            continue
        rows = list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))
        hdr, recs = rows[0], rows[1:]
        plain = [h for h in hdr if not h.startswith("__mv_")]
        pads = ["pad%02d" % i for i in range(1, a.pad + 1)]
        whdr = plain + pads + ["__mv_" + h for h in plain + pads]
        wrows = []
        for r in recs:
            vals = dict(zip(hdr, r))
            p = []
            for i in range(a.pad):
                n += 1
                p.append(("v%07x,%06d" if i % 4 == 0 else "v%07x.%06d") % (n, i))
            wrows.append([vals[h] for h in plain] + p + [vals["__mv_" + h] for h in plain] + [""] * a.pad)
        wide.append(frame(meta, write_csv(whdr, wrows)))
        qi, mqi = hdr.index(a.field), hdr.index("__mv_" + a.field)
        shdr = [a.field, "_chunked_idx", "__mv_" + a.field, "__mv__chunked_idx"]
        srows = [[r[qi], str(k), r[mqi], ""] for k, r in enumerate(recs)]
        sel.append(frame(meta, write_csv(shdr, srows)))
    with open(a.wide, "wb") as f:
        f.write(b"".join(wide))
    with open(a.selected, "wb") as f:
        f.write(b"".join(sel))


if __name__ == "__main__":
    main()
