package chat_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"kefu/chat"
	"kefu/internal/account"
	"kefu/internal/pgtest"
	"kefu/internal/sites"
)

func TestTransitionsOnStore(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	site, err := sites.NewStore(db).Create(ctx, "Shop", nil)
	if err != nil {
		t.Fatal(err)
	}
	users := account.NewUsers(db)
	ann, _ := users.Create(ctx, "ann@example.com", "Ann", account.RoleAgent, "password-ann")
	bob, _ := users.Create(ctx, "bob@example.com", "Bob", account.RoleAgent, "password-bob")
	store := chat.NewStore(db)
	v, _ := store.NewVisitor(ctx, site.ID, "en")
	conv, err := store.OpenConversation(ctx, v, "en")
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name    string
		change  chat.Change
		want    chat.State
		wantErr error
		owner   *int64
		reason  string
	}{
		{"escalate", chat.Change{Action: chat.ActionEscalate, Reason: chat.ReasonRequested, Priority: 2, Summary: "wants a refund"}, chat.StateQueued, nil, nil, chat.ReasonRequested},
		{"escalate again keeps the first reason", chat.Change{Action: chat.ActionEscalate, Reason: chat.ReasonNoAnswer}, chat.StateQueued, nil, nil, chat.ReasonRequested},
		{"ann claims", chat.Change{Action: chat.ActionClaim, UserID: &ann.ID}, chat.StateAgent, nil, &ann.ID, chat.ReasonRequested},
		{"bob cannot claim", chat.Change{Action: chat.ActionClaim, UserID: &bob.ID}, chat.StateAgent, chat.ErrClaimed, &ann.ID, chat.ReasonRequested},
		{"ann claims again", chat.Change{Action: chat.ActionClaim, UserID: &ann.ID}, chat.StateAgent, nil, &ann.ID, chat.ReasonRequested},
		{"bot cannot escalate an agent's conversation", chat.Change{Action: chat.ActionEscalate, Reason: chat.ReasonNoAnswer}, chat.StateAgent, nil, &ann.ID, chat.ReasonRequested},
		{"transfer to bob", chat.Change{Action: chat.ActionTransfer, UserID: &bob.ID}, chat.StateAgent, nil, &bob.ID, chat.ReasonRequested},
		{"hand back", chat.Change{Action: chat.ActionHandback}, chat.StateBot, nil, nil, chat.ReasonRequested},
		{"resolve", chat.Change{Action: chat.ActionResolve}, chat.StateResolved, nil, nil, chat.ReasonRequested},
		{"cannot hand back a resolved one", chat.Change{Action: chat.ActionHandback}, chat.StateResolved, chat.ErrTransition, nil, chat.ReasonRequested},
		{"cannot transfer a resolved one", chat.Change{Action: chat.ActionTransfer, UserID: &ann.ID}, chat.StateResolved, chat.ErrTransition, nil, chat.ReasonRequested},
		{"escalate reopens", chat.Change{Action: chat.ActionEscalate, Reason: chat.ReasonNegativeSentiment, Priority: 3}, chat.StateQueued, nil, nil, chat.ReasonNegativeSentiment},
	}
	for _, s := range steps {
		_, err := store.Transition(ctx, conv.ID, s.change)
		if !errors.Is(err, s.wantErr) {
			t.Fatalf("%s: err = %v; want %v", s.name, err, s.wantErr)
		}
		got, _ := store.Conversation(ctx, conv.ID)
		if got.State != s.want || !sameOwner(got.AssignedUserID, s.owner) || got.EscalationReason != s.reason {
			t.Fatalf("%s: state %s owner %v reason %q; want %s %v %q", s.name, got.State, got.AssignedUserID, got.EscalationReason, s.want, s.owner, s.reason)
		}
	}
}

func sameOwner(a, b *int64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// Two agents racing to claim: exactly one wins, the others learn it is taken.
func TestClaimRace(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	site, _ := sites.NewStore(db).Create(ctx, "Shop", nil)
	store := chat.NewStore(db)
	v, _ := store.NewVisitor(ctx, site.ID, "en")
	conv, _ := store.OpenConversation(ctx, v, "en")
	store.Transition(ctx, conv.ID, chat.Change{Action: chat.ActionEscalate, Reason: chat.ReasonRequested})
	users := account.NewUsers(db)
	var ids []int64
	for _, e := range []string{"a@example.com", "b@example.com", "c@example.com", "d@example.com", "e@example.com", "f@example.com"} {
		u, err := users.Create(ctx, e, "", account.RoleAgent, "long-enough")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u.ID)
	}
	var wg sync.WaitGroup
	results := make([]error, len(ids))
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, results[i] = store.Transition(ctx, conv.ID, chat.Change{Action: chat.ActionClaim, UserID: &ids[i]})
		}()
	}
	wg.Wait()
	wins := 0
	for _, err := range results {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, chat.ErrClaimed):
			t.Errorf("losing claim: %v; want ErrClaimed", err)
		}
	}
	if wins != 1 {
		t.Errorf("%d claims won; want exactly 1", wins)
	}
}
