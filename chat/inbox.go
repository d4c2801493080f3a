package chat

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"

	"kefu/internal/account"
	"kefu/internal/page"
)

// The inbox: conversations as the console lists them, a page at a time.

// Inbox views (GET /api/v1/conversations?state=…).
const (
	ViewOpen     = "open" // with people: queued or with an agent
	ViewQueued   = "queued"
	ViewAgent    = "agent"
	ViewBot      = "bot"
	ViewResolved = "resolved"
)

// InboxQuery selects a page of the inbox.
type InboxQuery struct {
	View   string        // one of the View constants; empty is ViewOpen
	Mine   int64         // when set: only conversations assigned to this user
	Scope  account.Scope // the sites the agent may see
	SiteID int64         // when set: only this site (must be in Scope)
	Cursor string
	Limit  int
}

// Preview is the latest message of a conversation in a list.
type Preview struct {
	Role string    `json:"role"`
	Text string    `json:"text"`
	At   time.Time `json:"at"`
}

// InboxItem is a conversation as the inbox lists it.
type InboxItem struct {
	Conversation
	AssignedName   string   `json:"assigned_name,omitempty"`
	LastMessage    *Preview `json:"last_message,omitempty"`
	Sentiment      string   `json:"sentiment,omitempty"` // of the shopper's latest message
	SentimentScore float64  `json:"sentiment_score,omitempty"`
	// What the bot answered while the conversation waited for a person
	// (nobody was online): how many answers, and the latest.
	AnsweredWhileWaiting int      `json:"answered_while_waiting,omitempty"`
	LastBotAnswer        *Preview `json:"last_bot_answer,omitempty"`
}

// inboxCursor is the position after the last item of a page.
type inboxCursor struct {
	Priority int       `json:"p,omitempty"`
	At       time.Time `json:"t"`
	ID       string    `json:"id"`
}

func (c inboxCursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// ValidID reports whether id looks like a conversation id (a UUID), so a
// malformed one is "not found" instead of a database error.
func ValidID(id string) bool { return uuidRE.MatchString(id) }

func decodeInboxCursor(s string) (*inboxCursor, error) {
	if s == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	var c inboxCursor
	if err != nil || json.Unmarshal(b, &c) != nil || !uuidRE.MatchString(c.ID) {
		return nil, fmt.Errorf("cursor %q: %w", s, ErrInvalid)
	}
	return &c, nil
}

// Inbox returns a page of conversations: the queue by priority then
// waiting time (longest first), resolved ones by when they were resolved,
// other views by latest activity. Bot conversations without messages are
// left out (every widget opening starts one).
func (s *Store) Inbox(ctx context.Context, q InboxQuery) (Page[InboxItem], error) {
	limit := page.Limit(q.Limit)
	cur, err := decodeInboxCursor(q.Cursor)
	if err != nil {
		return Page[InboxItem]{}, err
	}
	var states []string
	switch q.View {
	case "", ViewOpen:
		states = []string{string(StateQueued), string(StateAgent)}
	case ViewQueued, ViewAgent, ViewBot, ViewResolved:
		states = []string{q.View}
	default:
		return Page[InboxItem]{}, fmt.Errorf("state %q must be open, queued, agent, bot or resolved: %w", q.View, ErrInvalid)
	}
	siteIDs := q.Scope.SiteIDs
	all := q.Scope.All
	if q.SiteID != 0 {
		if !q.Scope.Allows(q.SiteID) {
			return Page[InboxItem]{Items: []InboxItem{}}, nil
		}
		all, siteIDs = false, []int64{q.SiteID}
	}
	if siteIDs == nil {
		siteIDs = []int64{}
	}
	args := []any{states, all, siteIDs, q.Mine, limit + 1}
	// sortAt is the time the view sorts by; the queue sorts by priority first.
	sortAt, order := "c.updated_at", "c.updated_at desc, c.id desc"
	switch q.View {
	case ViewQueued:
		sortAt = "coalesce(c.queued_at, c.created_at)"
		order = "c.priority desc, " + sortAt + ", c.id"
	case ViewResolved:
		sortAt = "coalesce(c.resolved_at, c.updated_at)"
		order = sortAt + " desc, c.id desc"
	}
	after := ""
	if cur != nil {
		args = append(args, cur.At, cur.ID)
		after = "and (" + sortAt + ", c.id) < ($6, $7::uuid)"
		if q.View == ViewQueued {
			args = append(args, cur.Priority)
			after = "and (c.priority < $8 or (c.priority = $8 and (" + sortAt + ", c.id) > ($6, $7::uuid)))"
		}
	}
	// The preview is the shopper's latest message: what an agent answers.
	sql := `select ` + convColumns + `, coalesce(u.name, ''), lm.role, lm.body, lm.created_at, coalesce(lm.sentiment, ''),
		coalesce(lm.sentiment_score, 0), ` + sortAt + `, coalesce(ba.n, 0), ba.body, ba.at
		from conversations c join visitors v on v.id = c.visitor_id
		left join users u on u.id = c.assigned_user_id
		left join lateral (select role, body, created_at, sentiment, sentiment_score from messages m
			where m.conversation_id = c.id and m.role = 'shopper' order by m.seq desc limit 1) lm on true
		left join lateral (select count(*) n, (array_agg(m.body order by m.seq desc))[1] body, max(m.created_at) at from messages m
			where c.state = 'queued' and m.conversation_id = c.id and m.role = 'bot' and m.answered
			and m.created_at > coalesce(c.queued_at, c.created_at)) ba on true
		where c.state = any($1) and ($2 or c.site_id = any($3)) and ($4 = 0 or c.assigned_user_id = $4)
		and (c.state <> 'bot' or c.last_seq > 0) ` + after + `
		order by ` + order + ` limit $5`
	rows, err := s.db.Query(ctx, sql, args...)
	if err != nil {
		return Page[InboxItem]{}, fmt.Errorf("list conversations: %w", err)
	}
	var sortKeys []time.Time
	items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (InboxItem, error) {
		var it InboxItem
		var csat *int16
		var role, body *string
		var at *time.Time
		var score float32
		var key time.Time
		var botBody *string
		var botAt *time.Time
		c := &it.Conversation
		err := r.Scan(&c.ID, &c.SiteID, &c.VisitorID, &c.CustomerID, &c.State, &c.AssignedUserID, &c.Priority, &c.EscalationReason,
			&c.EscalationSummary, &c.Summary, &c.LastSeq, &c.NegativeStreak, &c.NoAnswerStreak, &c.WaitingNotice, &c.ContactEmail,
			&c.Locale, &csat, &c.CreatedAt, &c.UpdatedAt, &c.QueuedAt, &c.ResolvedAt,
			&it.AssignedName, &role, &body, &at, &it.Sentiment, &score, &key, &it.AnsweredWhileWaiting, &botBody, &botAt)
		if botBody != nil && botAt != nil && it.AnsweredWhileWaiting > 0 {
			it.LastBotAnswer = &Preview{Role: RoleBot, Text: snip(*botBody, 140), At: *botAt}
		}
		if csat != nil {
			n := int(*csat)
			c.CSATScore = &n
		}
		if role != nil {
			it.LastMessage = &Preview{Role: *role, Text: snip(*body, 140), At: *at}
		}
		it.SentimentScore = float64(score)
		sortKeys = append(sortKeys, key)
		return it, err
	})
	if err != nil {
		return Page[InboxItem]{}, fmt.Errorf("list conversations: %w", err)
	}
	page := Page[InboxItem]{Items: items}
	if page.Items == nil {
		page.Items = []InboxItem{}
	}
	if len(items) > limit {
		page.Items = items[:limit]
		last := items[limit-1]
		page.Next = inboxCursor{Priority: last.Priority, At: sortKeys[limit-1], ID: last.ID}.encode()
	}
	return page, nil
}

// InboxCounts are the inbox's badges.
type InboxCounts struct {
	Queued int `json:"queued"`
	Mine   int `json:"mine"` // with this agent
	Open   int `json:"open"` // queued or with any agent
}

// InboxCounts counts the inbox's views for userID within scope.
func (s *Store) InboxCounts(ctx context.Context, scope account.Scope, userID int64) (InboxCounts, error) {
	var n InboxCounts
	ids := scope.SiteIDs
	if ids == nil {
		ids = []int64{}
	}
	err := s.db.QueryRow(ctx, `select count(*) filter (where state = 'queued'),
		count(*) filter (where state = 'agent' and assigned_user_id = $3), count(*)
		from conversations where state in ('queued', 'agent') and ($1 or site_id = any($2))`, scope.All, ids, userID).
		Scan(&n.Queued, &n.Mine, &n.Open)
	if err != nil {
		return n, fmt.Errorf("count conversations: %w", err)
	}
	return n, nil
}
