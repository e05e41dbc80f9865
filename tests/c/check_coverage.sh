#!/usr/bin/env bash
# tests/c/check_coverage.sh HEADER SOURCE...: the ctest `c_api_coverage`. Fails unless every
# function HEADER (k3.h) declares with K3_C_API is called in at least one SOURCE (the C tests),
# so a function added to k3.h without a C test fails the suite.
set -euo pipefail
header=$1
shift
declared=$(grep -E '^K3_C_API ' "$header" | sed -E 's/^.*[ *](k3_[a-z0-9_]+)\(.*$/\1/' | sort -u)
[[ -n $declared ]] || { echo "no K3_C_API declarations read from $header" >&2; exit 1; }
missing=()
for fn in $declared; do
  grep -qE "\\b${fn}\\(" "$@" || missing+=("$fn")
done
if ((${#missing[@]} > 0)); then
  echo "FAILED: k3.h functions no C test calls: ${missing[*]}" >&2
  exit 1
fi
echo "ok: all $(echo "$declared" | wc -l) functions of k3.h are called by the C tests"
