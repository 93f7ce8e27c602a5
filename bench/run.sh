#!/usr/bin/env bash
# run.sh SUITE [--quick] [bench.py options...]  - run one benchmark suite, write bench/results/SUITE.md
#
#   SUITE    capture | udplite | udp | unix   (receivers: bench/SUITE/receivers.conf)
#            send: the senders of bench/send/senders.conf (driver bench/send/send.py; 5 rounds of
#            300,000 datagrams of 64 and 1,400 B by default)
#   --quick  smoke test: 1 run of 200,000 datagrams, written to bench/results/SUITE-quick.md
#            (git-ignored) so it never replaces the committed full report
#   default  5 interleaved runs of 1,000,000 x 64 B at the sender's full rate (results/SUITE.md),
#            then paced passes at 100k pps, 300k pps and max, the highest rate the sender sustains
#            (results/SUITE-paced-{100k,300k,max}.md) with the rawsock lines and the references
#   Anything else goes to bench.py and wins over these defaults, e.g.
#     bench/run.sh capture --rates full --only tcpdump,node-cap-64M
#     bench/run.sh capture --paced-runs 3 --paced-count 300000
#     bench/run.sh udplite --rates 100000 --label udplite-100k
#
# Runs harness/setup.sh first when something it provides is missing. Needs root, or
# unprivileged user namespaces (then it uses `unshare -rn`), and 2 CPUs.
set -euo pipefail
BENCH="$(cd "$(dirname "$0")" && pwd)"
NPM_DIR="${BENCH_NPM_DIR:-/tmp/rawsock-bench-npm}"

usage() { sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
suite="${1:-}"
[ $# -gt 0 ] && shift
# baseline: the receiver each suite's ratio columns divide by (the Node option a user has today);
# refs: the lines the report's first table holds every rawsock line against (issue 14); maxref: the
# C line whose full-rate sender pps sets the max paced rate
case "$suite" in
  capture) baseline=node-cap-64M refs=tcpdump,c-afpacket-ring maxref=c-afpacket-ring ;;
  udplite) baseline=node-dgram refs=c-udplite-mmsg,node-dgram maxref=c-udplite-mmsg ;;
  udp)     baseline=node-dgram refs= maxref= ;;
  unix)    baseline=node-unix-dgram refs=c-unix-mmsg,node-unix-dgram maxref=c-unix-mmsg ;;
  send)    baseline= refs= maxref= ;;
  *) usage ;;
esac

defaults=(--runs 5 --count 1000000)
if [ -n "$refs" ]; then
  defaults+=(--refs "$refs" --max-ref "$maxref" --rates full,100000,300000,max
    --paced-only "rawsock*,sender-alone*,$refs")
fi
label="$suite"
args=()
for a in "$@"; do
  if [ "$a" = --quick ]; then
    defaults=(--runs 1 --count 200000 ${refs:+--refs "$refs"} --rates full)
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
