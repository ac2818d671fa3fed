#!/usr/bin/env bash
# Debian's chromium and chromium-driver for the headless browser test; installs them when missing.
# Non-interactive (CI runs as root with no stdin); without root it only reports what is missing.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
((${#missing[@]} == 0)) && exit 0

if [[ "$(id -u)" != 0 ]]; then
    echo "install-chromium: missing ${missing[*]}; run as root (or apt-get install them)" >&2
    exit 1
fi
echo "install-chromium: installing ${missing[*]} with apt-get" >&2
if ! apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null >/dev/null; then
    apt-get update -q </dev/null >/dev/null
    apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null >/dev/null
fi
chromium --version >&2
