#!/usr/bin/env bash
# HTTP benchmark on loopback: release-built hub with N miners, then wrk against reserving matches,
# heartbeats, each beside the JSON echo ceiling measured right before and after it (scripts/bench/lib.sh).
# Usage: scripts/bench/http.sh [MINERS] [SECONDS]   (ROUNDS, default 3; BENCH_DATABASE_URL / BENCH_REDIS_URL: shared mode)
set -euo pipefail
cd "$(dirname "$0")/../.."
miners=${1:-10000}
export SECONDS_PER_RUN=${2:-10}
source scripts/bench/lib.sh
bench_build
# Reservations expire after a second so a long run does not just fill every slot.
bench_start_hub RESERVATION_TTL_SECONDS=1 HEARTBEAT_TTL_SECONDS=3600

python3 scripts/bench/populate.py http://127.0.0.1:18080 "$miners" "$work/miners.txt"
bench_memory

measure "match with reserve (POST /api/v1/match)" -s scripts/bench/match.lua http://127.0.0.1:18080
measure "match with reserve, job_id and one of 50 tenants (POST /api/v1/match)" -s scripts/bench/match-tenants.lua http://127.0.0.1:18080
measure "heartbeats (POST /api/v1/miners/{address}/status)" -s scripts/bench/heartbeat.lua http://127.0.0.1:18080 -- "$work/miners.txt"
echo "== one SLA pass over $miners miners (POST /sla/metrics/collect): $(curl -s -o /dev/null -w '%{time_total}' -X POST localhost:18080/sla/metrics/collect) s"
curl -s localhost:18080/api/v1/status; echo
