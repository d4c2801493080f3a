package privacy

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"kefu/chat"
	"kefu/internal/analytics"
	"kefu/internal/audit"
	"kefu/internal/sites"
	"kefu/knowledge"
)

// RetentionLockKey is the advisory lock that makes one node at a time run
// the retention job ("kefu-ret" in ASCII).
const RetentionLockKey int64 = 0x6b6566752d726574

// RetentionOptions configure a Retainer.
type RetentionOptions struct {
	Now       func() time.Time // the clock; time.Now when nil (tests inject one)
	BatchSize int              // rows per delete statement (default 1000)
	Interval  time.Duration    // between runs in Run (default 1h)
	AuditDays int              // audit log retention (default 730; negative keeps forever)
	Logger    *slog.Logger
}

// Retainer deletes what has outlived its site's retention (the site's
// sites.Retention settings), in batches, as a single runner across nodes
// (pg_try_advisory_lock). Each batch is one transaction in which the
// tables' owners delete their rows.
type Retainer struct {
	db    *pgxpool.Pool
	sites *sites.Store
	opts  RetentionOptions
}

// NewRetainer returns the retention job on db.
func NewRetainer(db *pgxpool.Pool, opts RetentionOptions) *Retainer {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 1000
	}
	if opts.Interval <= 0 {
		opts.Interval = time.Hour
	}
	if opts.AuditDays == 0 {
		opts.AuditDays = 730
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Retainer{db: db, sites: sites.NewStore(db), opts: opts}
}

// RetentionReport counts what one run deleted; Ran is false when another
// node held the lock.
type RetentionReport struct {
	Ran           bool  `json:"ran"`
	Conversations int64 `json:"conversations"`
	Messages      int64 `json:"messages"`
	Visitors      int64 `json:"visitors"`
	Files         int64 `json:"files"`
	Audit         int64 `json:"audit"`
}

func (r RetentionReport) total() int64 {
	return r.Conversations + r.Messages + r.Visitors + r.Files + r.Audit
}

// Run runs the job now and then every Interval until ctx is done.
func (r *Retainer) Run(ctx context.Context) {
	t := time.NewTicker(r.opts.Interval)
	defer t.Stop()
	for {
		if rep, err := r.RunOnce(ctx); err != nil {
			if ctx.Err() == nil {
				r.opts.Logger.ErrorContext(ctx, "retention run", "error", err)
			}
		} else if rep.total() > 0 {
			r.opts.Logger.InfoContext(ctx, "retention deleted expired data", "conversations", rep.Conversations,
				"messages", rep.Messages, "visitors", rep.Visitors, "files", rep.Files, "audit", rep.Audit)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunOnce deletes everything expired at Now, unless another node is
// running the job (then it returns Ran false and deletes nothing).
func (r *Retainer) RunOnce(ctx context.Context) (RetentionReport, error) {
	var rep RetentionReport
	conn, err := r.db.Acquire(ctx)
	if err != nil {
		return rep, fmt.Errorf("retention: acquire connection: %w", err)
	}
	defer conn.Release()
	if err := conn.QueryRow(ctx, "select pg_try_advisory_lock($1)", RetentionLockKey).Scan(&rep.Ran); err != nil {
		return rep, fmt.Errorf("retention: lock: %w", err)
	}
	if !rep.Ran {
		return rep, nil
	}
	defer func() {
		// Why Background: unlock even when ctx is already cancelled; the
		// lock belongs to the session, which goes back to the pool.
		conn.Exec(context.Background(), "select pg_advisory_unlock($1)", RetentionLockKey)
	}()
	now := r.opts.Now()
	list, err := r.sites.List(ctx)
	if err != nil {
		return rep, fmt.Errorf("retention: %w", err)
	}

	// batch runs step in a transaction of its own until it deletes fewer
	// than a batch, adding what it deleted to counter.
	batch := func(counter *int64, step func(tx pgx.Tx) (int64, error)) error {
		for {
			var n int64
			err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
				var err error
				n, err = step(tx)
				return err
			})
			if err != nil {
				return fmt.Errorf("retention: %w", err)
			}
			*counter += n
			if n < int64(r.opts.BatchSize) {
				return nil
			}
		}
	}
	limit := r.opts.BatchSize
	for _, site := range list {
		ret := site.Config().Retention
		if d := ret.ConversationDays; d > 0 {
			cutoff := now.AddDate(0, 0, -d)
			// Analytics keep each deleted conversation's anonymous facts,
			// archived in the transaction that deletes it.
			err := batch(&rep.Conversations, func(tx pgx.Tx) (int64, error) {
				ids, err := chat.IdleConversations(ctx, tx, site.ID, cutoff, limit)
				if err != nil {
					return 0, err
				}
				if err := analytics.Archive(ctx, tx, now, ids); err != nil {
					return 0, err
				}
				return chat.DeleteConversations(ctx, tx, ids)
			})
			if err != nil {
				return rep, err
			}
			// A live conversation about to lose old messages has its facts
			// frozen first, so its past period keeps its numbers.
			err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
				ids, err := chat.ConversationsWithMessagesBefore(ctx, tx, site.ID, cutoff)
				if err != nil {
					return err
				}
				return analytics.Freeze(ctx, tx, now, ids)
			})
			if err != nil {
				return rep, fmt.Errorf("retention: %w", err)
			}
			if err := batch(&rep.Messages, func(tx pgx.Tx) (int64, error) {
				return chat.DeleteMessagesBefore(ctx, tx, site.ID, cutoff, limit)
			}); err != nil {
				return rep, err
			}
			if err := batch(&rep.Visitors, func(tx pgx.Tx) (int64, error) {
				return chat.DeleteIdleVisitors(ctx, tx, site.ID, cutoff, limit)
			}); err != nil {
				return rep, err
			}
		}
		if d := ret.FileDays; d > 0 {
			cutoff := now.AddDate(0, 0, -d)
			if err := batch(&rep.Files, func(tx pgx.Tx) (int64, error) {
				return knowledge.ExpireFiles(ctx, tx, site.ID, cutoff, limit)
			}); err != nil {
				return rep, err
			}
		}
	}
	if r.opts.AuditDays > 0 {
		cutoff := now.AddDate(0, 0, -r.opts.AuditDays)
		if err := batch(&rep.Audit, func(tx pgx.Tx) (int64, error) {
			return audit.Expire(ctx, tx, cutoff, limit)
		}); err != nil {
			return rep, err
		}
	}
	if rep.total() > 0 {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			return audit.RecordIn(ctx, tx, audit.Entry{Actor: audit.ActorSystem, Action: audit.RetentionPurge, Detail: map[string]any{
				"conversations": rep.Conversations, "messages": rep.Messages, "visitors": rep.Visitors,
				"files": rep.Files, "audit": rep.Audit}})
		})
		if err != nil {
			return rep, err
		}
	}
	return rep, nil
}
