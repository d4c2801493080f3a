#!/usr/bin/env bash
# Retrieval figures for docs/benchmarks.md: ingests each set that
# scripts/evalsets wrote into a fresh site and runs `kefu kb eval` on its
# dev (or held-out) queries.
#
#   go run ./scripts/evalsets -out /tmp/kefu-eval
#   DATABASE_URL=... scripts/kb-eval.sh [-bin ./bin/kefu] [-half dev|held] [-sets "demo abcd ..."] [-features DIR] [/tmp/kefu-eval]
# -features DIR also writes DIR/SET-HALF.jsonl (the reranker's training data: kefu kb rerank).
# Each run makes new sites; use a scratch database.
set -euo pipefail
bin=./bin/kefu half=dev sets="demo abcd hint3-sofmattress hint3-curekart massive-zh" features=
while [ $# -gt 0 ]; do
	case $1 in
	-bin) bin=$2; shift 2 ;;
	-half) half=$2; shift 2 ;;
	-sets) sets=$2; shift 2 ;;
	-features) features=$2; shift 2 ;;
	*) break ;;
	esac
done
dir=${1:-/tmp/kefu-eval}
for set in $sets; do
	key=$("$bin" site add --name "eval $set $(date +%s%N)" --origin http://eval.test --json 2>/dev/null |
		sed -n 's/.*"key": *"\([^"]*\)".*/\1/p' | head -1)
	"$bin" kb ingest --site "$key" "$dir/$set/kb/" >/dev/null 2>&1
	echo "== $set ($half)"
	extra=()
	[ -n "$features" ] && mkdir -p "$features" && extra=(--features "$features/$set-$half.jsonl")
	"$bin" kb eval --site "$key" --data "$dir/$set/$half.csv" "${extra[@]}" 2>/dev/null
done
