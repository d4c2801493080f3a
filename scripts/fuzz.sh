#!/usr/bin/env bash
# make fuzz: run every fuzz target for FUZZTIME each (default 30s). Their seed
# corpora (and any crashers saved under testdata/fuzz/) already run in make
# test; a crasher this finds is written to <pkg>/testdata/fuzz/<Target>/ and
# so becomes a regression test there: fix the bug, keep the file.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-30s}

# package target
targets="
web FuzzDecodeFrame
retrieval FuzzTokenize
intents FuzzExtract
knowledge/parse FuzzParseMarkdown
knowledge/parse FuzzParseHTML
knowledge/parse FuzzParsePDF
knowledge/parse FuzzParseCSV
knowledge FuzzChunkDocument
"
# Every Fuzz func in the tree must be listed above.
found=$(grep -rhoE --include='*_test.go' '^func Fuzz[A-Za-z0-9_]+' . | sed 's/^func //' | sort)
listed=$(awk 'NF == 2 {print $2}' <<<"$targets" | sort)
if [ "$found" != "$listed" ]; then
	echo "scripts/fuzz.sh: fuzz targets in the tree and in this list differ:" >&2
	diff <(echo "$listed") <(echo "$found") >&2 || true
	exit 1
fi

while read -r pkg target; do
	[ -n "$pkg" ] || continue
	echo "== $pkg $target ($fuzztime)"
	go test -run '^$' -fuzz "^$target\$" -fuzztime "$fuzztime" "./$pkg"
done <<<"$targets"
