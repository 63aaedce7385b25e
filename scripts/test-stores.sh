#!/usr/bin/env bash
# Starts and stops the PostgreSQL and Redis servers that `make test` runs the store tests
# on: Debian's packages, each on a loopback port of its own, with data under target/stores
# (thrown away at every start). Nothing else on the machine is touched.
#
#   scripts/test-stores.sh start   # prints the environment the tests read
#   scripts/test-stores.sh stop
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dir=${SESAME_STORES_DIR:-$root/target/stores}
pg_port=${SESAME_TEST_PG_PORT:-55432}
redis_port=${SESAME_TEST_REDIS_PORT:-56379}
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)

say() { printf '[stores] %s\n' "$*" >&2; }

# PostgreSQL refuses to run as root; there it runs as the `postgres` user of Debian's package.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

stop() {
  if [ -f "$dir/pg/postmaster.pid" ]; then
    as_pg "$pg_bin/pg_ctl" -D "$dir/pg" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  if [ -f "$dir/redis.pid" ]; then
    local pid; pid=$(cat "$dir/redis.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    rm -f "$dir/redis.pid"
  fi
}

start() {
  [ -n "$pg_bin" ] || { say "PostgreSQL is not installed (scripts/setup.sh test installs it)"; exit 1; }
  command -v redis-server >/dev/null || { say "redis-server is not installed"; exit 1; }
  stop
  rm -rf "$dir"
  mkdir -p "$dir/pg" "$dir/redis"
  if [ "$(id -u)" -eq 0 ]; then chown -R postgres: "$dir/pg"; chmod 755 "$dir"; fi

  as_pg "$pg_bin/initdb" -D "$dir/pg" -U postgres --auth=trust -E UTF8 --no-sync >/dev/null
  # Test settings: durability off (the data is thrown away), room for many test databases.
  as_pg "$pg_bin/pg_ctl" -D "$dir/pg" -w -l "$dir/pg/log" -o "-p $pg_port \
    -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=400 \
    -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
  redis-server --port "$redis_port" --bind 127.0.0.1 --daemonize yes \
    --pidfile "$dir/redis.pid" --dir "$dir/redis" --save '' --appendonly no \
    --logfile "$dir/redis/log" >/dev/null
  for _ in $(seq 50); do
    redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  say "PostgreSQL on 127.0.0.1:$pg_port, Redis on 127.0.0.1:$redis_port"
  echo "SESAME_TEST_POSTGRES=postgres://postgres@127.0.0.1:$pg_port/postgres"
  echo "SESAME_TEST_REDIS=redis://127.0.0.1:$redis_port"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
