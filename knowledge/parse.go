package knowledge

// Document parsing: every supported file type is reduced to one plain text
// (Parsed.Text) plus Blocks, runs of text under one heading path that index
// into it by rune offset. Parsing is pure (no I/O, no database) so it can be
// tested and fuzzed in isolation; chunk.go turns a Parsed into Chunks.
//
// Invariants kept by Parse (and checked by the fuzz tests):
//   - Parsed.Text is valid UTF-8 with "\n" line endings and no control
//     characters other than "\n";
//   - for every Block b, []rune(Parsed.Text)[b.Start:b.Start+len([]rune(b.Text))]
//     equals b.Text, blocks are in document order and do not overlap;
//   - a successful Parse has at least one Block with text in it.

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/ledongthuc/pdf"
	"github.com/yuin/goldmark"
	gast "github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	gtext "github.com/yuin/goldmark/text"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"kefu/retrieval"
)

// ErrUnsupported is returned by Parse for a file type it cannot read. Its
// message lists the supported types; errors.Is(err, ErrInvalid) also holds.
var ErrUnsupported = errors.New("unsupported document type (supported: .md, .markdown, .txt, .html, .htm, .pdf, .csv, .json)")

// Block is a run of text under one heading path.
type Block struct {
	Heading []string // heading path, e.g. ["Returns", "Damaged items"]; empty at top level
	Text    string   // plain text of the block
	Start   int      // character (rune) offset of Text in Parsed.Text
	Row     int      // FAQ files: 1-based data row number; 0 otherwise
}

// Parsed is a document reduced to plain text.
type Parsed struct {
	Title       string // first H1, <title>, PDF title / first line, or "" (caller falls back to file name)
	Text        string // the whole plain text; Blocks index into it
	Blocks      []Block
	FAQ         bool   // each Block is one question/answer pair
	ContentType string // "markdown", "text", "html", "pdf", "faq-csv", "faq-json"
}

// contentTypes maps a lowercased file extension to Parsed.ContentType.
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

// Parse detects the type from the file name's extension (case-insensitive)
// and parses data.
//
// It returns an error wrapping ErrUnsupported (and ErrInvalid) for other
// types, and an error wrapping ErrInvalid with a readable reason for empty
// files, binary data or text that is not UTF-8, corrupt or encrypted PDFs,
// PDFs without a text layer, malformed FAQ files (naming the line) and
// documents with no text at all.
//
// Text files may be UTF-8 (with or without a byte order mark) or UTF-16
// with a byte order mark. FAQ files (.csv, .json) must have question and
// answer fields; each pair becomes one Block with Heading [question] (or
// [category, question]) and Text set to the answer.
func Parse(name string, data []byte) (*Parsed, error) {
	ext := strings.ToLower(path.Ext(strings.ReplaceAll(name, `\`, "/")))
	kind, ok := contentTypes[ext]
	if !ok {
		if ext == "" {
			return nil, fmt.Errorf("no file extension: %w: %w", ErrUnsupported, ErrInvalid)
		}
		return nil, fmt.Errorf("%s: %w: %w", ext, ErrUnsupported, ErrInvalid)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, invalidf("empty file")
	}

	var (
		p   *Parsed
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
		return nil, invalidf("no text found in the document")
	}
	return p, nil
}

// invalidf returns an error wrapping ErrInvalid with a readable reason.
func invalidf(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), ErrInvalid)
}

// decodeText turns the bytes of a text file into a normalized string: UTF-8
// or BOM-marked UTF-16 in, "\n" line endings and no control characters out.
// Binary data and other encodings are refused.
func decodeText(data []byte) (string, error) {
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		data = data[3:]
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}), bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		var err error
		if data, err = decodeUTF16(data); err != nil {
			return "", err
		}
	}
	if bytes.IndexByte(data, 0) >= 0 {
		return "", invalidf("binary data (NUL bytes) in a text file")
	}
	if !utf8.Valid(data) {
		return "", invalidf("not valid UTF-8 text (binary data or another encoding; save the file as UTF-8)")
	}
	s := string(data)
	controls, total := 0, 0
	for _, r := range s {
		total++
		if isControl(r) {
			controls++
		}
	}
	// Why: a stray bell or escape happens in old text files, many do not.
	if controls > max(2, total/100) {
		return "", invalidf("binary data (control characters) in a text file")
	}
	return normalizeNewlines(s), nil
}

// decodeUTF16 decodes UTF-16 with a byte order mark to UTF-8.
func decodeUTF16(data []byte) ([]byte, error) {
	if len(data)%2 != 0 {
		return nil, invalidf("truncated UTF-16 text")
	}
	le := data[0] == 0xFF
	units := make([]uint16, 0, len(data)/2-1)
	for i := 2; i+1 < len(data); i += 2 {
		if le {
			units = append(units, uint16(data[i])|uint16(data[i+1])<<8)
		} else {
			units = append(units, uint16(data[i])<<8|uint16(data[i+1]))
		}
	}
	return []byte(string(utf16.Decode(units))), nil
}

// normalizeNewlines turns CRLF, CR, form feeds and the Unicode line and
// paragraph separators into "\n" and drops control characters other than
// tabs (which later cleaning turns into spaces, and CSV may need).
func normalizeNewlines(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Map(func(r rune) rune {
		switch r {
		case '\r', '\u2028', '\u2029', '\u0085', '\f', '\v':
			return '\n'
		}
		if isControl(r) {
			return -1
		}
		return r
	}, s)
}

// isControl reports whether r is a control character other than the usual
// whitespace ones.
func isControl(r rune) bool {
	switch r {
	case '\t', '\n', '\r', '\f', '\v':
		return false
	}
	return unicode.IsControl(r)
}

// isInvisible reports whether r carries no text: zero-width characters,
// byte order marks, soft hyphens, controls.
func isInvisible(r rune) bool {
	switch r {
	case '\u200b', '\u2060', '\ufeff', '\u00ad', '\ufffe':
		return true
	}
	return isControl(r)
}

// isCJKText reports whether r belongs to text written without spaces: CJK
// characters plus CJK and full-width punctuation.
func isCJKText(r rune) bool {
	return retrieval.IsCJK(r) || (r >= 0x3000 && r <= 0x303F) || (r >= 0xFF00 && r <= 0xFFEF)
}

// cleanInline collapses every whitespace run (newlines included) into one
// space and trims the ends. A line break between two CJK characters is
// dropped instead, since wrapped Chinese text has no spaces between words.
func cleanInline(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	pending, newline := false, false
	last := rune(-1)
	for _, r := range s {
		if unicode.IsSpace(r) {
			pending = pending || b.Len() > 0
			newline = newline || r == '\n'
			continue
		}
		if isInvisible(r) {
			continue
		}
		if pending && !(newline && isCJKText(last) && isCJKText(r)) {
			b.WriteByte(' ')
		}
		pending, newline = false, false
		b.WriteRune(r)
		last = r
	}
	return b.String()
}

// cleanLines cleans each line of s with cleanInline and drops empty lines.
func cleanLines(s string) string {
	var out []string
	for line := range strings.SplitSeq(s, "\n") {
		if line = cleanInline(line); line != "" {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

// paragraphs splits text at blank lines and cleans each paragraph's lines.
func paragraphs(s string) []string {
	var out []string
	var cur []string
	flush := func() {
		if len(cur) > 0 {
			out = append(out, strings.Join(cur, "\n"))
			cur = nil
		}
	}
	for line := range strings.SplitSeq(s, "\n") {
		line = cleanInline(line)
		if line == "" {
			flush()
			continue
		}
		cur = append(cur, line)
	}
	flush()
	return out
}

// textBuilder assembles Parsed.Text and its Blocks. Paragraphs under the same
// heading path are joined into one Block (separated by a blank line);
// headings are written to the text as their own lines but belong to no
// Block, so a heading never ends up inside a chunk's text.
type textBuilder struct {
	text    strings.Builder
	n       int // runes written to text
	blocks  []Block
	stack   []headingLevel
	section []string // paragraphs of the current section, not yet written
}

type headingLevel struct {
	level int
	text  string
}

// write appends s to the text as a new paragraph and returns its rune offset.
func (b *textBuilder) write(s string) int {
	if b.n > 0 {
		b.text.WriteString("\n\n")
		b.n += 2
	}
	start := b.n
	b.text.WriteString(s)
	b.n += utf8.RuneCountInString(s)
	return start
}

// path returns a copy of the current heading path.
func (b *textBuilder) path() []string {
	var p []string
	for _, h := range b.stack {
		p = append(p, h.text)
	}
	return p
}

// para adds a cleaned paragraph to the current section.
func (b *textBuilder) para(s string) {
	if s != "" {
		b.section = append(b.section, s)
	}
}

// flush writes the current section as one Block.
func (b *textBuilder) flush() {
	if len(b.section) == 0 {
		return
	}
	text := strings.Join(b.section, "\n\n")
	b.section = nil
	b.blocks = append(b.blocks, Block{Heading: b.path(), Text: text, Start: b.write(text)})
}

// heading starts a new section: a deeper heading nests under the current
// one, a heading of the same or a shallower level replaces it.
func (b *textBuilder) heading(level int, text string) {
	if text == "" {
		return
	}
	b.flush()
	for len(b.stack) > 0 && b.stack[len(b.stack)-1].level >= level {
		b.stack = b.stack[:len(b.stack)-1]
	}
	b.stack = append(b.stack, headingLevel{level, text})
	b.write(text)
}

// faq writes one question/answer pair as a Block: the question on its own
// line, the answer (the Block's text) right after it.
func (b *textBuilder) faq(row int, category, question, answer string) {
	start := b.write(question + "\n" + answer)
	heading := []string{question}
	if category != "" {
		heading = []string{category, question}
	}
	b.blocks = append(b.blocks, Block{
		Heading: heading,
		Text:    answer,
		Start:   start + utf8.RuneCountInString(question) + 1,
		Row:     row,
	})
}

// parsed finishes the document.
func (b *textBuilder) parsed(title string) *Parsed {
	b.flush()
	return &Parsed{Title: title, Text: b.text.String(), Blocks: b.blocks}
}

// endsSentence reports whether s ends with sentence punctuation.
func endsSentence(s string) bool {
	r, _ := utf8.DecodeLastRuneInString(s)
	return strings.ContainsRune(".!?;:,。！？；：，、…", r)
}

// ---- plain text ----

// parseText reads plain text: paragraphs are separated by blank lines and
// keep their line breaks. A short first line standing alone (no sentence
// punctuation at its end) is the title and the heading of what follows.
func parseText(s string) *Parsed {
	paras := paragraphs(s)
	var b textBuilder
	title := ""
	if len(paras) > 1 && !strings.Contains(paras[0], "\n") &&
		utf8.RuneCountInString(paras[0]) <= 80 && retrieval.CountTokens(paras[0]) <= 15 && !endsSentence(paras[0]) {
		title = paras[0]
		paras = paras[1:]
		b.heading(1, title)
	}
	for _, p := range paras {
		b.para(p)
	}
	return b.parsed(title)
}

// ---- Markdown ----

// markdownParser is the goldmark parser: CommonMark plus GitHub tables,
// strikethrough and task lists.
var markdownParser = goldmark.New(goldmark.WithExtensions(extension.Table, extension.Strikethrough, extension.TaskList))

// parseMarkdown reads Markdown with goldmark. Top-level headings build the
// heading path; paragraphs, lists (one line per item, keeping "- " or "1. "),
// tables (cells joined with " | ") and code blocks become text with the
// Markdown syntax removed (links keep their text, images their alt text).
// YAML front matter is skipped; its title is used when there is no H1.
func parseMarkdown(s string) *Parsed {
	s, fmTitle := stripFrontMatter(s)
	src := []byte(s)
	doc := markdownParser.Parser().Parse(gtext.NewReader(src))
	var b textBuilder
	title := ""
	for n := doc.FirstChild(); n != nil; n = n.NextSibling() {
		if h, ok := n.(*gast.Heading); ok {
			t := cleanInline(mdInlineText(h, src))
			if h.Level == 1 && title == "" {
				title = t
			}
			b.heading(h.Level, t)
			continue
		}
		for _, p := range mdBlock(n, src) {
			b.para(p)
		}
	}
	if title == "" {
		title = fmTitle
	}
	return b.parsed(title)
}

// stripFrontMatter removes a leading YAML front matter block (between two
// "---" lines, made of "key: value" lines) and returns its title field.
func stripFrontMatter(s string) (rest, title string) {
	if !strings.HasPrefix(s, "---\n") {
		return s, ""
	}
	lines := strings.Split(s, "\n")
	for i := 1; i < len(lines) && i < 200; i++ {
		if l := strings.TrimRight(lines[i], " "); l == "---" || l == "..." {
			if i == 1 {
				return s, ""
			}
			for _, fm := range lines[1:i] {
				if k, v, ok := strings.Cut(fm, ":"); ok && strings.EqualFold(strings.TrimSpace(k), "title") {
					title = cleanInline(strings.Trim(strings.TrimSpace(v), `"'`))
				}
			}
			return strings.Join(lines[i+1:], "\n"), title
		}
		if k, _, ok := strings.Cut(lines[i], ":"); !ok && strings.TrimSpace(lines[i]) != "" && !strings.HasPrefix(strings.TrimSpace(lines[i]), "-") && !strings.HasPrefix(lines[i], " ") || strings.ContainsAny(k, "<>[]") {
			return s, "" // not YAML: a thematic break followed by text
		}
	}
	return s, ""
}

// mdBlock returns the cleaned paragraphs of a Markdown block node.
func mdBlock(n gast.Node, src []byte) []string {
	switch n := n.(type) {
	case *gast.Paragraph, *gast.TextBlock, *gast.Heading:
		if t := mdParagraph(n, src); t != "" {
			return []string{t}
		}
		return nil
	case *gast.List:
		if t := strings.Join(mdList(n, src), "\n"); t != "" {
			return []string{t}
		}
		return nil
	case *east.Table:
		var rows []string
		for r := n.FirstChild(); r != nil; r = r.NextSibling() {
			var cells []string
			for c := r.FirstChild(); c != nil; c = c.NextSibling() {
				cells = append(cells, cleanInline(mdInlineText(c, src)))
			}
			if row := strings.Join(cells, " | "); strings.Trim(row, " |") != "" {
				rows = append(rows, row)
			}
		}
		if len(rows) == 0 {
			return nil
		}
		return []string{strings.Join(rows, "\n")}
	case *gast.FencedCodeBlock, *gast.CodeBlock:
		if t := cleanLines(mdLines(n, src)); t != "" {
			return []string{t}
		}
		return nil
	case *gast.HTMLBlock:
		raw := mdLines(n, src)
		if n.HasClosure() {
			raw += string(n.ClosureLine.Value(src))
		}
		return htmlFragmentParagraphs(raw)
	case *gast.ThematicBreak:
		return nil
	}
	// Blockquotes and anything else with block children.
	var out []string
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		out = append(out, mdBlock(c, src)...)
	}
	return out
}

// mdList returns one line per list item, with its marker; nested lists
// follow their parent item.
func mdList(l *gast.List, src []byte) []string {
	var lines []string
	num := l.Start
	for item := l.FirstChild(); item != nil; item = item.NextSibling() {
		marker := "- "
		if l.IsOrdered() {
			marker = strconv.Itoa(num) + ". "
			num++
		}
		var text []string
		var nested []string
		for c := item.FirstChild(); c != nil; c = c.NextSibling() {
			if sub, ok := c.(*gast.List); ok {
				nested = append(nested, mdList(sub, src)...)
				continue
			}
			text = append(text, mdBlock(c, src)...)
		}
		if t := strings.Join(text, "\n"); t != "" {
			lines = append(lines, marker+t)
		}
		lines = append(lines, nested...)
	}
	return lines
}

// mdLines returns the raw lines of a code or HTML block.
func mdLines(n gast.Node, src []byte) string {
	var b strings.Builder
	lines := n.Lines()
	for i := 0; i < lines.Len(); i++ {
		seg := lines.At(i)
		b.Write(seg.Value(src))
	}
	return b.String()
}

// mdParagraph returns the text of a paragraph-like node, keeping hard line
// breaks as "\n".
func mdParagraph(n gast.Node, src []byte) string {
	return cleanLines(strings.ReplaceAll(mdInlineText(n, src), "\u2028", "\n"))
}

// mdInlineText returns the text of n's inline children. Soft line breaks
// become "\n" only between CJK characters (where no space is wanted) and
// a space otherwise; hard line breaks become "\n".
func mdInlineText(n gast.Node, src []byte) string {
	var b strings.Builder
	mdInline(&b, n, src)
	// Hard breaks were written as U+2028 (normalizeNewlines removed any from
	// the source); soft breaks as "\n".
	s := b.String()
	var out []string
	for line := range strings.SplitSeq(s, "\u2028") {
		out = append(out, cleanInline(line))
	}
	return strings.Join(out, "\u2028")
}

func mdInline(b *strings.Builder, n gast.Node, src []byte) {
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch c := c.(type) {
		case *gast.Text:
			v := c.Segment.Value(src)
			if c.IsRaw() {
				b.Write(v)
			} else {
				b.WriteString(unescapeMarkdown(string(v)))
			}
			switch {
			case c.HardLineBreak():
				b.WriteRune('\u2028')
			case c.SoftLineBreak():
				b.WriteByte('\n')
			}
		case *gast.String:
			if c.IsCode() || c.IsRaw() {
				b.Write(c.Value)
			} else {
				b.WriteString(unescapeMarkdown(string(c.Value)))
			}
		case *gast.CodeSpan:
			for t := c.FirstChild(); t != nil; t = t.NextSibling() {
				if t, ok := t.(*gast.Text); ok {
					b.Write(t.Segment.Value(src))
				}
			}
		case *gast.AutoLink:
			b.Write(c.Label(src))
		case *gast.RawHTML:
			for i := 0; i < c.Segments.Len(); i++ {
				seg := c.Segments.At(i)
				tag := strings.ToLower(string(seg.Value(src)))
				if strings.HasPrefix(tag, "<br") {
					b.WriteRune('\u2028')
				}
			}
		case *east.TaskCheckBox:
			// "[x]" carries no text
		default: // emphasis, links, images (alt text), strikethrough
			mdInline(b, c, src)
		}
	}
}

// unescapeMarkdown removes backslash escapes and decodes entities.
func unescapeMarkdown(s string) string {
	if strings.IndexByte(s, '\\') >= 0 {
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			if s[i] == '\\' && i+1 < len(s) && isASCIIPunct(s[i+1]) {
				i++
			}
			b.WriteByte(s[i])
		}
		s = b.String()
	}
	if strings.IndexByte(s, '&') >= 0 {
		s = html.UnescapeString(s)
	}
	return s
}

func isASCIIPunct(c byte) bool {
	return c < utf8.RuneSelf && unicode.IsPunct(rune(c)) || strings.IndexByte("$+<=>^`|~", c) >= 0
}

// ---- HTML ----

// htmlSkip lists elements whose content is never main text.
var htmlSkip = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Nav: true, atom.Footer: true, atom.Aside: true,
	atom.Noscript: true, atom.Form: true, atom.Svg: true, atom.Iframe: true, atom.Template: true,
	atom.Button: true, atom.Select: true, atom.Canvas: true, atom.Object: true, atom.Embed: true,
	atom.Dialog: true, atom.Head: true, atom.Math: true,
}

// htmlBlocks lists elements that start a new paragraph.
var htmlBlocks = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.Section: true, atom.Article: true, atom.Main: true,
	atom.Blockquote: true, atom.Ul: true, atom.Ol: true, atom.Dl: true, atom.Dt: true, atom.Dd: true,
	atom.Table: true, atom.Figure: true, atom.Figcaption: true, atom.Address: true, atom.Hr: true,
	atom.Details: true, atom.Summary: true, atom.Fieldset: true, atom.Center: true, atom.Caption: true,
	atom.Header: true, atom.Body: true, atom.Html: true, atom.Pre: true, atom.Legend: true,
}

var htmlHeadings = map[atom.Atom]int{atom.H1: 1, atom.H2: 2, atom.H3: 3, atom.H4: 4, atom.H5: 5, atom.H6: 6}

// parseHTML reads the main text of an HTML page: the content of <main> (or
// role="main"), else of a single <article>, else of <body>, without
// scripts, styles, navigation, headers, footers, asides, forms and hidden
// elements. h1–h6 build the heading path. The title is <title>, else the
// first h1.
func parseHTML(s string) (*Parsed, error) {
	doc, err := html.Parse(strings.NewReader(s))
	if err != nil { // a reader error, or nesting deeper than 512 elements
		return nil, invalidf("unreadable HTML (%v)", err)
	}
	title := ""
	if t := findElement(doc, func(n *html.Node) bool { return n.DataAtom == atom.Title && n.Namespace == "" }); t != nil {
		title = cleanInline(nodeText(t))
	}
	root := findElement(doc, func(n *html.Node) bool {
		return n.DataAtom == atom.Main || strings.EqualFold(htmlAttr(n, "role"), "main")
	})
	if root == nil {
		var articles []*html.Node
		findAll(doc, func(n *html.Node) bool { return n.DataAtom == atom.Article }, &articles)
		if len(articles) == 1 {
			root = articles[0]
		}
	}
	if root == nil {
		root = doc
	}
	var b textBuilder
	w := htmlWalker{
		para: b.para,
		heading: func(level int, text string) {
			if level == 1 && title == "" {
				title = text
			}
			b.heading(level, text)
		},
		inMain: root != doc,
	}
	w.walk(root)
	w.flush()
	return b.parsed(title), nil
}

// htmlFragmentParagraphs returns the paragraphs of an HTML fragment (an
// HTML block inside Markdown); headings become paragraphs.
func htmlFragmentParagraphs(s string) []string {
	nodes, err := html.ParseFragment(strings.NewReader(s), &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body})
	if err != nil {
		return nil
	}
	var out []string
	w := htmlWalker{
		para:    func(p string) { out = append(out, p) },
		heading: func(_ int, text string) { out = append(out, text) },
		inMain:  true,
	}
	for _, n := range nodes {
		w.walk(n)
	}
	w.flush()
	return out
}

// htmlWalker turns an HTML tree into paragraphs and headings.
type htmlWalker struct {
	para    func(string)
	heading func(level int, text string)
	inMain  bool // inside <main>/<article>: a <header> there is content, not site chrome

	lines  []string        // finished lines of the current paragraph
	line   strings.Builder // the current line, whitespace not yet collapsed
	marker string          // list marker waiting for the line's first text
	pre    int             // depth inside <pre>
	item   int             // depth inside <li>
	cell   int             // depth inside <td>/<th>
	cells  int             // cells seen in the current row
}

func (w *htmlWalker) endLine() {
	if t := cleanInline(w.line.String()); t != "" {
		w.lines = append(w.lines, t)
	}
	w.line.Reset()
}

func (w *htmlWalker) flush() {
	w.endLine()
	if len(w.lines) > 0 {
		w.para(strings.Join(w.lines, "\n"))
		w.lines = nil
	}
}

func (w *htmlWalker) text(s string) {
	if w.marker != "" && strings.TrimSpace(s) != "" && strings.TrimSpace(w.line.String()) == "" {
		w.line.WriteString(w.marker)
		w.marker = ""
	}
	if w.pre > 0 {
		lines := strings.Split(s, "\n")
		for i, l := range lines {
			if i > 0 {
				w.endLine()
			}
			w.line.WriteString(l)
		}
		return
	}
	w.line.WriteString(s)
}

// breakBlock ends the current paragraph, or only the current line inside a
// list item, where a paragraph is part of the item.
func (w *htmlWalker) breakBlock() {
	switch {
	case w.cell > 0:
		w.line.WriteByte(' ')
	case w.item > 0:
		w.endLine()
	default:
		w.flush()
	}
}

func (w *htmlWalker) walk(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		w.text(n.Data)
		return
	case html.DocumentNode:
		w.children(n)
		return
	case html.ElementNode:
	default:
		return
	}
	if htmlSkip[n.DataAtom] || htmlHidden(n) || (n.DataAtom == atom.Header && !w.inMain) {
		return
	}
	if level, ok := htmlHeadings[n.DataAtom]; ok && w.cell == 0 && w.item == 0 {
		w.flush()
		var hw htmlWalker
		var parts []string
		hw.para = func(p string) { parts = append(parts, p) }
		hw.heading = func(_ int, t string) { parts = append(parts, t) }
		hw.inMain = true
		hw.children(n)
		hw.flush()
		w.heading(level, cleanInline(strings.Join(parts, " ")))
		return
	}
	switch n.DataAtom {
	case atom.Br:
		if w.cell > 0 {
			w.line.WriteByte(' ')
		} else {
			w.endLine()
		}
		return
	case atom.Article, atom.Main:
		inMain := w.inMain
		w.inMain = true
		w.breakBlock()
		w.children(n)
		w.breakBlock()
		w.inMain = inMain
		return
	case atom.Ul, atom.Ol:
		if w.item > 0 {
			w.endLine()
		} else {
			w.breakBlock()
		}
		num := 1
		if v, err := strconv.Atoi(htmlAttr(n, "start")); err == nil {
			num = v
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.ElementNode && c.DataAtom == atom.Li {
				w.endLine()
				w.marker = "- "
				if n.DataAtom == atom.Ol {
					w.marker = strconv.Itoa(num) + ". "
					num++
				}
				w.item++
				w.children(c)
				w.item--
				w.endLine()
				w.marker = ""
				continue
			}
			w.walk(c)
		}
		if w.item == 0 {
			w.breakBlock()
		}
		return
	case atom.Li: // outside a list
		w.endLine()
		w.item++
		w.children(n)
		w.item--
		w.endLine()
		return
	case atom.Tr:
		if w.cell > 0 {
			w.line.WriteByte(' ')
			w.children(n)
			return
		}
		w.endLine()
		cells := w.cells
		w.cells = 0
		w.children(n)
		w.cells = cells
		w.endLine()
		return
	case atom.Td, atom.Th:
		if w.cell == 0 && w.cells > 0 {
			w.line.WriteString(" | ")
		}
		w.cells++
		w.cell++
		w.children(n)
		w.cell--
		return
	case atom.Pre:
		w.breakBlock()
		w.pre++
		w.children(n)
		w.pre--
		w.breakBlock()
		return
	}
	if _, heading := htmlHeadings[n.DataAtom]; heading || htmlBlocks[n.DataAtom] {
		w.breakBlock()
		w.children(n)
		w.breakBlock()
		return
	}
	w.children(n)
}

func (w *htmlWalker) children(n *html.Node) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		w.walk(c)
	}
}

// htmlHidden reports whether an element is hidden from readers.
func htmlHidden(n *html.Node) bool {
	for _, a := range n.Attr {
		switch strings.ToLower(a.Key) {
		case "hidden":
			return true
		case "aria-hidden":
			if strings.EqualFold(strings.TrimSpace(a.Val), "true") {
				return true
			}
		case "style":
			st := strings.ToLower(strings.ReplaceAll(a.Val, " ", ""))
			if strings.Contains(st, "display:none") || strings.Contains(st, "visibility:hidden") {
				return true
			}
		}
	}
	return false
}

// htmlAttr returns the value of an element's attribute, or "".
func htmlAttr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if strings.EqualFold(a.Key, key) {
			return a.Val
		}
	}
	return ""
}

// findElement returns the first element (depth first) for which match is true.
func findElement(n *html.Node, match func(*html.Node) bool) *html.Node {
	if n.Type == html.ElementNode && match(n) {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if f := findElement(c, match); f != nil {
			return f
		}
	}
	return nil
}

// findAll appends every element for which match is true, not looking inside
// matched elements.
func findAll(n *html.Node, match func(*html.Node) bool, out *[]*html.Node) {
	if n.Type == html.ElementNode && match(n) {
		*out = append(*out, n)
		return
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		findAll(c, match, out)
	}
}

// nodeText returns the text content of n.
func nodeText(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

// ---- FAQ files ----

// faqField maps a lowercased FAQ column or key name to its role.
var faqField = map[string]string{
	"question": "question", "questions": "question", "q": "question", "问题": "question", "問題": "question",
	"answer": "answer", "answers": "answer", "a": "answer", "答案": "answer", "回答": "answer", "答复": "answer",
	"category": "category", "分类": "category", "類別": "category", "类别": "category", "分類": "category",
}

// maxBadRows is how many bad rows an FAQ error names.
const maxBadRows = 5

// badRows collects the reasons rows of an FAQ file were refused.
type badRows struct {
	reasons []string
	n       int
}

func (b *badRows) add(format string, args ...any) {
	b.n++
	if len(b.reasons) < maxBadRows {
		b.reasons = append(b.reasons, fmt.Sprintf(format, args...))
	}
}

func (b *badRows) err(kind string) error {
	if b.n == 0 {
		return nil
	}
	msg := strings.Join(b.reasons, "; ")
	if b.n > len(b.reasons) {
		msg += fmt.Sprintf(" (and %d more)", b.n-len(b.reasons))
	}
	return invalidf("%s: %s", kind, msg)
}

// parseFAQCSV reads an FAQ as CSV: a header row naming question and answer
// columns (category optional, any order, extra columns ignored), then one
// question/answer pair per row. Comma, semicolon and tab separators are
// recognised from the header. Rows that are entirely empty are skipped; a
// row missing its question or answer fails the file, naming its line.
func parseFAQCSV(s string) (*Parsed, error) {
	r := csv.NewReader(strings.NewReader(s))
	r.FieldsPerRecord = -1
	r.Comma = csvDelimiter(s)
	header, err := r.Read()
	if err != nil {
		return nil, csvError(err)
	}
	cols := map[string]int{}
	for i, h := range header {
		role := faqField[strings.ToLower(cleanInline(h))]
		if _, dup := cols[role]; role != "" && !dup {
			cols[role] = i
		}
	}
	qi, okQ := cols["question"]
	ai, okA := cols["answer"]
	if !okQ || !okA {
		return nil, invalidf("FAQ CSV line 1: header must name question and answer columns (got %q)", strings.Join(header, string(r.Comma)))
	}
	ci, okC := cols["category"]
	field := func(rec []string, i int, ok bool) string {
		if !ok || i >= len(rec) {
			return ""
		}
		return rec[i]
	}
	var b textBuilder
	var bad badRows
	for row := 1; ; row++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvError(err)
		}
		line, _ := r.FieldPos(0)
		if strings.TrimSpace(strings.Join(rec, "")) == "" {
			continue
		}
		q := cleanInline(field(rec, qi, true))
		a := cleanLines(field(rec, ai, true))
		c := cleanInline(field(rec, ci, okC))
		switch {
		case q == "" && a == "":
			bad.add("line %d: missing question and answer", line)
		case q == "":
			bad.add("line %d: missing question", line)
		case a == "":
			bad.add("line %d: missing answer", line)
		default:
			b.faq(row, c, q, a)
		}
	}
	if err := bad.err("FAQ CSV"); err != nil {
		return nil, err
	}
	if len(b.blocks) == 0 {
		return nil, invalidf("FAQ CSV has no question/answer rows")
	}
	p := b.parsed("")
	p.FAQ = true
	return p, nil
}

// csvDelimiter picks the separator used most on the header line.
func csvDelimiter(s string) rune {
	first, _, _ := strings.Cut(s, "\n")
	best, n := ',', strings.Count(first, ",")
	for _, d := range []rune{';', '\t'} {
		if c := strings.Count(first, string(d)); c > n {
			best, n = d, c
		}
	}
	return best
}

// csvError turns an encoding/csv error into a readable ErrInvalid naming the line.
func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return invalidf("FAQ CSV line %d: %v", pe.Line, pe.Err)
	}
	return invalidf("FAQ CSV: %v", err)
}

// parseFAQJSON reads an FAQ as a JSON array of {"question", "answer",
// "category"?} objects (keys case-insensitive). An item missing its
// question or answer fails the file, naming the item and its line.
func parseFAQJSON(s string) (*Parsed, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	tok, err := dec.Token()
	if err != nil {
		return nil, jsonError(s, err, dec.InputOffset())
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, invalidf(`FAQ JSON line 1: must be an array of {"question": …, "answer": …} objects`)
	}
	var b textBuilder
	var bad badRows
	for item := 1; dec.More(); item++ {
		line := faqLine(s, skipJSONSpace(s, int(dec.InputOffset())))
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, jsonError(s, err, dec.InputOffset())
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
			bad.add("item %d (line %d): not an object", item, line)
			continue
		}
		values := map[string]string{}
		ok := true
		for k, v := range obj {
			role := faqField[strings.ToLower(strings.TrimSpace(k))]
			if role == "" {
				continue
			}
			var str string
			if err := json.Unmarshal(v, &str); err != nil {
				if string(v) == "null" {
					continue
				}
				bad.add("item %d (line %d): %s is not a string", item, line, k)
				ok = false
				break
			}
			values[role] = str
		}
		if !ok {
			continue
		}
		q := cleanInline(values["question"])
		a := cleanLines(values["answer"])
		switch {
		case q == "" && a == "":
			bad.add("item %d (line %d): missing question and answer", item, line)
		case q == "":
			bad.add("item %d (line %d): missing question", item, line)
		case a == "":
			bad.add("item %d (line %d): missing answer", item, line)
		default:
			b.faq(item, cleanInline(values["category"]), q, a)
		}
	}
	if _, err := dec.Token(); err != nil { // the closing "]"
		return nil, jsonError(s, err, dec.InputOffset())
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, invalidf("FAQ JSON line %d: unexpected data after the array", faqLine(s, int(dec.InputOffset())))
	}
	if err := bad.err("FAQ JSON"); err != nil {
		return nil, err
	}
	if len(b.blocks) == 0 {
		return nil, invalidf("FAQ JSON has no question/answer items")
	}
	p := b.parsed("")
	p.FAQ = true
	return p, nil
}

// jsonError turns a decoding error into a readable ErrInvalid naming the line.
func jsonError(s string, err error, offset int64) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		offset = se.Offset
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return invalidf("FAQ JSON line %d: unexpected end of file", faqLine(s, len(s)))
	}
	return invalidf("FAQ JSON line %d: %v", faqLine(s, int(offset)), err)
}

// skipJSONSpace returns the offset of the first byte at or after i that is
// not whitespace or a comma.
func skipJSONSpace(s string, i int) int {
	for i < len(s) && strings.IndexByte(" \t\n\r,", s[i]) >= 0 {
		i++
	}
	return i
}

// faqLine returns the 1-based line number of byte offset i in s.
func faqLine(s string, i int) int {
	i = min(max(i, 0), len(s))
	return strings.Count(s[:i], "\n") + 1
}

// ---- PDF ----

// PDF limits. Why: a small compressed file can expand into a huge text
// layer or page tree; these bound the work Parse does for one upload.
const (
	maxPDFPages     = 5000
	maxPDFTreeNodes = 50000
	maxPDFTreeDepth = 32
	maxPDFFormDepth = 8
	maxPDFForms     = 1000 // form XObjects run per page
	maxPDFRunes     = 20 << 20
)

var errPDFTooMuchText = errors.New("PDF text layer is too large")

// parsePDF reads the text layer of a PDF page by page. Lines are rebuilt
// from text positions; lines set noticeably larger than the body text are
// headings (the largest size is level 1), a wider vertical gap or a new
// page starts a paragraph. The title is the document's Title entry, else
// the first heading or first line.
func parsePDF(data []byte) (p *Parsed, err error) {
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, invalidf("corrupt PDF (%v)", r)
		}
	}()
	if bytes.HasPrefix(data, []byte("%PDF-2.")) {
		// Why: the library only accepts 1.x headers; 2.0 files use the
		// same syntax for everything it reads.
		data = slices.Clone(data)
		copy(data, "%PDF-1.7")
	}
	r, err := pdf.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		if errors.Is(err, pdf.ErrInvalidPassword) || strings.Contains(err.Error(), "encrypt") || hasEncryptDict(data) {
			return nil, invalidf("encrypted PDF (password-protected or unsupported encryption)")
		}
		return nil, invalidf("corrupt PDF (%v)", err)
	}

	var ex pdfExtractor
	pages := pdfPages(r)
	if len(pages) > maxPDFPages {
		// Why fail, not keep the first pages: a silently cut manual answers
		// wrongly about what it no longer holds.
		return nil, invalidf("PDF has more than %d pages (split it into smaller files)", maxPDFPages)
	}
	pageErrs := 0
	for i, page := range pages {
		if err := ex.page(i+1, page); err != nil {
			if errors.Is(err, errPDFTooMuchText) {
				return nil, invalidf("PDF text layer is larger than %d characters", maxPDFRunes)
			}
			pageErrs++
		}
	}
	if len(pages) > 0 && pageErrs == len(pages) {
		return nil, invalidf("corrupt PDF (no page could be read)")
	}
	title := ""
	func() {
		defer func() { _ = recover() }()
		title = pdfTitle(r.Trailer().Key("Info").Key("Title").Text())
	}()
	p = ex.parsed(title)
	if len(p.Blocks) == 0 {
		return nil, invalidf("PDF has no text layer (a scanned document? run OCR on it first)")
	}
	return p, nil
}

// officeTitle matches the titles office suites give exported PDFs:
// "Microsoft Word - returns.docx".
var officeTitle = regexp.MustCompile(`(?i)^microsoft\s+\w+\s+-\s+|\.(?:docx?|odt|pptx?|xlsx?|rtf|pages)$`)

// pdfTitle cleans a PDF's Title entry; generic titles count as none.
func pdfTitle(s string) string {
	s = cleanInline(officeTitle.ReplaceAllString(cleanInline(s), ""))
	switch strings.ToLower(s) {
	case "untitled", "untitled document", "document", "title", "无标题", "未命名":
		return ""
	}
	return s
}

// hasEncryptDict reports whether the PDF names an /Encrypt dictionary.
func hasEncryptDict(data []byte) bool {
	return bytes.Contains(data, []byte("/Encrypt"))
}

// pdfPages walks the page tree. Why not Reader.Page: it walks from the root
// for every page and loops forever on a page tree that contains itself;
// this walk is bounded in depth and size. It returns at most maxPDFPages+1
// pages, so the caller can tell a file has too many.
func pdfPages(r *pdf.Reader) []pdf.Page {
	var pages []pdf.Page
	nodes := 0
	var walk func(v pdf.Value, depth int)
	walk = func(v pdf.Value, depth int) {
		nodes++
		if depth > maxPDFTreeDepth || nodes > maxPDFTreeNodes || len(pages) > maxPDFPages || v.Kind() != pdf.Dict {
			return
		}
		kids := v.Key("Kids")
		if v.Key("Type").Name() == "Page" || kids.Kind() != pdf.Array {
			pages = append(pages, pdf.Page{V: v})
			return
		}
		for i := 0; i < kids.Len(); i++ {
			walk(kids.Index(i), depth+1)
		}
	}
	walk(r.Trailer().Key("Root").Key("Pages"), 0)
	return pages
}

// pdfResources returns a page's resources, inherited from its ancestors if
// need be. Why not Page.Resources: it follows /Parent without a bound and
// loops forever on a page that is its own parent.
func pdfResources(p pdf.Page) pdf.Value {
	v := p.V
	for range maxPDFTreeDepth {
		if v.Kind() != pdf.Dict {
			break
		}
		if r := v.Key("Resources"); !r.IsNull() {
			return r
		}
		v = v.Key("Parent")
	}
	return pdf.Value{}
}

// pdfMatrix is a PDF transformation matrix [a b c d e f].
type pdfMatrix [6]float64

var pdfIdentity = pdfMatrix{1, 0, 0, 1, 0, 0}

// mul returns m×n (apply m, then n).
func (m pdfMatrix) mul(n pdfMatrix) pdfMatrix {
	return pdfMatrix{
		m[0]*n[0] + m[1]*n[2], m[0]*n[1] + m[1]*n[3],
		m[2]*n[0] + m[3]*n[2], m[2]*n[1] + m[3]*n[3],
		m[4]*n[0] + m[5]*n[2] + n[4], m[4]*n[1] + m[5]*n[3] + n[5],
	}
}

// pdfLine is one line of text rebuilt from text positions.
type pdfLine struct {
	text       strings.Builder
	page       int
	x, y, endX float64
	size       float64
}

// pdfFont is a font as the extractor needs it.
type pdfFont struct {
	enc    pdf.TextEncoding
	font   pdf.Font
	simple bool // one byte per glyph, so Widths apply
}

// pdfState is the part of the graphics state the extractor follows.
type pdfState struct {
	ctm      pdfMatrix
	font     *pdfFont
	size     float64
	leading  float64
	charSp   float64
	wordSp   float64
	hScale   float64
	tm, tlm  pdfMatrix
	resource pdf.Value
}

// pdfExtractor collects the lines of a PDF's pages.
type pdfExtractor struct {
	lines []*pdfLine
	runes int
	cur   *pdfLine
	space bool // a word gap was seen (TJ adjustment) since the last text
	forms int  // form XObjects run on the current page
}

// page extracts the text of one page; a panic in the library (malformed
// content) ends the page with an error.
func (ex *pdfExtractor) page(num int, p pdf.Page) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok && errors.Is(e, errPDFTooMuchText) {
				err = errPDFTooMuchText
				return
			}
			err = fmt.Errorf("page %d: %v", num, r)
		}
	}()
	ex.cur, ex.forms = nil, 0
	contents := p.V.Key("Contents")
	if contents.IsNull() {
		return nil
	}
	st := pdfState{ctm: pdfIdentity, hScale: 1, tm: pdfIdentity, tlm: pdfIdentity, resource: pdfResources(p)}
	ex.interpret(num, contents, st, 0)
	return nil
}

// interpret runs a content stream (a page's or a form XObject's).
func (ex *pdfExtractor) interpret(page int, strm pdf.Value, st pdfState, depth int) {
	if !lexSafe(streamReader(strm)) {
		panic("content stream ends inside a hex string")
	}
	fonts := map[string]*pdfFont{}
	var stack []pdfState
	pdf.Interpret(strm, func(stk *pdf.Stack, op string) {
		args := make([]pdf.Value, stk.Len())
		for i := len(args) - 1; i >= 0; i-- {
			args[i] = stk.Pop()
		}
		num := func(i int) float64 {
			if i < len(args) {
				return args[i].Float64()
			}
			return 0
		}
		mat := func() pdfMatrix {
			var m pdfMatrix
			for i := range m {
				m[i] = num(i)
			}
			return m
		}
		switch op {
		case "q":
			if len(stack) < 256 {
				stack = append(stack, st)
			}
		case "Q":
			if len(stack) > 0 {
				st = stack[len(stack)-1]
				stack = stack[:len(stack)-1]
			}
		case "cm":
			st.ctm = mat().mul(st.ctm)
		case "BT":
			st.tm, st.tlm = pdfIdentity, pdfIdentity
		case "Tf":
			if len(args) == 2 {
				st.font = ex.font(fonts, st.resource, args[0].Name())
				st.size = num(1)
			}
		case "TL":
			st.leading = num(0)
		case "Tc":
			st.charSp = num(0)
		case "Tw":
			st.wordSp = num(0)
		case "Tz":
			st.hScale = num(0) / 100
		case "Td", "TD":
			if op == "TD" {
				st.leading = -num(1)
			}
			st.tlm = pdfMatrix{1, 0, 0, 1, num(0), num(1)}.mul(st.tlm)
			st.tm = st.tlm
		case "Tm":
			st.tlm = mat()
			st.tm = st.tlm
		case "T*":
			st.tlm = pdfMatrix{1, 0, 0, 1, 0, -st.leading}.mul(st.tlm)
			st.tm = st.tlm
		case "Tj", "'", "\"":
			if op != "Tj" {
				st.tlm = pdfMatrix{1, 0, 0, 1, 0, -st.leading}.mul(st.tlm)
				st.tm = st.tlm
			}
			if op == "\"" && len(args) == 3 {
				st.wordSp, st.charSp = num(0), num(1)
			}
			if len(args) > 0 {
				ex.show(page, &st, args[len(args)-1].RawString())
			}
		case "TJ":
			if len(args) != 1 {
				return
			}
			arr := args[0]
			for i := 0; i < arr.Len(); i++ {
				v := arr.Index(i)
				if v.Kind() == pdf.String {
					ex.show(page, &st, v.RawString())
					continue
				}
				adj := v.Float64()
				// Why: generators (TeX, many printers) write word gaps as
				// large negative adjustments instead of space characters.
				if adj < -200 {
					ex.space = true
				}
				st.tm = pdfMatrix{1, 0, 0, 1, -adj / 1000 * st.size * st.hScale, 0}.mul(st.tm)
			}
		case "Do":
			if len(args) != 1 || depth >= maxPDFFormDepth || ex.forms >= maxPDFForms {
				return
			}
			ex.forms++
			xobj := st.resource.Key("XObject").Key(args[0].Name())
			if xobj.Key("Subtype").Name() != "Form" {
				return
			}
			sub := st
			if m := xobj.Key("Matrix"); m.Len() == 6 {
				var fm pdfMatrix
				for i := range fm {
					fm[i] = m.Index(i).Float64()
				}
				sub.ctm = fm.mul(st.ctm)
			}
			if res := xobj.Key("Resources"); !res.IsNull() {
				sub.resource = res
			}
			ex.interpret(page, xobj, sub, depth+1)
		}
	})
}

// font returns the named font of the current resources, caching it.
func (ex *pdfExtractor) font(cache map[string]*pdfFont, res pdf.Value, name string) *pdfFont {
	if f, ok := cache[name]; ok {
		return f
	}
	f := &pdfFont{font: pdf.Font{V: res.Key("Font").Key(name)}}
	if cmapSane(f.font.V.Key("ToUnicode")) {
		f.enc = f.font.Encoder()
	} else {
		f.enc = nopEncoding{}
	}
	f.simple = f.font.V.Key("Subtype").Name() != "Type0"
	cache[name] = f
	return f
}

// show adds a text string at the current text position.
func (ex *pdfExtractor) show(page int, st *pdfState, raw string) {
	if st.font == nil {
		st.font = &pdfFont{enc: nopEncoding{}, simple: true}
	}
	text := st.font.enc.Decode(raw)
	m := st.tm.mul(st.ctm)
	x, y := m[4], m[5]
	size := math.Abs(st.size) * math.Hypot(m[2], m[3])
	if size == 0 || math.IsNaN(size) || math.IsInf(size, 0) {
		size = 1
	}
	if math.IsNaN(x) || math.IsInf(x, 0) {
		x = 0
	}
	if math.IsNaN(y) || math.IsInf(y, 0) {
		y = 0
	}

	// Advance the text position by the string's width (text space units).
	adv := 0.0
	if st.font.simple && st.font.font.V.Key("Widths").Len() > 0 {
		for i := 0; i < len(raw); i++ {
			adv += st.font.font.Width(int(raw[i]))/1000*st.size + st.charSp
			if raw[i] == ' ' {
				adv += st.wordSp
			}
		}
	} else {
		for _, r := range text {
			w := 0.5 // Why: no widths to read; an average Latin glyph is about half an em
			if isCJKText(r) {
				w = 1
			}
			adv += w*st.size + st.charSp
		}
	}
	adv *= st.hScale
	st.tm = pdfMatrix{1, 0, 0, 1, adv, 0}.mul(st.tm)
	endX := st.tm.mul(st.ctm)[4]

	if strings.TrimSpace(text) == "" {
		if text != "" && ex.cur != nil {
			ex.space = true
		}
		return
	}
	l := ex.cur
	newLine := l == nil || l.page != page || math.Abs(y-l.y) > 0.5*math.Max(size, l.size)
	if newLine {
		l = &pdfLine{page: page, x: x, y: y, size: size}
		ex.lines = append(ex.lines, l)
		ex.cur = l
	} else {
		gap := x - l.endX
		prev, _ := utf8.DecodeLastRuneInString(l.text.String())
		first, _ := utf8.DecodeRuneInString(text)
		if (ex.space || gap > 0.15*size || gap < -size) && !unicode.IsSpace(prev) && !unicode.IsSpace(first) &&
			!(isCJKText(prev) && isCJKText(first) && !ex.space && gap < 0.5*size) {
			l.text.WriteByte(' ')
		}
		l.size = math.Max(l.size, size)
	}
	ex.space = false
	l.text.WriteString(text)
	l.endX = endX
	ex.runes += utf8.RuneCountInString(text)
	if ex.runes > maxPDFRunes {
		panic(errPDFTooMuchText)
	}
}

// streamReader returns the decoded bytes of a content stream, or of an
// array of them, the way pdf.Interpret reads them.
func streamReader(strm pdf.Value) io.Reader {
	if strm.Kind() != pdf.Array {
		return strm.Reader()
	}
	var rs []io.Reader
	for i := 0; i < strm.Len(); i++ {
		rs = append(rs, strm.Index(i).Reader())
	}
	return io.MultiReader(rs...)
}

// lexSafe reports whether pdf.Interpret can read the stream in r to its
// end. Why: the library's lexer loops forever when a stream ends inside a
// hex string ("<4142" then end of data), so such streams are refused
// before it sees them. Read errors count as safe: the library panics on
// them, which is recovered.
func lexSafe(r io.Reader) bool {
	br := bufio.NewReaderSize(io.LimitReader(r, 64<<20), 64<<10)
	const (
		normal = iota
		comment
		literal
		hex  // in a hex string, looking for a pair's first digit
		hex2 // looking for its second digit
	)
	state, depth := normal, 0
	var first byte
	for {
		c, err := br.ReadByte()
		if err != nil {
			return state != hex && state != hex2
		}
		switch state {
		case normal:
			switch c {
			case '%':
				state = comment
			case '(':
				state, depth = literal, 1
			case '<':
				if next, err := br.Peek(1); err == nil && next[0] == '<' {
					_, _ = br.ReadByte()
				} else {
					state = hex
				}
			}
		case comment:
			if c == '\r' || c == '\n' {
				state = normal
			}
		case literal:
			switch c {
			case '\\':
				_, _ = br.ReadByte()
			case '(':
				depth++
			case ')':
				if depth--; depth == 0 {
					state = normal
				}
			}
		case hex, hex2:
			// The library reads hex digits in pairs, skipping spaces; it
			// stops at a '>' in first position and panics on any other
			// non-digit once it has a pair. Only running out of data
			// while looking for a digit loops forever.
			switch {
			case isPDFSpace(c):
			case state == hex && c == '>':
				state = normal
			case state == hex:
				state, first = hex2, c
			case !isHexDigit(first) || !isHexDigit(c):
				return true // the library panics here, which is recovered
			default:
				state = hex
			}
		}
	}
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func isPDFSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == 0
}

// cmapCounts finds the entry counts of a CMap's sections.
var cmapCounts = regexp.MustCompile(`(\d+)\s*begin(?:bfchar|bfrange|codespacerange|cidchar|cidrange)`)

// cmapSane reports whether a ToUnicode CMap (if any) is safe to give to the
// library. Why: it loops as many times as a section's count says, so a
// corrupt count ("999999999 beginbfchar") would run for minutes and fill
// memory. The PDF spec allows at most 100 entries per section.
func cmapSane(v pdf.Value) bool {
	if v.Kind() != pdf.Stream {
		return true
	}
	rd := v.Reader()
	defer rd.Close()
	data, _ := io.ReadAll(io.LimitReader(rd, 8<<20))
	if !lexSafe(bytes.NewReader(data)) {
		return false
	}
	for _, m := range cmapCounts.FindAllSubmatch(data, -1) {
		if n, err := strconv.Atoi(string(m[1])); err != nil || n > 10000 {
			return false
		}
	}
	return true
}

// nopEncoding passes bytes through, for text shown without a font.
type nopEncoding struct{}

func (nopEncoding) Decode(raw string) string { return raw }

// parsed turns the collected lines into paragraphs, headings and a title.
func (ex *pdfExtractor) parsed(title string) *Parsed {
	var lines []textLine
	for _, l := range ex.lines {
		t := cleanInline(normalizeNewlines(strings.ToValidUTF8(l.text.String(), "")))
		if t == "" {
			continue
		}
		lines = append(lines, textLine{text: t, page: l.page, y: l.y, size: math.Round(l.size*2) / 2})
	}
	lines = dropPageFurniture(lines)
	sizes := map[float64]int{} // rounded size → runes set in it
	for _, l := range lines {
		sizes[l.size] += utf8.RuneCountInString(l.text)
	}
	body, most := 0.0, -1
	for sz, n := range sizes {
		if n > most || (n == most && sz < body) {
			body, most = sz, n
		}
	}
	// Heading sizes, largest first, give the heading levels.
	var headSizes []float64
	for sz := range sizes {
		if sz >= body*1.15 {
			headSizes = append(headSizes, sz)
		}
	}
	sort.Sort(sort.Reverse(sort.Float64Slice(headSizes)))
	if len(headSizes) > 6 {
		headSizes = headSizes[:6]
	}
	for i := range lines {
		l := &lines[i]
		if lvl := slices.Index(headSizes, l.size); lvl >= 0 && retrieval.CountTokens(l.text) <= 20 && !endsSentence(l.text) {
			l.heading = lvl + 1
		}
	}

	var b textBuilder
	var para []string
	flush := func() {
		b.para(strings.Join(para, "\n"))
		para = nil
	}
	var cur string // the current line, joined from wrapped lines
	endLine := func() {
		if cur != "" {
			para = append(para, cur)
			cur = ""
		}
	}
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if l.heading > 0 {
			text := l.text
			// A heading wrapped over several lines.
			for i+1 < len(lines) && lines[i+1].heading == l.heading && lines[i+1].page == l.page &&
				l.y-lines[i+1].y > 0 && l.y-lines[i+1].y < 1.6*l.size {
				i++
				text = joinWrapped(text, lines[i].text)
				l.y = lines[i].y
			}
			endLine()
			flush()
			if title == "" && l.heading == 1 {
				title = text
			}
			b.heading(l.heading, text)
			continue
		}
		if i > 0 && lines[i-1].heading == 0 {
			prev := lines[i-1]
			gap := prev.y - l.y
			if prev.page != l.page || gap < 0 || gap > 1.7*math.Max(prev.size, l.size) {
				endLine()
				flush()
			} else if startsListItem(l.text) {
				endLine()
			}
		}
		if cur == "" {
			cur = l.text
		} else {
			cur = joinWrapped(cur, l.text)
		}
	}
	endLine()
	flush()
	if title == "" && len(lines) > 0 && retrieval.CountTokens(lines[0].text) <= 15 {
		title = lines[0].text
	}
	return b.parsed(title)
}

// textLine is a cleaned line of a PDF page.
type textLine struct {
	text    string
	page    int
	y, size float64
	heading int
}

// pageNumber matches lines that are only a page number: "3", "- 3 -",
// "Page 3 of 10", "3/10", "第 3 页，共 10 页".
var pageNumber = regexp.MustCompile(`^(?i:(?:page\s*)?[-–—]?\s*\d{1,4}\s*[-–—]?(?:\s*(?:/|of)\s*\d{1,4})?|第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?)$`)

// dropPageFurniture removes page furniture from the top and bottom lines
// of each page: page numbers, and running headers and footers (a text,
// digits aside, that recurs at the top or bottom of at least half the
// pages, when there are three pages or more).
func dropPageFurniture(lines []textLine) []textLine {
	type edge struct{ top, bottom int } // indexes of a page's top and bottom lines
	edges := map[int]*edge{}
	for i, l := range lines {
		e := edges[l.page]
		if e == nil {
			edges[l.page] = &edge{i, i}
			continue
		}
		if l.y > lines[e.top].y {
			e.top = i
		}
		if l.y < lines[e.bottom].y {
			e.bottom = i
		}
	}
	key := func(s string) string {
		return strings.Map(func(r rune) rune {
			if unicode.IsDigit(r) {
				return '#'
			}
			return r
		}, s)
	}
	pagesWith := map[string]map[int]bool{}
	isEdge := map[int]bool{}
	for page, e := range edges {
		for _, i := range []int{e.top, e.bottom} {
			isEdge[i] = true
			k := key(lines[i].text)
			if pagesWith[k] == nil {
				pagesWith[k] = map[int]bool{}
			}
			pagesWith[k][page] = true
		}
	}
	out := lines[:0:0]
	for i, l := range lines {
		if isEdge[i] && pageNumber.MatchString(l.text) {
			continue
		}
		if n := len(pagesWith[key(l.text)]); isEdge[i] && len(edges) >= 3 && n >= 3 && 2*n >= len(edges) {
			continue
		}
		out = append(out, l)
	}
	return out
}

// joinWrapped joins a line wrapped onto the next one: CJK text without a
// space, a word hyphenated at the line end without its hyphen.
func joinWrapped(a, b string) string {
	last, _ := utf8.DecodeLastRuneInString(a)
	first, _ := utf8.DecodeRuneInString(b)
	switch {
	case isCJKText(last) && isCJKText(first):
		return a + b
	case last == '-' && len(a) > 1 && unicode.IsLower(first):
		before, _ := utf8.DecodeLastRuneInString(a[:len(a)-1])
		if unicode.IsLetter(before) {
			return a[:len(a)-1] + b
		}
	}
	return a + " " + b
}

// startsListItem reports whether a line starts with a bullet or number.
func startsListItem(s string) bool {
	r, n := utf8.DecodeRuneInString(s)
	if strings.ContainsRune("•●▪■◦‣–-*·", r) && n < len(s) && s[n] == ' ' {
		return true
	}
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i > 0 && i < 4 && i+1 < len(s) && (s[i] == '.' || s[i] == ')') && s[i+1] == ' '
}
