#!/usr/bin/env bash
# Builds and runs rawsock's libFuzzer targets (native code that parses kernel-provided bytes).
#
#   fuzz/build.sh               # build, then run each target for 60 s
#   fuzz/build.sh 600           # run each target for 600 s
#   fuzz/build.sh 0             # build only, and replay the seed corpus once
#
# Needs clang with the libFuzzer runtime: on Debian 12 `apt-get install clang-14
# libclang-rt-14-dev` (this script installs them when it may: as root with apt-get available).
# Targets:
#   ring_block_fuzzer  rawsock::WalkBlock (src-native/packet_ring.h): TPACKET_V3 block walking.
# Netlink replies are parsed in TypeScript (lib/diag): test/fuzz-*.test.ts covers them with fast-check.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-60}
out=${FUZZ_OUT:-${TMPDIR:-/tmp}/rawsock-fuzz-$(id -u)}

find_clang() {
  for c in clang++ clang++-19 clang++-18 clang++-17 clang++-16 clang++-15 clang++-14; do
    if command -v "$c" >/dev/null && echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long){return 0;}' |
      "$c" -x c++ -fsanitize=fuzzer -o /dev/null - 2>/dev/null; then
      echo "$c"
      return 0
    fi
  done
  return 1
}

if ! cxx=$(find_clang); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "fuzz: installing clang-14 and libclang-rt-14-dev"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends clang-14 libclang-rt-14-dev >/dev/null
  fi
  cxx=$(find_clang) || { echo "fuzz: no clang with libFuzzer (apt-get install clang-14 libclang-rt-14-dev)"; exit 1; }
fi

mkdir -p "$out"
flags=(-std=c++17 -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined
  -fno-sanitize-recover=undefined -Wall -Wextra)
status=0
for target in ring_block_fuzzer; do
  "$cxx" "${flags[@]}" -o "$out/$target" "$target.cc"
  seeds=corpus/${target%_fuzzer}
  work=$out/$target.corpus
  mkdir -p "$work" "$out/$target.crashes"
  echo "fuzz: $target: replaying $(ls "$seeds" | wc -l) seeds"
  RING_FUZZ_VERBOSE=1 "$out/$target" -runs=0 "$seeds"
  [[ $seconds -gt 0 ]] || continue
  echo "fuzz: $target: $seconds s"
  # -max_len: blocks up to 64 KiB exercise long walks; ring blocks are bigger, but the walk's
  # bounds do not depend on the size beyond that.
  if ! "$out/$target" -max_total_time="$seconds" -max_len=65536 -print_final_stats=1 \
    -artifact_prefix="$out/$target.crashes/" "$work" "$seeds" 2>"$out/$target.log"; then
    status=1
    echo "fuzz: $target FAILED, inputs in $out/$target.crashes/"
  fi
  grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+ +DONE)|ERROR|SUMMARY' "$out/$target.log" || true
done
exit "$status"
