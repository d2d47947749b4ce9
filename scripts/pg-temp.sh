#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for tests and the demo.
#
#   pg-temp.sh start DIR   a cluster in DIR on a free loopback port, with
#                          database `trading` and table `trades`; prints
#                          DSN=host=127.0.0.1 port=N user=postgres dbname=trading
#   pg-temp.sh stop DIR    stop the cluster immediately and remove DIR
#
# The server refuses to run as root, so as root the cluster belongs to the
# unprivileged system user faultline-pg (created once). Trust authentication
# is safe only because the server listens on 127.0.0.1 and a socket in DIR.
# Only the DSN line goes to stdout; a failure is one line on stderr, exit 1.
#
# initdb dominates start-up and every test process starts its own cluster,
# so the first start builds a template cluster under
# /tmp/faultline-pg-cache-<uid> and later starts copy it. The cache key
# covers the server version and this script, so an edit here rebuilds it.
#
#   FAULTLINE_PG_BINDIR   where the server binaries are (default: pg_config
#                         --bindir, then /usr/lib/postgresql/15/bin)
#   FAULTLINE_PG_CACHE    the template cache folder, or "off"
set -euo pipefail
shopt -s inherit_errexit # failures inside $(...) end the script too

readonly pg_user=faultline-pg
readonly marker=.faultline-pg-temp
self=$(realpath "${BASH_SOURCE[0]}")
readonly self

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

is_root() { [ "$(id -u)" -eq 0 ]; }

# Runs a server binary as the cluster's owner: faultline-pg when we are root.
as_owner() {
  if is_root; then
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

# Runs one SQL command in single-user mode: no port, no socket, no race.
single_user_sql() {
  local bindir=$1 data=$2 database=$3 sql=$4 log=$5
  echo "$sql" | as_owner "$bindir/postgres" --single -D "$data" -F -c exit_on_error=true "$database" >>"$log" 2>&1
}

# A complete cluster in DATA (which must not exist yet; its parent belongs to
# the owner): initdb, the test settings, database trading and table trades.
build_cluster() {
  local bindir=$1 data=$2 log=$3
  as_owner "$bindir/initdb" -D "$data" -U postgres -A trust -E UTF8 --no-locale --no-sync --wal-segsize=1 \
    >>"$log" 2>&1 || die "initdb failed in $data: $(last_line "$log")"
  {
    echo
    echo "# pg-temp.sh: a throwaway test cluster, loopback only, durability off for speed"
    echo "listen_addresses = '127.0.0.1'"
    echo "fsync = off"
    echo "synchronous_commit = off"
    echo "full_page_writes = off"
    echo "max_connections = 200"
    echo "shared_buffers = 32MB"
    echo "min_wal_size = 4MB"
  } >>"$data/postgresql.conf"
  single_user_sql "$bindir" "$data" postgres "CREATE DATABASE trading" "$log" ||
    die "cannot create database trading in $data: $(last_line "$log")"
  single_user_sql "$bindir" "$data" trading "CREATE TABLE trades (id bigserial PRIMARY KEY, symbol text NOT NULL, \
side text NOT NULL, qty int NOT NULL, price numeric NOT NULL, created_at timestamptz NOT NULL DEFAULT now())" "$log" ||
    die "cannot create table trades in $data: $(last_line "$log")"
}

# Prints the template cluster's data folder, building it once (under a lock:
# parallel starts wait for one build). Prints nothing when caching is off or
# the cache folder is not safely ours; the caller then builds in place.
template_cluster() {
  local bindir=$1
  local cache=${FAULTLINE_PG_CACHE:-/tmp/faultline-pg-cache-$(id -u)}
  [ "$cache" != off ] || return 0
  mkdir -p "$cache" 2>/dev/null || return 0
  # A folder in /tmp that someone else made, or a symlink, is not trusted.
  { [ ! -L "$cache" ] && [ "$(stat -c %u "$cache")" = "$(id -u)" ]; } || return 0
  chmod 0755 "$cache"
  local key
  key=$({ "$bindir/postgres" --version && cat "$self"; } | sha256sum | cut -c1-16)
  local template="$cache/$key"
  {
    flock -w 300 9 || die "cannot lock the template cache $cache"
    if [ ! -e "$template/ready" ]; then
      # Templates of other script or server versions are stale.
      find "$cache" -mindepth 1 -maxdepth 1 ! -name "$key" ! -name "$key.*" -exec rm -rf {} +
      rm -rf "$template" "$template.build"
      mkdir -p "$template.build"
      ! is_root || chown "$pg_user:" "$template.build"
      (cd "$template.build" && build_cluster "$bindir" "$template.build/data" "$template.build/setup.log") || exit 1
      touch "$template.build/ready"
      mv -T "$template.build" "$template"
    fi
  } 9>"$cache/$key.lock"
  echo "$template/data"
}

start() {
  local dir=$1
  local bindir
  bindir=$(find_bindir) || die "PostgreSQL server binaries not found (looked in pg_config --bindir and /usr/lib/postgresql/15/bin)"
  ! is_root || ensure_pg_user

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
  if is_root; then
    chown -R "$pg_user:" "$dir"
    runuser -u "$pg_user" -- test -w "$dir" ||
      die "$dir is not reachable by user $pg_user (a parent folder is not traversable); use a folder under /tmp"
  fi
  cd "$dir" # the server's user may not be able to read the caller's working folder

  local setup_log="$dir/setup.log" template
  template=$(template_cluster "$bindir")
  if [ -n "$template" ]; then
    cp -a "$template" "$dir/data" || die "cannot copy the template cluster $template to $dir"
  else
    build_cluster "$bindir" "$dir/data" "$setup_log"
  fi

  # A random base keeps concurrent starts (parallel ctest, other engineers)
  # apart; a port that another cluster grabs between the probe and the bind
  # makes the start fail with "could not bind", and we move on.
  local port="" candidate attempt server_log="$dir/postgres.log"
  local base=$((20000 + RANDOM % 10000))
  for attempt in $(seq 0 39); do
    candidate=$((base + attempt * 17))
    port_in_use "$candidate" && continue
    : >"$server_log"
    ! is_root || chown "$pg_user:" "$server_log"
    if as_owner "$bindir/pg_ctl" start -D "$dir/data" -l "$server_log" -w -t 60 -o "-p $candidate -k $dir" \
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
    if "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" -d trading -U postgres; then
      ready=1
      break
    fi
    sleep 0.1
  done
  [ "$ready" -eq 1 ] || die "the server in $dir did not become ready on port $port: $(last_line "$server_log")"
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
