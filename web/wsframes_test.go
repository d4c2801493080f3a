package web

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"kefu/chat"
	"kefu/internal/account"
)

// The frames the widget and the console read, pinned as JSON: the socket
// code may change, what reaches a client may not (DESIGN.md's widget
// protocol, web/static/widget.js, web/console/console.js).
func TestSocketFramesAsClientsReadThem(t *testing.T) {
	at := time.Date(2026, 12, 5, 10, 30, 0, 0, time.FixedZone("CST", 8*3600))
	yes, agentID, self := true, int64(3), int64(7)
	msg := &chat.Message{ID: "m2", ConversationID: "c1", Seq: 2, Role: chat.RoleBot, Text: "Two days.", Answered: &yes, At: at,
		Citations: []chat.Citation{{N: 1, Title: "Delivery", Source: "delivery.md", URL: "https://shop.example.com/delivery#:~:text=two"}}}
	note := &chat.Message{ID: "m3", ConversationID: "c1", Seq: 3, Role: chat.RoleNote, Text: "check stock", At: at}
	ev := func(e chat.Event) *chat.Event { e.ConversationID, e.SiteID = "c1", 1; return &e }

	widget := []struct {
		name string
		ev   *chat.Event
		want string // "" : not shown to the shopper
	}{
		{"bot message", ev(chat.Event{Kind: chat.KindMessage, Message: msg}),
			`{"type":"message","seq":2,"id":"m2","role":"bot","text":"Two days.","answered":true,"at":"2026-12-05T02:30:00Z",
			"citations":[{"n":1,"title":"Delivery","source":"delivery.md","url":"https://shop.example.com/delivery#:~:text=two"}]}`},
		{"internal note", ev(chat.Event{Kind: chat.KindMessage, Message: note}), ""},
		{"delta", ev(chat.Event{Kind: chat.KindDelta, DeltaID: "m2", Delta: "Two"}), `{"type":"delta","id":"m2","text":"Two"}`},
		{"delta reset", ev(chat.Event{Kind: chat.KindDelta, DeltaID: "m2", Delta: "", DeltaReset: true}),
			`{"type":"delta","id":"m2","text":"","reset":true}`},
		{"state with agent", ev(chat.Event{Kind: chat.KindState, State: chat.StateAgent, AgentName: "Ann", UserID: &agentID}),
			`{"type":"state","state":"agent","agent":{"name":"Ann"}}`},
		{"state", ev(chat.Event{Kind: chat.KindState, State: chat.StateQueued}), `{"type":"state","state":"queued"}`},
		{"agent typing", ev(chat.Event{Kind: chat.KindTyping, Role: chat.RoleAgent, UserID: &agentID, AgentName: "Ann"}),
			`{"type":"typing","role":"agent"}`},
		{"own typing", ev(chat.Event{Kind: chat.KindTyping, Role: chat.RoleShopper}), ""},
		{"presence", ev(chat.Event{Kind: chat.KindPresence, UserID: &agentID, Status: account.StatusAway}), ""},
	}
	for _, tc := range widget {
		sameJSON(t, "widget "+tc.name, widgetFrame(tc.ev), tc.want)
	}

	ac := &agentConn{user: &account.User{ID: self, Name: "Me"}}
	console := []struct {
		name string
		ev   *chat.Event
		want string
	}{
		{"note", ev(chat.Event{Kind: chat.KindMessage, Message: note}),
			`{"type":"message","conversation_id":"c1","site_id":1,"message":{"id":"m3","conversation_id":"c1","seq":3,"role":"note",
			"text":"check stock","citations":null,"at":"2026-12-05T10:30:00+08:00"},"preview":"check stock"}`},
		{"delta", ev(chat.Event{Kind: chat.KindDelta, DeltaID: "m2", Delta: "Two"}),
			`{"type":"delta","conversation_id":"c1","id":"m2","text":"Two","reset":false}`},
		{"claimed", ev(chat.Event{Kind: chat.KindState, State: chat.StateAgent, AgentName: "Ann", UserID: &agentID}),
			`{"type":"state","conversation_id":"c1","site_id":1,"state":"agent","assigned_user_id":3,"agent":{"id":3,"name":"Ann"}}`},
		{"queued", ev(chat.Event{Kind: chat.KindState, State: chat.StateQueued}),
			`{"type":"state","conversation_id":"c1","site_id":1,"state":"queued"}`},
		{"shopper typing", ev(chat.Event{Kind: chat.KindTyping, Role: chat.RoleShopper}),
			`{"type":"typing","conversation_id":"c1","role":"shopper"}`},
		{"colleague typing", ev(chat.Event{Kind: chat.KindTyping, Role: chat.RoleAgent, UserID: &agentID, AgentName: "Ann"}),
			`{"type":"typing","conversation_id":"c1","role":"agent","user_id":3,"name":"Ann"}`},
		{"colleague typing, no name", ev(chat.Event{Kind: chat.KindTyping, Role: chat.RoleAgent, UserID: &agentID}),
			`{"type":"typing","conversation_id":"c1","role":"agent","user_id":3,"name":""}`},
		{"own typing", ev(chat.Event{Kind: chat.KindTyping, Role: chat.RoleAgent, UserID: &self}), ""},
		{"presence", ev(chat.Event{Kind: chat.KindPresence, UserID: &agentID, AgentName: "Ann", Status: account.StatusAway}),
			`{"type":"presence","user_id":3,"name":"Ann","status":"away"}`},
		{"presence without user", ev(chat.Event{Kind: chat.KindPresence, Status: account.StatusAway}), ""},
		{"notice, to an agent", ev(chat.Event{Kind: chat.KindNotice, Status: "webhook_disabled", Text: "Disabled."}), ""},
	}
	for _, tc := range console {
		sameJSON(t, "console "+tc.name, ac.frame(tc.ev), tc.want)
	}
	admin := &agentConn{user: &account.User{ID: self, Role: account.RoleAdmin}}
	sameJSON(t, "console notice, to an admin", admin.frame(ev(chat.Event{Kind: chat.KindNotice, Status: "webhook_disabled", Text: "Disabled."})),
		`{"type":"notice","site_id":1,"code":"webhook_disabled","text":"Disabled."}`)
}

// sameJSON compares a frame with the JSON a client should read: the same
// keys and values, whatever their order.
func sameJSON(t *testing.T, name string, frame any, want string) {
	t.Helper()
	if want == "" {
		if frame != nil {
			raw, _ := json.Marshal(frame)
			t.Errorf("%s: got %s; want no frame", name, raw)
		}
		return
	}
	raw, err := json.Marshal(frame)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var got, exp any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if err := json.Unmarshal([]byte(want), &exp); err != nil {
		t.Fatalf("%s: bad expectation: %v", name, err)
	}
	if !reflect.DeepEqual(got, exp) {
		t.Errorf("%s:\n got %s\nwant %s", name, raw, want)
	}
}
