package parse

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ledongthuc/pdf"

	"kefu/retrieval"
)

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
func parsePDF(data []byte) (p *Document, err error) {
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, fmt.Errorf("corrupt PDF (%v)", r)
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
			return nil, errors.New("encrypted PDF (password-protected or unsupported encryption)")
		}
		return nil, fmt.Errorf("corrupt PDF (%v)", err)
	}

	var ex pdfExtractor
	pages := pdfPages(r)
	if len(pages) > maxPDFPages {
		// Why fail, not keep the first pages: a silently cut manual answers
		// wrongly about what it no longer holds.
		return nil, fmt.Errorf("PDF has more than %d pages (split it into smaller files)", maxPDFPages)
	}
	pageErrs := 0
	for i, page := range pages {
		if err := ex.page(i+1, page); err != nil {
			if errors.Is(err, errPDFTooMuchText) {
				return nil, fmt.Errorf("PDF text layer is larger than %d characters", maxPDFRunes)
			}
			pageErrs++
		}
	}
	if len(pages) > 0 && pageErrs == len(pages) {
		return nil, errors.New("corrupt PDF (no page could be read)")
	}
	title := ""
	func() {
		defer func() { _ = recover() }()
		title = pdfTitle(r.Trailer().Key("Info").Key("Title").Text())
	}()
	p = ex.parsed(title)
	if len(p.Blocks) == 0 {
		return nil, errors.New("PDF has no text layer (a scanned document? run OCR on it first)")
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

// parsed turns the collected lines into paragraphs, headings and a title.
func (ex *pdfExtractor) parsed(title string) *Document {
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
