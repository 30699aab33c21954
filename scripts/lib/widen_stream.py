#!/usr/bin/env python3
"""Derives streams from a gen_stream.py stream, to weigh wide events and
getinfo's `required_fields` (README "Performance", scripts/bench.sh):

    widen_stream.py IN.scp --shape sysmon --wide OUT_WIDE.scp
    widen_stream.py IN.scp --shape none --selected OUT_SEL.scp \
        --required query,isDynDNS,provider,dyndns_zone
    widen_stream.py IN.scp --pad 40 --wide OUT_WIDE.scp --selected OUT_SEL.scp

Shapes of OUT_WIDE (what splunkd sends a command that gets every field):

- `sysmon`: each event as the Splunk Add-on for Sysmon presents a Sysmon
  event 22 (DNS query) from the XmlWinEventLog sourcetype (the field names
  of shared/data/real_logs/sysmon_eid22_*.json, the add-on's CIM aliases,
  Splunk's default fields): 46 fields, a single-line XML `_raw` of about
  1.2 KB, `QueryName` and `query` holding the input event's `query`,
  `answer` its answers (multivalue), `tag` multivalue; each field with its
  `__mv_` twin, quoted as splunkd quotes (everything not purely
  alphanumeric); about 1.8 KB per event on the wire.
- `pad` (the default): the input events padded with PAD extra fields
  (`pad01`..; 16-byte values, some quoted with a comma inside) plus their
  empty `__mv_` twins.
- `none`: the input events as they are.

OUT_SEL: what splunkd sends instead in selected-fields mode (protocol.md
5.3), for the shape's events: each field of --required (default --field; an
empty column where the events lack it), `_chunked_idx` (0, 1, ... per
request), then the `__mv_` twins of all of them, splunkd-quoted.

Deterministic: every generated value depends only on the input event and
its position.
"""

import argparse
import csv
import io
import json
import re

HEADER = re.compile(rb"chunked\s+1\.0\s*,\s*(\d+)\s*,\s*(\d+)\s*\n")
ALNUM = re.compile(r"[A-Za-z0-9]*\Z")


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


def splunk_cell(v):
    """A value as splunkd writes it: empty or purely alphanumeric bare,
    anything else quoted with doubled quotes."""
    if ALNUM.match(v):
        return v
    return '"' + v.replace('"', '""') + '"'


def write_splunk_csv(header, rows):
    lines = [",".join(splunk_cell(h) for h in header)]
    lines.extend(",".join(splunk_cell(v) for v in r) for r in rows)
    return ("\n".join(lines) + "\n").encode()


def mv_encode(values):
    return ";".join("$" + v.replace("$", "$$") + "$" for v in values)


def cell_values(plain, mv):
    """The values of one cell (the __mv_ cell wins when it is set)."""
    if mv:
        return [v.replace("$$", "$") for v in re.findall(r"\$((?:[^$]|\$\$)*)\$", mv)]
    return [plain] if plain else []


IMAGES = [
    r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
    r"C:\Program Files\Google\Chrome\Application\chrome.exe",
    r"C:\Windows\System32\svchost.exe",
    r"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe",
    r"C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.2009.7-0\MsMpEng.exe",
    r"C:\Users\pgustavo\AppData\Local\Microsoft\Teams\current\Teams.exe",
]
USERS = ["NT AUTHORITY\\SYSTEM", "THESHIRE\\pgustavo", "NT AUTHORITY\\NETWORK SERVICE", "THESHIRE\\nmartha"]
SYSMON_GUID = "{5770385f-c22a-43e0-bf4c-06f5698ffbd9}"

SYSMON_FIELDS = [
    "_time", "_raw", "host", "source", "sourcetype", "index", "splunk_server", "linecount",
    "eventtype", "tag", "date_hour", "date_mday", "date_minute", "date_month", "date_second",
    "date_wday", "date_year", "date_zone", "timestartpos", "timeendpos", "EventCode", "EventID",
    "Computer", "Keywords", "Level", "Opcode", "RecordID", "Task", "Version", "RuleName",
    "UtcTime", "ProcessGuid", "ProcessId", "QueryName", "QueryStatus", "QueryResults", "Image",
    "User", "dest", "query", "answer", "reply_code_id", "process_id", "process_name",
    "signature_id", "vendor_product",
]


def xml_escape(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&apos;")


def sysmon_event(n, ev):
    """One Sysmon event 22 built from input event `ev` (a dict of lists of
    values) and its position `n`: {field: [values]}."""
    t = float(ev["_time"][0]) if ev.get("_time") else 1700000000.0 + n
    whole, frac = int(t), int(round((t - int(t)) * 1000)) % 1000
    import time as _t
    st = _t.gmtime(whole)
    iso = "%04d-%02d-%02dT%02d:%02d:%02d.%03d0000Z" % (st[:6] + (frac,))
    utc = "%04d-%02d-%02d %02d:%02d:%02d.%03d" % (st[:6] + (frac,))
    q = (ev.get("query") or [""])[0]
    answers = ev.get("answer") or []
    results = "".join(("::ffff:%s;" % a) if a[:1].isdigit() else ("type:  5 %s;" % a) for a in answers) or "-"
    status = "0" if answers else "9003"
    computer = "WORKSTATION%d.theshire.local" % (n % 50 + 1)
    pguid = "{39e4a257-%04x-%04x-%04x-%012x}" % (n % 0x10000, (n * 7) % 0x10000, 0x700 + n % 16, n * 2654435761 % (1 << 48))
    pid = str(1000 + (n * 37) % 9000)
    image = IMAGES[n % len(IMAGES)]
    user = USERS[n % len(USERS)]
    sid = "S-1-5-18" if user.startswith("NT AUTHORITY") else "S-1-5-21-3940915590-64593676-1414006259-%d" % (1100 + n % 7)
    sys_pid, tid, rec = str(3000 + n % 97), str(4000 + (n * 13) % 1000), str(1000000 + n)
    data = [("RuleName", "-"), ("UtcTime", utc), ("ProcessGuid", pguid), ("ProcessId", pid),
            ("QueryName", q), ("QueryStatus", status), ("QueryResults", results), ("Image", image),
            ("User", user)]
    raw = ("<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>"
           "<Provider Name='Microsoft-Windows-Sysmon' Guid='%s'/><EventID>22</EventID>"
           "<Version>5</Version><Level>4</Level><Task>22</Task><Opcode>0</Opcode>"
           "<Keywords>0x8000000000000000</Keywords><TimeCreated SystemTime='%s'/>"
           "<EventRecordID>%s</EventRecordID><Correlation/><Execution ProcessID='%s' ThreadID='%s'/>"
           "<Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>%s</Computer>"
           "<Security UserID='S-1-5-18'/></System><EventData>%s</EventData></Event>"
           % (SYSMON_GUID, iso, rec, sys_pid, tid, computer,
              "".join("<Data Name='%s'>%s</Data>" % (k, xml_escape(v)) for k, v in data)))
    one = lambda v: [v] if v else []  # noqa: E731
    return {
        "date_hour": [str(st.tm_hour)], "date_mday": [str(st.tm_mday)], "date_minute": [str(st.tm_min)],
        "date_month": [_t.strftime("%B", st).lower()], "date_second": [str(st.tm_sec)],
        "date_wday": [_t.strftime("%A", st).lower()], "date_year": [str(st.tm_year)],
        "date_zone": ["0"], "timestartpos": ["355"], "timeendpos": ["383"],
        "_time": one("%.3f" % t), "_raw": [raw], "host": [computer.split(".")[0]],
        "source": ["XmlWinEventLog:Microsoft-Windows-Sysmon/Operational"],
        "sourcetype": ["XmlWinEventLog"], "index": ["sysmon"], "splunk_server": ["idx-%02d" % (n % 4 + 1)],
        "linecount": ["1"], "eventtype": ["ms-sysmon-dns"], "tag": ["dns", "network", "resolution"],
        "EventCode": ["22"], "EventID": ["22"], "EventChannel": ["Microsoft-Windows-Sysmon/Operational"],
        "Computer": [computer], "Guid": [SYSMON_GUID], "Keywords": ["0x8000000000000000"],
        "Level": ["4"], "Opcode": ["0"], "ProcessID": [sys_pid], "ThreadID": [tid], "RecordID": [rec],
        "SystemTime": [iso], "Task": ["22"], "Version": ["5"], "Name": ["Microsoft-Windows-Sysmon"],
        "UserID": ["S-1-5-18"], "RuleName": ["-"], "UtcTime": [utc], "ProcessGuid": [pguid],
        "ProcessId": [pid], "QueryName": one(q), "QueryStatus": [status], "QueryResults": [results],
        "Image": [image], "User": [user], "dest": [computer], "dvc": [computer], "query": one(q),
        "answer": list(answers), "reply_code_id": [status], "process_guid": [pguid],
        "process_id": [pid], "process_name": [image.rsplit("\\", 1)[-1]], "process_path": [image],
        "signature": ["DNSEvent (DNS query)"], "signature_id": ["22"], "user_id": [sid],
        "vendor_product": ["Microsoft Sysmon"],
    }


def plain_and_mv(values):
    if len(values) > 1:
        return "\n".join(values), mv_encode(values)
    return (values[0] if values else ""), ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("stream")
    ap.add_argument("--shape", choices=["pad", "sysmon", "none"], default="pad")
    ap.add_argument("--pad", type=int, default=40)
    ap.add_argument("--field", default="query")
    ap.add_argument("--required", help="comma-separated required_fields (default: --field)")
    ap.add_argument("--wide")
    ap.add_argument("--selected")
    a = ap.parse_args()
    required = (a.required or a.field).split(",")
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
        events = []  # per record: {field: [values]}
        for r in recs:
            vals = dict(zip(hdr, r))
            events.append({h: cell_values(vals[h], vals.get("__mv_" + h, "")) for h in plain})
        if a.shape == "pad":
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
            for e, r in zip(events, wrows):
                for i, pad in enumerate(pads):
                    e[pad] = [r[len(plain) + i]]
        elif a.shape == "sysmon":
            evs = []
            for e in events:
                evs.append(sysmon_event(n, e))
                n += 1
            events = evs
            cols = [plain_and_mv(e[f]) for e in events for f in SYSMON_FIELDS]
            k = len(SYSMON_FIELDS)
            wrows = [[c[0] for c in cols[i * k:(i + 1) * k]] + [c[1] for c in cols[i * k:(i + 1) * k]]
                     for i in range(len(events))]
            whdr = SYSMON_FIELDS + ["__mv_" + f for f in SYSMON_FIELDS]
            wide.append(frame(meta, write_splunk_csv(whdr, wrows)))
        else:
            wide.append(frame(meta, body))
        names = required + ["_chunked_idx"]
        shdr = names + ["__mv_" + f for f in names]
        srows = []
        for k, e in enumerate(events):
            cells = [plain_and_mv(e.get(f, [])) for f in required] + [(str(k), "")]
            srows.append([c[0] for c in cells] + [c[1] for c in cells])
        sel.append(frame(meta, write_splunk_csv(shdr, srows)))
    if a.wide:
        with open(a.wide, "wb") as f:
            f.write(b"".join(wide))
    if a.selected:
        with open(a.selected, "wb") as f:
            f.write(b"".join(sel))


if __name__ == "__main__":
    main()
