#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL server (Debian's postgresql package) on a free loopback
# port, exported as TSHUB_TEST_POSTGRES; the server and its data directory are removed afterwards.
# usage: scripts/with-postgres.sh COMMAND [ARGS...]
set -euo pipefail
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bindir" ] || { echo "with-postgres: PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 2; }
data=$(mktemp -d /tmp/tshub-pg.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_pg=()
if [ "$(id -u)" = 0 ]; then
  chown postgres "$data"
  as_pg=(runuser -u postgres --)
fi
cleanup() {
  "${as_pg[@]}" "$bindir/pg_ctl" -D "$data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$data"
}
trap cleanup EXIT
"${as_pg[@]}" "$bindir/initdb" -D "$data" -A trust -U postgres >/dev/null
"${as_pg[@]}" "$bindir/pg_ctl" -D "$data" -l "$data/server.log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $data -c fsync=off -c max_connections=200" start >/dev/null
export TSHUB_TEST_POSTGRES="postgresql://postgres@127.0.0.1:$port/postgres"
"$@"
