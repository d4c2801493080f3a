package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"

	"kefu/chat"
	"kefu/internal/sites"
)

// Widget socket limits (STYLE C12).
const (
	wsReadLimit    = 16 << 10 // bytes per frame
	wsWriteWait    = 5 * time.Second
	wsPongWait     = 60 * time.Second
	wsPingPeriod   = 25 * time.Second
	wsHelloWait    = 15 * time.Second
	wsSendQueue    = 16 // frames waiting for an agent socket's writer
	wsEventBuffer  = 64 // events waiting for a slow client before it is dropped
	closeSlow      = 4008
	typingInterval = time.Second
)

var wsWriteBuffers = &sync.Pool{}

// inFrame is any client → server frame of the widget protocol.
type inFrame struct {
	Type         string         `json:"type"`
	VisitorToken *string        `json:"visitor_token"`
	LastSeq      int            `json:"last_seq"`
	Locale       string         `json:"locale"`
	Identity     *chat.Identity `json:"identity"`
	ClientID     string         `json:"client_id"`
	Text         string         `json:"text"`
	Score        int            `json:"score"`
	Comment      string         `json:"comment"`
}

// messageFrame is a committed message as the widget sees it.
type messageFrame struct {
	Type      string          `json:"type"`
	Seq       int             `json:"seq"`
	ID        string          `json:"id"`
	Role      string          `json:"role"`
	Text      string          `json:"text"`
	Citations []chat.Citation `json:"citations"`
	Products  []chat.Product  `json:"products,omitempty"`
	// Answered is set on bot replies: false when the bot could not answer.
	Answered *bool  `json:"answered,omitempty"`
	At       string `json:"at"`
}

func toMessageFrame(m *chat.Message) messageFrame {
	return messageFrame{Type: "message", Seq: m.Seq, ID: m.ID, Role: m.Role, Text: m.Text, Citations: m.Citations,
		Products: m.Products, Answered: m.Answered, At: m.At.UTC().Format(time.RFC3339)}
}

type errorFrame struct {
	Type    string `json:"type"`
	Code    string `json:"code"`
	Message string `json:"message"`
	// For a message that was not stored: its client_id, and whether sending
	// it again later may work (the database or a limit, not the message).
	ClientID string `json:"client_id,omitempty"`
	Retry    bool   `json:"retry,omitempty"`
}

// widgetSocket serves GET /v1/widget/ws?site=KEY: the site and the Origin
// are checked before the upgrade, so a bad request gets a plain HTTP error.
func (s *Server) widgetSocket(c echo.Context) error {
	ctx := c.Request().Context()
	site, err := s.siteByKey(ctx, c.QueryParam("site"))
	if errors.Is(err, sites.ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound, "unknown site key")
	}
	if err != nil {
		return err
	}
	origin := strings.ToLower(strings.TrimSuffix(c.Request().Header.Get("Origin"), "/"))
	if !originAllowed(site, origin, s.opts.PublicURL) {
		return echo.NewHTTPError(http.StatusForbidden, "origin not allowed for this site")
	}
	up := websocket.Upgrader{
		ReadBufferSize: 512, WriteBufferSize: 1024, WriteBufferPool: wsWriteBuffers,
		CheckOrigin: func(*http.Request) bool { return true }, // checked above, against the site
	}
	conn, err := up.Upgrade(c.Response(), c.Request(), nil)
	if err != nil {
		return nil // the upgrader already answered
	}
	wc := &widgetConn{srv: s, conn: conn, site: site, remote: clientIP(c.Request())}
	if !s.widgets.add(wc) {
		conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "server restarting"),
			time.Now().Add(wsWriteWait))
		conn.Close()
		return nil
	}
	// The reader gets a fresh goroutine so the HTTP handler's (with its
	// request, echo context and grown stack) can end. There is no writer
	// goroutine: one runs only while frames are waiting (see flush).
	go wc.readLoop()
	return nil
}

// originAllowed accepts the site's origins and kefu's own public origin (the
// demo page and the console's preview).
func originAllowed(site *sites.Site, origin, publicURL string) bool {
	if origin == "" {
		return false
	}
	for _, o := range site.AllowedOrigins {
		if o == origin {
			return true
		}
	}
	return publicURL != "" && origin == strings.ToLower(strings.TrimSuffix(publicURL, "/"))
}

// widgetConn is one widget socket: a reader goroutine for its life, and a
// writer goroutine only while frames wait to be written. Pings come from
// the server's one pinger (gorilla allows WriteControl beside a writer).
type widgetConn struct {
	srv  *Server
	conn *websocket.Conn
	site *sites.Site
	sess *chat.Session // set by hello; read only by the reader
	// remote is the client's address: order verification is limited per
	// address as well as per visitor (a new visitor costs nothing).
	remote string

	mu         sync.Mutex
	queue      []any // frames (encoded or not) and *chat.Event, in order
	pending    []*chat.Event
	ready      bool // welcome and replay are queued: live events go straight to the queue
	writing    bool // a flush goroutine is running
	closed     bool
	replayedTo int
	sub        *chat.Subscription
}

// closeWith ends the socket with a close code, once.
func (wc *widgetConn) closeWith(code int, reason string) {
	wc.mu.Lock()
	if wc.closed {
		wc.mu.Unlock()
		return
	}
	wc.closed, wc.queue, wc.pending = true, nil, nil
	sub := wc.sub
	wc.mu.Unlock()
	if sub != nil {
		sub.Close()
	}
	wc.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(wsWriteWait))
	wc.conn.Close()
	wc.srv.widgets.remove(wc)
}

// send queues a frame; a client too slow to take its frames is
// disconnected (it resumes with last_seq).
func (wc *widgetConn) send(v any) {
	wc.mu.Lock()
	defer wc.mu.Unlock()
	wc.enqueueLocked(v)
}

// enqueueLocked must be called with wc.mu held.
func (wc *widgetConn) enqueueLocked(v any) {
	if wc.closed {
		return
	}
	if len(wc.queue) >= wsEventBuffer {
		go wc.closeWith(closeSlow, "slow client: reconnect")
		return
	}
	wc.queue = append(wc.queue, v)
	if !wc.writing {
		wc.writing = true
		go wc.flush()
	}
}

// flush writes queued frames until the queue is empty, then exits.
func (wc *widgetConn) flush() {
	for {
		wc.mu.Lock()
		if len(wc.queue) == 0 || wc.closed {
			wc.writing = false
			wc.mu.Unlock()
			return
		}
		v := wc.queue[0]
		wc.queue[0] = nil
		wc.queue = wc.queue[1:]
		replayedTo := wc.replayedTo
		wc.mu.Unlock()
		if ev, ok := v.(*chat.Event); ok {
			if v = widgetFrame(ev, replayedTo); v == nil {
				continue
			}
		}
		wc.conn.SetWriteDeadline(time.Now().Add(wsWriteWait))
		if err := wc.conn.WriteJSON(v); err != nil {
			wc.mu.Lock()
			wc.writing = false
			wc.mu.Unlock()
			wc.closeWith(websocket.CloseAbnormalClosure, "")
			return
		}
	}
}

// drain waits, at most d, until the queued frames are written.
func (wc *widgetConn) drain(d time.Duration) {
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		wc.mu.Lock()
		idle := !wc.writing && len(wc.queue) == 0
		wc.mu.Unlock()
		if idle {
			return
		}
	}
}

// deliver is the hub's callback: never blocks. Events that arrive before
// the welcome and replay are queued wait until they are.
func (wc *widgetConn) deliver(ev *chat.Event) bool {
	if ev.Kind == chat.KindResync {
		go wc.closeWith(closeSlow, "missed events: reconnect")
		return false
	}
	wc.mu.Lock()
	defer wc.mu.Unlock()
	if wc.closed {
		return false
	}
	if !wc.ready {
		if len(wc.pending) >= wsEventBuffer {
			return false
		}
		wc.pending = append(wc.pending, ev)
		return true
	}
	wc.enqueueLocked(ev)
	return !wc.closed
}

func (wc *widgetConn) sendError(code, msg string) {
	wc.send(errorFrame{Type: "error", Code: code, Message: msg})
}

func (wc *widgetConn) readLoop() {
	defer wc.closeWith(websocket.CloseNormalClosure, "")
	wc.conn.SetReadLimit(wsReadLimit)
	wc.conn.SetReadDeadline(time.Now().Add(wsHelloWait))
	wc.conn.SetPongHandler(func(string) error { return wc.conn.SetReadDeadline(time.Now().Add(wsPongWait)) })
	var lastTyping time.Time
	for {
		kind, data, err := wc.conn.ReadMessage()
		if err != nil {
			return // closed, timed out, or too large (gorilla answers 1009)
		}
		// Why a goroutine we wait for: decoding and handling run deep (JSON,
		// database, engine) and grow a stack; the reader, idle most of its
		// life, keeps a small one. Frames are still handled one at a time.
		done := make(chan bool, 1)
		go func() { done <- wc.frame(kind, data, &lastTyping) }()
		if !<-done {
			return
		}
	}
}

var errBadFrame = errors.New("malformed frame: expected a JSON object with a type")

// decodeFrame decodes one client text frame; its error is errBadFrame,
// whose text the client sees. (A separate func so it can be fuzzed.)
func decodeFrame(data []byte) (inFrame, error) {
	var f inFrame
	if err := json.Unmarshal(data, &f); err != nil || f.Type == "" {
		return inFrame{}, errBadFrame
	}
	return f, nil
}

// frame decodes and handles one client frame; false ends the socket.
func (wc *widgetConn) frame(kind int, data []byte, lastTyping *time.Time) bool {
	if kind != websocket.TextMessage {
		wc.sendError("bad_frame", "frames are JSON text")
		return true
	}
	f, err := decodeFrame(data)
	if err != nil {
		wc.sendError("bad_frame", err.Error())
		return true
	}
	if wc.sess == nil && f.Type != "hello" {
		wc.sendError("hello_first", "send hello first")
		return true
	}
	if f.Type == "typing" {
		if time.Since(*lastTyping) > typingInterval {
			*lastTyping = time.Now()
			wc.srv.opts.Engine.Typing(wc.sess)
		}
		return true
	}
	if err := wc.handle(f); err != nil {
		status, body := errorStatus(err)
		if status >= 500 {
			wc.srv.logger.Error("widget frame", "type", f.Type, "error", err)
		}
		ef := errorFrame{Type: "error", Code: body.Code, Message: body.Message}
		if f.Type == "message" {
			ef.ClientID, ef.Retry = f.ClientID, status >= 500 || status == http.StatusTooManyRequests
		}
		wc.send(ef)
		if f.Type == "hello" {
			wc.drain(time.Second) // the client learns why before the socket closes
			return false
		}
		return true
	}
	return true
}

// handle runs one frame after hello's check.
func (wc *widgetConn) handle(f inFrame) error {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	switch f.Type {
	case "hello":
		return wc.handleHello(ctx, f)
	case "message":
		return wc.handleMessage(ctx, f)
	case "request_human":
		return wc.srv.opts.Engine.RequestHuman(ctx, wc.sess)
	case "csat":
		return wc.srv.opts.Engine.CSAT(ctx, wc.sess, f.Score, f.Comment)
	}
	wc.sendError("bad_frame", "unknown frame type "+f.Type)
	return nil
}

func (wc *widgetConn) handleHello(ctx context.Context, f inFrame) error {
	if wc.sess != nil {
		wc.sendError("bad_frame", "already said hello")
		return nil
	}
	token := ""
	if f.VisitorToken != nil {
		token = *f.VisitorToken
	}
	if len(token) > 100 || len(f.Locale) > 35 || f.LastSeq < 0 {
		return echo.NewHTTPError(http.StatusBadRequest, "malformed hello")
	}
	if !wc.srv.allowNewVisitor(ctx, wc.site, token, wc.remote) {
		return fmt.Errorf("too many new visitors from one address: %w", chat.ErrRateLimited)
	}
	sess, err := wc.srv.opts.Engine.Hello(ctx, wc.site, token, f.Locale, f.Identity)
	if err != nil {
		return err
	}
	sess.Remote = wc.remote
	// Watch before reading the replay, so nothing falls between them; what
	// arrives meanwhile waits in pending until welcome and replay are queued.
	sub := wc.srv.opts.Hub.WatchConversation(sess.Conversation.ID, wc.deliver)
	replay, err := wc.srv.opts.Store.Messages(ctx, sess.Conversation.ID, f.LastSeq, 0, false)
	if err != nil {
		sub.Close()
		return err
	}
	wc.sess = sess
	wc.conn.SetReadDeadline(time.Now().Add(wsPongWait))
	wc.mu.Lock()
	defer wc.mu.Unlock()
	if wc.closed {
		sub.Close()
		return nil
	}
	wc.sub = sub
	conv := sess.Conversation
	// last_seq: where the replay ends, so the widget tells what was said
	// before it connected (read, not announced) from what is new.
	last := f.LastSeq
	if n := len(replay); n > 0 {
		last = replay[n-1].Seq
	}
	wc.enqueueLocked(map[string]any{"type": "welcome", "visitor_token": sess.Visitor.Token,
		"conversation_id": conv.ID, "state": conv.State, "last_seq": last})
	for i := range replay {
		wc.enqueueLocked(toMessageFrame(&replay[i]))
		wc.replayedTo = max(wc.replayedTo, replay[i].Seq)
	}
	for _, ev := range wc.pending {
		wc.enqueueLocked(ev)
	}
	wc.pending, wc.ready = nil, true
	return nil
}

// allowNewVisitor limits hellos that would create a visitor (no token, or
// one that opens nothing) per address: each costs rows in the database, so a
// script must not be able to open them without end. Returning visitors pass.
func (s *Server) allowNewVisitor(ctx context.Context, site *sites.Site, token, remote string) bool {
	n := s.opts.NewVisitorsPerMinute
	if n <= 0 {
		return true
	}
	if token != "" {
		if _, err := s.opts.Store.Visitor(ctx, site.ID, token); err == nil {
			return true
		}
	}
	return s.newVisits.allow(remote, time.Minute/time.Duration(n), n)
}

func (wc *widgetConn) handleMessage(ctx context.Context, f inFrame) error {
	if f.ClientID == "" {
		return echo.NewHTTPError(http.StatusBadRequest, "message needs a client_id")
	}
	m, _, err := wc.srv.opts.Engine.Post(ctx, wc.sess, f.ClientID, f.Text)
	if err != nil {
		return err
	}
	// Committed (now or before, for a resend): acknowledge.
	wc.send(map[string]any{"type": "ack", "client_id": f.ClientID, "seq": m.Seq})
	return nil
}

// widgetConns is the set of open widget sockets, for the pinger and for
// shutdown.
type widgetConns struct {
	mu      sync.Mutex
	conns   map[*widgetConn]struct{}
	closing bool
	wg      sync.WaitGroup
}

func (w *widgetConns) add(wc *widgetConn) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closing {
		return false
	}
	if w.conns == nil {
		w.conns = map[*widgetConn]struct{}{}
	}
	w.conns[wc] = struct{}{}
	w.wg.Add(1)
	return true
}

func (w *widgetConns) remove(wc *widgetConn) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := w.conns[wc]; ok {
		delete(w.conns, wc)
		w.wg.Done()
	}
}

func (w *widgetConns) snapshot() []*widgetConn {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]*widgetConn, 0, len(w.conns))
	for wc := range w.conns {
		out = append(out, wc)
	}
	return out
}

// ping runs until stop closes: every wsPingPeriod it pings each socket (the
// pong extends the socket's read deadline).
func (w *widgetConns) ping(stop <-chan struct{}) {
	t := time.NewTicker(wsPingPeriod)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			for _, wc := range w.snapshot() {
				if err := wc.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(wsWriteWait)); err != nil {
					go wc.closeWith(websocket.CloseAbnormalClosure, "")
				}
			}
		}
	}
}

// shutdown tells every socket the server is going away (the widget
// reconnects, to another node if there is one) and waits for them, or ctx.
func (w *widgetConns) shutdown(ctx context.Context) {
	w.mu.Lock()
	w.closing = true
	w.mu.Unlock()
	for _, wc := range w.snapshot() {
		wc.closeWith(websocket.CloseGoingAway, "server restarting")
	}
	done := make(chan struct{})
	go func() { w.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// widgetFrame turns a conversation event into what the shopper may see:
// never internal notes, never the shopper's own typing.
func widgetFrame(ev *chat.Event, replayedTo int) any {
	switch ev.Kind {
	case chat.KindMessage:
		if ev.Message == nil || ev.Message.Role == chat.RoleNote || ev.Message.Seq <= replayedTo {
			return nil
		}
		return toMessageFrame(ev.Message)
	case chat.KindDelta:
		if ev.DeltaReset {
			return map[string]any{"type": "delta", "id": ev.DeltaID, "text": ev.Delta, "reset": true}
		}
		return map[string]any{"type": "delta", "id": ev.DeltaID, "text": ev.Delta}
	case chat.KindState:
		f := map[string]any{"type": "state", "state": ev.State}
		if ev.AgentName != "" {
			f["agent"] = map[string]string{"name": ev.AgentName}
		}
		return f
	case chat.KindTyping:
		if ev.Role == chat.RoleAgent {
			return map[string]any{"type": "typing", "role": "agent"}
		}
	}
	return nil
}
