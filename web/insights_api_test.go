package web_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"kefu/chat"
	"kefu/internal/audit"
	"kefu/internal/kefutest"
	"kefu/internal/sites"
)

// scriptGap stores a conversation where the shopper asked text and the bot
// abstained (as the bot's turn records it).
func (env *consoleEnv) scriptGap(site *sites.Site, text string) string {
	env.t.Helper()
	ctx := context.Background()
	v, err := env.store.NewVisitor(ctx, site.ID, "en")
	if err != nil {
		env.t.Fatal(err)
	}
	conv, err := env.store.OpenConversation(ctx, v, "en")
	if err != nil {
		env.t.Fatal(err)
	}
	m, _, _, err := env.store.Append(ctx, &chat.Message{ConversationID: conv.ID, Role: chat.RoleShopper, Text: text})
	if err != nil {
		env.t.Fatal(err)
	}
	env.store.Annotate(ctx, m.ID, "other", 0.5, "negative", -0.6)
	no, conf := false, 0.12
	if _, _, _, err := env.store.Append(ctx, &chat.Message{ConversationID: conv.ID, Role: chat.RoleBot, Text: "I don't know",
		Answered: &no, RetrievalConfidence: &conf}); err != nil {
		env.t.Fatal(err)
	}
	return conv.ID
}

func TestInsightsAPI(t *testing.T) {
	env := newConsoleEnv(t)
	admin, agent := env.session("admin", env.admin), env.session("agent", env.agent)
	token := caller{name: "token", bearer: bootstrapToken}
	today := time.Now().UTC().Format(time.DateOnly)
	weekAgo := time.Now().UTC().AddDate(0, 0, -7).Format(time.DateOnly)
	period := "from=" + weekAgo + "&to=" + today
	site := "&site=" + url.QueryEscape(env.site.Key)

	env.scriptGap(env.site, "do you ship to Canada?")
	env.scriptGap(env.site, "Canada shipping?")
	env.scriptGap(env.site, "=HYPERLINK(\"http://evil\") gift cards?")
	env.scriptGap(env.other, "do you ship to Norway?")

	for _, kind := range []string{"gaps", "at-risk", "topics"} {
		path := "/api/v1/analytics/" + kind + "?" + period
		if code, _ := env.json(agent, http.MethodGet, path+site, nil); code != http.StatusForbidden {
			t.Errorf("agent GET %s: %d; want 403", kind, code)
		}
		if code, body := env.json(admin, http.MethodGet, path+site, nil); code != http.StatusOK {
			t.Errorf("admin GET %s: %d %v", kind, code, body)
		}
		if code, body := env.json(token, http.MethodGet, path+site, nil); code != http.StatusOK {
			t.Errorf("token GET %s: %d %v", kind, code, body)
		}
		if code, _ := env.json(token, http.MethodGet, path, nil); code != http.StatusBadRequest {
			t.Errorf("token GET %s without site: %d; want 400", kind, code)
		}
		for _, bad := range []string{"from=2026-13-01&to=" + today, "from=" + today + "&to=" + weekAgo, "from=yesterday",
			"from=2020-01-01&to=2026-01-01", period + "&format=xml"} {
			if code, body := env.json(admin, http.MethodGet, "/api/v1/analytics/"+kind+"?"+bad+site, nil); code != http.StatusBadRequest {
				t.Errorf("GET %s?%s: %d %v; want 400", kind, bad, code, body)
			}
		}
		code, header, body := env.getRaw(admin, path+site+"&format=csv")
		if ctype := header.Get("Content-Type"); code != http.StatusOK || !strings.HasPrefix(ctype, "text/csv") {
			t.Errorf("GET %s as CSV: %d %s", kind, code, header.Get("Content-Type"))
		}
		if _, err := csv.NewReader(strings.NewReader(body)).ReadAll(); err != nil || !strings.Contains(body, "\n") {
			t.Errorf("GET %s as CSV is not CSV: %v\n%s", kind, err, body)
		}
	}

	// Gaps: grouped, per site, and with every field the console reads.
	_, body := env.json(admin, http.MethodGet, "/api/v1/analytics/gaps?"+period+site, nil)
	items, _ := body["items"].([]any)
	if len(items) != 2 {
		t.Fatalf("gaps of site 1: %v; want 2 groups (Canada, gift cards)", body)
	}
	g1 := items[0].(map[string]any)
	if g1["id"] != "g1" || g1["count"] != 2.0 || len(g1["examples"].([]any)) != 2 || g1["languages"].([]any)[0] != "en" ||
		g1["reasons"].(map[string]any)["abstained"] != 2.0 || len(g1["conversation_ids"].([]any)) != 2 ||
		g1["draft"].(map[string]any)["answer"] != "" || g1["last_at"] == "" {
		t.Errorf("first gap %v", g1)
	}
	_, body = env.json(admin, http.MethodGet, "/api/v1/analytics/gaps?"+period, nil)
	if all, _ := body["items"].([]any); len(all) != 3 {
		t.Errorf("an admin's gaps of every site: %v; want 3 groups", body)
	}
	_, _, gapsCSV := env.getRaw(admin, "/api/v1/analytics/gaps?"+period+site+"&format=csv")
	if !strings.Contains(gapsCSV, `'=HYPERLINK`) || !strings.HasPrefix(gapsCSV, "id,count,question,") {
		t.Errorf("gaps CSV does not neutralise formulas or lacks its header:\n%s", gapsCSV)
	}

	// At risk: the visitors were negative once each, which is not "repeated".
	_, body = env.json(admin, http.MethodGet, "/api/v1/analytics/at-risk?"+period+site, nil)
	if items, ok := body["items"].([]any); !ok || len(items) != 0 {
		t.Errorf("at-risk: %v; want an empty list", body)
	}
	// Topics: every topic, total counts the negative messages.
	_, body = env.json(admin, http.MethodGet, "/api/v1/analytics/topics?"+period+site, nil)
	if topics, _ := body["topics"].([]any); len(topics) != 6 || body["total"] != 3.0 {
		t.Errorf("topics: %v; want 6 topics and 3 texts", body)
	}
}

func TestPublishGapAnswersShoppers(t *testing.T) {
	var logs kefutest.Buffer
	env := newPrivacyEnv(t, &logs) // with the audit log
	ctx := context.Background()
	admin, agent := env.session("admin", env.admin), env.session("agent", env.agent)
	question := "Do you ship to Canada?"
	answer := "Yes. We ship to Canada with Canada Post; delivery takes 7 to 10 business days and duties are included."
	entry := map[string]any{"site": env.site.Key, "question": question, "answer": answer, "title": "Shipping to Canada"}

	// A shopper asks first; the knowledge base has no answer: a gap, not covered.
	askBot := func(clientID, text string) *chat.Message {
		t.Helper()
		sess, err := env.engine.Hello(ctx, env.site, "", "en", nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := env.engine.Post(ctx, sess, clientID, text); err != nil {
			t.Fatal(err)
		}
		var reply *chat.Message
		kefutest.WaitFor(t, func() bool {
			msgs, err := env.store.Messages(ctx, sess.Conversation.ID, 0, 0, false)
			if err != nil {
				t.Fatal(err)
			}
			for i := range msgs {
				if msgs[i].Role == chat.RoleBot {
					reply = &msgs[i]
				}
			}
			return reply != nil
		}, "the bot's reply to %q", text)
		return reply
	}
	today := time.Now().UTC().Format("2006-01-02")
	gapsURL := "/api/v1/analytics/gaps?from=" + today + "&to=" + today + "&site=" + env.site.Key
	covered := func() []any {
		t.Helper()
		code, body := env.json(admin, http.MethodGet, gapsURL, nil)
		items, _ := body["items"].([]any)
		if code != http.StatusOK || len(items) != 1 {
			t.Fatalf("gaps: %d %v; want one group", code, body)
		}
		g := items[0].(map[string]any)
		return []any{g["question"], g["covered"]}
	}
	if before := askBot("q0", question); before.Answered == nil || *before.Answered {
		t.Fatalf("before publishing the bot answered %q", before.Text)
	}
	if got := covered(); got[1] != false {
		t.Errorf("gap before publishing: %v; want covered false", got)
	}

	if code, _ := env.json(agent, http.MethodPost, "/api/v1/analytics/gaps/publish", entry); code != http.StatusForbidden {
		t.Errorf("agent publish: %d; want 403", code)
	}
	for name, bad := range map[string]any{
		"empty answer":  map[string]any{"site": env.site.Key, "question": question, "answer": "  "},
		"no question":   map[string]any{"site": env.site.Key, "answer": answer},
		"unknown field": map[string]any{"site": env.site.Key, "question": question, "answer": answer, "x": 1},
		"huge answer":   map[string]any{"site": env.site.Key, "question": question, "answer": strings.Repeat("a", 6000)},
	} {
		if code, body := env.json(admin, http.MethodPost, "/api/v1/analytics/gaps/publish", bad); code != http.StatusBadRequest {
			t.Errorf("publish with %s: %d %v; want 400", name, code, body)
		}
	}
	if code, _ := env.json(admin, http.MethodPost, "/api/v1/analytics/gaps/publish",
		map[string]any{"site": "nope", "question": question, "answer": answer}); code != http.StatusNotFound {
		t.Errorf("publish to an unknown site: %d; want 404", code)
	}
	if page, err := env.lib.List(ctx, env.site.ID, "", "", 10); err != nil || len(page.Items) != 0 {
		t.Fatalf("refused publishes stored documents: %+v %v", page.Items, err)
	}

	code, doc := env.json(admin, http.MethodPost, "/api/v1/analytics/gaps/publish", entry)
	if code != http.StatusAccepted || doc["title"] != "FAQ: Shipping to Canada" || doc["content_type"] != "faq-json" {
		t.Fatalf("publish: %d %v", code, doc)
	}
	docID := int64(doc["id"].(float64))
	env.waitIngested(docID) // searchable once the server's worker ingested it
	res, err := env.lib.Search(ctx, env.site.ID, "can you deliver my order to Canada", 3)
	if err != nil || len(res.Hits) == 0 || res.Hits[0].DocumentID != docID {
		t.Fatalf("search after publishing: %+v %v", res, err)
	}
	_, page := env.json(admin, http.MethodGet, "/api/v1/audit?action="+audit.KnowledgeAdd, nil)
	if items, _ := page["items"].([]any); len(items) != 1 || items[0].(map[string]any)["target"] != strconv.FormatInt(docID, 10) ||
		items[0].(map[string]any)["actor"] != "boss@example.com" {
		t.Errorf("audit of the publish: %v; want one %s entry naming the document", page, audit.KnowledgeAdd)
	}
	// Publishing the same entry again changes nothing.
	if code, again := env.json(admin, http.MethodPost, "/api/v1/analytics/gaps/publish", entry); code != http.StatusOK || again["id"] != doc["id"] {
		t.Errorf("republish: %d %v; want 200 and the same document", code, again)
	}

	// The report now says the knowledge base answers that gap.
	if got := covered(); got[1] != true {
		t.Errorf("gap after publishing: %v; want covered true", got)
	}

	// The bot, offline, now answers the question from the published entry.
	bot := askBot("q1", "do you ship to Canada?")
	if !strings.Contains(bot.Text, "Canada Post") || len(bot.Citations) != 1 || bot.Citations[0].DocumentID != docID ||
		bot.Answered == nil || !*bot.Answered {
		t.Errorf("bot reply %q citations %+v answered %v; want the published answer, cited", bot.Text, bot.Citations, bot.Answered)
	}
}
