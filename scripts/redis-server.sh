#!/usr/bin/env bash
# Starts or stops the throwaway Redis server that the de-duplication and inbox tests and the
# bench use: 127.0.0.1 only, port 6390 (REDIS_PORT overrides), pid file, log and data in a
# temporary directory, `maxmemory-policy noeviction` (as BullMQ requires). No persistence by
# default; with REDIS_AOF=1 (or `start --aof`) an append-only file fsynced before every reply
# (`appendfsync always`), as a Redis that must keep every acknowledged notification is run.
# Installs Debian's redis-server first when it is missing.
#
#   bash scripts/redis-server.sh start [--aof]  # then: REDIS_URL=redis://127.0.0.1:6390 npm test
#   bash scripts/redis-server.sh restart [--aof] # shutdown, then start again on the same data
#   bash scripts/redis-server.sh stop            # shutdown, and remove the data
set -euo pipefail

PORT="${REDIS_PORT:-6390}"
DIR="${TMPDIR:-/tmp}/express-yoti-notifications-redis-${PORT}"
PIDFILE="${DIR}/redis.pid"
LOGFILE="${DIR}/redis.log"
AOF="${REDIS_AOF:-0}"

install_redis() {
  if command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1; then
    return
  fi
  echo "redis-server not found: installing Debian's redis-server" >&2
  local sudo=''
  if [ "$(id -u)" != 0 ]; then sudo='sudo'; fi
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq redis-server >/dev/null
}

ping() {
  redis-cli -h 127.0.0.1 -p "$PORT" ping 2>/dev/null | grep -q PONG
}

start() {
  install_redis
  if ping; then
    echo "Redis already answers on 127.0.0.1:${PORT}"
    return
  fi
  mkdir -p "$DIR"
  local persistence=(--appendonly no)
  local said='no persistence'
  # A restart keeps the mode the data was written in.
  if [ -f "${DIR}/aof-on" ]; then AOF=1; fi
  if [ "$AOF" = 1 ]; then
    touch "${DIR}/aof-on"
    persistence=(--appendonly yes --appendfsync always)
    said='AOF, appendfsync always'
  fi
  redis-server --bind 127.0.0.1 --port "$PORT" --daemonize yes \
    --pidfile "$PIDFILE" --logfile "$LOGFILE" --dir "$DIR" \
    --save '' "${persistence[@]}" --maxmemory-policy noeviction --protected-mode yes
  for _ in $(seq 1 100); do
    if ping; then
      echo "Redis started on 127.0.0.1:${PORT} (${said}; log: ${LOGFILE})"
      return
    fi
    sleep 0.1
  done
  echo "Redis did not answer on 127.0.0.1:${PORT} within 10 s; log follows" >&2
  cat "$LOGFILE" >&2 || true
  exit 1
}

# Shuts the server down (a plain SHUTDOWN: the append-only file, when on, is flushed first)
# and waits until it no longer answers. `keep` leaves the data directory in place.
shutdown() {
  if ping; then
    redis-cli -h 127.0.0.1 -p "$PORT" shutdown >/dev/null 2>&1 || true
  fi
  for _ in $(seq 1 50); do
    if ! ping; then
      if [ "${1:-}" != keep ]; then rm -rf "$DIR"; fi
      echo "Redis on 127.0.0.1:${PORT} stopped"
      return
    fi
    sleep 0.1
  done
  echo "Redis on 127.0.0.1:${PORT} did not stop" >&2
  exit 1
}

command="${1:-}"
if [ "${2:-}" = --aof ]; then AOF=1; fi
case "$command" in
  start) start ;;
  restart)
    shutdown keep
    start
    ;;
  stop) shutdown ;;
  *)
    echo "usage: bash scripts/redis-server.sh start|restart|stop [--aof]" >&2
    exit 2
    ;;
esac
