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
//	{"type":"delta","conversation_id","id","text"}                       (the bot's reply as it is written)
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
// expired, user disabled; checked every agentRecheck) and with 4008 when
// the client is too slow to take its events; the console then reconnects
// and reloads its lists.

// Agent socket limits (STYLE C12).
const (
	agentReadLimit   = 4 << 10
	agentEventBuffer = 256 // per site subscription
	agentQueue       = 256 // merged events waiting for the writer
	agentRecheck     = 30 * time.Second
	agentCountsDelay = 300 * time.Millisecond
	closeSession     = 4001
)

// agentSocket upgrades a signed-in console user whose page is kefu's own.
func (s *Server) agentSocket(c echo.Context) error {
	if s.opts.Accounts == nil {
		return echo.NewHTTPError(http.StatusNotFound, "the console is not enabled")
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
	sess, user, err := s.opts.Accounts.Sessions.Validate(ctx, ck.Value)
	if err != nil {
		return err
	}
	scope, err := s.opts.Accounts.Users.ScopeOf(ctx, user)
	if err != nil {
		return err
	}
	var siteIDs []int64
	sites, err := s.opts.Sites.List(ctx)
	if err != nil {
		return err
	}
	for _, site := range sites {
		if scope.Allows(site.ID) {
			siteIDs = append(siteIDs, site.ID)
		}
	}
	up := websocket.Upgrader{
		ReadBufferSize: 512, WriteBufferSize: 1024, WriteBufferPool: wsWriteBuffers,
		CheckOrigin: func(*http.Request) bool { return true }, // checked above
	}
	conn, err := up.Upgrade(c.Response(), req, nil)
	if err != nil {
		return nil // the upgrader already answered
	}
	ac := &agentConn{srv: s, conn: conn, user: user, token: ck.Value, session: sess, scope: scope, siteIDs: siteIDs,
		connID: newConnID(), out: make(chan any, wsSendQueue), events: make(chan *chat.Event, agentQueue),
		done: make(chan struct{}), writerDone: make(chan struct{}), status: account.StatusOnline}
	for _, id := range siteIDs {
		ac.subs = append(ac.subs, s.opts.Hub.SubscribeSite(id, agentEventBuffer))
	}
	s.sockets.Add(1)
	go ac.writeLoop()
	go ac.readLoop()
	return nil
}

func newConnID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// agentConn is one console socket: a reader, a writer, and one forwarder
// per site subscription merging events into events.
type agentConn struct {
	srv     *Server
	conn    *websocket.Conn
	user    *account.User
	token   string // the session cookie, to re-check the session
	session *account.Session
	scope   account.Scope
	siteIDs []int64
	connID  string
	subs    []*chat.Subscription
	fwd     sync.WaitGroup

	out        chan any
	events     chan *chat.Event
	done       chan struct{}
	writerDone chan struct{} // closed when the writer has cleaned up
	once       sync.Once
	slow       bool // set before done closes when the client fell behind

	mu     sync.Mutex
	status string // online or away, as this socket reports it
}

func (ac *agentConn) close() { ac.once.Do(func() { close(ac.done) }) }

// send queues a frame for the writer; a client too slow for its own
// replies is disconnected.
func (ac *agentConn) send(v any) {
	select {
	case ac.out <- v:
	case <-ac.done:
	default:
		ac.close()
	}
}

func (ac *agentConn) sendError(code, msg string) {
	ac.send(errorFrame{Type: "error", Code: code, Message: msg})
}

// forward merges one site subscription into ac.events until it closes.
func (ac *agentConn) forward(sub *chat.Subscription) {
	defer ac.fwd.Done()
	for ev := range sub.C {
		select {
		case ac.events <- ev:
		case <-ac.done:
			return
		default:
			ac.mu.Lock()
			ac.slow = true
			ac.mu.Unlock()
			ac.close()
			return
		}
	}
	if sub.Dropped() {
		ac.mu.Lock()
		ac.slow = true
		ac.mu.Unlock()
		ac.close()
	}
}

// agentFrame is a typing or presence frame from the client.
type agentInFrame struct {
	Type           string `json:"type"`
	ConversationID string `json:"conversation_id"`
	Status         string `json:"status"`
}

func (ac *agentConn) readLoop() {
	defer func() {
		ac.close()
		ac.conn.Close()
		<-ac.writerDone // presence is cleaned up before Shutdown returns
		ac.srv.sockets.Done()
	}()
	ac.conn.SetReadLimit(agentReadLimit)
	ac.conn.SetReadDeadline(time.Now().Add(wsPongWait))
	ac.conn.SetPongHandler(func(string) error { return ac.conn.SetReadDeadline(time.Now().Add(wsPongWait)) })
	typed := map[string]time.Time{} // conversation → last typing event sent
	sites := map[string]int64{}     // conversation → its site, once checked
	for {
		kind, data, err := ac.conn.ReadMessage()
		if err != nil {
			return
		}
		// Any frame proves the client is alive.
		ac.conn.SetReadDeadline(time.Now().Add(wsPongWait))
		var f agentInFrame
		if kind != websocket.TextMessage || json.Unmarshal(data, &f) != nil || f.Type == "" {
			ac.sendError("bad_frame", "malformed frame: expected a JSON object with a type")
			continue
		}
		switch f.Type {
		case "typing":
			if time.Since(typed[f.ConversationID]) < typingInterval {
				continue
			}
			conv, err := ac.conversation(f.ConversationID, sites)
			if err != nil {
				status, body := errorStatus(err)
				if status >= 500 {
					ac.srv.logger.Error("agent typing", "error", err)
				}
				ac.sendError(body.Code, body.Message)
				continue
			}
			if len(typed) > 100 {
				clear(typed)
			}
			typed[f.ConversationID] = time.Now()
			ac.srv.opts.Engine.AgentTyping(conv, ac.user)
		case "presence":
			if f.Status != account.StatusOnline && f.Status != account.StatusAway {
				ac.sendError("bad_request", "status must be online or away")
				continue
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
	}
}

// conversation returns a conversation of one of the agent's sites (only
// its id and site are needed for typing).
func (ac *agentConn) conversation(id string, sites map[string]int64) (*chat.Conversation, error) {
	if site, ok := sites[id]; ok {
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
	if len(sites) > 100 {
		clear(sites)
	}
	sites[id] = conv.SiteID
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
func (ac *agentConn) welcome(ctx context.Context) (map[string]any, error) {
	counts, err := ac.srv.opts.Store.InboxCounts(ctx, ac.scope, ac.user.ID)
	if err != nil {
		return nil, err
	}
	seen := map[int64]bool{}
	var ids []int64
	var names []string
	for _, site := range ac.siteIDs {
		users, err := ac.srv.opts.Accounts.Users.Agents(ctx, site)
		if err != nil {
			return nil, err
		}
		for _, u := range users {
			if !seen[u.ID] {
				seen[u.ID] = true
				ids, names = append(ids, u.ID), append(names, u.Name)
			}
		}
	}
	status, err := ac.srv.opts.Accounts.Presence.Statuses(ctx, ids)
	if err != nil {
		return nil, err
	}
	agents := make([]map[string]any, len(ids))
	for i, id := range ids {
		st := status[id]
		if st == "" {
			st = account.StatusOffline
		}
		agents[i] = map[string]any{"id": id, "name": names[i], "status": st}
	}
	siteIDs := ac.siteIDs
	if siteIDs == nil {
		siteIDs = []int64{}
	}
	return map[string]any{"type": "welcome", "user": ac.user, "site_ids": siteIDs, "counts": counts, "agents": agents}, nil
}

func (ac *agentConn) countsFrame() (any, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n, err := ac.srv.opts.Store.InboxCounts(ctx, ac.scope, ac.user.ID)
	if err != nil {
		return nil, err
	}
	return map[string]any{"type": "counts", "queued": n.Queued, "mine": n.Mine, "open": n.Open}, nil
}

func (ac *agentConn) writeLoop() {
	ping := time.NewTicker(wsPingPeriod)
	recheck := time.NewTicker(agentRecheck)
	var counts *time.Timer
	var countsC <-chan time.Time
	for _, sub := range ac.subs {
		ac.fwd.Add(1)
		go ac.forward(sub)
	}
	defer func() {
		ping.Stop()
		recheck.Stop()
		if counts != nil {
			counts.Stop()
		}
		for _, sub := range ac.subs {
			sub.Close()
		}
		ac.fwd.Wait()
		ac.updatePresence(true)
		ac.conn.Close()
		close(ac.writerDone)
	}()
	write := func(v any) bool {
		ac.conn.SetWriteDeadline(time.Now().Add(wsWriteWait))
		if err := ac.conn.WriteJSON(v); err != nil {
			ac.close()
			return false
		}
		return true
	}
	closeWith := func(code int, reason string) {
		ac.conn.SetWriteDeadline(time.Now().Add(wsWriteWait))
		ac.conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason))
		ac.close()
	}
	ac.updatePresence(false)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	w, err := ac.welcome(ctx)
	cancel()
	if err != nil {
		ac.srv.logger.Error("agent welcome", "error", err)
		closeWith(websocket.CloseInternalServerErr, "internal error")
		return
	}
	if !write(w) {
		return
	}
	sent := map[int64]string{} // presence last sent per user: admins hear each change once per site
	for {
		select {
		case <-ac.done:
			ac.mu.Lock()
			slow := ac.slow
			ac.mu.Unlock()
			if slow {
				closeWith(closeSlow, "slow client: reconnect")
			} else {
				closeWith(websocket.CloseNormalClosure, "")
			}
			return
		case <-ac.srv.closing:
			closeWith(websocket.CloseGoingAway, "server restarting")
			return
		case v := <-ac.out:
			if !write(v) {
				return
			}
		case ev := <-ac.events:
			if ev.Kind == chat.KindState && countsC == nil {
				counts = time.NewTimer(agentCountsDelay)
				countsC = counts.C
			}
			if ev.Kind == chat.KindPresence && ev.UserID != nil {
				if sent[*ev.UserID] == ev.Status {
					continue
				}
				sent[*ev.UserID] = ev.Status
			}
			if f := ac.frame(ev); f != nil && !write(f) {
				return
			}
		case <-countsC:
			countsC = nil
			f, err := ac.countsFrame()
			if err != nil {
				ac.srv.logger.Warn("inbox counts", "error", err)
				continue
			}
			if !write(f) {
				return
			}
		case <-ping.C:
			if err := ac.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(wsWriteWait)); err != nil {
				ac.close()
				return
			}
		case <-recheck.C:
			// The session may have ended (sign-out, revoked, disabled): a
			// socket must not outlive it. The check also keeps presence fresh.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_, _, err := ac.srv.opts.Accounts.Sessions.Validate(ctx, ac.token)
			cancel()
			if errors.Is(err, account.ErrUnauthorized) {
				closeWith(closeSession, "session ended: sign in again")
				return
			}
			ac.updatePresence(false)
		}
	}
}

// frame turns a site event into the console's frame; nil skips it.
func (ac *agentConn) frame(ev *chat.Event) any {
	switch ev.Kind {
	case chat.KindMessage:
		if ev.Message == nil {
			return nil
		}
		// preview: what a desktop notification may show (short, redacted).
		return map[string]any{"type": "message", "conversation_id": ev.ConversationID, "site_id": ev.SiteID, "message": ev.Message,
			"preview": chat.RedactedPreview(ev.Message.Text, 80)}
	case chat.KindDelta:
		return map[string]any{"type": "delta", "conversation_id": ev.ConversationID, "id": ev.DeltaID, "text": ev.Delta, "reset": ev.DeltaReset}
	case chat.KindState:
		f := map[string]any{"type": "state", "conversation_id": ev.ConversationID, "site_id": ev.SiteID, "state": ev.State}
		if ev.UserID != nil {
			f["assigned_user_id"] = *ev.UserID
			f["agent"] = map[string]any{"id": *ev.UserID, "name": ev.AgentName}
		}
		return f
	case chat.KindTyping:
		if ev.UserID != nil && *ev.UserID == ac.user.ID {
			return nil // one's own typing
		}
		f := map[string]any{"type": "typing", "conversation_id": ev.ConversationID, "role": ev.Role}
		if ev.UserID != nil {
			f["user_id"], f["name"] = *ev.UserID, ev.AgentName
		}
		return f
	case chat.KindPresence:
		if ev.UserID == nil {
			return nil
		}
		return map[string]any{"type": "presence", "user_id": *ev.UserID, "name": ev.AgentName, "status": ev.Status}
	case chat.KindNotice:
		if ac.user.Role != account.RoleAdmin {
			return nil
		}
		return map[string]any{"type": "notice", "site_id": ev.SiteID, "code": ev.Status, "text": ev.Text}
	}
	return nil
}
