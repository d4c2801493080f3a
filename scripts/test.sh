#!/usr/bin/env bash
# make test: lint, then every test against a throwaway PostgreSQL + pgvector
# cluster that this script starts and removes. Extra arguments go to go test
# (make bench passes -bench flags through this script too).
set -euo pipefail
cd "$(dirname "$0")/.."

# --chromium: the widget's browser tests drive Debian's headless Chromium (with CJK fonts).
bindir=$(scripts/provision.sh --chromium --print-bindir)
scripts/lint.sh

tmp=$(mktemp -d /tmp/kefu-test-XXXXXX)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres: "$tmp"
chmod 755 "$tmp"
cleanup() {
	as_pg "$bindir/pg_ctl" stop -D "$tmp/pg" -m immediate >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT

as_pg "$bindir/initdb" -D "$tmp/pg" -U postgres -A trust -E UTF8 --no-locale >"$tmp/initdb.log" 2>&1 ||
	{ cat "$tmp/initdb.log"; exit 1; }
# Unix socket only (no TCP port to collide with); durability off: it is thrown away.
as_pg "$bindir/pg_ctl" start -D "$tmp/pg" -l "$tmp/pg.log" -w -t 60 \
	-o "-c listen_addresses='' -k $tmp -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
	>/dev/null || { cat "$tmp/pg.log"; exit 1; }

export KEFU_TEST_DATABASE_URL="postgres://postgres@/postgres?host=$tmp&port=5432&sslmode=disable"
export KEFU_PG_BINDIR="$bindir"
echo "test database: $tmp (PostgreSQL $(basename "$(dirname "$bindir")"))"
if [ $# -gt 0 ]; then
	go test "$@"
	exit
fi
go test -race -count=1 ./...
