package chat

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"kefu/internal/webhook"
	"kefu/knowledge"
)

// Message roles.
const (
	RoleShopper = "shopper"
	RoleBot     = "bot"
	RoleAgent   = "agent" // a support agent's message
	RoleSystem  = "system"
	RoleNote    = "note" // internal note, never sent to the shopper
)

// Citation is a numbered source under a bot reply.
type Citation struct {
	N          int    `json:"n"`
	Title      string `json:"title"`
	Source     string `json:"source"`
	Heading    string `json:"heading,omitempty"`
	DocumentID int64  `json:"document_id,omitempty"`
	// URL links a web page's passage (a text fragment browsers that support
	// it scroll to); empty for uploaded files.
	URL string `json:"url,omitempty"`
}

// citationOf cites hit h as [n].
func citationOf(n int, h knowledge.Hit) Citation {
	c := Citation{N: n, Title: h.Title, Source: h.Source, Heading: h.Heading, DocumentID: h.DocumentID}
	if u := knowledge.PassageURL(h.Source, h.Text); u != h.Source {
		c.URL = u
	}
	return c
}

// Product is a product card shown under a bot reply.
type Product struct {
	SKU      string  `json:"sku"`
	Title    string  `json:"title"`
	Price    float64 `json:"price"`
	Currency string  `json:"currency"`
	URL      string  `json:"url"`
	ImageURL string  `json:"image_url"`
	InStock  bool    `json:"in_stock"`
}

// Message is one message of a conversation with what kefu knew about it.
type Message struct {
	ID               string     `json:"id"`
	ConversationID   string     `json:"conversation_id"`
	Seq              int        `json:"seq"`
	Role             string     `json:"role"`
	Text             string     `json:"text"`
	ClientID         string     `json:"client_id,omitempty"`
	UserID           *int64     `json:"user_id,omitempty"`
	Intent           string     `json:"intent,omitempty"`
	IntentConfidence float64    `json:"intent_confidence,omitempty"`
	Sentiment        string     `json:"sentiment,omitempty"`
	SentimentScore   float64    `json:"sentiment_score,omitempty"`
	Citations        []Citation `json:"citations"`
	Products         []Product  `json:"products,omitempty"`
	// Topics are the help-page sections a reply offers to answer from
	// instead: when it is not sure, or less sure of its answer (topics.go).
	Topics    []Topic `json:"topics,omitempty"`
	Model     string  `json:"model,omitempty"`
	LatencyMS int     `json:"latency_ms,omitempty"`
	TTFTMS    int     `json:"ttft_ms,omitempty"`
	Tokens    int     `json:"tokens,omitempty"`
	// Answered and RetrievalConfidence are set on bot replies: whether the
	// bot answered (false: it abstained) and the knowledge search's
	// confidence behind the reply (nil: no search ran). Insights read them.
	Answered            *bool    `json:"answered,omitempty"`
	RetrievalConfidence *float64 `json:"retrieval_confidence,omitempty"`
	// Grounding is what the grounding check found on a model's reply
	// (Grounding…); "" without a model.
	Grounding string    `json:"grounding,omitempty"`
	At        time.Time `json:"at"`
}

// Conversation is a visitor's thread with the shop and who owns it now.
type Conversation struct {
	ID                string     `json:"id"`
	SiteID            int64      `json:"site_id"`
	VisitorID         int64      `json:"visitor_id"`
	CustomerID        *int64     `json:"customer_id,omitempty"` // the visitor's verified customer
	State             State      `json:"state"`
	AssignedUserID    *int64     `json:"assigned_user_id,omitempty"`
	Priority          int        `json:"priority"`
	EscalationReason  string     `json:"escalation_reason,omitempty"`
	EscalationSummary string     `json:"escalation_summary,omitempty"`
	Summary           string     `json:"-"`
	LastSeq           int        `json:"last_seq"`
	NegativeStreak    int        `json:"-"`
	NoAnswerStreak    int        `json:"-"`
	WaitingNotice     bool       `json:"-"`
	ContactEmail      string     `json:"contact_email,omitempty"`
	Locale            string     `json:"locale,omitempty"`
	CSATScore         *int       `json:"csat_score,omitempty"`
	CreatedAt         time.Time  `json:"created_at"`
	UpdatedAt         time.Time  `json:"updated_at"`
	QueuedAt          *time.Time `json:"queued_at,omitempty"`
	ResolvedAt        *time.Time `json:"resolved_at,omitempty"`

	recent *recentMessages // loaded with the conversation for a turn (Store.turnStart); nil otherwise
}

// recentMessages are a conversation's messages (without notes) after seq
// after, as a turn loaded them.
type recentMessages struct {
	after int
	msgs  []Message
}

// recentWindow is how many messages before the one a turn answers the turn
// loads with its conversation: the most any of its steps reads (history,
// the grounding check's evidence, recent order numbers, follow-ups).
const recentWindow = 40

// Visitor is a browser that opened the widget, known by its secret token.
type Visitor struct {
	ID         int64
	SiteID     int64
	Token      string
	CustomerID *int64
	Locale     string
}

// Store persists visitors, conversations and messages.
type Store struct {
	db     *pgxpool.Pool
	events Events // webhook events (events.go); nil records none
}

// NewStore returns the conversation store on db.
func NewStore(db *pgxpool.Pool) *Store { return &Store{db: db} }

// visitorTokenHash is what the visitors table keeps of a token: its SHA-256
// in hex (migration 0010), so a copy of the database opens no conversation.
func visitorTokenHash(token string) string {
	if token == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Visitor returns the visitor of siteID with token, or ErrNotFound.
func (s *Store) Visitor(ctx context.Context, siteID int64, token string) (*Visitor, error) {
	v := Visitor{Token: token}
	err := s.db.QueryRow(ctx, `update visitors set last_seen_at = now() where site_id = $1 and token = $2
		returning id, site_id, customer_id, locale`, siteID, visitorTokenHash(token)).Scan(&v.ID, &v.SiteID, &v.CustomerID, &v.Locale)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("visitor: %w", ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load visitor: %w", err)
	}
	return &v, nil
}

// NewVisitor creates a visitor with a fresh secret token.
func (s *Store) NewVisitor(ctx context.Context, siteID int64, locale string) (*Visitor, error) {
	v := Visitor{SiteID: siteID, Token: "v_" + randomHex(20), Locale: locale}
	err := s.db.QueryRow(ctx, `insert into visitors (site_id, token, locale) values ($1, $2, $3) returning id`,
		siteID, visitorTokenHash(v.Token), locale).Scan(&v.ID)
	if err != nil {
		return nil, fmt.Errorf("create visitor: %w", err)
	}
	return &v, nil
}

// SetVisitorCustomer records the visitor's verified customer.
func (s *Store) SetVisitorCustomer(ctx context.Context, visitorID, customerID int64) error {
	if _, err := s.db.Exec(ctx, "update visitors set customer_id = $2 where id = $1", visitorID, customerID); err != nil {
		return fmt.Errorf("verify visitor: %w", err)
	}
	return nil
}

const convColumns = `c.id, c.site_id, c.visitor_id, v.customer_id, c.state, c.assigned_user_id, c.priority, c.escalation_reason,
	c.escalation_summary, c.summary, c.last_seq, c.negative_streak, c.no_answer_streak, c.waiting_notice, c.contact_email,
	c.locale, c.csat_score, c.created_at, c.updated_at, c.queued_at, c.resolved_at`

func scanConversation(row pgx.Row) (*Conversation, error) {
	var c Conversation
	var csat *int16
	err := row.Scan(&c.ID, &c.SiteID, &c.VisitorID, &c.CustomerID, &c.State, &c.AssignedUserID, &c.Priority, &c.EscalationReason,
		&c.EscalationSummary, &c.Summary, &c.LastSeq, &c.NegativeStreak, &c.NoAnswerStreak, &c.WaitingNotice, &c.ContactEmail,
		&c.Locale, &csat, &c.CreatedAt, &c.UpdatedAt, &c.QueuedAt, &c.ResolvedAt)
	if csat != nil {
		n := int(*csat)
		c.CSATScore = &n
	}
	return &c, err
}

// OpenConversation returns the visitor's latest conversation, or starts one.
func (s *Store) OpenConversation(ctx context.Context, v *Visitor, locale string) (*Conversation, error) {
	c, err := scanConversation(s.db.QueryRow(ctx, `select `+convColumns+` from conversations c join visitors v on v.id = c.visitor_id
		where c.visitor_id = $1 order by c.created_at desc limit 1`, v.ID))
	if err == nil {
		return c, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("load conversation: %w", err)
	}
	var id string
	if err := s.db.QueryRow(ctx, `insert into conversations (site_id, visitor_id, locale) values ($1, $2, $3) returning id`,
		v.SiteID, v.ID, locale).Scan(&id); err != nil {
		return nil, fmt.Errorf("start conversation: %w", err)
	}
	return s.Conversation(ctx, id)
}

// Conversation returns a conversation by id, or ErrNotFound.
func (s *Store) Conversation(ctx context.Context, id string) (*Conversation, error) {
	c, err := scanConversation(s.db.QueryRow(ctx, `select `+convColumns+` from conversations c join visitors v on v.id = c.visitor_id
		where c.id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("conversation %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load conversation: %w", err)
	}
	return c, nil
}

const msgColumns = `id, conversation_id, seq, role, body, coalesce(client_id, ''), user_id, intent, intent_confidence, sentiment,
	sentiment_score, citations, products, model, latency_ms, ttft_ms, tokens, answered, retrieval_confidence, grounding, topics, created_at`

func scanMessage(row pgx.Row) (*Message, error) {
	var m Message
	var conf, score float32
	var retrieval *float32
	err := row.Scan(&m.ID, &m.ConversationID, &m.Seq, &m.Role, &m.Text, &m.ClientID, &m.UserID, &m.Intent, &conf,
		&m.Sentiment, &score, &m.Citations, &m.Products, &m.Model, &m.LatencyMS, &m.TTFTMS, &m.Tokens, &m.Answered, &retrieval, &m.Grounding, &m.Topics, &m.At)
	m.IntentConfidence, m.SentimentScore = float64(conf), float64(score)
	if retrieval != nil {
		r := float64(*retrieval)
		m.RetrievalConfidence = &r
	}
	if m.Citations == nil {
		m.Citations = []Citation{}
	}
	return &m, err
}

// Append commits m to its conversation with the next seq. A message whose
// ClientID was already committed is not stored again: Append returns the
// stored one and dup = true. A shopper message reopens a resolved
// conversation (the returned state says so).
func (s *Store) Append(ctx context.Context, m *Message) (stored *Message, state State, dup bool, err error) {
	return s.appendMessage(ctx, m, nil)
}

// streaks are the bot's running counts of negative and unanswered turns
// (conversations.negative_streak, no_answer_streak).
type streaks struct{ negative, noAnswer int }

// appendMessage is Append; with st it also records the bot's streaks in the
// same update (a reply and the counts it changes are one write).
//
// A turn's time is mostly round trips to the database, so this usually
// takes three (a pipeTx): begin with the row lock and what the conversation
// needs (and a message already committed with ClientID); the
// conversation's update with the insert (one statement); the webhook
// outbox with the commit.
func (s *Store) appendMessage(ctx context.Context, m *Message, st *streaks) (stored *Message, state State, dup bool, err error) {
	if strings.ContainsRune(m.Text, 0) { // PostgreSQL text cannot hold it: a clear error, not a failed insert
		return nil, "", false, fmt.Errorf("message text contains a NUL character: %w", ErrInvalid)
	}
	var clientID *string
	if m.ClientID != "" {
		clientID = &m.ClientID
	}
	err = pipeline(ctx, s.db, func(tx pgx.Tx) error {
		// Locking the conversation row serialises appends: seq stays gapless.
		var site hookSite
		var dupID *string
		if err := tx.QueryRow(ctx, `select c.state, c.site_id, coalesce((s.settings->>'mask_contacts')::boolean, false),
				(select m.id::text from messages m where m.conversation_id = c.id and m.client_id = $2)
			from conversations c join sites s on s.id = c.site_id where c.id = $1 for update of c`, m.ConversationID, clientID).
			Scan(&state, &site.id, &site.maskContacts, &dupID); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("conversation %s: %w", m.ConversationID, ErrNotFound)
			}
			return err
		}
		if dupID != nil {
			old, err := scanMessage(tx.QueryRow(ctx, "select "+msgColumns+" from messages where id = $1", *dupID))
			if err != nil {
				return err
			}
			stored, dup = old, true
			return nil
		}
		from := state
		if m.Role == RoleShopper {
			if next, err := Next(state, ActionShopperMessage); err == nil {
				if state == StateResolved && next != StateResolved {
					// History: a reopen, in the same transaction (history.go).
					if err := recordEvent(ctx, tx, m.ConversationID, EventReopened, "", nil); err != nil {
						return err
					}
				}
				state = next
			}
		}
		if m.Citations == nil {
			m.Citations = []Citation{}
		}
		if m.Products == nil {
			m.Products = []Product{}
		}
		if m.Topics == nil {
			m.Topics = []Topic{}
		}
		var id *string
		if m.ID != "" {
			id = &m.ID
		}
		var negative, noAnswer *int
		if st != nil {
			negative, noAnswer = &st.negative, &st.noAnswer
		}
		// A shopper message to the bot starts the turn's lease (recover.go).
		var err error
		stored, err = scanMessage(tx.QueryRow(ctx, `with c as (
				update conversations set last_seq = last_seq + 1, state = $3, updated_at = now(),
					resolved_at = case when $3 = 'resolved' then resolved_at end,
					turn_lease = case when $4 = 'shopper' and $3 = 'bot' then now() + make_interval(secs => $21) else turn_lease end,
					negative_streak = coalesce($22, negative_streak), no_answer_streak = coalesce($23, no_answer_streak)
				where id = $1 returning last_seq)
			insert into messages (id, conversation_id, seq, role, body, client_id, user_id, intent, intent_confidence, sentiment,
				sentiment_score, citations, model, latency_ms, ttft_ms, tokens, products, answered, retrieval_confidence, grounding, topics)
			select coalesce($2::uuid, gen_random_uuid()), $1, c.last_seq, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
				$17, $18, $19, $20, $24
			from c
			returning `+msgColumns,
			m.ConversationID, id, state, m.Role, m.Text, clientID, m.UserID, m.Intent, m.IntentConfidence, m.Sentiment,
			m.SentimentScore, m.Citations, m.Model, m.LatencyMS, m.TTFTMS, m.Tokens, m.Products, m.Answered, m.RetrievalConfidence,
			m.Grounding, turnLease.Seconds(), negative, noAnswer, m.Topics))
		if err != nil {
			return err
		}
		// Webhooks: in the same transaction (events.go).
		return s.messageEvents(ctx, tx, stored, site, from, state)
	})
	if err != nil {
		return nil, "", false, fmt.Errorf("append message: %w", err)
	}
	return stored, state, dup, nil
}

// Annotate records the classification of a committed shopper message.
func (s *Store) Annotate(ctx context.Context, messageID, intent string, confidence float64, sentiment string, score float64) error {
	_, err := s.db.Exec(ctx, `update messages set intent = $2, intent_confidence = $3, sentiment = $4, sentiment_score = $5
		where id = $1`, messageID, intent, confidence, sentiment, score)
	if err != nil {
		return fmt.Errorf("annotate message: %w", err)
	}
	return nil
}

// turnStart records the classification of the shopper message a turn
// answers and loads its conversation with the messages the turn reads
// (recentWindow before the message, and any after it): one round trip,
// one transaction.
func (s *Store) turnStart(ctx context.Context, msg *Message, a Analysis) (*Conversation, error) {
	after := max(0, msg.Seq-recentWindow)
	b := &pgx.Batch{}
	// What this transaction writes is the classification, which the turn's
	// reply (committed with a flush) makes durable anyway: its own commit
	// need not wait for the disk.
	b.Queue("select set_config('synchronous_commit', 'off', true)")
	b.Queue(`update messages set intent = $2, intent_confidence = $3, sentiment = $4, sentiment_score = $5 where id = $1`,
		msg.ID, a.Intent, a.Confidence, a.Sentiment, a.SentimentScore)
	b.Queue(`select `+convColumns+` from conversations c join visitors v on v.id = c.visitor_id where c.id = $1`, msg.ConversationID)
	b.Queue("select "+msgColumns+` from messages where conversation_id = $1 and seq > $2 and role <> 'note' order by seq limit $3`,
		msg.ConversationID, after, MaxReplay)
	br := s.db.SendBatch(ctx, b)
	defer br.Close()
	if _, err := br.Exec(); err != nil {
		return nil, fmt.Errorf("start turn: %w", err)
	}
	if _, err := br.Exec(); err != nil {
		return nil, fmt.Errorf("annotate message: %w", err)
	}
	conv, err := scanConversation(br.QueryRow())
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("conversation %s: %w", msg.ConversationID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load conversation: %w", err)
	}
	msgs, err := collectMessages(br.Query())
	if err != nil {
		return nil, err
	}
	if len(msgs) < MaxReplay { // all of them: the turn may read these instead of asking again
		conv.recent = &recentMessages{after: after, msgs: msgs}
	}
	return conv, br.Close()
}

// MaxReplay bounds how many messages one replay returns.
const MaxReplay = 500

// Messages returns messages with seq > after, in order, at most limit.
// Internal notes are included only when withNotes is set.
func (s *Store) Messages(ctx context.Context, conversationID string, after, limit int, withNotes bool) ([]Message, error) {
	if limit <= 0 || limit > MaxReplay {
		limit = MaxReplay
	}
	return collectMessages(s.db.Query(ctx, "select "+msgColumns+` from messages where conversation_id = $1 and seq > $2
		and ($4 or role <> 'note') order by seq limit $3`, conversationID, after, limit, withNotes))
}

// collectMessages reads the messages a query of msgColumns returned.
func collectMessages(rows pgx.Rows, err error) ([]Message, error) {
	if err != nil {
		return nil, fmt.Errorf("load messages: %w", err)
	}
	msgs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Message, error) {
		m, err := scanMessage(r)
		return *m, err
	})
	if err != nil {
		return nil, fmt.Errorf("load messages: %w", err)
	}
	return msgs, nil
}

// Change describes a state change and the fields it sets.
type Change struct {
	Action   Action
	UserID   *int64 // claim/transfer: the new owner; others: who acts
	Reason   string // escalate
	Priority int
	Summary  string
}

// Transition applies ch to the conversation under a row lock. A claim of a
// conversation another agent owns returns ErrClaimed (so of two agents
// racing, one wins and the other learns who has it).
func (s *Store) Transition(ctx context.Context, id string, ch Change) (*Conversation, error) {
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		var state State
		var owner *int64
		if err := tx.QueryRow(ctx, "select state, assigned_user_id from conversations where id = $1 for update", id).Scan(&state, &owner); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("conversation %s: %w", id, ErrNotFound)
			}
			return err
		}
		if ch.Action == ActionClaim && state == StateAgent {
			if owner != nil && ch.UserID != nil && *owner == *ch.UserID {
				return nil // claiming one's own conversation again changes nothing
			}
			return fmt.Errorf("conversation %s: %w", id, ErrClaimed)
		}
		next, err := Next(state, ch.Action)
		if err != nil {
			return err
		}
		switch ch.Action {
		case ActionEscalate:
			if state != StateBot && state != StateResolved {
				return nil // already with people: no re-escalation
			}
			_, err = tx.Exec(ctx, `update conversations set state = $2, escalation_reason = $3, priority = $4,
				escalation_summary = $5, queued_at = now(), waiting_notice = false, resolved_at = null, updated_at = now()
				where id = $1`, id, next, ch.Reason, ch.Priority, ch.Summary)
		case ActionClaim, ActionTransfer:
			_, err = tx.Exec(ctx, `update conversations set state = $2, assigned_user_id = $3, updated_at = now() where id = $1`,
				id, next, ch.UserID)
		case ActionHandback:
			_, err = tx.Exec(ctx, `update conversations set state = $2, assigned_user_id = null, negative_streak = 0,
				no_answer_streak = 0, updated_at = now() where id = $1`, id, next)
		case ActionResolve:
			_, err = tx.Exec(ctx, `update conversations set state = $2, resolved_at = now(), updated_at = now() where id = $1`, id, next)
		default:
			_, err = tx.Exec(ctx, `update conversations set state = $2, updated_at = now() where id = $1`, id, next)
		}
		if err != nil {
			return err
		}
		// Analytics and webhooks: the change's events, in the same transaction
		// (history.go, events.go).
		if err := recordTransition(ctx, tx, id, state, ch); err != nil {
			return err
		}
		return s.transitionEvents(ctx, tx, id, state, ch)
	})
	if err != nil {
		return nil, fmt.Errorf("%s conversation: %w", ch.Action, err)
	}
	return s.Conversation(ctx, id)
}

// SetStreaks records the bot's running counts of negative and unanswered turns.
func (s *Store) SetStreaks(ctx context.Context, id string, negative, noAnswer int) error {
	_, err := s.db.Exec(ctx, "update conversations set negative_streak = $2, no_answer_streak = $3 where id = $1", id, negative, noAnswer)
	if err != nil {
		return fmt.Errorf("update streaks: %w", err)
	}
	return nil
}

// MarkWaitingNotice records that the shopper was told a person is coming;
// it reports false when that was already done (so the notice is sent once).
func (s *Store) MarkWaitingNotice(ctx context.Context, id string) (bool, error) {
	tag, err := s.db.Exec(ctx, "update conversations set waiting_notice = true where id = $1 and not waiting_notice", id)
	if err != nil {
		return false, fmt.Errorf("mark waiting notice: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// SetContactEmail keeps the email a shopper left while waiting.
func (s *Store) SetContactEmail(ctx context.Context, id, email string) error {
	_, err := s.db.Exec(ctx, "update conversations set contact_email = $2 where id = $1", id, email)
	if err != nil {
		return fmt.Errorf("save contact email: %w", err)
	}
	return nil
}

// SetCSAT records the shopper's rating of a resolved conversation.
func (s *Store) SetCSAT(ctx context.Context, id string, score int, comment string) error {
	if score < 1 || score > 5 {
		return fmt.Errorf("csat score %d must be 1 to 5: %w", score, ErrInvalid)
	}
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, "update conversations set csat_score = $2, csat_comment = $3 where id = $1", id, score, comment)
		if err != nil || tag.RowsAffected() == 0 || s.events == nil {
			return err
		}
		// Webhooks: in the same transaction (events.go).
		return s.conversationEvent(ctx, tx, webhook.CSATReceived, id, map[string]any{"score": score, "comment": comment})
	})
	if err != nil {
		return fmt.Errorf("save csat: %w", err)
	}
	return nil
}

// SetSummary stores the running summary of folded-out turns.
func (s *Store) SetSummary(ctx context.Context, id, summary string) error {
	if _, err := s.db.Exec(ctx, "update conversations set summary = $2 where id = $1", id, summary); err != nil {
		return fmt.Errorf("save summary: %w", err)
	}
	return nil
}

// QueueLength counts a site's conversations waiting for a person.
func (s *Store) QueueLength(ctx context.Context, siteID int64) (int, error) {
	var n int
	if err := s.db.QueryRow(ctx, "select count(*) from conversations where site_id = $1 and state = 'queued'", siteID).Scan(&n); err != nil {
		return 0, fmt.Errorf("queue length: %w", err)
	}
	return n, nil
}

// TokensToday sums the model tokens a site's bot used since midnight UTC.
func (s *Store) TokensToday(ctx context.Context, siteID int64) (int, error) {
	var n int
	err := s.db.QueryRow(ctx, `select coalesce(sum(m.tokens), 0) from messages m join conversations c on c.id = m.conversation_id
		where c.site_id = $1 and m.role = 'bot' and m.created_at >= date_trunc('day', now() at time zone 'utc') at time zone 'utc'`,
		siteID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("tokens today: %w", err)
	}
	return n, nil
}
