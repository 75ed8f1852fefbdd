#!/usr/bin/env bash
# Starts or stops the throwaway Redis server that the de-duplication tests and bench use:
# 127.0.0.1 only, port 6390 (REDIS_PORT overrides), no persistence, pid file and log in a
# temporary directory. Installs Debian's redis-server first when it is missing.
#
#   bash scripts/redis-server.sh start   # then: REDIS_URL=redis://127.0.0.1:6390 npm test
#   bash scripts/redis-server.sh stop
set -euo pipefail

PORT="${REDIS_PORT:-6390}"
DIR="${TMPDIR:-/tmp}/express-yoti-notifications-redis-${PORT}"
PIDFILE="${DIR}/redis.pid"
LOGFILE="${DIR}/redis.log"

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
  redis-server --bind 127.0.0.1 --port "$PORT" --daemonize yes \
    --pidfile "$PIDFILE" --logfile "$LOGFILE" --dir "$DIR" \
    --save '' --appendonly no --protected-mode yes
  for _ in $(seq 1 100); do
    if ping; then
      echo "Redis started on 127.0.0.1:${PORT} (log: ${LOGFILE})"
      return
    fi
    sleep 0.1
  done
  echo "Redis did not answer on 127.0.0.1:${PORT} within 10 s; log follows" >&2
  cat "$LOGFILE" >&2 || true
  exit 1
}

stop() {
  if ping; then
    redis-cli -h 127.0.0.1 -p "$PORT" shutdown nosave >/dev/null 2>&1 || true
  fi
  for _ in $(seq 1 50); do
    if ! ping; then
      rm -rf "$DIR"
      echo "Redis on 127.0.0.1:${PORT} stopped"
      return
    fi
    sleep 0.1
  done
  echo "Redis on 127.0.0.1:${PORT} did not stop" >&2
  exit 1
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *)
    echo "usage: bash scripts/redis-server.sh start|stop" >&2
    exit 2
    ;;
esac
