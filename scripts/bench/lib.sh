# Shared by the HTTP benchmarks (source it): the release build, a hub and the echo ceiling on loopback,
# and `measure`, which reads a load against the echo ceiling measured right before and after it.
# Settings: SECONDS_PER_RUN (8), ROUNDS (3), BENCH_DATABASE_URL / BENCH_REDIS_URL (shared mode).

bench_build() {
  command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
  swift build -c release --product poolhub >/dev/null
  swift build -c release --product poolhub-bench >/dev/null
  bin=$(swift build -c release --show-bin-path)
  work=$(mktemp -d)
  trap 'kill $(jobs -p) 2>/dev/null; wait; rm -rf "$work"' EXIT
}

# bench_start_hub [VAR=VALUE...]: the hub on :18080 (its settings after the defaults) and the echo server on :18099.
bench_start_hub() {
  env DATABASE_URL="${BENCH_DATABASE_URL:-sqlite:$work/hub.sqlite}" REDIS_URL="${BENCH_REDIS_URL:-}" LOG_LEVEL=error "$@" \
    "$bin/poolhub" serve --env-file /dev/null --host 127.0.0.1 --port 18080 >"$work/hub.log" 2>&1 &
  hub=$!
  "$bin/poolhub-bench" echo 18099 >"$work/echo.log" 2>&1 &
  echo_server=$!
  for _ in $(seq 100); do curl -sf localhost:18080/health >/dev/null && break; sleep 0.1; done
}

bench_memory() { echo "hub resident memory: $(ps -o rss= -p "$hub" | awk '{print int($1/1024)}') MiB"; }

# cpu_ticks PID: CPU (user + system) PID has used so far, in clock ticks, from /proc/PID/stat.
# cpu_per_request PID WRK-OUTPUT TICKS-BEFORE: microseconds of that CPU PID spent per request of the wrk run.
# Steadier than a rate on a shared box: it does not count the time PID waited for a core.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
cpu_per_request() {
  awk -v t="$(($(cpu_ticks "$1") - $3))" -v hz="$(getconf CLK_TCK)" '/requests in/ {printf "%.0f", t / hz * 1e6 / $1}' <<<"$2"
}

# measure NAME WRK-ARGS...: ROUNDS rounds of (echo, the load, echo), wrk -t2 -c64 for SECONDS_PER_RUN each.
# On a shared box the ceiling moves by a third between runs, so each round's share is the load over the
# mean of the two echo runs around it; prints every round and the median share, with the last round's latency,
# and the CPU the hub and the echo server spent per request.
measure() {
  local name=$1; shift
  local seconds=${SECONDS_PER_RUN:-8} rounds=${ROUNDS:-3} shares=() out before after load ticks hub_cpu echo_rate echo_cpu
  echo "== $name"
  # Sets echo_rate and echo_cpu (run in this shell, not a subshell, so both survive).
  run_echo() {
    local ticks out
    ticks=$(cpu_ticks "$echo_server")
    out=$(wrk -t2 -c64 -d"${seconds}s" -s scripts/bench/echo.lua http://127.0.0.1:18099/echo)
    echo_cpu=$(cpu_per_request "$echo_server" "$out" "$ticks")
    echo_rate=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  }
  run_echo; before=$echo_rate
  for r in $(seq "$rounds"); do
    ticks=$(cpu_ticks "$hub")
    out=$(wrk -t2 -c64 -d"${seconds}s" --latency "$@")
    load=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    hub_cpu=$(cpu_per_request "$hub" "$out" "$ticks")
    run_echo; after=$echo_rate
    shares+=("$(awk -v l="$load" -v a="$before" -v b="$after" 'BEGIN {printf "%.2f", 2 * l / (a + b)}')")
    printf '   round %d: %s requests/s, echo %s / %s, share %s; CPU a request: hub %s µs, echo %s µs\n' \
      "$r" "$load" "$before" "$after" "${shares[-1]}" "$hub_cpu" "$echo_cpu"
    before=$after
  done
  grep -E 'Non-2xx' <<<"$out" || true
  printf '   latency p50 %s, p99 %s (last round); median share of echo: %s\n' \
    "$(awk '$1 == "50%" {print $2}' <<<"$out")" "$(awk '$1 == "99%" {print $2}' <<<"$out")" \
    "$(printf '%s\n' "${shares[@]}" | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}')"
}
