package chat

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"kefu/internal/pgtest"
	"kefu/internal/sites"
)

// newConversation is a site's new conversation on a throwaway database.
func newConversation(t *testing.T) (*pgxpool.Pool, *Store, *Conversation) {
	t.Helper()
	ctx := context.Background()
	db := pgtest.New(t)
	site, err := sites.NewStore(db).Create(ctx, "Shop", nil)
	if err != nil {
		t.Fatal(err)
	}
	store := NewStore(db)
	v, err := store.NewVisitor(ctx, site.ID, "en")
	if err != nil {
		t.Fatal(err)
	}
	conv, err := store.OpenConversation(ctx, v, "en")
	if err != nil {
		t.Fatal(err)
	}
	return db, store, conv
}

// A turn loads its conversation and the messages it reads in one round
// trip (Store.turnStart); what it then reads from them is what the store
// returns, for every window a step asks for, and the classification is
// stored.
func TestTurnStartReadsWhatTheStoreHas(t *testing.T) {
	ctx := context.Background()
	db, store, conv := newConversation(t)
	e := NewEngine(Options{Store: store})
	defer e.Close(ctx)
	var last *Message
	var err error
	for i := range 50 {
		m := &Message{ConversationID: conv.ID, Role: RoleShopper, Text: fmt.Sprintf("message %d", i), ClientID: fmt.Sprint(i)}
		switch i % 3 {
		case 1:
			m.Role, m.ClientID = RoleBot, ""
		case 2:
			m.Role, m.ClientID = RoleNote, "" // never read by a turn
		}
		if last, _, _, err = store.Append(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	msg := last
	for msg.Role != RoleShopper { // the turn answers the last shopper message; later ones follow it
		msgs, err := store.Messages(ctx, conv.ID, msg.Seq-2, 1, false)
		if err != nil {
			t.Fatal(err)
		}
		msg = &msgs[0]
	}

	loaded, err := store.turnStart(ctx, msg, Analysis{Intent: "shipping", Confidence: 0.75, Sentiment: "neutral", SentimentScore: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	if loaded.ID != conv.ID || loaded.LastSeq != 50 || loaded.recent == nil {
		t.Fatalf("turnStart: conversation %s at seq %d, recent loaded %v; want %s at 50, loaded", loaded.ID, loaded.LastSeq, loaded.recent != nil, conv.ID)
	}
	for _, after := range []int{msg.Seq - recentWindow, msg.Seq - 8, loaded.LastSeq - 10, msg.Seq, loaded.LastSeq, msg.Seq - recentWindow - 1, 0} {
		got, err := e.messagesAfter(ctx, loaded, max(0, after))
		if err != nil {
			t.Fatal(err)
		}
		want, err := store.Messages(ctx, conv.ID, max(0, after), 0, false)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.EqualFunc(got, want, func(a, b Message) bool { return a.ID == b.ID && a.Seq == b.Seq && a.Text == b.Text }) {
			t.Errorf("messages after %d: the turn read %d messages, the store has %d", after, len(got), len(want))
		}
	}
	var intent, sentiment string
	var confidence float32
	if err := db.QueryRow(ctx, "select intent, intent_confidence, sentiment from messages where id = $1", msg.ID).Scan(&intent, &confidence, &sentiment); err != nil {
		t.Fatal(err)
	}
	if intent != "shipping" || confidence != 0.75 || sentiment != "neutral" {
		t.Errorf("classification stored as %s %.2f %s; want shipping 0.75 neutral", intent, confidence, sentiment)
	}

	if _, err := store.turnStart(ctx, &Message{ID: msg.ID, ConversationID: "00000000-0000-4000-8000-000000000000", Seq: 1}, Analysis{}); err == nil {
		t.Errorf("turnStart of a conversation that does not exist: no error")
	}
}

// The bot's reply and the streaks it changes are one write; a message
// appended without streaks leaves them as they were.
func TestReplyCarriesStreaks(t *testing.T) {
	ctx := context.Background()
	_, store, conv := newConversation(t)
	streaksNow := func() (int, int) {
		t.Helper()
		c, err := store.Conversation(ctx, conv.ID)
		if err != nil {
			t.Fatal(err)
		}
		return c.NegativeStreak, c.NoAnswerStreak
	}
	if _, _, _, err := store.appendMessage(ctx, &Message{ConversationID: conv.ID, Role: RoleBot, Text: "Not sure."}, &streaks{negative: 2, noAnswer: 3}); err != nil {
		t.Fatal(err)
	}
	if n, a := streaksNow(); n != 2 || a != 3 {
		t.Errorf("after a reply with streaks 2, 3: %d, %d", n, a)
	}
	if _, _, _, err := store.Append(ctx, &Message{ConversationID: conv.ID, Role: RoleShopper, Text: "hm", ClientID: "c1"}); err != nil {
		t.Fatal(err)
	}
	if n, a := streaksNow(); n != 2 || a != 3 {
		t.Errorf("after a message without streaks: %d, %d; want 2, 3 kept", n, a)
	}
	// A failed append changes nothing, streaks included.
	if _, _, _, err := store.appendMessage(ctx, &Message{ConversationID: conv.ID, Role: RoleBot, Text: "bad\x00"}, &streaks{}); err == nil {
		t.Errorf("a reply with a NUL character was stored")
	}
	if n, a := streaksNow(); n != 2 || a != 3 {
		t.Errorf("after a failed reply: %d, %d; want 2, 3 kept", n, a)
	}
}

// A pipeTx sends Execs with the next statement that is read, and commits
// all or nothing: a failing Exec fails the transaction, and what came
// before it is rolled back.
func TestPipeTxAllOrNothing(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	if _, err := db.Exec(ctx, "create table pipe_test (n int primary key)"); err != nil {
		t.Fatal(err)
	}
	count := func() (n int) {
		t.Helper()
		if err := db.QueryRow(ctx, "select count(*) from pipe_test").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	err := pipeline(ctx, db, func(tx pgx.Tx) error {
		tx.Exec(ctx, "insert into pipe_test values (1)")
		tx.Exec(ctx, "insert into pipe_test values (2)")
		var n int
		if err := tx.QueryRow(ctx, "select count(*) from pipe_test").Scan(&n); err != nil || n != 2 {
			t.Errorf("inside the transaction: %d rows (%v); want its 2", n, err)
		}
		tx.Exec(ctx, "insert into pipe_test values (3)")
		return nil
	})
	if err != nil || count() != 3 {
		t.Fatalf("committed %d rows (%v); want 3", count(), err)
	}

	err = pipeline(ctx, db, func(tx pgx.Tx) error {
		tx.Exec(ctx, "insert into pipe_test values (4)")
		tx.Exec(ctx, "insert into pipe_test values (1)") // a duplicate: the transaction fails
		var n int
		return tx.QueryRow(ctx, "select count(*) from pipe_test").Scan(&n)
	})
	if err == nil {
		t.Errorf("a failing Exec: no error")
	}
	err = pipeline(ctx, db, func(tx pgx.Tx) error {
		tx.Exec(ctx, "insert into pipe_test values (5)")
		tx.Exec(ctx, "insert into pipe_test values (2)") // fails at the commit
		return nil
	})
	if err == nil {
		t.Errorf("a failing Exec before the commit: no error")
	}
	errFn := errors.New("changed my mind")
	err = pipeline(ctx, db, func(tx pgx.Tx) error {
		tx.Exec(ctx, "insert into pipe_test values (6)")
		var n int
		tx.QueryRow(ctx, "select count(*) from pipe_test").Scan(&n)
		return errFn
	})
	if !errors.Is(err, errFn) {
		t.Errorf("fn's error: %v", err)
	}
	if n := count(); n != 3 {
		t.Errorf("%d rows after the failed transactions; want 3 (nothing of theirs kept)", n)
	}
	// The pool's connections are usable after all that.
	for range 5 {
		if err := db.QueryRow(ctx, "select 1").Scan(new(int)); err != nil {
			t.Fatal(err)
		}
	}
}
