#!/usr/bin/env bash
# Formats the Swift tree with the toolchain's swift-format and the root .swift-format.
#   scripts/format.sh          rewrite the files in place
#   scripts/format.sh --check  change nothing; list the files that are not formatted and fail if any
set -euo pipefail
cd "$(dirname "$0")/.."
paths=(Sources Tests Benchmarks Package.swift)
if [[ ${1:-} != --check ]]; then
  exec swift format format --in-place --recursive --parallel "${paths[@]}"
fi
copy=$(mktemp -d)
trap 'rm -rf "$copy"' EXIT
cp -r "${paths[@]}" .swift-format "$copy/"
(cd "$copy" && swift format format --in-place --recursive --parallel "${paths[@]}")
unformatted=()
for path in "${paths[@]}"; do
  diff -rq "$path" "$copy/$path" >/dev/null || unformatted+=("$path")
done
if ((${#unformatted[@]})); then
  echo "error: not formatted with .swift-format (run scripts/format.sh):" >&2
  for path in "${unformatted[@]}"; do diff -rq "$path" "$copy/$path" | sed 's/^/  /' >&2 || true; done
  exit 1
fi
echo "swift-format: the tree is formatted"
