package knowledge

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"kefu/retrieval"
)

// ProcessAll ingests queued documents until none is left (seeding, tools
// and tests; a server runs Run instead).
func (l *Library) ProcessAll(ctx context.Context) error {
	for {
		did, err := l.ProcessNext(ctx, nil)
		if err != nil || !did {
			return err
		}
	}
}

// ProcessNext ingests the oldest queued document, if there is one, and
// reports whether it took one. progress, when set, sees the document as its
// status and progress change. Any node may run it: documents are claimed
// with SKIP LOCKED, so each is ingested once.
func (l *Library) ProcessNext(ctx context.Context, progress func(Document)) (bool, error) {
	doc, err := scanDocument(l.db.QueryRow(ctx, `update documents set status = 'processing', progress = 0, updated_at = now()
		where id = (select id from documents where status = 'queued' order by id limit 1 for update skip locked)
		returning `+docColumns))
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("claim document: %w", err)
	}
	report := func() {
		if progress != nil {
			progress(*doc)
		}
	}
	report()
	var data []byte
	if err := l.db.QueryRow(ctx, "select data from document_files where document_id = $1", doc.ID).Scan(&data); err != nil {
		return true, l.fail(ctx, doc, fmt.Sprintf("uploaded file is missing: %v", err), report)
	}
	parsed, err := parseDocument(doc.Source, data)
	if err != nil {
		return true, l.fail(ctx, doc, err.Error(), report)
	}
	chunks := ChunkDocument(parsed, l.chunk)
	if len(chunks) == 0 {
		return true, l.fail(ctx, doc, "no text found in the document", report)
	}
	if parsed.Title != "" {
		doc.Title = parsed.Title
	}
	inputs := make([]retrieval.ChunkInput, len(chunks))
	texts := make([]string, len(chunks))
	for i, c := range chunks {
		src := doc.Source
		if c.Row > 0 {
			src += "#" + strconv.Itoa(c.Row)
		}
		inputs[i] = retrieval.ChunkInput{Heading: c.Heading, Text: c.Text, Source: src, Start: c.Start, End: c.End}
		texts[i] = retrieval.EmbedText(inputs[i])
	}
	lastReport := time.Now()
	vectors, err := l.index.Embed(ctx, texts, func(done, total int) {
		doc.Progress = 0.95 * float64(done) / float64(total)
		if time.Since(lastReport) > 500*time.Millisecond || done == total {
			lastReport = time.Now()
			l.db.Exec(ctx, "update documents set progress = $2, updated_at = now() where id = $1", doc.ID, doc.Progress)
			report()
		}
	})
	if err != nil {
		return true, l.fail(ctx, doc, err.Error(), report)
	}
	err = pgx.BeginFunc(ctx, l.db, func(tx pgx.Tx) error {
		// Only if nobody re-uploaded meanwhile: then the newer upload wins.
		tag, err := tx.Exec(ctx, `update documents set status = 'ready', progress = 1, chunks = $3, title = $4, error = '',
			content_type = $5, updated_at = now() where id = $1 and checksum = $2 and status = 'processing'`,
			doc.ID, doc.Checksum, len(chunks), doc.Title, parsed.ContentType)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		return l.index.Replace(ctx, tx, doc.SiteID, doc.ID, inputs, vectors)
	})
	if err != nil {
		return true, fmt.Errorf("store chunks of document %d: %w", doc.ID, err)
	}
	doc.Status, doc.Progress, doc.Chunks = StatusReady, 1, len(chunks)
	l.changed(ctx, doc.SiteID, doc.Source)
	report()
	l.logger.Info("document ingested", "id", doc.ID, "source", doc.Source, "chunks", len(chunks))
	return true, nil
}

// fail marks a document failed with a readable reason and removes anything
// of it from search.
func (l *Library) fail(ctx context.Context, doc *Document, reason string, report func()) error {
	err := pgx.BeginFunc(ctx, l.db, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `update documents set status = 'failed', error = $3, progress = 0, chunks = 0, updated_at = now()
			where id = $1 and checksum = $2 and status = 'processing'`, doc.ID, doc.Checksum, reason)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		return l.index.Replace(ctx, tx, doc.SiteID, doc.ID, nil, nil) // no chunks: out of search
	})
	if err != nil {
		return fmt.Errorf("mark document %d failed: %w", doc.ID, err)
	}
	doc.Status, doc.Error, doc.Progress = StatusFailed, reason, 0
	report()
	l.logger.Warn("document failed", "id", doc.ID, "source", doc.Source, "reason", reason)
	return nil
}

// Run ingests queued documents until ctx ends: at once after an Add on this
// node, and every few seconds for uploads that reached other nodes. A
// document left 'processing' by a node that died (no progress for
// staleAfter) is queued again by whichever node looks next.
func (l *Library) Run(ctx context.Context) {
	tick := time.NewTicker(3 * time.Second)
	defer tick.Stop()
	for {
		if err := l.requeueStale(ctx); err != nil && ctx.Err() == nil {
			l.logger.Error("requeue stale documents", "error", err)
		}
		if err := l.ProcessAll(ctx); err != nil && ctx.Err() == nil {
			l.logger.Error("ingest", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-l.wake:
		case <-tick.C:
		}
	}
}

// staleAfter is how long a document may stay 'processing' without progress
// before another node takes it over.
const staleAfter = 10 * time.Minute

func (l *Library) requeueStale(ctx context.Context) error {
	_, err := l.db.Exec(ctx, `update documents set status = 'queued'
		where status = 'processing' and updated_at < now() - $1::interval`, l.stale.String())
	return err
}
