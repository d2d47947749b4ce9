#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for tests and the demo.
#
#   pg-temp.sh start DIR   initdb in DIR, start on a free loopback port, create
#                          database `trading` with table `trades`, print
#                          DSN=host=127.0.0.1 port=N user=postgres dbname=trading
#   pg-temp.sh stop DIR    stop the cluster immediately and remove DIR
#
# The server refuses to run as root, so as root the cluster belongs to the
# unprivileged system user faultline-pg (created once). Trust authentication
# is safe only because the server listens on 127.0.0.1 and a socket in DIR.
# FAULTLINE_PG_BINDIR overrides where the server binaries are found.
# Only the DSN line goes to stdout; a failure is one line on stderr, exit 1.
set -euo pipefail

readonly pg_user=faultline-pg
readonly marker=.faultline-pg-temp

die() {
  echo "pg-temp.sh: $*" >&2
  exit 1
}

usage() {
  echo "usage: pg-temp.sh start|stop DIR" >&2
  exit 2
}

find_bindir() {
  local candidates=()
  [ -n "${FAULTLINE_PG_BINDIR:-}" ] && candidates+=("$FAULTLINE_PG_BINDIR")
  if command -v pg_config >/dev/null 2>&1; then
    candidates+=("$(pg_config --bindir 2>/dev/null || true)")
  fi
  candidates+=(/usr/lib/postgresql/15/bin)
  local dir
  for dir in "${candidates[@]}"; do
    if [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/postgres" ]; then
      echo "$dir"
      return 0
    fi
  done
  return 1
}

# Runs a server binary as the cluster's owner: faultline-pg when we are root.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u "$pg_user" -- "$@"
  else
    "$@"
  fi
}

# Concurrent starts (parallel ctest) on a fresh machine must not race useradd
# against each other: creation is serialised with a lock file.
ensure_pg_user() {
  id -u "$pg_user" >/dev/null 2>&1 && return 0
  local lock=/tmp/.faultline-pg-useradd.lock
  {
    flock -w 60 9 || die "cannot lock $lock to create the system user $pg_user"
    if ! id -u "$pg_user" >/dev/null 2>&1; then
      useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$pg_user" \
        >/dev/null 2>&1 || die "cannot create the system user $pg_user (useradd failed)"
    fi
  } 9>"$lock"
}

# The last non-empty line of a log, for a one-line failure message.
last_line() {
  [ -f "$1" ] || return 0
  grep -v '^[[:space:]]*$' "$1" | tail -n 1 | tr -s '\t ' ' '
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Stops a cluster left in DIR (by a crashed run) before DIR is reused or removed.
stop_cluster() {
  local dir=$1 bindir=$2
  local pidfile="$dir/data/postmaster.pid"
  [ -f "$pidfile" ] || return 0
  as_owner "$bindir/pg_ctl" stop -D "$dir/data" -m immediate -w -t 30 >/dev/null 2>&1 && return 0
  # pg_ctl could not do it (corrupt pid file, wrong owner): end the postmaster
  # recorded in the pid file, and only if it is a postgres process.
  local pid
  pid=$(head -n 1 "$pidfile" 2>/dev/null || true)
  if [[ "$pid" =~ ^[0-9]+$ ]] && [ "$(cat "/proc/$pid/comm" 2>/dev/null || true)" = postgres ]; then
    kill -KILL "$pid" 2>/dev/null || true
    local _
    for _ in $(seq 1 50); do
      [ -e "/proc/$pid" ] || return 0
      sleep 0.1
    done
    die "postmaster $pid in $dir does not stop"
  fi
}

# DIR must be empty or one of ours: never wipe a folder this script did not make.
check_dir_is_ours() {
  local dir=$1
  [ "$dir" != / ] || die "refusing to use / as the cluster folder"
  [ -e "$dir" ] || return 0
  [ -d "$dir" ] || die "$dir exists and is not a folder"
  [ -e "$dir/$marker" ] && return 0
  [ -z "$(ls -A "$dir")" ] || die "$dir is not empty and was not made by pg-temp.sh; refusing to touch it"
}

start() {
  local dir=$1
  local bindir
  bindir=$(find_bindir) || die "PostgreSQL server binaries not found (looked in pg_config --bindir and /usr/lib/postgresql/15/bin)"
  [ "$(id -u)" -ne 0 ] || ensure_pg_user

  check_dir_is_ours "$dir"
  if [ -e "$dir/$marker" ]; then
    stop_cluster "$dir" "$bindir"
    find "$dir" -mindepth 1 -delete
  fi
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd -P)
  # A unix socket path is limited to 107 bytes: DIR/.s.PGSQL.NNNNN must fit.
  [ ${#dir} -le 90 ] || die "$dir is too long for a unix socket folder (max 90 characters)"
  touch "$dir/$marker"
  chmod 0700 "$dir"
  if [ "$(id -u)" -eq 0 ]; then
    chown -R "$pg_user:" "$dir"
    runuser -u "$pg_user" -- test -w "$dir" ||
      die "$dir is not reachable by user $pg_user (a parent folder is not traversable); use a folder under /tmp"
  fi
  cd "$dir" # the server's user may not be able to read the caller's working folder

  local setup_log="$dir/setup.log"
  as_owner "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-locale --no-sync \
    >"$setup_log" 2>&1 || die "initdb failed in $dir: $(last_line "$setup_log")"
  cat >>"$dir/data/postgresql.conf" <<EOF

# pg-temp.sh: a throwaway test cluster, loopback only, durability off for speed
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
shared_buffers = 32MB
EOF

  # A random base keeps concurrent starts (parallel ctest, other engineers)
  # apart; a port that another cluster grabs between the probe and the bind
  # makes the start fail with "could not bind", and we move on.
  local port="" candidate attempt server_log="$dir/postgres.log"
  local base=$((20000 + RANDOM % 10000))
  for attempt in $(seq 0 39); do
    candidate=$((base + attempt * 17))
    port_in_use "$candidate" && continue
    : >"$server_log"
    [ "$(id -u)" -ne 0 ] || chown "$pg_user:" "$server_log"
    if as_owner "$bindir/pg_ctl" start -D "$dir/data" -l "$server_log" -w -t 60 -o "-p $candidate" \
      >>"$setup_log" 2>&1; then
      port=$candidate
      break
    fi
    grep -q -e 'could not bind' -e 'could not create any TCP/IP sockets' "$server_log" ||
      die "the server did not start in $dir: $(last_line "$server_log")"
  done
  [ -n "$port" ] || die "no free loopback port found for the server in $dir"

  local ready=0 _
  for _ in $(seq 1 300); do
    if "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" -d postgres -U postgres; then
      ready=1
      break
    fi
    sleep 0.1
  done
  [ "$ready" -eq 1 ] || die "the server in $dir did not become ready on port $port: $(last_line "$server_log")"

  local psql=("$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres)
  "${psql[@]}" -d postgres -c 'CREATE DATABASE trading' >>"$setup_log" 2>&1 ||
    die "cannot create database trading in $dir: $(last_line "$setup_log")"
  "${psql[@]}" -d trading >>"$setup_log" 2>&1 <<'EOF' || die "cannot create table trades in $dir: $(last_line "$setup_log")"
CREATE TABLE trades (
  id bigserial PRIMARY KEY,
  symbol text NOT NULL,
  side text NOT NULL,
  qty int NOT NULL,
  price numeric NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
EOF
  echo "DSN=host=127.0.0.1 port=$port user=postgres dbname=trading"
}

stop() {
  local dir=$1
  [ -e "$dir" ] || return 0
  check_dir_is_ours "$dir"
  local bindir
  bindir=$(find_bindir) || die "PostgreSQL server binaries not found (looked in pg_config --bindir and /usr/lib/postgresql/15/bin)"
  cd /
  stop_cluster "$dir" "$bindir"
  rm -rf -- "$dir"
}

[ $# -eq 2 ] || usage
[ -n "$2" ] || usage
case "$1" in
  start) start "$2" ;;
  stop) stop "$2" ;;
  *) usage ;;
esac
