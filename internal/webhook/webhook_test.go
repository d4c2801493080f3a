package webhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"kefu/chat"
	"kefu/internal/account"
	"kefu/internal/audit"
	"kefu/internal/kefutest"
	"kefu/internal/pgtest"
	"kefu/internal/privacy"
	"kefu/internal/sites"
	"kefu/internal/webhook"
)

// clock is a test's time: deliveries, leases and backoff read it.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now().UTC().Truncate(time.Second)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// hit is one request a receiver got.
type hit struct {
	body     webhook.Body
	raw      []byte
	sig      string
	delivery string
	attempt  int
}

// receiver is a webhook endpoint whose answers the test chooses: answer
// decides each response (nil: 204).
type receiver struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	hits   []hit
	got    chan hit // every request, as it arrives
	answer func(h hit, w http.ResponseWriter, r *http.Request)
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{t: t, got: make(chan hit, 1000)}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		h := hit{raw: raw, sig: r.Header.Get(webhook.SignatureHeader), delivery: r.Header.Get(webhook.DeliveryHeader)}
		h.attempt, _ = strconv.Atoi(r.Header.Get(webhook.AttemptHeader))
		if err := json.Unmarshal(raw, &h.body); err != nil {
			t.Errorf("receiver: body is not the documented JSON: %v: %s", err, raw)
		}
		rc.mu.Lock()
		rc.hits = append(rc.hits, h)
		answer := rc.answer
		rc.mu.Unlock()
		rc.got <- h
		if answer != nil {
			answer(h, w, r)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) setAnswer(f func(h hit, w http.ResponseWriter, r *http.Request)) {
	rc.mu.Lock()
	rc.answer = f
	rc.mu.Unlock()
}

func (rc *receiver) all() []hit {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]hit(nil), rc.hits...)
}

// wait returns the next request, failing after 20 s.
func (rc *receiver) wait(what string) hit {
	rc.t.Helper()
	select {
	case h := <-rc.got:
		return h
	case <-time.After(20 * time.Second):
		rc.t.Fatalf("the receiver got no request: waiting for %s", what)
		return hit{}
	}
}

// env is a database with a site, its conversations and the webhook service.
type env struct {
	t     *testing.T
	db    *pgxpool.Pool
	svc   *webhook.Service
	clock *clock
	site  *sites.Site
	store *chat.Store
}

func newEnv(t *testing.T) *env {
	t.Helper()
	db := pgtest.New(t)
	e := &env{t: t, db: db, clock: newClock(), store: chat.NewStore(db)}
	e.svc = webhook.NewService(db, e.clock.Now)
	e.store.SetEvents(e.svc)
	var err error
	if e.site, err = sites.NewStore(db).Create(context.Background(), "Lumen & Loom", []string{"https://shop.example"}); err != nil {
		t.Fatal(err)
	}
	return e
}

// subscribe subscribes rc to events of e's site (private addresses allowed:
// the receiver is on 127.0.0.1).
func (e *env) subscribe(rc *receiver, events ...string) *webhook.Subscription {
	e.t.Helper()
	sub, err := e.svc.Create(context.Background(), e.site.ID, webhook.Input{URL: rc.srv.URL + "/hooks", Events: events, AllowPrivate: true})
	if err != nil {
		e.t.Fatal(err)
	}
	return sub
}

// conversation starts a visitor's conversation on e's site.
func (e *env) conversation() (*chat.Visitor, *chat.Conversation) {
	e.t.Helper()
	ctx := context.Background()
	v, err := e.store.NewVisitor(ctx, e.site.ID, "en")
	if err != nil {
		e.t.Fatal(err)
	}
	c, err := e.store.OpenConversation(ctx, v, "en")
	if err != nil {
		e.t.Fatal(err)
	}
	return v, c
}

func (e *env) say(convID, role, text string) *chat.Message {
	e.t.Helper()
	m, _, _, err := e.store.Append(context.Background(), &chat.Message{ConversationID: convID, Role: role, Text: text})
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}

func (e *env) worker(o webhook.WorkerOptions) *webhook.Worker {
	if o.Backoff == nil {
		o.Backoff = func(int) time.Duration { return 0 }
	}
	return webhook.NewWorker(e.svc, o)
}

func (e *env) runOnce(w *webhook.Worker) int {
	e.t.Helper()
	n, err := w.RunOnce(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func (e *env) count(sql string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.db.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

func TestRecordWritesWithTheChangeOnly(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	_, conv := e.conversation()
	// Nobody subscribed: nothing is written.
	e.say(conv.ID, chat.RoleShopper, "Hello")
	if n := e.count("select count(*) from webhook_events"); n != 0 {
		t.Fatalf("with no subscription: %d events recorded; want 0", n)
	}
	rc := newReceiver(t)
	e.subscribe(rc, webhook.MessageCreated)
	// A change that rolls back takes its event with it.
	errRollback := errors.New("roll back")
	err := pgx.BeginFunc(ctx, e.db, func(tx pgx.Tx) error {
		if err := e.svc.Record(ctx, tx, webhook.Event{Type: webhook.MessageCreated, SiteID: e.site.ID, ConversationID: conv.ID,
			Data: map[string]any{"x": 1}}); err != nil {
			return err
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatal(err)
	}
	if n := e.count("select count(*) from webhook_events"); n != 0 {
		t.Fatalf("after a rollback: %d events; want 0", n)
	}
	// A committed change has its event, once per subscription that wants it.
	e.say(conv.ID, chat.RoleShopper, "Where is my order?")
	if n := e.count("select count(*) from webhook_deliveries where state = 'pending'"); n != 1 {
		t.Fatalf("after a committed message: %d pending deliveries; want 1", n)
	}
	// An unknown type is a clear error, and writes nothing.
	err = e.svc.Emit(ctx, webhook.Event{Type: "conversation.exploded", SiteID: e.site.ID})
	if !errors.Is(err, webhook.ErrInvalid) {
		t.Fatalf("Emit of an unknown type: %v; want ErrInvalid", err)
	}
}

func TestSignatureVerifies(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t)
	sub := e.subscribe(rc, webhook.MessageCreated)
	_, conv := e.conversation()
	e.say(conv.ID, chat.RoleShopper, "Hello there")
	w := e.worker(webhook.WorkerOptions{})
	if n := e.runOnce(w); n != 1 {
		t.Fatalf("RunOnce claimed %d; want 1", n)
	}
	h := rc.wait("the message")
	if err := webhook.Verify(sub.Secret, h.sig, h.raw, 5*time.Minute, e.clock.Now()); err != nil {
		t.Fatalf("Verify(%q) = %v; want nil", h.sig, err)
	}
	// The header is exactly t=UNIX,v1=HEX.
	if want := webhook.Sign(sub.Secret, e.clock.Now(), h.raw); h.sig != want {
		t.Errorf("signature %q; want %q", h.sig, want)
	}
	tampered := []byte(strings.Replace(string(h.raw), "Hello", "Hallo", 1))
	if err := webhook.Verify(sub.Secret, h.sig, tampered, 5*time.Minute, e.clock.Now()); !errors.Is(err, webhook.ErrSignature) {
		t.Errorf("Verify of a changed body = %v; want ErrSignature", err)
	}
	if err := webhook.Verify("whsec_other", h.sig, h.raw, 5*time.Minute, e.clock.Now()); !errors.Is(err, webhook.ErrSignature) {
		t.Errorf("Verify with another secret = %v; want ErrSignature", err)
	}
	if err := webhook.Verify(sub.Secret, h.sig, h.raw, 5*time.Minute, e.clock.Now().Add(10*time.Minute)); !errors.Is(err, webhook.ErrTimestamp) {
		t.Errorf("Verify 10 minutes later = %v; want ErrTimestamp", err)
	}
	if h.body.Type != webhook.MessageCreated || h.body.Site != e.site.Key || h.body.ID == "" || h.body.CreatedAt.IsZero() {
		t.Errorf("body %+v; want type, site key, id and created_at", h.body)
	}
	var data struct {
		ConversationID string           `json:"conversation_id"`
		Message        chat.HookMessage `json:"message"`
	}
	if err := json.Unmarshal(h.body.Data, &data); err != nil || data.ConversationID != conv.ID || data.Message.Text != "Hello there" ||
		data.Message.Role != chat.RoleShopper || data.Message.Seq != 1 {
		t.Errorf("data %s (%v); want the shopper's message", h.body.Data, err)
	}
}

func TestReceiverFailsTimesOutAndRecovers(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t)
	sub := e.subscribe(rc, webhook.ConversationCreated, webhook.MessageCreated)
	_, conv := e.conversation()
	e.say(conv.ID, chat.RoleShopper, "Hi")
	calls := 0
	rc.setAnswer(func(h hit, w http.ResponseWriter, r *http.Request) {
		calls++
		switch calls {
		case 1:
			http.Error(w, "database is down", http.StatusServiceUnavailable)
		case 2:
			<-r.Context().Done() // hangs until kefu gives up
		default:
			w.WriteHeader(http.StatusOK)
			io.WriteString(w, `{"ok":true}`)
		}
	})
	var backoffs []int
	w := e.worker(webhook.WorkerOptions{Timeout: 300 * time.Millisecond, Batch: 1,
		Backoff: func(n int) time.Duration { backoffs = append(backoffs, n); return time.Duration(n) * time.Minute }})
	// conversation.created goes first; message.created waits behind it.
	for i, want := range []string{"HTTP 503", "timed out", ""} {
		if n := e.runOnce(w); n != 1 {
			t.Fatalf("pass %d claimed %d; want 1", i+1, n)
		}
		if h := rc.wait("attempt"); h.body.Type != webhook.ConversationCreated || h.attempt != i+1 {
			t.Fatalf("pass %d delivered %s attempt %d; want conversation.created attempt %d", i+1, h.body.Type, h.attempt, i+1)
		}
		if i < 2 {
			// Due only after its backoff: nothing is claimed before.
			if n := e.runOnce(w); n != 0 {
				t.Fatalf("claimed %d during the backoff; want 0", n)
			}
			e.clock.Advance(time.Duration(i+1) * time.Minute)
		}
		log, err := e.svc.Deliveries(context.Background(), sub.ID, "", "", 10)
		if err != nil {
			t.Fatal(err)
		}
		last := log.Items[len(log.Items)-1] // the oldest: conversation.created
		if want == "" && (last.State != "delivered" || last.Status == nil || *last.Status != 200 || last.Response != `{"ok":true}`) {
			t.Errorf("after recovering: %+v; want delivered with status 200 and the response", last)
		}
		if want != "" && (last.State != "pending" || !strings.Contains(last.Error, want)) {
			t.Errorf("after pass %d: %+v; want pending with error %q", i+1, last, want)
		}
	}
	if fmt.Sprint(backoffs) != "[1 2]" {
		t.Errorf("backoff asked for attempts %v; want [1 2]", backoffs)
	}
	if e.runOnce(w) != 1 || rc.wait("the message").body.Type != webhook.MessageCreated {
		t.Fatal("message.created was not delivered after conversation.created")
	}
	if got, _ := e.svc.Get(context.Background(), sub.ID); got.Failures != 0 || !got.Enabled {
		t.Errorf("subscription after recovering: %+v; want enabled with 0 failures", got)
	}
	if n := e.count("select count(*) from webhook_attempts"); n != 4 {
		t.Errorf("%d attempts logged; want 4 (503, timeout, 200, 200)", n)
	}
}

func TestNodeKilledMidDelivery(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t)
	e.subscribe(rc, webhook.MessageCreated)
	_, conv := e.conversation()
	e.say(conv.ID, chat.RoleShopper, "Is anyone there?")
	first := true
	rc.setAnswer(func(h hit, w http.ResponseWriter, r *http.Request) {
		if first {
			first = false
			<-r.Context().Done() // the node dies while the receiver works
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	nodeA := e.worker(webhook.WorkerOptions{Lease: time.Minute})
	ctxA, kill := context.WithCancel(context.Background())
	done := make(chan int)
	go func() { n, _ := nodeA.RunOnce(ctxA); done <- n }()
	h1 := rc.wait("node A's attempt")
	kill()
	<-done
	// Nothing is lost: the delivery is pending, its attempt leased, no outcome recorded.
	var state string
	var attempts int
	if err := e.db.QueryRow(context.Background(), "select state, attempts from webhook_deliveries").Scan(&state, &attempts); err != nil {
		t.Fatal(err)
	}
	if state != "pending" || attempts != 1 || e.count("select count(*) from webhook_attempts") != 0 {
		t.Fatalf("after node A died: state %s, %d attempts; want pending, 1, none recorded", state, attempts)
	}
	nodeB := e.worker(webhook.WorkerOptions{Lease: time.Minute})
	if n := e.runOnce(nodeB); n != 0 {
		t.Fatalf("node B claimed %d while node A's lease runs; want 0", n)
	}
	e.clock.Advance(time.Minute)
	if n := e.runOnce(nodeB); n != 1 {
		t.Fatalf("node B claimed %d after the lease; want 1", n)
	}
	h2 := rc.wait("node B's attempt")
	if h1.body.ID != h2.body.ID || h1.delivery != h2.delivery || h1.attempt != 1 || h2.attempt != 2 {
		t.Errorf("attempts %s/%s#%d and %s/%s#%d; want the same event and delivery, attempts 1 then 2",
			h1.body.ID, h1.delivery, h1.attempt, h2.body.ID, h2.delivery, h2.attempt)
	}
	if n := e.count("select count(*) from webhook_deliveries where state = 'delivered'"); n != 1 {
		t.Errorf("%d delivered; want 1", n)
	}
	if n := e.runOnce(nodeB); n != 0 || len(rc.all()) != 2 {
		t.Errorf("after delivery: claimed %d more, receiver got %d requests; want 0 and 2", n, len(rc.all()))
	}
}

func TestTwoNodesKeepOrderPerConversation(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t)
	e.subscribe(rc, webhook.MessageCreated)
	const convs, msgs = 3, 8
	want := map[string][]int{}
	ids := make([]string, convs)
	for i := range ids {
		_, c := e.conversation()
		ids[i] = c.ID
	}
	for j := 1; j <= msgs; j++ {
		for _, id := range ids {
			e.say(id, chat.RoleShopper, fmt.Sprintf("message %d", j))
			want[id] = append(want[id], j)
		}
	}
	// Every third request fails, so retries interleave with new events.
	n := 0
	var mu sync.Mutex
	var acked []hit
	rc.setAnswer(func(h hit, w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		n++
		if n%3 == 0 {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		acked = append(acked, h)
		w.WriteHeader(http.StatusOK)
	})
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 2 {
		w := e.worker(webhook.WorkerOptions{Poll: 5 * time.Millisecond, Batch: 2})
		wg.Add(1)
		go func() { defer wg.Done(); w.Run(ctx) }()
	}
	total := convs * msgs
	kefutest.WaitFor(t, func() bool {
		return e.count("select count(*) from webhook_deliveries where state = 'delivered'") == total
	}, "every message delivered")
	stop()
	wg.Wait()
	seen := map[string]bool{}
	for _, h := range rc.all() {
		key := h.delivery + "#" + strconv.Itoa(h.attempt)
		if seen[key] {
			t.Errorf("delivery %s attempt %d was sent twice", h.delivery, h.attempt)
		}
		seen[key] = true
	}
	// Order: per conversation, the acknowledged messages arrive in order.
	got := map[string][]int{}
	mu.Lock()
	defer mu.Unlock()
	if len(acked) != total {
		t.Errorf("%d messages acknowledged; want %d (each once)", len(acked), total)
	}
	for _, h := range acked {
		var d struct {
			ConversationID string           `json:"conversation_id"`
			Message        chat.HookMessage `json:"message"`
		}
		json.Unmarshal(h.body.Data, &d)
		got[d.ConversationID] = append(got[d.ConversationID], d.Message.Seq)
	}
	for _, id := range ids {
		if fmt.Sprint(got[id]) != fmt.Sprint(want[id]) {
			t.Errorf("conversation %s: acknowledged %v; want %v in order", id, got[id], want[id])
		}
	}
}

func TestDisabledAfterFailuresAndAdminsTold(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t)
	rc.setAnswer(func(h hit, w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusInternalServerError) })
	sub := e.subscribe(rc, webhook.MessageCreated)
	_, conv := e.conversation()
	e.say(conv.ID, chat.RoleShopper, "one")
	var told []webhook.Subscription
	w := e.worker(webhook.WorkerOptions{MaxFailures: 3, FailingFor: time.Hour,
		OnDisabled: func(ctx context.Context, s webhook.Subscription) { told = append(told, s) }})
	for range 3 {
		e.runOnce(w)
		rc.wait("a failing attempt")
	}
	// Three failures within minutes: not yet (they must span an hour).
	if got, _ := e.svc.Get(context.Background(), sub.ID); !got.Enabled || got.Failures != 3 {
		t.Fatalf("after 3 quick failures: %+v; want enabled, 3 failures", got)
	}
	e.clock.Advance(time.Hour)
	e.runOnce(w)
	rc.wait("the fourth attempt")
	got, _ := e.svc.Get(context.Background(), sub.ID)
	if got.Enabled || got.Failures != 4 || !strings.Contains(got.DisabledReason, "4 deliveries in a row failed") {
		t.Fatalf("after failing for an hour: %+v; want disabled with a reason", got)
	}
	if len(told) != 1 || told[0].ID != sub.ID {
		t.Fatalf("OnDisabled told %+v; want the subscription once", told)
	}
	if n := e.runOnce(w); n != 0 {
		t.Fatalf("a disabled subscription's delivery was claimed (%d)", n)
	}
	// Re-enabled, its pending delivery goes on.
	rc.setAnswer(nil)
	if _, err := e.svc.SetEnabled(context.Background(), sub.ID, true); err != nil {
		t.Fatal(err)
	}
	if n := e.runOnce(w); n != 1 {
		t.Fatalf("after re-enabling: claimed %d; want 1", n)
	}
	rc.wait("the delivery after re-enabling")
}

func TestGivesUpAfter24Hours(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t)
	rc.setAnswer(func(h hit, w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusBadGateway) })
	sub := e.subscribe(rc, webhook.MessageCreated)
	_, conv := e.conversation()
	e.say(conv.ID, chat.RoleShopper, "one")
	e.say(conv.ID, chat.RoleShopper, "two")
	w := e.worker(webhook.WorkerOptions{Backoff: webhook.Backoff, FailingFor: 48 * time.Hour})
	e.runOnce(w)
	rc.wait("the first attempt")
	// The default backoff: 12 to 15 s after the first failure.
	var next time.Time
	e.db.QueryRow(context.Background(), "select next_attempt_at from webhook_deliveries order by id limit 1").Scan(&next)
	if d := next.Sub(e.clock.Now()); d < 12*time.Second || d > 15*time.Second {
		t.Errorf("retry %v after the first failure; want 12–15 s", d)
	}
	e.clock.Advance(webhook.Retry)
	if n := e.runOnce(w); n != 0 {
		t.Fatalf("claimed %d after 24 hours; want 0", n)
	}
	page, _ := e.svc.Deliveries(context.Background(), sub.ID, "failed", "", 10)
	if len(page.Items) != 2 {
		t.Fatalf("%d failed deliveries after 24 hours; want both", len(page.Items))
	}
	// An admin may still send one again, now.
	d, err := e.svc.Redeliver(context.Background(), sub.ID, page.Items[1].ID)
	if err != nil || d.State != "pending" || d.EventID != page.Items[1].EventID {
		t.Fatalf("Redeliver = %+v, %v; want a pending delivery of the same event", d, err)
	}
	rc.setAnswer(nil)
	if n := e.runOnce(w); n != 1 {
		t.Fatalf("claimed %d after redeliver; want 1", n)
	}
	if h := rc.wait("the redelivery"); h.body.ID != d.EventID || h.attempt != 1 {
		t.Errorf("redelivered event %s attempt %d; want %s attempt 1", h.body.ID, h.attempt, d.EventID)
	}
	if _, err := e.svc.Redeliver(context.Background(), sub.ID+1, page.Items[1].ID); !errors.Is(err, webhook.ErrNotFound) {
		t.Errorf("Redeliver of another subscription's delivery: %v; want ErrNotFound", err)
	}
}

func TestPrivateAddressesRefused(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for _, u := range []string{"https://127.0.0.1/hooks", "https://10.1.2.3/x", "https://[::1]/x", "https://169.254.169.254/latest/meta-data",
		"https://localhost:8443/x", "http://shop.example/hooks", "ftp://shop.example/", "https://user:pw@shop.example/"} {
		_, err := e.svc.Create(ctx, e.site.ID, webhook.Input{URL: u, Events: []string{webhook.MessageCreated}})
		if !errors.Is(err, webhook.ErrInvalid) {
			t.Errorf("Create(%q) = %v; want ErrInvalid", u, err)
		}
	}
	if n := e.count("select count(*) from webhook_subscriptions"); n != 0 {
		t.Fatalf("%d subscriptions after refused input; want 0", n)
	}
	// A name that resolved to a public address when saved and to a private
	// one now (DNS rebinding) is refused when dialling: the row is written
	// as Create would have written it then.
	rc := newReceiver(t)
	if _, err := e.db.Exec(ctx, `insert into webhook_subscriptions (site_id, url, secret, events) values ($1, $2, 'whsec_x', '{message.created}')`,
		e.site.ID, rc.srv.URL+"/hooks"); err != nil {
		t.Fatal(err)
	}
	// A redirect from a receiver that is allowed is not followed either.
	redirect := newReceiver(t)
	redirect.setAnswer(func(h hit, w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, rc.srv.URL+"/elsewhere", http.StatusTemporaryRedirect)
	})
	e.subscribe(redirect, webhook.MessageCreated)
	_, conv := e.conversation()
	e.say(conv.ID, chat.RoleShopper, "hello")
	w := e.worker(webhook.WorkerOptions{})
	if n := e.runOnce(w); n != 2 {
		t.Fatalf("claimed %d; want 2", n)
	}
	redirect.wait("the redirecting receiver")
	rows, _ := e.db.Query(ctx, `select a.error from webhook_attempts a join webhook_deliveries d on d.id = a.delivery_id
		order by d.subscription_id`)
	errs, _ := pgx.CollectRows(rows, pgx.RowTo[string])
	if len(errs) != 2 || !strings.Contains(errs[0], "refused: 127.0.0.1 is a loopback address") || !strings.Contains(errs[1], "redirects are not followed") {
		t.Errorf("attempt errors %q; want the loopback refusal and the redirect", errs)
	}
	if got := rc.all(); len(got) != 0 {
		t.Errorf("the private receiver got %d requests; want none", len(got))
	}
}

func TestBlockedAddresses(t *testing.T) {
	for ip, want := range map[string]bool{
		"127.0.0.1": true, "10.0.0.8": true, "172.16.5.4": true, "192.168.1.1": true, "169.254.169.254": true,
		"100.64.1.1": true, "0.0.0.0": true, "::1": true, "fd00:ec2::254": true, "fe80::1": true, "::ffff:10.0.0.1": true,
		"224.0.0.1": true, "93.184.216.34": false, "2606:4700::1111": false, "8.8.8.8": false,
	} {
		err := webhook.GuardControlForTest("tcp", net.JoinHostPort(ip, "443"))
		if got := err != nil; got != want {
			t.Errorf("dial %s: refused = %v (%v); want %v", ip, got, err, want)
		}
		if err != nil && !errors.Is(err, webhook.ErrBlocked) {
			t.Errorf("dial %s: %v; want ErrBlocked", ip, err)
		}
	}
}

func TestResponseSnippetIsBounded(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t)
	rc.setAnswer(func(h hit, w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, strings.Repeat("界", 200000)) // 600 KB
	})
	sub := e.subscribe(rc, webhook.MessageCreated)
	_, conv := e.conversation()
	e.say(conv.ID, chat.RoleShopper, "hello")
	e.runOnce(e.worker(webhook.WorkerOptions{}))
	page, _ := e.svc.Deliveries(context.Background(), sub.ID, "", "", 10)
	if r := page.Items[0].Response; len(r) > 512 || !strings.HasPrefix(r, "界界") || !strings.HasSuffix(r, "界") {
		t.Errorf("logged response of %d bytes; want at most 512, whole characters", len(r))
	}
}

func TestErasedShopperIsNotSent(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	rc := newReceiver(t)
	e.subscribe(rc, webhook.MessageCreated, webhook.ConversationCreated)
	v, conv := e.conversation()
	_, other := e.conversation()
	e.say(conv.ID, chat.RoleShopper, "My card is 4111 1111 1111 1111, email me at ann@example.com")
	e.say(other.ID, chat.RoleShopper, "Someone else")
	if n := e.count("select count(*) from webhook_deliveries where state = 'pending'"); n != 4 {
		t.Fatalf("%d pending deliveries; want 4", n)
	}
	// Redacted as stored: the card number never reaches a payload.
	var data string
	e.db.QueryRow(ctx, "select data::text from webhook_events where type = 'message.created' and conversation_id = $1", conv.ID).Scan(&data)
	if strings.Contains(data, "4111 1111 1111 1111") || !strings.Contains(data, "1111") {
		t.Errorf("payload %s; want the card number masked", data)
	}
	er, err := privacy.NewRequests(e.db).Erase(ctx, privacy.Subject{Site: e.site.Key, VisitorToken: v.Token}, audit.Entry{})
	if err != nil || er.Conversations != 1 {
		t.Fatalf("Erase = %+v, %v", er, err)
	}
	if n := e.count("select count(*) from webhook_events where conversation_id = $1", conv.ID); n != 0 {
		t.Fatalf("%d events of the erased conversation remain; want 0", n)
	}
	w := e.worker(webhook.WorkerOptions{})
	for e.runOnce(w) > 0 {
	}
	for _, h := range rc.all() {
		if strings.Contains(string(h.raw), conv.ID) || strings.Contains(string(h.raw), "ann@") {
			t.Errorf("the erased shopper's data was sent: %s", h.raw)
		}
	}
	if len(rc.all()) != 2 {
		t.Errorf("the receiver got %d requests; want the other conversation's 2", len(rc.all()))
	}
}

func TestNotesOnlyWhenAsked(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	plain, notes := newReceiver(t), newReceiver(t)
	e.subscribe(plain, webhook.MessageCreated)
	if _, err := e.svc.Create(ctx, e.site.ID, webhook.Input{URL: notes.srv.URL, Events: []string{webhook.MessageCreated},
		IncludeNotes: true, AllowPrivate: true}); err != nil {
		t.Fatal(err)
	}
	u, err := account.NewUsers(e.db).Create(ctx, "mia@example.com", "Mia Chen", account.RoleAgent, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	_, conv := e.conversation()
	e.say(conv.ID, chat.RoleShopper, "hello")
	if _, _, _, err := e.store.Append(ctx, &chat.Message{ConversationID: conv.ID, Role: chat.RoleNote, Text: "VIP customer", UserID: &u.ID}); err != nil {
		t.Fatal(err)
	}
	e.say(conv.ID, chat.RoleSystem, "Mia joined")
	w := e.worker(webhook.WorkerOptions{})
	for e.runOnce(w) > 0 {
	}
	if n := len(plain.all()); n != 1 {
		t.Errorf("a subscription without notes got %d messages; want 1 (no note, no system notice)", n)
	}
	got := notes.all()
	if len(got) != 2 || !strings.Contains(string(got[1].body.Data), `"role":"note"`) || !strings.Contains(string(got[1].body.Data), `"name":"Mia Chen"`) {
		t.Errorf("a subscription with notes got %d: %v; want the message and the note with its author", len(got), got)
	}
}

func TestConversationLifecycleEvents(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	rc := newReceiver(t)
	e.subscribe(rc, webhook.Types...)
	u, err := account.NewUsers(e.db).Create(ctx, "leo@example.com", "Leo Wang", account.RoleAgent, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	_, conv := e.conversation()
	e.say(conv.ID, chat.RoleShopper, "I was charged twice")
	steps := []chat.Change{
		{Action: chat.ActionEscalate, Reason: chat.ReasonSensitiveIntent, Priority: 2, Summary: "Charged twice on card 4111 1111 1111 1111"},
		{Action: chat.ActionClaim, UserID: &u.ID},
		{Action: chat.ActionResolve, UserID: &u.ID},
	}
	for _, ch := range steps {
		if _, err := e.store.Transition(ctx, conv.ID, ch); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.store.SetCSAT(ctx, conv.ID, 5, "Thanks!"); err != nil {
		t.Fatal(err)
	}
	e.say(conv.ID, chat.RoleShopper, "One more thing")
	// A rating out of range changes nothing and records nothing.
	if err := e.store.SetCSAT(ctx, conv.ID, 9, ""); !errors.Is(err, chat.ErrInvalid) {
		t.Fatalf("SetCSAT(9) = %v; want ErrInvalid", err)
	}
	w := e.worker(webhook.WorkerOptions{})
	for e.runOnce(w) > 0 {
	}
	var types []string
	byType := map[string]string{}
	for _, h := range rc.all() {
		types = append(types, h.body.Type)
		byType[h.body.Type] = string(h.body.Data)
	}
	want := []string{"conversation.created", "message.created", "conversation.escalated", "conversation.claimed",
		"conversation.resolved", "csat.received", "conversation.reopened", "message.created"}
	if fmt.Sprint(types) != fmt.Sprint(want) {
		t.Fatalf("events %v; want %v", types, want)
	}
	for typ, wants := range map[string][]string{
		"conversation.escalated": {`"reason":"sensitive_intent"`, `"priority":2`, `"state":"queued"`, `1111"`},
		"conversation.claimed":   {`"agent":{"id":`, `"name":"Leo Wang"`, `"transferred":false`, `"state":"agent"`},
		"conversation.resolved":  {`"resolved_by":{"id":`, `"state":"resolved"`},
		"csat.received":          {`"score":5`, `"comment":"Thanks!"`},
		"conversation.reopened":  {`"state":"bot"`},
	} {
		for _, s := range wants {
			if !strings.Contains(byType[typ], s) {
				t.Errorf("%s data %s; want it to contain %s", typ, byType[typ], s)
			}
		}
	}
	if strings.Contains(byType["conversation.escalated"], "4111 1111 1111 1111") {
		t.Errorf("the escalation summary's card number was sent: %s", byType["conversation.escalated"])
	}
}

func TestKnowledgeSyncHook(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	rc := newReceiver(t)
	e.subscribe(rc, webhook.KnowledgeSyncFailed)
	// Finished: nobody subscribed to it, nothing recorded.
	if err := e.svc.KnowledgeSynced(ctx, nil, e.site.ID, webhook.SyncReport{Source: "https://shop.example/sitemap.xml", Added: 3}); err != nil {
		t.Fatal(err)
	}
	err := pgx.BeginFunc(ctx, e.db, func(tx pgx.Tx) error {
		return e.svc.KnowledgeSynced(ctx, tx, e.site.ID, webhook.SyncReport{Source: "https://shop.example/sitemap.xml", Error: "HTTP 503"})
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := e.runOnce(e.worker(webhook.WorkerOptions{})); n != 1 {
		t.Fatalf("claimed %d; want the one failed sync", n)
	}
	h := rc.wait("the failed sync")
	if h.body.Type != webhook.KnowledgeSyncFailed || !strings.Contains(string(h.body.Data), `"error":"HTTP 503"`) {
		t.Errorf("delivered %s %s; want knowledge.sync_failed with its error", h.body.Type, h.body.Data)
	}
}
