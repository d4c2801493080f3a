package chat

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/time/rate"

	"kefu/internal/account"
	"kefu/internal/sites"
	"kefu/knowledge"
)

// Analysis is what chat needs to know about a shopper message.
type Analysis struct {
	Intent         string
	Confidence     float64
	Sentiment      string // negative, neutral, positive
	SentimentScore float64
	Angry          bool
	// Problem: the shopper reports something that went wrong ("I was
	// charged twice"), not asks how something works ("will I be charged
	// in pounds?").
	Problem      bool
	OrderNumbers []string
	Emails       []string
}

// Analyzer classifies shopper messages (intents and sentiment, with entities).
type Analyzer interface {
	Analyze(ctx context.Context, siteID int64, text string) Analysis
	// Entities is the cheap part of Analyze: order numbers and emails only.
	Entities(siteID int64, text string) (orderNumbers, emails []string)
}

// MaxMessageLength bounds a shopper or agent message (characters).
const MaxMessageLength = 4000

// Options configure an Engine.
type Options struct {
	Store    *Store
	Sites    *sites.Store
	Users    *account.Users // console users: agents' names, whom a conversation may go to
	Hub      *Hub
	Broker   Broker // other nodes; nil on a single node
	Analyzer Analyzer
	Library  *knowledge.Library
	Commerce *knowledge.Commerce
	Model    Model // nil: offline mode
	Logger   *slog.Logger
	// AgentsOnline reports how many agents of a site are online (the console
	// tracks them); nil means none.
	AgentsOnline func(siteID int64) int
	// Rate limits; zero values take defaults.
	VisitorPerMinute int // shopper messages per visitor per minute (default 20)
	SitePerMinute    int // shopper messages per site per minute (default 600)
	// MaxTurns bounds the bot's turns running at once on this node
	// (default 512); more wait for a slot, in order per conversation.
	MaxTurns int
}

// maxQueuedTurns bounds one conversation's waiting turns: a shopper who
// writes faster than the bot can answer (past the rate limits, or while
// the model hangs) queues at most this many; the rest are stored but not
// answered, and the node says so in its log.
const maxQueuedTurns = 32

// publishTimeout bounds telling the other nodes about an event.
const publishTimeout = 2 * time.Second

// Engine runs conversations: it commits messages, runs the bot's turn, and
// moves conversations between the bot, the queue and agents.
type Engine struct {
	opts   Options
	logger *slog.Logger

	mu       sync.Mutex
	queues   map[string]*turnQueue // per conversation: turns run in order
	visitors map[int64]*rate.Limiter
	sitesRL  map[int64]*rate.Limiter
	verifyRL map[int64]*rate.Limiter // order+email verification attempts per visitor
	// ...and wrong guesses per network address: a new visitor costs nothing,
	// so without this one address could guess with a fresh visitor each time.
	verifyAddrRL map[string]*rate.Limiter
	remotes      map[int64]string // visitor → the address it last wrote from
	pruneAt      int              // the limiter maps' size that triggers the next prune
	closed       bool             // Close has begun: no new turns (their messages are stored; recover.go answers them)
	grounding    groundingStats
	turnSlots    chan struct{} // one per running turn (MaxTurns)
	wg           sync.WaitGroup
	ctx          context.Context
	cancel       context.CancelFunc
}

// NewEngine returns an engine; Close stops its background turns.
func NewEngine(opts Options) *Engine {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.VisitorPerMinute <= 0 {
		opts.VisitorPerMinute = 20
	}
	if opts.SitePerMinute <= 0 {
		opts.SitePerMinute = 600
	}
	if opts.MaxTurns <= 0 {
		opts.MaxTurns = 512
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Engine{opts: opts, logger: opts.Logger, queues: map[string]*turnQueue{}, turnSlots: make(chan struct{}, opts.MaxTurns),
		visitors: map[int64]*rate.Limiter{}, sitesRL: map[int64]*rate.Limiter{}, verifyRL: map[int64]*rate.Limiter{},
		verifyAddrRL: map[string]*rate.Limiter{}, remotes: map[int64]string{}, ctx: ctx, cancel: cancel}
}

// Close waits for running turns to finish (bounded by ctx) and stops new ones.
func (e *Engine) Close(ctx context.Context) {
	// Under e.mu, so no enqueue can Add to e.wg while Wait runs.
	e.mu.Lock()
	e.closed = true
	e.mu.Unlock()
	done := make(chan struct{})
	go func() { e.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		e.cancel()
		<-done
	}
	e.cancel()
}

// Identity is a shop's assertion of who the shopper is, signed with the
// site's secret: hash = hex(HMAC-SHA256(secret, user_id)).
type Identity struct {
	UserID string `json:"user_id"`
	Email  string `json:"email"`
	Hash   string `json:"hash"`
}

// VerifyIdentity reports whether id is signed with the site's secret.
func VerifyIdentity(site *sites.Site, id Identity) bool {
	if id.UserID == "" || id.Hash == "" {
		return false
	}
	mac := hmac.New(sha256.New, []byte(site.Secret))
	mac.Write([]byte(id.UserID))
	want := mac.Sum(nil)
	got, err := hex.DecodeString(strings.ToLower(id.Hash))
	return err == nil && hmac.Equal(got, want)
}

// Session is a shopper's open widget: the visitor and their conversation.
type Session struct {
	Site         *sites.Site
	Visitor      *Visitor
	Conversation *Conversation
	Remote       string // the client's network address, for per-address limits ("" when unknown)
}

// Hello resumes the visitor with token (or creates one when token is empty
// or unknown) and opens their conversation. A valid signed identity links
// the visitor to that customer; an invalid one is ignored (never trusted).
func (e *Engine) Hello(ctx context.Context, site *sites.Site, token, locale string, id *Identity) (*Session, error) {
	var v *Visitor
	var err error
	if token != "" {
		v, err = e.opts.Store.Visitor(ctx, site.ID, token)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return nil, err
		}
	}
	if v == nil {
		if v, err = e.opts.Store.NewVisitor(ctx, site.ID, locale); err != nil {
			return nil, err
		}
	}
	if id != nil && VerifyIdentity(site, *id) && e.opts.Commerce != nil {
		cust, err := e.opts.Commerce.CustomerByExternalID(ctx, site.ID, id.UserID)
		switch {
		case errors.Is(err, knowledge.ErrNotFound): // a signed shopper without orders yet: nothing to link
		case err != nil: // not "unverified": the shopper would lose their orders for no reason they can see
			return nil, fmt.Errorf("verify the shopper's identity: %w", err)
		case v.CustomerID == nil || *v.CustomerID != cust:
			if err := e.opts.Store.SetVisitorCustomer(ctx, v.ID, cust); err != nil {
				return nil, err
			}
			v.CustomerID = &cust
		}
	}
	conv, err := e.opts.Store.OpenConversation(ctx, v, locale)
	if err != nil {
		return nil, err
	}
	return &Session{Site: site, Visitor: v, Conversation: conv}, nil
}

// ErrRateLimited means the shopper (or the site) sends too fast.
var ErrRateLimited = errors.New("rate limited")

func (e *Engine) allow(siteID, visitorID int64) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.pruneLocked()
	v := e.visitors[visitorID]
	if v == nil {
		v = rate.NewLimiter(rate.Limit(float64(e.opts.VisitorPerMinute)/60), max(5, e.opts.VisitorPerMinute/4))
		e.visitors[visitorID] = v
	}
	s := e.sitesRL[siteID]
	if s == nil {
		s = rate.NewLimiter(rate.Limit(float64(e.opts.SitePerMinute)/60), max(20, e.opts.SitePerMinute/10))
		e.sitesRL[siteID] = s
	}
	return v.Allow() && s.Allow()
}

// maxLimiters is how many per-visitor and per-address limiters the engine
// keeps before it forgets those that have refilled.
const maxLimiters = 20000

// pruneLocked forgets limiters that are full again (forgetting them changes
// nothing), so a server that has seen many visitors does not keep them all.
// It runs when the maps have doubled since the last pass, so its cost is
// spread over the calls that grew them. e.mu must be held.
func (e *Engine) pruneLocked() {
	n := len(e.visitors) + len(e.verifyRL) + len(e.verifyAddrRL)
	if n < max(maxLimiters, e.pruneAt) {
		return
	}
	full := func(l *rate.Limiter) bool { return l.Tokens() >= float64(l.Burst()) }
	for id, l := range e.visitors {
		if full(l) {
			delete(e.visitors, id)
			delete(e.remotes, id) // set again by the visitor's next message
		}
	}
	for id, l := range e.verifyRL {
		if full(l) {
			delete(e.verifyRL, id)
		}
	}
	for addr, l := range e.verifyAddrRL {
		if full(l) {
			delete(e.verifyAddrRL, addr)
		}
	}
	e.pruneAt = 2 * (len(e.visitors) + len(e.verifyRL) + len(e.verifyAddrRL))
}

// Post commits a shopper message (idempotent by clientID) and schedules the
// bot's turn. It returns the committed message; dup means clientID was
// already committed, and nothing else happens then.
func (e *Engine) Post(ctx context.Context, sess *Session, clientID, text string) (*Message, bool, error) {
	text = Redact(strings.TrimSpace(text)) // card numbers, passwords and codes never reach storage, logs or the model
	switch {
	case text == "":
		return nil, false, fmt.Errorf("empty message: %w", ErrInvalid)
	case !utf8.ValidString(text):
		return nil, false, fmt.Errorf("message is not valid UTF-8: %w", ErrInvalid)
	case utf8.RuneCountInString(text) > MaxMessageLength:
		return nil, false, fmt.Errorf("message longer than %d characters: %w", MaxMessageLength, ErrInvalid)
	case len(clientID) > 100:
		return nil, false, fmt.Errorf("client_id too long: %w", ErrInvalid)
	}
	limited := !e.allow(sess.Site.ID, sess.Visitor.ID)
	if sess.Remote != "" {
		e.mu.Lock()
		e.remotes[sess.Visitor.ID] = sess.Remote
		e.mu.Unlock()
	}
	m, state, dup, err := e.opts.Store.Append(ctx, &Message{ConversationID: sess.Conversation.ID, Role: RoleShopper, Text: text, ClientID: clientID})
	if err != nil || dup {
		return m, dup, err
	}
	prev := sess.Conversation.State
	sess.Conversation.State = state
	e.publish(Event{Kind: KindMessage, ConversationID: m.ConversationID, SiteID: sess.Site.ID, Message: m})
	if state != prev {
		e.publish(Event{Kind: KindState, ConversationID: m.ConversationID, SiteID: sess.Site.ID, State: state})
	}
	site := sess.Site
	e.enqueue(m.ConversationID, func(ctx context.Context) {
		if limited {
			lang := Lang(text, "")
			e.system(ctx, site.ID, m.ConversationID, say(lang, "rate_limited"))
			return
		}
		e.turn(ctx, site, m)
	})
	return m, false, nil
}

// RequestHuman escalates at the shopper's request (the widget's button).
func (e *Engine) RequestHuman(ctx context.Context, sess *Session) error {
	site, convID := sess.Site, sess.Conversation.ID
	lang := Lang("", sess.Visitor.Locale)
	e.enqueue(convID, func(ctx context.Context) {
		conv, err := e.opts.Store.Conversation(ctx, convID)
		if err != nil {
			e.logger.Error("request human", "conversation", convID, "error", err)
			return
		}
		e.escalate(ctx, site, conv, Decision{Escalate: true, Reason: ReasonRequested, Priority: 2}, lang)
	})
	return nil
}

// CSAT records the shopper's rating of their conversation.
func (e *Engine) CSAT(ctx context.Context, sess *Session, score int, comment string) error {
	if utf8.RuneCountInString(comment) > 1000 {
		return fmt.Errorf("comment longer than 1000 characters: %w", ErrInvalid)
	}
	return e.opts.Store.SetCSAT(ctx, sess.Conversation.ID, score, Redact(strings.TrimSpace(comment)))
}

// Typing tells the conversation's watchers that the shopper is typing.
func (e *Engine) Typing(sess *Session) {
	e.publish(Event{Kind: KindTyping, ConversationID: sess.Conversation.ID, SiteID: sess.Site.ID, Role: RoleShopper})
}

// turnQueue runs one conversation's turns one after another.
type turnQueue struct {
	tasks []func(context.Context)
}

// enqueue runs fn after the conversation's earlier turns, so a shopper's
// messages and the bot's replies stay in order.
func (e *Engine) enqueue(convID string, fn func(context.Context)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return
	}
	if q, ok := e.queues[convID]; ok {
		if len(q.tasks) >= maxQueuedTurns {
			e.logger.Warn("too many turns waiting; this message is stored but not answered", "conversation", convID, "waiting", len(q.tasks))
			return
		}
		q.tasks = append(q.tasks, fn)
		return
	}
	q := &turnQueue{tasks: []func(context.Context){fn}}
	e.queues[convID] = q
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		e.renewLease(convID, func() {
			for {
				e.mu.Lock()
				if len(q.tasks) == 0 {
					delete(e.queues, convID)
					e.mu.Unlock()
					return
				}
				task := q.tasks[0]
				q.tasks = q.tasks[1:]
				e.mu.Unlock()
				ctx, cancel := context.WithTimeout(e.ctx, 2*time.Minute)
				select {
				case e.turnSlots <- struct{}{}:
					task(ctx)
					<-e.turnSlots
				case <-ctx.Done(): // shutting down, or no slot for two minutes
					e.logger.Warn("turn dropped: no free turn slot", "conversation", convID, "error", ctx.Err())
				}
				cancel()
			}
		})
	}()
}

// publish delivers ev on this node and sends it to the others.
func (e *Engine) publish(ev Event) {
	if e.opts.Hub != nil {
		e.opts.Hub.Deliver(ev)
	}
	if e.opts.Broker != nil {
		ctx, cancel := context.WithTimeout(context.Background(), publishTimeout)
		defer cancel()
		if err := e.opts.Broker.Publish(ctx, ev); err != nil {
			e.logger.Warn("publish to other nodes", "conversation", ev.ConversationID, "error", err)
		}
	}
}

// commit appends a message from the bot side and publishes it.
func (e *Engine) commit(ctx context.Context, siteID int64, m *Message) (*Message, error) {
	return e.commitWith(ctx, siteID, m, nil)
}

// commitWith is commit that also records the bot's streaks st (nil: leaves
// them).
func (e *Engine) commitWith(ctx context.Context, siteID int64, m *Message, st *streaks) (*Message, error) {
	stored, _, _, err := e.opts.Store.appendMessage(ctx, m, st)
	if err != nil {
		return nil, err
	}
	e.publish(Event{Kind: KindMessage, ConversationID: stored.ConversationID, SiteID: siteID, Message: stored})
	return stored, nil
}

// system posts a system message (state notices) to the conversation.
func (e *Engine) system(ctx context.Context, siteID int64, convID, text string) {
	if _, err := e.commit(ctx, siteID, &Message{ConversationID: convID, Role: RoleSystem, Text: text}); err != nil {
		e.logger.Error("system message", "conversation", convID, "error", err)
	}
}

func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
