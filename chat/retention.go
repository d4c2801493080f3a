package chat

import (
	"context"
	"fmt"
	"kefu/internal/audit"
	"kefu/internal/sites"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
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

// Retainer deletes what has outlived its site's retention, in batches, as
// a single runner across nodes (pg_try_advisory_lock).
type Retainer struct {
	db   *pgxpool.Pool
	opts RetentionOptions
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
	return &Retainer{db: db, opts: opts}
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

	rows, err := conn.Query(ctx, "select id, settings from sites order by id")
	if err != nil {
		return rep, fmt.Errorf("retention: list sites: %w", err)
	}
	type siteRetention struct {
		id  int64
		ret sites.Retention
	}
	var list []siteRetention
	for rows.Next() {
		var id int64
		var settings map[string]any
		if err := rows.Scan(&id, &settings); err != nil {
			rows.Close()
			return rep, fmt.Errorf("retention: list sites: %w", err)
		}
		cfg, err := sites.ParseSettings(settings)
		if err != nil {
			rows.Close()
			return rep, fmt.Errorf("retention: site %d: %w", id, err)
		}
		list = append(list, siteRetention{id, cfg.Retention})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return rep, fmt.Errorf("retention: list sites: %w", err)
	}

	batch := func(counter *int64, sql string, args ...any) error {
		for {
			tag, err := conn.Exec(ctx, sql, append(args, r.opts.BatchSize)...)
			if err != nil {
				return fmt.Errorf("retention: %w", err)
			}
			*counter += tag.RowsAffected()
			if tag.RowsAffected() < int64(r.opts.BatchSize) {
				return nil
			}
		}
	}
	for _, site := range list {
		ret := site.ret
		if d := ret.ConversationDays; d > 0 {
			cutoff := now.AddDate(0, 0, -d)
			// Analytics keep each deleted conversation's anonymous facts
			// (analytics.go), archived by the same statement that deletes it.
			if err := batch(&rep.Conversations, `with doomed as materialized (
					select id from conversations where site_id = $2 and updated_at < $3 limit $4),
				archived as (`+archiveSQL("c.id in (select id from doomed)", false)+`)
				delete from conversations where id in (select id from doomed)`, now, site.id, cutoff); err != nil {
				return rep, err
			}
			// A live conversation about to lose old messages has its facts
			// frozen first, so its past period keeps its numbers.
			if _, err := conn.Exec(ctx, archiveSQL(`c.site_id = $2 and c.id in (
					select m.conversation_id from messages m where m.created_at < $3)`, true), now, site.id, cutoff); err != nil {
				return rep, fmt.Errorf("retention: %w", err)
			}
			if err := batch(&rep.Messages, `delete from messages where id in (
				select m.id from messages m join conversations c on c.id = m.conversation_id
				where c.site_id = $1 and m.created_at < $2 limit $3)`, site.id, cutoff); err != nil {
				return rep, err
			}
			if err := batch(&rep.Visitors, `delete from visitors where id in (
				select v.id from visitors v where v.site_id = $1 and v.last_seen_at < $2
				and not exists (select 1 from conversations c where c.visitor_id = v.id) limit $3)`, site.id, cutoff); err != nil {
				return rep, err
			}
		}
		if d := ret.FileDays; d > 0 {
			cutoff := now.AddDate(0, 0, -d)
			if err := batch(&rep.Files, `delete from document_files where document_id in (
				select d.id from documents d join document_files f on f.document_id = d.id
				where d.site_id = $1 and d.updated_at < $2 and d.status in ('ready', 'failed') limit $3)`, site.id, cutoff); err != nil {
				return rep, err
			}
		}
	}
	if r.opts.AuditDays > 0 {
		cutoff := now.AddDate(0, 0, -r.opts.AuditDays)
		if err := batch(&rep.Audit, `delete from audit_log where id in (
			select id from audit_log where created_at < $1 limit $2)`, cutoff); err != nil {
			return rep, err
		}
	}
	if rep.total() > 0 {
		err := audit.New(r.db).Record(ctx, audit.Entry{Actor: audit.ActorSystem, Action: audit.RetentionPurge, Detail: map[string]any{
			"conversations": rep.Conversations, "messages": rep.Messages, "visitors": rep.Visitors,
			"files": rep.Files, "audit": rep.Audit}})
		if err != nil {
			return rep, err
		}
	}
	return rep, nil
}
