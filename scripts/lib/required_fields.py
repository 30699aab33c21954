#!/usr/bin/env python3
"""Prints the `required_fields` a command declares for a stream, comma-
separated, as splunkd would read them: the stream's getinfo request is sent
to the command and the list is taken from its real reply.

    required_fields.py STREAM.scp COMMAND [ARG...]

Exits 1 when the reply declares none, or `*` (every field).
"""

import json
import re
import subprocess
import sys

HEADER = re.compile(rb"chunked 1\.0,(\d+),(\d+)\n")


def main():
    with open(sys.argv[1], "rb") as f:
        data = f.read(1 << 16)
    m = HEADER.match(data)
    getinfo = data[:m.end() + int(m[1]) + int(m[2])]
    out = subprocess.run(sys.argv[2:], input=getinfo, capture_output=True).stdout
    r = HEADER.match(out)
    reply = json.loads(out[r.end():r.end() + int(r[1])]) if r else {}
    fields = reply.get("required_fields")
    if not fields or "*" in fields:
        sys.exit("required_fields.py: the getinfo reply declares no selected fields: %r" % reply)
    print(",".join(fields))


if __name__ == "__main__":
    main()
