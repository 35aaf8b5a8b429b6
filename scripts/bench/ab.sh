#!/usr/bin/env bash
# A/B of hub binaries on this noisy shared box: the workload of http.sh (N miners, wrk -t2 -c64 against
# reserving matches, with and without job ids and tenants), each binary on a fresh hub, alternated
# ROUNDS times so that other load hits both alike. Prints one line per run; compare medians.
#   scripts/bench/ab.sh BINARY_A BINARY_B [ROUNDS] [MINERS] [SECONDS]
# With BENCH_POSTGRES_ADMIN_URL (an admin URL, e.g. of scripts/test-services.sh) and BENCH_REDIS_URL each
# run gets a fresh database and Redis namespace: shared mode.
set -euo pipefail
cd "$(dirname "$0")/../.."
a=$1 b=$2 rounds=${3:-3} miners=${4:-10000} seconds=${5:-8}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
psql=${POOLHUB_TEST_PG_BIN:-/usr/lib/postgresql/15/bin}/psql

run_one() {
  local binary=$1 work hub database="" redis=""
  work=$(mktemp -d)
  if [[ -n ${BENCH_POSTGRES_ADMIN_URL:-} ]]; then
    local name="bench_$RANDOM$RANDOM"
    "$psql" -q "$BENCH_POSTGRES_ADMIN_URL" -c "CREATE DATABASE $name" >/dev/null
    database="${BENCH_POSTGRES_ADMIN_URL%/*}/$name"
    redis=${BENCH_REDIS_URL:?BENCH_REDIS_URL is needed with BENCH_POSTGRES_ADMIN_URL}
    export REDIS_NAMESPACE=$name
  fi
  DATABASE_URL="${database:-sqlite:$work/hub.sqlite}" REDIS_URL="$redis" RESERVATION_TTL_SECONDS=1 HEARTBEAT_TTL_SECONDS=3600 \
    LOG_LEVEL=error "$binary" serve --env-file /dev/null --host 127.0.0.1 --port 18180 >"$work/hub.log" 2>&1 &
  hub=$!
  for _ in $(seq 100); do curl -sf localhost:18180/health >/dev/null && break; sleep 0.1; done
  python3 scripts/bench/populate.py http://127.0.0.1:18180 "$miners" "$work/miners.txt" >/dev/null
  for script in match match-tenants; do
    printf "%-40s %-14s" "$binary" "$script"
    wrk -t2 -c64 -d"${seconds}s" --latency -s "scripts/bench/$script.lua" http://127.0.0.1:18180 |
      awk '/ 50%/{p50=$2} / 99%/{p99=$2} /Requests\/sec/{rps=$2} END{printf "%10s/s  p50 %-8s p99 %s\n", rps, p50, p99}'
  done
  kill "$hub"
  wait "$hub" 2>/dev/null || true
  rm -rf "$work"
}

for _ in $(seq "$rounds"); do
  run_one "$a"
  run_one "$b"
done
