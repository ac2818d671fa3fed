#!/usr/bin/env bash
# Debian's chromium and chromium-driver for the headless browser test; installs them when missing.
# Non-interactive (CI runs as root with no stdin); otherwise through `sudo -n` when allowed.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
((${#missing[@]} == 0)) && exit 0

as_root=()
if [[ "$(id -u)" != 0 ]]; then
    if ! sudo -n true 2>/dev/null; then
        echo "install-chromium: missing ${missing[*]}; run as root (or apt-get install them)" >&2
        exit 1
    fi
    as_root=(sudo -n env DEBIAN_FRONTEND=noninteractive)
fi
echo "install-chromium: installing ${missing[*]} with apt-get" >&2
apt() { "${as_root[@]}" apt-get "$@" </dev/null >/dev/null; }
if ! apt install -y -q --no-install-recommends "${missing[@]}"; then
    apt update -q
    apt install -y -q --no-install-recommends "${missing[@]}"
fi
chromium --version >&2
