#!/usr/bin/env bash
# Throwaway PostgreSQL 15 and Redis servers on loopback for the shared-mode tests (scripts/test.sh).
#
#   scripts/test-services.sh start DIR   install what is missing, start both servers with their files in
#                                        DIR, wait until they answer, print `export` lines on stdout
#   scripts/test-services.sh stop DIR    stop both and remove DIR (idempotent)
#
# Everything but the export lines goes to stderr, so `eval "$(scripts/test-services.sh start DIR)"` works.
# Exits non-zero, saying why on stderr, when a server cannot be installed or started.
set -euo pipefail

PG_BIN=${POOLHUB_TEST_PG_BIN:-/usr/lib/postgresql/15/bin}
PG_USER=pgci               # PostgreSQL refuses to run as root: as root the cluster runs as this user
PG_DEFAULT_PORT=55433
REDIS_DEFAULT_PORT=56380
DEADLINE_SECONDS=30
MARKER=.poolhub-test-services   # only a DIR carrying this file is ever removed by `stop`

say() { echo "test-services: $*" >&2; }
die() { say "error: $*"; exit 1; }

usage() {
  echo "usage: $0 start DIR | stop DIR" >&2
  exit 2
}

is_root() { [[ $(id -u) -eq 0 ]]; }

# Runs a command as the cluster's owner (pgci when root, else the caller).
as_pg_user() {
  if is_root; then
    runuser -u "$PG_USER" -- "$@"
  else
    "$@"
  fi
}

apt_install() {
  is_root || die "$* missing and not root: install it (apt-get install $*) and run again"
  command -v apt-get >/dev/null || die "$* missing and no apt-get to install it"
  say "installing $*"
  {
    apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 "$@"
  } >&2 || die "could not install $*"
}

install_missing() {
  if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
    apt_install redis-server
  fi
  if [[ ! -x $PG_BIN/initdb || ! -x $PG_BIN/pg_ctl || ! -x $PG_BIN/pg_isready ]]; then
    [[ $PG_BIN == /usr/lib/postgresql/15/bin ]] || die "no PostgreSQL binaries in POOLHUB_TEST_PG_BIN=$PG_BIN"
    apt_install postgresql-15
    [[ -x $PG_BIN/initdb ]] || die "postgresql-15 installed but $PG_BIN/initdb is missing"
  fi
  if is_root && ! id -u "$PG_USER" >/dev/null 2>&1; then
    say "creating system user $PG_USER"
    useradd --system --create-home "$PG_USER" >&2 || die "could not create user $PG_USER"
  fi
}

# True when something accepts connections on 127.0.0.1:PORT.
port_busy() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Prints the first port from $1 upwards (at most 200 tried) that nobody listens on.
free_port() {
  local port=$1 last=$(($1 + 200))
  while ((port < last)); do
    if ! port_busy "$port"; then
      echo "$port"
      return 0
    fi
    port=$((port + 1))
  done
  return 1
}

wait_until() {
  local what=$1
  shift
  local deadline=$((SECONDS + DEADLINE_SECONDS))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
  say "$what is ready"
}

start_postgres() {
  local dir=$1 port attempt
  as_pg_user "$PG_BIN/initdb" -D "$dir/pgdata" -A trust -U "$PG_USER" -E UTF8 --no-sync \
    >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed in $dir/pgdata"; }
  port=$PG_DEFAULT_PORT
  for attempt in 1 2 3 4 5; do
    port=$(free_port "$port") || die "no free port for PostgreSQL"
    # The options as one string: pg_ctl hands -o to postgres through a shell. The dir comes from mktemp.
    if as_pg_user "$PG_BIN/pg_ctl" -D "$dir/pgdata" -l "$dir/postgres.log" -w -t "$DEADLINE_SECONDS" \
      -o "-c listen_addresses=127.0.0.1 -p $port -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=1000 -k $dir" \
      start >&2; then
      PG_PORT=$port
      wait_until "PostgreSQL on 127.0.0.1:$port" "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" -U "$PG_USER" -d postgres ||
        { tail -n 20 "$dir/postgres.log" >&2; die "PostgreSQL does not answer on port $port"; }
      return 0
    fi
    say "PostgreSQL did not start on port $port (attempt $attempt), trying another"
    tail -n 5 "$dir/postgres.log" >&2 2>/dev/null || true
    port=$((port + 1))
  done
  die "PostgreSQL did not start (the end of its log is above)"
}

start_redis() {
  local dir=$1 port attempt
  port=$REDIS_DEFAULT_PORT
  for attempt in 1 2 3 4 5; do
    port=$(free_port "$port") || die "no free port for Redis"
    if redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
      --pidfile "$dir/redis.pid" --dir "$dir" --logfile "$dir/redis.log" --maxclients 10000 >&2 &&
      wait_until "Redis on 127.0.0.1:$port" redis_ping "$port"; then
      REDIS_PORT=$port
      return 0
    fi
    say "Redis did not start on port $port (attempt $attempt), trying another"
    if [[ -f $dir/redis.pid ]] && runs "$(cat "$dir/redis.pid")" redis-server; then
      kill -KILL "$(cat "$dir/redis.pid")" 2>/dev/null || true
    fi
    rm -f "$dir/redis.pid"
    tail -n 5 "$dir/redis.log" >&2 2>/dev/null || true
    port=$((port + 1))
  done
  die "Redis did not start (the end of its log is above)"
}

redis_ping() {
  [[ $(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null) == PONG ]]
}

start() {
  local dir=$1
  install_missing
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd -P)
  [[ -e $dir/pgdata || -e $dir/redis.pid ]] && die "$dir already holds test servers: run '$0 stop $dir' first"
  touch "$dir/$MARKER"
  if is_root; then
    chown "$PG_USER:" "$dir"
    chmod 0755 "$dir"
    runuser -u "$PG_USER" -- test -w "$dir" ||
      die "$PG_USER cannot reach $dir: every parent directory must be traversable (chmod o+x), e.g. use mktemp -d"
  fi
  # A server started here must not outlive a failure further down.
  STARTING_DIR=$dir
  trap 'status=$?; if ((status != 0)); then say "cleaning up"; stop "$STARTING_DIR" || true; fi' EXIT

  start_postgres "$dir"
  start_redis "$dir"

  {
    printf 'export POOLHUB_TEST_POSTGRES_URL=%q\n' "postgresql://$PG_USER@127.0.0.1:$PG_PORT/postgres"
    printf 'export POOLHUB_TEST_REDIS_URL=%q\n' "redis://127.0.0.1:$REDIS_PORT"
    printf 'export POOLHUB_TEST_REDIS_SERVER=%q\n' "$(command -v redis-server)"
    printf 'export POOLHUB_TEST_PG_BIN=%q\n' "$PG_BIN"
  } >"$dir/services.env"
  printf 'REDIS_PORT=%s\nPG_PORT=%s\n' "$REDIS_PORT" "$PG_PORT" >"$dir/ports"
  trap - EXIT
  say "PostgreSQL on 127.0.0.1:$PG_PORT, Redis on 127.0.0.1:$REDIS_PORT, files in $dir"
  cat "$dir/services.env"
}

# True when PID is a live process: a zombie (exited, not yet reaped by its new parent) is not.
alive() {
  local state
  kill -0 "$1" 2>/dev/null || return 1
  state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null) || return 1
  [[ -n $state && $state != Z && $state != X ]]
}

# True when PID is alive and its command line contains TEXT (so a stale pidfile never kills a stranger).
runs() {
  local pid=$1 text=$2
  [[ -n $pid ]] && alive "$pid" || return 1
  tr "\0" " " <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$text"
}

# Waits up to 10 s for a process to end.
wait_gone() {
  local pid=$1 i
  for ((i = 0; i < 50; i++)); do
    alive "$pid" || return 0
    sleep 0.2
  done
  return 1
}

stop() {
  local dir=$1 pid port=""
  [[ -d $dir ]] || return 0
  if [[ ! -e $dir/$MARKER ]]; then
    if [[ -z $(ls -A "$dir") ]]; then
      rmdir "$dir"
      return 0
    fi
    say "warning: $dir was not made by '$0 start': leaving it alone"
    return 1
  fi

  if [[ -f $dir/pgdata/postmaster.pid ]]; then
    pid=$(head -n 1 "$dir/pgdata/postmaster.pid")
    as_pg_user "$PG_BIN/pg_ctl" -D "$dir/pgdata" -m fast -w -t 20 stop >&2 || true
    if runs "$pid" postgres; then
      say "PostgreSQL ($pid) still running: killing it"
      kill -KILL "$pid" 2>/dev/null || true
      wait_gone "$pid" || say "warning: PostgreSQL ($pid) survived SIGKILL"
    fi
  fi

  if [[ -f $dir/redis.pid ]]; then
    pid=$(cat "$dir/redis.pid")
    [[ -f $dir/ports ]] && port=$(sed -n 's/^REDIS_PORT=//p' "$dir/ports")
    if [[ -n $port ]]; then
      redis-cli -h 127.0.0.1 -p "$port" shutdown nosave >/dev/null 2>&1 || true
    fi
    if runs "$pid" redis-server && ! wait_gone "$pid"; then
      say "Redis ($pid) still running: killing it"
      kill -KILL "$pid" 2>/dev/null || true
      wait_gone "$pid" || say "warning: Redis ($pid) survived SIGKILL"
    fi
  fi

  rm -rf -- "$dir"
  say "stopped; removed $dir"
}

(($# == 2)) || usage
[[ -n $2 && $2 != / ]] || usage
case $1 in
  start) start "$2" ;;
  stop) stop "$2" ;;
  *) usage ;;
esac
