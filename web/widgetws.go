package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"

	"kefu/chat"
)

// Widget socket limits (STYLE C12).
const (
	wsReadLimit    = 16 << 10 // bytes per frame
	wsWriteWait    = 5 * time.Second
	wsPongWait     = 60 * time.Second
	wsPingPeriod   = 25 * time.Second
	wsHelloWait    = 15 * time.Second
	wsSendQueue    = 16 // frames waiting for the writer
	wsEventBuffer  = 64 // events waiting for a slow client before it is dropped
	closeSlow      = 4008
	closeBadHello  = 4000
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
	At        string          `json:"at"`
}

func toMessageFrame(m *chat.Message) messageFrame {
	return messageFrame{Type: "message", Seq: m.Seq, ID: m.ID, Role: m.Role, Text: m.Text, Citations: m.Citations,
		Products: m.Products, At: m.At.UTC().Format(time.RFC3339)}
}

type errorFrame struct {
	Type    string `json:"type"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// widgetSocket serves GET /v1/widget/ws?site=KEY: the site and the Origin
// are checked before the upgrade, so a bad request gets a plain HTTP error.
func (s *Server) widgetSocket(c echo.Context) error {
	ctx := c.Request().Context()
	site, err := s.siteByKey(ctx, c.QueryParam("site"))
	if errors.Is(err, chat.ErrNotFound) {
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
	wc := &widgetConn{srv: s, conn: conn, site: site, out: make(chan any, wsSendQueue), done: make(chan struct{}),
		hello: make(chan helloResult)}
	s.sockets.Add(1)
	// Both loops get fresh goroutines so the HTTP handler's (with its
	// request, echo context and grown stack) can end: an idle socket costs
	// only what it needs.
	go wc.writeLoop()
	go wc.readLoop()
	return nil
}

// originAllowed accepts the site's origins and kefu's own public origin (the
// demo page and the console's preview).
func originAllowed(site *chat.Site, origin, publicURL string) bool {
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

// helloResult hands the writer what it sends first: welcome and replay.
type helloResult struct {
	sess   *chat.Session
	replay []chat.Message
	sub    *chat.Subscription
	ready  chan struct{}
}

// widgetConn is one widget socket: one reader (this goroutine) and one writer.
type widgetConn struct {
	srv   *Server
	conn  *websocket.Conn
	site  *chat.Site
	out   chan any
	done  chan struct{}
	once  sync.Once
	hello chan helloResult
	sess  *chat.Session
}

func (wc *widgetConn) close() { wc.once.Do(func() { close(wc.done) }) }

// send queues a frame for the writer; a client too slow to take its own
// replies is disconnected (it resumes with last_seq).
func (wc *widgetConn) send(v any) {
	select {
	case wc.out <- v:
	case <-wc.done:
	default:
		wc.close()
	}
}

func (wc *widgetConn) sendError(code, msg string) {
	wc.send(errorFrame{Type: "error", Code: code, Message: msg})
}

func (wc *widgetConn) readLoop() {
	defer func() {
		wc.close()
		wc.conn.Close()
		wc.srv.sockets.Done()
	}()
	wc.conn.SetReadLimit(wsReadLimit)
	wc.conn.SetReadDeadline(time.Now().Add(wsHelloWait))
	wc.conn.SetPongHandler(func(string) error { return wc.conn.SetReadDeadline(time.Now().Add(wsPongWait)) })
	var lastTyping time.Time
	for {
		kind, data, err := wc.conn.ReadMessage()
		if err != nil {
			return // closed, timed out, or too large (gorilla answers 1009)
		}
		if kind != websocket.TextMessage {
			wc.sendError("bad_frame", "frames are JSON text")
			continue
		}
		var f inFrame
		if err := json.Unmarshal(data, &f); err != nil || f.Type == "" {
			wc.sendError("bad_frame", "malformed frame: expected a JSON object with a type")
			continue
		}
		if wc.sess == nil && f.Type != "hello" {
			wc.sendError("hello_first", "send hello first")
			continue
		}
		if f.Type == "typing" {
			if time.Since(lastTyping) > typingInterval {
				lastTyping = time.Now()
				wc.srv.opts.Engine.Typing(wc.sess)
			}
			continue
		}
		// Why a goroutine we wait for: frame handling runs deep (database,
		// engine) and grows its stack; the reader, idle most of its life,
		// keeps a small one. Frames are still handled one at a time, in order.
		handled := make(chan error, 1)
		go func() { handled <- wc.handle(f) }()
		err = <-handled
		if err != nil {
			status, body := errorStatus(err)
			if status >= 500 {
				wc.srv.logger.Error("widget frame", "type", f.Type, "error", err)
			}
			wc.sendError(body.Code, body.Message)
			if f.Type == "hello" {
				return
			}
		}
		select {
		case <-wc.done:
			return
		default:
		}
	}
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
	sess, err := wc.srv.opts.Engine.Hello(ctx, wc.site, token, f.Locale, f.Identity)
	if err != nil {
		return err
	}
	// Subscribe before reading the replay, so nothing falls between them.
	sub := wc.srv.opts.Hub.SubscribeConversation(sess.Conversation.ID, wsEventBuffer)
	replay, err := wc.srv.opts.Store.Messages(ctx, sess.Conversation.ID, f.LastSeq, 0, false)
	if err != nil {
		sub.Close()
		return err
	}
	wc.sess = sess
	wc.conn.SetReadDeadline(time.Now().Add(wsPongWait))
	h := helloResult{sess: sess, replay: replay, sub: sub, ready: make(chan struct{})}
	select {
	case wc.hello <- h:
		<-h.ready // acks must not overtake the welcome
	case <-wc.done:
		sub.Close()
	}
	return nil
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

func (wc *widgetConn) writeLoop() {
	ticker := time.NewTicker(wsPingPeriod)
	var sub *chat.Subscription
	var events <-chan *chat.Event
	replayedTo := 0
	defer func() {
		ticker.Stop()
		if sub != nil {
			sub.Close()
		}
		wc.conn.Close()
	}()
	write := func(v any) bool {
		wc.conn.SetWriteDeadline(time.Now().Add(wsWriteWait))
		if err := wc.conn.WriteJSON(v); err != nil {
			wc.close()
			return false
		}
		return true
	}
	for {
		select {
		case <-wc.done:
			wc.conn.SetWriteDeadline(time.Now().Add(wsWriteWait))
			wc.conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
			return
		case <-wc.srv.closing:
			wc.conn.SetWriteDeadline(time.Now().Add(wsWriteWait))
			wc.conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "server restarting"))
			wc.close()
			return
		case h := <-wc.hello:
			sub, events = h.sub, h.sub.C
			conv := h.sess.Conversation
			ok := write(map[string]any{"type": "welcome", "visitor_token": h.sess.Visitor.Token,
				"conversation_id": conv.ID, "state": conv.State})
			for i := range h.replay {
				ok = ok && write(toMessageFrame(&h.replay[i]))
				replayedTo = max(replayedTo, h.replay[i].Seq)
			}
			close(h.ready)
			if !ok {
				return
			}
		case v := <-wc.out:
			if !write(v) {
				return
			}
		case ev, open := <-events:
			if !open {
				// Too slow to keep up: drop the connection; the client resumes.
				wc.conn.SetWriteDeadline(time.Now().Add(wsWriteWait))
				wc.conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(closeSlow, "slow client: reconnect"))
				wc.close()
				sub = nil
				return
			}
			if frame := widgetFrame(ev, replayedTo); frame != nil && !write(frame) {
				return
			}
		case <-ticker.C:
			if err := wc.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(wsWriteWait)); err != nil {
				wc.close()
				return
			}
		}
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
		return map[string]any{"type": "delta", "id": ev.DeltaID, "text": ev.Delta}
	case chat.KindState:
		f := map[string]any{"type": "state", "state": ev.State}
		if ev.AgentName != "" {
			f["agent"] = map[string]string{"name": ev.AgentName}
		}
		return f
	case chat.KindTyping:
		if ev.Role == chat.RoleHuman {
			return map[string]any{"type": "typing", "role": "agent"}
		}
	}
	return nil
}
