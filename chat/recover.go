package chat

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// The bot's turn for a shopper message runs on the node that took the
// message. If that node dies mid-turn the message is stored and acknowledged
// but nobody answers it. So the node holds a lease on the conversation's
// turns (set with the message, renewed while its turns run) and every node
// sweeps for shopper messages whose lease ran out without a reply, and
// answers each of them once.
const (
	turnLease      = 15 * time.Second
	turnLeaseRenew = 5 * time.Second
	// recoverWindow: older unanswered messages are left alone (a reply an
	// hour late helps nobody; a person sees them in the inbox).
	recoverWindow = 10 * time.Minute
)

// renewLease keeps this node's lease on a conversation's turns while fn runs.
func (e *Engine) renewLease(convID string, fn func()) {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(turnLeaseRenew)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				ctx, cancel := context.WithTimeout(e.ctx, turnLeaseRenew)
				if err := e.opts.Store.RenewTurnLease(ctx, convID); err != nil && e.ctx.Err() == nil {
					e.logger.Warn("renew turn lease", "conversation", convID, "error", err)
				}
				cancel()
			}
		}
	}()
	defer close(done)
	fn()
}

// RenewTurnLease extends the lease on the conversation's bot turns.
func (s *Store) RenewTurnLease(ctx context.Context, id string) error {
	_, err := s.db.Exec(ctx, "update conversations set turn_lease = now() + make_interval(secs => $2) where id = $1 and state = 'bot'",
		id, turnLease.Seconds())
	return err
}

// unanswered is a shopper message whose turn this node has taken over.
type unanswered struct {
	siteID  int64
	message *Message
}

// takeUnanswered claims, for this node, up to limit conversations whose
// last message is a shopper's, to the bot, with a lapsed lease and not yet
// recovered. The claim (a compare-and-set on the lease) lets exactly one of
// several sweeping nodes have each; a conversation is marked recovered only
// once its message is loaded, so a message that fails to load is tried
// again when the lease lapses (within recoverWindow) and costs the others
// nothing. The error joins the failures, each naming its conversation.
func (s *Store) takeUnanswered(ctx context.Context, limit int) ([]unanswered, error) {
	rows, err := s.db.Query(ctx, `
		with due as (
			select c.id from conversations c
			where c.state = 'bot' and c.turn_lease < now() and c.turn_lease > now() - make_interval(secs => $1)
			  and c.recovered_seq < c.last_seq
			  and exists (select 1 from messages m where m.conversation_id = c.id and m.seq = c.last_seq and m.role = 'shopper')
			order by c.turn_lease
			limit $2
			for update skip locked)
		update conversations c set turn_lease = now() + make_interval(secs => $3)
		from due where c.id = due.id
		returning c.id, c.site_id, c.last_seq`, recoverWindow.Seconds(), limit, turnLease.Seconds())
	if err != nil {
		return nil, fmt.Errorf("take unanswered: %w", err)
	}
	type claim struct {
		id     string
		siteID int64
		seq    int
	}
	claims, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (claim, error) {
		var c claim
		return c, r.Scan(&c.id, &c.siteID, &c.seq)
	})
	if err != nil {
		return nil, fmt.Errorf("take unanswered: %w", err)
	}
	out := make([]unanswered, 0, len(claims))
	var errs []error
	for _, c := range claims {
		msgs, err := s.Messages(ctx, c.id, c.seq-1, 1, false)
		if err == nil && len(msgs) == 0 {
			err = ErrNotFound
		}
		if err == nil {
			_, err = s.db.Exec(ctx, "update conversations set recovered_seq = $2 where id = $1 and recovered_seq < $2", c.id, c.seq)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("take unanswered conversation %s: %w", c.id, err))
			continue
		}
		out = append(out, unanswered{siteID: c.siteID, message: &msgs[0]})
	}
	return out, errors.Join(errs...)
}

// AnswerUnanswered runs the bot's turn for shopper messages another node
// took and did not answer (it died); it returns how many it started. Every
// node calls it now and then (see RecoverTurns).
func (e *Engine) AnswerUnanswered(ctx context.Context) (int, error) {
	if e.opts.Sites == nil {
		return 0, errors.New("answer unanswered: the engine has no Sites")
	}
	due, err := e.opts.Store.takeUnanswered(ctx, 50)
	for _, u := range due {
		site, serr := e.opts.Sites.ByID(ctx, u.siteID)
		if serr != nil {
			err = errors.Join(err, serr)
			continue
		}
		m := u.message
		e.logger.Info("answering a message left without a reply", "conversation", m.ConversationID, "seq", m.Seq)
		e.enqueue(m.ConversationID, func(ctx context.Context) { e.turn(ctx, site, m) })
	}
	return len(due), err
}

// RecoverTurns calls AnswerUnanswered every interval until ctx ends.
func (e *Engine) RecoverTurns(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := e.AnswerUnanswered(ctx); err != nil && ctx.Err() == nil {
				e.logger.Error("recover turns", "error", err)
			}
		}
	}
}
