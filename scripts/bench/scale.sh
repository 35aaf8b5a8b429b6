#!/usr/bin/env bash
# The fleet-scale loads (issue 11), over HTTP on loopback with the release build: N one-slot miners
# over 20 models (default 100,000), 90 % of them busy (holding a reservation), then wrk against each
# load in turn beside the JSON echo ceiling measured right before and after it (scripts/bench/lib.sh):
#   reserve-free matches for a busy model; a request no miner satisfies (min_gpu_memory above every
#   miner's); a request only the last-ranked miner of its model satisfies; heartbeats from random miners.
# Usage: scripts/bench/scale.sh [MINERS] [SECONDS]   (ROUNDS, default 3; BENCH_DATABASE_URL / BENCH_REDIS_URL: shared mode)
set -euo pipefail
cd "$(dirname "$0")/../.."
miners=${1:-100000}
export SECONDS_PER_RUN=${2:-8}
source scripts/bench/lib.sh
bench_build
bench_start_hub RESERVATION_TTL_SECONDS=7200 HEARTBEAT_TTL_SECONDS=7200

python3 scripts/bench/populate.py http://127.0.0.1:18080 "$miners" "$work/miners.txt" 1
python3 scripts/bench/busy.py http://127.0.0.1:18080 "$miners" 0.9
bench_memory

match() { printf '{"job_type":"inference","model":"model-0","limit":3,"reserve":false%s}' "$1"; }
measure "reserve-free match, a 90 %-busy model" -s scripts/bench/post.lua http://127.0.0.1:18080 -- /api/v1/match "$(match '')"
measure "a request no miner satisfies (min_gpu_memory 1000000)" -s scripts/bench/post.lua http://127.0.0.1:18080 -- /api/v1/match \
  "$(match ',"requirements":{"min_gpu_memory":1000000}')"
measure "a request only the last-ranked miner satisfies (min_gpu_memory 163840)" -s scripts/bench/post.lua http://127.0.0.1:18080 -- \
  /api/v1/match "$(match ',"requirements":{"min_gpu_memory":163840}')"
measure "heartbeats from random miners" -s scripts/bench/heartbeat-random.lua http://127.0.0.1:18080 -- "$work/miners.txt"
curl -s -X POST localhost:18080/api/v1/match -H 'Content-Type: application/json' -d "$(match ',"requirements":{"min_gpu_memory":163840}')"; echo
curl -s localhost:18080/api/v1/status; echo
