#!/usr/bin/env bash
# A throw-away PostgreSQL cluster on loopback, for the tests of the PostgreSQL user state store.
#
#   eval "$(.ci/postgres.sh start)"   # installs PostgreSQL when absent (root + apt), starts a cluster in a fresh
#                                     # temporary folder on a free port of 127.0.0.1, and prints
#                                     # PLURALISTIC_TEST_POSTGRES=... and PLURALISTIC_PG_DIR=... as shell assignments
#   .ci/postgres.sh stop "$PLURALISTIC_PG_DIR"   # stops the cluster and deletes its folder
#
# The server refuses to run as root: as root the cluster belongs to (and runs as) the 'postgres' user.
# Messages go to stderr; only the assignments go to stdout.
set -euo pipefail

say() { echo "postgres.sh: $*" >&2; }

bin_dir() {
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then echo "$dir"; return 0; fi
  done
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then dirname "$(command -v initdb)"; return 0; fi
  return 1
}

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

install_if_absent() {
  if bin_dir >/dev/null; then return 0; fi
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    say "PostgreSQL is not installed and cannot be installed here (needs root and apt-get): install the 'postgresql' package"
    exit 1
  fi
  say "installing PostgreSQL (apt-get install postgresql)"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
}

port_is_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

start() {
  install_if_absent
  local bin dir port attempt
  bin=$(bin_dir)
  dir=$(mktemp -d "${TMPDIR:-/tmp}/pluralistic-pg.XXXXXX")
  chmod 0700 "$dir"
  if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$dir"; fi
  as_owner "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 ||
    { say "initdb failed:"; cat "$dir/initdb.log" >&2; rm -rf "$dir"; exit 1; }
  for attempt in $(seq 1 20); do
    port=$(( 20000 + (RANDOM % 30000) ))
    port_is_free "$port" || continue
    # Loopback only (-h 127.0.0.1), the socket in the cluster's own folder (-k), no other host can reach it.
    if as_owner "$bin/pg_ctl" -D "$dir/data" -o "-p $port -k $dir -h 127.0.0.1 -c fsync=off -c max_connections=200" \
        -l "$dir/server.log" -w -t 60 start >&2; then
      say "PostgreSQL $("$bin/pg_ctl" --version | sed -n 's/.*) \([0-9][0-9.]*\).*/\1/p') is listening on 127.0.0.1:$port (data in $dir)"
      echo "export PLURALISTIC_PG_DIR='$dir'"
      echo "export PLURALISTIC_TEST_POSTGRES='Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres'"
      return 0
    fi
    say "could not start on port $port (attempt $attempt); trying another"
  done
  say "PostgreSQL did not start; its log:"; cat "$dir/server.log" >&2 || true
  rm -rf "$dir"
  exit 1
}

stop() {
  local dir=${1:-${PLURALISTIC_PG_DIR:-}}
  if [ -z "$dir" ] || [ ! -d "$dir" ]; then say "no cluster folder to stop"; return 0; fi
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_owner "$(bin_dir)/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || say "pg_ctl stop failed"
  fi
  case "$dir" in
    */pluralistic-pg.*) rm -rf "$dir" ;;
    *) say "not deleting '$dir': not a folder this script made" ;;
  esac
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  *) echo "usage: $0 start | stop [DIR]" >&2; exit 2 ;;
esac
