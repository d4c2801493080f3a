#!/usr/bin/env bash
# The answers measure of docs/benchmarks.md: starts kefu (BIN, default
# ./bin/kefu) with the demo shop on a fresh database in the cluster of
# DATABASE_URL's host, asks docs/eval/demo/questions.csv through the widget
# socket with `kefu bench answers`, prints the table, and stops the server.
#
#   DATABASE_URL=postgres://postgres@/postgres?host=/tmp/devpg scripts/answers-eval.sh [-bin BIN] [-half dev|held] [-hallucinate] [-- bench answers flags]
# -hallucinate serves the server a fake model that invents facts in every
# first draft (kefu bench fakemodel) and reports how many reached shoppers.
# Extra environment (e.g. OPENAI_BASE_URL for a real model) passes to the server.
set -euo pipefail
bin=./bin/kefu half=dev port=${PORT:-8097} hallucinate=
while [ $# -gt 0 ]; do
	case $1 in
	-bin) bin=$2; shift 2 ;;
	-half) half=$2; shift 2 ;;
	-hallucinate) hallucinate=1; shift ;;
	--) shift; break ;;
	*) break ;;
	esac
done
base=${DATABASE_URL:?set DATABASE_URL to a scratch cluster}
db="answers_$$"
admin=$(sed -E 's#(postgres(ql)?://[^/]*/)[^?]*#\1postgres#' <<<"$base")
url=$(sed -E "s#(postgres(ql)?://[^/]*/)[^?]*#\1$db#" <<<"$base")
psql "$admin" -qc "create database $db" >/dev/null
log=$(mktemp)
cleanup() {
	[ -n "${pid:-}" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
	[ -n "${fpid:-}" ] && kill "$fpid" 2>/dev/null && wait "$fpid" 2>/dev/null || true
	psql "$admin" -qc "drop database if exists $db with (force)" >/dev/null 2>&1 || true
	rm -f "$log"
}
trap cleanup EXIT
extra=()
if [ -n "$hallucinate" ]; then
	invented=$(mktemp)
	# the fake model comes with the benchmark build only (make build-bench)
	./bin/kefu bench fakemodel --addr 127.0.0.1:$((port + 1)) --log "$invented" >/dev/null 2>&1 &
	fpid=$!
	export OPENAI_BASE_URL=http://127.0.0.1:$((port + 1))/v1 KEFU_CHAT_MODEL=fake
	extra=(--invented "$invented")
fi
DATABASE_URL=$url KEFU_ADDR=127.0.0.1:$port "$bin" serve --demo --new-visitor-rate 1000000 --visitor-rate 1000 --site-rate 100000 >"$log" 2>&1 &
pid=$!
for _ in $(seq 1 120); do
	curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && grep -q "document ingested.*warranty-zh.md\|demo shop" "$log" && break
	sleep 0.5
done
# wait until the demo documents are ingested
for _ in $(seq 1 120); do
	n=$(psql "$url" -Atc "select count(*) from documents where status <> 'ready'" 2>/dev/null || echo 1)
	[ "$n" = 0 ] && break
	sleep 0.5
done
key=$(psql "$url" -Atc "select key from sites order by id limit 1")
secret=$(psql "$url" -Atc "select secret from sites order by id limit 1")
./bin/kefu bench answers --url "http://127.0.0.1:$port" --site "$key" --secret "$secret" --origin http://localhost:8080 --half "$half" "${extra[@]}" "$@"
