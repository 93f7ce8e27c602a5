#!/usr/bin/env bash
# The test suite against an AddressSanitizer + UndefinedBehaviorSanitizer build of the addon.
#
#   scripts/test-sanitize.sh                    # build, then the whole suite (npm test's command)
#   scripts/test-sanitize.sh test/packet.test.ts  # build, then only these files
#   RAWSOCK_SANITIZE_KEEP=1 scripts/test-sanitize.sh ...   # reuse the last sanitizer build
#
# The addon is built with RAWSOCK_SANITIZE=1 (binding.gyp: -fsanitize=address,undefined) in a
# copy of the sources outside the working tree, so build/Release (what everybody else is testing
# with) is never replaced; lib/native.ts loads it through RAWSOCK_ADDON.
#
# Node itself is not instrumented, so the sanitizer runtimes are preloaded into every process of
# the run (node, and the peers the tests start; harmless there). Leak detection is off: Node's own
# allocations at exit would drown any report, and scripts/valgrind-workload.sh checks our leaks.
# UBSan halts on the first report, so any undefined behaviour fails the run. ASan reports are
# also written to $RAWSOCK_SANITIZE_DIR/logs/asan.PID so none can hide in a child's stderr:
# the script fails if any report exists after the run.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD

dir=${RAWSOCK_SANITIZE_DIR:-${TMPDIR:-/tmp}/rawsock-sanitize-$(id -u)}
addon=$dir/build/Release/rawsock.node

if [[ -z ${RAWSOCK_SANITIZE_KEEP:-} || ! -f $addon ]]; then
  echo "test-sanitize: building the ASan+UBSan addon in $dir"
  rm -rf "$dir/src-native" "$dir/binding.gyp"
  mkdir -p "$dir"
  cp -r binding.gyp src-native "$dir/"
  ln -sfn "$root/node_modules" "$dir/node_modules"
  prefix=$(dirname "$(dirname "$(command -v node)")")
  nodedir_args=()
  [[ -f $prefix/include/node/node_api.h ]] && nodedir_args=(--nodedir="$prefix")
  (cd "$dir" && RAWSOCK_SANITIZE=1 "$root/node_modules/.bin/node-gyp" rebuild "${nodedir_args[@]}" >build.log 2>&1) || {
    cat "$dir/build.log"
    echo "test-sanitize: build failed"
    exit 1
  }
fi
symbols=$(nm -D "$addon")
if [[ $symbols != *__asan_init* || $symbols != *__ubsan_handle* ]]; then
  echo "test-sanitize: $addon is not instrumented"
  exit 1
fi

asan=$(gcc -print-file-name=libasan.so)
ubsan=$(gcc -print-file-name=libubsan.so)
for lib in "$asan" "$ubsan"; do
  [[ -f $lib ]] || { echo "test-sanitize: $lib missing (install gcc's libasan and libubsan)"; exit 1; }
done

logs=$dir/logs
rm -rf "$logs"
mkdir -p "$logs"

# Tools the tests run that never load the addon get the sanitizer runtimes taken out again:
# some misbehave with ASan preloaded (procps' pgrep hangs). Shims early in PATH remove them from
# LD_PRELOAD (keeping anything else there, such as fakeroot's library) and exec the real tool.
# Whatever may start node (sh, unshare, setpriv) keeps the preload.
shims=$dir/plain-tools
rm -rf "$shims"
mkdir -p "$shims"
for tool in pgrep pkill ps ss ip tc tcpdump tshark dumpcap socat python3 fakeroot gcc cc dnsmasq busybox arping nft ping traceroute tracepath ethtool; do
  real=$(command -v "$tool") || continue
  printf '#!/bin/sh\nLD_PRELOAD=$(echo "$LD_PRELOAD" | sed -e "s|%s||g" -e "s|%s||g")\nexport LD_PRELOAD\nexec %q "$@"\n' \
    "$asan" "$ubsan" "$real" >"$shims/$tool"
  chmod +x "$shims/$tool"
done
export PATH="$shims:$PATH"

export RAWSOCK_ADDON=$addon
export LD_PRELOAD="$asan $ubsan"
# detect_leaks=0: see above. alloc_dealloc_mismatch=0: Node/V8 mix new[] and free in places that
# are not ours. quarantine_size_mb=32 (default 256) and allocator_release_to_os_interval_ms=0:
# freed memory goes back to the system soon, as without ASan, so the lifecycle tests' memory
# checks mean the same (use after free is still caught within the last 32 MiB freed).
# log_path: reports also go to files the script checks.
export ASAN_OPTIONS="detect_leaks=0:alloc_dealloc_mismatch=0:abort_on_error=1:verify_asan_link_order=0:quarantine_size_mb=32:allocator_release_to_os_interval_ms=0:log_path=$logs/asan"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$logs/ubsan"

if [[ $# -eq 0 ]]; then
  node scripts/in-netns.mjs node_modules/.bin/vitest run
else
  node scripts/in-netns.mjs node_modules/.bin/vitest run "$@"
fi
status=$?

if compgen -G "$logs/*" >/dev/null; then
  echo "test-sanitize: sanitizer reports:"
  for report in "$logs"/*; do
    echo "--- $report"
    cat "$report"
  done
  exit 1
fi
echo "test-sanitize: no sanitizer reports"
exit "$status"
