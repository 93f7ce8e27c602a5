#!/usr/bin/env bash
# Runs scripts/valgrind-workload.mjs (UDP receive/send, packet ring and recvmmsg readers, filters,
# socket options, closes in callbacks, GC and exit with sockets open) under valgrind memcheck,
# inside a user + network namespace. Fails on any invalid access or definite leak.
#
#   scripts/valgrind-workload.sh            # with build/Release (or RAWSOCK_ADDON=path)
#   WORKLOAD_ROUNDS=5 scripts/valgrind-workload.sh
#
# Suppressions (scripts/valgrind.supp) cover Node/V8 internals only; each is justified there.
# `--jitless` keeps V8 from generating code valgrind would have to re-translate (much faster,
# same native paths). Leaks are checked as "definite" only: Node does not free everything at
# exit by design (possible/reachable blocks are its caches and isolates).
set -uo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind-workload: install valgrind"; exit 1; }
log=${TMPDIR:-/tmp}/rawsock-valgrind-$$.log
# A workload that stops making progress (a callback the addon no longer calls, say) must fail
# the run, not hold CI: 20 rounds take about two minutes here, so ten is a hang.
node scripts/in-netns.mjs timeout --kill-after=30 600 valgrind --tool=memcheck --leak-check=full --errors-for-leak-kinds=definite \
  --show-leak-kinds=definite --error-exitcode=1 --track-origins=yes --num-callers=30 \
  --suppressions=scripts/valgrind.supp --log-file="$log" \
  node --jitless --expose-gc scripts/valgrind-workload.mjs
status=$?
((status == 124)) && echo "valgrind-workload: no end after 600 s (a hang in the workload or the addon)"
grep -E "ERROR SUMMARY|definitely lost|indirectly lost|Invalid|uninitialised|rawsock" "$log" | head -40
echo "valgrind-workload: full log in $log"
exit "$status"
