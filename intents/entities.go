package intents

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Entity types.
const (
	EntityOrderNumber = "order_number"
	EntityEmail       = "email"
	EntityPhone       = "phone"
	EntityAmount      = "amount"
)

// Entity is something a shopper mentioned that the bot can act on. Start and
// End are byte offsets of Text in the message.
type Entity struct {
	Type  string `json:"type"`
	Text  string `json:"text"`
	Start int    `json:"start"`
	End   int    `json:"end"`
	// Value is the normalized form: an order number in capitals, an e-mail
	// in lower case, a phone number as digits with a leading + when given,
	// an amount as a decimal number.
	Value string `json:"value"`
	// Currency is the ISO 4217 code of an amount ("" when not said).
	Currency string `json:"currency,omitempty"`
}

// DefaultOrderPattern matches order numbers like LL-100234 or AB1234567:
// two to four letters, an optional dash, five or more digits (any case).
const DefaultOrderPattern = `(?i)\b[A-Z]{2,4}-?\d{5,}\b`

var (
	emailRe = regexp.MustCompile(`(?i)[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}`)
	// Phone numbers: international (+ or 00 and a country code), Chinese
	// mobiles (1[3-9] and nine digits, maybe grouped 3-4-4), and national
	// numbers of 7–15 digits in groups. Digit counts are checked afterwards.
	phoneRe = regexp.MustCompile(`(?:\+|00)\d{1,3}[\s.-]?(?:\(\d{1,4}\)[\s.-]?)?\d{1,4}(?:[\s.-]?\d{2,4}){1,4}` +
		`|1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}` +
		`|\(?\d{2,4}\)?[\s.-]?\d{3,4}[\s.-]?\d{3,4}`)
	amountSymbolRe = regexp.MustCompile(`(US\$|HK\$|\$|€|£|¥|￥)\s?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?`)
	amountCodeRe   = regexp.MustCompile(`(?i)(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?\s?(usd|eur|gbp|cny|rmb|hkd|jpy|dollars?|bucks|euros?|pounds?|元|块钱|块|美元|欧元|英镑|港币|日元)` +
		`|\b(usd|eur|gbp|cny|rmb|hkd|jpy)\s?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?`)
)

var currencyCodes = map[string]string{
	"$": "USD", "us$": "USD", "usd": "USD", "dollar": "USD", "dollars": "USD", "bucks": "USD", "美元": "USD",
	"€": "EUR", "eur": "EUR", "euro": "EUR", "euros": "EUR", "欧元": "EUR",
	"£": "GBP", "gbp": "GBP", "pound": "GBP", "pounds": "GBP", "英镑": "GBP",
	// Why ¥ is CNY: kefu's shops sell in China far more often than in Japan;
	// a Japanese shop says 円 or JPY.
	"¥": "CNY", "￥": "CNY", "cny": "CNY", "rmb": "CNY", "元": "CNY", "块": "CNY", "块钱": "CNY",
	"hk$": "HKD", "hkd": "HKD", "港币": "HKD",
	"jpy": "JPY", "日元": "JPY",
}

// currencyOf looks up a currency word matched by amountCodeRe. Why
// EqualFold, not ToLower: (?i) also matches folds like "uſd" (long s),
// which ToLower leaves alone.
func currencyOf(word string) string {
	if c, ok := currencyCodes[strings.ToLower(word)]; ok {
		return c
	}
	for k, c := range currencyCodes {
		if strings.EqualFold(k, word) {
			return c
		}
	}
	return ""
}

// Extractor finds entities in messages. Sites may have their own order
// number pattern. It is safe for concurrent use.
type Extractor struct {
	order *regexp.Regexp
}

// NewExtractor returns an extractor for order numbers matching pattern (Go
// regexp syntax; DefaultOrderPattern when empty). A pattern that does not
// compile or matches the empty string is an error wrapping ErrBadData.
func NewExtractor(orderPattern string) (*Extractor, error) {
	if orderPattern == "" {
		orderPattern = DefaultOrderPattern
	}
	re, err := regexp.Compile(orderPattern)
	if err != nil {
		return nil, fmt.Errorf("order number pattern: %v: %w", err, ErrBadData)
	}
	if re.MatchString("") {
		return nil, fmt.Errorf("order number pattern %q matches empty text: %w", orderPattern, ErrBadData)
	}
	return &Extractor{order: re}, nil
}

// Extract returns the entities in text, in order of position. Where two
// overlap, the more specific wins: e-mail, then order number, then amount,
// then phone number.
func (x *Extractor) Extract(text string) []Entity {
	var found []Entity
	for _, m := range emailRe.FindAllStringIndex(text, -1) {
		s := text[m[0]:m[1]]
		found = append(found, Entity{Type: EntityEmail, Text: s, Start: m[0], End: m[1], Value: strings.ToLower(s)})
	}
	for _, m := range x.order.FindAllStringIndex(text, -1) {
		if m[0] == m[1] {
			continue
		}
		s := text[m[0]:m[1]]
		found = add(found, Entity{Type: EntityOrderNumber, Text: s, Start: m[0], End: m[1], Value: strings.ToUpper(s)})
	}
	for _, m := range amountSymbolRe.FindAllStringSubmatchIndex(text, -1) {
		sym := strings.ToLower(text[m[2]:m[3]])
		found = add(found, amount(text, m[0], m[1], text[m[4]:m[5]], sub(text, m, 3), currencyCodes[sym]))
	}
	for _, m := range amountCodeRe.FindAllStringSubmatchIndex(text, -1) {
		if m[2] >= 0 { // number then currency
			found = add(found, amount(text, m[0], m[1], text[m[2]:m[3]], sub(text, m, 2), currencyOf(text[m[6]:m[7]])))
		} else { // code then number
			found = add(found, amount(text, m[0], m[1], text[m[10]:m[11]], sub(text, m, 6), currencyOf(text[m[8]:m[9]])))
		}
	}
	for _, m := range phoneRe.FindAllStringIndex(text, -1) {
		start, end := m[0], m[1]
		if !boundary(text, start, end) {
			continue
		}
		s := text[start:end]
		digits := onlyDigits(s)
		intl := strings.HasPrefix(s, "+")
		if !intl && strings.HasPrefix(s, "00") { // 00 is the international prefix: count the digits after it
			digits, intl = digits[2:], true
		}
		if n := len(digits); n < 7 || n > 15 {
			continue
		}
		if intl {
			digits = "+" + digits
		}
		found = add(found, Entity{Type: EntityPhone, Text: s, Start: start, End: end, Value: digits})
	}
	sort.SliceStable(found, func(i, j int) bool { return found[i].Start < found[j].Start })
	return found
}

// sub returns submatch n of m, or "".
func sub(text string, m []int, n int) string {
	if m[2*n] < 0 {
		return ""
	}
	return text[m[2*n]:m[2*n+1]]
}

func amount(text string, start, end int, whole, frac, currency string) Entity {
	v := strings.ReplaceAll(whole, ",", "")
	if frac != "" {
		v += "." + frac
	}
	return Entity{Type: EntityAmount, Text: text[start:end], Start: start, End: end, Value: v, Currency: currency}
}

// add appends e unless it overlaps an entity already found.
func add(found []Entity, e Entity) []Entity {
	for _, f := range found {
		if e.Start < f.End && f.Start < e.End {
			return found
		}
	}
	return append(found, e)
}

// boundary reports whether text[start:end] is not glued to letters or digits
// (CJK text around it is fine: Chinese has no spaces).
func boundary(text string, start, end int) bool {
	if start > 0 {
		r, _ := utf8.DecodeLastRuneInString(text[:start])
		if unicode.IsDigit(r) || (unicode.IsLetter(r) && r < unicode.MaxLatin1) || r == '+' {
			return false
		}
	}
	if end < len(text) {
		r, _ := utf8.DecodeRuneInString(text[end:])
		if unicode.IsDigit(r) || (unicode.IsLetter(r) && r < unicode.MaxLatin1) {
			return false
		}
	}
	return true
}

func onlyDigits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// DetectLanguage guesses the language of text: "zh" when it is mostly
// Chinese characters (a character weighs like a four-letter word), "ja" or
// "ko" for kana or Hangul, "en" for other letters, and "" when there are no
// letters at all.
func DetectLanguage(text string) string {
	var han, kana, hangul, latin int
	for _, r := range text {
		switch {
		case unicode.Is(unicode.Han, r):
			han++
		case unicode.In(r, unicode.Hiragana, unicode.Katakana):
			kana++
		case unicode.Is(unicode.Hangul, r):
			hangul++
		case unicode.IsLetter(r):
			latin++
		}
	}
	switch {
	case kana > 0 && 4*(kana+han) >= latin:
		return "ja"
	case hangul > 0 && 4*hangul >= latin:
		return "ko"
	case han > 0 && 4*han >= latin:
		return "zh"
	case latin > 0 || han > 0:
		return "en"
	}
	return ""
}
