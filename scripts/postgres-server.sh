#!/usr/bin/env bash
# Starts or stops the throwaway Postgres server that the inbox tests and the example use: a
# fresh cluster (initdb) in a temporary directory, 127.0.0.1 only, port 5433 (POSTGRES_PORT
# overrides), trust authentication for the `postgres` user on loopback, removed on stop.
# Installs Debian's postgresql first when its binaries are missing (Debian puts them in
# /usr/lib/postgresql/<major>/bin, not on the PATH; PG_BIN overrides). Postgres refuses to run
# as root: as root, it runs as the `postgres` user.
#
#   bash scripts/postgres-server.sh start
#   # then: DATABASE_URL=postgres://postgres@127.0.0.1:5433/postgres npm test
#   bash scripts/postgres-server.sh stop
set -euo pipefail

PORT="${POSTGRES_PORT:-5433}"
DIR="${TMPDIR:-/tmp}/express-yoti-notifications-postgres-${PORT}"
DATA="${DIR}/data"
LOGFILE="${DIR}/postgres.log"

bin_dir() {
  if [ -n "${PG_BIN:-}" ]; then
    echo "$PG_BIN"
    return
  fi
  if command -v initdb >/dev/null 2>&1; then
    dirname "$(readlink -f "$(command -v initdb)")"
    return
  fi
  local major
  major="$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1)"
  if [ -n "$major" ] && [ -x "/usr/lib/postgresql/${major}/bin/initdb" ]; then
    echo "/usr/lib/postgresql/${major}/bin"
  fi
}

install_postgres() {
  if [ -n "$(bin_dir)" ]; then return; fi
  echo "Postgres binaries not found: installing Debian's postgresql" >&2
  local sudo=''
  if [ "$(id -u)" != 0 ]; then sudo='sudo'; fi
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
}

# Runs a Postgres binary, as the postgres user when this script runs as root.
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    setpriv --reuid="$(id -u postgres)" --regid="$(id -g postgres)" --clear-groups "$@"
  else
    "$@"
  fi
}

ready() {
  "$(bin_dir)/pg_isready" -q -h 127.0.0.1 -p "$PORT" >/dev/null 2>&1
}

start() {
  install_postgres
  local bin
  bin="$(bin_dir)"
  if ready; then
    echo "Postgres already answers on 127.0.0.1:${PORT}"
    return
  fi
  rm -rf "$DIR"
  mkdir -p "$DIR"
  if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$DIR"; fi
  # --no-sync only for the empty cluster's files; the server runs with fsync on.
  as_owner "${bin}/initdb" -D "$DATA" -U postgres -A trust --no-sync >"${DIR}/initdb.log" 2>&1 || {
    cat "${DIR}/initdb.log" >&2
    exit 1
  }
  as_owner "${bin}/pg_ctl" -D "$DATA" -l "$LOGFILE" -w -t 30 \
    -o "-h 127.0.0.1 -p ${PORT} -k ${DIR} -c max_connections=200" start >/dev/null || {
    echo "Postgres did not start on 127.0.0.1:${PORT}; log follows" >&2
    cat "$LOGFILE" >&2 || true
    exit 1
  }
  echo "Postgres started on 127.0.0.1:${PORT} (log: ${LOGFILE})"
}

stop() {
  local bin
  bin="$(bin_dir)"
  if [ -n "$bin" ] && [ -f "${DATA}/postmaster.pid" ]; then
    as_owner "${bin}/pg_ctl" -D "$DATA" -m fast -w -t 30 stop >/dev/null 2>&1 || true
  fi
  rm -rf "$DIR"
  echo "Postgres on 127.0.0.1:${PORT} stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *)
    echo "usage: bash scripts/postgres-server.sh start|stop" >&2
    exit 2
    ;;
esac
