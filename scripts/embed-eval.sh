#!/usr/bin/env bash
# Retrieval quality of the offline embedders through the real search
# (docs/benchmarks.md, "Built-in embedder"). Writes the evaluation sets
# (kefu embedder eval --write) to a temporary folder, ingests each into its
# own site of the database DATABASE_URL names (use an empty one: sites are
# added to it), embeds every chunk with each embedder, and prints kefu kb
# eval's table for each set, half and embedder.
#
#   DATABASE_URL=postgres://… scripts/embed-eval.sh [dev|held] [EMBEDDER…]
#
# EMBEDDERs default to "hash builtin"; a weights file from kefu embedder
# train works too. KEFU selects the binary (default ./bin/kefu), KEFU_DATASETS
# the shared datasets.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DATABASE_URL:?set DATABASE_URL to an empty database}"
kefu=${KEFU:-./bin/kefu}
half=${1:-dev}
shift || true
embedders=("$@")
[ ${#embedders[@]} -gt 0 ] || embedders=(hash builtin)
case $half in dev | held) ;; *) echo "half must be dev or held" >&2; exit 2 ;; esac

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
$kefu migrate >/dev/null
$kefu embedder eval --embedder hash --write "$dir" --half "$half" >/dev/null

declare -A keys
for set in demo abcd hint3-sofmattress hint3-curekart massive-zh; do
	keys[$set]=$($kefu site add --name "embed-eval $set" --json | jq -r .key)
	KEFU_EMBEDDER=${embedders[0]} $kefu kb ingest --site "${keys[$set]}" "$dir/$set/docs" >/dev/null 2>&1
done
for emb in "${embedders[@]:1}"; do
	KEFU_EMBEDDER=$emb $kefu kb reindex >/dev/null 2>&1
done
for set in demo abcd hint3-sofmattress hint3-curekart massive-zh; do
	for emb in "${embedders[@]}"; do
		echo "== $set, $half half, KEFU_EMBEDDER=$emb"
		KEFU_EMBEDDER=$emb $kefu kb eval --site "${keys[$set]}" --data "$dir/$set/$half.csv"
	done
done
