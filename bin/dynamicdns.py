"""dynamicdns launcher: runs the dynamicdns binary built for this OS and CPU.

splunkd runs this file with its own Python 3 (commands.conf and
transforms.conf name a .py file, so the same stanzas work on every OS):

    dynamicdns.py scp            | dynamicdns       (commands.conf)
    dynamicdns.py info           | dynamicdnsinfo   (commands.conf)
    dynamicdns.py lookup query   the external lookup (transforms.conf)

on search heads and, from the knowledge bundle, on indexers. It picks
bin/<os>_<cpu>/dynamicdns[.exe] beside it (linux_x86_64, linux_aarch64,
windows_x86_64) and hands the process over with the arguments unchanged:

- Linux and other POSIX systems: os.execv replaces this process with the
  binary, which inherits stdin, stdout and stderr; nothing stays in between.
- Windows, where os.exec* starts a new process and returns at once
  (https://bugs.python.org/issue19066): the binary runs as a child that
  inherits the same standard handles (raw bytes: no text-mode translation
  happens outside Python's own text layer, which is not used), and this
  process exits with the child's exit code.

Where no binary fits (another OS or CPU) it says so on stderr (search.log)
and exits 1; in SCP mode it first reads the getinfo request and answers it
with a protocol error reply naming the platform, so the search (and the job
inspector) shows the reason instead of a dead pipe.

Only os and sys are imported on the way to the binary: every import is
start-up time paid by each search process.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
# Folder names of the shipped binaries, as bin/<os>_<cpu>/.
SHIPPED = "linux_x86_64, linux_aarch64 and windows_x86_64"
CPUS = {"x86_64": "x86_64", "amd64": "x86_64", "x64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}


def platform_name():
    """The bin/ subfolder for this OS and CPU, e.g. linux_x86_64."""
    if sys.platform == "win32":
        # What the platform module reads too, without its slow WMI query
        # (Python 3.12+): the CPU of the OS, also under 32-bit emulation.
        env = os.environ
        machine = env.get("PROCESSOR_ARCHITEW6432") or env.get("PROCESSOR_ARCHITECTURE", "")
        system = "windows"
    else:
        machine = os.uname().machine
        system = "linux" if sys.platform.startswith("linux") else sys.platform
    machine = machine.lower()
    return system + "_" + CPUS.get(machine, machine or "unknown")


def windows_arg(arg):
    """One argument quoted for a Windows command line, as the C runtime
    (and Rust's std) split it again: backslashes are literal except before
    a double quote."""
    if arg and not any(c in arg for c in ' \t\n\v"'):
        return arg
    out = '"'
    backslashes = 0
    for c in arg:
        if c == "\\":
            backslashes += 1
            continue
        if c == '"':
            out += "\\" * (2 * backslashes + 1) + '"'
        else:
            out += "\\" * backslashes + c
        backslashes = 0
    return out + "\\" * (2 * backslashes) + '"'


def run(exe, args):
    """Hands the process over to exe; returns only if it cannot be run."""
    if sys.platform == "win32":
        # The C runtime's spawn passes the standard handles on (the child
        # is a console program started with inherited handles) and waits.
        argv = [windows_arg(exe)] + [windows_arg(a) for a in args]
        sys.exit(os.spawnv(os.P_WAIT, exe, argv))
    if not os.access(exe, os.X_OK):
        # Some copies lose the execute bit (an archive unpacked by another
        # tool); splunkd's Python runs as the app's owner, who may restore it.
        try:
            os.chmod(exe, os.stat(exe).st_mode | 0o111)
        except OSError:
            pass
    os.execv(exe, [exe] + args)


def read_exact(stream, n):
    """Reads and discards n bytes (fewer at end of input)."""
    while n > 0:
        got = stream.read(min(n, 1 << 16))
        if not got:
            return
        n -= len(got)


def fail(message, scp_mode):
    """Reports message on stderr and, in SCP mode, as the reply to getinfo;
    exits 1."""
    sys.stderr.write(message + "\n")
    sys.stderr.flush()
    if scp_mode:
        import json

        stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
        # Read the getinfo request first (header line, then metadata and
        # body bytes), as splunkd expects its request read before a reply.
        header = stdin.readline().decode("ascii", "replace").strip()
        if header.startswith("chunked 1.0,"):
            sizes = header[len("chunked 1.0,") :].split(",")
            if len(sizes) == 2 and all(s.isdigit() for s in sizes):
                read_exact(stdin, int(sizes[0]) + int(sizes[1]))
        meta = json.dumps(
            {"inspector": {"messages": [["ERROR", message]]}, "finished": True, "error": message},
            separators=(",", ":"),
        ).encode("utf-8")
        stdout.write(b"chunked 1.0,%d,0\n%s" % (len(meta), meta))
        stdout.flush()
    sys.exit(1)


def main():
    args = sys.argv[1:]
    name = platform_name()
    exe = os.path.join(HERE, name, "dynamicdns.exe" if sys.platform == "win32" else "dynamicdns")
    reason = "is missing"
    if os.path.isfile(exe):
        try:
            run(exe, args)
        except OSError as e:
            reason = "cannot be run (%s)" % (e.strerror or e)
    fail(
        "dynamicdns: no binary for this platform (%s): %s %s; this app ships binaries for %s"
        % (name, exe, reason, SHIPPED),
        args[:1] == ["scp"],
    )


if __name__ == "__main__":
    main()
