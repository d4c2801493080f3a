package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"

	"kefu/chat"
	"kefu/internal/sites"
)

// Widget socket limits (STYLE C12).
const (
	wsReadLimit    = 16 << 10 // bytes per frame
	wsHelloWait    = 15 * time.Second
	wsEventBuffer  = 64 // frames waiting for a slow client before it is closed (a replay comes on top)
	typingInterval = time.Second
)

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

// Frames the widget reads (DESIGN.md's widget protocol; widget.js).
type (
	welcomeFrame struct {
		Type           string     `json:"type"` // welcome
		VisitorToken   string     `json:"visitor_token"`
		ConversationID string     `json:"conversation_id"`
		State          chat.State `json:"state"`
		// LastSeq is where the replay ends, so the widget tells what was
		// said before it connected (read, not announced) from what is new.
		LastSeq int `json:"last_seq"`
	}
	// messageFrame is a committed message as the widget sees it.
	messageFrame struct {
		Type      string          `json:"type"` // message
		Seq       int             `json:"seq"`
		ID        string          `json:"id"`
		Role      string          `json:"role"`
		Text      string          `json:"text"`
		Citations []chat.Citation `json:"citations"`
		Products  []chat.Product  `json:"products,omitempty"`
		// Topics are the labels of the help-page sections a reply offers to
		// answer from instead; the widget sends a tapped one back as a message.
		Topics []string `json:"topics,omitempty"`
		// Answered is set on bot replies: false when the bot could not answer.
		Answered *bool  `json:"answered,omitempty"`
		At       string `json:"at"`
	}
	ackFrame struct {
		Type     string `json:"type"` // ack
		ClientID string `json:"client_id"`
		Seq      int    `json:"seq"`
	}
	deltaFrame struct {
		Type  string `json:"type"` // delta
		ID    string `json:"id"`
		Text  string `json:"text"`
		Reset bool   `json:"reset,omitempty"` // the draft starts again
	}
	stateFrame struct {
		Type  string     `json:"type"` // state
		State chat.State `json:"state"`
		Agent *agentName `json:"agent,omitempty"`
	}
	agentName struct {
		Name string `json:"name"`
	}
	typingFrame struct {
		Type string `json:"type"` // typing
		Role string `json:"role"` // agent
	}
	errorFrame struct {
		Type    string `json:"type"` // error
		Code    string `json:"code"`
		Message string `json:"message"`
		// For a message that was not stored: its client_id, and whether
		// sending it again later may work (the database or a limit, not the
		// message).
		ClientID string `json:"client_id,omitempty"`
		Retry    bool   `json:"retry,omitempty"`
	}
)

func toMessageFrame(m *chat.Message) messageFrame {
	f := messageFrame{Type: "message", Seq: m.Seq, ID: m.ID, Role: m.Role, Text: m.Text, Citations: m.Citations,
		Products: m.Products, Answered: m.Answered, At: m.At.UTC().Format(time.RFC3339)}
	for _, t := range m.Topics {
		f.Topics = append(f.Topics, t.Label)
	}
	return f
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
	wc := &widgetConn{srv: s, c: newWSConn(wsEventBuffer), site: site, remote: clientIP(c.Request())}
	if !s.sockets.add(wc.c) {
		return echo.NewHTTPError(http.StatusServiceUnavailable, "server restarting")
	}
	ws, err := upgrade(c.Response(), c.Request())
	if err != nil {
		s.sockets.remove(wc.c)
		return nil
	}
	wc.c.attach(ws, wsReadLimit, wsHelloWait)
	// Until hello is answered, the request's goroutine reads: hello's work
	// (the database, the engine) grows its stack, and it then ends. The
	// reader that waits on an idle socket, maybe for hours, starts after
	// with a small stack: about 1 KB less per socket (docs/benchmarks.md).
	served := false
	defer func() {
		if !served { // closed before hello was answered, or a panic (echo recovers it)
			wc.end()
		}
	}()
	for wc.sess == nil {
		if !wc.c.read(wc.frame) {
			return nil
		}
	}
	served = true
	go wc.serve()
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

// widgetConn is one widget socket (wsConn: its reader handles the frames
// below). Events are held until hello has queued the welcome and the replay.
type widgetConn struct {
	srv  *Server
	c    *wsConn
	site *sites.Site
	// remote is the client's address: order verification is limited per
	// address as well as per visitor (a new visitor costs nothing).
	remote string

	// Of the reader alone: the session (set by hello), the conversation's
	// subscription, when the shopper last typed.
	sess       *chat.Session
	sub        *chat.Subscription
	lastTyping time.Time
}

// serve is the socket's reader once hello is answered.
func (wc *widgetConn) serve() {
	for wc.c.read(wc.frame) {
	}
	wc.end()
}

// end ends what the socket began, once it is closed.
func (wc *widgetConn) end() {
	wc.c.end()
	if wc.sub != nil {
		wc.sub.Close()
	}
	wc.srv.sockets.remove(wc.c)
}

// deliver is the hub's callback: it never blocks; false when the socket is
// closing, and the hub forgets it.
func (wc *widgetConn) deliver(ev *chat.Event) bool {
	if f := wc.srv.hook().deliver; f != nil {
		f()
	}
	if ev.Kind == chat.KindResync {
		wc.c.drop(closeSlow, "missed events: reconnect")
		return false
	}
	f := widgetFrame(ev) // messages the replay told are dropped by the filter hello opens with
	if f == nil {
		return !wc.c.closing()
	}
	return wc.c.publish(f)
}

func (wc *widgetConn) sendError(code, msg string) {
	wc.c.send(errorFrame{Type: "error", Code: code, Message: msg})
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
func (wc *widgetConn) frame(kind int, data []byte) bool {
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
		if time.Since(wc.lastTyping) > typingInterval {
			wc.lastTyping = time.Now()
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
		wc.c.send(ef)
		if f.Type == "hello" {
			return false // the socket closes once the client has learnt why
		}
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
	// arrives meanwhile is held until the welcome and the replay are queued.
	wc.sub = wc.srv.opts.Hub.WatchConversation(sess.Conversation.ID, wc.deliver)
	replay, err := wc.srv.opts.Store.Messages(ctx, sess.Conversation.ID, f.LastSeq, 0, false)
	if err != nil {
		return err
	}
	if f := wc.srv.hook().helloReplayed; f != nil {
		f(sess.Conversation.ID, func() { wc.c.drop(websocket.CloseGoingAway, "server restarting") })
	}
	wc.sess = sess
	wc.c.ws.SetReadDeadline(time.Now().Add(wsPongWait))
	last := f.LastSeq
	if n := len(replay); n > 0 {
		last = replay[n-1].Seq
	}
	first := make([]any, 0, 1+len(replay))
	first = append(first, welcomeFrame{Type: "welcome", VisitorToken: sess.Visitor.Token,
		ConversationID: sess.Conversation.ID, State: sess.Conversation.State, LastSeq: last})
	for i := range replay {
		first = append(first, toMessageFrame(&replay[i]))
	}
	if f := wc.srv.hook().helloQueueing; f != nil {
		f()
	}
	wc.c.open(first, func(f any) bool { // not what the replay holds
		m, ok := f.(messageFrame)
		return !ok || m.Seq > last
	})
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
	wc.c.send(ackFrame{Type: "ack", ClientID: f.ClientID, Seq: m.Seq})
	return nil
}

// widgetFrame turns a conversation event into what the shopper may see:
// never internal notes, never the shopper's own typing; nil for nothing.
func widgetFrame(ev *chat.Event) any {
	switch ev.Kind {
	case chat.KindMessage:
		if ev.Message == nil || ev.Message.Role == chat.RoleNote {
			return nil
		}
		return toMessageFrame(ev.Message)
	case chat.KindDelta:
		return deltaFrame{Type: "delta", ID: ev.DeltaID, Text: ev.Delta, Reset: ev.DeltaReset}
	case chat.KindState:
		f := stateFrame{Type: "state", State: ev.State}
		if ev.AgentName != "" {
			f.Agent = &agentName{Name: ev.AgentName}
		}
		return f
	case chat.KindTyping:
		if ev.Role == chat.RoleAgent {
			return typingFrame{Type: "typing", Role: "agent"}
		}
	}
	return nil
}
