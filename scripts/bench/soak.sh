#!/usr/bin/env bash
# Soak: a release-built hub under steady mixed load (registrations coming and going, heartbeats, matches with
# job ids, results, releases, SLA passes) for MINUTES, sampling its resident memory and the entries of its
# in-memory maps (poolhub_memory_entries) every SAMPLE seconds. Usage: scripts/bench/soak.sh [MINUTES] [SAMPLE]
# SOAK_NEW_ADDRESSES=1: every miner that comes back is a new address (see soak.py).
# BENCH_DATABASE_URL / BENCH_REDIS_URL (an empty database and Redis) soak the shared PostgreSQL + Redis mode.
set -euo pipefail
cd "$(dirname "$0")/../.."
minutes=${1:-10}
sample=${2:-30}
# SOAK_SCRATCH: a build directory of its own, so the soak's release build does not wait on another build's lock.
scratch=(--scratch-path "${SOAK_SCRATCH:-.build}")
swift build -c release "${scratch[@]}" --product poolhub >/dev/null
bin=$(swift build -c release "${scratch[@]}" --show-bin-path)
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; wait; rm -rf "$work"' EXIT

# Short reservation and heartbeat TTLs, so that expiry and sweeping run all the time; an SLA pass every minute.
DATABASE_URL="${BENCH_DATABASE_URL:-sqlite:$work/hub.sqlite}" REDIS_URL="${BENCH_REDIS_URL:-}" \
  RESERVATION_TTL_SECONDS=20 HEARTBEAT_TTL_SECONDS=30 SLA_COLLECTION_INTERVAL_SECONDS=60 LOG_LEVEL=error \
  "$bin/poolhub" serve --env-file /dev/null --host 127.0.0.1 --port 18090 >"$work/hub.log" 2>&1 &
hub=$!
for _ in $(seq 100); do curl -sf localhost:18090/health >/dev/null && break; sleep 0.1; done

python3 scripts/bench/soak.py http://127.0.0.1:18090 "$((minutes * 60))" "${SOAK_NEW_ADDRESSES:-0}" >"$work/load.log" 2>&1 &
load=$!
echo "seconds rss_mib $(curl -s localhost:18090/metrics | awk -F'"' '/^poolhub_memory_entries/ {printf "%s ", $2}')requests"
start=$(date +%s)
while kill -0 "$load" 2>/dev/null; do
  entries=$(curl -s localhost:18090/metrics | awk '/^poolhub_memory_entries/ {printf "%s ", $2}')
  requests=$(curl -s localhost:18090/metrics | awk '/^poolhub_api_requests_total/ {n += $2} END {print n}')
  echo "$(($(date +%s) - start)) $(ps -o rss= -p "$hub" | awk '{print int($1/1024)}') $entries$requests"
  sleep "$sample"
done
wait "$load"
tail -3 "$work/load.log"
