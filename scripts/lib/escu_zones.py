#!/usr/bin/env python3
"""Writes the zone list as the benchmark kit reads it (ESCU style: one
`*.<zone>*, True` row per zone) from a CSV with a `zone` column, or bare
zones in the first column.  Used by scripts/bench.sh and
scripts/perf-guard.sh, so both generate streams from the same list.

    escu_zones.py SRC.csv OUT.csv
"""
import csv, sys
src, out = sys.argv[1], sys.argv[2]
with open(src, newline="", encoding="utf-8") as f:
    rows = [r for r in csv.reader(f) if r and r[0].strip() and not r[0].lstrip().startswith("#")]
col = 0
if rows and "zone" in [c.strip().lower() for c in rows[0]]:
    col = [c.strip().lower() for c in rows[0]].index("zone")
    rows = rows[1:]
seen, zones = set(), []
for r in rows:
    z = r[col].strip().strip(".").lower() if col < len(r) else ""
    if z.startswith("*.") and z.endswith("*"):  # already ESCU style
        z = z[2:-1]
    if z and z not in seen:
        seen.add(z)
        zones.append(z)
if not zones:
    sys.exit("no zones in %s" % src)
with open(out, "w", encoding="utf-8") as f:
    for z in zones:
        f.write("*.%s*, True\n" % z)
print("%d zones" % len(zones), file=sys.stderr)
