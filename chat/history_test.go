package chat_test

import (
	"context"
	"reflect"
	"strconv"
	"testing"

	"kefu/chat"
	"kefu/internal/account"
	"kefu/internal/pgtest"
	"kefu/internal/sites"
)

// Store.Transition and Store.Append record the events analytics read, in
// their transactions, and only for changes that happened.
func TestConversationEventsRecorded(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	site, _ := sites.NewStore(db).Create(ctx, "Shop", nil)
	users := account.NewUsers(db)
	ann, _ := users.Create(ctx, "ann@example.com", "Ann", account.RoleAgent, "password-ann")
	bob, _ := users.Create(ctx, "bob@example.com", "Bob", account.RoleAgent, "password-bob")
	store := chat.NewStore(db)
	v, _ := store.NewVisitor(ctx, site.ID, "en")
	conv, _ := store.OpenConversation(ctx, v, "en")
	shopperSays := func() {
		if _, _, _, err := store.Append(ctx, &chat.Message{ConversationID: conv.ID, Role: chat.RoleShopper, Text: "hello"}); err != nil {
			t.Fatal(err)
		}
	}
	do := func(ch chat.Change) {
		if _, err := store.Transition(ctx, conv.ID, ch); err != nil {
			t.Fatalf("%s: %v", ch.Action, err)
		}
	}
	shopperSays()
	do(chat.Change{Action: chat.ActionEscalate, Reason: chat.ReasonRequested})
	do(chat.Change{Action: chat.ActionEscalate, Reason: chat.ReasonNoAnswer}) // already queued: nothing
	do(chat.Change{Action: chat.ActionClaim, UserID: &ann.ID})
	do(chat.Change{Action: chat.ActionClaim, UserID: &ann.ID}) // her own: nothing
	if _, err := store.Transition(ctx, conv.ID, chat.Change{Action: chat.ActionClaim, UserID: &bob.ID}); err == nil {
		t.Fatal("bob claimed ann's conversation")
	}
	do(chat.Change{Action: chat.ActionTransfer, UserID: &bob.ID})
	do(chat.Change{Action: chat.ActionHandback, UserID: &bob.ID})
	do(chat.Change{Action: chat.ActionResolve})
	shopperSays() // reopens
	shopperSays() // already open: nothing
	do(chat.Change{Action: chat.ActionResolve, UserID: &ann.ID})
	do(chat.Change{Action: chat.ActionEscalate, Reason: chat.ReasonNegativeSentiment}) // reopens and escalates

	rows, _ := db.Query(ctx, `select kind || ':' || reason || ':' || coalesce(user_id::text, '-') || ':' || (site_id = $2)::text
		from conversation_events where conversation_id = $1 order by id`, conv.ID, site.ID)
	var got []string
	for rows.Next() {
		var s string
		rows.Scan(&s)
		got = append(got, s)
	}
	rows.Close()
	a, b := strconv.FormatInt(ann.ID, 10), strconv.FormatInt(bob.ID, 10)
	want := []string{"escalated:requested:-:true", "claimed::" + a + ":true", "transferred::" + b + ":true",
		"handed_back::" + b + ":true", "resolved::-:true", "reopened::-:true", "resolved::" + a + ":true",
		"reopened::-:true", "escalated:negative_sentiment:-:true"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("events =\n %v\nwant\n %v", got, want)
	}
}
