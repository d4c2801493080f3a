package parse

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

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
	return fmt.Errorf("%s: %s", kind, msg)
}

// parseFAQCSV reads an FAQ as CSV: a header row naming question and answer
// columns (category optional, any order, extra columns ignored), then one
// question/answer pair per row. Comma, semicolon and tab separators are
// recognised from the header. Rows that are entirely empty are skipped; a
// row missing its question or answer fails the file, naming its line.
func parseFAQCSV(s string) (*Document, error) {
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
		return nil, fmt.Errorf("FAQ CSV line 1: header must name question and answer columns (got %q)", strings.Join(header, string(r.Comma)))
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
		return nil, errors.New("FAQ CSV has no question/answer rows")
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

// csvError turns an encoding/csv error into a readable error naming the line.
func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("FAQ CSV line %d: %v", pe.Line, pe.Err)
	}
	return fmt.Errorf("FAQ CSV: %v", err)
}

// parseFAQJSON reads an FAQ as a JSON array of {"question", "answer",
// "category"?} objects (keys case-insensitive). An item missing its
// question or answer fails the file, naming the item and its line.
func parseFAQJSON(s string) (*Document, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	tok, err := dec.Token()
	if err != nil {
		return nil, jsonError(s, err, dec.InputOffset())
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, errors.New(`FAQ JSON line 1: must be an array of {"question": …, "answer": …} objects`)
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
		return nil, fmt.Errorf("FAQ JSON line %d: unexpected data after the array", faqLine(s, int(dec.InputOffset())))
	}
	if err := bad.err("FAQ JSON"); err != nil {
		return nil, err
	}
	if len(b.blocks) == 0 {
		return nil, errors.New("FAQ JSON has no question/answer items")
	}
	p := b.parsed("")
	p.FAQ = true
	return p, nil
}

// jsonError turns a decoding error into a readable error naming the line.
func jsonError(s string, err error, offset int64) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		offset = se.Offset
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("FAQ JSON line %d: unexpected end of file", faqLine(s, len(s)))
	}
	return fmt.Errorf("FAQ JSON line %d: %v", faqLine(s, int(offset)), err)
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
