// Package analytics reads how conversations went: the period summaries of
// docs/analytics.md (Reports) and the insights of docs/insights.md
// (knowledge gaps, customers at risk, feedback topics). It reads chat's
// tables and writes only its own archive of anonymous facts, which privacy
// and retention fill (in their transactions) before conversations go.
package analytics

import (
	"context"
	"errors"
	"fmt"
	"kefu/chat"
	"kefu/internal/sites"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Analytics measures how a site's conversations went (docs/analytics.md).
//
// Every measure is computed from one set of per-conversation facts, defined
// once in SQL (factsSQL) over conversations, their messages and their
// conversation_events. When retention or erasure deletes conversations, their
// facts are first copied to analytics_archive as anonymous rows (archiveFacts),
// and the summary reads live facts UNION ALL archived facts, so the numbers
// of a past period do not change when its conversations are deleted.
//
// A conversation belongs to the UTC day it was created; a period is a range
// of whole UTC days, both ends included.

// EscalationReasons is the taxonomy of chat/policy.go in display order; the
// summary lists every one of them, zeros included.
var EscalationReasons = []string{chat.ReasonRequested, chat.ReasonNegativeSentiment, chat.ReasonNoAnswer,
	chat.ReasonSensitiveIntent, chat.ReasonToolFailure, chat.ReasonLimit}

// MaxDays bounds a summary's period.
const MaxDays = 366

// ErrInvalid means a malformed period or query.
var ErrInvalid = errors.New("invalid input")

// factColumns are the per-conversation facts, in analytics_archive's order.
const factColumns = `site_id, day, escalated, escalation_reasons, human_involved, reopened, ever_resolved, outcome,
	csat_score, first_response_ms, human_first_response_ms, queue_wait_ms, resolution_ms, intents, sentiment_sum,
	sentiment_n, negative, model_replies, ttfts_ms, tokens`

// factsSQL selects the facts of the live conversations c that match where
// (conversation_id, then factColumns). $1 is the time "now" (for the 24-hour
// idle rule); where may use $2 onwards. Conversations whose facts were
// already archived (retention trimmed their old messages) are left out: the
// archive counts them. The definitions are documented on Measures.
func factsSQL(where string) string {
	// Set-based: each CTE aggregates all the selected conversations' rows
	// at once (hash joins), rather than a handful of lookups per conversation.
	return `with c as materialized (
		select c.id, c.site_id, c.state, c.created_at, c.updated_at, c.resolved_at, c.csat_score, c.escalation_reason,
			c.assigned_user_id
		from conversations c
		where (` + where + `)
			and not exists (select 1 from analytics_archive a where a.conversation_id = c.id)
	), ev as (
		select e.conversation_id,
			count(*) filter (where e.kind = 'escalated') as escalations,
			array_agg(e.reason order by e.at, e.id) filter (where e.kind = 'escalated') as reasons,
			count(*) filter (where e.kind in ('claimed', 'transferred')) as claims,
			count(*) filter (where e.kind = 'reopened') as reopened,
			count(*) filter (where e.kind = 'resolved') as resolves,
			min(e.at) filter (where e.kind = 'escalated') as first_escalation
		from conversation_events e where e.conversation_id in (select id from c)
		group by e.conversation_id
	), m as materialized (
		select m.conversation_id, m.seq, m.role, m.intent, m.sentiment, m.sentiment_score, m.model, m.ttft_ms, m.tokens,
			m.created_at,
			min(m.seq) filter (where m.role = 'shopper') over w as first_shopper,
			max(m.seq) filter (where m.role = 'shopper') over w as last_shopper,
			min(m.seq) filter (where m.role = 'bot') over w as first_bot
		from messages m where m.conversation_id in (select id from c)
		window w as (partition by m.conversation_id)
	), ms as (
		select m.conversation_id,
			count(*) filter (where m.role = 'agent') as agent_messages,
			coalesce(sum(m.sentiment_score) filter (where m.role = 'shopper' and m.sentiment <> ''), 0)::float8 as sentiment_sum,
			count(*) filter (where m.role = 'shopper' and m.sentiment <> '') as sentiment_n,
			coalesce(bool_or(m.sentiment = 'negative') filter (where m.role = 'shopper'), false) as negative,
			count(*) filter (where m.role = 'bot' and m.model <> '') as model_replies,
			coalesce(array_agg(m.ttft_ms order by m.seq) filter (where m.role = 'bot' and m.model <> '' and m.ttft_ms > 0), '{}') as ttfts_ms,
			coalesce(sum(m.tokens) filter (where m.role = 'bot'), 0)::bigint as tokens,
			min(m.created_at) filter (where m.seq = m.first_shopper) as first_shopper_at,
			(array_agg(m.created_at order by m.seq) filter (where m.role in ('bot', 'agent') and m.seq > m.first_shopper))[1] as first_reply_at,
			coalesce(bool_or(m.seq = m.last_shopper and m.intent = 'goodbye' and m.sentiment <> 'negative'
				and m.first_bot < m.seq), false) as goodbye
		from m group by m.conversation_id
	), it as (
		select i.conversation_id, jsonb_object_agg(i.intent, i.n) as intents from (
			select m.conversation_id, m.intent, count(*) as n from m
			where m.role = 'shopper' and m.intent <> '' group by m.conversation_id, m.intent) i
		group by i.conversation_id
	), am as ( -- the first agent message after the first escalation
		select m.conversation_id, min(m.created_at) as at from m join ev on ev.conversation_id = m.conversation_id
		where m.role = 'agent' and m.created_at >= ev.first_escalation group by m.conversation_id
	), cl as ( -- the first claim after the first escalation
		select e.conversation_id, min(e.at) as at from conversation_events e join ev on ev.conversation_id = e.conversation_id
		where e.kind = 'claimed' and e.at >= ev.first_escalation group by e.conversation_id
	), hr as ( -- measured from the latest escalation before that message
		select am.conversation_id, extract(epoch from am.at - max(e.at))::float8 * 1000 as ms
		from am join conversation_events e on e.conversation_id = am.conversation_id and e.kind = 'escalated' and e.at <= am.at
		group by am.conversation_id, am.at
	), qw as ( -- and from the latest escalation before that claim
		select cl.conversation_id, extract(epoch from cl.at - max(e.at))::float8 * 1000 as ms
		from cl join conversation_events e on e.conversation_id = cl.conversation_id and e.kind = 'escalated' and e.at <= cl.at
		group by cl.conversation_id, cl.at
	), x as (
		select c.*, coalesce(ev.escalations, 0) as escalations, ev.reasons, coalesce(ev.claims, 0) as claims,
			coalesce(ev.reopened, 0) as reopened, coalesce(ev.resolves, 0) as resolves,
			coalesce(ms.agent_messages, 0) as agent_messages, coalesce(ms.goodbye, false) as goodbye,
			ms.first_shopper_at, ms.first_reply_at,
			coalesce(it.intents, '{}'::jsonb) as intents,
			coalesce(ms.sentiment_sum, 0) as sentiment_sum, coalesce(ms.sentiment_n, 0) as sentiment_n,
			coalesce(ms.negative, false) as negative, coalesce(ms.model_replies, 0) as model_replies,
			coalesce(ms.ttfts_ms, '{}') as ttfts_ms, coalesce(ms.tokens, 0) as tokens,
			hr.ms as human_first_response_ms, qw.ms as queue_wait_ms,
			-- Conversations escalated before events were recorded still
			-- count, by the reason the conversation row keeps.
			coalesce(ev.escalations, 0) > 0 or c.escalation_reason <> '' as escalated,
			coalesce(ev.escalations, 0) > 0 or c.escalation_reason <> '' or coalesce(ev.claims, 0) > 0
				or coalesce(ms.agent_messages, 0) > 0 or c.assigned_user_id is not null as human
		from c
		left join ev on ev.conversation_id = c.id
		left join ms on ms.conversation_id = c.id
		left join it on it.conversation_id = c.id
		left join hr on hr.conversation_id = c.id
		left join qw on qw.conversation_id = c.id
	)
	select x.id as conversation_id, x.site_id, (x.created_at at time zone 'UTC')::date as day,
		x.escalated,
		case when coalesce(x.escalations, 0) > 0 then x.reasons
			when x.escalation_reason <> '' then array[x.escalation_reason]
			else '{}'::text[] end as escalation_reasons,
		x.human as human_involved,
		x.reopened::integer as reopened, (x.resolves > 0 or x.state = 'resolved') as ever_resolved,
		case
			when x.human then case when x.state = 'resolved' then 'human' else '' end
			when x.csat_score >= 4 or x.goodbye then 'bot_confirmed'
			when coalesce(x.csat_score, 3) > 2 and not x.intents ? 'complaint'
				and (x.state = 'resolved' or x.updated_at < $1::timestamptz - interval '24 hours') then 'bot_assumed'
			else ''
		end as outcome,
		x.csat_score,
		extract(epoch from x.first_reply_at - x.first_shopper_at)::float8 * 1000 as first_response_ms,
		x.human_first_response_ms,
		x.queue_wait_ms,
		case when x.state = 'resolved' and x.resolved_at is not null
			then extract(epoch from x.resolved_at - x.created_at)::float8 * 1000 end as resolution_ms,
		x.intents, x.sentiment_sum, x.sentiment_n::integer as sentiment_n, x.negative,
		x.model_replies::integer as model_replies, x.ttfts_ms, x.tokens
	from x`
}

// archiveSQL inserts the facts of the live conversations matching where
// into analytics_archive ($1 is now; where may use $2 onwards). keepRef
// keeps the conversation's id on the row, for a conversation that lives on
// (its old messages are about to go): it is then counted from the archive
// only, and the id is cleared when the conversation is deleted.
func archiveSQL(where string, keepRef bool) string {
	ref := "null::uuid"
	if keepRef {
		ref = "f.conversation_id"
	}
	return `insert into analytics_archive (conversation_id, ` + factColumns + `)
		select ` + ref + `, ` + prefixed("f.", factColumns) + ` from (` + factsSQL(where) + `) f`
}

func prefixed(p, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = p + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}

// Archive copies the anonymous facts of the conversations ids to the
// archive, in tx, before the caller deletes them there: the numbers of
// their periods stay as they were.
func Archive(ctx context.Context, tx pgx.Tx, now time.Time, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, archiveSQL("c.id = any($2::uuid[])", false), now, ids); err != nil {
		return fmt.Errorf("archive analytics facts: %w", err)
	}
	return nil
}

// Freeze archives the facts of the live conversations ids, in tx, before
// the caller deletes old messages of theirs: each is counted from the
// archive from then on (the row keeps its id until the conversation goes).
// Conversations already frozen are left as they are.
func Freeze(ctx context.Context, tx pgx.Tx, now time.Time, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, archiveSQL("c.id = any($2::uuid[])", true), now, ids); err != nil {
		return fmt.Errorf("freeze analytics facts: %w", err)
	}
	return nil
}

// Period is a range of whole UTC days, To included.
type Period struct {
	From, To time.Time
}

// Days counts the period's days.
func (p Period) Days() int { return int(p.To.Sub(p.From).Hours()/24) + 1 }

// Previous is the period of the same length right before p.
func (p Period) Previous() Period {
	to := p.From.AddDate(0, 0, -1)
	return Period{From: to.AddDate(0, 0, -(p.Days() - 1)), To: to}
}

// ParsePeriod reads from and to as YYYY-MM-DD (UTC days, to included). It
// returns ErrInvalid for malformed dates, from after to, or a period longer
// than MaxDays.
func ParsePeriod(from, to string) (Period, error) {
	if from == "" || to == "" {
		return Period{}, fmt.Errorf("from and to are required, as YYYY-MM-DD: %w", ErrInvalid)
	}
	f, err := time.Parse(time.DateOnly, from)
	if err != nil {
		return Period{}, fmt.Errorf("from %q is not a date like 2026-11-01: %w", from, ErrInvalid)
	}
	t, err := time.Parse(time.DateOnly, to)
	if err != nil {
		return Period{}, fmt.Errorf("to %q is not a date like 2026-11-30: %w", to, ErrInvalid)
	}
	if f.After(t) {
		return Period{}, fmt.Errorf("from %s is after to %s: %w", from, to, ErrInvalid)
	}
	p := Period{From: f, To: t}
	if p.Days() > MaxDays {
		return Period{}, fmt.Errorf("the period has %d days; at most %d are allowed: %w", p.Days(), MaxDays, ErrInvalid)
	}
	return p, nil
}

// Measures are one period's core numbers. Definitions (docs/analytics.md):
type Measures struct {
	// Conversations started in the period.
	Conversations int `json:"conversations"`
	// Escalated: conversations with at least one escalation to a person.
	Escalated int `json:"escalated"`
	// EscalationRate = Escalated / Conversations (0 with no conversations).
	EscalationRate float64 `json:"escalation_rate"`
	// BotResolvedConfirmed: no person took part (never escalated, claimed or
	// answered by an agent) and either CSAT ≥ 4, or the shopper's last
	// message, after a bot reply, was classified goodbye and not negative.
	BotResolvedConfirmed int `json:"bot_resolved_confirmed"`
	// BotResolvedAssumed: no person took part, not confirmed, no CSAT ≤ 2, no
	// shopper message classified complaint, and the conversation is resolved
	// or has been idle (no update) for more than 24 hours.
	BotResolvedAssumed int `json:"bot_resolved_assumed"`
	// HumanResolved: a person took part and the conversation is resolved.
	HumanResolved int `json:"human_resolved"`
	// Reopened: conversations reopened at least once after being resolved
	// (a shopper message, or an escalation, after resolution).
	Reopened int `json:"reopened"`
	// ReopenRate = Reopened / conversations resolved at least once (0 when none).
	ReopenRate float64 `json:"reopen_rate"`
	// CSATAvg is the mean rating (1–5) of rated conversations; null when none.
	CSATAvg   *float64 `json:"csat_avg"`
	CSATCount int      `json:"csat_count"`
	// FirstResponse: from the first shopper message to the first bot or
	// agent message after it, in milliseconds; p50 and p90 are continuous
	// percentiles (percentile_cont); null when no conversation has one.
	FirstResponseP50MS *float64 `json:"first_response_p50_ms"`
	FirstResponseP90MS *float64 `json:"first_response_p90_ms"`
	// HumanFirstResponse: from escalation to the first agent message after
	// the first escalation (measured from the latest escalation before it).
	HumanFirstResponseP50MS *float64 `json:"human_first_response_p50_ms"`
	HumanFirstResponseP90MS *float64 `json:"human_first_response_p90_ms"`
	// QueueWait: from escalation to the first claim after the first
	// escalation (measured from the latest escalation before that claim).
	QueueWaitP50MS *float64 `json:"queue_wait_p50_ms"`
	QueueWaitP90MS *float64 `json:"queue_wait_p90_ms"`
	// Resolution: from creation to resolution, for conversations resolved now.
	ResolutionP50MS *float64 `json:"resolution_p50_ms"`
	ResolutionP90MS *float64 `json:"resolution_p90_ms"`
}

// DayStats are one day's numbers; every day of the period is listed.
type DayStats struct {
	Day                  string   `json:"day"`
	Conversations        int      `json:"conversations"`
	Escalated            int      `json:"escalated"`
	BotResolvedConfirmed int      `json:"bot_resolved_confirmed"`
	BotResolvedAssumed   int      `json:"bot_resolved_assumed"`
	CSATAvg              *float64 `json:"csat_avg"`
	// SentimentAvg is the mean sentiment score (-1…1) of classified shopper messages.
	SentimentAvg *float64 `json:"sentiment_avg"`
	// Negative counts conversations with at least one negative shopper message.
	Negative int `json:"negative"`
}

// ReasonCount counts escalations (events, not conversations) by reason.
type ReasonCount struct {
	Reason   string `json:"reason"`
	Count    int    `json:"count"`
	Previous int    `json:"previous"`
}

// IntentCount counts shopper messages by classified intent.
type IntentCount struct {
	Intent   string `json:"intent"`
	Count    int    `json:"count"`
	Previous int    `json:"previous"`
}

// IntentDay counts one intent's shopper messages in conversations started on Day.
type IntentDay struct {
	Day    string `json:"day"`
	Intent string `json:"intent"`
	Count  int    `json:"count"`
}

// CSATStats are ratings of one group of conversations.
type CSATStats struct {
	Avg   *float64 `json:"avg"`
	Count int      `json:"count"`
	// Distribution counts ratings 1 to 5.
	Distribution [5]int `json:"distribution"`
}

// CSATSplit separates bot-only conversations from those a person took part in.
type CSATSplit struct {
	Bot   CSATStats `json:"bot"`
	Human CSATStats `json:"human"`
}

// ModelUsage is the model's part in the period.
type ModelUsage struct {
	// Replies are bot messages drafted by a model (offline answers excluded).
	Replies int `json:"replies"`
	// TTFT: time to first token of those replies, p50 and p95 (percentile_cont).
	TTFTP50MS *float64 `json:"ttft_p50_ms"`
	TTFTP95MS *float64 `json:"ttft_p95_ms"`
	// Tokens used by bot replies.
	Tokens int64 `json:"tokens"`
	// PricePer1KTokens is the site's setting; over several sites, the
	// effective price (EstimatedCost per 1000 tokens).
	PricePer1KTokens float64 `json:"price_per_1k_tokens"`
	// EstimatedCost = the sum over sites of tokens / 1000 × the site's price.
	EstimatedCost float64 `json:"estimated_cost"`
}

// Summary is the analytics of a period and its comparison with the one before.
type Summary struct {
	Site                string        `json:"site"`
	From                string        `json:"from"`
	To                  string        `json:"to"`
	PreviousFrom        string        `json:"previous_from"`
	PreviousTo          string        `json:"previous_to"`
	Current             Measures      `json:"current"`
	Previous            Measures      `json:"previous"`
	Daily               []DayStats    `json:"daily"`
	EscalationsByReason []ReasonCount `json:"escalations_by_reason"`
	Intents             []IntentCount `json:"intents"`
	IntentTrend         []IntentDay   `json:"intent_trend"`
	CSAT                CSATSplit     `json:"csat"`
	Model               ModelUsage    `json:"model"`
}

// SummaryQuery selects the conversations a summary measures.
type SummaryQuery struct {
	// SiteIDs limits the summary to these sites; nil means every site.
	SiteIDs []int64
	// Site is the key echoed in the summary ("" for several sites).
	Site   string
	Period Period
}

// Reports computes summaries.
type Reports struct {
	db    *pgxpool.Pool
	sites *sites.Store
	now   func() time.Time
}

// NewReports returns the reports on db (sites gives each site's model
// price); now is the clock (time.Now when nil), used only for the 24-hour
// idle rule of bot_resolved_assumed.
func NewReports(db *pgxpool.Pool, sites *sites.Store, now func() time.Time) *Reports {
	if now == nil {
		now = time.Now
	}
	return &Reports{db: db, sites: sites, now: now}
}

// Summary computes the summary of q's period and the previous one.
func (a *Reports) Summary(ctx context.Context, q SummaryQuery) (*Summary, error) {
	cur, prev := q.Period, q.Period.Previous()
	out := &Summary{Site: q.Site, From: cur.From.Format(time.DateOnly), To: cur.To.Format(time.DateOnly),
		PreviousFrom: prev.From.Format(time.DateOnly), PreviousTo: prev.To.Format(time.DateOnly)}
	err := pgx.BeginFunc(ctx, a.db, func(tx pgx.Tx) error {
		// One snapshot for every table of the summary.
		if _, err := tx.Exec(ctx, "set transaction isolation level repeatable read"); err != nil {
			return err
		}
		// The planner's estimates for the facts query are high enough to
		// start JIT compilation, which costs more than it saves here
		// (measured: 3.3 s against 1.1 s over 10,000 conversations).
		// And sorting a period's messages by conversation needs more than
		// the default 4 MB to stay in memory.
		if _, err := tx.Exec(ctx, "set local jit = off; set local work_mem = '32MB'"); err != nil {
			return err
		}
		ids := q.SiteIDs
		if ids == nil {
			// Every site, named: the (site_id, created_at) index still serves.
			all, err := a.sites.List(ctx)
			if err != nil {
				return err
			}
			ids = make([]int64, len(all))
			for i, s := range all {
				ids[i] = s.ID
			}
		}
		end := cur.To.AddDate(0, 0, 1)
		// The facts of both periods, once, in a temporary table the
		// aggregates below read.
		_, err := tx.Exec(ctx, `create temporary table af on commit drop as
			select `+factColumns+`, case when day >= $5::date then 'cur' else 'prev' end as period from (
				select `+prefixed("f.", factColumns)+` from (`+factsSQL(`c.site_id = any($2::bigint[])
					and c.created_at >= $3::timestamptz and c.created_at < $4::timestamptz`)+`) f
				union all
				select `+prefixed("a.", factColumns)+` from analytics_archive a
				where a.site_id = any($2::bigint[])
					and a.day >= ($3::timestamptz at time zone 'UTC')::date and a.day < ($4::timestamptz at time zone 'UTC')::date
			) x`, a.now(), ids, prev.From, end, cur.From)
		if err != nil {
			return fmt.Errorf("collect facts: %w", err)
		}
		if err := periodMeasures(ctx, tx, &out.Current, &out.Previous); err != nil {
			return err
		}
		if out.Daily, err = dailyStats(ctx, tx, cur); err != nil {
			return err
		}
		if out.EscalationsByReason, err = reasonCounts(ctx, tx); err != nil {
			return err
		}
		if out.Intents, out.IntentTrend, err = intentCounts(ctx, tx); err != nil {
			return err
		}
		if out.CSAT, err = csatSplit(ctx, tx); err != nil {
			return err
		}
		out.Model, err = a.modelUsage(ctx, tx, q.SiteIDs)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("analytics summary: %w", err)
	}
	return out, nil
}

func periodMeasures(ctx context.Context, tx pgx.Tx, cur, prev *Measures) error {
	rows, err := tx.Query(ctx, `select period, count(*), count(*) filter (where escalated),
			count(*) filter (where outcome = 'bot_confirmed'), count(*) filter (where outcome = 'bot_assumed'),
			count(*) filter (where outcome = 'human'), count(*) filter (where reopened > 0), count(*) filter (where ever_resolved),
			avg(csat_score)::float8, count(csat_score),
			percentile_cont(0.5) within group (order by first_response_ms), percentile_cont(0.9) within group (order by first_response_ms),
			percentile_cont(0.5) within group (order by human_first_response_ms), percentile_cont(0.9) within group (order by human_first_response_ms),
			percentile_cont(0.5) within group (order by queue_wait_ms), percentile_cont(0.9) within group (order by queue_wait_ms),
			percentile_cont(0.5) within group (order by resolution_ms), percentile_cont(0.9) within group (order by resolution_ms)
		from af group by period`)
	if err != nil {
		return fmt.Errorf("period measures: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var period string
		var m Measures
		var everResolved int
		if err := rows.Scan(&period, &m.Conversations, &m.Escalated, &m.BotResolvedConfirmed, &m.BotResolvedAssumed,
			&m.HumanResolved, &m.Reopened, &everResolved, &m.CSATAvg, &m.CSATCount,
			&m.FirstResponseP50MS, &m.FirstResponseP90MS, &m.HumanFirstResponseP50MS, &m.HumanFirstResponseP90MS,
			&m.QueueWaitP50MS, &m.QueueWaitP90MS, &m.ResolutionP50MS, &m.ResolutionP90MS); err != nil {
			return fmt.Errorf("period measures: %w", err)
		}
		m.EscalationRate = ratio(m.Escalated, m.Conversations)
		m.ReopenRate = ratio(m.Reopened, everResolved)
		if period == "cur" {
			*cur = m
		} else {
			*prev = m
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("period measures: %w", err)
	}
	return nil
}

func ratio(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}

func dailyStats(ctx context.Context, tx pgx.Tx, p Period) ([]DayStats, error) {
	rows, err := tx.Query(ctx, `select to_char(d, 'YYYY-MM-DD'), count(af.day), count(*) filter (where af.escalated),
			count(*) filter (where af.outcome = 'bot_confirmed'), count(*) filter (where af.outcome = 'bot_assumed'),
			avg(af.csat_score)::float8, (sum(af.sentiment_sum) / nullif(sum(af.sentiment_n), 0))::float8,
			count(*) filter (where af.negative)
		from generate_series($1::date, $2::date, interval '1 day') d
		left join af on af.day = d::date and af.period = 'cur'
		group by d order by d`, p.From.Format(time.DateOnly), p.To.Format(time.DateOnly))
	if err != nil {
		return nil, fmt.Errorf("daily measures: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (DayStats, error) {
		var d DayStats
		err := r.Scan(&d.Day, &d.Conversations, &d.Escalated, &d.BotResolvedConfirmed, &d.BotResolvedAssumed,
			&d.CSATAvg, &d.SentimentAvg, &d.Negative)
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("daily measures: %w", err)
	}
	return list, nil
}

func reasonCounts(ctx context.Context, tx pgx.Tx) ([]ReasonCount, error) {
	rows, err := tx.Query(ctx, `select r, count(*) filter (where period = 'cur'), count(*) filter (where period = 'prev')
		from af, unnest(escalation_reasons) r group by r`)
	if err != nil {
		return nil, fmt.Errorf("escalations by reason: %w", err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[ReasonCount])
	if err != nil {
		return nil, fmt.Errorf("escalations by reason: %w", err)
	}
	byReason := map[string]ReasonCount{}
	for _, r := range got {
		byReason[r.Reason] = r
	}
	out := make([]ReasonCount, 0, len(EscalationReasons)+len(got))
	for _, r := range EscalationReasons {
		rc := byReason[r]
		rc.Reason = r
		out = append(out, rc)
		delete(byReason, r)
	}
	rest := make([]ReasonCount, 0, len(byReason))
	for _, r := range byReason { // reasons outside today's taxonomy
		rest = append(rest, r)
	}
	sort.Slice(rest, func(i, j int) bool { return rest[i].Reason < rest[j].Reason })
	return append(out, rest...), nil
}

func intentCounts(ctx context.Context, tx pgx.Tx) ([]IntentCount, []IntentDay, error) {
	rows, err := tx.Query(ctx, `select j.key, coalesce(sum(j.value::int) filter (where period = 'cur'), 0)::int,
			coalesce(sum(j.value::int) filter (where period = 'prev'), 0)::int
		from af, jsonb_each_text(intents) j group by j.key order by 2 desc, 3 desc, 1`)
	if err != nil {
		return nil, nil, fmt.Errorf("intents: %w", err)
	}
	counts, err := pgx.CollectRows(rows, pgx.RowToStructByPos[IntentCount])
	if err != nil {
		return nil, nil, fmt.Errorf("intents: %w", err)
	}
	rows, err = tx.Query(ctx, `select to_char(day, 'YYYY-MM-DD'), j.key, sum(j.value::int)::int
		from af, jsonb_each_text(intents) j where period = 'cur' group by day, j.key order by day, j.key`)
	if err != nil {
		return nil, nil, fmt.Errorf("intent trend: %w", err)
	}
	trend, err := pgx.CollectRows(rows, pgx.RowToStructByPos[IntentDay])
	if err != nil {
		return nil, nil, fmt.Errorf("intent trend: %w", err)
	}
	if counts == nil {
		counts = []IntentCount{}
	}
	if trend == nil {
		trend = []IntentDay{}
	}
	return counts, trend, nil
}

func csatSplit(ctx context.Context, tx pgx.Tx) (CSATSplit, error) {
	var out CSATSplit
	rows, err := tx.Query(ctx, `select human_involved, csat_score, count(*) from af
		where period = 'cur' and csat_score is not null group by 1, 2`)
	if err != nil {
		return out, fmt.Errorf("csat: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var human bool
		var score int16
		var n int
		if err := rows.Scan(&human, &score, &n); err != nil {
			return out, fmt.Errorf("csat: %w", err)
		}
		st := &out.Bot
		if human {
			st = &out.Human
		}
		if score >= 1 && score <= 5 {
			st.Distribution[score-1] += n
		}
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("csat: %w", err)
	}
	for _, st := range []*CSATStats{&out.Bot, &out.Human} {
		sum := 0
		for i, n := range st.Distribution {
			st.Count += n
			sum += (i + 1) * n
		}
		if st.Count > 0 {
			avg := float64(sum) / float64(st.Count)
			st.Avg = &avg
		}
	}
	return out, nil
}

func (a *Reports) modelUsage(ctx context.Context, tx pgx.Tx, siteIDs []int64) (ModelUsage, error) {
	var out ModelUsage
	err := tx.QueryRow(ctx, `select percentile_cont(0.5) within group (order by t), percentile_cont(0.95) within group (order by t)
		from af, unnest(ttfts_ms) t where period = 'cur'`).Scan(&out.TTFTP50MS, &out.TTFTP95MS)
	if err != nil {
		return out, fmt.Errorf("model ttft: %w", err)
	}
	rows, err := tx.Query(ctx, `select site_id, sum(model_replies)::int, sum(tokens)::bigint from af
		where period = 'cur' group by site_id order by site_id`)
	if err != nil {
		return out, fmt.Errorf("model usage: %w", err)
	}
	type usage struct {
		SiteID  int64
		Replies int
		Tokens  int64
	}
	used, err := pgx.CollectRows(rows, pgx.RowToStructByPos[usage])
	if err != nil {
		return out, fmt.Errorf("model usage: %w", err)
	}
	price := func(siteID int64) (float64, error) {
		site, err := a.sites.ByID(ctx, siteID)
		if err != nil {
			return 0, fmt.Errorf("model price: %w", err)
		}
		return site.Config().PricePer1KTokens, nil
	}
	for _, u := range used {
		p, err := price(u.SiteID)
		if err != nil {
			return out, err
		}
		out.Replies += u.Replies
		out.Tokens += u.Tokens
		out.EstimatedCost += float64(u.Tokens) / 1000 * p
		out.PricePer1KTokens = p
	}
	if len(siteIDs) == 1 && len(used) == 0 {
		// One site with no replies: still show its price.
		if out.PricePer1KTokens, err = price(siteIDs[0]); err != nil {
			return out, err
		}
	}
	if len(used) > 1 {
		out.PricePer1KTokens = 0
		if out.Tokens > 0 {
			out.PricePer1KTokens = out.EstimatedCost * 1000 / float64(out.Tokens)
		}
	}
	return out, nil
}
