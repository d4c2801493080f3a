package knowledge

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"kefu/internal/page"
	"kefu/knowledge/parse"
	"kefu/retrieval"
)

// Document statuses.
const (
	StatusQueued     = "queued"
	StatusProcessing = "processing"
	StatusReady      = "ready"
	StatusFailed     = "failed"
)

// Document is an uploaded knowledge document and where its ingestion stands.
type Document struct {
	ID          int64     `json:"id"`
	SiteID      int64     `json:"site_id"`
	Title       string    `json:"title"`
	Source      string    `json:"source"`
	ContentType string    `json:"content_type"`
	Checksum    string    `json:"checksum"`
	Size        int64     `json:"size_bytes"`
	Status      string    `json:"status"`
	Error       string    `json:"error"`
	Progress    float64   `json:"progress"`
	Chunks      int       `json:"chunks"`
	Duplicate   bool      `json:"duplicate,omitempty"` // Add found identical content already stored
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Library stores documents and ingests them into the search index.
type Library struct {
	db     *pgxpool.Pool
	index  *retrieval.Index
	logger *slog.Logger
	wake   chan struct{}
	chunk  ChunkOptions
	vocab  vocabCache
	stale  time.Duration // see staleAfter
}

// NewLibrary returns the document library on db, indexing into index.
func NewLibrary(db *pgxpool.Pool, index *retrieval.Index, logger *slog.Logger) *Library {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Library{db: db, index: index, logger: logger, wake: make(chan struct{}, 1), stale: staleAfter}
}

// SetStaleAfter sets how long a document may stay 'processing' without
// progress before Run queues it again (tests shorten it).
func (l *Library) SetStaleAfter(d time.Duration) { l.stale = d }

const docColumns = "id, site_id, title, source, content_type, checksum, size_bytes, status, error, progress, chunks, created_at, updated_at"

func scanDocument(row pgx.Row) (*Document, error) {
	var d Document
	var progress float32
	err := row.Scan(&d.ID, &d.SiteID, &d.Title, &d.Source, &d.ContentType, &d.Checksum, &d.Size, &d.Status, &d.Error,
		&progress, &d.Chunks, &d.CreatedAt, &d.UpdatedAt)
	d.Progress = float64(progress)
	return &d, err
}

// SourceName reduces an uploaded file name to a safe base name: no
// directories (path traversal is harmless), no control characters, bounded.
func SourceName(name string) string {
	name = strings.ReplaceAll(name, `\`, "/")
	name = path.Base(path.Clean("/" + name))
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, name)
	for len(name) > 200 {
		_, size := utf8.DecodeLastRuneInString(strings.TrimSuffix(name, filepath.Ext(name)))
		ext := filepath.Ext(name)
		name = name[:len(name)-len(ext)-size] + ext
	}
	if name == "/" || name == "." || name == "" {
		return "document"
	}
	return name
}

// Add stores an upload and queues it for ingestion. Identical content
// already in the site is not stored twice: Add returns that document with
// Duplicate set. A new upload under an existing source name replaces that
// document (its old chunks stay searchable until the new ones are ready).
// Unsupported types return ErrUnsupported and change nothing.
func (l *Library) Add(ctx context.Context, siteID int64, name string, data []byte) (*Document, error) {
	name = SourceName(name)
	ctype, err := contentTypeOf(name)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	checksum := hex.EncodeToString(sum[:])
	var doc *Document
	err = pgx.BeginFunc(ctx, l.db, func(tx pgx.Tx) error {
		// Serialise adds per site so two uploads of one file cannot both insert.
		if _, err := tx.Exec(ctx, "select pg_advisory_xact_lock(hashtext('kefu.documents.add'), $1::int)", siteID%(1<<31)); err != nil {
			return err
		}
		dup, err := scanDocument(tx.QueryRow(ctx, "select "+docColumns+" from documents where site_id = $1 and checksum = $2 order by id limit 1", siteID, checksum))
		if err == nil {
			dup.Duplicate = true
			doc = dup
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		doc, err = scanDocument(tx.QueryRow(ctx, `insert into documents (site_id, title, source, content_type, checksum, size_bytes)
			values ($1, $2, $3, $4, $5, $6)
			on conflict (site_id, source) do update set checksum = excluded.checksum, content_type = excluded.content_type,
				size_bytes = excluded.size_bytes, status = 'queued', error = '', progress = 0, updated_at = now()
			returning `+docColumns, siteID, strings.TrimSuffix(name, filepath.Ext(name)), name, ctype, checksum, len(data)))
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `insert into document_files (document_id, data) values ($1, $2)
			on conflict (document_id) do update set data = excluded.data`, doc.ID, data)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("add document %s: %w", name, err)
	}
	if !doc.Duplicate {
		select {
		case l.wake <- struct{}{}:
		default:
		}
	}
	return doc, nil
}

func contentTypeOf(name string) (string, error) {
	if ctype, ok := parse.ContentType(name); ok {
		return ctype, nil
	}
	return "", fmt.Errorf("%s: %w: %w", name, ErrUnsupported, ErrInvalid)
}

// Get returns a document of siteID (of any site when 0), or ErrNotFound.
func (l *Library) Get(ctx context.Context, siteID, id int64) (*Document, error) {
	d, err := scanDocument(l.db.QueryRow(ctx, "select "+docColumns+" from documents where ($1 = 0 or site_id = $1) and id = $2", siteID, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("document %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load document: %w", err)
	}
	return d, nil
}

// Page is one page of a list and the cursor of the next (empty at the end).
type Page[T any] = page.Page[T]

// List returns documents of siteID (all sites when 0) whose title or file
// name contains match (any when empty), newest first, limit per page,
// continuing after cursor.
func (l *Library) List(ctx context.Context, siteID int64, match, cursor string, limit int) (Page[Document], error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	before := int64(1<<63 - 1)
	if cursor != "" {
		c, err := strconv.ParseInt(cursor, 10, 64)
		if err != nil || c <= 0 {
			return Page[Document]{}, fmt.Errorf("cursor %q: %w", cursor, ErrInvalid)
		}
		before = c
	}
	like := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(strings.TrimSpace(match)) + "%"
	rows, err := l.db.Query(ctx, "select "+docColumns+` from documents where ($1 = 0 or site_id = $1) and id < $2
		and (title ilike $4 or source ilike $4) order by id desc limit $3`, siteID, before, limit+1, like)
	if err != nil {
		return Page[Document]{}, fmt.Errorf("list documents: %w", err)
	}
	docs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Document, error) {
		d, err := scanDocument(r)
		return *d, err
	})
	if err != nil {
		return Page[Document]{}, fmt.Errorf("list documents: %w", err)
	}
	page := Page[Document]{Items: docs}
	if len(docs) > limit {
		page.Items = docs[:limit]
		page.Next = strconv.FormatInt(docs[limit-1].ID, 10)
	}
	return page, nil
}

// Delete removes a document of siteID and, in the same statement, its chunks
// and vectors: it is gone from search at once.
func (l *Library) Delete(ctx context.Context, siteID, id int64) error {
	var source string
	err := l.db.QueryRow(ctx, "delete from documents where site_id = $1 and id = $2 returning source", siteID, id).Scan(&source)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("document %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("delete document %d: %w", id, err)
	}
	l.changed(ctx, siteID, "deleted "+source)
	return nil
}

// ExpireFiles deletes, in the caller's transaction, at most limit raw
// uploaded files of siteID's documents that are ingested (ready or failed)
// and unchanged since before; the documents' chunks stay searchable. It
// returns how many it deleted (privacy's retention job calls it).
func ExpireFiles(ctx context.Context, tx pgx.Tx, siteID int64, before time.Time, limit int) (int64, error) {
	tag, err := tx.Exec(ctx, `delete from document_files where document_id in (
		select d.id from documents d join document_files f on f.document_id = d.id
		where d.site_id = $1 and d.updated_at < $2 and d.status in ('ready', 'failed') limit $3)`, siteID, before, limit)
	if err != nil {
		return 0, fmt.Errorf("delete expired files: %w", err)
	}
	return tag.RowsAffected(), nil
}
