#!/usr/bin/env bash
# An nginx binary for the test that serves the dashboard's real nginx.conf. Uses the one on PATH,
# else unpacks Debian's nginx package into .local/nginx (apt-get download + dpkg-deb: no install,
# no service started). Prints the binary's path.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/.local/nginx"
BIN="$DEST/usr/sbin/nginx"

if command -v nginx >/dev/null; then
    command -v nginx
    exit 0
fi
if [[ ! -x "$BIN" ]]; then
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
    chmod 755 "$work"  # apt's download user must be able to write here
    echo "fetch-nginx: unpacking Debian's nginx into $DEST" >&2
    if ! (cd "$work" && apt-get download -q nginx </dev/null >/dev/null 2>&1); then
        [[ "$(id -u)" == 0 ]] && apt-get update -q </dev/null >/dev/null
        (cd "$work" && apt-get download -q nginx </dev/null >/dev/null 2>&1)
    fi
    rm -rf "$DEST"
    mkdir -p "$DEST"
    dpkg-deb -x "$work"/nginx_*.deb "$DEST"
fi
"$BIN" -v 2>/dev/null
echo "$BIN"
