package chat_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"kefu/chat"
	"kefu/internal/account"
	"kefu/internal/fakellm"
	"kefu/internal/kefutest"
	"kefu/internal/pgtest"
	"kefu/internal/sites"
	"kefu/knowledge"
	"kefu/llm"
	"kefu/retrieval"
)

// agentFixture is the engine's fixture plus console accounts.
type agentFixture struct {
	*fixture
	accounts *account.Store
	admin    *account.User
}

func newAgentFixture(t *testing.T, withModel bool) *agentFixture {
	t.Helper()
	ctx := context.Background()
	db := pgtest.New(t)
	siteStore := sites.NewStore(db)
	site, err := siteStore.Create(ctx, "Shop", []string{"https://shop.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	commerce := knowledge.NewCommerce(db)
	orders := `[{"number":"LL-100001","status":"shipped","customer":{"id":"c1","email":"ann@example.com","name":"Ann"},"items":[{"sku":"S","title":"Lamp","quantity":1,"price":20}],"total":20,"carrier":"DHL","tracking_number":"JD0001"}]`
	if res, err := commerce.ImportOrders(ctx, strings.NewReader(orders), knowledge.ImportOptions{SiteID: site.ID}); err != nil || len(res.Errors) > 0 {
		t.Fatalf("import orders: %+v %v", res, err)
	}
	lib := knowledge.NewLibrary(db, retrieval.NewIndex(db, retrieval.NewHashEmbedder(retrieval.DefaultDim)), nil)
	lib.Index().EnsureModel(ctx)
	if _, err := lib.Add(ctx, site.ID, "shipping.md", []byte(shippingDoc)); err != nil {
		t.Fatal(err)
	}
	if err := lib.ProcessAll(ctx); err != nil {
		t.Fatal(err)
	}
	f := &agentFixture{fixture: &fixture{t: t, store: chat.NewStore(db), hub: chat.NewHub(), site: site, sites: siteStore},
		accounts: account.NewStore(db)}
	opts := chat.Options{Store: f.store, Sites: siteStore, Hub: f.hub, Analyzer: kefutest.Keywords{}, Library: lib, Commerce: commerce,
		Users: f.accounts.Users, AgentsOnline: f.accounts.Presence.Online}
	if withModel {
		f.fake = fakellm.New()
		srv := httptest.NewServer(f.fake)
		t.Cleanup(srv.Close)
		opts.Model = llm.New(llm.Config{BaseURL: srv.URL + "/v1", Model: "fake", FirstTokenTimeout: 500 * time.Millisecond, Retries: 1})
	}
	f.engine = chat.NewEngine(opts)
	t.Cleanup(func() { f.engine.Close(context.Background()) })
	f.admin = f.agent("boss@example.com", account.RoleAdmin)
	return f
}

// agent creates a user working for the fixture's site.
func (f *agentFixture) agent(email, role string) *account.User {
	f.t.Helper()
	ctx := context.Background()
	u, err := f.accounts.Users.Create(ctx, email, strings.Split(email, "@")[0], role, "long-enough")
	if err != nil {
		f.t.Fatal(err)
	}
	if err := f.accounts.Users.AddToSite(ctx, u.ID, f.site.ID); err != nil {
		f.t.Fatal(err)
	}
	return u
}

// queued opens a visitor whose conversation waits for a person.
func (f *agentFixture) queued(locale, text string) *visitor {
	f.t.Helper()
	v := f.visitor(locale)
	v.say(text)
	if _, err := f.store.Transition(context.Background(), v.sess.Conversation.ID,
		chat.Change{Action: chat.ActionEscalate, Reason: chat.ReasonRequested, Priority: 2, Summary: "wants a person"}); err != nil {
		f.t.Fatal(err)
	}
	return v
}

// drain collects a visitor's events for d.
func (v *visitor) drain(d time.Duration) []chat.Event {
	var evs []chat.Event
	deadline := time.After(d)
	for {
		select {
		case ev := <-v.sub.C:
			evs = append(evs, *ev)
		case <-deadline:
			return evs
		}
	}
}

func states(evs []chat.Event) []chat.State {
	var out []chat.State
	for _, ev := range evs {
		if ev.Kind == chat.KindState {
			out = append(out, ev.State)
		}
	}
	return out
}

// Many agents claim at once: exactly one wins, every other learns who.
func TestAgentClaimRace(t *testing.T) {
	f := newAgentFixture(t, false)
	v := f.queued("en", "zxq wibble")
	v.drain(100 * time.Millisecond)
	var agents []*account.User
	for i := range 8 {
		agents = append(agents, f.agent(fmt.Sprintf("agent%d@example.com", i), account.RoleAgent))
	}
	errs := make([]error, len(agents))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, a := range agents {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = f.engine.Claim(context.Background(), v.sess.Conversation.ID, a)
		}()
	}
	close(start)
	wg.Wait()
	var winner *account.User
	for i, err := range errs {
		if err == nil {
			if winner != nil {
				t.Fatalf("two claims won: %s and %s", winner.Email, agents[i].Email)
			}
			winner = agents[i]
		}
	}
	if winner == nil {
		t.Fatalf("no claim won: %v", errs)
	}
	for i, err := range errs {
		if err == nil {
			continue
		}
		var ce *chat.ClaimedError
		if !errors.As(err, &ce) || !errors.Is(err, chat.ErrClaimed) || ce.UserID != winner.ID || !strings.Contains(err.Error(), winner.Name) {
			t.Errorf("%s lost with %v; want a ClaimedError naming %s", agents[i].Email, err, winner.Name)
		}
	}
	c := v.conversation()
	if c.State != chat.StateAgent || c.AssignedUserID == nil || *c.AssignedUserID != winner.ID {
		t.Errorf("after the race: %s owned by %v; want agent %d", c.State, c.AssignedUserID, winner.ID)
	}
	evs := v.drain(300 * time.Millisecond)
	joined := replies(evs, chat.RoleSystem)
	if len(joined) != 1 || !strings.Contains(joined[0].Text, winner.Name+" has joined") {
		t.Errorf("system messages %+v; want one saying %s joined", joined, winner.Name)
	}
	if st := states(evs); len(st) != 1 || st[0] != chat.StateAgent {
		t.Errorf("state events %v; want one agent", st)
	}
	// Claiming one's own conversation again changes nothing.
	if _, err := f.engine.Claim(context.Background(), c.ID, winner); err != nil {
		t.Errorf("re-claim by the owner: %v", err)
	}
	if evs := v.drain(200 * time.Millisecond); len(evs) != 0 {
		t.Errorf("re-claim published %+v; want nothing", evs)
	}
}

// The whole takeover: reply (claims), note, hand back (the bot answers
// again), then resolve.
func TestAgentTakeover(t *testing.T) {
	f := newAgentFixture(t, false)
	ctx := context.Background()
	ann := f.agent("ann@example.com", account.RoleAgent)
	v := f.queued("en", "zxq wibble")
	v.drain(100 * time.Millisecond)
	id := v.sess.Conversation.ID

	m, conv, err := f.engine.Reply(ctx, id, ann, "  Hi, I'm Ann. Let me check.  ", "r1")
	if err != nil {
		t.Fatal(err)
	}
	if m.Role != chat.RoleAgent || m.Text != "Hi, I'm Ann. Let me check." || m.UserID == nil || *m.UserID != ann.ID {
		t.Errorf("reply stored as %+v; want role agent by ann, trimmed", m)
	}
	if conv.State != chat.StateAgent || *conv.AssignedUserID != ann.ID {
		t.Errorf("replying to a queued conversation: %s; want it claimed by ann", conv.State)
	}
	evs := v.drain(300 * time.Millisecond)
	if got := replies(evs, chat.RoleAgent); len(got) != 1 || got[0].ID != m.ID {
		t.Errorf("shopper's events %+v; want the agent's reply", evs)
	}
	if again, _, err := f.engine.Reply(ctx, id, ann, "Hi, I'm Ann. Let me check.", "r1"); err != nil || again.ID != m.ID {
		t.Errorf("resend with the same client_id: %+v %v; want the first message", again, err)
	}

	note, err := f.engine.Note(ctx, id, ann, "customer sounds upset", "")
	if err != nil || note.Role != chat.RoleNote {
		t.Fatalf("Note = %+v, %v", note, err)
	}
	shopperView, _ := f.store.Messages(ctx, id, 0, 0, false)
	for _, sm := range shopperView {
		if sm.Role == chat.RoleNote {
			t.Errorf("a note is in the shopper's replay: %+v", sm)
		}
	}

	// While the agent owns it the bot stays silent.
	if bot := replies(v.say("how long is express delivery"), chat.RoleBot); len(bot) != 0 {
		t.Errorf("bot replied while an agent owns the conversation: %+v", bot)
	}

	conv, err = f.engine.Handback(ctx, id, ann)
	if err != nil || conv.State != chat.StateBot || conv.AssignedUserID != nil {
		t.Fatalf("Handback = %+v, %v; want bot, unassigned", conv, err)
	}
	evs = v.drain(300 * time.Millisecond)
	if sys := replies(evs, chat.RoleSystem); len(sys) != 1 || !strings.Contains(sys[0].Text, "back with the assistant") {
		t.Errorf("handback notice %+v; want one in English", sys)
	}
	bot := replies(v.say("how long is express delivery"), chat.RoleBot)
	if len(bot) != 1 || !strings.Contains(bot[0].Text, "2 to 3 business days") {
		t.Errorf("after handback the bot answered %+v; want the delivery time", bot)
	}

	conv, err = f.engine.Resolve(ctx, id, ann)
	if err != nil || conv.State != chat.StateResolved || conv.ResolvedAt == nil {
		t.Fatalf("Resolve = %+v, %v", conv, err)
	}
	evs = v.drain(300 * time.Millisecond)
	if st := states(evs); len(st) != 1 || st[0] != chat.StateResolved {
		t.Errorf("state events %v; want resolved (the widget asks for a rating)", st)
	}
	if _, _, err := f.engine.Reply(ctx, id, ann, "one more thing", ""); !errors.Is(err, chat.ErrTransition) {
		t.Errorf("reply to a resolved conversation: %v; want ErrTransition", err)
	}
	if _, err := f.engine.Note(ctx, id, ann, "followed up by email", ""); err != nil {
		t.Errorf("note on a resolved conversation: %v", err)
	}
}

// Only the owner (or an admin) acts on an owned conversation.
func TestAgentOwnership(t *testing.T) {
	f := newAgentFixture(t, false)
	ctx := context.Background()
	ann := f.agent("ann@example.com", account.RoleAgent)
	bob := f.agent("bob@example.com", account.RoleAgent)
	other, _ := f.sites.Create(ctx, "Other", nil)
	stranger, _ := f.accounts.Users.Create(ctx, "eve@example.com", "Eve", account.RoleAgent, "long-enough")
	f.accounts.Users.AddToSite(ctx, stranger.ID, other.ID)
	v := f.queued("en", "zxq wibble")
	id := v.sess.Conversation.ID
	if _, err := f.engine.Claim(ctx, id, ann); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		do   func() error
	}{
		{"reply", func() error { _, _, err := f.engine.Reply(ctx, id, bob, "hi", ""); return err }},
		{"handback", func() error { _, err := f.engine.Handback(ctx, id, bob); return err }},
		{"resolve", func() error { _, err := f.engine.Resolve(ctx, id, bob); return err }},
		{"transfer", func() error { _, err := f.engine.Transfer(ctx, id, bob, bob.ID); return err }},
		{"claim", func() error { _, err := f.engine.Claim(ctx, id, bob); return err }},
	}
	for _, tt := range tests {
		var ce *chat.ClaimedError
		if err := tt.do(); !errors.As(err, &ce) || ce.UserID != ann.ID || !strings.Contains(err.Error(), "ann") {
			t.Errorf("bob %s on ann's conversation: %v; want a ClaimedError naming ann", tt.name, err)
		}
	}
	if _, err := f.engine.Note(ctx, id, bob, "I know this customer", ""); err != nil {
		t.Errorf("bob's note on ann's conversation: %v", err)
	}
	if _, err := f.engine.Transfer(ctx, id, ann, stranger.ID); !errors.Is(err, chat.ErrInvalid) {
		t.Errorf("transfer to an agent of another site: %v; want ErrInvalid", err)
	}
	if _, err := f.engine.Transfer(ctx, id, ann, 999999); !errors.Is(err, chat.ErrInvalid) {
		t.Errorf("transfer to an unknown user: %v; want ErrInvalid", err)
	}
	v.drain(200 * time.Millisecond)
	conv, err := f.engine.Transfer(ctx, id, ann, bob.ID)
	if err != nil || *conv.AssignedUserID != bob.ID || conv.State != chat.StateAgent {
		t.Fatalf("ann transfers to bob: %+v, %v", conv, err)
	}
	evs := v.drain(300 * time.Millisecond)
	if sys := replies(evs, chat.RoleSystem); len(sys) != 1 || !strings.Contains(sys[0].Text, "bob has joined") {
		t.Errorf("transfer notice %+v; want bob joined", sys)
	}
	for _, ev := range evs {
		if ev.Kind == chat.KindState && (ev.UserID == nil || *ev.UserID != bob.ID || ev.AgentName != "bob") {
			t.Errorf("state event %+v; want it to name bob", ev)
		}
	}
	if _, _, err := f.engine.Reply(ctx, id, bob, "Bob here", ""); err != nil {
		t.Errorf("bob replies after the transfer: %v", err)
	}
	// An admin may resolve anyone's conversation.
	if conv, err := f.engine.Resolve(ctx, id, f.admin); err != nil || conv.State != chat.StateResolved {
		t.Errorf("admin resolves bob's conversation: %+v, %v", conv, err)
	}
	// Handing back a bot conversation is not a thing.
	w := f.visitor("en")
	if _, err := f.engine.Handback(ctx, w.sess.Conversation.ID, ann); !errors.Is(err, chat.ErrTransition) {
		t.Errorf("handback of a bot conversation: %v; want ErrTransition", err)
	}
	for _, text := range []string{"", "   ", strings.Repeat("x", chat.MaxMessageLength+1), "\xff"} {
		if _, _, err := f.engine.Reply(ctx, w.sess.Conversation.ID, ann, text, ""); !errors.Is(err, chat.ErrInvalid) {
			t.Errorf("Reply(%.10q) = %v; want ErrInvalid", text, err)
		}
	}
}

func TestHandbackInShoppersLanguage(t *testing.T) {
	f := newAgentFixture(t, false)
	ctx := context.Background()
	ann := f.agent("ann@example.com", account.RoleAgent)
	v := f.queued("en", "我要找人工客服")
	id := v.sess.Conversation.ID
	f.engine.Claim(ctx, id, ann)
	v.drain(200 * time.Millisecond)
	f.engine.Handback(ctx, id, ann)
	sys := replies(v.drain(300*time.Millisecond), chat.RoleSystem)
	if len(sys) != 1 || !strings.Contains(sys[0].Text, "智能客服") {
		t.Errorf("handback notice to a Chinese-writing shopper: %+v; want Chinese", sys)
	}
}

func TestSuggestOffline(t *testing.T) {
	f := newAgentFixture(t, false)
	ctx := context.Background()
	v := f.queued("en", "how long does express delivery take")
	id := v.sess.Conversation.ID
	v.drain(200 * time.Millisecond)
	before := v.conversation().LastSeq
	s, err := f.engine.Suggest(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if s.Source != "knowledge" || !strings.Contains(s.Text, "2 to 3 business days") || len(s.Citations) != 1 || s.ReplyTo == 0 {
		t.Errorf("Suggest = %+v; want the best passage with its citation", s)
	}
	if evs := v.drain(200 * time.Millisecond); len(evs) != 0 || v.conversation().LastSeq != before {
		t.Errorf("a suggestion reached the conversation: %+v", evs)
	}
	// A site that quotes nothing to shoppers: the agent still gets the
	// likeliest part of a passage, not the whole passage.
	f.configure(map[string]any{"escalation": map[string]any{"min_confidence": 0.99}})
	s, err = f.engine.Suggest(ctx, id)
	if err != nil || s.Source != "knowledge" || !strings.Contains(s.Text, "2 to 3 business days") || len(s.Citations) != 1 ||
		strings.Contains(s.Text, "5 to 8") {
		t.Errorf("Suggest under the quoting threshold = %+v, %v; want the best extract with its citation", s, err)
	}
	f.configure(map[string]any{})
	// An order question of a verified shopper: the order row.
	w := f.visitor("en")
	w.say("my order LL-100001, email ann@example.com")
	s, err = f.engine.Suggest(ctx, w.sess.Conversation.ID)
	if err != nil || s.Source != "orders" || !strings.Contains(s.Text, "JD0001") {
		t.Errorf("order suggestion = %+v, %v; want the order's tracking", s, err)
	}
	// Nothing to answer yet.
	empty := f.visitor("en")
	if _, err := f.engine.Suggest(ctx, empty.sess.Conversation.ID); !errors.Is(err, chat.ErrInvalid) {
		t.Errorf("Suggest with no shopper message: %v; want ErrInvalid", err)
	}
}

func TestSuggestWithModelDoesNotStream(t *testing.T) {
	f := newAgentFixture(t, true)
	ctx := context.Background()
	f.fake.Respond(func(r fakellm.Request) fakellm.Reply {
		if strings.Contains(r.Prompt(), "draft") {
			return fakellm.Reply{Text: "Express takes 2 to 3 business days [1]."}
		}
		return fakellm.Reply{Text: "bot answer"}
	})
	v := f.queued("en", "how long does express delivery take")
	id := v.sess.Conversation.ID
	v.drain(300 * time.Millisecond)
	s, err := f.engine.Suggest(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if s.Source != "model" || s.Text != "Express takes 2 to 3 business days [1]." || s.Model != "fake" ||
		len(s.Citations) != 1 || s.Citations[0].Source != "shipping.md" {
		t.Errorf("Suggest = %+v; want the model's draft citing shipping.md", s)
	}
	reqs := f.fake.Requests()
	last := reqs[len(reqs)-1]
	for _, tool := range last.Tools {
		if strings.Contains(string(tool), "request_human") {
			t.Errorf("suggestion offered the model request_human")
		}
	}
	if evs := v.drain(200 * time.Millisecond); len(evs) != 0 {
		t.Errorf("suggesting published %+v to the conversation; want nothing (no deltas)", evs)
	}
	// The model failing falls back to the passage.
	f.fake.SetFailure(fakellm.Fail500, 10)
	if s, err := f.engine.Suggest(ctx, id); err != nil || s.Source != "knowledge" {
		t.Errorf("model failing: %+v, %v; want the knowledge passage", s, err)
	}
	if st := f.engine.ModelStatus(); !st.Configured || st.Name != "fake" {
		t.Errorf("ModelStatus = %+v", st)
	}
}

func TestInbox(t *testing.T) {
	f := newAgentFixture(t, false)
	ctx := context.Background()
	ann := f.agent("ann@example.com", account.RoleAgent)
	other, _ := f.sites.Create(ctx, "Other", nil)
	eve, _ := f.accounts.Users.Create(ctx, "eve@example.com", "Eve", account.RoleAgent, "long-enough")
	f.accounts.Users.AddToSite(ctx, eve.ID, other.ID)

	// Five queued conversations: priorities 1, 3, 2, 3, 1 in that order of arrival.
	var ids []string
	for i, p := range []int{1, 3, 2, 3, 1} {
		v := f.visitor("en")
		v.say(fmt.Sprintf("terrible %d", i))
		if _, err := f.store.Transition(ctx, v.sess.Conversation.ID, chat.Change{Action: chat.ActionEscalate, Reason: chat.ReasonRequested, Priority: p}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, v.sess.Conversation.ID)
		time.Sleep(5 * time.Millisecond)
	}
	f.visitor("en") // an empty bot conversation is never listed
	chatty := f.visitor("en")
	chatty.say("hello")

	annScope, _ := f.accounts.Users.ScopeOf(ctx, ann)
	want := []string{ids[1], ids[3], ids[2], ids[0], ids[4]} // priority, then longest waiting
	var got []string
	cursor := ""
	for range 10 {
		page, err := f.store.Inbox(ctx, chat.InboxQuery{View: chat.ViewQueued, Scope: annScope, Cursor: cursor, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Items {
			got = append(got, it.ID)
			if it.LastMessage == nil || it.Sentiment != "negative" {
				t.Errorf("queue item %+v; want the last message and the shopper's sentiment", it)
			}
		}
		if cursor = page.Next; cursor == "" {
			break
		}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("queue order %v; want %v (priority, then waiting time)", got, want)
	}

	f.engine.Claim(ctx, ids[2], ann)
	tests := []struct {
		name string
		q    chat.InboxQuery
		want int
	}{
		{"open", chat.InboxQuery{Scope: annScope}, 5},
		{"mine", chat.InboxQuery{View: chat.ViewAgent, Mine: ann.ID, Scope: annScope}, 1},
		{"queued", chat.InboxQuery{View: chat.ViewQueued, Scope: annScope}, 4},
		{"bot", chat.InboxQuery{View: chat.ViewBot, Scope: annScope}, 1},
		{"resolved", chat.InboxQuery{View: chat.ViewResolved, Scope: annScope}, 0},
		{"other site's agent", chat.InboxQuery{Scope: account.Scope{SiteIDs: []int64{other.ID}}}, 0},
		{"no sites", chat.InboxQuery{Scope: account.Scope{}}, 0},
		{"narrowed to a site outside the scope", chat.InboxQuery{Scope: annScope, SiteID: other.ID}, 0},
		{"admin", chat.InboxQuery{Scope: account.Scope{All: true}}, 5},
	}
	for _, tt := range tests {
		page, err := f.store.Inbox(ctx, tt.q)
		if err != nil || len(page.Items) != tt.want {
			t.Errorf("%s: %d items, %v; want %d", tt.name, len(page.Items), err, tt.want)
		}
	}
	if _, err := f.store.Inbox(ctx, chat.InboxQuery{View: "nonsense", Scope: annScope}); !errors.Is(err, chat.ErrInvalid) {
		t.Errorf("unknown view: %v; want ErrInvalid", err)
	}
	for _, bad := range []string{"!!", "eyJ0IjoiMjAyNi0wMS0wMVQwMDowMDowMFoiLCJpZCI6IngifQ"} {
		if _, err := f.store.Inbox(ctx, chat.InboxQuery{Scope: annScope, Cursor: bad}); !errors.Is(err, chat.ErrInvalid) {
			t.Errorf("cursor %q: %v; want ErrInvalid", bad, err)
		}
	}
	f.engine.Resolve(ctx, ids[2], ann)
	if page, _ := f.store.Inbox(ctx, chat.InboxQuery{View: chat.ViewResolved, Mine: ann.ID, Scope: annScope}); len(page.Items) != 1 {
		t.Errorf("resolved by ann: %d; want 1", len(page.Items))
	}
	n, err := f.store.InboxCounts(ctx, annScope, ann.ID)
	if err != nil || n.Queued != 4 || n.Mine != 0 || n.Open != 4 {
		t.Errorf("InboxCounts = %+v, %v; want 4 queued, 0 mine, 4 open", n, err)
	}
}

func TestDetail(t *testing.T) {
	f := newAgentFixture(t, false)
	ctx := context.Background()
	ann := f.agent("ann@example.com", account.RoleAgent)
	v := f.visitor("en")
	v.say("my order LL-100001, email ann@example.com") // verifies the shopper as customer c1
	id := v.sess.Conversation.ID
	f.store.Transition(ctx, id, chat.Change{Action: chat.ActionEscalate, Reason: chat.ReasonRequested, Priority: 2, Summary: "asks about LL-100001"})
	f.engine.Reply(ctx, id, ann, "Looking now", "")
	f.engine.Note(ctx, id, ann, "VIP", "")
	d, err := f.engine.Detail(ctx, id, 0)
	if err != nil {
		t.Fatal(err)
	}
	roles := map[string]int{}
	for _, m := range d.Messages {
		roles[m.Role]++
		if m.Role == chat.RoleShopper && m.Intent == "" {
			t.Errorf("shopper message without its intent: %+v", m)
		}
	}
	if roles[chat.RoleNote] != 1 || roles[chat.RoleAgent] != 1 || roles[chat.RoleShopper] != 1 || roles[chat.RoleBot] != 1 {
		t.Errorf("detail messages by role %v; want shopper, bot, agent and the note", roles)
	}
	if d.Authors[ann.ID] != "ann" || d.AssignedName != "ann" || d.EscalationSummary != "asks about LL-100001" {
		t.Errorf("detail authors %v assigned %q summary %q", d.Authors, d.AssignedName, d.EscalationSummary)
	}
	if len(d.Orders) != 1 || d.Orders[0].Number != "LL-100001" || d.Customer == nil || d.Customer.Email != "ann@example.com" {
		t.Errorf("detail orders %+v customer %+v; want the verified customer's order", d.Orders, d.Customer)
	}
	if d, _ := f.engine.Detail(ctx, id, d.LastSeq-1); len(d.Messages) != 1 || !d.HasEarlier {
		t.Errorf("detail after seq: %d messages; want the last one", len(d.Messages))
	}
	anon := f.visitor("en")
	anon.say("hello")
	if d, _ := f.engine.Detail(ctx, anon.sess.Conversation.ID, 0); len(d.Orders) != 0 || d.Customer != nil {
		t.Errorf("unverified shopper's detail shows orders: %+v", d.Orders)
	}
}
