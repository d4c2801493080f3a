package intents

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Limits on custom examples (the table checks them too).
const (
	MaxExampleLength   = 1000 // characters
	MaxExamplesPerSite = 20000
)

// labelRe is what an intent label may be: letters (any script, any case)
// and digits, then also _ . : / -, at most 64 characters. Labels are stored
// and returned exactly as given.
var labelRe = regexp.MustCompile(`^[\p{L}\p{N}][\p{L}\p{N}_.:/-]{0,63}$`)

// IntentCount is a site's intent with its number of custom examples.
type IntentCount struct {
	Label    string `json:"label"`
	Examples int    `json:"examples"`
	Builtin  bool   `json:"builtin"` // the label is also a built-in intent
}

// Store keeps the custom intent examples of each site (table
// intent_examples).
type Store struct{ db *pgxpool.Pool }

// NewStore returns the store on db.
func NewStore(db *pgxpool.Pool) *Store { return &Store{db: db} }

// CleanExample normalizes one custom example: trimmed text and label, with
// oos read as Other (any other label is kept as given, case included). It
// returns an error wrapping ErrBadData for an empty or too long text or a
// label that is not letters and digits (with _ . : / - after the first),
// at most 64 characters.
func CleanExample(ex Example) (Example, error) {
	ex.Text = strings.TrimSpace(ex.Text)
	ex.Label = normalizeIntent(ex.Label)
	switch {
	case ex.Text == "":
		return ex, fmt.Errorf("empty example text: %w", ErrBadData)
	case utf8.RuneCountInString(ex.Text) > MaxExampleLength:
		return ex, fmt.Errorf("example longer than %d characters: %w", MaxExampleLength, ErrBadData)
	case !utf8.ValidString(ex.Text):
		return ex, fmt.Errorf("example is not UTF-8: %w", ErrBadData)
	case !labelRe.MatchString(ex.Label):
		return ex, fmt.Errorf("intent name %q must be letters and digits, with _ . : / - after the first character, at most 64: %w", ex.Label, ErrBadData)
	}
	return ex, nil
}

// AddExamples stores examples for the site, all or nothing, skipping ones it
// already has, and returns how many were new. Invalid examples (see
// CleanExample) or more than MaxExamplesPerSite in total are an error
// wrapping ErrBadData, and nothing is stored.
func (s *Store) AddExamples(ctx context.Context, siteID int64, examples []Example) (int, error) {
	clean := make([]Example, len(examples))
	for i, ex := range examples {
		c, err := CleanExample(ex)
		if err != nil {
			return 0, fmt.Errorf("example %d: %w", i+1, err)
		}
		clean[i] = c
	}
	tx, err := s.db.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("add intent examples: %w", err)
	}
	defer tx.Rollback(ctx)
	var batch pgx.Batch
	for _, ex := range clean {
		batch.Queue(`insert into intent_examples (site_id, label, text) values ($1, $2, $3)
			on conflict (site_id, label, text) do nothing`, siteID, ex.Label, ex.Text)
	}
	results := tx.SendBatch(ctx, &batch)
	added := 0
	for range clean {
		tag, err := results.Exec()
		if err != nil {
			results.Close()
			return 0, fmt.Errorf("add intent examples: %w", err)
		}
		added += int(tag.RowsAffected())
	}
	if err := results.Close(); err != nil {
		return 0, fmt.Errorf("add intent examples: %w", err)
	}
	var total int
	if err := tx.QueryRow(ctx, `select count(*) from intent_examples where site_id = $1`, siteID).Scan(&total); err != nil {
		return 0, fmt.Errorf("add intent examples: %w", err)
	}
	if total > MaxExamplesPerSite {
		return 0, fmt.Errorf("a site may have at most %d custom examples (this would make %d): %w", MaxExamplesPerSite, total, ErrBadData)
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, fmt.Errorf("add intent examples: %w", err)
	}
	return added, nil
}

// Examples returns the site's custom examples, oldest first.
func (s *Store) Examples(ctx context.Context, siteID int64) ([]Example, error) {
	rows, err := s.db.Query(ctx, `select text, label from intent_examples where site_id = $1 order by id`, siteID)
	if err != nil {
		return nil, fmt.Errorf("load intent examples: %w", err)
	}
	exs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Example, error) {
		var ex Example
		err := r.Scan(&ex.Text, &ex.Label)
		return ex, err
	})
	if err != nil {
		return nil, fmt.Errorf("load intent examples: %w", err)
	}
	return exs, nil
}

// Intents lists the site's custom intent labels with their example counts.
func (s *Store) Intents(ctx context.Context, siteID int64) ([]IntentCount, error) {
	rows, err := s.db.Query(ctx, `select label, count(*) from intent_examples where site_id = $1 group by label order by label collate "C"`, siteID)
	if err != nil {
		return nil, fmt.Errorf("list intents: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (IntentCount, error) {
		var c IntentCount
		err := r.Scan(&c.Label, &c.Examples)
		c.Builtin = IsBuiltinIntent(c.Label)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("list intents: %w", err)
	}
	return list, nil
}

// DeleteIntent removes all of the site's custom examples for label and
// returns how many there were.
func (s *Store) DeleteIntent(ctx context.Context, siteID int64, label string) (int, error) {
	tag, err := s.db.Exec(ctx, `delete from intent_examples where site_id = $1 and label = $2`, siteID, normalizeIntent(label))
	if err != nil {
		return 0, fmt.Errorf("delete intent: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// SitesWithExamples returns the ids of the sites that have custom examples.
func (s *Store) SitesWithExamples(ctx context.Context) ([]int64, error) {
	rows, err := s.db.Query(ctx, `select distinct site_id from intent_examples order by site_id`)
	if err != nil {
		return nil, fmt.Errorf("list sites with intents: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("list sites with intents: %w", err)
	}
	return ids, nil
}
