#!/usr/bin/env bash
# The test command (README.md, .ci/run): installs what the suite needs, then runs all of it.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
for package in libsqlite3-dev; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "installing ${missing[*]}"
  apt-get update -qq && apt-get install -y -qq "${missing[@]}"
fi

# Hubs that a crashed test started on loopback must not outlive the run.
trap 'pkill -f "poolhub serve --host 127.0.0.1 --port 0" || true' EXIT
swift build --build-tests
swift test
