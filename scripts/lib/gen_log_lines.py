#!/usr/bin/env python3
"""Writes a large JSON-lines or Zeek TSV log for timing `dynamicdns enrich
--format jsonl|zeek`, from one of the real logs in ../shared/data/real_logs:
its data lines repeated in order up to N lines, one in 100 with its query
name replaced by a host below a DDNS zone.

Usage: gen_log_lines.py jsonl|zeek N REAL_LOG > OUT
"""
import sys

fmt, n, src = sys.argv[1], int(sys.argv[2]), sys.argv[3]
lines = open(src, encoding="utf-8").read().splitlines()
out = sys.stdout
if fmt == "zeek":
    header = [l for l in lines if l.startswith("#") and not l.startswith("#close")]
    data = [l for l in lines if not l.startswith("#")]
    col = header[[i for i, h in enumerate(header) if h.startswith("#fields")][0]].split("\t")[1:].index("query")
    out.write("\n".join(header) + "\n")
    for i in range(n - len(header)):
        l = data[i % len(data)]
        if i % 100 == 0:
            c = l.split("\t")
            c[col] = f"h{i}.duckdns.org"
            l = "\t".join(c)
        out.write(l + "\n")
else:
    key = sys.argv[4] if len(sys.argv) > 4 else '"rrname":"'
    for i in range(n):
        l = lines[i % len(lines)]
        if i % 100 == 0 and key in l:
            a = l.index(key) + len(key)
            b = l.index('"', a)
            l = l[:a] + f"h{i}.duckdns.org" + l[b:]
        out.write(l + "\n")
