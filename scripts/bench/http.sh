#!/usr/bin/env bash
# HTTP benchmark on loopback: release-built hub with N miners, then wrk against reserving matches,
# heartbeats and the JSON echo baseline, in one run. Usage: scripts/bench/http.sh [MINERS] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
miners=${1:-10000}
seconds=${2:-10}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
swift build -c release --product poolhub >/dev/null
swift build -c release --product poolhub-bench >/dev/null
bin=$(swift build -c release --show-bin-path)
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; wait; rm -rf "$work"' EXIT

# Reservations expire after a second so a long run does not just fill every slot.
# BENCH_DATABASE_URL / BENCH_REDIS_URL (an empty database and Redis) measure the shared PostgreSQL + Redis mode.
DATABASE_URL="${BENCH_DATABASE_URL:-sqlite:$work/hub.sqlite}" REDIS_URL="${BENCH_REDIS_URL:-}" RESERVATION_TTL_SECONDS=1 HEARTBEAT_TTL_SECONDS=3600 LOG_LEVEL=error \
  "$bin/poolhub" serve --env-file /dev/null --host 127.0.0.1 --port 18080 >"$work/hub.log" 2>&1 &
hub=$!
"$bin/poolhub-bench" echo 18099 >"$work/echo.log" 2>&1 &
for _ in $(seq 100); do curl -sf localhost:18080/health >/dev/null && break; sleep 0.1; done

python3 scripts/bench/populate.py http://127.0.0.1:18080 "$miners" "$work/miners.txt"
echo "hub resident memory with $miners miners: $(ps -o rss= -p "$hub" | awk '{print int($1/1024)}') MiB"

run() { echo "== $1"; shift; wrk -t2 -c64 -d"${seconds}s" --latency "$@" | grep -E 'Requests/sec|Latency  |50%|99%|Non-2xx'; }
run "echo baseline (POST /echo)" -s scripts/bench/echo.lua http://127.0.0.1:18099/echo
run "match with reserve (POST /api/v1/match)" -s scripts/bench/match.lua http://127.0.0.1:18080
run "match with reserve, job_id and one of 50 tenants (POST /api/v1/match)" -s scripts/bench/match-tenants.lua http://127.0.0.1:18080
run "heartbeats (POST /api/v1/miners/{address}/status)" -s scripts/bench/heartbeat.lua http://127.0.0.1:18080 -- "$work/miners.txt"
echo "== one SLA pass over $miners miners (POST /sla/metrics/collect): $(curl -s -o /dev/null -w '%{time_total}' -X POST localhost:18080/sla/metrics/collect) s"
curl -s localhost:18080/api/v1/status; echo
