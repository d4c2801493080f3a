package privacy_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"kefu/chat"
	"kefu/internal/audit"
	"kefu/internal/pgtest"
	"kefu/internal/privacy"
	"kefu/internal/sites"
	"kefu/knowledge"
)

// privacyTables are the tables a subject's data lives in.
var privacyTables = []string{"customers", "orders", "visitors", "conversations", "messages"}

// snapshot returns every row of every privacy table as JSON text.
func snapshot(t *testing.T, db *pgxpool.Pool) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, table := range privacyTables {
		rows, err := db.Query(context.Background(), "select row_to_json(t)::text from "+table+" t")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out[table] = append(out[table], canonical(t, s))
		}
		rows.Close()
		slices.Sort(out[table])
	}
	return out
}

// canonical re-encodes a JSON object with sorted keys (row_to_json and
// json.RawMessage spell timestamps and numbers the same way).
func canonical(t *testing.T, s string) string {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

type privacyFixture struct {
	db                 *pgxpool.Pool
	siteA, siteB       *sites.Site
	aliceVisitor       string // verified as alice
	aliceAnonVisitor   string // never verified; left alice's email as contact
	bobVisitor, anonTk string
}

func newPrivacyFixture(t *testing.T) *privacyFixture {
	t.Helper()
	ctx := context.Background()
	db := pgtest.New(t)
	siteStore := sites.NewStore(db)
	f := &privacyFixture{db: db}
	f.siteA, _ = siteStore.Create(ctx, "Shop A", nil)
	f.siteB, _ = siteStore.Create(ctx, "Shop B", nil)
	com := knowledge.NewCommerce(db)
	alice := &knowledge.Customer{ID: "c-1", Email: "Alice@Example.com", Name: "Alice"}
	bob := &knowledge.Customer{ID: "c-2", Email: "bob@example.com", Name: "Bob"}
	for _, o := range []struct {
		site int64
		o    knowledge.Order
	}{
		{f.siteA.ID, knowledge.Order{Number: "A1", Customer: alice, Status: "shipped", Total: 10, Currency: "USD"}},
		{f.siteA.ID, knowledge.Order{Number: "A2", Customer: alice, Status: "processing", Total: 20, Currency: "USD"}},
		{f.siteA.ID, knowledge.Order{Number: "B1", Customer: bob, Status: "delivered", Total: 30, Currency: "USD"}},
		{f.siteB.ID, knowledge.Order{Number: "A1", Customer: alice, Status: "shipped", Total: 40, Currency: "USD"}},
	} {
		if err := com.UpsertOrder(ctx, o.site, o.o); err != nil {
			t.Fatal(err)
		}
	}
	store := chat.NewStore(db)
	visitor := func(site *sites.Site, customer string, contact string, texts ...string) string {
		v, err := store.NewVisitor(ctx, site.ID, "en")
		if err != nil {
			t.Fatal(err)
		}
		if customer != "" {
			id, err := com.CustomerByExternalID(ctx, site.ID, customer)
			if err != nil {
				t.Fatal(err)
			}
			store.SetVisitorCustomer(ctx, v.ID, id)
			v.CustomerID = &id
		}
		conv, err := store.OpenConversation(ctx, v, "en")
		if err != nil {
			t.Fatal(err)
		}
		for _, text := range texts {
			if _, _, _, err := store.Append(ctx, &chat.Message{ConversationID: conv.ID, Role: chat.RoleShopper, Text: text}); err != nil {
				t.Fatal(err)
			}
		}
		if contact != "" {
			store.SetContactEmail(ctx, conv.ID, contact)
		}
		store.SetCSAT(ctx, conv.ID, 4, "thanks "+customer)
		if _, err := store.Transition(ctx, conv.ID, chat.Change{Action: chat.ActionEscalate, Reason: chat.ReasonRequested, Priority: 2}); err != nil {
			t.Fatal(err)
		}
		return v.Token
	}
	f.aliceVisitor = visitor(f.siteA, "c-1", "", "where is A1?", "alice here")
	f.aliceAnonVisitor = visitor(f.siteA, "", "alice@example.com", "please email me")
	f.bobVisitor = visitor(f.siteA, "c-2", "", "where is B1?")
	f.anonTk = visitor(f.siteA, "", "", "just browsing")
	visitor(f.siteB, "c-1", "", "alice on shop B")
	return f
}

func TestErase(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		subject func(f *privacyFixture) privacy.Subject
		want    privacy.Erasure // counts; Subject ignored
	}{
		{"by email", func(f *privacyFixture) privacy.Subject {
			return privacy.Subject{Site: f.siteA.Key, Email: "ALICE@example.com"}
		},
			privacy.Erasure{Customers: 1, Orders: 2, Visitors: 1, Conversations: 2, Messages: 3}},
		{"by customer id", func(f *privacyFixture) privacy.Subject { return privacy.Subject{Site: f.siteA.Key, CustomerID: "c-1"} },
			privacy.Erasure{Customers: 1, Orders: 2, Visitors: 1, Conversations: 1, Messages: 2}},
		{"by verified visitor token", func(f *privacyFixture) privacy.Subject {
			return privacy.Subject{Site: f.siteA.Key, VisitorToken: f.aliceVisitor}
		},
			privacy.Erasure{Customers: 1, Orders: 2, Visitors: 1, Conversations: 1, Messages: 2}},
		{"by anonymous visitor token", func(f *privacyFixture) privacy.Subject {
			return privacy.Subject{Site: f.siteA.Key, VisitorToken: f.anonTk}
		},
			privacy.Erasure{Visitors: 1, Conversations: 1, Messages: 1}},
		{"unknown subject", func(f *privacyFixture) privacy.Subject {
			return privacy.Subject{Site: f.siteA.Key, Email: "nobody@example.com"}
		},
			privacy.Erasure{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newPrivacyFixture(t)
			p := privacy.NewRequests(f.db)
			subj := tt.subject(f)
			before := snapshot(t, f.db)
			exp, err := p.Export(ctx, subj, audit.Entry{Actor: "admin@example.com"})
			if err != nil {
				t.Fatal(err)
			}
			got, err := p.Erase(ctx, subj, audit.Entry{Actor: "admin@example.com"})
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			want.Subject = subj.Fingerprint()
			if *got != want {
				t.Errorf("Erase(%+v) = %+v; want %+v", subj, *got, want)
			}
			// Everything else is intact: before = after + exactly the exported rows.
			after := snapshot(t, f.db)
			exported := map[string][]json.RawMessage{"customers": exp.Customers, "orders": exp.Orders,
				"visitors": exp.Visitors, "conversations": exp.Conversations, "messages": exp.Messages}
			for _, table := range privacyTables {
				rebuilt := slices.Clone(after[table])
				for _, row := range exported[table] {
					s := canonical(t, string(row))
					if slices.Contains(after[table], s) {
						t.Errorf("%s: exported row still present after erase: %s", table, s)
					}
					rebuilt = append(rebuilt, s)
				}
				slices.Sort(rebuilt)
				if !slices.Equal(rebuilt, before[table]) {
					t.Errorf("%s: rows after erase + erased rows = %v; want the rows before %v", table, rebuilt, before[table])
				}
			}
			// Nothing on the subject's site names them any more.
			again, err := p.Export(ctx, subj, audit.Entry{Actor: "admin@example.com"})
			if err != nil {
				t.Fatal(err)
			}
			if n := len(again.Customers) + len(again.Orders) + len(again.Visitors) + len(again.Conversations) + len(again.Messages); n != 0 {
				t.Errorf("export after erase has %d rows; want 0: %+v", n, again)
			}
			// Shop B's Alice is someone else's data.
			var n int
			f.db.QueryRow(ctx, "select count(*) from customers where site_id = $1", f.siteB.ID).Scan(&n)
			if n != 1 {
				t.Errorf("site B customers = %d; want 1", n)
			}
			// The audit log says who asked, naming the subject by fingerprint only.
			page, err := audit.New(f.db).List(ctx, audit.Filter{Action: "privacy."}, "")
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Items) != 3 || page.Items[1].Action != audit.PrivacyErase || page.Items[1].Actor != "admin@example.com" ||
				page.Items[1].Target != subj.Fingerprint() {
				t.Errorf("audit = %+v; want export, erase, export by admin@example.com on %s", page.Items, subj.Fingerprint())
			}
			for _, e := range page.Items {
				b, _ := json.Marshal(e)
				if strings.Contains(strings.ToLower(string(b)), "alice") || (subj.VisitorToken != "" && strings.Contains(string(b), subj.VisitorToken)) {
					t.Errorf("audit entry names the subject: %s", b)
				}
			}
		})
	}
}

// An export describes everything there was, and survives the erasure.
func TestExportRoundTrip(t *testing.T) {
	ctx := context.Background()
	f := newPrivacyFixture(t)
	p := privacy.NewRequests(f.db)
	subj := privacy.Subject{Site: f.siteA.Key, Email: "alice@example.com"}
	exp, err := p.Export(ctx, subj, audit.Entry{Actor: "admin@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := json.Marshal(exp)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Erase(ctx, subj, audit.Entry{Actor: "admin@example.com"}); err != nil {
		t.Fatal(err)
	}
	var back struct {
		Subject   privacy.Subject `json:"subject"`
		Customers []struct {
			ExternalID string `json:"external_id"`
			Email      string `json:"email"`
		} `json:"customers"`
		Orders []struct {
			Number string `json:"number"`
		} `json:"orders"`
		Visitors      []struct{ Token string } `json:"visitors"`
		Conversations []struct {
			ContactEmail string `json:"contact_email"`
			CSATScore    *int   `json:"csat_score"`
		} `json:"conversations"`
		Messages []struct {
			Body string `json:"body"`
		} `json:"messages"`
		Events []map[string]any `json:"conversation_events"`
	}
	if err := json.Unmarshal(doc, &back); err != nil {
		t.Fatal(err)
	}
	var orders, bodies []string
	for _, o := range back.Orders {
		orders = append(orders, o.Number)
	}
	for _, m := range back.Messages {
		bodies = append(bodies, m.Body)
	}
	slices.Sort(bodies)
	if back.Subject != subj || len(back.Customers) != 1 || back.Customers[0].ExternalID != "c-1" ||
		!slices.Equal(orders, []string{"A1", "A2"}) || len(back.Visitors) != 1 || back.Visitors[0].Token != fmt.Sprintf("%x", sha256.Sum256([]byte(f.aliceVisitor))) || // stored hashed (0010)
		len(back.Conversations) != 2 || back.Conversations[0].CSATScore == nil ||
		!slices.Equal(bodies, []string{"alice here", "please email me", "where is A1?"}) {
		t.Errorf("export after erase = %s; want alice's customer, orders A1 A2, her visitor, 2 conversations with CSAT and 3 messages", doc)
	}
	if len(back.Events) != 2 {
		t.Errorf("export events = %v; want her 2 conversations' escalations", back.Events)
	}
	for _, ev := range back.Events {
		if ev["kind"] != "escalated" || ev["reason"] != chat.ReasonRequested || ev["user_id"] != nil {
			t.Errorf("export event %v; want escalated/requested, no agent id", ev)
		}
	}
}

func TestSubjectValidation(t *testing.T) {
	ctx := context.Background()
	f := newPrivacyFixture(t)
	p := privacy.NewRequests(f.db)
	tests := []struct {
		name string
		s    privacy.Subject
		want error
	}{
		{"no identifier", privacy.Subject{Site: f.siteA.Key}, privacy.ErrInvalid},
		{"two identifiers", privacy.Subject{Site: f.siteA.Key, Email: "a@b.c", CustomerID: "c-1"}, privacy.ErrInvalid},
		{"no site", privacy.Subject{Email: "a@b.c"}, privacy.ErrInvalid},
		{"unknown site", privacy.Subject{Site: "site_nope", Email: "a@b.c"}, sites.ErrNotFound},
	}
	for _, tt := range tests {
		if _, err := p.Erase(ctx, tt.s, audit.Entry{}); !errors.Is(err, tt.want) {
			t.Errorf("%s: Erase(%+v) = %v; want %v", tt.name, tt.s, err, tt.want)
		}
		if _, err := p.Export(ctx, tt.s, audit.Entry{}); !errors.Is(err, tt.want) {
			t.Errorf("%s: Export(%+v) = %v; want %v", tt.name, tt.s, err, tt.want)
		}
	}
}

func TestModelDataFor(t *testing.T) {
	off := privacy.ModelDataFor(false, sites.DefaultConfig())
	if off.Configured || len(off.Sent) != 0 {
		t.Errorf("ModelDataFor(no model) = %+v; want nothing sent", off)
	}
	cfg := sites.DefaultConfig()
	cfg.MaskContacts = true
	on := privacy.ModelDataFor(true, cfg)
	if !on.Configured || !strings.Contains(strings.Join(on.Masked, ";"), "email") {
		t.Errorf("ModelDataFor(model, mask_contacts) = %+v; want emails listed as masked", on)
	}
}
