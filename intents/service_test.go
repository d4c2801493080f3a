package intents_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"kefu/intents"
	"kefu/internal/pgtest"
)

// memStore is an in-memory ExampleStore.
type memStore struct {
	mu  sync.Mutex
	exs map[int64][]intents.Example
	err error
}

func (m *memStore) Examples(_ context.Context, siteID int64) ([]intents.Example, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.exs[siteID]), m.err
}

func (m *memStore) SitesWithExamples(context.Context) ([]int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var ids []int64
	for id, exs := range m.exs {
		if len(exs) > 0 {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids, m.err
}

func (m *memStore) set(siteID int64, exs []intents.Example) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.exs[siteID] = exs
}

// wholesale is a custom intent: shops selling in bulk get these questions.
func wholesale() []intents.Example {
	var exs []intents.Example
	for _, s := range []string{
		"do you offer wholesale prices", "bulk order discount for 500 pieces", "can I buy in bulk for my store",
		"wholesale price list please", "I run a shop and want to resell your products", "minimum order quantity for wholesale",
		"批发价多少", "大量采购有优惠吗", "我想批发500件", "批发起订量是多少", "可以做经销商吗", "团购100件什么价格",
		"are you looking for resellers", "trade pricing for retailers", "can we become a distributor", "B2B pricing for companies",
	} {
		exs = append(exs, intents.Example{Text: s, Label: "wholesale"})
	}
	return exs
}

func TestServiceCustomIntentsRetrain(t *testing.T) {
	ctx := context.Background()
	store := &memStore{exs: map[int64][]intents.Example{}}
	svc, err := intents.NewService(ctx, store, intents.ServiceOptions{Builtin: mustBuiltin(t)})
	if err != nil {
		t.Fatal(err)
	}
	const site, other = 7, 8
	probes := []string{"do you have wholesale pricing for 300 units", "我们公司想批发一批货"}
	for _, p := range probes {
		if got := svc.Classify(ctx, site, p); got.Intent == "wholesale" {
			t.Fatalf("before retraining Classify(%q) = wholesale; the built-in model cannot know it", p)
		}
	}

	// Classification keeps going while the site is retrained.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
				svc.Classify(ctx, site, "where is my order")
			}
		}
	}()
	store.set(site, wholesale())
	rep, err := svc.Retrain(ctx, site)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("Retrain: %v", err)
	}
	if rep.CustomExamples != 16 || !slices.Contains(rep.Labels, "wholesale") || !slices.Contains(rep.Labels, intents.Other) {
		t.Errorf("Retrain report = %+v; want 16 custom examples and the labels wholesale and other", rep)
	}
	for _, p := range probes {
		if got := svc.Classify(ctx, site, p); got.Intent != "wholesale" {
			t.Errorf("after retraining Classify(%q) = %s (%v); want wholesale", p, got.Intent, got.Top)
		}
	}
	if got := svc.Classify(ctx, site, "where is my order LL-100234"); got.Intent != intents.OrderStatus {
		t.Errorf("after retraining, built-in intents still work: Classify(order status) = %s; want order_status", got.Intent)
	}
	if got := svc.Classify(ctx, other, probes[0]); got.Intent == "wholesale" {
		t.Errorf("another site's Classify = wholesale; custom intents must stay with their site")
	}

	// Removing the examples brings the built-in model back.
	store.set(site, nil)
	if _, err := svc.Retrain(ctx, site); err != nil {
		t.Fatal(err)
	}
	if got := svc.Classify(ctx, site, probes[0]); got.Intent == "wholesale" || got.Source != "builtin" {
		t.Errorf("after removing the examples Classify = %s from %s; want the built-in model", got.Intent, got.Source)
	}

	// A failing store leaves the current model in place.
	store.set(site, wholesale())
	svc.Retrain(ctx, site)
	store.err = errors.New("database down")
	if _, err := svc.Retrain(ctx, site); err == nil {
		t.Error("Retrain with a failing store succeeded; want its error")
	}
	if got := svc.Classify(ctx, site, probes[0]); got.Intent != "wholesale" {
		t.Errorf("after a failed retraining Classify = %s; want the previous site model (wholesale)", got.Intent)
	}
}

func TestServiceLoadAndUnderstand(t *testing.T) {
	ctx := context.Background()
	store := &memStore{exs: map[int64][]intents.Example{3: wholesale()}}
	svc, err := intents.NewService(ctx, store, intents.ServiceOptions{Builtin: mustBuiltin(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if got := svc.Classify(ctx, 3, "我想批发300件"); got.Intent != "wholesale" {
		t.Errorf("after Load, Classify(site 3) = %s; want wholesale", got.Intent)
	}
	if err := svc.SetOrderPattern(3, `#\d{5}`); err != nil {
		t.Fatal(err)
	}
	if err := svc.SetOrderPattern(3, `(`); !errors.Is(err, intents.ErrBadData) {
		t.Errorf("SetOrderPattern(bad) = %v; want ErrBadData", err)
	}
	u := svc.Understand(ctx, 3, "WHERE IS MY ORDER #12345??? 太慢了")
	if u.Intent.Intent != intents.OrderStatus || u.Sentiment.Label != intents.Negative || !u.Sentiment.Angry ||
		len(u.Entities) != 1 || u.Entities[0].Value != "#12345" || u.Language != "en" {
		t.Errorf("Understand = %+v; want order_status, angry negative, order #12345, en", u)
	}
	if u := svc.Understand(ctx, 4, "order #12345 and LL-100234"); len(u.Entities) != 1 || u.Entities[0].Value != "LL-100234" {
		t.Errorf("Understand(site without a pattern) entities = %+v; want only LL-100234", u.Entities)
	}
}

func TestServiceClassifyLLM(t *testing.T) {
	ctx := context.Background()
	fake, client := newFakeOpenAI(t, "", `{"intent":"wholesale","confidence":0.9}`)
	store := &memStore{exs: map[int64][]intents.Example{3: wholesale()}}
	svc, err := intents.NewService(ctx, store, intents.ServiceOptions{Builtin: mustBuiltin(t), LLM: client, LLMOpt: intents.LLMOptions{Timeout: time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	if got := svc.ClassifyLLM(ctx, 9, "bulk prices?"); got.Source != "builtin" || got.Intent == "wholesale" {
		t.Errorf("ClassifyLLM(site without wholesale) = %+v; want the model's unknown label rejected", got)
	}
	svc.Load(ctx)
	if got := svc.ClassifyLLM(ctx, 3, "bulk prices?"); got.Source != "llm" || got.Intent != "wholesale" {
		t.Errorf("ClassifyLLM(site with wholesale) = %+v; want wholesale from the model", got)
	}
	if p := fake.lastPrompt(); !strings.Contains(p, "- wholesale: an intent this shop defined") {
		t.Errorf("the model saw %q; want the site's custom intent listed", p)
	}
}

func TestStoreAndServiceOnDatabase(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	var siteID, otherID int64
	for _, key := range []string{"site_a", "site_b"} {
		var id int64
		if err := pool.QueryRow(ctx, `insert into sites (key, name, secret) values ($1, $1, 'x') returning id`, key).Scan(&id); err != nil {
			t.Fatal(err)
		}
		if siteID == 0 {
			siteID = id
		} else {
			otherID = id
		}
	}
	store := intents.NewStore(pool)
	added, err := store.AddExamples(ctx, siteID, append(wholesale(), intents.Example{Text: "  not sure, ask me later ", Label: "OOS"}))
	if err != nil || added != 17 {
		t.Fatalf("AddExamples = %d, %v; want 17 added", added, err)
	}
	if added, err := store.AddExamples(ctx, siteID, wholesale()[:3]); err != nil || added != 0 {
		t.Errorf("AddExamples(duplicates) = %d, %v; want 0 added", added, err)
	}
	for _, bad := range []intents.Example{{Text: "x", Label: "Has Space"}, {Text: " ", Label: "wholesale"}, {Text: "x", Label: "-lives"}} {
		if _, err := store.AddExamples(ctx, siteID, []intents.Example{{Text: "fine", Label: "fine"}, bad}); !errors.Is(err, intents.ErrBadData) {
			t.Errorf("AddExamples(%+v) = %v; want ErrBadData", bad, err)
		}
	}
	// Labels come back as given: "Gift.Wrap" stays a label of its own.
	if added, err := store.AddExamples(ctx, siteID, []intents.Example{{Text: "gift wrap it", Label: " Gift.Wrap"}, {Text: "礼品包装", Label: "Gift.Wrap"}}); err != nil || added != 2 {
		t.Fatalf("AddExamples(Gift.Wrap) = %d, %v; want 2 added", added, err)
	}
	list, err := store.Intents(ctx, siteID)
	if err != nil || len(list) != 3 || list[0] != (intents.IntentCount{Label: "Gift.Wrap", Examples: 2}) ||
		list[1] != (intents.IntentCount{Label: "other", Examples: 1, Builtin: true}) ||
		list[2] != (intents.IntentCount{Label: "wholesale", Examples: 16}) {
		t.Errorf("Intents = %+v, %v; want Gift.Wrap (2), other (1, built-in) and wholesale (16); nothing from the rejected batches", list, err)
	}
	if exs, err := store.Examples(ctx, siteID); err != nil || exs[len(exs)-1] != (intents.Example{Text: "礼品包装", Label: "Gift.Wrap"}) {
		t.Errorf("Examples = %v, %v; want the last one labelled Gift.Wrap", exs, err)
	}
	if n, err := store.DeleteIntent(ctx, siteID, "Gift.Wrap"); err != nil || n != 2 {
		t.Errorf("DeleteIntent(Gift.Wrap) = %d, %v; want 2", n, err)
	}
	if ids, err := store.SitesWithExamples(ctx); err != nil || !slices.Equal(ids, []int64{siteID}) {
		t.Errorf("SitesWithExamples = %v, %v; want [%d]", ids, err, siteID)
	}

	svc, err := intents.NewService(ctx, store, intents.ServiceOptions{Builtin: mustBuiltin(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if got := svc.Classify(ctx, siteID, "我想批发300件"); got.Intent != "wholesale" {
		t.Errorf("Classify(site) = %s; want wholesale", got.Intent)
	}
	if got := svc.Classify(ctx, otherID, "我想批发300件"); got.Intent == "wholesale" {
		t.Errorf("Classify(other site) = wholesale; want the built-in model")
	}
	if n, err := store.DeleteIntent(ctx, siteID, "wholesale"); err != nil || n != 16 {
		t.Errorf("DeleteIntent = %d, %v; want 16", n, err)
	}
	if _, err := svc.Retrain(ctx, siteID); err != nil {
		t.Fatal(err)
	}
	if got := svc.Classify(ctx, siteID, "我想批发300件"); got.Intent == "wholesale" {
		t.Errorf("after DeleteIntent and Retrain Classify = wholesale; want it gone")
	}
	if _, err := pool.Exec(ctx, `delete from sites where id = $1`, siteID); err != nil {
		t.Fatal(err)
	}
	if exs, err := store.Examples(ctx, siteID); err != nil || len(exs) != 0 {
		t.Errorf("examples after deleting the site = %d, %v; want none (cascade)", len(exs), err)
	}
}
