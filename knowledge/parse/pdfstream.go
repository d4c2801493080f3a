package parse

// The PDF content stream interpreter: text shown on a page, rebuilt into
// lines from text positions (pdf.go turns lines into paragraphs and
// headings), with the guards that keep the library from looping or
// exploding on malformed streams and fonts.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ledongthuc/pdf"
)

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
