# A throwaway PostgreSQL for the benchmarks, sourced by bench/pg_*.sh (not run by itself). Like the tests'
# (tests/support/postgres_server.cpp): initdb into a temporary folder as an unprivileged user (initdb and postgres
# refuse root), a free loopback port, password authentication. Unlike the tests' server it keeps fsync on: the
# benchmarks measure durable writes (cloudopt forces synchronous_commit on; psql's \copy gets the same setting).
#
# After pg_start (its folder is a new /tmp/cloudopt-bench-pg-*, removed by pg_stop): PG_PORT, PG_USER, PG_PASSWORD (also exported as PGPASSWORD and CLOUDOPT_STORE_PASSWORD for
# psql and cloudopt), PG_BIN; pg_url DB prints postgres://USER@127.0.0.1:PORT/DB; pg_psql DB ... runs psql there;
# pg_stop stops the server. Settings: PG_SHARED_BUFFERS (default 256MB), PG_MAX_CONNECTIONS (default 300).

pg_bindir() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$d/initdb" ] && [ -x "$d/postgres" ] && { echo "$d"; return; }
  done
  command -v initdb >/dev/null && dirname "$(command -v initdb)"
}

pg_start() {
  local dir as=""
  dir=$(mktemp -d /tmp/cloudopt-bench-pg-XXXXXX)
  PG_BIN=$(pg_bindir)
  [ -n "$PG_BIN" ] || { echo "PostgreSQL server binaries not found: apt-get install postgresql-15" >&2; return 1; }
  PG_DIR=$dir
  PG_USER=cloudopt_bench
  PG_PASSWORD=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
  export PGPASSWORD=$PG_PASSWORD CLOUDOPT_STORE_PASSWORD=$PG_PASSWORD
  PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  echo "$PG_PASSWORD" >"$dir/pw"
  if [ "$(id -u)" = 0 ]; then
    as=postgres
    id "$as" >/dev/null 2>&1 || as=nobody
    chown -R "$as" "$dir"
  fi
  PG_AS=$as
  _pg_as "$PG_BIN/initdb" -D "$dir/data" -U "$PG_USER" --pwfile="$dir/pw" -A scram-sha-256 --auth-local=trust \
    -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 || { tail "$dir/initdb.log" >&2; return 1; }
  local run=()
  [ -z "$as" ] || run=(setpriv --reuid="$as" --regid="$(id -g "$as")" --clear-groups --)
  # Started directly, not through a function (which would run in a subshell): $! is then postgres itself.
  "${run[@]}" "$PG_BIN/postgres" -D "$dir/data" -k "$dir" -p "$PG_PORT" -c listen_addresses=127.0.0.1 \
    -c "shared_buffers=${PG_SHARED_BUFFERS:-256MB}" -c "max_connections=${PG_MAX_CONNECTIONS:-300}" \
    -c max_wal_size=4GB -c synchronous_commit=on -c fsync=on >"$dir/postgres.log" 2>&1 &
  PG_PID=$!
  local i
  for i in $(seq 300); do
    "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" && return 0
    kill -0 "$PG_PID" 2>/dev/null || { tail "$dir/postgres.log" >&2; return 1; }
    sleep 0.1
  done
  echo "postgres did not start within 30 s" >&2
  return 1
}

# setpriv execs (runuser would stay the parent and keep the signal from postgres).
_pg_as() { if [ -n "$PG_AS" ]; then setpriv --reuid="$PG_AS" --regid="$(id -g "$PG_AS")" --clear-groups -- "$@"; else "$@"; fi; }

pg_url() { echo "postgres://$PG_USER@127.0.0.1:$PG_PORT/$1"; }

pg_psql() {
  local db=$1
  shift
  psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d "$db" "$@"
}

pg_stop() {
  [ -n "${PG_PID:-}" ] || return 0
  kill -INT "$PG_PID" 2>/dev/null
  wait "$PG_PID" 2>/dev/null
  PG_PID=
  rm -rf "$PG_DIR"
}
