#!/usr/bin/env bash
# make lint: go vet, gofmt, and DESIGN.md's dependency direction.
set -euo pipefail
cd "$(dirname "$0")/.."

go vet ./...
go vet -tags bench ./cmd/kefu # the benchmark build (kefu bench chat, fakemodel)

unformatted=$(gofmt -l $(find . -name '*.go' -not -path './.data/*'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change:" $unformatted >&2
	exit 1
fi

# Imports point down DESIGN.md's table: web > internal/notify > internal/privacy >
# internal/analytics > chat > internal/audit > internal/account, internal/sites >
# intents > knowledge > retrieval > llm. sources (syncing pages and feeds) sits
# beside chat: web > sources > knowledge.
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
# only: a package that may import no kefu package but those named.
only() {
	local pkg=$1; shift
	local dep
	for dep in $(go list -deps "./$pkg" 2>/dev/null | grep '^kefu/' | grep -vx "kefu/$pkg" || true); do
		if ! grep -qwx "${dep#kefu/}" <(printf '%s\n' "$@"); then
			echo "dependency direction: $pkg must not import ${dep#kefu/} (only: ${*:-no kefu package})" >&2
			fail=1
		fi
	done
}
above_chat="internal/notify internal/privacy internal/analytics"
check web cmd/kefu
check internal/notify web cmd/kefu
check internal/privacy internal/notify web cmd/kefu sources
check internal/analytics internal/privacy internal/notify internal/audit web cmd/kefu sources
check chat $above_chat internal/audit sources web cmd/kefu
only internal/audit internal/account internal/page
only internal/account internal/page
only internal/sites
only internal/page # the page shape every listing shares: a leaf
check sources chat intents $above_chat internal/audit internal/account internal/sites web cmd/kefu
check intents chat sources $above_chat internal/audit internal/account internal/sites web cmd/kefu
check knowledge intents chat sources $above_chat internal/audit internal/account internal/sites web cmd/kefu internal/fetch
# knowledge/parse (document files to text) sits under knowledge: knowledge > knowledge/parse > retrieval.
check knowledge/parse knowledge intents chat sources $above_chat internal/audit internal/account internal/sites web cmd/kefu \
	internal/fetch internal/webhook internal/notify
check retrieval knowledge knowledge/parse intents chat sources web cmd/kefu internal/fetch
check llm retrieval knowledge knowledge/parse intents chat sources web cmd/kefu internal/fetch
check migrations llm retrieval knowledge knowledge/parse intents chat sources web cmd/kefu internal/fetch
check internal/fetch llm retrieval knowledge knowledge/parse intents chat sources web cmd/kefu internal/webhook internal/notify
# internal/app, the composition root, may import every package; only cmd/
# imports it (and tests). internal/kefutest (the test harness) is for tests
# alone: no package's own files import it.
while read -r pkg imports; do
	for imp in $imports; do
		if [ "$imp" = kefu/internal/app ] && [[ $pkg != kefu/cmd/* ]] && [ "$pkg" != kefu/internal/kefutest ]; then
			echo "dependency direction: only cmd/ and tests import internal/app ($pkg does)" >&2
			fail=1
		fi
		if [ "$imp" = kefu/internal/kefutest ]; then
			echo "dependency direction: only tests import internal/kefutest ($pkg does)" >&2
			fail=1
		fi
	done
done < <(go list -f '{{.ImportPath}} {{join .Imports " "}}' ./... ; go list -tags bench -f '{{.ImportPath}} {{join .Imports " "}}' ./cmd/kefu)
# Webhooks sit below everything but internal/fetch (chat records events
# through an interface of its own; any package may emit).
check internal/webhook chat sources web cmd/kefu intents knowledge retrieval llm internal/notify
# Each table has one owner: only the owner's own files write it (insert,
# update, delete, truncate, copy); others call the owner, in one
# transaction where several owners take part (internal/privacy). Reads
# (joins for a list, an export) may cross. Each line: the owner package and
# its tables (migrations create them).
owners="
internal/sites sites
internal/account users user_sites sessions api_tokens agent_presence
internal/audit audit_log
internal/analytics analytics_archive
chat visitors conversations messages conversation_events canned_responses answer_tests answer_test_runs answer_test_results
knowledge customers orders products documents document_files knowledge_changes knowledge_synonyms
retrieval chunks chunk_embeddings site_stats term_stats
intents intent_examples
sources sources source_pages source_products sync_runs
internal/webhook webhook_subscriptions webhook_events webhook_deliveries webhook_attempts
internal/notify notification_prefs notifications_sent
"
gofiles=$(find . -name '*.go' -not -name '*_test.go' -not -path './.data/*' | sed 's|^\./||')
owned=" "
while read -r owner tables; do
	[ -n "$owner" ] || continue
	for t in $tables; do
		owned+="$t "
		for f in $(grep -lEi "(insert into|update|delete from|truncate( table)?) +$t\b|Identifier\{\"$t\"\}" $gofiles || true); do
			if [ "$(dirname "$f")" != "$owner" ] && grep -vE '^\s*//' "$f" | grep -qEi "(insert into|update|delete from|truncate( table)?) +$t\b|Identifier\{\"$t\"\}"; then
				echo "table ownership: $f writes $t, which $owner owns (call $owner instead)" >&2
				fail=1
			fi
		done
	done
done <<<"$owners"
for t in $(grep -hoiE "create (unlogged )?table (if not exists )?[a-z_]+" migrations/*.sql | awk '{print $NF}' | sort -u); do
	if [[ "$owned" != *" $t "* ]]; then
		echo "table ownership: migrations create $t, which scripts/lint.sh gives no owner" >&2
		fail=1
	fi
done
# Only web talks HTTP/websocket frameworks; only llm talks to go-openai.
for pkg in chat intents knowledge retrieval llm migrations sources internal/fetch internal/webhook internal/notify \
	internal/privacy internal/analytics internal/audit internal/account internal/sites; do
	if go list -deps "./$pkg" | grep -qE '^github.com/(labstack/echo|gorilla/websocket)'; then
		echo "dependency direction: $pkg must not import echo or gorilla/websocket" >&2
		fail=1
	fi
done
for pkg in web chat intents knowledge knowledge/parse retrieval migrations internal/privacy internal/analytics internal/audit \
	internal/account internal/sites; do
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
