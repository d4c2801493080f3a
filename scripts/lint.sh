#!/usr/bin/env bash
# make lint: go vet, gofmt, and DESIGN.md's dependency direction.
set -euo pipefail
cd "$(dirname "$0")/.."

go vet ./...

unformatted=$(gofmt -l $(find . -name '*.go' -not -path './.data/*'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change:" $unformatted >&2
	exit 1
fi

# Imports point down DESIGN.md's table: web > chat > intents > knowledge > retrieval > llm.
# sources (syncing pages and feeds) sits beside chat: web > sources > knowledge.
# Each line: a package and the kefu packages it must not import.
fail=0
check() {
	local pkg=$1; shift
	local deps
	deps=$(go list -deps "./$pkg" 2>/dev/null | grep '^kefu/' || true)
	for bad in "$@"; do
		if grep -qx "kefu/$bad" <<<"$deps"; then
			echo "dependency direction: $pkg must not import $bad" >&2
			fail=1
		fi
	done
}
check web cmd/kefu
check chat sources web cmd/kefu internal/notify
check sources chat intents web cmd/kefu
check intents chat sources web cmd/kefu
check knowledge intents chat sources web cmd/kefu internal/fetch
# knowledge/parse (document files to text) sits under knowledge: knowledge > knowledge/parse > retrieval.
check knowledge/parse knowledge intents chat sources web cmd/kefu internal/fetch internal/webhook internal/notify
check retrieval knowledge knowledge/parse intents chat sources web cmd/kefu internal/fetch
check llm retrieval knowledge knowledge/parse intents chat sources web cmd/kefu internal/fetch
check migrations llm retrieval knowledge knowledge/parse intents chat sources web cmd/kefu internal/fetch
check internal/fetch llm retrieval knowledge knowledge/parse intents chat sources web cmd/kefu internal/webhook internal/notify
# Webhooks sit below everything but internal/fetch (chat records events
# through an interface of its own; any package may emit).
# Notifications sit between web and chat: web > internal/notify > chat.
check internal/webhook chat sources web cmd/kefu intents knowledge retrieval llm internal/notify
check internal/notify web cmd/kefu
# Only web talks HTTP/websocket frameworks; only llm talks to go-openai.
for pkg in chat intents knowledge retrieval llm migrations sources internal/fetch internal/webhook internal/notify; do
	if go list -deps "./$pkg" | grep -qE '^github.com/(labstack/echo|gorilla/websocket)'; then
		echo "dependency direction: $pkg must not import echo or gorilla/websocket" >&2
		fail=1
	fi
done
for pkg in web chat intents knowledge knowledge/parse retrieval migrations; do
	if go list -f '{{join .Imports "\n"}}' "./$pkg" | grep -q '^github.com/sashabaranov/go-openai'; then
		echo "dependency direction: only llm imports go-openai ($pkg does)" >&2
		fail=1
	fi
done
# The document parsing libraries stay in knowledge/parse: Markdown
# (goldmark), PDF (ledongthuc/pdf) and the HTML parser (x/net/html). sources
# parses fetched pages too, for what a sync needs (links, canonical URL,
# robots directives) and to cut out the main content with readability
# (sources alone), which it hands to knowledge/parse as HTML.
while read -r pkg imports; do
	for imp in $imports; do
		case $imp in
		github.com/yuin/goldmark | github.com/yuin/goldmark/* | github.com/ledongthuc/pdf | github.com/ledongthuc/pdf/*)
			allowed="kefu/knowledge/parse" ;;
		golang.org/x/net/html | golang.org/x/net/html/atom)
			allowed="kefu/knowledge/parse kefu/sources" ;;
		codeberg.org/readeck/go-readability/*)
			allowed="kefu/sources" ;;
		*) continue ;;
		esac
		if [[ " $allowed " != *" $pkg "* ]]; then
			echo "dependency direction: only ${allowed// / and } may import $imp ($pkg does)" >&2
			fail=1
		fi
	done
done < <(go list -f '{{.ImportPath}} {{join .Imports " "}}' ./...)
# Outbound HTTP to addresses users name goes through internal/fetch alone
# (private addresses refused, limits kept); llm talks to the operator's
# model endpoint, internal/notify to the operator's SMTP relay, and the bench
# commands to a kefu they started.
outbound=$(grep -lE 'http\.(Get|Post|Head|PostForm)\(|http\.DefaultClient|http\.Client\{|http\.Transport\{|net\.Dial\(|net\.Dialer\{|readability\.FromURL' \
	$(find . -name '*.go' -not -name '*_test.go' -not -path './.data/*' -not -path './internal/fetch/*' -not -path './llm/*' \
		-not -path './internal/notify/*' -not -path './internal/fakellm/*' -not -path './cmd/kefu/bench*.go') || true)
if [ -n "$outbound" ]; then
	echo "outbound HTTP outside internal/fetch (use fetch.Client):" $outbound >&2
	fail=1
fi
# Only internal/notify talks SMTP.
for pkg in web chat intents knowledge knowledge/parse retrieval llm sources internal/fetch internal/webhook; do
	if go list -f '{{join .Imports "\n"}}' "./$pkg" | grep -q '^github.com/emersion/go-smtp'; then
		echo "dependency direction: only internal/notify imports go-smtp ($pkg does)" >&2
		fail=1
	fi
done
exit $fail
