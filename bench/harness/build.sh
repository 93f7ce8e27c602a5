#!/usr/bin/env bash
# build.sh - compile the C sender and receivers (harness/src/*.c) into bench/build/ (git-ignored).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
OUT="$(dirname "$HERE")/build"
mkdir -p "$OUT"
CFLAGS="${CFLAGS:--O2 -Wall -Wextra}"
for p in blast pktrx sockrx txc; do
  # shellcheck disable=SC2086  # CFLAGS is a word list on purpose
  gcc $CFLAGS -o "$OUT/$p" "$HERE/src/$p.c"
done
echo "built: $(ls "$OUT" | tr '\n' ' ')"
