#!/usr/bin/env python3
"""Writes the seed corpora fuzz/corpus/<target>/ from the vendored splunkd
recordings (tests/data/recordings/scpv2/Splunk-6.3) plus a few hand-written
cases (IDN, brackets, debug names, zone files). Small on purpose: each seed
is cut to a few records; libFuzzer grows the rest.

    python3 fuzz/make_seeds.py
"""
import gzip
import hashlib
import json
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REC = os.path.join(ROOT, "tests/data/recordings/scpv2/Splunk-6.3")
OUT = os.path.join(ROOT, "fuzz/corpus")


def chunks(data):
    pos = 0
    while pos < len(data):
        nl = data.index(b"\n", pos)
        m = re.fullmatch(rb"chunked 1\.0,(\d+),(\d+)\r?", data[pos:nl])
        if not m:
            return
        ml, bl = int(m[1]), int(m[2])
        meta = data[nl + 1:nl + 1 + ml]
        body = data[nl + 1 + ml:nl + 1 + ml + bl]
        if len(meta) < ml or len(body) < bl:
            return  # truncated recording: stop at the last whole chunk
        yield meta, body
        pos = nl + 1 + ml + bl


def chunk(meta, body):
    return b"chunked 1.0,%d,%d\n" % (len(meta), len(body)) + meta + body


def head_lines(body, n):
    lines = body.split(b"\n")
    return b"\n".join(lines[:n]) + (b"\n" if len(lines) > n else b"")


def save(target, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def getinfo(meta, args):
    v = json.loads(meta)
    v.setdefault("searchinfo", {})
    v["searchinfo"]["args"] = args
    v["searchinfo"]["raw_args"] = args
    v["searchinfo"].pop("session_key", None)
    return json.dumps(v).encode()


def main():
    bodies = []
    for name in sorted(os.listdir(REC)):
        path = os.path.join(REC, name)
        if name.endswith(".gz"):
            data = gzip.open(path).read()
        elif name.endswith(".output"):
            data = open(path, "rb").read()
        else:
            continue
        cs = list(chunks(data))
        if not cs:
            continue
        short = [(m, head_lines(b, 6)) for m, b in cs[:3]]
        stream = b"".join(chunk(m, b) for m, b in short)
        save("frame", stream)
        bodies += [b for _, b in short if b]
        if name.endswith(".gz"):
            args = [["field=text"], ["field=query,answer", "mode=text"], ["tier=core"]]
            for i, a in enumerate(args):
                gi = getinfo(cs[0][0], a)
                ex = [(m, head_lines(b, 4)) for m, b in cs[1:3]]
                save("session", chunk(gi, b"") + b"".join(chunk(m, b) for m, b in ex))
    for b in bodies:
        save("csv", b"\x04" + b)
    # DNS-shaped bodies, with multivalue columns and quoting.
    dns = (b"_time,query,__mv_query,answer,__mv_answer,url\n"
           b'1,foo.duckdns.org,"$a.ddns.net$;$b$$c.no-ip.com$",1.2.3.4,,'
           b'"http://u@x.duckdns.org:80/?a,b"\r\n'
           b'2,"x\ny",,"",$$,(3)foo(7)duckdns(3)org(0)\n')
    for ctl in (0, 1, 5, 6, 7):
        save("csv", bytes([ctl]) + dns)
    session = chunk(json.dumps({"action": "getinfo", "searchinfo": {"args": ["field=query,answer,url"]}}).encode(), b"")
    session += chunk(b'{"action":"execute","finished":false}', dns)
    session += chunk(b'{"action":"execute","finished":true}', dns.split(b"\n")[0] + b"\n")
    save("session", session)
    for h in [b"foo.duckdns.org", b"HTTPS://user:pw@Foo.DuckDNS.org.:8443/p?q#f",
              b"http://[2001:db8::1]:80/", b"http://foo%2Educkdns.org\\x",
              "bücher.duckdns.org".encode(), b"xn--bcher-kva.ddns.net",
              b"(3)foo(7)duckdns(3)org(0)", b"10.1.2.3", b"//a@b@c.no-ip.com/",
              b"see http://evil.duckdns.org/x and foo.ddns.net, bar.co.uk"]:
        save("host", h)
    for z in [b"zone,provider,tier\nexample.duckdns.org,Mine,core\nfoo.bar,,extended\n",
              b"host,comment\nok.duckdns.org,ours\n*.ddns.net,\n# c\n",
              b"zone\n\"a,b\",x\nbad\n.x.y.\n", b"\xef\xbb\xbfzone,tier\nx.y,nope\n"]:
        save("zonefile", z)
    # Line formats: the first byte picks the read sizes.
    for j in [b'{"query":"a.duckdns.org","dns":{"answers":[{"rdata":"b.ddns.net"},{"rdata":1}]}}\r\n'
              b'\n{"id.orig_h":"c.no-ip.com","isDynDNS":false,"provider":["x"]}\nnot json\n{"q":"\\u002e"}',
              b'\xef\xbb\xbf{"query":["x.example","y.duckdns.org"],"n":-1.5e3,"t":true,"z":null}\n']:
        for ctl in (0, 0x35):
            save("jsonl", bytes([ctl]) + j)
    for z in [b"#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n"
              b"#fields\tts\tquery\tanswers\n#types\ttime\tstring\tvector[string]\n"
              b"1\ta.duckdns.org\t-\n2\t(empty)\tx.example,b.ddns.net\nbad\n#close\tx\n",
              b"\xef\xbb\xbf#fields\tquery\tanswers\tisDynDNS\r\nq.ddns.net\ta,b\tF\r\n"
              b"#separator ;\n#fields;query;answers\nx;y\n"]:
        for ctl in (0, 0x35):
            save("zeek", bytes([ctl]) + z)


if __name__ == "__main__":
    main()
