package analytics_test

import (
	"context"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"kefu/chat"
	"kefu/internal/account"
	"kefu/internal/analytics"
	"kefu/internal/audit"
	"kefu/internal/pgtest"
	"kefu/internal/privacy"
	"kefu/internal/sites"
)

// A scripted conversation: times are seconds after created.
type seedMsg struct {
	at                      int
	role, intent, sentiment string
	score                   float64
	model                   string
	ttft, tokens            int
}

type seedEvent struct {
	at           int
	kind, reason string
}

type seedConv struct {
	name      string
	site      *sites.Site
	created   time.Time
	state     string
	resolved  int // seconds after created; 0: not resolved
	updated   time.Time
	csat      int // 0: none
	reason    string
	assigned  bool
	msgs      []seedMsg
	events    []seedEvent
	visitorTk string
}

// seed inserts c with its messages and events at their fixed times.
func seed(t *testing.T, db *pgxpool.Pool, store *chat.Store, agentID int64, c *seedConv) string {
	t.Helper()
	ctx := context.Background()
	v, err := store.NewVisitor(ctx, c.site.ID, "en")
	if err != nil {
		t.Fatal(err)
	}
	c.visitorTk = v.Token
	at := func(s int) time.Time { return c.created.Add(time.Duration(s) * time.Second) }
	updated := c.updated
	if updated.IsZero() {
		last := 0
		for _, m := range c.msgs {
			last = max(last, m.at)
		}
		for _, e := range c.events {
			last = max(last, e.at)
		}
		updated = at(last)
	}
	var resolvedAt *time.Time
	if c.resolved > 0 {
		r := at(c.resolved)
		resolvedAt = &r
	}
	var csat *int
	if c.csat > 0 {
		csat = &c.csat
	}
	var assigned *int64
	if c.assigned {
		assigned = &agentID
	}
	var id string
	err = db.QueryRow(ctx, `insert into conversations (site_id, visitor_id, state, created_at, updated_at, resolved_at,
			csat_score, escalation_reason, assigned_user_id, contact_email, last_seq)
		values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) returning id`,
		c.site.ID, v.ID, c.state, c.created, updated, resolvedAt, csat, c.reason, assigned,
		"shopper-"+strings.ReplaceAll(c.name, " ", "-")+"@example.com", len(c.msgs)).Scan(&id)
	if err != nil {
		t.Fatalf("%s: %v", c.name, err)
	}
	for i, m := range c.msgs {
		var user *int64
		if m.role == chat.RoleAgent {
			user = &agentID
		}
		_, err := db.Exec(ctx, `insert into messages (conversation_id, seq, role, body, user_id, intent, sentiment,
				sentiment_score, model, ttft_ms, tokens, created_at)
			values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			id, i+1, m.role, "private words of "+c.name, user, m.intent, m.sentiment, m.score, m.model, m.ttft, m.tokens, at(m.at))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
	}
	for _, e := range c.events {
		var user *int64
		if e.kind != chat.EventEscalated && e.kind != chat.EventReopened {
			user = &agentID
		}
		_, err := db.Exec(ctx, `insert into conversation_events (conversation_id, site_id, kind, reason, user_id, at)
			values ($1, $2, $3, $4, $5, $6)`, id, c.site.ID, e.kind, e.reason, user, at(e.at))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
	}
	return id
}

func day(d, h, m int) time.Time { return time.Date(2026, 11, d, h, m, 0, 0, time.UTC) }

// Shorthands for scripted messages.
func shopper(at int, intent, sentiment string, score float64) seedMsg {
	return seedMsg{at: at, role: chat.RoleShopper, intent: intent, sentiment: sentiment, score: score}
}
func botReply(at, ttft, tokens int) seedMsg {
	return seedMsg{at: at, role: chat.RoleBot, model: "test-model", ttft: ttft, tokens: tokens}
}
func offlineReply(at int) seedMsg { return seedMsg{at: at, role: chat.RoleBot} }
func agentReply(at int) seedMsg   { return seedMsg{at: at, role: chat.RoleAgent} }

// analyticsFixture seeds the scripted set: the current period is
// 2026-11-10..16, the previous 11-03..09, "now" is 11-20 12:00.
type analyticsFixture struct {
	db        *pgxpool.Pool
	site      *sites.Site
	other     *sites.Site
	analytics *analytics.Reports
	now       time.Time
	convs     map[string]*seedConv
	ids       map[string]string
}

func newAnalyticsFixture(t *testing.T) *analyticsFixture {
	t.Helper()
	ctx := context.Background()
	db := pgtest.New(t)
	siteStore := sites.NewStore(db)
	site, err := siteStore.Create(ctx, "Shop", nil)
	if err != nil {
		t.Fatal(err)
	}
	if site, err = siteStore.UpdateSettings(ctx, site.Key, map[string]any{"price_per_1k_tokens": 0.002}); err != nil {
		t.Fatal(err)
	}
	other, _ := siteStore.Create(ctx, "Other", nil)
	agent, err := account.NewUsers(db).Create(ctx, "agent@example.com", "Agent", account.RoleAgent, "password-agent")
	if err != nil {
		t.Fatal(err)
	}
	store := chat.NewStore(db)
	now := day(20, 12, 0)
	f := &analyticsFixture{db: db, site: site, other: other, now: now, convs: map[string]*seedConv{}, ids: map[string]string{},
		analytics: analytics.NewReports(db, siteStore, func() time.Time { return now })}
	neutral := func(at int, intent string) seedMsg { return shopper(at, intent, "neutral", 0) }
	ev := func(at int, kind string) seedEvent { return seedEvent{at: at, kind: kind} }
	esc := func(at int, reason string) seedEvent {
		return seedEvent{at: at, kind: chat.EventEscalated, reason: reason}
	}
	list := []*seedConv{
		// Current period.
		{name: "C1 csat 5 bot only", site: site, created: day(10, 9, 0), state: "resolved", resolved: 120, csat: 5,
			msgs:   []seedMsg{neutral(0, "order_status"), botReply(2, 400, 100), shopper(60, "goodbye", "positive", 0.5), botReply(62, 600, 50)},
			events: []seedEvent{ev(120, chat.EventResolved)}},
		{name: "C2 goodbye no csat", site: site, created: day(10, 10, 0), state: "bot",
			msgs: []seedMsg{neutral(0, "shipping"), botReply(1, 200, 80), neutral(30, "goodbye")}},
		{name: "C3 resolved no csat", site: site, created: day(11, 8, 0), state: "resolved", resolved: 600,
			msgs:   []seedMsg{neutral(0, "returns"), offlineReply(3)},
			events: []seedEvent{ev(600, chat.EventResolved)}},
		{name: "C4 complaint", site: site, created: day(11, 9, 0), state: "bot",
			msgs: []seedMsg{shopper(0, "complaint", "negative", -0.5), botReply(4, 800, 120)}},
		{name: "C5 escalated claimed resolved csat 2", site: site, created: day(12, 10, 0), state: "resolved", resolved: 400,
			csat: 2, reason: chat.ReasonNegativeSentiment,
			msgs:   []seedMsg{shopper(0, "refund", "negative", -0.5), botReply(2, 300, 60), agentReply(100)},
			events: []seedEvent{esc(10, chat.ReasonNegativeSentiment), ev(70, chat.EventClaimed), ev(400, chat.EventResolved)}},
		{name: "C6 escalated handed back", site: site, created: day(12, 11, 0), state: "bot", reason: chat.ReasonRequested,
			msgs:   []seedMsg{neutral(0, "human_agent"), botReply(31, 500, 40), shopper(50, "goodbye", "positive", 0.5)},
			events: []seedEvent{esc(1, chat.ReasonRequested), ev(30, chat.EventHandedBack)}},
		{name: "C7 reopened csat 4", site: site, created: day(13, 9, 0), state: "resolved", resolved: 300, csat: 4,
			msgs: []seedMsg{neutral(0, "order_status"), botReply(2, 450, 70), shopper(200, "order_status", "negative", -0.25),
				botReply(202, 550, 30)},
			events: []seedEvent{ev(100, chat.EventResolved), ev(200, chat.EventReopened), ev(300, chat.EventResolved)}},
		{name: "C8 escalated twice claimed open", site: site, created: day(14, 9, 0), state: "agent", reason: chat.ReasonNoAnswer,
			assigned: true,
			msgs:     []seedMsg{neutral(0, "product_info"), offlineReply(5), neutral(50, "human_agent"), agentReply(95)},
			events: []seedEvent{esc(20, chat.ReasonNoAnswer), ev(40, chat.EventHandedBack), esc(55, chat.ReasonRequested),
				ev(85, chat.EventClaimed)}},
		{name: "C9 recent not idle", site: site, created: day(16, 23, 30), state: "bot", updated: now.Add(-time.Hour),
			msgs: []seedMsg{neutral(0, "greeting"), botReply(1, 100, 10)}},
		{name: "C10 csat 1 bot only", site: site, created: day(15, 8, 0), state: "resolved", resolved: 50, csat: 1,
			msgs:   []seedMsg{neutral(0, "returns"), offlineReply(2)},
			events: []seedEvent{ev(50, chat.EventResolved)}},
		// Escalated before events were recorded: the row's reason counts.
		{name: "L1 legacy escalation", site: site, created: day(15, 10, 0), state: "resolved", resolved: 120,
			reason: chat.ReasonToolFailure, assigned: true,
			msgs: []seedMsg{neutral(0, "order_status"), agentReply(60)}},
		// Previous period.
		{name: "P1 escalated claimed resolved csat 5", site: site, created: day(5, 12, 0), state: "resolved", resolved: 61, csat: 5,
			reason: chat.ReasonRequested,
			msgs:   []seedMsg{neutral(0, "human_agent"), agentReply(31)},
			events: []seedEvent{esc(1, chat.ReasonRequested), ev(21, chat.EventClaimed), ev(61, chat.EventResolved)}},
		{name: "P2 bot assumed", site: site, created: day(9, 23, 59), state: "resolved", resolved: 20,
			msgs:   []seedMsg{neutral(0, "order_status"), botReply(2, 700, 90)},
			events: []seedEvent{ev(20, chat.EventResolved)}},
		// Outside both periods, or another site: never counted.
		{name: "O1 after", site: site, created: day(17, 0, 0), state: "bot", msgs: []seedMsg{neutral(0, "refund"), botReply(1, 1, 1)}},
		{name: "O2 before", site: site, created: day(2, 23, 59), state: "bot", msgs: []seedMsg{neutral(0, "refund"), botReply(1, 1, 1)}},
		{name: "O3 other site", site: other, created: day(12, 12, 0), state: "bot", reason: chat.ReasonRequested,
			msgs: []seedMsg{neutral(0, "refund"), botReply(1, 1, 1)}, events: []seedEvent{esc(2, chat.ReasonRequested)}},
	}
	for _, c := range list {
		f.convs[c.name[:strings.IndexByte(c.name, ' ')]] = c
		f.ids[c.name[:strings.IndexByte(c.name, ' ')]] = seed(t, db, store, agent.ID, c)
	}
	return f
}

func (f *analyticsFixture) summary(t *testing.T) *analytics.Summary {
	t.Helper()
	p, err := analytics.ParsePeriod("2026-11-10", "2026-11-16")
	if err != nil {
		t.Fatal(err)
	}
	s, err := f.analytics.Summary(context.Background(), analytics.SummaryQuery{SiteIDs: []int64{f.site.ID}, Site: f.site.Key, Period: p})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func fp(x float64) *float64 { return &x }

func TestAnalyticsSummaryMeasures(t *testing.T) {
	f := newAnalyticsFixture(t)
	s := f.summary(t)
	if s.From != "2026-11-10" || s.To != "2026-11-16" || s.PreviousFrom != "2026-11-03" || s.PreviousTo != "2026-11-09" || s.Site != f.site.Key {
		t.Errorf("period = %s..%s previous %s..%s site %q", s.From, s.To, s.PreviousFrom, s.PreviousTo, s.Site)
	}
	// Hand-computed (see the comments of each conversation above).
	wantCur := analytics.Measures{
		Conversations: 11, Escalated: 4, EscalationRate: 4.0 / 11, // C5 C6 C8 L1
		BotResolvedConfirmed: 3,                      // C1 (csat 5), C2 (goodbye), C7 (csat 4, reopened)
		BotResolvedAssumed:   1,                      // C3; not C4 (complaint), C9 (idle 1h), C10 (csat 1)
		HumanResolved:        2,                      // C5, L1
		Reopened:             1, ReopenRate: 1.0 / 6, // resolved once: C1 C3 C5 C7 C10 L1
		CSATAvg: fp(3), CSATCount: 4, // 5 2 4 1
		// first responses 1000 1000 2000 2000 2000 2000 3000 4000 5000 31000 60000
		FirstResponseP50MS: fp(2000), FirstResponseP90MS: fp(31000),
		// C8 40000 (from the second escalation), C5 90000
		HumanFirstResponseP50MS: fp(65000), HumanFirstResponseP90MS: fp(85000),
		// C8 30000, C5 60000
		QueueWaitP50MS: fp(45000), QueueWaitP90MS: fp(57000),
		// 50000 120000 120000 300000 400000 600000
		ResolutionP50MS: fp(210000), ResolutionP90MS: fp(500000),
	}
	wantPrev := analytics.Measures{
		Conversations: 2, Escalated: 1, EscalationRate: 0.5, BotResolvedAssumed: 1, HumanResolved: 1,
		CSATAvg: fp(5), CSATCount: 1,
		FirstResponseP50MS: fp(16500), FirstResponseP90MS: fp(28100),
		HumanFirstResponseP50MS: fp(30000), HumanFirstResponseP90MS: fp(30000),
		QueueWaitP50MS: fp(20000), QueueWaitP90MS: fp(20000),
		ResolutionP50MS: fp(40500), ResolutionP90MS: fp(56900),
	}
	checkMeasures(t, "current", s.Current, wantCur)
	checkMeasures(t, "previous", s.Previous, wantPrev)

	wantDaily := []analytics.DayStats{
		{Day: "2026-11-10", Conversations: 2, BotResolvedConfirmed: 2, CSATAvg: fp(5), SentimentAvg: fp(0.125)},
		{Day: "2026-11-11", Conversations: 2, BotResolvedAssumed: 1, SentimentAvg: fp(-0.25), Negative: 1},
		{Day: "2026-11-12", Conversations: 2, Escalated: 2, CSATAvg: fp(2), SentimentAvg: fp(0), Negative: 1},
		{Day: "2026-11-13", Conversations: 1, BotResolvedConfirmed: 1, CSATAvg: fp(4), SentimentAvg: fp(-0.125), Negative: 1},
		{Day: "2026-11-14", Conversations: 1, Escalated: 1, SentimentAvg: fp(0)},
		{Day: "2026-11-15", Conversations: 2, Escalated: 1, CSATAvg: fp(1), SentimentAvg: fp(0)},
		{Day: "2026-11-16", Conversations: 1, SentimentAvg: fp(0)},
	}
	if len(s.Daily) != len(wantDaily) {
		t.Fatalf("daily has %d days; want %d: %+v", len(s.Daily), len(wantDaily), s.Daily)
	}
	for i, w := range wantDaily {
		g := s.Daily[i]
		if g.Day != w.Day || g.Conversations != w.Conversations || g.Escalated != w.Escalated ||
			g.BotResolvedConfirmed != w.BotResolvedConfirmed || g.BotResolvedAssumed != w.BotResolvedAssumed ||
			g.Negative != w.Negative || !sameFloat(g.CSATAvg, w.CSATAvg) || !sameFloat(g.SentimentAvg, w.SentimentAvg) {
			t.Errorf("daily[%d] = %s; want %s", i, show(g), show(w))
		}
	}

	wantReasons := []analytics.ReasonCount{{Reason: "requested", Count: 2, Previous: 1}, {Reason: "negative_sentiment", Count: 1},
		{Reason: "no_answer", Count: 1}, {Reason: "sensitive_intent"}, {Reason: "tool_failure", Count: 1}, {Reason: "limit"}}
	if !reflect.DeepEqual(s.EscalationsByReason, wantReasons) {
		t.Errorf("escalations by reason = %v; want %v", s.EscalationsByReason, wantReasons)
	}
	wantIntents := []analytics.IntentCount{{"order_status", 4, 1}, {"goodbye", 3, 0}, {"human_agent", 2, 1}, {"returns", 2, 0},
		{"complaint", 1, 0}, {"greeting", 1, 0}, {"product_info", 1, 0}, {"refund", 1, 0}, {"shipping", 1, 0}}
	if !reflect.DeepEqual(s.Intents, wantIntents) {
		t.Errorf("intents = %v; want %v", s.Intents, wantIntents)
	}
	wantTrend := []analytics.IntentDay{{"2026-11-10", "goodbye", 2}, {"2026-11-10", "order_status", 1}, {"2026-11-10", "shipping", 1},
		{"2026-11-11", "complaint", 1}, {"2026-11-11", "returns", 1},
		{"2026-11-12", "goodbye", 1}, {"2026-11-12", "human_agent", 1}, {"2026-11-12", "refund", 1},
		{"2026-11-13", "order_status", 2}, {"2026-11-14", "human_agent", 1}, {"2026-11-14", "product_info", 1},
		{"2026-11-15", "order_status", 1}, {"2026-11-15", "returns", 1}, {"2026-11-16", "greeting", 1}}
	if !reflect.DeepEqual(s.IntentTrend, wantTrend) {
		t.Errorf("intent trend = %v; want %v", s.IntentTrend, wantTrend)
	}

	// CSAT: bot-only C1 5, C7 4, C10 1; a person in C5 (2).
	if b := s.CSAT.Bot; b.Count != 3 || b.Distribution != [5]int{1, 0, 0, 1, 1} || !sameFloat(b.Avg, fp(10.0/3)) {
		t.Errorf("bot csat = %s; want 3 ratings [1 0 0 1 1] avg 3.33", show(b))
	}
	if h := s.CSAT.Human; h.Count != 1 || h.Distribution != [5]int{0, 1, 0, 0, 0} || !sameFloat(h.Avg, fp(2)) {
		t.Errorf("human csat = %s; want 1 rating [0 1 0 0 0] avg 2", show(h))
	}

	// Model: ttfts 100 200 300 400 450 500 550 600 800; tokens 560 at 0.002 per 1k.
	m := s.Model
	if m.Replies != 9 || m.Tokens != 560 || !sameFloat(m.TTFTP50MS, fp(450)) || !sameFloat(m.TTFTP95MS, fp(720)) ||
		m.PricePer1KTokens != 0.002 || math.Abs(m.EstimatedCost-0.00112) > 1e-12 {
		t.Errorf("model = %s; want 9 replies, p50 450, p95 720, 560 tokens, price 0.002, cost 0.00112", show(m))
	}

	// The JSON keys the dashboard and integrations read.
	b, _ := json.Marshal(s)
	var doc map[string]any
	json.Unmarshal(b, &doc)
	cur := doc["current"].(map[string]any)
	for _, k := range []string{"conversations", "escalated", "escalation_rate", "bot_resolved_confirmed", "bot_resolved_assumed",
		"csat_avg", "first_response_p50_ms", "first_response_p90_ms", "human_resolved", "reopened", "reopen_rate", "csat_count",
		"human_first_response_p50_ms", "human_first_response_p90_ms", "queue_wait_p50_ms", "queue_wait_p90_ms",
		"resolution_p50_ms", "resolution_p90_ms"} {
		if _, ok := cur[k]; !ok {
			t.Errorf("current has no %q: %v", k, cur)
		}
	}
}

// Every site of the caller (SiteIDs nil) adds the other site's conversation;
// a period with no conversations has zeros and nulls, never errors.
func TestAnalyticsAllSitesAndEmptyPeriod(t *testing.T) {
	f := newAnalyticsFixture(t)
	ctx := context.Background()
	p, _ := analytics.ParsePeriod("2026-11-10", "2026-11-16")
	all, err := f.analytics.Summary(ctx, analytics.SummaryQuery{Period: p})
	if err != nil {
		t.Fatal(err)
	}
	if all.Current.Conversations != 12 || all.Current.Escalated != 5 || all.EscalationsByReason[0].Count != 3 {
		t.Errorf("all sites: %d conversations, %d escalated, %d requested; want 12, 5, 3",
			all.Current.Conversations, all.Current.Escalated, all.EscalationsByReason[0].Count)
	}
	if all.Model.Tokens != 561 || math.Abs(all.Model.EstimatedCost-0.00112) > 1e-12 {
		t.Errorf("all sites model: %d tokens cost %v; want 561 (1 at price 0) and 0.00112", all.Model.Tokens, all.Model.EstimatedCost)
	}
	p, _ = analytics.ParsePeriod("2025-01-01", "2025-01-03")
	empty, err := f.analytics.Summary(ctx, analytics.SummaryQuery{SiteIDs: []int64{f.site.ID}, Period: p})
	if err != nil {
		t.Fatal(err)
	}
	if empty.Current.Conversations != 0 || empty.Current.CSATAvg != nil || empty.Current.FirstResponseP50MS != nil ||
		len(empty.Daily) != 3 || empty.Daily[2].Day != "2025-01-03" || empty.Daily[0].Conversations != 0 ||
		empty.Model.TTFTP50MS != nil || empty.Model.PricePer1KTokens != 0.002 || len(empty.Intents) != 0 {
		t.Errorf("empty period = %s", show(empty))
	}
	if b, _ := json.Marshal(empty); !strings.Contains(string(b), `"intents":[]`) || !strings.Contains(string(b), `"csat_avg":null`) {
		t.Errorf("empty summary JSON = %s; want empty lists and nulls", b)
	}
}

// Erasure and retention delete conversations; the numbers of their periods
// stay the same, and the archive holds no personal data.
func TestAnalyticsSurviveDeletion(t *testing.T) {
	f := newAnalyticsFixture(t)
	ctx := context.Background()
	before, _ := json.Marshal(f.summary(t))

	c5 := f.convs["C5"]
	er, err := privacy.NewRequests(f.db).Erase(ctx, privacy.Subject{Site: f.site.Key, VisitorToken: c5.visitorTk}, audit.Entry{})
	if err != nil || er.Conversations != 1 {
		t.Fatalf("erase = %+v, %v; want 1 conversation", er, err)
	}
	afterErase, _ := json.Marshal(f.summary(t))
	if string(afterErase) != string(before) {
		t.Errorf("summary changed by erasure:\n before %s\n after  %s", before, afterErase)
	}

	// Keep 3 days: every conversation idle since before 11-17 goes; C9 lives
	// on but loses its messages of 11-16.
	if _, err := sites.NewStore(f.db).UpdateSettings(ctx, f.site.Key, map[string]any{"price_per_1k_tokens": 0.002,
		"retention": map[string]any{"conversation_days": 3}}); err != nil {
		t.Fatal(err)
	}
	rep, err := privacy.NewRetainer(f.db, privacy.RetentionOptions{Now: func() time.Time { return f.now }}).RunOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Conversations < 13 || rep.Messages != 2 {
		t.Errorf("retention deleted %d conversations and %d messages; want ≥ 13 and 2 (C9's)", rep.Conversations, rep.Messages)
	}
	var live int
	f.db.QueryRow(ctx, "select count(*) from conversations where site_id = $1", f.site.ID).Scan(&live)
	if live != 1 {
		t.Errorf("%d conversations left; want 1 (C9)", live)
	}
	afterRetention, _ := json.Marshal(f.summary(t))
	if string(afterRetention) != string(before) {
		t.Errorf("summary changed by retention:\n before %s\n after  %s", before, afterRetention)
	}

	// The archive: one row per conversation, nothing that names anyone.
	rows, err := f.db.Query(ctx, "select row_to_json(a)::text, conversation_id is not null from analytics_archive a")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n, withRef := 0, 0
	for rows.Next() {
		var row string
		var ref bool
		if err := rows.Scan(&row, &ref); err != nil {
			t.Fatal(err)
		}
		n++
		if ref {
			withRef++
		}
		for _, c := range f.convs {
			for _, secret := range []string{"private words", "@example.com", c.visitorTk, f.ids[c.name[:strings.IndexByte(c.name, ' ')]]} {
				if c.name[:2] != "C9" && strings.Contains(row, secret) {
					t.Errorf("archive row holds %q: %s", secret, row)
				}
			}
		}
		if strings.Contains(row, "private words") || strings.Contains(row, "@example.com") {
			t.Errorf("archive row holds text: %s", row)
		}
	}
	if n != 15 || withRef != 1 { // every conversation of the site (C5 erased, 13 by retention, C9 frozen)
		t.Errorf("archive has %d rows, %d with a conversation; want 15 and 1 (C9, still live)", n, withRef)
	}
}

func TestParsePeriod(t *testing.T) {
	p, err := analytics.ParsePeriod("2026-11-01", "2026-11-30")
	if err != nil || p.Days() != 30 || p.Previous().From.Format(time.DateOnly) != "2026-10-02" ||
		p.Previous().To.Format(time.DateOnly) != "2026-10-31" {
		t.Errorf("ParsePeriod = %+v, %v; previous %+v", p, err, p.Previous())
	}
	if p, err := analytics.ParsePeriod("2025-01-01", "2026-01-01"); err != nil || p.Days() != 366 {
		t.Errorf("366 days: %+v, %v; want allowed", p, err)
	}
	for _, c := range [][2]string{{"", "2026-11-01"}, {"2026-11-01", ""}, {"2026-13-01", "2026-12-01"}, {"2026-11-01", "yesterday"},
		{"2026-11-02", "2026-11-01"}, {"2025-01-01", "2026-01-02"}, {"2026-11-01T00:00:00Z", "2026-11-02"}} {
		if _, err := analytics.ParsePeriod(c[0], c[1]); err == nil || !strings.Contains(err.Error(), "invalid") {
			t.Errorf("ParsePeriod(%q, %q) = %v; want ErrInvalid", c[0], c[1], err)
		}
	}
}

func checkMeasures(t *testing.T, name string, got, want analytics.Measures) {
	t.Helper()
	g, w := reflect.ValueOf(got), reflect.ValueOf(want)
	for i := 0; i < g.NumField(); i++ {
		field := g.Type().Field(i).Name
		gf, wf := g.Field(i).Interface(), w.Field(i).Interface()
		ok := false
		switch gv := gf.(type) {
		case *float64:
			ok = sameFloat(gv, wf.(*float64))
		case float64:
			ok = math.Abs(gv-wf.(float64)) < 1e-9
		default:
			ok = reflect.DeepEqual(gf, wf)
		}
		if !ok {
			t.Errorf("%s %s = %s; want %s", name, field, show(gf), show(wf))
		}
	}
}

func sameFloat(a, b *float64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return math.Abs(*a-*b) < 1e-6
}

func show(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func itoa64(n int64) string { b, _ := json.Marshal(n); return string(b) }

// BenchmarkAnalyticsSummary: a 30-day summary (and its previous 30 days) over
// 10,000 conversations with 4 messages each, a fifth of them escalated.
func BenchmarkAnalyticsSummary(b *testing.B) {
	ctx := context.Background()
	db := pgtest.New(b)
	siteStore := sites.NewStore(db)
	site, err := siteStore.Create(ctx, "Shop", nil)
	if err != nil {
		b.Fatal(err)
	}
	const n = 10000
	for _, sql := range []string{
		`insert into visitors (site_id, token) select $1, 'bench-' || g from generate_series(1, 10000) g`,
		`insert into conversations (site_id, visitor_id, state, created_at, updated_at, resolved_at, csat_score, escalation_reason)
			select $1, v.id, case when v.id % 3 = 0 then 'resolved' else 'bot' end, v.ts, v.ts + interval '5 minutes',
				case when v.id % 3 = 0 then v.ts + interval '5 minutes' end, case when v.id % 4 = 0 then 1 + v.id % 5 end,
				case when v.id % 5 = 0 then 'requested' else '' end
			from (select id, timestamptz '2026-10-01 00:00Z' + (id % 60) * interval '1 day' + (id % 1440) * interval '1 minute' as ts
				from visitors where site_id = $1) v`,
		`insert into messages (conversation_id, seq, role, body, intent, sentiment, sentiment_score, model, ttft_ms, tokens, created_at)
			select c.id, g, case when g % 2 = 1 then 'shopper' else 'bot' end, 'text',
				case when g % 2 = 1 then (array['order_status', 'returns', 'shipping', 'goodbye'])[1 + (g + c.visitor_id::int) % 4] else '' end,
				case when g % 2 = 1 then 'neutral' else '' end, 0, case when g % 2 = 0 then 'm' else '' end,
				case when g % 2 = 0 then 300 + c.visitor_id % 500 else 0 end, case when g % 2 = 0 then 100 else 0 end,
				c.created_at + g * interval '10 seconds'
			from conversations c cross join generate_series(1, 4) g where c.site_id = $1`,
		`insert into conversation_events (conversation_id, site_id, kind, reason, at)
			select id, site_id, 'escalated', 'requested', created_at + interval '15 seconds' from conversations
			where site_id = $1 and escalation_reason <> ''`,
		`insert into conversation_events (conversation_id, site_id, kind, at)
			select id, site_id, 'claimed', created_at + interval '45 seconds' from conversations
			where site_id = $1 and escalation_reason <> ''`,
	} {
		if _, err := db.Exec(ctx, sql, site.ID); err != nil {
			b.Fatal(err)
		}
	}
	db.Exec(ctx, "analyze")
	a := analytics.NewReports(db, siteStore, nil)
	p, _ := analytics.ParsePeriod("2026-10-31", "2026-11-29")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s, err := a.Summary(ctx, analytics.SummaryQuery{SiteIDs: []int64{site.ID}, Period: p})
		if err != nil {
			b.Fatal(err)
		}
		if got := s.Current.Conversations + s.Previous.Conversations; got != n {
			b.Fatalf("%d conversations; want %d", got, n)
		}
	}
}
