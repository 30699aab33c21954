#!/bin/sh
# dynamicdns launcher: runs the dynamicdns binary built for this machine's
# CPU, bin/<machine>/dynamicdns, with the arguments it was given.
#
# splunkd runs it as
#   dynamicdns.sh scp            (commands.conf: filename + command.arg.1)
#   dynamicdns.sh lookup query   (transforms.conf external_cmd)
# on search heads and, from the knowledge bundle, on indexers. The binary
# finds the app's lookups/ folder from its own location.
#
# Where no binary fits (another CPU, another OS) it says so on stderr
# (search.log) and exits 1; in SCP mode it first answers the getinfo request
# with a protocol error, so the search shows the reason.

bin_dir=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd -P) || exit 1

machine=$(uname -m 2>/dev/null)
case $machine in
    x86_64 | amd64) arch=x86_64 ;;
    aarch64 | arm64) arch=aarch64 ;;
    *) arch=$machine ;;
esac

exe=$bin_dir/$arch/dynamicdns
if [ -f "$exe" ] && [ -x "$exe" ]; then
    exec "$exe" "$@"
fi

msg="dynamicdns: no binary for this platform ($(uname -s 2>/dev/null) ${machine:-unknown}): $exe is missing or not executable; this app ships Linux x86_64 and aarch64 binaries"
printf '%s\n' "$msg" >&2

if [ "${1-}" = scp ]; then
    # Read the getinfo request (header line, then metadata and body bytes)
    # before replying, as splunkd expects, then send one error chunk.
    if IFS= read -r header; then
        header=${header%"$(printf '\r')"}
        sizes=${header#chunked 1.0,}
        meta_len=${sizes%%,*}
        body_len=${sizes#*,}
        case $meta_len$body_len in
            '' | *[!0-9]*) ;;
            *) dd bs=1 count=$((meta_len + body_len)) of=/dev/null 2>/dev/null ;;
        esac
    fi
    # JSON string: drop quotes and backslashes (paths could hold them).
    # shellcheck disable=SC1003
    text=$(printf '%s' "$msg" | tr -d '"\\')
    meta="{\"inspector\":{\"messages\":[[\"ERROR\",\"$text\"]]},\"finished\":true,\"error\":\"$text\"}"
    len=$(printf '%s' "$meta" | LC_ALL=C wc -c | tr -d ' ')
    printf 'chunked 1.0,%s,0\n%s' "$len" "$meta"
fi
exit 1
