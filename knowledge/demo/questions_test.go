package demo

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// questionsPath is the demo shop's answer evaluation (docs/eval/demo/README.md);
// devExtraPath more development questions written later.
var (
	questionsPath = filepath.Join("..", "..", "docs", "eval", "demo", "questions.csv")
	devExtraPath  = filepath.Join("..", "..", "docs", "eval", "demo", "dev-extra.csv")
	devProducts   = filepath.Join("..", "..", "docs", "eval", "demo", "dev-products.csv")
	devFresh      = filepath.Join("..", "..", "docs", "eval", "demo", "dev-fresh.csv")
	devMore       = filepath.Join("..", "..", "docs", "eval", "demo", "dev-more.csv")
	devSix        = filepath.Join("..", "..", "docs", "eval", "demo", "dev-six.csv")
	devProducts2  = filepath.Join("..", "..", "docs", "eval", "demo", "dev-products2.csv")
	devProducts3  = filepath.Join("..", "..", "docs", "eval", "demo", "dev-products3.csv")
	devProducts4  = filepath.Join("..", "..", "docs", "eval", "demo", "dev-products4.csv")
	devCare       = filepath.Join("..", "..", "docs", "eval", "demo", "dev-care.csv")
	devSeven      = filepath.Join("..", "..", "docs", "eval", "demo", "dev-seven.csv")
	devEight      = filepath.Join("..", "..", "docs", "eval", "demo", "dev-eight.csv")
	devNine       = filepath.Join("..", "..", "docs", "eval", "demo", "dev-nine.csv")
	devTen        = filepath.Join("..", "..", "docs", "eval", "demo", "dev-ten.csv")
	devEleven     = filepath.Join("..", "..", "docs", "eval", "demo", "dev-eleven.csv")
	devTwelve     = filepath.Join("..", "..", "docs", "eval", "demo", "dev-twelve.csv")
	devThirteen   = filepath.Join("..", "..", "docs", "eval", "demo", "dev-thirteen.csv")
	devFourteen   = filepath.Join("..", "..", "docs", "eval", "demo", "dev-fourteen.csv")
	devFifteen    = filepath.Join("..", "..", "docs", "eval", "demo", "dev-fifteen.csv")
	devSixteen    = filepath.Join("..", "..", "docs", "eval", "demo", "dev-sixteen.csv")
	devSeventeen  = filepath.Join("..", "..", "docs", "eval", "demo", "dev-seventeen.csv")
	devEighteen   = filepath.Join("..", "..", "docs", "eval", "demo", "dev-eighteen.csv")
)

var questionsHeader = []string{"id", "split", "lang", "kind", "customer", "context", "query", "expected_source", "facts", "notes"}

// question is one row of questions.csv.
type question struct {
	id, split, lang, kind, customer, context, query, source, facts, notes string
}

func readQuestions(t *testing.T, path string) []question {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open questions: %v", err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("read questions (RFC 4180 CSV): %v", err)
	}
	if len(rows) == 0 {
		t.Fatal("questions: empty file")
	}
	if !slices.Equal(rows[0], questionsHeader) {
		t.Fatalf("header = %q, want %q", rows[0], questionsHeader)
	}
	var qs []question
	for _, r := range rows[1:] {
		qs = append(qs, question{r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9]})
	}
	return qs
}

// foldFact normalises text for fact matching: lower case, no Markdown
// emphasis, every dash as "-", "×" as "x", runs of white space as one
// space, and no space next to a CJK character ("30 天" matches "30天").
func foldFact(s string) string {
	s = strings.ToLower(strings.ReplaceAll(s, "*", ""))
	s = strings.Map(func(r rune) rune {
		switch r {
		case '‐', '‑', '‒', '–', '—', '−':
			return '-'
		case '×':
			return 'x'
		}
		return r
	}, s)
	rs := []rune(strings.Join(strings.Fields(s), " "))
	var b strings.Builder
	for i, r := range rs {
		if r == ' ' && i > 0 && i < len(rs)-1 && (isCJK(rs[i-1]) || isCJK(rs[i+1])) {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isCJK(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul) ||
		(r >= 0x3000 && r <= 0x303f) || (r >= 0xff00 && r <= 0xffef)
}

func TestFoldFact(t *testing.T) {
	for in, want := range map[string]string{
		"**30 天内**":          "30天内",
		"Within **30 Days**": "within 30 days",
		"3–5 business\ndays": "3-5 business days",
		"签收后 7 天 内":          "签收后7天内",
		"40 °C":              "40 °c",
		"70 × 140 cm":        "70 x 140 cm",
	} {
		if got := foldFact(in); got != want {
			t.Errorf("foldFact(%q) = %q, want %q", in, got, want)
		}
	}
}

// leafValues returns the folded string and number values of a decoded JSON
// value, one a line, without its keys (so a fact "shipped" cannot match the
// key "shipped_at").
func leafValues(v any) string {
	var b strings.Builder
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for _, e := range v {
				walk(e)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		case string:
			b.WriteString(foldFact(v) + "\n")
		case float64:
			b.WriteString(strconv.FormatFloat(v, 'f', -1, 64) + "\n")
		}
	}
	walk(v)
	return b.String()
}

// catalogText returns the values of products.json.
func catalogText(t *testing.T) string {
	t.Helper()
	data, err := fs.ReadFile(FS, "products.json")
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("products.json: %v", err)
	}
	return leafValues(v)
}

// orderTexts returns the values of each customer's orders, by customer id.
func orderTexts(t *testing.T) map[string]string {
	t.Helper()
	data, err := fs.ReadFile(FS, "orders.json")
	if err != nil {
		t.Fatal(err)
	}
	var orders []map[string]any
	if err := json.Unmarshal(data, &orders); err != nil {
		t.Fatalf("orders.json: %v", err)
	}
	texts := map[string]string{}
	for _, o := range orders {
		c, _ := o["customer"].(map[string]any)
		id, _ := c["id"].(string)
		texts[id] += leafValues(o)
	}
	return texts
}

// TestQuestions checks docs/eval/demo/questions.csv against the demo shop:
// its format, the development/held-out alternation, and that every fact a
// right answer must contain is literally in the source the row names.
func TestQuestions(t *testing.T) {
	qs := readQuestions(t, questionsPath)
	if len(qs) < 240 {
		t.Errorf("%d questions, want at least 240", len(qs))
	}
	shop := readShop(t)
	mix := map[string][2]int{} // kind, lang and "follow-up" → dev, held counts
	for i, q := range qs {
		where := fmt.Sprintf("row %d (%s)", i+2, q.id)
		if want := fmt.Sprintf("q%03d", i+1); q.id != want {
			t.Errorf("%s: id %q, want %q (ids run q001, q002, … without gaps)", where, q.id, want)
		}
		half := 0
		if want := []string{"dev", "held"}[i%2]; q.split != want {
			t.Errorf("%s: split %q, want %q (odd ids dev, even ids held)", where, q.split, want)
		}
		if q.split == "held" {
			half = 1
		}
		keys := []string{q.kind, q.lang}
		if q.context != "" {
			keys = append(keys, "follow-up")
		}
		for _, k := range keys {
			c := mix[k]
			c[half]++
			mix[k] = c
		}
		shop.check(t, where, q)
	}
	// Both halves have the same mix: per kind, language and follow-ups,
	// the counts differ by at most two.
	for k, c := range mix {
		if c[0]-c[1] > 2 || c[1]-c[0] > 2 {
			t.Errorf("%s: %d dev and %d held questions; the halves should have the same mix", k, c[0], c[1])
		}
	}
}

// TestDevExtraQuestions checks the later development files the same way:
// every row is a development question, ids d001, d002, … (dev-extra.csv),
// p001, p002, … (dev-products.csv), f001, f002, … (dev-fresh.csv),
// m001, m002, … (dev-more.csv), s001, s002, … (dev-six.csv), r001,
// r002, … (dev-products2.csv), c001, c002, … (dev-products3.csv),
// g001, g002, … (dev-products4.csv), k001, k002, … (dev-care.csv),
// v001, v002, … (dev-seven.csv), e001, e002, … (dev-eight.csv),
// n001, n002, … (dev-nine.csv), t001, t002, … (dev-ten.csv),
// w001, w002, … (dev-eleven.csv), y001, y002, … (dev-twelve.csv),
// h001, h002, … (dev-thirteen.csv) and j001, j002, … (dev-fourteen.csv).
func TestDevExtraQuestions(t *testing.T) {
	shop := readShop(t)
	for _, f := range []struct {
		path, prefix string
		min          int
	}{{devExtraPath, "d", 150}, {devProducts, "p", 100}, {devFresh, "f", 160}, {devMore, "m", 160}, {devSix, "s", 160}, {devProducts2, "r", 100}, {devProducts3, "c", 100}, {devProducts4, "g", 100}, {devCare, "k", 80}, {devSeven, "v", 160}, {devEight, "e", 160}, {devNine, "n", 160}, {devTen, "t", 160}, {devEleven, "w", 160}, {devTwelve, "y", 160}, {devThirteen, "h", 160}, {devFourteen, "j", 160}, {devFifteen, "b", 160}, {devSixteen, "a", 160}, {devSeventeen, "u", 160}, {devEighteen, "i", 160}} {
		qs := readQuestions(t, f.path)
		if len(qs) < f.min {
			t.Errorf("%s: %d questions, want at least %d", f.path, len(qs), f.min)
		}
		for i, q := range qs {
			where := fmt.Sprintf("%s row %d (%s)", filepath.Base(f.path), i+2, q.id)
			if want := fmt.Sprintf("%s%03d", f.prefix, i+1); q.id != want {
				t.Errorf("%s: id %q, want %q", where, q.id, want)
			}
			if q.split != "dev" {
				t.Errorf("%s: split %q, want dev", where, q.split)
			}
			shop.check(t, where, q)
		}
	}
}

// shop is the demo shop's text that facts are checked against.
type shop struct {
	docs    map[string]string // folded, by file name
	catalog string
	orders  map[string]string // by customer
}

func readShop(t *testing.T) shop {
	t.Helper()
	docs := map[string]string{}
	entries, err := fs.ReadDir(FS, "docs")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := fs.ReadFile(FS, "docs/"+e.Name())
		if err != nil {
			t.Fatal(err)
		}
		docs[e.Name()] = foldFact(string(data))
	}
	return shop{docs, catalogText(t), orderTexts(t)}
}

// check checks one question's format, and that every alternative of its
// facts is in the source it names.
func (s shop) check(t *testing.T, where string, q question) {
	t.Helper()
	if !slices.Contains([]string{"en", "zh", "mixed"}, q.lang) {
		t.Errorf("%s: lang %q", where, q.lang)
	}
	if strings.TrimSpace(q.query) == "" {
		t.Errorf("%s: empty query", where)
	}
	if q.context != "" {
		for _, m := range strings.Split(q.context, " || ") {
			if strings.TrimSpace(m) == "" {
				t.Errorf("%s: empty message in context %q", where, q.context)
			}
		}
	}
	if (q.kind == "order") != (q.customer != "") {
		t.Errorf("%s: kind %q with customer %q (only order rows name a customer)", where, q.kind, q.customer)
	}
	var facts [][]string
	if q.facts != "" {
		for _, f := range strings.Split(q.facts, "|") {
			alts := strings.Split(f, "/")
			for _, a := range alts {
				if strings.TrimSpace(a) == "" {
					t.Errorf("%s: empty fact or alternative in %q", where, q.facts)
				}
			}
			facts = append(facts, alts)
		}
	}
	if (q.kind == "oos") != (len(facts) == 0) {
		t.Errorf("%s: kind %q with facts %q (every answerable row has facts, out-of-scope rows none)", where, q.kind, q.facts)
	}
	// check reports each fact alternative that none of texts contains.
	check := func(texts []string, what string) {
		for _, alts := range facts {
			for _, a := range alts {
				fa := foldFact(a)
				if !slices.ContainsFunc(texts, func(s string) bool { return strings.Contains(s, fa) }) {
					t.Errorf("%s: fact %q is not in %s", where, a, what)
				}
			}
		}
	}
	switch q.kind {
	case "policy":
		var texts []string
		for _, name := range strings.Split(q.source, "|") {
			text, ok := s.docs[name]
			if !ok {
				t.Errorf("%s: expected_source %q is not a demo document", where, name)
			}
			texts = append(texts, text)
		}
		check(texts, q.source)
	case "product":
		if q.source != "products" {
			t.Errorf("%s: product row with expected_source %q, want products", where, q.source)
		}
		check([]string{s.catalog}, "products.json")
	case "order":
		if q.source != "orders" {
			t.Errorf("%s: order row with expected_source %q, want orders", where, q.source)
		}
		text, ok := s.orders[q.customer]
		if !ok {
			t.Errorf("%s: customer %q has no orders in orders.json", where, q.customer)
		}
		check([]string{text}, q.customer+"'s orders")
	case "oos":
		if q.source != "" {
			t.Errorf("%s: out-of-scope row with expected_source %q", where, q.source)
		}
	default:
		t.Errorf("%s: kind %q", where, q.kind)
	}
}
