#!/bin/bash
# Container health check without curl: GET /health on the hub's own API port, healthy on 200 only
# (503 "degraded" = a dependency is down). Bash's /dev/tcp, so the image needs no HTTP client.
#   healthcheck.sh [PORT]   (default: $API_PORT, else 8000)
set -euo pipefail
port=${1:-${API_PORT:-8000}}
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'GET /health HTTP/1.1\r\nHost: localhost\r\nUser-Agent: poolhub-healthcheck\r\nConnection: close\r\n\r\n' >&3
IFS=' ' read -r -t 3 _ status _ <&3
# Read to the end (the hub closes after the answer) so the check never resets the connection.
while read -r -t 3 _ <&3; do :; done || true
[[ $status == 200 ]] || { echo "health: HTTP ${status:-no answer}" >&2; exit 1; }
