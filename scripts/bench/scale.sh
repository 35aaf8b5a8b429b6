#!/usr/bin/env bash
# The fleet-scale loads (issue 11), over HTTP on loopback with the release build: N one-slot miners
# over 20 models (default 100,000), 90 % of them busy (holding a reservation), then wrk against each
# load in turn beside the JSON echo ceiling of the same run:
#   reserve-free matches for a busy model; a request no miner satisfies (min_gpu_memory above every
#   miner's); a request only the last-ranked miner of its model satisfies; heartbeats from random miners.
# Usage: scripts/bench/scale.sh [MINERS] [SECONDS]   (BENCH_DATABASE_URL / BENCH_REDIS_URL: shared mode)
set -euo pipefail
cd "$(dirname "$0")/../.."
miners=${1:-100000}
seconds=${2:-8}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
swift build -c release --product poolhub >/dev/null
swift build -c release --product poolhub-bench >/dev/null
bin=$(swift build -c release --show-bin-path)
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; wait; rm -rf "$work"' EXIT

DATABASE_URL="${BENCH_DATABASE_URL:-sqlite:$work/hub.sqlite}" REDIS_URL="${BENCH_REDIS_URL:-}" RESERVATION_TTL_SECONDS=7200 HEARTBEAT_TTL_SECONDS=7200 LOG_LEVEL=error \
  "$bin/poolhub" serve --env-file /dev/null --host 127.0.0.1 --port 18080 >"$work/hub.log" 2>&1 &
hub=$!
"$bin/poolhub-bench" echo 18099 >"$work/echo.log" 2>&1 &
for _ in $(seq 100); do curl -sf localhost:18080/health >/dev/null && break; sleep 0.1; done

python3 scripts/bench/populate.py http://127.0.0.1:18080 "$miners" "$work/miners.txt" 1
python3 scripts/bench/busy.py http://127.0.0.1:18080 "$miners" 0.9
echo "hub resident memory with $miners miners: $(ps -o rss= -p "$hub" | awk '{print int($1/1024)}') MiB"

run() { echo "== $1"; shift; wrk -t2 -c64 -d"${seconds}s" --latency "$@" | grep -E 'Requests/sec|Latency  |50%|99%|Non-2xx'; }
match() { printf '{"job_type":"inference","model":"model-0","limit":3,"reserve":false%s}' "$1"; }
run "echo baseline (POST /echo)" -s scripts/bench/echo.lua http://127.0.0.1:18099/echo
run "reserve-free match, a 90 %-busy model" -s scripts/bench/post.lua http://127.0.0.1:18080 -- /api/v1/match "$(match '')"
run "a request no miner satisfies (min_gpu_memory 1000000)" -s scripts/bench/post.lua http://127.0.0.1:18080 -- /api/v1/match \
  "$(match ',"requirements":{"min_gpu_memory":1000000}')"
run "a request only the last-ranked miner satisfies (min_gpu_memory 163840)" -s scripts/bench/post.lua http://127.0.0.1:18080 -- \
  /api/v1/match "$(match ',"requirements":{"min_gpu_memory":163840}')"
run "heartbeats from random miners" -s scripts/bench/heartbeat-random.lua http://127.0.0.1:18080 -- "$work/miners.txt"
curl -s -X POST localhost:18080/api/v1/match -H 'Content-Type: application/json' -d "$(match ',"requirements":{"min_gpu_memory":163840}')"; echo
curl -s localhost:18080/api/v1/status; echo
