#!/usr/bin/env python3
"""Checks `dynamicdns zones export` with the platforms' real parsers and
engines (run by scripts/exports-check.sh, which installs them).

Usage: exports_check.py BIN WORKDIR [--only NAME,...]

Every check gets the exports from BIN and the expected verdicts from
`BIN check --no-local` on the policy table of tests/util/policy.rs (the one
table the Rust tests use too). A check whose tool is missing prints SKIP;
the last line is "N passed, N failed, N skipped".
"""

import base64
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN, WORK = sys.argv[1], sys.argv[2]
ONLY = set(sys.argv[4].split(",")) if len(sys.argv) > 4 and sys.argv[3] == "--only" else None
NODE_PREFIX = os.environ.get("EXPORTS_NODE_PREFIX", "")


class Skip(Exception):
    """A tool is missing."""


def export(*args):
    return subprocess.run([BIN, "zones", "export", *args], check=True, capture_output=True).stdout


def write(name, data):
    path = os.path.join(WORK, name)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    return path


def policy():
    """(input, is_url) from tests/util/policy.rs, in order."""
    text = open(os.path.join(REPO, "tests/util/policy.rs"), encoding="utf-8").read()
    table = text[text.index("pub const POLICY"):]
    table = table[: table.index("];")]
    cases = []
    for line in table.splitlines():
        m = re.search(r'\b(?:yes|no|svc)\("((?:[^"\\]|\\.)*)"', line)
        if m:
            cases.append((m.group(1).encode().decode("unicode_escape"), line.strip().startswith("url(")))
    assert len(cases) >= 25, cases
    return cases


def expected():
    """input -> (isDynDNS, zone, provider, category) as `dynamicdns check` says."""
    import csv
    import io

    inputs = [c for c, _ in policy()]
    out = subprocess.run([BIN, "check", "--no-local", *inputs], check=True, capture_output=True, text=True).stdout
    rows = list(csv.reader(io.StringIO(out)))[1:]
    return {r[0]: (r[1] == "True", r[3], r[2], r[4]) for r in rows}


EXPECT = None


def want(value):
    global EXPECT
    if EXPECT is None:
        EXPECT = expected()
    return EXPECT[value]


def need(tool):
    if shutil.which(tool) is None:
        raise Skip(f"{tool} not installed")


# ------------------------------------------------------------------ KQL

KQL_HARNESS = r"""
global.Bridge = require('@kusto/language-service-next/bridge.js');
require('@kusto/language-service-next/Kusto.Language.Bridge.js');
const fs = require('fs');
const K = Kusto.Language, S = K.Symbols;
const tables = [
  ['DeviceNetworkEvents', '(Timestamp:datetime, DeviceName:string, RemoteUrl:string, RemoteIP:string)'],
  ['DnsEvents', '(TimeGenerated:datetime, Computer:string, Name:string)'],
];
const members = tables.map(([n, s]) => new S.TableSymbol.$ctor7(n, s, null));
members.push(new S.FunctionSymbol.$ctor16('_GetWatchlist', '(watchlistAlias:string)',
  '{ datatable(SearchKey:string, zone:string, provider:string, category:string, tier:string, sources:string)[] }', null));
const globals = K.GlobalState.Default.WithDatabase(new S.DatabaseSymbol.$ctor3('db', null, members, false));
let errors = 0;
for (const file of process.argv.slice(2)) {
  const code = K.KustoCode.ParseAndAnalyze(fs.readFileSync(file, 'utf8'), globals);
  const d = code.GetDiagnostics();
  for (let i = 0; i < d.Count; i++) {
    const x = d.getItem(i);
    console.log(`${file}: ${x.Severity} ${x.Code}: ${x.Message}`);
    if (x.Severity === 'Error') errors++;
  }
}
process.exit(errors ? 1 : 0);
"""


def check_kql_parse():
    need("node")
    if not NODE_PREFIX or not os.path.isdir(os.path.join(NODE_PREFIX, "node_modules/@kusto")):
        raise Skip("@kusto/language-service-next not installed")
    files = [
        write("core.kql", export("--format", "kql")),
        write("watchlist.kql", export("--format", "kql", "--tier", "all", "--kql-source", "watchlist")),
        write("external.kql", export("--format", "kql", "--tier", "all", "--kql-source", "externaldata",
                                     "--kql-url", "https://example.invalid/dynamicdns-zones.csv")),
    ]
    harness = write("kql_check.js", KQL_HARNESS)
    env = dict(os.environ, NODE_PATH=os.path.join(NODE_PREFIX, "node_modules"))
    r = subprocess.run(["node", harness, *files], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    return "Kusto.Language: 3 queries, no error diagnostics"


def check_kql_execute():
    import duckdb_kql

    q = export("--format", "kql").decode()
    q = "\n".join(l for l in q.split("\n") if l.strip() not in ("| where Timestamp > ago(1d)", "| where IsDynDns"))
    q = re.sub(r"\| project Timestamp, .*", "| project RemoteUrl, DynDnsHost, IsDynDns, DynDnsZone, DynDnsProvider, DynDnsCategory", q)
    con = duckdb_kql.connect()
    con.execute("CREATE TABLE DeviceNetworkEvents (Timestamp TIMESTAMP, DeviceName VARCHAR, RemoteUrl VARCHAR)")
    cases = [c for c, _ in policy()]
    for c in cases:
        con.execute("INSERT INTO DeviceNetworkEvents VALUES (now(), 'pc', ?)", [c])
    rows = {r[0]: r for r in duckdb_kql.query(con, q).fetchall()}
    bad = []
    for c in cases:
        dyn, zone, provider, category = want(c)
        r = rows[c]
        got = (bool(r[2]), r[3] if r[2] else "", r[5] == "provider-service")
        exp = (dyn, zone if dyn else "", category == "provider-service")
        if got != exp:
            bad.append(f"{c!r}: got {got}, want {exp}")
    assert not bad, "\n".join(bad)
    return f"duckdb-kql executed the core query on {len(cases)} policy values"


# ------------------------------------------------------------- Suricata

def suricata_test(rules_dir, rules):
    log = tempfile.mkdtemp(dir=WORK)
    r = subprocess.run(["suricata", "-T", "-c", "/etc/suricata/suricata.yaml", "-S", rules, "-l", log],
                       capture_output=True, text=True, cwd=rules_dir)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]


def suricata_parts(name, *args):
    d = os.path.join(WORK, name)
    os.makedirs(d, exist_ok=True)
    parts = {"rules": "dynamicdns.rules", "zones": "dynamicdns-zones.lst", "service-hosts": "dynamicdns-service-hosts.lst"}
    for part, file in parts.items():
        try:
            data = export("--format", "suricata", *args, "--part", part)
        except subprocess.CalledProcessError:
            continue
        with open(os.path.join(d, file), "wb") as f:
            f.write(data)
    return d, os.path.join(d, "dynamicdns.rules")


def check_suricata_syntax():
    need("suricata")
    runs = [("content-core", ()), ("dataset-core", ("--suricata-mode", "dataset")), ("dataset-all", ("--tier", "all"))]
    for name, args in runs:
        d, rules = suricata_parts(name, *args)
        suricata_test(d, rules)
    return "suricata -T: content (core), dataset (core, all) load without error"


def pcap(packets):
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    for i, p in enumerate(packets):
        out.append(struct.pack("<IIII", 1700000000 + i // 1000, (i % 1000) * 1000, len(p), len(p)))
        out.append(p)
    return b"".join(out)


def ipv4(src, dst, proto, payload):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0, 64, proto, 0, bytes(src), bytes(dst))
    s = sum(struct.unpack("!10H", h))
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    h = h[:10] + struct.pack("!H", ~s & 0xFFFF) + h[12:]
    return b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00" + h + payload


def tcp_session(cli, srv, sport, dport, data, reply=b""):
    def seg(src, dst, sp, dp, seq, ack, flags, payload=b""):
        t = struct.pack("!HHIIBBHHH", sp, dp, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload
        return ipv4(src, dst, 6, t)
    c, s = 1000, 5000
    S, A, PA, FA, SA = 0x02, 0x10, 0x18, 0x11, 0x12
    p = [seg(cli, srv, sport, dport, c, 0, S), seg(srv, cli, dport, sport, s, c + 1, SA),
         seg(cli, srv, sport, dport, c + 1, s + 1, A), seg(cli, srv, sport, dport, c + 1, s + 1, PA, data),
         seg(srv, cli, dport, sport, s + 1, c + 1 + len(data), A)]
    if reply:
        p.append(seg(srv, cli, dport, sport, s + 1, c + 1 + len(data), PA, reply))
    p += [seg(cli, srv, sport, dport, c + 1 + len(data), s + 1 + len(reply), FA),
          seg(srv, cli, dport, sport, s + 1 + len(reply), c + 2 + len(data), FA),
          seg(cli, srv, sport, dport, c + 2 + len(data), s + 2 + len(reply), A)]
    return p


def client_hello(sni):
    name = sni.encode()
    entry = struct.pack("!BH", 0, len(name)) + name
    ext = struct.pack("!HH", 0, len(entry) + 2) + struct.pack("!H", len(entry)) + entry
    body = b"\x03\x03" + b"\x11" * 32 + b"\x00" + b"\x00\x02\x00\x2f" + b"\x01\x00" + struct.pack("!H", len(ext)) + ext
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


def dns_query(i, name):
    labels = name.rstrip(".").split(".") if name else []
    q = b"".join(bytes([len(l)]) + l.encode() for l in labels) + b"\x00"
    return struct.pack("!HHHHHH", i, 0x0100, 1, 0, 0, 0) + q + b"\x00\x01\x00\x01"


def replay_cases():
    """Policy hosts a packet can carry (no URLs, nothing empty)."""
    return [c for c, url in policy() if not url and c not in ("", "-")]


def suricata_replay(rules_dir, rules, cases):
    pkts = []
    for i, h in enumerate(cases):
        cli, dns_srv = [10, 1, i // 250, i % 250 + 2], [192, 0, 2, 53]
        if ".." not in h and not h.startswith("."):
            udp = struct.pack("!HHHH", 20000 + i, 53, 8 + len(dns_query(i, h)), 0) + dns_query(i, h)
            pkts.append(ipv4(cli, dns_srv, 17, udp))
        pkts += tcp_session(cli, [192, 0, 2, 43], 30000 + i, 443, client_hello(h))
        req = f"GET / HTTP/1.1\r\nHost: {h}\r\nUser-Agent: t\r\nAccept: */*\r\n\r\n".encode()
        pkts += tcp_session(cli, [192, 0, 2, 80], 40000 + i, 80, req, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    path = write("replay.pcap", pcap(pkts))
    log = tempfile.mkdtemp(dir=WORK)
    r = subprocess.run(["suricata", "-c", "/etc/suricata/suricata.yaml", "-r", path, "-S", rules, "-l", log,
                        "-k", "none", "--runmode", "single"], capture_output=True, text=True, cwd=rules_dir)
    assert r.returncode == 0, r.stderr[-3000:]
    alerts = {}
    for line in open(os.path.join(log, "eve.json")):
        e = json.loads(line)
        if e.get("event_type") != "alert":
            continue
        port = e["src_port"] if e["dest_port"] in (53, 443, 80) else e["dest_port"]
        alerts.setdefault(port, []).append(e["alert"])
    return alerts


def check_suricata_replay():
    need("suricata")
    cases = replay_cases()
    bad, n = [], 0
    for mode, args in (("content", ()), ("dataset", ("--tier", "all"))):
        d, rules = suricata_parts(f"replay-{mode}", *args)
        alerts = suricata_replay(d, rules, cases)
        for i, h in enumerate(cases):
            dyn, zone, _, _ = want(h)
            for b, base in enumerate((20000, 30000, 40000)):
                if b == 0 and (".." in h or h.startswith(".")):
                    continue
                # Content rules keep a trailing dot in SNI and Host (documented).
                if mode == "content" and b > 0 and h.endswith("."):
                    continue
                got = alerts.get(base + i, [])
                if mode == "content":
                    zones = [a["metadata"]["dyndns_zone"][0] for a in got]
                else:
                    labels = [int(a["metadata"]["dyndns_zone_labels"][0]) for a in got]
                    parts = h.lower().rstrip(".").split(".")
                    zones = [".".join(parts[-k:]) for k in labels]
                exp = [zone] if dyn else []
                n += 1
                if zones != exp:
                    bad.append(f"{mode} {['dns', 'tls', 'http'][b]} {h!r}: alerts {zones}, want {exp}")
    assert not bad, "\n".join(bad)
    return f"Suricata replay: {n} (mode, buffer, host) verdicts as check's"


# ----------------------------------------------------------------- Zeek

def check_zeek():
    need("zeek-script")
    import zeekscript
    from parsezeeklogs import ParseZeekLogs  # noqa: F401  (import checked below)

    core = write("dynamicdns.zeek", export("--format", "zeek"))
    script_file = write("dynamicdns-file.zeek", export("--format", "zeek", "--tier", "all", "--part", "script"))
    for f in (core, script_file):
        r = subprocess.run(["zeek-script", "parse", "--quiet", f], capture_output=True, text=True)
        assert r.returncode == 0, f"{f}: zeek-script parse exit {r.returncode}: {r.stdout[-2000:]}{r.stderr[-2000:]}"
    s = zeekscript.Script(core)
    assert s.parse() and not s.has_error(), "zeekscript: parse errors"
    src = open(core, "rb").read()
    # The table constructor's index strings, from the syntax tree: every
    # string literal directly inside `[ … ] =` in the zones initializer.
    zones = set()
    stack = [s.ts_tree.root_node]
    while stack:
        node = stack.pop()
        text = src[node.start_byte:node.end_byte]
        if node.type == "expr" and text.startswith(b'["') and b'"] = [' in text:
            zones.add(text[2:text.index(b'"]')].decode())
            continue
        stack.extend(node.children)
    want_zones = {l.split(",")[0] for l in export("--format", "csv", "--tier", "core", "--no-comments").decode().splitlines()[1:]}
    assert zones == want_zones, f"{len(zones)} table entries in the syntax tree, {len(want_zones)} core zones"
    tsv = write("dynamicdns-zones.tsv", export("--format", "zeek", "--tier", "all", "--part", "zones"))
    import parsezeeklogs
    rows = list(parsezeeklogs.ParseZeekLogs(tsv, output_format="json", safe_headers=False))
    n_all = len(export("--format", "csv", "--no-comments").decode().splitlines()) - 1
    assert len(rows) == n_all, f"parsezeeklogs read {len(rows)} rows, want {n_all}"
    return f"zeek-script parse: 2 scripts; {len(zones)} table entries in the tree; parsezeeklogs: {len(rows)} TSV rows"


# ---------------------------------------------------------------- Sigma

def check_sigma():
    from sigma.collection import SigmaCollection
    from sigma.validators.core import validators
    from sigma.validation import SigmaValidator
    from sigma.backends.splunk import SplunkBackend
    from sigma.backends.elasticsearch import LuceneBackend
    from sigma.backends.sqlite import sqliteBackend
    import sqlite3

    text = export("--format", "sigma").decode()
    c = SigmaCollection.from_yaml(text)
    rules = list(c.rules)
    assert len({str(r.id) for r in rules}) == len(rules), "ids not unique"
    # These load MITRE data from the network (sigma check -x … offline).
    offline = {k: v for k, v in validators.items() if k not in ("attacktag", "cartag", "d3_fendtag")}
    issues = SigmaValidator(offline.values()).validate_rules(rules)
    assert not issues, "\n".join(str(i) for i in issues[:20])
    SplunkBackend().convert(c)
    LuceneBackend().convert(c)
    sql = sqliteBackend().convert(c)
    db = sqlite3.connect(":memory:")
    db.execute('CREATE TABLE logs ("QueryName" TEXT COLLATE NOCASE, "cs-host" TEXT COLLATE NOCASE)')
    values = []
    for h, url in policy():
        if h.endswith(".") or "/" in h or "\\" in h or h.startswith("["):
            continue  # a trailing dot is a documented difference; URLs are no host values
        values.append(h)
    for v in values:
        db.execute("INSERT INTO logs VALUES (?, ?)", (v, v))
    matched = {}  # value -> [(category, provider)]
    for rule, q in zip(rules, sql):
        field = "QueryName" if rule.logsource.category == "dns_query" else "cs-host"
        q = q.replace("<TABLE_NAME>", "logs").replace("SELECT *", f'SELECT "{field}"', 1)
        for (v,) in db.execute(q):
            matched.setdefault(v, []).append((rule.logsource.category, rule.custom_attributes.get("dyndns_provider")))
    bad = []
    for v in values:
        dyn, zone, provider, _ = want(v)
        exp = []
        if dyn:
            exp = [("proxy", provider)] if ":" in v else [("dns_query", provider), ("proxy", provider)]
        if sorted(matched.get(v, [])) != sorted(exp):
            bad.append(f"{v!r}: rules {matched.get(v, [])}, want {exp}")
    assert not bad, "\n".join(bad)
    return f"pySigma: {len(rules)} rules parsed, validated, converted (Splunk, Lucene, SQLite); SQLite ran them on {len(values)} values"


# ----------------------------------------------------------------- MISP

def check_misp():
    from pymispwarninglists import WarningLists

    bad = []
    for tier in ("core", "all"):
        doc = json.loads(export("--format", "misp", "--tier", tier))
        wls = WarningLists(slow_search=True, lists=[doc])
        wls.validate_with_schema()
        if tier == "all":
            continue
        wl = wls[doc["name"]]
        for h, url in policy():
            if url or h != h.lower() or h.endswith(".") or h.startswith(".") or ".." in h:
                continue
            dyn, zone, _, category = want(h)
            exp = dyn or category == "provider-service"  # MISP cannot exclude service hosts
            if (h in wl) != exp:
                bad.append(f"{h!r}: {h in wl}, want {exp}")
    assert not bad, "\n".join(bad)
    return "PyMISPWarningLists: schema valid (core, all); strictly-below matching on the policy hosts"


# -------------------------------------------------------------- Elastic

JAVA = """
import java.util.*;
import java.nio.file.*;

/** The exported pipeline's Painless scripts, run as Java (they use only
 * the subset of Painless that is Java), with the enrich processor emulated:
 * an exact lookup of each candidate, hits returned in reverse order. */
public class Harness {
  static void candidates(Map ctx, Map params) {
%CANDIDATES%
  }
  static void verdict(Map ctx, Map params) {
%VERDICT%
  }
  public static void main(String[] a) throws Exception {
    Map<String, Map> zones = new HashMap<>();
    for (String l : Files.readAllLines(Paths.get(a[0]))) {
      String[] f = l.split("\\t", -1);
      Map doc = new HashMap();
      doc.put("zone", f[0]); doc.put("provider", f[1]); doc.put("category", f[2]); doc.put("tier", f[3]);
      zones.put(f[0], doc);
    }
    List service = new ArrayList(Files.readAllLines(Paths.get(a[1])));
    Map p1 = new HashMap();
    p1.put("fields", Arrays.asList("dns.question.name", "url.domain"));
    p1.put("max_labels", Integer.valueOf(a[2]));
    Map p2 = new HashMap();
    p2.put("service_hosts", service);
    for (String host : Files.readAllLines(Paths.get(a[3]))) {
      Map ctx = new HashMap();
      Map dns = new HashMap(); Map q = new HashMap();
      q.put("name", host); dns.put("question", q); ctx.put("dns", dns);
      candidates(ctx, p1);
      Map d = (Map) ctx.get("dynamicdns");
      if (d != null && d.get("_candidates") != null) {
        List hits = new ArrayList();
        for (Object c : (List) d.get("_candidates")) { if (zones.containsKey(c)) hits.add(0, zones.get(c)); }
        if (!hits.isEmpty()) d.put("_matches", hits);
      }
      verdict(ctx, p2);
      d = (Map) ctx.get("dynamicdns");
      System.out.println(host + "\\t" + (d == null ? "false" : d.get("is_dyndns")) + "\\t" +
          (d == null || d.get("zone") == null ? "" : d.get("zone")) + "\\t" + (d == null || d.get("category") == null ? "" : d.get("category")));
    }
  }
}
"""


def check_elastic():
    need("javac")
    p = json.loads(export("--format", "elastic", "--tier", "core", "--part", "pipeline"))
    for part in ("index", "policy"):
        json.loads(export("--format", "elastic", "--part", part))
    procs = p["processors"]
    assert [list(x)[0] for x in procs] == ["script", "enrich", "script"]
    cand, verd = procs[0]["script"], procs[2]["script"]
    bulk = export("--format", "elastic", "--tier", "core", "--part", "bulk").decode().splitlines()
    docs = [json.loads(l) for l in bulk[1::2]]
    d = tempfile.mkdtemp(dir=WORK)
    src = JAVA.replace("%CANDIDATES%", cand["source"]).replace("%VERDICT%", verd["source"])
    open(os.path.join(d, "Harness.java"), "w").write(src)
    r = subprocess.run(["javac", "-nowarn", "-Xlint:none", "Harness.java"], cwd=d, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    open(os.path.join(d, "zones.tsv"), "w").write("".join(f"{x['zone']}\t{x['provider']}\t{x['category']}\t{x['tier']}\n" for x in docs))
    open(os.path.join(d, "service.txt"), "w").write("".join(h + "\n" for h in verd["params"]["service_hosts"]))
    hosts = [h for h, url in policy() if not url and h]
    open(os.path.join(d, "hosts.txt"), "w").write("".join(h + "\n" for h in hosts))
    r = subprocess.run(["java", "-cp", d, "Harness", "zones.tsv", "service.txt", str(cand["params"]["max_labels"]), "hosts.txt"],
                       cwd=d, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    bad = []
    for line in r.stdout.splitlines():
        h, dyn, zone, category = line.split("\t")
        wdyn, wzone, _, wcat = want(h)
        got = (dyn == "true", zone if dyn == "true" else "", category == "provider-service")
        exp = (wdyn, wzone if wdyn else "", wcat == "provider-service")
        if got != exp:
            bad.append(f"{h!r}: got {got}, want {exp}")
    assert not bad, "\n".join(bad)
    return f"the pipeline's Painless scripts compiled and run on a JVM with an enrich emulation: {len(hosts)} hosts"


CHECKS = [
    ("kql-parse", check_kql_parse),
    ("kql-execute", check_kql_execute),
    ("suricata-syntax", check_suricata_syntax),
    ("suricata-replay", check_suricata_replay),
    ("zeek", check_zeek),
    ("sigma", check_sigma),
    ("misp", check_misp),
    ("elastic", check_elastic),
]


def main():
    passed = failed = skipped = 0
    for name, fn in CHECKS:
        if ONLY and name not in ONLY:
            continue
        t = time.time()
        try:
            detail = fn()
            passed += 1
            print(f"PASS {name} ({time.time() - t:.1f} s): {detail}", flush=True)
        except Skip as e:
            skipped += 1
            print(f"SKIP {name}: {e}", flush=True)
        except Exception as e:  # noqa: BLE001  (report every check)
            failed += 1
            print(f"FAIL {name} ({time.time() - t:.1f} s): {type(e).__name__}: {e}", flush=True)
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
