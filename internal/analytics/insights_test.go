package analytics_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"kefu/chat"
	"kefu/internal/analytics"
	"kefu/internal/fakellm"
	"kefu/internal/kefutest"
	"kefu/internal/pgtest"
	"kefu/internal/sites"
	"kefu/knowledge"
	"kefu/llm"
)

// insightsEnv scripts conversations straight into a real database: the
// rows the bot's turns would have written, with chosen intents, sentiment,
// answered flags and retrieval confidences.
type insightsEnv struct {
	t     *testing.T
	db    *pgxpool.Pool
	store *chat.Store
	site  *sites.Site
	sites *sites.Store
}

func newInsightsEnv(t *testing.T) *insightsEnv {
	t.Helper()
	db := pgtest.New(t)
	siteStore := sites.NewStore(db)
	site, err := siteStore.Create(context.Background(), "Shop", []string{"https://shop.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	return &insightsEnv{t: t, db: db, store: chat.NewStore(db), site: site, sites: siteStore}
}

// conv starts a visitor's conversation.
func (env *insightsEnv) conv() *chat.Conversation {
	env.t.Helper()
	ctx := context.Background()
	v, err := env.store.NewVisitor(ctx, env.site.ID, "")
	if err != nil {
		env.t.Fatal(err)
	}
	c, err := env.store.OpenConversation(ctx, v, "")
	if err != nil {
		env.t.Fatal(err)
	}
	return c
}

// shopper appends a classified shopper message.
func (env *insightsEnv) shopper(convID, text, intent, sentiment string) *chat.Message {
	env.t.Helper()
	ctx := context.Background()
	m, _, _, err := env.store.Append(ctx, &chat.Message{ConversationID: convID, Role: chat.RoleShopper, Text: text})
	if err != nil {
		env.t.Fatal(err)
	}
	if err := env.store.Annotate(ctx, m.ID, intent, 0.9, sentiment, 0); err != nil {
		env.t.Fatal(err)
	}
	return m
}

// bot appends the bot's reply: answered or not, with a retrieval confidence (<0: none).
func (env *insightsEnv) bot(convID string, answered bool, confidence float64) {
	env.t.Helper()
	m := &chat.Message{ConversationID: convID, Role: chat.RoleBot, Text: "…", Answered: &answered}
	if confidence >= 0 {
		m.RetrievalConfidence = &confidence
	}
	if _, _, _, err := env.store.Append(context.Background(), m); err != nil {
		env.t.Fatal(err)
	}
}

func (env *insightsEnv) agent(convID, text string) {
	env.t.Helper()
	if _, _, _, err := env.store.Append(context.Background(), &chat.Message{ConversationID: convID, Role: chat.RoleAgent, Text: text}); err != nil {
		env.t.Fatal(err)
	}
}

// asked scripts one conversation where the shopper asks text and the bot abstains.
func (env *insightsEnv) asked(text, intent string) string {
	c := env.conv()
	env.shopper(c.ID, text, intent, "neutral")
	env.bot(c.ID, false, 0.1)
	return c.ID
}

func (env *insightsEnv) exec(sql string, args ...any) {
	env.t.Helper()
	if _, err := env.db.Exec(context.Background(), sql, args...); err != nil {
		env.t.Fatal(err)
	}
}

func (env *insightsEnv) query() analytics.InsightsQuery {
	now := time.Now().UTC()
	return analytics.InsightsQuery{Sites: []sites.Site{*env.site}, From: now.AddDate(0, 0, -7), To: now.AddDate(0, 0, 1)}
}

// gapWith finds the gap whose examples include text.
func gapWith(gaps []analytics.Gap, text string) *analytics.Gap {
	for i := range gaps {
		if slices.Contains(gaps[i].Examples, text) {
			return &gaps[i]
		}
	}
	return nil
}

func TestGapsGroupParaphrasesInBothLanguages(t *testing.T) {
	env := newInsightsEnv(t)
	ctx := context.Background()
	canada := []string{"do you ship to Canada?", "can I get delivery to Canada", "Canada shipping?"}
	for _, q := range canada {
		env.asked(q, "delivery_info")
	}
	env.asked("Canada shipping?", "delivery_info") // the same question again counts twice
	chinese := []string{"你们发货到加拿大吗", "能寄到加拿大吗"}
	for _, q := range chinese {
		env.asked(q, "delivery_info")
	}
	env.asked("do you ship to Mexico", "delivery_info")
	giftCards := []string{"do you sell gift cards", "can I buy a gift card for my sister"}
	for _, q := range giftCards {
		env.asked(q, "other")
	}

	// Answered on weak retrieval: a gap (low confidence); answered well: not one.
	weak := env.conv()
	env.shopper(weak.ID, "is the kettle dishwasher safe", "product_question", "neutral")
	env.bot(weak.ID, true, 0.32)
	fine := env.conv()
	env.shopper(fine.ID, "what are your opening hours", "other", "neutral")
	env.bot(fine.ID, true, 0.9)
	// Order questions answered from order data, and greetings, are not knowledge gaps.
	order := env.conv()
	env.shopper(order.ID, "where is my parcel LL-123456", "order_status", "neutral")
	env.bot(order.ID, true, 0.05)
	hello := env.conv()
	env.shopper(hello.ID, "hi there", "greeting", "neutral")
	env.bot(hello.ID, false, -1)

	// Escalated because the bot could not answer twice; an agent answered.
	pp := env.conv()
	env.shopper(pp.ID, "can I pay with PayPal?", "payment_methods", "neutral")
	env.bot(pp.ID, false, 0.2)
	env.shopper(pp.ID, "is PayPal payment accepted", "payment_methods", "neutral")
	env.bot(pp.ID, false, 0.2)
	if _, err := env.store.Transition(ctx, pp.ID, chat.Change{Action: chat.ActionEscalate, Reason: chat.ReasonNoAnswer, Priority: 1}); err != nil {
		t.Fatal(err)
	}
	env.agent(pp.ID, "Yes, we accept PayPal at checkout.")

	// Outside the period.
	old := env.asked("do you ship to Canada?", "delivery_info")
	env.exec("update messages set created_at = now() - interval '60 days' where conversation_id = $1", old)

	gaps, err := analytics.NewInsights(env.db, analytics.InsightsOptions{}).Gaps(ctx, env.query())
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range gaps {
		t.Logf("%s ×%d %q %v reasons=%+v", g.ID, g.Count, g.Question, g.Examples, g.Reasons)
	}

	en := gapWith(gaps, canada[0])
	if en == nil {
		t.Fatalf("no gap holds %q", canada[0])
	}
	for _, q := range canada {
		if !slices.Contains(en.Examples, q) {
			t.Errorf("English Canada group %v lacks paraphrase %q", en.Examples, q)
		}
	}
	if en.Count != 4 || en.Reasons.Abstained != 4 || !slices.Equal(en.Languages, []string{"en"}) || len(en.ConversationIDs) != 4 {
		t.Errorf("English Canada group: count %d, reasons %+v, languages %v, %d conversations; want 4 abstained, en, 4",
			en.Count, en.Reasons, en.Languages, len(en.ConversationIDs))
	}
	if slices.Contains(en.ConversationIDs, old) {
		t.Errorf("a question from before the period was counted")
	}
	zh := gapWith(gaps, chinese[0])
	if zh == nil || !slices.Contains(zh.Examples, chinese[1]) || zh.Count != 2 || !slices.Equal(zh.Languages, []string{"zh"}) {
		t.Errorf("Chinese paraphrases not grouped together: %+v", zh)
	}
	if g := gapWith(gaps, "do you ship to Mexico"); g == nil || g.Count != 1 {
		t.Errorf("Mexico should be a group of its own: %+v", g)
	}
	if g := gapWith(gaps, giftCards[0]); g == nil || !slices.Contains(g.Examples, giftCards[1]) || g.Count != 2 {
		t.Errorf("gift card paraphrases not grouped: %+v", g)
	}
	if g := gapWith(gaps, "is the kettle dishwasher safe"); g == nil || g.Reasons.LowConfidence != 1 || g.Reasons.Abstained != 0 {
		t.Errorf("weakly supported answer: %+v; want one low_confidence gap", g)
	}
	for _, q := range []string{"what are your opening hours", "where is my parcel LL-123456", "hi there"} {
		if g := gapWith(gaps, q); g != nil {
			t.Errorf("%q is not a knowledge gap but is in %s", q, g.ID)
		}
	}
	paypal := gapWith(gaps, "can I pay with PayPal?")
	if paypal == nil || paypal.Count != 2 || paypal.Reasons.NoAnswer != 2 || paypal.Reasons.Abstained != 2 {
		t.Fatalf("PayPal gap: %+v; want 2 questions, both abstained and no_answer", paypal)
	}
	if paypal.Draft.Answer != "Yes, we accept PayPal at checkout." || paypal.Draft.Question == "" || paypal.Draft.Title == "" {
		t.Errorf("PayPal draft %+v; want the agent's reply as answer", paypal.Draft)
	}
	if en.Draft.Answer != "" || en.Draft.Question != en.Question {
		t.Errorf("draft without an agent reply or model: %+v; want the question and an empty answer", en.Draft)
	}
	// Sorted by count, with ids in order.
	for i, g := range gaps {
		if g.ID != "g"+string(rune('1'+i)) && i < 9 {
			t.Errorf("gap %d has id %s", i, g.ID)
		}
		if i > 0 && gaps[i-1].Count < g.Count {
			t.Errorf("gaps not sorted by count: %d before %d", gaps[i-1].Count, g.Count)
		}
	}
	if gaps[0].ID != "g1" || gaps[0].Count != 4 {
		t.Errorf("largest gap first: %+v", gaps[0])
	}
}

func TestGapDraftWrittenByModel(t *testing.T) {
	env := newInsightsEnv(t)
	ctx := context.Background()
	c := env.conv()
	env.shopper(c.ID, "do you do engraving on the watches", "product_question", "neutral")
	env.bot(c.ID, false, 0.1)
	env.agent(c.ID, "yes engraving is free, up to 20 letters, adds 2 days")
	env.asked("can I get a gift receipt", "other")

	fake := fakellm.New()
	fake.Respond(func(r fakellm.Request) fakellm.Reply {
		if strings.Contains(r.LastUser(), "engraving") {
			return fakellm.Reply{Text: `Here you go: {"title":"Engraving","question":"Do you engrave watches?","answer":"Yes, engraving is free (up to 20 letters) and adds 2 days."}`}
		}
		return fakellm.Reply{Text: `{"title":"Gift receipts","question":"Can I get a gift receipt?","answer":"Of course, always!"}`}
	})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	model := llm.New(llm.Config{BaseURL: srv.URL + "/v1", Model: "fake", Retries: 1})
	gaps, err := analytics.NewInsights(env.db, analytics.InsightsOptions{Model: model}).Gaps(ctx, env.query())
	if err != nil {
		t.Fatal(err)
	}
	eng := gapWith(gaps, "do you do engraving on the watches")
	if eng == nil || eng.Draft.Question != "Do you engrave watches?" || !strings.Contains(eng.Draft.Answer, "free") || eng.Draft.Title != "Engraving" {
		t.Errorf("engraving draft: %+v; want the model's entry", eng)
	}
	gift := gapWith(gaps, "can I get a gift receipt")
	if gift == nil || gift.Draft.Question != "Can I get a gift receipt?" || gift.Draft.Answer != "" {
		t.Errorf("gift receipt draft: %+v; want the model's question and no answer (nothing to base one on)", gift)
	}
	var sawAgent bool
	for _, r := range fake.Requests() {
		if strings.Contains(r.Prompt(), "yes engraving is free") {
			sawAgent = true
		}
	}
	if !sawAgent {
		t.Errorf("the model was not given the agent's answer")
	}
}

func TestAtRiskReasons(t *testing.T) {
	env := newInsightsEnv(t)
	ctx := context.Background()
	commerce := knowledge.NewCommerce(env.db)
	orders := `[{"number":"LL-200001","status":"shipped","customer":{"id":"cust-9","email":"mia@example.com","name":"Mia"},"items":[{"sku":"S","title":"Lamp","quantity":1,"price":20}],"total":20}]`
	if res, err := commerce.ImportOrders(ctx, strings.NewReader(orders), knowledge.ImportOptions{SiteID: env.site.ID}); err != nil || len(res.Errors) > 0 {
		t.Fatalf("import: %+v %v", res, err)
	}
	custID, err := commerce.CustomerByExternalID(ctx, env.site.ID, "cust-9")
	if err != nil {
		t.Fatal(err)
	}

	// Mia (verified) is negative twice, across two conversations of two visitors.
	mia1, mia2 := env.conv(), env.conv()
	for _, c := range []*chat.Conversation{mia1, mia2} {
		if err := env.store.SetVisitorCustomer(ctx, c.VisitorID, custID); err != nil {
			t.Fatal(err)
		}
	}
	env.shopper(mia1.ID, "this is ridiculous", "complaint", "negative")
	env.shopper(mia2.ID, "still broken, awful", "complaint", "negative")
	// An unverified visitor waiting for a person.
	waiting := env.conv()
	env.shopper(waiting.ID, "I need a person", "human_agent", "neutral")
	if _, err := env.store.Transition(ctx, waiting.ID, chat.Change{Action: chat.ActionEscalate, Reason: chat.ReasonRequested, Priority: 2}); err != nil {
		t.Fatal(err)
	}
	// A visitor who rated 1 and left an email.
	rated := env.conv()
	env.shopper(rated.ID, "ok whatever", "other", "neutral")
	env.store.SetContactEmail(ctx, rated.ID, "lou@example.com")
	if err := env.store.SetCSAT(ctx, rated.ID, 1, "useless"); err != nil {
		t.Fatal(err)
	}
	// Negative once and happy: not at risk.
	once := env.conv()
	env.shopper(once.ID, "that was annoying", "complaint", "negative")
	env.store.SetCSAT(ctx, once.ID, 5, "")

	list, err := analytics.NewInsights(env.db, analytics.InsightsOptions{}).AtRisk(ctx, env.query())
	if err != nil {
		t.Fatal(err)
	}
	byVisitorConv := func(convID string) *analytics.AtRisk {
		for i := range list {
			if slices.Contains(list[i].ConversationIDs, convID) {
				return &list[i]
			}
		}
		return nil
	}
	if len(list) != 3 {
		b, _ := json.Marshal(list)
		t.Errorf("%d at-risk entries; want 3: %s", len(list), b)
	}
	mia := byVisitorConv(mia1.ID)
	if mia == nil || mia.Customer.ID != "cust-9" || mia.Customer.Email != "mia@example.com" || mia.Customer.Name != "Mia" ||
		!slices.Equal(mia.Reasons, []string{analytics.RiskNegative}) || mia.NegativeMessages != 2 || len(mia.ConversationIDs) != 2 || mia.CSAT != nil {
		t.Errorf("Mia: %+v; want one entry for both visitors, negative_sentiment, 2 negative messages", mia)
	}
	if w := byVisitorConv(waiting.ID); w == nil || !slices.Equal(w.Reasons, []string{analytics.RiskUnresolved}) || w.Customer.ID != "" || w.VisitorID != waiting.VisitorID {
		t.Errorf("waiting visitor: %+v; want unresolved_escalation", w)
	}
	if r := byVisitorConv(rated.ID); r == nil || !slices.Equal(r.Reasons, []string{analytics.RiskLowCSAT}) || r.CSAT == nil || *r.CSAT != 1 ||
		r.Customer.Email != "lou@example.com" {
		t.Errorf("low rating: %+v; want low_csat with csat 1 and the contact email", r)
	}
	if byVisitorConv(once.ID) != nil {
		t.Errorf("one negative message and a 5-star rating is not at risk")
	}
	// A period that holds none of it.
	q := env.query()
	q.From, q.To = q.From.AddDate(-1, 0, 0), q.From.AddDate(-1, 0, 1)
	if list, err := analytics.NewInsights(env.db, analytics.InsightsOptions{}).AtRisk(ctx, q); err != nil || len(list) != 0 {
		t.Errorf("at risk a year ago: %d, %v; want none", len(list), err)
	}
}

func TestTopicCounts(t *testing.T) {
	env := newInsightsEnv(t)
	ctx := context.Background()
	c := env.conv()
	env.shopper(c.ID, "the courier lost my parcel", "complaint", "negative")
	env.shopper(c.ID, "物流太慢了，一个星期还没到", "complaint", "negative")
	env.shopper(c.ID, "质量很差，用了两天就坏了", "other", "negative")
	env.shopper(c.ID, "your support team was super helpful", "feedback", "positive")
	env.shopper(c.ID, "do you have this in blue", "product_question", "neutral") // not feedback: not counted
	env.shopper(c.ID, "price is ok I guess", "feedback", "neutral")
	d := env.conv()
	env.shopper(d.ID, "hm", "other", "neutral")
	if err := env.store.SetCSAT(ctx, d.ID, 2, "退款到现在还没收到"); err != nil {
		t.Fatal(err)
	}
	e := env.conv()
	env.shopper(e.ID, "fine", "other", "neutral")
	env.store.SetCSAT(ctx, e.ID, 5, "") // no comment: nothing to classify

	rep, err := analytics.NewInsights(env.db, analytics.InsightsOptions{}).Topics(ctx, env.query())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]analytics.TopicCount{}
	for _, tc := range rep.Topics {
		got[tc.Topic] = tc
	}
	if len(rep.Topics) != 6 || rep.Topics[5].Topic != "other" || got["shipping"].LabelZH != "物流配送" {
		t.Errorf("topics %+v; want the six topics with labels, other last", rep.Topics)
	}
	want := map[string][4]int{ // count, negative, neutral, positive
		"shipping":        {2, 2, 0, 0},
		"product_quality": {1, 1, 0, 0},
		"service":         {1, 0, 0, 1},
		"price":           {1, 0, 1, 0},
		"refunds_returns": {1, 1, 0, 0},
		"other":           {0, 0, 0, 0},
	}
	for topic, w := range want {
		tc := got[topic]
		if [4]int{tc.Count, tc.Negative, tc.Neutral, tc.Positive} != w {
			t.Errorf("%s: count/neg/neu/pos = %d/%d/%d/%d; want %v (examples %v)", topic, tc.Count, tc.Negative, tc.Neutral, tc.Positive, w, tc.Examples)
		}
	}
	if rep.Total != 6 {
		t.Errorf("total %d; want 6", rep.Total)
	}
	if !slices.Contains(got["refunds_returns"].Examples, "退款到现在还没收到") {
		t.Errorf("refund examples %v lack the CSAT comment", got["refunds_returns"].Examples)
	}
}

const deliveryDoc = `# Delivery

## Delivery times
Standard delivery takes 5 to 8 business days. Express delivery takes 2 to 3 business days.
`

// insightsAnalyzer classifies everything as an out-of-scope question.
type insightsAnalyzer struct{}

func (insightsAnalyzer) Analyze(_ context.Context, _ int64, text string) chat.Analysis {
	return chat.Analysis{Intent: "delivery_info", Confidence: 0.9, Sentiment: "neutral"}
}

func (insightsAnalyzer) Entities(int64, string) ([]string, []string) { return nil, nil }

// newTurnEnv is kefu (offline or with the fake model) answering with
// insightsAnalyzer, and one site with the delivery document.
func newTurnEnv(t *testing.T, offline bool) (*insightsEnv, *kefutest.Stack) {
	t.Helper()
	ctx := context.Background()
	k := kefutest.Start(t, kefutest.Options{Offline: offline, Analyzer: insightsAnalyzer{}})
	site, err := k.Sites.Create(ctx, "Shop", []string{"https://shop.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	k.AddDocument(t, site.ID, "delivery.md", deliveryDoc)
	return &insightsEnv{t: t, db: k.Pool, store: k.Store, site: site, sites: k.Sites}, k
}

// The bot's turn records whether it answered and how sure retrieval was,
// and an unanswered question shows up as a gap.
func TestTurnRecordsAnsweredAndConfidence(t *testing.T) {
	env, k := newTurnEnv(t, true)
	ctx := context.Background()
	engine, hub, lib := k.Engine, k.Hub, k.Library
	ask := func(text string) *chat.Message {
		sess, err := engine.Hello(ctx, env.site, "", "en", nil)
		if err != nil {
			t.Fatal(err)
		}
		sub := hub.SubscribeConversation(sess.Conversation.ID, 64)
		defer sub.Close()
		if _, _, err := engine.Post(ctx, sess, "c1", text); err != nil {
			t.Fatal(err)
		}
		timeout := time.After(10 * time.Second)
		for {
			select {
			case ev := <-sub.C:
				if ev.Kind == chat.KindMessage && ev.Message.Role == chat.RoleBot {
					return ev.Message
				}
			case <-timeout:
				t.Fatalf("no bot reply to %q", text)
			}
		}
	}
	good := ask("how many business days does express delivery take")
	if good.Answered == nil || !*good.Answered || good.RetrievalConfidence == nil || *good.RetrievalConfidence < 0.3 {
		t.Errorf("answered reply: answered %v confidence %v", good.Answered, good.RetrievalConfidence)
	}
	bad := ask("do you sell replacement zeppelin propellers")
	if bad.Answered == nil || *bad.Answered || bad.RetrievalConfidence == nil {
		t.Errorf("abstained reply: answered %v confidence %v; want false and a confidence", bad.Answered, bad.RetrievalConfidence)
	}
	// Stored, not just published.
	msgs, err := env.store.Messages(ctx, bad.ConversationID, 0, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	if m := msgs[len(msgs)-1]; m.Role != chat.RoleBot || m.Answered == nil || *m.Answered || m.RetrievalConfidence == nil {
		t.Errorf("stored bot reply %+v lacks answered=false and its confidence", m)
	}
	gaps, err := analytics.NewInsights(env.db, analytics.InsightsOptions{Library: lib}).Gaps(ctx, env.query())
	if err != nil {
		t.Fatal(err)
	}
	if len(gaps) != 1 || gaps[0].Question != "do you sell replacement zeppelin propellers" || gaps[0].Reasons.Abstained != 1 {
		t.Errorf("gaps %+v; want the unanswered question only", gaps)
	}
}

// With a model, the reply carries the confidence of the retrieval done for
// its prompt.
func TestModelReplyRecordsConfidence(t *testing.T) {
	env, k := newTurnEnv(t, false)
	ctx := context.Background()
	k.Fake.Respond(func(fakellm.Request) fakellm.Reply {
		return fakellm.Reply{Text: "I am not sure, shall I get a colleague?"}
	})
	engine, hub := k.Engine, k.Hub
	sess, err := engine.Hello(ctx, env.site, "", "en", nil)
	if err != nil {
		t.Fatal(err)
	}
	sub := hub.SubscribeConversation(sess.Conversation.ID, 64)
	defer sub.Close()
	if _, _, err := engine.Post(ctx, sess, "c1", "do you sell replacement zeppelin propellers"); err != nil {
		t.Fatal(err)
	}
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev := <-sub.C:
			if ev.Kind != chat.KindMessage || ev.Message.Role != chat.RoleBot {
				continue
			}
			m := ev.Message
			if m.Model != "fake" || m.Answered == nil || *m.Answered || m.RetrievalConfidence == nil || *m.RetrievalConfidence >= 0.3 {
				t.Errorf("model reply: model %q answered %v confidence %v; want fake, false, a low confidence", m.Model, m.Answered, m.RetrievalConfidence)
			}
			return
		case <-timeout:
			t.Fatal("no bot reply")
		}
	}
}

// TestGapsCountTappedTopics: when the bot abstains and the shopper then
// taps one of the topics it offered, the gap says so and names the topic
// (the knowledge is there; the bot did not know it answers this wording).
func TestGapsCountTappedTopics(t *testing.T) {
	env := newInsightsEnv(t)
	ctx := context.Background()
	topics := []chat.Topic{{Label: "Size exchanges", Source: "returns.md", Heading: "Returns > Size exchanges"},
		{Label: "Return window", Source: "returns.md", Heading: "Returns > Return window"}}
	ask := func(then string) {
		c := env.conv()
		env.shopper(c.ID, "can i swap my hoodie for a smaller one", "return_request", "neutral")
		no := false
		if _, _, _, err := env.store.Append(ctx, &chat.Message{ConversationID: c.ID, Role: chat.RoleBot, Text: "not sure", Answered: &no, Topics: topics}); err != nil {
			t.Fatal(err)
		}
		env.shopper(c.ID, then, "return_request", "neutral")
		env.bot(c.ID, true, 0.1) // the tap's answer, on the question's weak retrieval
	}
	ask("Size exchanges")
	ask("Size exchanges")
	ask("hello??") // not a tap
	gaps, err := analytics.NewInsights(env.db, analytics.InsightsOptions{}).Gaps(ctx, env.query())
	if err != nil {
		t.Fatal(err)
	}
	g := gapWith(gaps, "can i swap my hoodie for a smaller one")
	if g == nil || g.Count != 3 || g.Reasons.Abstained != 3 || g.Reasons.Tapped != 2 || !slices.Equal(g.TappedTopics, []string{"Size exchanges"}) {
		t.Fatalf("gap %+v; want 3 abstentions, 2 of them followed by a tap on Size exchanges", g)
	}
	if gapWith(gaps, "Size exchanges") != nil {
		t.Errorf("the tap, answered, is a gap of its own: %+v", gaps)
	}
}

// TestGapsCountTapsAfterAnswers: a tap on a topic offered under an answer
// the bot was less sure of makes the question a gap (the answer was not
// what the shopper asked), though it was answered well enough.
func TestGapsCountTapsAfterAnswers(t *testing.T) {
	env := newInsightsEnv(t)
	ctx := context.Background()
	c := env.conv()
	env.shopper(c.ID, "linen throw care", "product_question", "neutral")
	yes, conf := true, 0.65
	if _, _, _, err := env.store.Append(ctx, &chat.Message{ConversationID: c.ID, Role: chat.RoleBot, Text: "Fold it loosely.", Answered: &yes,
		RetrievalConfidence: &conf, Topics: []chat.Topic{{Label: "Washing the linen throw", Source: "care.md", Heading: "Care > Washing the linen throw"}}}); err != nil {
		t.Fatal(err)
	}
	env.shopper(c.ID, "Washing the linen throw", "product_question", "neutral")
	env.bot(c.ID, true, 0.65)
	gaps, err := analytics.NewInsights(env.db, analytics.InsightsOptions{}).Gaps(ctx, env.query())
	if err != nil {
		t.Fatal(err)
	}
	g := gapWith(gaps, "linen throw care")
	if g == nil || g.Reasons.Tapped != 1 || g.Reasons.Abstained != 0 || !slices.Equal(g.TappedTopics, []string{"Washing the linen throw"}) {
		t.Fatalf("gaps %+v; want the answered question, tapped once on the washing section", gaps)
	}
}
