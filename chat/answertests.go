package chat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"kefu/internal/sites"
	"kefu/internal/webhook"
	"kefu/retrieval"
)

// Answer tests are questions a shop keeps with the facts a right answer
// must contain ("How long do I have to return something?" → "30 days").
// They run in the background after each knowledge change and on request;
// each run keeps its results, so the console can say what regressed ("3
// questions that passed before fail since you uploaded X").

// AnswerTest is one test question.
type AnswerTest struct {
	ID        int64     `json:"id"`
	SiteID    int64     `json:"site_id"`
	Question  string    `json:"question"`
	Context   []string  `json:"context"`
	Customer  string    `json:"customer,omitempty"`
	Facts     []Fact    `json:"facts"`
	CreatedAt time.Time `json:"created_at"`
	// Last is the test's result in the site's latest run (nil before any).
	Last *AnswerTestResult `json:"last,omitempty"`
}

// AnswerTestResult is how the bot did on a test in one run.
type AnswerTestResult struct {
	TestID   int64    `json:"test_id"`
	Question string   `json:"question,omitempty"`
	Passed   bool     `json:"passed"`
	Verdict  string   `json:"verdict"` // pass, wrong, declined
	Reply    string   `json:"reply"`
	Source   string   `json:"source,omitempty"`
	Missing  []string `json:"missing"`
	// FoundIn are, for a failed test, the knowledge passages ("faq.md ›
	// Shipping") that state every fact: none means the knowledge lacks
	// them; some means the bot did not find or choose them.
	FoundIn []string `json:"found_in"`
}

// AnswerTestRun is one run of a site's tests.
type AnswerTestRun struct {
	ID         int64              `json:"id"`
	SiteID     int64              `json:"site_id"`
	Reason     string             `json:"reason"`
	StartedAt  time.Time          `json:"started_at"`
	FinishedAt *time.Time         `json:"finished_at,omitempty"`
	Passed     int                `json:"passed"`
	Failed     int                `json:"failed"`
	Results    []AnswerTestResult `json:"results,omitempty"`
	// Regressed are the tests that passed in the run before and fail in
	// this one.
	Regressed []AnswerTestResult `json:"regressed"`
}

// Limits of answer tests.
const (
	MaxAnswerTests   = 500
	maxTestFacts     = 10
	maxTestFactChars = 200
)

// AnswerTests keeps and runs a site's answer tests.
type AnswerTests struct {
	db     *pgxpool.Pool
	engine *Engine
	logger *slog.Logger
}

// NewAnswerTests returns the answer tests on db, answered by engine.
func NewAnswerTests(db *pgxpool.Pool, engine *Engine, logger *slog.Logger) *AnswerTests {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &AnswerTests{db: db, engine: engine, logger: logger}
}

// validate checks a test; errors wrap ErrInvalid.
func (t *AnswerTest) validate() error {
	t.Question = strings.TrimSpace(t.Question)
	switch {
	case t.Question == "" || utf8.RuneCountInString(t.Question) > MaxMessageLength:
		return fmt.Errorf("a test question needs 1 to %d characters: %w", MaxMessageLength, ErrInvalid)
	case len(t.Facts) == 0 || len(t.Facts) > maxTestFacts:
		return fmt.Errorf("a test needs 1 to %d facts a right answer contains: %w", maxTestFacts, ErrInvalid)
	case len(t.Context) > 5:
		return fmt.Errorf("at most 5 earlier messages: %w", ErrInvalid)
	}
	for _, f := range t.Facts {
		if len(f) == 0 {
			return fmt.Errorf("a fact needs at least one wording: %w", ErrInvalid)
		}
		for _, w := range f {
			if strings.TrimSpace(w) == "" || utf8.RuneCountInString(w) > maxTestFactChars {
				return fmt.Errorf("a fact's wording needs 1 to %d characters: %w", maxTestFactChars, ErrInvalid)
			}
		}
	}
	for _, c := range t.Context {
		if utf8.RuneCountInString(c) > MaxMessageLength {
			return fmt.Errorf("an earlier message longer than %d characters: %w", MaxMessageLength, ErrInvalid)
		}
	}
	if t.Context == nil {
		t.Context = []string{}
	}
	return nil
}

// Add stores a test for siteID.
func (a *AnswerTests) Add(ctx context.Context, siteID int64, t AnswerTest) (*AnswerTest, error) {
	if err := t.validate(); err != nil {
		return nil, err
	}
	t.SiteID = siteID
	err := pgx.BeginFunc(ctx, a.db, func(tx pgx.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, "select count(*) from answer_tests where site_id = $1", siteID).Scan(&n); err != nil {
			return err
		}
		if n >= MaxAnswerTests {
			return fmt.Errorf("a site keeps at most %d answer tests: %w", MaxAnswerTests, ErrInvalid)
		}
		return tx.QueryRow(ctx, `insert into answer_tests (site_id, question, context, customer, facts) values ($1, $2, $3, $4, $5)
			returning id, created_at`, siteID, t.Question, t.Context, t.Customer, t.Facts).Scan(&t.ID, &t.CreatedAt)
	})
	if err != nil {
		if errors.Is(err, ErrInvalid) {
			return nil, err
		}
		return nil, fmt.Errorf("add answer test: %w", err)
	}
	return &t, nil
}

// Delete removes a test of siteID.
func (a *AnswerTests) Delete(ctx context.Context, siteID, id int64) error {
	tag, err := a.db.Exec(ctx, "delete from answer_tests where site_id = $1 and id = $2", siteID, id)
	if err != nil {
		return fmt.Errorf("delete answer test: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("answer test %d: %w", id, ErrNotFound)
	}
	return nil
}

// List returns siteID's tests, each with its result in the latest run.
func (a *AnswerTests) List(ctx context.Context, siteID int64) ([]AnswerTest, error) {
	rows, err := a.db.Query(ctx, `select t.id, t.site_id, t.question, t.context, t.customer, t.facts, t.created_at,
			r.passed, r.verdict, r.reply, r.source, r.missing, r.found_in
		from answer_tests t
		left join answer_test_results r on r.test_id = t.id and r.run_id =
			(select max(id) from answer_test_runs where site_id = t.site_id and finished_at is not null)
		where t.site_id = $1 order by t.id`, siteID)
	if err != nil {
		return nil, fmt.Errorf("list answer tests: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (AnswerTest, error) {
		var t AnswerTest
		var passed *bool
		var verdict, reply, source *string
		var missing, foundIn []string
		err := r.Scan(&t.ID, &t.SiteID, &t.Question, &t.Context, &t.Customer, &t.Facts, &t.CreatedAt, &passed, &verdict, &reply, &source, &missing, &foundIn)
		if passed != nil {
			t.Last = &AnswerTestResult{TestID: t.ID, Passed: *passed, Verdict: *verdict, Reply: *reply, Source: *source, Missing: missing, FoundIn: foundIn}
			t.Last.ensureLists()
		}
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("list answer tests: %w", err)
	}
	if out == nil {
		out = []AnswerTest{}
	}
	return out, nil
}

// Judge asks the bot a test's question and says whether the answer states
// every fact.
func (a *AnswerTests) Judge(ctx context.Context, site *sites.Site, t AnswerTest) (AnswerTestResult, error) {
	res, err := a.engine.Ask(ctx, site, AskRequest{Text: t.Question, Context: t.Context, Customer: t.Customer})
	if err != nil {
		return AnswerTestResult{}, err
	}
	r := AnswerTestResult{TestID: t.ID, Question: t.Question, Reply: res.Reply, Missing: []string{}, FoundIn: []string{}}
	if len(res.Citations) > 0 {
		r.Source = res.Citations[0].Source
	}
	text := res.Reply
	for _, p := range res.Products {
		text += fmt.Sprintf("\n%s %.2f %s", p.Title, p.Price, p.Currency)
	}
	for _, f := range MissingFacts(text, t.Facts) {
		r.Missing = append(r.Missing, f.String())
	}
	switch {
	case !res.Answered:
		r.Verdict = "declined"
	case len(r.Missing) > 0:
		r.Verdict = "wrong"
	default:
		r.Verdict, r.Passed = "pass", true
	}
	if !r.Passed {
		r.FoundIn = a.factSources(ctx, site, t)
	}
	return r, nil
}

// factSources are the knowledge passages of site that state every fact of
// t (at most maxFoundIn, as "source › heading"): searched with the
// question and the facts' wordings, so a passage that has them is found
// however the bot ranked it for the question alone.
func (a *AnswerTests) factSources(ctx context.Context, site *sites.Site, t AnswerTest) []string {
	out := []string{}
	lib := a.engine.opts.Library
	if lib == nil {
		return out
	}
	q := t.Question
	for _, f := range t.Facts {
		q += "\n" + strings.Join(f, " ")
	}
	res, err := lib.Find(ctx, site.ID, retrieval.Query{Text: q}, factSearchDepth)
	if err != nil {
		a.logger.Warn("answer test fact sources", "site", site.ID, "test", t.ID, "error", err)
		return out
	}
	for _, h := range res.Hits {
		if len(MissingFacts(h.Heading+"\n"+h.Text, t.Facts)) > 0 {
			continue
		}
		where := h.Source
		if head := lastHeading(h.Heading); head != "" {
			where += " › " + head
		}
		if !slices.Contains(out, where) {
			out = append(out, where)
		}
		if len(out) == maxFoundIn {
			break
		}
	}
	return out
}

// factSearchDepth is how many passages are searched for a failed test's
// facts; maxFoundIn how many of those that state them are named.
const (
	factSearchDepth = 20
	maxFoundIn      = 3
)

// ensureLists makes nil lists empty, for JSON.
func (r *AnswerTestResult) ensureLists() {
	if r.Missing == nil {
		r.Missing = []string{}
	}
	if r.FoundIn == nil {
		r.FoundIn = []string{}
	}
}

// Run runs every test of site now and stores the run; reason says why
// ("manual", or the knowledge change that started it).
func (a *AnswerTests) Run(ctx context.Context, site *sites.Site, reason string) (*AnswerTestRun, error) {
	tests, err := a.List(ctx, site.ID)
	if err != nil {
		return nil, err
	}
	run := &AnswerTestRun{SiteID: site.ID, Reason: reason}
	if err := a.db.QueryRow(ctx, `insert into answer_test_runs (site_id, reason) values ($1, $2) returning id, started_at`,
		site.ID, reason).Scan(&run.ID, &run.StartedAt); err != nil {
		return nil, fmt.Errorf("start answer test run: %w", err)
	}
	for _, t := range tests {
		r, err := a.Judge(ctx, site, t)
		if err != nil {
			return nil, fmt.Errorf("answer test %d: %w", t.ID, err)
		}
		if r.Passed {
			run.Passed++
		} else {
			run.Failed++
		}
		run.Results = append(run.Results, r)
	}
	err = pgx.BeginFunc(ctx, a.db, func(tx pgx.Tx) error {
		for _, r := range run.Results {
			if _, err := tx.Exec(ctx, `insert into answer_test_results (run_id, test_id, passed, verdict, reply, source, missing, found_in)
				values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict do nothing`, run.ID, r.TestID, r.Passed, r.Verdict, r.Reply, r.Source, r.Missing, r.FoundIn); err != nil {
				return err
			}
		}
		if err := tx.QueryRow(ctx, `update answer_test_runs set finished_at = now(), passed = $2, failed = $3 where id = $1 returning finished_at`,
			run.ID, run.Passed, run.Failed).Scan(&run.FinishedAt); err != nil {
			return err
		}
		if run.Regressed, err = a.regressed(ctx, tx, run); err != nil {
			return err
		}
		return a.regressedEvent(ctx, tx, run)
	})
	if err != nil {
		return nil, fmt.Errorf("store answer test run: %w", err)
	}
	if run.Results == nil {
		run.Results = []AnswerTestResult{}
	}
	a.logger.Info("answer tests ran", "site", site.ID, "reason", reason, "passed", run.Passed, "failed", run.Failed, "regressed", len(run.Regressed))
	return run, nil
}

// regressed are the tests that passed in the finished run before run and
// fail in run.
func (a *AnswerTests) regressed(ctx context.Context, q querier, run *AnswerTestRun) ([]AnswerTestResult, error) {
	rows, err := q.Query(ctx, `select r.test_id from answer_test_results r
		join answer_test_results p on p.test_id = r.test_id and p.passed
			and p.run_id = (select max(id) from answer_test_runs where site_id = $2 and id < $1 and finished_at is not null)
		where r.run_id = $1 and not r.passed`, run.ID, run.SiteID)
	if err != nil {
		return nil, fmt.Errorf("compare answer test runs: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("compare answer test runs: %w", err)
	}
	out := []AnswerTestResult{}
	for _, id := range ids {
		for _, r := range run.Results {
			if r.TestID == id {
				out = append(out, r)
			}
		}
	}
	return out, nil
}

// regressedEvent records answer_tests.regressed (webhooks) when the run
// has regressions, in tx.
func (a *AnswerTests) regressedEvent(ctx context.Context, tx pgx.Tx, run *AnswerTestRun) error {
	if len(run.Regressed) == 0 || a.engine == nil || a.engine.opts.Store == nil {
		return nil
	}
	type test struct {
		TestID   int64    `json:"test_id"`
		Question string   `json:"question"`
		Reply    string   `json:"reply"`
		Missing  []string `json:"missing"`
	}
	tests := make([]test, len(run.Regressed))
	for i, r := range run.Regressed {
		tests[i] = test{TestID: r.TestID, Question: r.Question, Reply: r.Reply, Missing: r.Missing}
	}
	return a.engine.opts.Store.emit(ctx, tx, webhook.Event{Type: webhook.AnswerTestsRegressed, SiteID: run.SiteID,
		Data: map[string]any{"run_id": run.ID, "reason": run.Reason, "passed": run.Passed, "failed": run.Failed, "regressed": tests}})
}

// LatestRun returns siteID's latest finished run with its results and
// regressions (ErrNotFound before the first).
func (a *AnswerTests) LatestRun(ctx context.Context, siteID int64) (*AnswerTestRun, error) {
	run := &AnswerTestRun{SiteID: siteID}
	err := a.db.QueryRow(ctx, `select id, reason, started_at, finished_at, passed, failed from answer_test_runs
		where site_id = $1 and finished_at is not null order by id desc limit 1`, siteID).
		Scan(&run.ID, &run.Reason, &run.StartedAt, &run.FinishedAt, &run.Passed, &run.Failed)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("answer test runs of site %d: %w", siteID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("latest answer test run: %w", err)
	}
	rows, err := a.db.Query(ctx, `select r.test_id, t.question, r.passed, r.verdict, r.reply, r.source, r.missing, r.found_in
		from answer_test_results r join answer_tests t on t.id = r.test_id where r.run_id = $1 order by r.test_id`, run.ID)
	if err != nil {
		return nil, fmt.Errorf("latest answer test run: %w", err)
	}
	run.Results, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (AnswerTestResult, error) {
		var x AnswerTestResult
		err := r.Scan(&x.TestID, &x.Question, &x.Passed, &x.Verdict, &x.Reply, &x.Source, &x.Missing, &x.FoundIn)
		x.ensureLists()
		return x, err
	})
	if err != nil {
		return nil, fmt.Errorf("latest answer test run: %w", err)
	}
	if run.Regressed, err = a.regressed(ctx, a.db, run); err != nil {
		return nil, err
	}
	return run, nil
}

// KnowledgeChanges tells when a site's knowledge last changed and what
// changed (a document's name); *knowledge.Library is one.
type KnowledgeChanges interface {
	LastChange(ctx context.Context, siteID int64) (time.Time, string, error)
}

// Watch runs a site's tests after its knowledge changes (once the change
// has been quiet for settle), until ctx ends. Every node may run it: a
// site's run is claimed with an advisory lock, and a change already tested
// is not tested again.
func (a *AnswerTests) Watch(ctx context.Context, changes KnowledgeChanges, every, settle time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := a.runChanged(ctx, changes, settle); err != nil && ctx.Err() == nil {
			a.logger.Error("answer tests after knowledge changes", "error", err)
		}
	}
}

// runChanged runs the tests of each site whose knowledge changed after its
// latest run started.
func (a *AnswerTests) runChanged(ctx context.Context, changes KnowledgeChanges, settle time.Duration) error {
	rows, err := a.db.Query(ctx, `select distinct t.site_id, coalesce((select max(started_at) from answer_test_runs r where r.site_id = t.site_id), 'epoch')
		from answer_tests t`)
	if err != nil {
		return fmt.Errorf("sites with answer tests: %w", err)
	}
	type site struct {
		ID   int64
		Last time.Time
	}
	sites, err := pgx.CollectRows(rows, pgx.RowToStructByPos[site])
	if err != nil {
		return fmt.Errorf("sites with answer tests: %w", err)
	}
	for _, s := range sites {
		at, what, err := changes.LastChange(ctx, s.ID)
		if err != nil {
			return err
		}
		if at.IsZero() || !at.After(s.Last) || time.Since(at) < settle {
			continue
		}
		if err := a.claimAndRun(ctx, s.ID, s.Last, what); err != nil {
			return err
		}
	}
	return nil
}

// claimAndRun runs a site's tests under the site's advisory lock, unless
// another node ran them since last.
func (a *AnswerTests) claimAndRun(ctx context.Context, siteID int64, last time.Time, what string) error {
	conn, err := a.db.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	var got bool
	if err := conn.QueryRow(ctx, "select pg_try_advisory_lock(hashtext('kefu answer tests'), $1::int)", siteID).Scan(&got); err != nil || !got {
		return err
	}
	defer conn.Exec(context.WithoutCancel(ctx), "select pg_advisory_unlock(hashtext('kefu answer tests'), $1::int)", siteID)
	var newer bool
	if err := conn.QueryRow(ctx, "select exists (select 1 from answer_test_runs where site_id = $1 and started_at > $2)", siteID, last).Scan(&newer); err != nil || newer {
		return err
	}
	site, err := a.engine.opts.Sites.ByID(ctx, siteID)
	if err != nil {
		return err
	}
	reason := "knowledge changed"
	if what != "" {
		reason = "knowledge changed: " + what
	}
	_, err = a.Run(ctx, site, reason)
	return err
}
