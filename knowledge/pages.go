package knowledge

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/jackc/pgx/v5"

	"kefu/knowledge/parse"
	"kefu/retrieval"
)

// Pages synced from the web (package sources) are ordinary documents: their
// source is the page's URL and their chunks are searched like any other.
// They differ from uploads in how they are stored: a sync prepares each
// page (parse, chunk, embed) outside any transaction, then stores all of a
// run's pages in one transaction of its own, so searches see every page of
// a run old or every page new, and a node dying mid-run changes nothing.

// PreparedPage is a web page parsed, chunked and embedded, ready for StorePage.
type PreparedPage struct {
	Source   string // the page's URL
	Title    string
	Checksum string // TextChecksum of its text
	Size     int    // bytes of the main content's HTML
	chunks   []retrieval.ChunkInput
	vectors  [][]float32
}

// ParsePage parses a page's main content (HTML). It returns an error wrapping
// ErrInvalid when the page has no text.
func ParsePage(html []byte) (*parse.Document, error) {
	return parseDocument("page.html", html)
}

// TextChecksum identifies a parsed page's content: two pages with the same
// title and text have the same checksum, whatever their markup.
func TextChecksum(p *parse.Document) string {
	sum := sha256.Sum256([]byte(p.Title + "\x00" + p.Text))
	return hex.EncodeToString(sum[:])
}

// PreparePage chunks and embeds a parsed page. It touches no table.
func (l *Library) PreparePage(ctx context.Context, source string, p *parse.Document, size int) (*PreparedPage, error) {
	chunks := ChunkDocument(p, l.chunk)
	if len(chunks) == 0 {
		return nil, fmt.Errorf("no text found on the page: %w", ErrInvalid)
	}
	out := &PreparedPage{Source: source, Title: p.Title, Checksum: TextChecksum(p), Size: size,
		chunks: make([]retrieval.ChunkInput, len(chunks))}
	if out.Title == "" {
		out.Title = source
	}
	texts := make([]string, len(chunks))
	for i, c := range chunks {
		out.chunks[i] = retrieval.ChunkInput{Heading: c.Heading, Text: c.Text, Source: source, Start: c.Start, End: c.End}
		if c.Row > 0 {
			out.chunks[i].Source += "#" + strconv.Itoa(c.Row)
		}
		texts[i] = retrieval.EmbedText(out.chunks[i])
	}
	vectors, err := l.index.Embed(ctx, texts, nil)
	if err != nil {
		return nil, fmt.Errorf("embed %s: %w", source, err)
	}
	out.vectors = vectors
	return out, nil
}

// Chunks is how many chunks the page has.
func (p *PreparedPage) Chunks() int { return len(p.chunks) }

// StorePages stores pages as siteID's documents whose sources are their
// URLs, inside tx: new documents, or existing ones with their chunks
// replaced (all pages' chunks in one statement). It returns the documents'
// ids in the order of pages; two pages must not share a source.
func (l *Library) StorePages(ctx context.Context, tx pgx.Tx, siteID int64, pages []*PreparedPage) ([]int64, error) {
	if len(pages) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(pages))
	batch := make([]retrieval.DocumentChunks, len(pages))
	for i, p := range pages {
		err := tx.QueryRow(ctx, `insert into documents (site_id, title, source, content_type, checksum, size_bytes, status, progress, chunks)
			values ($1, $2, $3, 'html', $4, $5, 'ready', 1, $6)
			on conflict (site_id, source) do update set title = excluded.title, content_type = 'html', checksum = excluded.checksum,
				size_bytes = excluded.size_bytes, status = 'ready', error = '', progress = 1, chunks = excluded.chunks, updated_at = now()
			returning id`, siteID, p.Title, p.Source, p.Checksum, p.Size, len(p.chunks)).Scan(&ids[i])
		if err != nil {
			return nil, fmt.Errorf("store page %s: %w", p.Source, err)
		}
		batch[i] = retrieval.DocumentChunks{DocID: ids[i], Chunks: p.chunks, Vectors: p.vectors}
	}
	// An upload that once had one of these names is superseded: its raw file goes.
	if _, err := tx.Exec(ctx, "delete from document_files where document_id = any($1)", ids); err != nil {
		return nil, fmt.Errorf("store pages: %w", err)
	}
	if err := l.index.ReplaceMany(ctx, tx, siteID, batch); err != nil {
		return nil, fmt.Errorf("store pages: %w", err)
	}
	what := "synced " + pages[0].Source
	if len(pages) > 1 {
		what += fmt.Sprintf(" and %d more pages", len(pages)-1)
	}
	if err := recordChange(ctx, tx, siteID, what); err != nil {
		return nil, err
	}
	return ids, nil
}

// DocumentByChecksum returns the id of siteID's ready document with checksum
// other than one whose source is except, or 0 (pages with the same content
// are stored once).
func (l *Library) DocumentByChecksum(ctx context.Context, siteID int64, checksum, except string) (int64, error) {
	var id int64
	err := l.db.QueryRow(ctx, `select id from documents where site_id = $1 and checksum = $2 and source <> $3 and status = 'ready'
		order by id limit 1`, siteID, checksum, except).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("look up document by checksum: %w", err)
	}
	return id, nil
}

// DeleteIn removes siteID's documents ids, and their chunks, inside tx.
func (l *Library) DeleteIn(ctx context.Context, tx pgx.Tx, siteID int64, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, "delete from documents where site_id = $1 and id = any($2)", siteID, ids); err != nil {
		return fmt.Errorf("delete documents: %w", err)
	}
	return recordChange(ctx, tx, siteID, fmt.Sprintf("removed %d synced pages", len(ids)))
}

// LockSite serialises writers of siteID's documents inside tx (the same
// lock Add takes), so a sync and an upload of the same content cannot both
// store it.
func LockSite(ctx context.Context, tx pgx.Tx, siteID int64) error {
	_, err := tx.Exec(ctx, "select pg_advisory_xact_lock(hashtext('kefu.documents.add'), $1::int)", siteID%(1<<31))
	if err != nil {
		return fmt.Errorf("lock site documents: %w", err)
	}
	return nil
}

// PassageURL links to a passage of a web page: the page's URL with a text
// fragment (#:~:text=…) naming the passage's first words, which browsers
// that support it scroll to and highlight; others open the page. Sources
// that are not http(s) URLs come back unchanged.
func PassageURL(source, passage string) string {
	if !strings.HasPrefix(source, "https://") && !strings.HasPrefix(source, "http://") {
		return source
	}
	if i := strings.IndexByte(source, '#'); i >= 0 {
		source = source[:i]
	}
	line, _, _ := strings.Cut(strings.TrimSpace(passage), "\n")
	// Words as the page shows them: no list marker or table bar the parser
	// added, at most six words or 40 characters.
	line = strings.TrimLeftFunc(line, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	words := strings.Fields(line)
	if len(words) > 6 {
		words = words[:6]
	}
	quote := []rune(strings.Join(words, " "))
	if len(quote) > 40 {
		quote = quote[:40]
	}
	text := strings.TrimRightFunc(string(quote), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	if text == "" || strings.Contains(text, "|") {
		return source
	}
	var b strings.Builder
	for _, c := range []byte(text) {
		// Unreserved characters stay; everything else, including the
		// text directive's own "-", "&" and ",", is escaped.
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return source + "#:~:text=" + b.String()
}
