#!/usr/bin/env bash
# setup.sh - install what the benchmark needs (idempotent), then build the C programs.
#   Debian: tcpdump, libpcap-dev (the `cap` npm package links libpcap), iproute2 (ip), util-linux (unshare)
#   npm, in a scratch dir (default /tmp/rawsock-bench-npm, override with BENCH_NPM_DIR):
#     cap, unix-dgram  - the peer receivers. They are native addons built with node-gyp. They are
#     deliberately NOT dependencies of rawsock: a user of the library never needs them.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
NPM_DIR="${BENCH_NPM_DIR:-/tmp/rawsock-bench-npm}"

need=()
command -v tcpdump >/dev/null || need+=(tcpdump)
[ -e /usr/include/pcap/pcap.h ] || need+=(libpcap-dev)
command -v ip >/dev/null || need+=(iproute2)
command -v unshare >/dev/null || need+=(util-linux)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup.sh: missing Debian packages: ${need[*]} (run as root, or: sudo apt-get install ${need[*]})" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}"
fi

mkdir -p "$NPM_DIR"
cd "$NPM_DIR"
[ -f package.json ] || npm init -y >/dev/null
if ! node -e "require('$NPM_DIR/node_modules/cap'); require('$NPM_DIR/node_modules/unix-dgram')" 2>/dev/null; then
  npm install --no-audit --no-fund cap unix-dgram >"$NPM_DIR/install.log" 2>&1 || { cat "$NPM_DIR/install.log"; exit 1; }
  # npm >= 11 may skip install scripts (allowScripts); build the addons explicitly.
  npm rebuild cap unix-dgram --foreground-scripts >"$NPM_DIR/rebuild.log" 2>&1 || { cat "$NPM_DIR/rebuild.log"; exit 1; }
  node -e "require('$NPM_DIR/node_modules/cap'); require('$NPM_DIR/node_modules/unix-dgram')"
fi
echo "npm packages in $NPM_DIR: $(node -p "['cap','unix-dgram'].map(n=>n+'@'+require('./node_modules/'+n+'/package.json').version).join(' ')")"

"$HERE/build.sh"
