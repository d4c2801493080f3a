package knowledge

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"kefu/retrieval"
)

// SiteSynonym is one line of a site's own search vocabulary.
type SiteSynonym struct {
	ID int64 `json:"id"`
	retrieval.Synonym
	CreatedAt time.Time `json:"created_at"`
}

// MaxSynonyms bounds a site's own vocabulary.
const MaxSynonyms = 500

// Synonyms returns the site's own vocabulary, oldest first.
func (l *Library) Synonyms(ctx context.Context, siteID int64) ([]SiteSynonym, error) {
	rows, err := l.db.Query(ctx, `select id, phrases, terms, created_at from knowledge_synonyms where site_id = $1 order by id`, siteID)
	if err != nil {
		return nil, fmt.Errorf("list synonyms: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (SiteSynonym, error) {
		var s SiteSynonym
		err := r.Scan(&s.ID, &s.Phrases, &s.Terms, &s.CreatedAt)
		return s, err
	})
	if err != nil {
		return nil, fmt.Errorf("list synonyms: %w", err)
	}
	return out, nil
}

// AddSynonym adds a line "phrase, phrase => term, term" to the site's
// vocabulary; a malformed line is an error wrapping ErrInvalid.
func (l *Library) AddSynonym(ctx context.Context, siteID int64, line string) (*SiteSynonym, error) {
	syn, err := retrieval.ParseSynonym(line)
	if err != nil {
		return nil, fmt.Errorf("synonym %q: %v: %w", line, err, ErrInvalid)
	}
	s := &SiteSynonym{Synonym: syn}
	err = pgx.BeginFunc(ctx, l.db, func(tx pgx.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, "select count(*) from knowledge_synonyms where site_id = $1", siteID).Scan(&n); err != nil {
			return err
		}
		if n >= MaxSynonyms {
			return fmt.Errorf("a site keeps at most %d synonym lines: %w", MaxSynonyms, ErrInvalid)
		}
		return tx.QueryRow(ctx, `insert into knowledge_synonyms (site_id, phrases, terms) values ($1, $2, $3) returning id, created_at`,
			siteID, syn.Phrases, syn.Terms).Scan(&s.ID, &s.CreatedAt)
	})
	if err != nil {
		if errors.Is(err, ErrInvalid) {
			return nil, err
		}
		return nil, fmt.Errorf("add synonym: %w", err)
	}
	l.vocab.forget(siteID)
	l.changed(ctx, siteID, "synonyms: "+syn.String())
	return s, nil
}

// DeleteSynonym removes a line of the site's vocabulary.
func (l *Library) DeleteSynonym(ctx context.Context, siteID, id int64) (*SiteSynonym, error) {
	s := &SiteSynonym{ID: id}
	err := l.db.QueryRow(ctx, `delete from knowledge_synonyms where site_id = $1 and id = $2 returning phrases, terms, created_at`,
		siteID, id).Scan(&s.Phrases, &s.Terms, &s.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("synonym %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("delete synonym: %w", err)
	}
	l.vocab.forget(siteID)
	l.changed(ctx, siteID, "synonyms: removed "+s.Synonym.String())
	return s, nil
}

// vocabTTL is how long a node reuses a site's vocabulary: another node's
// change applies here within it (this node's own changes at once).
const vocabTTL = 15 * time.Second

type vocabCache struct {
	mu    sync.Mutex
	sites map[int64]vocabEntry
}

type vocabEntry struct {
	v  *retrieval.Vocabulary
	at time.Time
}

func (c *vocabCache) forget(siteID int64) {
	c.mu.Lock()
	delete(c.sites, siteID)
	c.mu.Unlock()
}

// Vocabulary is the site's search vocabulary: the built-in one plus the
// site's own lines.
func (l *Library) Vocabulary(ctx context.Context, siteID int64) (*retrieval.Vocabulary, error) {
	l.vocab.mu.Lock()
	e, ok := l.vocab.sites[siteID]
	l.vocab.mu.Unlock()
	if ok && time.Since(e.at) < vocabTTL {
		return e.v, nil
	}
	own, err := l.Synonyms(ctx, siteID)
	if err != nil {
		return nil, err
	}
	syns := make([]retrieval.Synonym, len(own))
	for i, s := range own {
		syns[i] = s.Synonym
	}
	v := retrieval.BuiltinVocabulary().With(syns)
	l.vocab.mu.Lock()
	if l.vocab.sites == nil {
		l.vocab.sites = map[int64]vocabEntry{}
	}
	if len(l.vocab.sites) > 10000 {
		clear(l.vocab.sites)
	}
	l.vocab.sites[siteID] = vocabEntry{v: v, at: time.Now()}
	l.vocab.mu.Unlock()
	return v, nil
}

// changed records that siteID's knowledge changed (a document ingested or
// deleted, the vocabulary edited): answer tests run after it.
func (l *Library) changed(ctx context.Context, siteID int64, what string) {
	if err := recordChange(ctx, l.db, siteID, what); err != nil {
		l.logger.Warn("record knowledge change", "site", siteID, "error", err)
	}
}

// execer runs a statement: the pool, or a transaction.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

func recordChange(ctx context.Context, db execer, siteID int64, what string) error {
	_, err := db.Exec(ctx, `insert into knowledge_changes (site_id, changed_at, what) values ($1, now(), $2)
		on conflict (site_id) do update set changed_at = now(), what = excluded.what`, siteID, what)
	if err != nil {
		return fmt.Errorf("record knowledge change: %w", err)
	}
	return nil
}

// LastChange returns when siteID's knowledge last changed and what changed
// (zero time when never).
func (l *Library) LastChange(ctx context.Context, siteID int64) (time.Time, string, error) {
	var at time.Time
	var what string
	err := l.db.QueryRow(ctx, "select changed_at, what from knowledge_changes where site_id = $1", siteID).Scan(&at, &what)
	if errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, "", nil
	}
	if err != nil {
		return time.Time{}, "", fmt.Errorf("last knowledge change: %w", err)
	}
	return at, what, nil
}
