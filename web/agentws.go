package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"

	"kefu/chat"
	"kefu/internal/account"
)

// The agent console's socket, GET /v1/agent/ws: live inbox events for the
// sites the signed-in user works for. Server → client frames:
//
//	{"type":"welcome","user":{…},"site_ids":[…],"counts":{"queued","mine","open"},"agents":[{"id","name","status"}]}
//	{"type":"message","conversation_id","site_id","message":{…},"preview"}  (notes included; preview: short, redacted)
//	{"type":"delta","conversation_id","id","text","reset"}               (the bot's reply as it is written)
//	{"type":"state","conversation_id","site_id","state","assigned_user_id"?,"agent":{"id","name"}?}
//	{"type":"typing","conversation_id","role":"shopper|agent","user_id"?,"name"?}
//	{"type":"presence","user_id","name","status":"online|away|offline"}
//	{"type":"counts","queued","mine","open"}                             (after state changes)
//	{"type":"notice","site_id","code","text"}                            (admins: a webhook was disabled)
//	{"type":"error","code","message"}
//
// Client → server: {"type":"typing","conversation_id"} and
// {"type":"presence","status":"online|away"}.
//
// The socket closes with 4001 when the session ends (sign-out, revoked,
// expired, user disabled; checked every agentRecheck), with 4008 when the
// client is too slow to take its events (or events may have been missed),
// and with 1001 when the server goes away; the console then reconnects and
// reloads its lists.

// Agent socket limits (STYLE C12).
const (
	agentReadLimit   = 4 << 10
	agentQueue       = 256 // frames waiting for a slow console before it is closed
	agentRecheck     = 30 * time.Second
	agentCountsDelay = 300 * time.Millisecond
	closeSession     = 4001
)

// Frames the console reads (console.js); errorFrame is the widget's.
type (
	agentWelcomeFrame struct {
		Type    string           `json:"type"` // welcome
		User    *account.User    `json:"user"`
		SiteIDs []int64          `json:"site_ids"`
		Counts  chat.InboxCounts `json:"counts"`
		Agents  []agentStatus    `json:"agents"`
	}
	agentStatus struct {
		ID     int64  `json:"id"`
		Name   string `json:"name"`
		Status string `json:"status"`
	}
	countsFrame struct {
		Type string `json:"type"` // counts
		chat.InboxCounts
	}
	agentMessageFrame struct {
		Type           string        `json:"type"` // message
		ConversationID string        `json:"conversation_id"`
		SiteID         int64         `json:"site_id"`
		Message        *chat.Message `json:"message"`
		Preview        string        `json:"preview"` // what a desktop notification may show (short, redacted)
	}
	agentDeltaFrame struct {
		Type           string `json:"type"` // delta
		ConversationID string `json:"conversation_id"`
		ID             string `json:"id"`
		Text           string `json:"text"`
		Reset          bool   `json:"reset"`
	}
	agentStateFrame struct {
		Type           string     `json:"type"` // state
		ConversationID string     `json:"conversation_id"`
		SiteID         int64      `json:"site_id"`
		State          chat.State `json:"state"`
		AssignedUserID *int64     `json:"assigned_user_id,omitempty"`
		Agent          *agentRef  `json:"agent,omitempty"`
	}
	agentRef struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	}
	agentTypingFrame struct {
		Type           string `json:"type"` // typing
		ConversationID string `json:"conversation_id"`
		Role           string `json:"role"`
		*typist               // a colleague; nil: the shopper
	}
	typist struct {
		UserID int64  `json:"user_id"`
		Name   string `json:"name"`
	}
	presenceFrame struct {
		Type   string `json:"type"` // presence
		UserID int64  `json:"user_id"`
		Name   string `json:"name"`
		Status string `json:"status"`
	}
	// noticeFrame is for admins: a webhook was disabled.
	noticeFrame struct {
		Type   string `json:"type"` // notice
		SiteID int64  `json:"site_id"`
		Code   string `json:"code"`
		Text   string `json:"text"`
	}
)

// agentSocket upgrades a signed-in console user whose page is kefu's own.
func (s *Server) agentSocket(c echo.Context) error {
	if s.opts.Accounts == nil {
		return notEnabled("the console is")
	}
	req := c.Request()
	if !s.sameOrigin(req) {
		return echo.NewHTTPError(http.StatusForbidden, "origin not allowed")
	}
	ck, err := req.Cookie(sessionCookie)
	if err != nil || ck.Value == "" {
		return echo.NewHTTPError(http.StatusUnauthorized, "sign in first")
	}
	ctx := req.Context()
	_, user, err := s.opts.Accounts.Sessions.Validate(ctx, ck.Value)
	if err != nil {
		return err
	}
	scope, err := s.opts.Accounts.Users.ScopeOf(ctx, user)
	if err != nil {
		return err
	}
	siteIDs := []int64{}
	sites, err := s.opts.Sites.List(ctx)
	if err != nil {
		return err
	}
	for _, site := range sites {
		if scope.Allows(site.ID) {
			siteIDs = append(siteIDs, site.ID)
		}
	}
	ac := &agentConn{srv: s, c: newWSConn(agentQueue), user: user, token: ck.Value, scope: scope, siteIDs: siteIDs,
		connID: newConnID(), status: account.StatusOnline, sent: map[int64]string{}, typed: map[string]time.Time{},
		sites: map[string]int64{}}
	// Counted before the upgrade: Shutdown waits for the socket from the
	// moment the HTTP server stops tracking its connection.
	if !s.sockets.add(ac.c) {
		return echo.NewHTTPError(http.StatusServiceUnavailable, "server restarting")
	}
	ws, err := upgrade(c.Response(), req)
	if err != nil {
		s.sockets.remove(ac.c)
		return nil
	}
	if f := s.hook().agentUpgraded; f != nil {
		f()
	}
	ac.c.attach(ws, agentReadLimit, wsPongWait)
	// A socket closed during its upgrade (the server going away) is closed
	// without a welcome. The welcome's work runs on the request's goroutine,
	// which then ends; the reader starts after (as the widget's).
	served := false
	defer func() {
		if !served { // start panicked (echo recovers it)
			ac.end()
		}
	}()
	if !ac.c.closing() {
		ac.start()
	}
	served = true
	go ac.serve()
	return nil
}

func newConnID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// agentConn is one console socket (wsConn: its reader handles the frames
// below). Beside it run only timers: the session re-check and the counts
// that follow state changes, each stopped and waited for when it ends.
type agentConn struct {
	srv     *Server
	c       *wsConn
	user    *account.User
	token   string // the session cookie, to re-check the session
	scope   account.Scope
	siteIDs []int64
	connID  string
	// Of the reader alone (start runs before it): the site watches, when
	// the agent last typed in a conversation, and the site of conversations
	// already checked.
	subs  []*chat.Subscription
	typed map[string]time.Time
	sites map[string]int64
	// present: this socket's presence was recorded; stop removes it.
	present bool

	mu      sync.Mutex
	status  string           // online or away, as this socket reports it
	sent    map[int64]string // presence last sent per user: admins hear each change once per site
	stopped bool             // no timer starts any more
	recheck *time.Timer
	counts  *time.Timer // set while a counts frame is due
	timers  sync.WaitGroup
}

// serve is the socket's reader, for its whole life after start.
func (ac *agentConn) serve() {
	for ac.c.read(ac.handle) {
	}
	ac.end()
}

// end ends what the socket began, once it is closed.
func (ac *agentConn) end() {
	ac.c.end()
	ac.stop()
	ac.srv.sockets.remove(ac.c)
}

// start watches the sites, records the presence and opens with the welcome
// (events since the watch began follow it).
func (ac *agentConn) start() {
	for _, id := range ac.siteIDs {
		ac.subs = append(ac.subs, ac.srv.opts.Hub.WatchSite(id, ac.deliver))
	}
	ac.present = true
	ac.updatePresence(false)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	w, err := ac.welcome(ctx)
	cancel()
	if err != nil {
		ac.srv.logger.Error("agent welcome", "error", err)
		ac.c.close(websocket.CloseInternalServerErr, "internal error")
		return
	}
	ac.c.open([]any{w}, nil)
	ac.later(&ac.recheck, agentRecheck, ac.recheckSession)
}

// stop ends what start began: the watches, the timers, the presence.
func (ac *agentConn) stop() {
	for _, sub := range ac.subs {
		sub.Close()
	}
	ac.mu.Lock()
	ac.stopped = true
	for _, t := range []*time.Timer{ac.recheck, ac.counts} {
		if t != nil && t.Stop() {
			ac.timers.Done() // it will not run
		}
	}
	ac.mu.Unlock()
	ac.timers.Wait()
	if ac.present {
		ac.updatePresence(true)
	}
}

// later runs fn after d, unless the socket has stopped (stop waits for a
// running fn). One timer per slot: while one is due, later keeps it.
func (ac *agentConn) later(slot **time.Timer, d time.Duration, fn func()) {
	ac.mu.Lock()
	defer ac.mu.Unlock()
	if ac.stopped || *slot != nil {
		return
	}
	ac.timers.Add(1)
	*slot = time.AfterFunc(d, func() {
		defer ac.timers.Done()
		ac.mu.Lock()
		*slot = nil
		ac.mu.Unlock()
		fn()
	})
}

// recheckSession closes the socket when its session has ended (sign-out,
// revoked, disabled): a socket must not outlive it. The check also keeps
// the presence fresh.
func (ac *agentConn) recheckSession() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	_, _, err := ac.srv.opts.Accounts.Sessions.Validate(ctx, ac.token)
	cancel()
	if errors.Is(err, account.ErrUnauthorized) {
		ac.c.drop(closeSession, "session ended: sign in again")
		return
	}
	ac.updatePresence(false)
	ac.later(&ac.recheck, agentRecheck, ac.recheckSession)
}

// sendCounts sends the inbox badges, agentCountsDelay after a state change.
func (ac *agentConn) sendCounts() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n, err := ac.srv.opts.Store.InboxCounts(ctx, ac.scope, ac.user.ID)
	if err != nil {
		ac.srv.logger.Warn("inbox counts", "error", err)
		return
	}
	ac.c.publish(countsFrame{Type: "counts", InboxCounts: n})
}

// deliver is the hub's callback: it never blocks; false when the socket is
// closing, and the hub forgets it.
func (ac *agentConn) deliver(ev *chat.Event) bool {
	switch ev.Kind {
	case chat.KindResync:
		ac.c.drop(closeSlow, "missed events: reconnect")
		return false
	case chat.KindState:
		ac.later(&ac.counts, agentCountsDelay, ac.sendCounts)
	case chat.KindPresence:
		if ev.UserID != nil {
			ac.mu.Lock()
			same := ac.sent[*ev.UserID] == ev.Status
			ac.sent[*ev.UserID] = ev.Status
			ac.mu.Unlock()
			if same {
				return !ac.c.closing()
			}
		}
	}
	if f := ac.frame(ev); f != nil {
		return ac.c.publish(f)
	}
	return !ac.c.closing()
}

// agentInFrame is a typing or presence frame from the client.
type agentInFrame struct {
	Type           string `json:"type"`
	ConversationID string `json:"conversation_id"`
	Status         string `json:"status"`
}

// handle handles one client frame (on the reader); it never ends the socket.
func (ac *agentConn) handle(kind int, data []byte) bool {
	// Any frame proves the client is alive.
	ac.c.ws.SetReadDeadline(time.Now().Add(wsPongWait))
	var f agentInFrame
	if kind != websocket.TextMessage || json.Unmarshal(data, &f) != nil || f.Type == "" {
		ac.sendError("bad_frame", "malformed frame: expected a JSON object with a type")
		return true
	}
	switch f.Type {
	case "typing":
		if time.Since(ac.typed[f.ConversationID]) < typingInterval {
			return true
		}
		conv, err := ac.conversation(f.ConversationID)
		if err != nil {
			status, body := errorStatus(err)
			if status >= 500 {
				ac.srv.logger.Error("agent typing", "error", err)
			}
			ac.sendError(body.Code, body.Message)
			return true
		}
		if len(ac.typed) > 100 {
			clear(ac.typed)
		}
		ac.typed[f.ConversationID] = time.Now()
		ac.srv.opts.Engine.AgentTyping(conv, ac.user)
	case "presence":
		if f.Status != account.StatusOnline && f.Status != account.StatusAway {
			ac.sendError("bad_request", "status must be online or away")
			return true
		}
		ac.mu.Lock()
		changed := ac.status != f.Status
		ac.status = f.Status
		ac.mu.Unlock()
		if changed {
			ac.updatePresence(false)
		}
	default:
		ac.sendError("bad_frame", "unknown frame type "+f.Type)
	}
	return true
}

func (ac *agentConn) sendError(code, msg string) {
	ac.c.send(errorFrame{Type: "error", Code: code, Message: msg})
}

// conversation returns a conversation of one of the agent's sites (only
// its id and site are needed for typing).
func (ac *agentConn) conversation(id string) (*chat.Conversation, error) {
	if site, ok := ac.sites[id]; ok {
		return &chat.Conversation{ID: id, SiteID: site}, nil
	}
	notFound := errors.New("conversation not found")
	if !chat.ValidID(id) {
		return nil, echo.NewHTTPError(http.StatusNotFound, notFound.Error())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conv, err := ac.srv.opts.Store.Conversation(ctx, id)
	if err != nil {
		return nil, err
	}
	if !ac.scope.Allows(conv.SiteID) {
		return nil, echo.NewHTTPError(http.StatusNotFound, notFound.Error())
	}
	if len(ac.sites) > 100 {
		clear(ac.sites)
	}
	ac.sites[id] = conv.SiteID
	return conv, nil
}

// updatePresence records this socket's status (or, when gone, removes it)
// and tells the consoles the user's overall status when it changed.
func (ac *agentConn) updatePresence(gone bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p := ac.srv.opts.Accounts.Presence
	before, err := p.Of(ctx, ac.user.ID)
	if err == nil {
		if gone {
			err = p.Remove(ctx, ac.connID)
		} else {
			ac.mu.Lock()
			status := ac.status
			ac.mu.Unlock()
			err = p.Set(ctx, ac.connID, ac.user.ID, status)
		}
	}
	var after string
	if err == nil {
		after, err = p.Of(ctx, ac.user.ID)
	}
	if err != nil {
		ac.srv.logger.Warn("agent presence", "error", err)
		return
	}
	if after != before {
		if err := ac.srv.opts.Engine.PublishPresence(ctx, ac.user, after); err != nil {
			ac.srv.logger.Warn("publish presence", "error", err)
		}
	}
}

// welcome is the first frame: who is connected, the badges, and the colleagues' presence.
func (ac *agentConn) welcome(ctx context.Context) (agentWelcomeFrame, error) {
	w := agentWelcomeFrame{Type: "welcome", User: ac.user, SiteIDs: ac.siteIDs, Agents: []agentStatus{}}
	var err error
	if w.Counts, err = ac.srv.opts.Store.InboxCounts(ctx, ac.scope, ac.user.ID); err != nil {
		return w, err
	}
	seen := map[int64]bool{}
	var ids []int64
	for _, site := range ac.siteIDs {
		users, err := ac.srv.opts.Accounts.Users.Agents(ctx, site)
		if err != nil {
			return w, err
		}
		for _, u := range users {
			if !seen[u.ID] {
				seen[u.ID] = true
				ids = append(ids, u.ID)
				w.Agents = append(w.Agents, agentStatus{ID: u.ID, Name: u.Name, Status: account.StatusOffline})
			}
		}
	}
	status, err := ac.srv.opts.Accounts.Presence.Statuses(ctx, ids)
	if err != nil {
		return w, err
	}
	for i := range w.Agents {
		if st := status[w.Agents[i].ID]; st != "" {
			w.Agents[i].Status = st
		}
	}
	return w, nil
}

// frame turns a site event into the console's frame; nil skips it.
func (ac *agentConn) frame(ev *chat.Event) any {
	switch ev.Kind {
	case chat.KindMessage:
		if ev.Message == nil {
			return nil
		}
		return agentMessageFrame{Type: "message", ConversationID: ev.ConversationID, SiteID: ev.SiteID, Message: ev.Message,
			Preview: chat.RedactedPreview(ev.Message.Text, 80)}
	case chat.KindDelta:
		return agentDeltaFrame{Type: "delta", ConversationID: ev.ConversationID, ID: ev.DeltaID, Text: ev.Delta, Reset: ev.DeltaReset}
	case chat.KindState:
		f := agentStateFrame{Type: "state", ConversationID: ev.ConversationID, SiteID: ev.SiteID, State: ev.State}
		if ev.UserID != nil {
			f.AssignedUserID, f.Agent = ev.UserID, &agentRef{ID: *ev.UserID, Name: ev.AgentName}
		}
		return f
	case chat.KindTyping:
		if ev.UserID != nil && *ev.UserID == ac.user.ID {
			return nil // one's own typing
		}
		f := agentTypingFrame{Type: "typing", ConversationID: ev.ConversationID, Role: ev.Role}
		if ev.UserID != nil {
			f.typist = &typist{UserID: *ev.UserID, Name: ev.AgentName}
		}
		return f
	case chat.KindPresence:
		if ev.UserID == nil {
			return nil
		}
		return presenceFrame{Type: "presence", UserID: *ev.UserID, Name: ev.AgentName, Status: ev.Status}
	case chat.KindNotice:
		if ac.user.Role != account.RoleAdmin {
			return nil
		}
		return noticeFrame{Type: "notice", SiteID: ev.SiteID, Code: ev.Status, Text: ev.Text}
	}
	return nil
}
