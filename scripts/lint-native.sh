#!/usr/bin/env bash
# Lint of the C++ sources: clang-format (the layout in .clang-format, checked, never rewritten
# here; `npm run format` applies it) and clang-tidy (the bug-finding checks in .clang-tidy).
# clang-format and clang-tidy come from Debian's packages of those names
# (scripts/install-test-deps.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."

files=(src-native/*.cc src-native/*.h fuzz/*.cc test/helpers/*.c)
for tool in clang-format clang-tidy; do
  command -v "$tool" >/dev/null || { echo "lint-native: $tool is missing (apt-get install $tool, or run scripts/install-test-deps.sh)" >&2; exit 1; }
done

clang-format --dry-run --Werror "${files[@]}"

# The headers the addon is built against: node-addon-api's, and Node's own from the configured
# nodedir (or this Node's prefix, as scripts/install.mjs picks).
addon_api=$(node -p "require('node-addon-api').include_dir")
nodedir=${npm_config_nodedir:-$(dirname "$(dirname "$(command -v node)")")}
node_include="$nodedir/include/node"
[[ -f $node_include/node_api.h ]] || { echo "lint-native: no Node headers at $node_include (set npm_config_nodedir)" >&2; exit 1; }
status=0
output=$(clang-tidy --quiet src-native/*.cc -- -std=c++17 -x c++ -I "$addon_api" -I "$node_include" \
  -DNAPI_VERSION=8 -DNAPI_CPP_EXCEPTIONS -DNODE_ADDON_API_DISABLE_DEPRECATED -DNODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS 2>&1) || status=$?
# Only the findings: clang-tidy also counts the warnings it suppressed in system headers.
grep -v -E '^[0-9]+ warnings? generated\.$|^Suppressed [0-9]+ warnings|^Use -header-filter' <<<"$output" || true
((status == 0)) || exit "$status"
echo "lint-native: clang-format and clang-tidy clean"
