#!/usr/bin/env bash
# Soak: bench/soak/soak.ts inside a fresh user + network namespace (never the host's network).
#   bench/soak/run.sh --minutes 10 [--flows 2] [--rate 50000] [--size 200]
set -euo pipefail
cd "$(dirname "$0")/../.."
[[ -x bench/build/blast ]] || bench/harness/build.sh
exec node scripts/in-netns.mjs node --import tsx bench/soak/soak.ts "$@"
