package knowledge_test

import (
	"bytes"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"kefu/internal/pgtest"
	"kefu/knowledge"
	"kefu/knowledge/parse"
	"kefu/retrieval"
)

// bombPDF writes a PDF of n pages, each showing text (a content stream,
// Flate-compressed when flate is set). brokenXref points every xref entry
// and startxref at the wrong offsets, as a truncated or hand-edited file has.
func bombPDF(n int, text func(page int) string, flate, brokenXref bool) []byte {
	var b bytes.Buffer
	offsets := []int{0}
	obj := func(body string) int {
		offsets = append(offsets, b.Len())
		id := len(offsets) - 1
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", id, body)
		return id
	}
	b.WriteString("%PDF-1.4\n")
	// Objects: 1 catalog, 2 pages, 3 font, then a page and its stream per page.
	kids := make([]string, n)
	for i := range n {
		kids[i] = fmt.Sprintf("%d 0 R", 4+2*i)
	}
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	obj(fmt.Sprintf("<< /Type /Pages /Count %d /Kids [%s] >>", n, strings.Join(kids, " ")))
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	for i := range n {
		obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>", 5+2*i))
		content := []byte(text(i))
		filter := ""
		if flate {
			var z bytes.Buffer
			w := zlib.NewWriter(&z)
			w.Write(content)
			w.Close()
			content, filter = z.Bytes(), " /Filter /FlateDecode"
		}
		offsets = append(offsets, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n<< /Length %d%s >>\nstream\n", len(offsets)-1, len(content), filter)
		b.Write(content)
		b.WriteString("\nendstream\nendobj\n")
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offsets))
	for _, off := range offsets[1:] {
		if brokenXref {
			off = off/2 + 7
		}
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	if brokenXref {
		xref -= 100
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets), xref)
	return b.Bytes()
}

// pageText gives each page different words at a different height, so the
// parser does not take them for a running header.
func pageText(i int) string {
	word := ""
	for n := i + 1; n > 0; n /= 26 {
		word += string(rune('a' + n%26))
	}
	return fmt.Sprintf("BT /F1 11 Tf 72 %d Td (Topic %s: page %d explains returns.) Tj ET", 700-(i%40)*12, word, i+1)
}

// bombCase is one hostile upload and what must become of it.
type bombCase struct {
	name      string
	file      string
	data      []byte
	wantReady bool   // else failed
	want      string // substring of the failure reason, or of the parsed text when ready
}

// TestUploadBombs uploads hostile files through the real ingestion path
// (Library.Add, then ProcessNext on real PostgreSQL). Each either fails
// with a readable reason or succeeds within the parser's bounds, and the
// documents table never holds a half-ingested document: a failed one has
// no chunks, a ready one has all of them. Time and allocation per file are
// logged (go test -v) for docs/reliability.md. Bigger versions run in make
// soak (bombs_soak_test.go).
//
// No parser kefu has expands archives (.docx, .zip, .epub are refused as
// unsupported) or XML entities (HTML has no DTDs; golang.org/x/net/html
// knows only the fixed entity table); the one decompressor is PDF's
// FlateDecode, bombed here.
func TestUploadBombs(t *testing.T) {
	deep := 100_000
	line := strings.Repeat("refund window thirty days ", 40_000) // 1 MB, no newline
	runBombs(t, []bombCase{
		{"html nested 100k levels", "nested.html", []byte(strings.Repeat("<div>", deep) + "<p>deep inside</p>" + strings.Repeat("</div>", deep)), false, "exceeds 512"},
		{"html 100k unclosed inline tags", "unclosed.html", []byte(strings.Repeat("<b><i><span>", deep/3) + "never closed"), false, "exceeds 512"},
		{"html nested 500 levels", "ok.html", []byte(strings.Repeat("<div>", 500) + "<p>deep inside</p>"), true, "deep inside"},
		{"text one 1 MB line", "line.txt", []byte(line), true, "refund window"},
		{"markdown 50k emphasis spans", "line.md", []byte("# Title\n\n" + strings.Repeat("*a* ", 50_000)), true, "a a a"},
		{"json FAQ nested 100k arrays", "faq.json", []byte(strings.Repeat("[", deep) + strings.Repeat("]", deep)), false, "max depth"},
		{"csv FAQ one 1 MB unterminated field", "faq.csv", []byte("question,answer\n\"" + line), false, "line 2"},
		{"pdf 2000 pages", "pages.pdf", bombPDF(2000, pageText, false, false), true, "page 2000 explains"},
		{"pdf 6000 pages", "toomany.pdf", bombPDF(6000, pageText, false, false), false, "more than 5000 pages"},
		{"pdf 3000 pages broken xref", "xref.pdf", bombPDF(3000, pageText, false, true), false, "corrupt PDF"},
		{"pdf flate bomb 8 MB of spaces", "spacebomb.pdf", bombPDF(1, func(int) string { return strings.Repeat(" ", 8<<20) }, true, false), false, "no text layer"},
	})
}

// runBombs ingests each case into a fresh database and checks its fate.
func runBombs(t *testing.T, cases []bombCase) {
	ctx := context.Background()
	db := pgtest.New(t)
	site := newSite(t, db, "bombs")
	lib := newLibrary(t, db, retrieval.NewHashEmbedder(retrieval.DefaultDim))
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			p, perr := parse.Parse(tt.file, tt.data)
			elapsed := time.Since(start)
			runtime.ReadMemStats(&after)
			blocks := 0
			if p != nil {
				blocks = len(p.Blocks)
			}
			t.Logf("%s: %d bytes in, Parse %v, %d blocks, err %v; allocated %d MB", tt.file, len(tt.data),
				elapsed.Round(time.Millisecond), blocks, perr, (after.TotalAlloc-before.TotalAlloc)>>20)
			if errors.Is(perr, parse.ErrUnsupported) {
				t.Fatalf("Parse error %v; want a reason the file is bad", perr)
			}
			if tt.wantReady && (p == nil || !strings.Contains(p.Text, tt.want)) {
				t.Errorf("%s: parsed text lacks %q (cut short?)", tt.file, tt.want)
			}

			doc := ingest(t, lib, site, tt.file, string(tt.data))
			var chunks int
			if err := db.QueryRow(ctx, "select count(*) from chunks where document_id = $1", doc.ID).Scan(&chunks); err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: status %s, %d chunks, error %q", tt.file, doc.Status, chunks, doc.Error)
			if tt.wantReady {
				if doc.Status != knowledge.StatusReady || doc.Chunks == 0 || chunks != doc.Chunks {
					t.Fatalf("%s: %+v with %d chunk rows; want ready with all its chunks", tt.file, doc, chunks)
				}
				return
			}
			if doc.Status != knowledge.StatusFailed || doc.Error == "" || !strings.Contains(doc.Error, tt.want) {
				t.Fatalf("%s: status %s, error %q; want failed with a reason containing %q", tt.file, doc.Status, doc.Error, tt.want)
			}
			if chunks != 0 || doc.Chunks != 0 {
				t.Fatalf("%s failed but left %d chunk rows (document says %d)", tt.file, chunks, doc.Chunks)
			}
		})
	}
}
