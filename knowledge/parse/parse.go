// Package parse reduces a document file to plain text: Markdown, plain
// text, HTML, PDF and FAQ files (CSV or JSON) each become one Document,
// whose Blocks are runs of text under one heading path that index into
// its Text by rune offset. Parsing is pure (no I/O, no database) so it can
// be tested and fuzzed in isolation; package knowledge chunks, embeds and
// stores the result. This is the one package that imports the Markdown
// and PDF libraries; the HTML parser is shared only with package sources,
// which reads a fetched page's links and cuts out its main content.
//
// Invariants kept by Parse (and checked by the fuzz tests):
//   - Document.Text is valid UTF-8 with "\n" line endings and no control
//     characters other than "\n";
//   - for every Block b, []rune(Document.Text)[b.Start:b.Start+len([]rune(b.Text))]
//     equals b.Text, blocks are in document order and do not overlap;
//   - a successful Parse has at least one Block with text in it.
//
// One file per format: text.go, markdown.go, html.go, pdf.go (with
// pdfstream.go, the content stream interpreter) and faq.go; clean.go
// decodes and cleans text, builder.go lays out Text and Blocks.
package parse

import (
	"bytes"
	"errors"
	"fmt"
	"path"
	"strings"
)

// ErrUnsupported is wrapped by the error Parse returns for a file type it
// cannot read. Its message lists the supported types.
var ErrUnsupported = errors.New("unsupported document type (supported: .md, .markdown, .txt, .html, .htm, .pdf, .csv, .json)")

// Block is a run of text under one heading path.
type Block struct {
	Heading []string // heading path, e.g. ["Returns", "Damaged items"]; empty at top level
	Text    string   // plain text of the block
	Start   int      // character (rune) offset of Text in Document.Text
	Row     int      // FAQ files: 1-based data row number; 0 otherwise
}

// Document is a document reduced to plain text.
type Document struct {
	Title       string // first H1, <title>, PDF title / first line, or "" (caller falls back to file name)
	Text        string // the whole plain text; Blocks index into it
	Blocks      []Block
	FAQ         bool   // each Block is one question/answer pair
	ContentType string // "markdown", "text", "html", "pdf", "faq-csv", "faq-json"
}

// contentTypes maps a lowercased file extension to Document.ContentType.
var contentTypes = map[string]string{
	".md":       "markdown",
	".markdown": "markdown",
	".txt":      "text",
	".html":     "html",
	".htm":      "html",
	".pdf":      "pdf",
	".csv":      "faq-csv",
	".json":     "faq-json",
}

// ContentType returns the Document.ContentType Parse gives a file named
// name, from its extension (case-insensitive; "/" and `\` both separate
// directories), and whether Parse reads that type at all.
func ContentType(name string) (string, bool) {
	kind, ok := contentTypes[fileExt(name)]
	return kind, ok
}

func fileExt(name string) string {
	return strings.ToLower(path.Ext(strings.ReplaceAll(name, `\`, "/")))
}

// Parse detects the type from the file name's extension (see ContentType)
// and parses data.
//
// Every error it returns says what is wrong with the file, in words meant
// for the person who uploaded it. For a type it does not read, the error
// wraps ErrUnsupported; otherwise it names the reason: empty files, binary
// data or text that is not UTF-8, corrupt or encrypted PDFs, PDFs without
// a text layer, malformed FAQ files (naming the line) and documents with
// no text at all.
//
// Text files may be UTF-8 (with or without a byte order mark) or UTF-16
// with a byte order mark. FAQ files (.csv, .json) must have question and
// answer fields; each pair becomes one Block with Heading [question] (or
// [category, question]) and Text set to the answer.
func Parse(name string, data []byte) (*Document, error) {
	ext := fileExt(name)
	kind, ok := contentTypes[ext]
	if !ok {
		if ext == "" {
			return nil, fmt.Errorf("no file extension: %w", ErrUnsupported)
		}
		return nil, fmt.Errorf("%s: %w", ext, ErrUnsupported)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("empty file")
	}

	var (
		p   *Document
		err error
	)
	if kind == "pdf" {
		p, err = parsePDF(data)
	} else {
		var s string
		if s, err = decodeText(data); err != nil {
			return nil, err
		}
		switch kind {
		case "markdown":
			p = parseMarkdown(s)
		case "text":
			p = parseText(s)
		case "html":
			p, err = parseHTML(s)
		case "faq-csv":
			p, err = parseFAQCSV(s)
		case "faq-json":
			p, err = parseFAQJSON(s)
		}
	}
	if err != nil {
		return nil, err
	}
	p.ContentType = kind
	if len(p.Blocks) == 0 {
		return nil, errors.New("no text found in the document")
	}
	return p, nil
}
