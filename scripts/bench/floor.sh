#!/usr/bin/env bash
# Where a match's cost sits between the stack and the index: each load beside the echo ceiling
# (scripts/bench/lib.sh), from a route that does almost nothing to a full reserving match, N miners (2,000).
#   GET /nowhere                the five middlewares, the router and a 404 in the error shape
#   GET /api/v1/miners/0x1      one miner read from the fleet and written out (the miner object)
#   match, a model nobody serves  parse, validation, the fleet lock, the api_calls count, the answer; no walk
#   match with reserve          scripts/bench/match.lua, as http.sh runs it
# Usage: scripts/bench/floor.sh [MINERS] [SECONDS]   (ROUNDS, default 3)
set -euo pipefail
cd "$(dirname "$0")/../.."
miners=${1:-2000}
export SECONDS_PER_RUN=${2:-6}
source scripts/bench/lib.sh
bench_build
bench_start_hub RESERVATION_TTL_SECONDS=1 HEARTBEAT_TTL_SECONDS=3600
python3 scripts/bench/populate.py http://127.0.0.1:18080 "$miners" "$work/miners.txt"

echo 'wrk.method = "GET"' >"$work/get.lua"
measure "GET /nowhere (404)" -s "$work/get.lua" http://127.0.0.1:18080/nowhere
measure "GET /api/v1/miners/0x1" -s "$work/get.lua" http://127.0.0.1:18080/api/v1/miners/0x1
measure "match, a model nobody serves" -s scripts/bench/post.lua http://127.0.0.1:18080 -- /api/v1/match \
  '{"job_type":"inference","model":"model-none","requirements":{"min_gpu_memory":16384},"limit":3,"reserve":true}'
measure "match with reserve" -s scripts/bench/match.lua http://127.0.0.1:18080
