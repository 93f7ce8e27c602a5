#!/usr/bin/env bash
# run.sh SUITE [--quick] [bench.py options...]  - run one benchmark suite, write bench/results/SUITE.md
#
#   SUITE    capture | udplite | udp | unix   (receivers: bench/SUITE/receivers.conf)
#            send: the senders of bench/send/senders.conf (driver bench/send/send.py; 5 rounds of
#            300,000 datagrams of 64 and 1,400 B by default)
#   --quick  smoke test: 1 run of 200,000 datagrams, written to bench/results/SUITE-quick.md
#            (git-ignored) so it never replaces the committed full report
#   default  3 interleaved runs of 1,000,000 x 64 B at full speed, medians
#   Anything else goes to bench.py and wins over these defaults, e.g.
#     bench/run.sh capture --runs 5 --only tcpdump,node-cap-64M
#     bench/run.sh udplite --rate 100000 --label udplite-paced-100k
#
# Runs harness/setup.sh first when something it provides is missing. Needs root, or
# unprivileged user namespaces (then it uses `unshare -rn`), and 2 CPUs.
set -euo pipefail
BENCH="$(cd "$(dirname "$0")" && pwd)"
NPM_DIR="${BENCH_NPM_DIR:-/tmp/rawsock-bench-npm}"

usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
suite="${1:-}"
[ $# -gt 0 ] && shift
# the receiver each suite's ratio columns divide by: the Node option a user has today
case "$suite" in
  capture) baseline=node-cap-64M ;;
  udplite) baseline=node-dgram ;;
  udp)     baseline=node-dgram ;;
  unix)    baseline=node-unix-dgram ;;
  send)    baseline= ;;
  *) usage ;;
esac

defaults=(--runs 3 --count 1000000)
label="$suite"
args=()
for a in "$@"; do
  if [ "$a" = --quick ]; then
    defaults=(--runs 1 --count 200000)
    label="$suite-quick"
  else
    args+=("$a")
  fi
done

setup_done() {
  command -v tcpdump >/dev/null && [ -e /usr/include/pcap/pcap.h ] && command -v ip >/dev/null &&
    node -e "require('$NPM_DIR/node_modules/cap'); require('$NPM_DIR/node_modules/unix-dgram')" 2>/dev/null
}
setup_done || "$BENCH/harness/setup.sh"

if [ "$suite" = send ]; then
  # its own driver (senders, not receivers); --quick: 1 round of 50,000 to send-quick.md
  quick=()
  for a in "$@"; do [ "$a" = --quick ] && quick=(--runs 1 --count 50000 --label send-quick); done
  exec python3 "$BENCH/send/send.py" --conf "$BENCH/send/senders.conf" ${quick[@]+"${quick[@]}"} ${args[@]+"${args[@]}"}
fi

# argparse keeps the last value of an option, so the caller's options override these defaults
exec python3 "$BENCH/harness/bench.py" --conf "$BENCH/$suite/receivers.conf" --baseline "$baseline" \
  --label "$label" "${defaults[@]}" ${args[@]+"${args[@]}"}
